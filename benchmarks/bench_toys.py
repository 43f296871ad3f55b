"""Benchmark: per-toy cost of a fit and a limit before and after the batched Newton solve, and toy
throughput with ``--jobs 1`` and ``--jobs 2`` (local processes).

On the XMASS-I magnetic-moment search (99 bins, 27 nuisances, the paper's χ²), with BLAS pinned to
one thread, each figure measured in the same run for the old path ("before") and the new one
("after"), with the accuracy of the new one against the old:

* ``fit_ms``: the best fit of every toy — before: :func:`exonu.stats.fit` toy by toy; after: one
  :func:`exonu.stats.batched_best_fit` over the ensemble; ``fit_max_dchi2``: the largest difference
  of the χ² minima;
* ``limit_bayesian_ms`` / ``limit_plr_ms``: one 90 % CL toy limit (:func:`exonu.stats.limits_for_toys`)
  per toy — before: the ladder engine with 48 profile points; after: ``engine="newton"`` with 16;
  ``*_max_rel_dev``: the largest relative difference of the limits;
* ``belt_toy_ms`` / ``background_toy_ms``: one toy of an ``exonu scan`` unit — drawn at a belt point
  and tested there, or background-only and tested on a 50-point coupling grid; before: a fit and a
  profile scan per toy (:func:`exonu.parallel.units.likelihood_ratio_statistic`); after:
  :func:`exonu.parallel.run_unit` (:func:`exonu.stats.belt_statistic` over the unit's toys); from them
  ``cpu_hours_dark_photon_belt``: a full dark-photon belt of 50 masses × 50 couplings × 10⁴ toys plus
  10⁴ background toys per mass;
* ``xenonnt_jobs1_s`` / ``xenonnt_jobs2_s``: wall seconds of a 200-toy ``exonu toys`` run on
  ``xenonnt-sr0`` with ``--jobs 1`` and ``--jobs 2`` once the model is built (the back end started,
  every unit run and stored, the summary written), interleaved over ``--rounds`` rounds, with their
  ratio per round; ``local_startup_2_workers_s``: two local worker processes started and their first
  items back;
* ``throughput_1`` / ``throughput_2``: toys per second of whole ``exonu toys`` units through
  :func:`exonu.parallel.run_toys` in-process and on 2 local processes (``--jobs 2``) after a warm-up;
  ``cpu_per_toy_1/2`` add up the CPU time of every process over the executor's life; on a machine shared
  with other work the wall-clock speed-up says little, while ``speedup_2_workers_idle_cores``
  = 2 × cpu_per_toy_1 / cpu_per_toy_2 is what two idle cores would give. ``--dask`` adds the same on a
  local Dask cluster; ``--throughput-only`` skips the per-toy costs.

Per-toy costs are CPU times of this process (BLAS on one thread: the cost on an idle core), with
the wall times beside them (``*_wall``); throughputs are wall-clock (the ``exonu toys`` units use
the new path). Every result is printed as a table (before, after, ratio) and, last, one JSON line.
``--save FILE`` writes that JSON; ``--compare FILE`` adds a saved run's "after" column.

Run: ``python benchmarks/bench_toys.py [--toys 200] [--throughput-toys 400] [--chunk-size 25]`` (``--dask``
needs ``pip install '.[distributed]'``). Other processes on the machine distort the figures: check
``uptime`` first.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from exonu import __version__
from exonu.parallel import ModelDescription, WorkUnit, executor_for, run_toys, run_unit
from exonu.parallel.units import likelihood_ratio_statistic
from exonu.searches import SearchSpec
from exonu.stats import batched_best_fit, fit, generate_toys, limits_for_toys

DESCRIPTION = ModelDescription(("xmass-i",), SearchSpec("magnetic_moment_mub", "magnetic-moment"))


def per_toy_costs(n_toys: int, seed: int) -> dict:
    """Milliseconds per toy of a fit and of a limit, before and after (best of 3 over the same toys)."""
    model, _ = DESCRIPTION.build()
    toys = generate_toys(model, n_toys, alpha=0.0, seed=seed)
    models = [toys.model(model, i) for i in range(n_toys)]
    results = {}

    def keep(key, work):
        def run():
            results[key] = work()

        return run

    out = {}
    with threadpool_limits(limits=1):
        out.update(timed("fit_ms_before", keep("fit_before", lambda: [fit(m) for m in models]), n_toys, repeat=3))
        out.update(
            timed(
                "fit_ms",
                keep("fit_after", lambda: batched_best_fit(model, "chi2", toys.data, toys.centres)),
                n_toys,
                repeat=3,
            )
        )
        for method in ("bayesian", "plr"):
            name = f"limit_{method}_ms"
            out.update(
                timed(
                    f"{name}_before",
                    keep(f"{method}_before", lambda: limits_for_toys(model, toys, method, progress=False)),
                    n_toys,
                    repeat=3,
                )
            )
            out.update(
                timed(
                    name,
                    keep(
                        f"{method}_after",
                        lambda: limits_for_toys(model, toys, method, n_grid=16, engine="newton", progress=False),
                    ),
                    n_toys,
                    repeat=3,
                )
            )
            out[f"{name}_max_rel_dev"] = float(
                np.nanmax(np.abs(results[f"{method}_after"] / results[f"{method}_before"] - 1))
            )
    out["fit_max_dchi2"] = float(np.max(np.abs(results["fit_after"].f - [r.chi2 for r in results["fit_before"]])))
    return out


def unit_before(unit: WorkUnit) -> np.ndarray:
    """The scan unit's t(α) as computed before the batched statistic: one fit and one profile scan per toy."""
    model, _ = unit.description.build()
    grid = np.asarray(unit.alpha_grid, dtype=float)
    alpha = 0.0 if unit.kind == "background" else float(grid[unit.coupling_index])
    points = grid if unit.kind == "background" else grid[unit.coupling_index : unit.coupling_index + 1]
    toys = generate_toys(model, unit.n_toys, alpha=alpha, seed=unit.seed, fluctuate_aux=unit.fluctuate_aux)
    rows = []
    for i in range(unit.n_toys):
        m = toys.model(model, i)
        f = fit(m)
        rows.append(
            likelihood_ratio_statistic(m, f.alpha, f.chi2 if f.converged else np.nan, points, "chi2", unit.ordering)
        )
    return np.array(rows)


