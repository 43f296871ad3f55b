"""Benchmark: CPU time of short ``exonu`` commands, from process start to exit (what a user waits for).

Each command runs in a fresh interpreter (``python -c "from exonu.cli import main; ..."``, as the console
script does) and its CPU time (user + system, from ``getrusage`` of the finished child) is recorded;
the commands are interleaved, repeated ``--repeats`` times (default 7), and the medians printed, beside
``python -c pass`` (the interpreter alone). Commands:

* ``exonu --help``, ``exonu detectors``, ``exonu fit --help`` and ``exonu toys --help`` (target: under 0.2 s of
  CPU: a command's own parser imports none of the library);
* ``exonu spectrum --signal magnetic-moment --mu-bohr 1e-11 --energies-kev 1 5 10`` (three numbers of physics).

``--compare-src DIR`` runs the same commands, interleaved in the same run, with ``DIR`` (another checkout's
``src``) first on ``PYTHONPATH`` and prints the ratio: the only meaningful comparison on a loaded machine.
BLAS is pinned to one thread. The last line is JSON.

Run: ``python benchmarks/bench_startup.py [--repeats 7] [--compare-src ../other/src]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
COMMANDS = {
    "python -c pass": None,
    "exonu --help": ["--help"],
    "exonu detectors": ["detectors"],
    "exonu fit --help": ["fit", "--help"],
    "exonu toys --help": ["toys", "--help"],
    "exonu spectrum (3 energies)": [
        "spectrum",
        "--signal",
        "magnetic-moment",
        "--mu-bohr",
        "1e-11",
        "--energies-kev",
        "1",
        "5",
        "10",
    ],
}
RUN_CLI = "import sys; from exonu.cli import main; sys.exit(main(sys.argv[1:]))"


def cpu_seconds(argv: list[str] | None, src: Path) -> float:
    """CPU time (user + system, s) of one fresh interpreter running ``exonu argv`` with ``src`` on the path."""
    env = dict(os.environ, PYTHONPATH=str(src), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # read compiled bytecode (main() compiles it), as an installation does
    command = [sys.executable, "-c", "pass"] if argv is None else [sys.executable, "-c", RUN_CLI, *argv]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--compare-src", type=Path, help="another source tree, timed interleaved with this one")
    args = parser.parse_args()
    trees = {"this": SRC} | ({"compare": args.compare_src.resolve()} if args.compare_src else {})
    for src in trees.values():  # compile the bytecode once, as an installation has it
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(src / "exonu")], check=True)
    times: dict[str, dict[str, list[float]]] = {t: {c: [] for c in COMMANDS} for t in trees}
    for _ in range(args.repeats):
        for name, argv in COMMANDS.items():
            for tree, src in trees.items():
                times[tree][name].append(cpu_seconds(argv, src))
    medians = {t: {c: statistics.median(v) for c, v in per.items()} for t, per in times.items()}
    header = f"{'command':32s} {'CPU s (median)':>15s}" + (
        f" {'compare':>9s} {'ratio':>7s}" if args.compare_src else ""
    )
    print(f"CPU time per command, median of {args.repeats} interleaved runs, BLAS on one thread")
    print(header)
    for name in COMMANDS:
        line = f"{name:32s} {medians['this'][name]:15.3f}"
        if args.compare_src:
            other = medians["compare"][name]
            line += f" {other:9.3f} {other / medians['this'][name]:6.1f}×"
        print(line)
    print(json.dumps({"repeats": args.repeats, "cpu_s_median": medians}))


if __name__ == "__main__":
    main()
