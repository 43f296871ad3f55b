"""Benchmark: wall time of whole ``exonu`` commands with ``--jobs 1`` and ``--jobs 2`` (local processes).

Each case is run as a user runs it — a subprocess ``python -m exonu.cli …`` (start-up, model build, the
toy work, writing the output all included) — with BLAS pinned to one thread in the environment
(``OPENBLAS_NUM_THREADS=1`` …; the workers pin it themselves too). The two settings of a case are
interleaved (1, 2, then 2, 1, …) over ``--repeats`` rounds after one untimed warm-up run each (so the
on-disk cache of spectra and responses is warm for both); the medians and their ratio are printed, with the
median CPU seconds of all the command's processes (the command and its workers, from ``getrusage``). On a
machine whose other core is busy with other work the wall-clock ratio stays near 1; equal CPU seconds
then say that ``--jobs 2`` costs no extra work, so on two idle cores the parallel part would halve.

Cases:

* ``toys``: ``exonu toys --detector xenonnt-sr0 --signal magnetic-moment --n-toys 200`` into a fresh
  folder each time (nothing resumed);
* ``fit-band``: ``exonu fit --detector xenonnt-sr0 --signal magnetic-moment --toys N`` (Bayesian; the
  band and its nominal-auxiliary twin, in chunks of 200 toys, side by side);
* ``fit-neyman``: the same fit with ``--method neyman --toys 0`` (the belt: 12 grid points of
  ``--belt-toys`` toys).

Every timed run has its own ``--seed`` (the on-disk cache keeps a seeded fit band's toy limits, and would
otherwise answer the second run). The machine's load average is printed first and last: on a shared machine
only the ratio of one run means something. The run also checks that ``--jobs 2`` printed the same numbers
as ``--jobs 1``.

Run: ``python benchmarks/bench_jobs.py [--repeats 3] [--fit-toys 200] [--belt-toys 500] [--only toys]``.
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
import time
from pathlib import Path

PINNED = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
#: keys of a command's JSON that record the run (its time, its command line), not its numbers
RUN_RECORD = {"runtime_seconds", "provenance", "executor", "out", "folder", "run_folder", "seconds", "elapsed_seconds"}


def cases(fit_toys: int, belt_toys: int) -> dict[str, list[str]]:
    """The command line of each case (without ``--jobs``; ``{out}`` is replaced by a fresh folder)."""
    search = ["--detector", "xenonnt-sr0", "--signal", "magnetic-moment"]
    return {
        "toys": ["toys", *search, "--n-toys", "200", "--out", "{out}", "--json"],
        "fit-band": ["fit", *search, "--toys", str(fit_toys), "--json"],
        "fit-neyman": ["fit", *search, "--method", "neyman", "--toys", "0", "--belt-toys", str(belt_toys), "--json"],
    }


def children_cpu_s() -> float:
    """CPU seconds (user + system) of every finished child process and its own waited-for children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(argv: list[str], jobs: int, scratch: Path, seed: int) -> tuple[float, float, dict]:
    """Wall seconds, CPU seconds (the command and its workers) of one command, and its JSON output.

    ``seed`` is the command's ``--seed``: every timed run takes a new one, so that a fit's toy band is
    computed, not read from the on-disk cache (which keeps the toy limits of a seeded band).
    """
    out = tempfile.mkdtemp(dir=scratch)
    command = [sys.executable, "-m", "exonu.cli", *[a.replace("{out}", str(Path(out) / "run")) for a in argv]]
    command += ["--jobs", str(jobs), "--seed", str(seed)]
    cpu_before, start = children_cpu_s(), time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **PINNED}, check=False)
    seconds, cpu_s = time.perf_counter() - start, children_cpu_s() - cpu_before
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return seconds, cpu_s, json.loads(done.stdout)


def numbers(document: object) -> object:
    """The document without what records the run (time, paths, command line)."""
    if isinstance(document, dict):
        return {k: numbers(v) for k, v in document.items() if k not in RUN_RECORD}
    if isinstance(document, list):
        return [numbers(v) for v in document]
    return document


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min; {os.cpu_count()} CPUs)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each setting (default 3)")
    parser.add_argument(
        "--fit-toys", type=int, default=200, help="--toys of the fit-band case (default 200, the fit's own)"
    )
    parser.add_argument("--belt-toys", type=int, default=500, help="--belt-toys of the fit-neyman case (default 500)")
    parser.add_argument("--only", nargs="+", choices=["toys", "fit-band", "fit-neyman"], help="run these cases only")
    args = parser.parse_args()
    print(f"load average at start: {load_average()}")
    print("each figure: the median wall time of a whole `exonu` command (subprocess), BLAS on one thread\n")
    results = {}
    with tempfile.TemporaryDirectory(prefix="exonu-bench-jobs-") as scratch:
        for name, argv in cases(args.fit_toys, args.belt_toys).items():
            if args.only and name not in args.only:
                continue
            # warm-up, untimed, one seed for both settings: their numbers must agree
            outputs = {jobs: run_once(argv, jobs, Path(scratch), seed=1)[2] for jobs in (1, 2)}
            same = numbers(outputs[1]) == numbers(outputs[2])
            times: dict[int, list[float]] = {1: [], 2: []}
            cpu: dict[int, list[float]] = {1: [], 2: []}
            for repeat in range(args.repeats):
                for jobs in (1, 2) if repeat % 2 == 0 else (2, 1):
                    wall_s, cpu_s, _ = run_once(argv, jobs, Path(scratch), seed=2 + 2 * repeat + (jobs - 1))
                    times[jobs].append(wall_s)
                    cpu[jobs].append(cpu_s)
            one, two = statistics.median(times[1]), statistics.median(times[2])
            cpu_one, cpu_two = statistics.median(cpu[1]), statistics.median(cpu[2])
            results[name] = {
                "jobs1_s": one,
                "jobs2_s": two,
                "ratio": one / two,
                "jobs1_cpu_s": cpu_one,
                "jobs2_cpu_s": cpu_two,
                "same_numbers": same,
            }
            print(
                f"{name:<11} --jobs 1 {one:7.2f} s   --jobs 2 {two:7.2f} s   ratio {one / two:5.2f}   "
                f"CPU {cpu_one:6.2f} / {cpu_two:6.2f} s   same numbers: {same}   "
                f"({' '.join(argv).replace('{out}', 'DIR')})"
            )
            print(
                f"{'':<11} runs: --jobs 1 {[round(t, 2) for t in times[1]]}, --jobs 2 {[round(t, 2) for t in times[2]]}"
            )
    print(f"\nload average at end: {load_average()}")
    print(json.dumps({"cases": results, "repeats": args.repeats}))


if __name__ == "__main__":
    main()