def timed(name: str, work, n_items: int, repeat: int = 1) -> dict:
    """Best-of-``repeat`` CPU time (``name``) and wall time (``name`` + "_wall") per item, in ms.

    With BLAS on one thread the process's CPU time is what the work costs on an idle core; the wall
    time also counts the waits for a core that other processes on a busy machine cause.
    """
    cpu, wall = [], []
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        work()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return {name: 1e3 * min(cpu) / n_items, f"{name}_wall": 1e3 * min(wall) / n_items}


def scan_unit_costs(n_toys: int, seed: int) -> dict:
    """Milliseconds per toy of a belt unit (one grid point) and of a background unit (50 points)."""
    grid = tuple(np.linspace(0.2, 10.0, 50).tolist())
    belt = WorkUnit("belt", DESCRIPTION, 0, 25, 0, 0, n_toys, seed, alpha_grid=grid)
    background = WorkUnit("background", DESCRIPTION, 0, 0, 0, 0, n_toys, seed, alpha_grid=grid)
    out = {}
    with threadpool_limits(limits=1):
        run_unit(WorkUnit("belt", DESCRIPTION, 0, 0, 0, 0, 1, seed, alpha_grid=grid))  # model built outside the clock
        for name, unit in (("belt_toy_ms", belt), ("background_toy_ms", background)):
            out.update(timed(f"{name}_before", lambda: unit_before(unit), n_toys))
            out.update(timed(name, lambda: run_unit(unit), n_toys))
            t_after = run_unit(unit)["t"].reshape(n_toys, -1)
            out[f"{name}_max_dt"] = float(np.nanmax(np.abs(t_after - unit_before(unit))))
    toys_per_point, masses, couplings = 10_000, 50, 50
    out["cpu_hours_dark_photon_belt"] = (
        masses * couplings * toys_per_point * out["belt_toy_ms"] + masses * toys_per_point * out["background_toy_ms"]
    ) / 3.6e6
    return out


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its children that have ended (local workers, once the pool is closed)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def throughput(jobs: int, n_toys: int, chunk_size: int, seed: int, dask: bool = False) -> tuple[float, float]:
    """Toys per second (wall clock) of `exonu toys` units with ``jobs`` workers after a warm-up run
    (the workers started and the model built), and CPU ms per toy of every process involved over the
    executor's whole life (start-up and warm-up included). ``dask``: a local Dask cluster instead of
    the local processes of ``--jobs N``."""
    cpu0 = _cpu_seconds()
    executor = executor_for(jobs, dask_local=dask)
    folder = Path(tempfile.mkdtemp(prefix="exonu-bench-"))
    warm = 2 * jobs * chunk_size
    try:
        DESCRIPTION.build()  # as the command does before its workers start
        run_toys(DESCRIPTION, n_toys=warm, seed=seed + 1, out=folder / "warm", chunk_size=chunk_size, executor=executor)
        start = time.perf_counter()
        run_toys(DESCRIPTION, n_toys=n_toys, seed=seed, out=folder / "run", chunk_size=chunk_size, executor=executor)
        wall = time.perf_counter() - start
    finally:
        executor.close()
        shutil.rmtree(folder, ignore_errors=True)
    return n_toys / wall, 1e3 * (_cpu_seconds() - cpu0) / (n_toys + warm)


