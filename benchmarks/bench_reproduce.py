"""Benchmark: ``exonu reproduce`` — the quick look against the default run, or this tree against another exonu.

Each run is a fresh interpreter (as the console script) writing into a temporary folder; its wall time and CPU
time (user + system, from ``getrusage`` of the finished child) are recorded. BLAS is pinned to one thread.
The last line printed is JSON.

**quick / default** (issue 22 item 6; the default mode): ``exonu reproduce --quick`` and the default run,
interleaved, ``--repeats`` times (default 2) on ``--detector`` (default xmass-i); the ratio quick / default
of CPU time per pair and of the medians (target: at most 0.20). ``--no-cache`` runs both without the on-disk
cache (``EXONU_NO_CACHE=1``); by default the cache is used (warm after the first pair).

**this tree against another exonu** (issue 20: ``exonu reproduce --toys 0`` at least 3× faster than commit
86e079b): ``--against PYTHON`` names an interpreter with the other exonu installed (run without this tree on
its path, e.g. a venv made with ``pip install <checkout of 86e079b>``). In every round, interleaved: the other
exonu, this tree **cold** (a new, empty cache folder: what a first run costs) and this tree **warm** (a second
run on the folder the cold run filled). The command is ``exonu reproduce --detector D`` plus the words given
after ``--`` (e.g. ``-- --toys 0``). Prints the medians and the speed-ups other ÷ cold and other ÷ warm.

Run: ``python benchmarks/bench_reproduce.py [--repeats 2] [--detector xmass-i] [--no-cache]`` or
``python benchmarks/bench_reproduce.py --against /tmp/basevenv/bin/python --repeats 3 -- --toys 0``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

from cli_runs import compile_bytecode, timed_cli_run

SRC = Path(__file__).resolve().parents[1] / "src"


def timed_run(
    argv: list[str], *, python: str = sys.executable, env_extra: dict[str, str] | None = None
) -> tuple[float, float]:
    """(wall s, CPU s = user + system) of one fresh interpreter running ``exonu argv``.

    ``python`` is this interpreter with this tree's ``src`` first on the path, or another interpreter
    (``--against``) run without it, so that it imports its own installed exonu.
    """
    path = str(SRC) if python == sys.executable else None
    return timed_cli_run(argv, python=python, env={**(env_extra or {}), "PYTHONPATH": path})


def quick_against_default(args: argparse.Namespace) -> dict[str, object]:
    times: dict[str, list[float]] = {"quick": [], "default": []}
    env = {"EXONU_NO_CACHE": "1"} if args.no_cache else {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            for mode in times:
                out = Path(tmp) / f"{mode}{i}"
                extra = ["--quick"] if mode == "quick" else []
                argv = ["reproduce", "--detector", args.detector, "--out", str(out), *extra]
                times[mode].append(timed_run(argv, env_extra=env)[1])
            print(
                f"pair {i + 1}: quick {times['quick'][-1]:.2f} s, default {times['default'][-1]:.2f} s CPU, "
                f"ratio {times['quick'][-1] / times['default'][-1]:.3f}",
                flush=True,
            )
    medians = {mode: statistics.median(t) for mode, t in times.items()}
    ratio = medians["quick"] / medians["default"]
    print(f"median: quick {medians['quick']:.2f} s, default {medians['default']:.2f} s CPU, ratio {ratio:.3f}")
    return {"detector": args.detector, "cache": not args.no_cache, "cpu_seconds": times, "median_ratio": ratio}


def this_against_other(args: argparse.Namespace) -> dict[str, object]:
    kinds = ("other", "cold", "warm")
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in kinds}
    with tempfile.TemporaryDirectory(prefix="exonu-bench-reproduce-") as tmp:
        for i in range(args.repeats):
            cache = {"EXONU_CACHE_DIR": str(Path(tmp) / f"cache{i}")}  # new and empty each round
            for kind in kinds:
                argv = ["reproduce", "--detector", args.detector, "--out", str(Path(tmp) / f"{kind}{i}"), *args.extra]
                python = args.against if kind == "other" else sys.executable
                times[kind].append(timed_run(argv, python=python, env_extra=cache))
            line = ", ".join(f"{k} {times[k][-1][0]:.2f} s wall / {times[k][-1][1]:.2f} s CPU" for k in kinds)
            print(f"round {i + 1}: {line}", flush=True)
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in times.items()}
    summary: dict[str, object] = {
        "command": "exonu reproduce --detector " + " ".join([args.detector, *args.extra]),
        "against": args.against,
        "load_average": os.getloadavg()[0],
        **{f"{k}_wall_s": round(v[0], 2) for k, v in med.items()},
        **{f"{k}_cpu_s": round(v[1], 2) for k, v in med.items()},
    }
    for k in ("cold", "warm"):
        summary[f"{k}_wall_speed_up"] = round(med["other"][0] / med[k][0], 2)
        summary[f"{k}_cpu_speed_up"] = round(med["other"][1] / med[k][1], 2)
    print(
        f"median of {args.repeats}: other {med['other'][0]:.2f} s wall / {med['other'][1]:.2f} s CPU; this tree "
        f"cold {med['cold'][0]:.2f} / {med['cold'][1]:.2f} -> {summary['cold_wall_speed_up']}x faster (wall), "
        f"{summary['cold_cpu_speed_up']}x (CPU); warm {med['warm'][0]:.2f} / {med['warm'][1]:.2f} -> "
        f"{summary['warm_wall_speed_up']}x (wall), {summary['warm_cpu_speed_up']}x (CPU)"
    )
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--detector", default="xmass-i")
    parser.add_argument("--no-cache", action="store_true", help="quick/default without the on-disk cache")
    parser.add_argument("--against", metavar="PYTHON", help="interpreter of another exonu installation to compare")
    parser.add_argument("extra", nargs="*", help="options passed to exonu reproduce (after --; with --against)")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    compile_bytecode(SRC / "exonu")
    summary = this_against_other(args) if args.against else quick_against_default(args)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
