"""A first and a second ``exonu fit`` on one detector: what the on-disk cache (exonu.cache) saves.

Runs the whole command in a fresh interpreter, interleaved: **cold** (an empty cache folder: the first
run on a machine), **warm** (the folder the cold run filled) and **off** (``EXONU_NO_CACHE=1``), and
prints median wall and CPU time (user + system of the child) of each and the cold/warm ratio. Then, in
this process, the two stages the cache covers — ``load_detector`` and ``signal_templates`` — cold and
warm, so the whole-command ratio can be read against what the cache can and cannot touch (imports, the
statistics).

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_cache.py [--detector xenonnt-sr0 --detector xmass-i]
        [--signal magnetic-moment] [--repeats 5] [--json] [-- extra exonu fit options, e.g. --toys 0]

The cache folders are temporary; the user's cache is never touched.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from cli_runs import PINNED, compile_bytecode, timed_cli_run


def run_command(argv: list[str], cache_folder: Path | None) -> tuple[float, float]:
    """(wall s, CPU s) of one ``exonu`` command in a fresh interpreter; cache_folder None: cache off."""
    if cache_folder is None:
        return timed_cli_run(argv, env={"EXONU_NO_CACHE": "1"})
    return timed_cli_run(argv, env={"EXONU_NO_CACHE": None, "EXONU_CACHE_DIR": str(cache_folder)})


def whole_command(detector: str, signal: str, extra: list[str], repeats: int) -> dict[str, object]:
    argv = ["fit", "--detector", detector, "--signal", signal, *extra]
    times: dict[str, list[tuple[float, float]]] = {"cold": [], "warm": [], "off": []}
    with tempfile.TemporaryDirectory(prefix="exonu-bench-cache-") as tmp:
        for i in range(repeats):  # interleaved: cold, warm, off in every round
            folder = Path(tmp) / f"round{i}"
            times["cold"].append(run_command(argv, folder))
            times["warm"].append(run_command(argv, folder))
            times["off"].append(run_command(argv, None))
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in times.items()}
    return {
        "detector": detector,
        "command": "exonu " + " ".join(argv),
        **{f"{k}_wall_s": round(v[0], 3) for k, v in med.items()},
        **{f"{k}_cpu_s": round(v[1], 3) for k, v in med.items()},
        "wall_speed_up": round(med["cold"][0] / med["warm"][0], 2),
        "cpu_speed_up": round(med["cold"][1] / med["warm"][1], 2),
    }


STAGES = """
import json, sys, time
t0 = time.perf_counter(); c0 = time.process_time()
from exonu.config import load_detector
from exonu.searches import search_spec, signal_templates
t1 = time.perf_counter(); c1 = time.process_time()
setup = load_detector(sys.argv[1])
t2 = time.perf_counter(); c2 = time.process_time()
signal_templates(setup, search_spec(sys.argv[2]))
t3 = time.perf_counter(); c3 = time.process_time()
print(json.dumps({"imports": [t1 - t0, c1 - c0], "load_detector": [t2 - t1, c2 - c1],
                  "signal_templates": [t3 - t2, c3 - c2], "xraydb_imported": "xraydb" in sys.modules}))
"""


def stages(detector: str, signal: str, repeats: int) -> dict[str, object]:
    """Median wall time of each stage the cache covers, cold and warm (fresh interpreter each)."""
    out: dict[str, list[dict[str, object]]] = {"cold": [], "warm": []}
    with tempfile.TemporaryDirectory(prefix="exonu-bench-cache-") as tmp:
        for i in range(repeats):
            env = {**os.environ, **PINNED, "EXONU_CACHE_DIR": str(Path(tmp) / f"round{i}")}
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env.pop("EXONU_NO_CACHE", None)
            for kind in ("cold", "warm"):
                argv = [sys.executable, "-c", STAGES, detector, signal]
                p = subprocess.run(argv, env=env, check=True, capture_output=True, text=True)
                out[kind].append(json.loads(p.stdout.strip().splitlines()[-1]))
    summary: dict[str, object] = {"detector": detector}
    for kind, rows in out.items():
        for stage in ("imports", "load_detector", "signal_templates"):
            summary[f"{kind}_{stage}_wall_s"] = round(statistics.median(r[stage][0] for r in rows), 3)  # type: ignore[index]
        summary[f"{kind}_xraydb_imported"] = any(r["xraydb_imported"] for r in rows)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detector", action="append", help="default: xenonnt-sr0 and xmass-i")
    parser.add_argument("--signal", default="magnetic-moment")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="last line: the results as a JSON list")
    parser.add_argument("extra", nargs="*", help="options passed to exonu fit (after --)")
    args = parser.parse_args()
    detectors = args.detector or ["xenonnt-sr0", "xmass-i"]
    rows = []
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    spec = importlib.util.find_spec("exonu")
    assert spec is not None and spec.submodule_search_locations, "exonu is not importable"
    compile_bytecode(Path(next(iter(spec.submodule_search_locations))))
    for d in detectors:
        row = whole_command(d, args.signal, args.extra, args.repeats)
        row["stages"] = stages(d, args.signal, args.repeats)
        rows.append(row)
        print(
            f"{row['command']}: cold {row['cold_wall_s']} s wall / {row['cold_cpu_s']} s CPU, "
            f"warm {row['warm_wall_s']} / {row['warm_cpu_s']}, off {row['off_wall_s']} / {row['off_cpu_s']} "
            f"-> second run {row['wall_speed_up']}x faster (wall), {row['cpu_speed_up']}x (CPU)"
        )
        s = row["stages"]
        assert isinstance(s, dict)
        print(
            f"  in-process stages, cold -> warm (s): load_detector {s['cold_load_detector_wall_s']} -> "
            f"{s['warm_load_detector_wall_s']}, signal_templates {s['cold_signal_templates_wall_s']} -> "
            f"{s['warm_signal_templates_wall_s']}; imports {s['warm_imports_wall_s']}; "
            f"xraydb imported when warm: {s['warm_xraydb_imported']}"
        )
    if args.json:
        print(json.dumps(rows))


if __name__ == "__main__":
    main()