def jobs_comparison(n_toys: int, rounds: int) -> dict[str, object]:
    """``exonu toys --detector xenonnt-sr0 --signal magnetic-moment --n-toys N`` with ``--jobs 1`` and
    ``--jobs 2`` as the command runs it once the model is built (start the back end, run every unit,
    store, summarise), interleaved ``rounds`` times; and the start-up of two local workers (first items back)."""
    from exonu.searches import search_spec

    description = ModelDescription(("xenonnt-sr0",), search_spec("magnetic-moment"))
    description.build()
    start = time.perf_counter()
    with executor_for(2) as executor:
        list(executor.map(abs, [1, 2]))
    startup = time.perf_counter() - start
    walls: dict[int, list[float]] = {1: [], 2: []}
    for r in range(rounds):
        for jobs in (1, 2):
            folder = Path(tempfile.mkdtemp(prefix="exonu-bench-"))
            try:
                start = time.perf_counter()
                with executor_for(jobs) as executor:
                    run_toys(description, n_toys=n_toys, seed=r, out=folder, executor=executor, progress=False)
                walls[jobs].append(time.perf_counter() - start)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
    return {
        "xenonnt_toys": n_toys,
        "local_startup_2_workers_s": startup,
        "xenonnt_jobs1_s": walls[1],
        "xenonnt_jobs2_s": walls[2],
        "xenonnt_jobs2_over_jobs1": [b / a for a, b in zip(walls[1], walls[2], strict=True)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--toys", type=int, default=200, help="toys for the per-toy costs")
    parser.add_argument("--throughput-toys", type=int, default=400, help="toys for each throughput run")
    parser.add_argument("--chunk-size", type=int, default=25)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--label", default="current")
    parser.add_argument("--save", type=Path, help="write the JSON result here")
    parser.add_argument("--compare", type=Path, help="a saved JSON result to print side by side")
    parser.add_argument(
        "--throughput-only", action="store_true", help="skip the per-toy costs: only the throughput runs"
    )
    parser.add_argument("--dask", action="store_true", help="also run 1 and 2 workers on a local Dask cluster")
    parser.add_argument("--xenonnt-toys", type=int, default=200, help="toys of the --jobs 1 / --jobs 2 comparison")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of that comparison")
    args = parser.parse_args()

    result = {
        "label": args.label,
        "exonu_version": __version__,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_1min": os.getloadavg()[0],
        "blas": sorted({f"{i['internal_api']} {i.get('version')}" for i in threadpool_info()}),
        "n_toys": args.toys,
        "throughput_toys": args.throughput_toys,
        "chunk_size": args.chunk_size,
    }
    if not args.throughput_only:
        result.update(per_toy_costs(args.toys, args.seed))
        result.update(scan_unit_costs(args.toys, args.seed))
    result.update(jobs_comparison(args.xenonnt_toys, args.rounds))
    for jobs in (1, 2):
        result[f"throughput_{jobs}"], result[f"cpu_per_toy_{jobs}"] = throughput(
            jobs, args.throughput_toys, args.chunk_size, args.seed
        )
    result["speedup_2_workers"] = result["throughput_2"] / result["throughput_1"]
    # on two idle cores the 2-worker speed-up is 2 × (CPU per toy in-process / CPU per toy with 2 workers)
    result["speedup_2_workers_idle_cores"] = 2 * result["cpu_per_toy_1"] / result["cpu_per_toy_2"]
    if args.dask:
        for jobs in (1, 2):
            result[f"throughput_dask_{jobs}"], result[f"cpu_per_toy_dask_{jobs}"] = throughput(
                jobs, args.throughput_toys, args.chunk_size, args.seed, dask=True
            )
    result["load_average_1min_end"] = os.getloadavg()[0]

    compared = [
        ("fit per toy [CPU ms]", "fit_ms"),
        ("Bayesian limit per toy [CPU ms]", "limit_bayesian_ms"),
        ("PLR limit per toy [CPU ms]", "limit_plr_ms"),
        ("belt toy, 1 point [CPU ms]", "belt_toy_ms"),
        ("background toy, 50 points [CPU ms]", "background_toy_ms"),
    ]
    accuracy = [
        ("fit: max |Δχ²_min|", "fit_max_dchi2"),
        ("Bayesian limits: max relative deviation", "limit_bayesian_ms_max_rel_dev"),
        ("PLR limits: max relative deviation", "limit_plr_ms_max_rel_dev"),
        ("belt toy: max |Δt|", "belt_toy_ms_max_dt"),
        ("background toy: max |Δt|", "background_toy_ms_max_dt"),
    ]
    rows = [
        ("full dark-photon belt [CPU h]", "cpu_hours_dark_photon_belt"),
        ("start-up of 2 local workers [s]", "local_startup_2_workers_s"),
        ("throughput, in-process (--jobs 1) [toys/s]", "throughput_1"),
        ("throughput, 2 local processes (--jobs 2) [toys/s]", "throughput_2"),
        ("2-worker speed-up over in-process", "speedup_2_workers"),
        ("CPU per toy, --jobs 1 [ms, all processes]", "cpu_per_toy_1"),
        ("CPU per toy, --jobs 2 [ms, all processes]", "cpu_per_toy_2"),
        ("2-worker speed-up on idle cores (from CPU)", "speedup_2_workers_idle_cores"),
        ("throughput, 1 Dask worker [toys/s]", "throughput_dask_1"),
        ("throughput, 2 Dask workers [toys/s]", "throughput_dask_2"),
        ("CPU per toy, 2 Dask workers [ms]", "cpu_per_toy_dask_2"),
    ]
    other = json.loads(args.compare.read_text()) if args.compare else None
    print(f"{'':44s}{'before':>12s}{args.label:>12s}{'speed-up':>10s}" + (f"{other['label']:>12s}" if other else ""))
    if not args.throughput_only:
        for name, key in compared:
            before, after = result[f"{key}_before"], result[key]
            print(
                f"{name:44s}{before:12.3f}{after:12.3f}{before / after:10.2f}"
                + (f"{other[key]:12.3f}" if other else "")
            )
        print("accuracy of the new path against the old:")
        for name, key in accuracy:
            print(f"  {name:42s}{result[key]:12.3g}")
    for name, key in (row for row in rows if row[1] in result):
        print(
            f"{name:44s}{'':12s}{result[key]:12.3f}" + (f"{'':10s}{other[key]:12.3f}" if other and key in other else "")
        )
    for jobs in (1, 2):
        walls = ", ".join(f"{w:.2f}" for w in result[f"xenonnt_jobs{jobs}_s"])
        print(f"xenonnt-sr0, {result['xenonnt_toys']} toys, --jobs {jobs} [s, interleaved rounds]: {walls}")
    ratios = ", ".join(f"{r:.2f}" for r in result["xenonnt_jobs2_over_jobs1"])
    print(f"  ratio --jobs 2 / --jobs 1 per round: {ratios}")
    print(
        f"load average (1 min) at start/end: {result['load_average_1min']:.1f} / {result['load_average_1min_end']:.1f} "
        f"on {result['cpus']} cores"
    )
    if args.save:
        args.save.write_text(json.dumps(result, indent=2))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
