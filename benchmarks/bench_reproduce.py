"""Benchmark: CPU time of ``exonu reproduce --quick`` against the default ``exonu reproduce`` (issue 22 item 6).

Each run is a fresh interpreter (as the console script) writing into a temporary folder; its CPU time (user +
system, from ``getrusage`` of the finished child) is recorded. The two commands are interleaved, repeated
``--repeats`` times (default 2), on ``--detector`` (default xmass-i), and the ratio quick / default is printed
per repetition and for the medians: the target is at most 0.20. ``--no-cache`` runs both without the on-disk
cache of signal rates (``EXONU_NO_CACHE=1``: what a first run after an install or an edit costs); by default
the cache is used (warm after the first pair). BLAS is pinned to one thread. The last line is JSON.

Run: ``python benchmarks/bench_reproduce.py [--repeats 2] [--detector xmass-i] [--no-cache]`` (1–3 min a pair).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
RUN_CLI = "import sys; from exonu.cli import main; sys.exit(main(sys.argv[1:]))"


def cpu_seconds(argv: list[str], no_cache: bool) -> float:
    """CPU time (user + system, s) of one fresh interpreter running ``exonu argv``."""
    env = dict(os.environ, PYTHONPATH=str(SRC), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    if no_cache:
        env["EXONU_NO_CACHE"] = "1"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", RUN_CLI, *argv], env=env, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--detector", default="xmass-i")
    parser.add_argument("--no-cache", action="store_true", help="without the on-disk cache (EXONU_NO_CACHE=1)")
    args = parser.parse_args()
    times: dict[str, list[float]] = {"quick": [], "default": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            for mode in times:
                out = Path(tmp) / f"{mode}{i}"
                extra = ["--quick"] if mode == "quick" else []
                argv = ["reproduce", "--detector", args.detector, "--out", str(out), *extra]
                times[mode].append(cpu_seconds(argv, args.no_cache))
            print(
                f"pair {i + 1}: quick {times['quick'][-1]:.2f} s, default {times['default'][-1]:.2f} s CPU, "
                f"ratio {times['quick'][-1] / times['default'][-1]:.3f}",
                flush=True,
            )
    medians = {mode: statistics.median(t) for mode, t in times.items()}
    ratio = medians["quick"] / medians["default"]
    print(f"median: quick {medians['quick']:.2f} s, default {medians['default']:.2f} s CPU, ratio {ratio:.3f}")
    summary = {"detector": args.detector, "cache": not args.no_cache, "cpu_seconds": times, "median_ratio": ratio}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
