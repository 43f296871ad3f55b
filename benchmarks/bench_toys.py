"""Benchmark: per-toy cost of a fit and a limit before and after the batched Newton solve, and toy
throughput with 1 and 2 Dask workers.

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
* ``throughput_1`` / ``throughput_dask_1`` / ``throughput_2``: toys per second of a whole ``exonu toys``
  unit (fit, limit, q₀, stored) through :func:`exonu.parallel.run_toys` in-process, on a ``LocalCluster``
  of 1 worker process and of 2 (``--jobs 2``); the cluster is started and its workers warmed up (model built)
  before the clock starts, so the figure is the steady state a long run sees. ``cpu_per_toy_1/2``
  add up the CPU time of every process involved (the command and each worker); on a machine shared
  with other work the wall-clock speed-up says little, while ``speedup_2_workers_idle_cores``
  = 2 × cpu_per_toy_1 / cpu_per_toy_2 is what two idle cores would give (the overhead of Dask,
  transfers and the store included). ``--dask-defaults`` adds the same 1- and 2-worker runs on local
  clusters with Dask's default worker settings instead of exonu's ``LOCAL_CLUSTER_CONFIG`` (what a
  ``--scheduler`` cluster started without them gets: glibc's malloc trimming made every toy ≈ 45 %
  dearer there); ``--throughput-only`` skips everything but the throughput runs.

Per-toy costs are CPU times of this process (BLAS on one thread: the cost on an idle core), with
the wall times beside them (``*_wall``); throughputs are wall-clock (the ``exonu toys`` units use
the new path). Every result is printed as a table (before, after, ratio) and, last, one JSON line.
``--save FILE`` writes that JSON; ``--compare FILE`` adds a saved run's "after" column.

Run: ``python benchmarks/bench_toys.py [--toys 200] [--throughput-toys 400] [--chunk-size 25]`` (needs
``pip install '.[distributed]'``). Other processes on the machine distort the figures: check
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
from exonu.parallel import DaskExecutor, ModelDescription, WorkUnit, make_executor, run_toys, run_unit
from exonu.parallel.units import likelihood_ratio_statistic
from exonu.searches import SearchSpec
from exonu.stats import batched_best_fit, fit, generate_toys, limits_for_toys

DESCRIPTION = ModelDescription(("xmass-i",), SearchSpec("magnetic_moment_mub", "magnetic-moment"))
#: the glibc variable Dask's nanny sets in its workers (see exonu.parallel.executor.LOCAL_CLUSTER_CONFIG)
TRIM = "MALLOC_TRIM_THRESHOLD_"


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


def _worker_cpu_seconds(executor) -> float:
    """CPU seconds used so far by every worker process (0 for the in-process executor)."""
    client = getattr(executor, "client", None)
    return sum(client.run(time.process_time).values()) if client is not None else 0.0


def dask_default_cluster(jobs: int) -> DaskExecutor:
    """A local cluster like ``--jobs N``'s but with Dask's default worker settings (not exonu's
    ``LOCAL_CLUSTER_CONFIG``): what a ``--scheduler`` cluster started without them gets."""
    from distributed import Client, LocalCluster

    before = os.environ.get(TRIM)
    cluster = LocalCluster(
        n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    )
    # the nanny writes its pre-spawn variables into this process's environment, from which every
    # cluster started later would inherit them: restore it
    if before is None:
        os.environ.pop(TRIM, None)
    else:
        os.environ[TRIM] = before
    return DaskExecutor(Client(cluster), cluster)


def throughput(
    jobs: int, n_toys: int, chunk_size: int, seed: int, local_cluster: bool = False, dask_defaults: bool = False
) -> tuple[float, float, float]:
    """Toys per second (wall clock) of `exonu toys` units with ``jobs`` workers after a warm-up run,
    the CPU milliseconds per toy of all processes involved (this one and the workers), and the same
    less the CPU those processes burn while idle (heartbeats, event loops) over the run's wall time,
    measured over 3 idle seconds after the run. ``dask_defaults``: on :func:`dask_default_cluster`."""
    executor = dask_default_cluster(jobs) if dask_defaults else make_executor(jobs, local_cluster=local_cluster)
    folder = Path(tempfile.mkdtemp(prefix="exonu-bench-"))
    try:
        # warm-up: every worker imports exonu and builds the model once
        run_toys(
            DESCRIPTION,
            n_toys=2 * jobs * chunk_size,
            seed=seed + 1,
            out=folder / "warm",
            chunk_size=chunk_size,
            executor=executor,
            progress=False,
        )
        cpu0, workers0, start = time.process_time(), _worker_cpu_seconds(executor), time.perf_counter()
        run_toys(
            DESCRIPTION,
            n_toys=n_toys,
            seed=seed,
            out=folder / "run",
            chunk_size=chunk_size,
            executor=executor,
            progress=False,
        )
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu0 + _worker_cpu_seconds(executor) - workers0
        cpu0, workers0 = time.process_time(), _worker_cpu_seconds(executor)
        time.sleep(3.0)
        idle_rate = (time.process_time() - cpu0 + _worker_cpu_seconds(executor) - workers0) / 3.0
        return n_toys / wall, 1e3 * cpu / n_toys, 1e3 * max(cpu - idle_rate * wall, 0.0) / n_toys
    finally:
        executor.close()
        shutil.rmtree(folder, ignore_errors=True)


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
    parser.add_argument(
        "--dask-defaults",
        action="store_true",
        help="also run 1 and 2 workers on local clusters with Dask's default worker settings",
    )
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
    for jobs in (1, 2):
        (result[f"throughput_{jobs}"], result[f"cpu_per_toy_{jobs}"], result[f"busy_cpu_per_toy_{jobs}"]) = throughput(
            jobs, args.throughput_toys, args.chunk_size, args.seed
        )
    result["speedup_2_workers"] = result["throughput_2"] / result["throughput_1"]
    # the same local cluster with one worker: the 1 → 2 worker scaling of Dask itself (the in-process
    # run above has no scheduler, no transfers and no Dask worker at all)
    (result["throughput_dask_1"], result["cpu_per_toy_dask_1"], result["busy_cpu_per_toy_dask_1"]) = throughput(
        1, args.throughput_toys, args.chunk_size, args.seed, local_cluster=True
    )
    result["speedup_dask_1_to_2_workers"] = result["throughput_2"] / result["throughput_dask_1"]
    # on two idle cores the 2-worker speed-up is 2 × (CPU per toy in-process / CPU per toy on Dask);
    # the idle burn of the Dask processes grows with the wall time, i.e. with the load of the machine
    result["speedup_2_workers_idle_cores"] = 2 * result["cpu_per_toy_1"] / result["cpu_per_toy_2"]
    result["speedup_2_workers_idle_cores_busy_cpu"] = 2 * result["busy_cpu_per_toy_1"] / result["busy_cpu_per_toy_2"]
    if args.dask_defaults:
        # last: Dask's default settings on the same local clusters (1 and 2 workers), for comparison
        for jobs, key in ((1, "dask_defaults_1"), (2, "dask_defaults_2")):
            (result[f"throughput_{key}"], result[f"cpu_per_toy_{key}"], result[f"busy_cpu_per_toy_{key}"]) = throughput(
                jobs, args.throughput_toys, args.chunk_size, args.seed, dask_defaults=True
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
        ("throughput, 1 worker in-process [toys/s]", "throughput_1"),
        ("throughput, 1 Dask worker [toys/s]", "throughput_dask_1"),
        ("throughput, 2 Dask workers [toys/s]", "throughput_2"),
        ("2-worker speed-up over in-process", "speedup_2_workers"),
        ("2-worker speed-up over 1 Dask worker", "speedup_dask_1_to_2_workers"),
        ("CPU per toy, 1 worker [ms, all processes]", "cpu_per_toy_1"),
        ("CPU per toy, 1 Dask worker [ms, all processes]", "cpu_per_toy_dask_1"),
        ("CPU per toy, 2 workers [ms, all processes]", "cpu_per_toy_2"),
        ("2-worker speed-up on idle cores (from CPU)", "speedup_2_workers_idle_cores"),
        ("  the same without idle burn", "speedup_2_workers_idle_cores_busy_cpu"),
        ("throughput, 1 worker, Dask defaults [toys/s]", "throughput_dask_defaults_1"),
        ("throughput, 2 workers, Dask defaults [toys/s]", "throughput_dask_defaults_2"),
        ("CPU per toy, 1 worker, Dask defaults [ms]", "cpu_per_toy_dask_defaults_1"),
        ("CPU per toy, 2 workers, Dask defaults [ms]", "cpu_per_toy_dask_defaults_2"),
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
    print(
        f"load average (1 min) at start/end: {result['load_average_1min']:.1f} / {result['load_average_1min_end']:.1f} "
        f"on {result['cpus']} cores"
    )
    if args.save:
        args.save.write_text(json.dumps(result, indent=2))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
