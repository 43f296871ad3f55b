"""`exonu toys`: a toy ensemble of one search as seeded work units (in-process or on Dask), resumable."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .options import (
    add_statistic_argument,
    bounded_int,
    check_toy_plan,
    jobs_count,
    output_path,
    print_json,
    resolve_statistic,
    toy_count,
)

if TYPE_CHECKING:
    from ..parallel import ModelDescription
    from . import OneLineArgumentParser


def add_search_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments that say which search a toy run evaluates (shared with `exonu scan`)."""
    p.add_argument(
        "--detector",
        required=True,
        action="append",
        help="packaged detector name (see `exonu detectors`) or TOML path; repeat for a joint fit",
    )
    p.add_argument("--signal", required=True, choices=["millicharge", "magnetic-moment", "dark-photon"])
    p.add_argument(
        "--flavour", default="all", choices=["all", "e", "mu", "tau"], help="flavour(s) carrying the millicharge"
    )
    p.add_argument("--window", help="analysis window of the detector (default: the paper's, or the only one)")
    add_statistic_argument(p)
    p.add_argument("--seed", type=int, default=0, help="run seed (≥ 0); with the unit keys it fixes every toy")
    p.add_argument(
        "--out", type=output_path, required=True, help="run folder: stored units, summary.json (a rerun resumes)"
    )
    p.add_argument(
        "--chunk-size", type=bounded_int(1, 1_000_000), default=25, help="toys per work unit (default 25; ≤ 1e6)"
    )
    p.add_argument("--fixed-aux", action="store_true", help="hold the auxiliary measurements at nominal in the toys")
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--jobs", type=jobs_count, default=1, help="local worker processes (1: in-process, no Dask needed; ≤ 4 × CPUs)"
    )
    where.add_argument("--scheduler", help="address of a running Dask scheduler (default: $EXONU_SCHEDULER)")
    p.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, default=None, help="progress bar (default: on a terminal)"
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")


def model_description(args: argparse.Namespace, mass_mev: float | None) -> ModelDescription:
    """The picklable description of the search named by the arguments."""
    from ..parallel import ModelDescription, resolve_detector
    from ..parallel.units import load_detector_cached
    from ..searches import SearchSpec

    resolve_statistic(args, [load_detector_cached(resolve_detector(d)) for d in args.detector])

    flavours = ("e", "mu", "tau") if args.flavour == "all" else (args.flavour,)
    spec = SearchSpec(args.signal, args.signal, window=args.window, flavours=flavours, mass_mev=mass_mev)
    return ModelDescription(tuple(resolve_detector(d) for d in args.detector), spec, args.statistic)


def units_line(summary: dict[str, Any]) -> str:
    """ "units: N computed, M reused" of a toys or scan summary, with the partial files a killed run left."""
    removed = summary["partial_files_removed"]
    note = f" ({removed} partial file(s) of a killed run removed)" if removed else ""
    return f"units: {summary['units_computed']} computed, {summary['units_reused']} reused{note}"


def run_on_executor(
    args: argparse.Namespace, run: Callable[..., dict[str, Any]], description: ModelDescription, **options: Any
) -> dict[str, Any]:
    """``run(description, executor=…, progress=…, **options)`` on the executor that ``--jobs`` /
    ``--scheduler`` name (closed afterwards, whatever happens); the summary records which it was."""
    from ..parallel import make_executor

    executor = make_executor(args.jobs, args.scheduler)
    try:
        summary = run(description, executor=executor, progress=args.progress, **options)
    finally:
        executor.close()
    summary["executor"] = executor.description
    return summary


def add_parser(sub: argparse._SubParsersAction[OneLineArgumentParser]) -> None:
    p = sub.add_parser("toys", help="toy ensemble of one search: every toy's limit and fit, stored and resumable")
    add_search_arguments(p)
    p.add_argument("--mass-mev", type=float, help="dark-photon mass in MeV (--signal dark-photon)")
    p.add_argument("--n-toys", type=toy_count(), required=True, help="number of toys (≤ 1e7)")
    p.add_argument(
        "--alpha",
        type=float,
        default=0.0,
        help="true signal strength of the toys (default 0: background only; > 0 reports the coverage)",
    )
    p.add_argument("--method", choices=["bayesian", "plr"], default="bayesian", help="90 %% CL limit of each toy")
    p.set_defaults(func=cmd_toys)


def cmd_toys(args: argparse.Namespace) -> int:
    from ..parallel import run_toys

    check_toy_plan(args.n_toys, args.chunk_size)
    description = model_description(args, args.mass_mev)
    description.build()  # a bad search fails before any cluster is started
    summary = run_on_executor(
        args,
        run_toys,
        description,
        n_toys=args.n_toys,
        seed=args.seed,
        out=args.out,
        alpha=args.alpha,
        method=args.method,
        chunk_size=args.chunk_size,
        fluctuate_aux=not args.fixed_aux,
    )
    if args.json:
        print_json(summary)
    else:
        u = summary["unit"]
        lo1, hi1 = summary["band_1sigma"] or (float("nan"),) * 2
        lo2, hi2 = summary["band_2sigma"] or (float("nan"),) * 2
        print(
            f"{args.n_toys} toys ({summary['n_failed']} failed), {args.method} 90 % CL limits: median "
            f"{summary['median'] or float('nan'):.3g} {u}, ±1σ [{lo1:.3g}, {hi1:.3g}], ±2σ [{lo2:.3g}, {hi2:.3g}]"
        )
        print(f"  {units_line(summary)}; store: {os.path.join(str(args.out), summary['store'])}", file=sys.stdout)
    return 0
