"""`exonu toys`: a toy ensemble of any search as seeded, verified work units (local processes or Dask), resumable."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from .executors import add_executor_arguments, executor_from_args
from .options import (
    add_belt_toys_argument,
    add_limit_arguments,
    add_statistic_argument,
    bounded_int,
    check_toy_plan,
    display_unit,
    human_text,
    output_path,
    print_json,
    resolve_belt_toys,
    resolve_statistic,
    toy_count,
)
from .signals import add_signal_arguments, spec_from_args

if TYPE_CHECKING:
    from ..parallel import ModelDescription
    from ..parallel.executor import Executor
    from . import OneLineArgumentParser


def add_search_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments that say which search a toy run evaluates (shared with `exonu scan`): every signal
    of `exonu fit`, on one detector or jointly on several."""
    p.add_argument(
        "--detector",
        required=True,
        action="append",
        help="packaged detector name (see `exonu detectors`) or TOML path; repeat for a joint fit",
    )
    add_signal_arguments(p)
    p.add_argument("--window", help="analysis window of the detector (default: the paper's, or the only one)")
    add_statistic_argument(p)
    p.add_argument("--seed", type=int, default=0, help="run seed (≥ 0); with the unit keys it fixes every toy")
    p.add_argument(
        "--out",
        type=output_path,
        required=True,
        help="run folder: verified stored units, summary.json (a rerun resumes)",
    )
    p.add_argument(
        "--chunk-size", type=bounded_int(1, 1_000_000), default=25, help="toys per work unit (default 25; ≤ 1e6)"
    )
    p.add_argument("--fixed-aux", action="store_true", help="hold the auxiliary measurements at nominal in the toys")
    add_belt_toys_argument(p)
    add_executor_arguments(p)
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="phase lines and a progress bar (default: when stdout is a terminal)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")


def detector_words(args: argparse.Namespace) -> list[str]:
    """The --detector arguments as run.json records them (files as absolute paths)."""
    from ..parallel.store import resolve_detector

    return [resolve_detector(d) for d in args.detector]


def check_out_folder(args: argparse.Namespace, command: str, **settings: Any) -> None:
    """Refuse a --out folder holding another run before anything heavy is loaded (one line, exit 2)."""
    from ..parallel.store import check_folder, command_settings

    check_folder(args.out, command_settings(command, detector_words(args), args.signal, **settings))


def model_description(args: argparse.Namespace, mass_mev: float | None) -> ModelDescription:
    """The picklable description of the search named by the arguments."""
    from ..parallel import ModelDescription
    from ..parallel.units import load_detector_cached

    words = detector_words(args)
    resolve_statistic(args, [load_detector_cached(d) for d in words])
    spec = spec_from_args(args, mass_mev)
    return ModelDescription(tuple(words), spec, args.statistic)


def units_line(summary: dict[str, Any]) -> str:
    """ "units: N computed, M reused" of a toys or scan summary, with the partial files a killed run left."""
    removed = summary["partial_files_removed"]
    replaced = len(summary.get("units_replaced", ()))
    note = f" ({removed} partial file(s) of a killed run removed)" if removed else ""
    note += f" ({replaced} stored file(s) not of this run recomputed)" if replaced else ""
    return f"units: {summary['units_computed']} computed, {summary['units_reused']} reused{note}"


def warn_replaced(summary: dict[str, Any]) -> None:
    """One warning line per stored file that was not this run's unit (it was recomputed)."""
    for line in summary.get("units_replaced", ()):
        print(f"exonu: warning: {line}", file=sys.stderr)


def phase(args: argparse.Namespace, text: str) -> None:
    """A phase line on stderr, when progress is shown (a terminal, or --progress)."""
    from ..parallel.progress import phase_line

    phase_line(text, args.progress)


def run_on_executor(
    args: argparse.Namespace, run: Any, description: ModelDescription, **options: Any
) -> dict[str, Any]:
    """``run(description, executor=…, progress=…, **options)`` on the back end of ``--jobs`` /
    ``--scheduler`` (stopped afterwards, whatever happens); the summary records which it was."""
    executor: Executor
    with executor_from_args(args) as executor:
        summary: dict[str, Any] = run(description, executor=executor, progress=args.progress, **options)
        summary["executor"] = executor.description
    warn_replaced(summary)
    return summary


def add_parser(sub: argparse._SubParsersAction[OneLineArgumentParser]) -> None:
    p = sub.add_parser("toys", help="toy ensemble of any search: every toy's limit and fit, stored and resumable")
    add_search_arguments(p)
    p.add_argument(
        "--n-toys",
        type=toy_count(),
        required=True,
        help="number of toys (≤ 1e7; rerun with more, same seed: the ensemble grows)",
    )
    p.add_argument(
        "--alpha",
        type=float,
        default=0.0,
        help="true signal strength of the toys (default 0: background only; > 0 reports the coverage)",
    )
    add_limit_arguments(p)  # --method (every method of exonu fit) and --cl
    p.set_defaults(func=cmd_toys)


def cmd_toys(args: argparse.Namespace) -> int:
    from ..parallel import run_toys

    check_toy_plan(args.n_toys, args.chunk_size)
    resolve_belt_toys(args)
    check_out_folder(
        args,
        "toys",
        method=args.method,
        seed=args.seed,
        alpha=args.alpha,
        chunk_size=args.chunk_size,
        fluctuate_aux=not args.fixed_aux,
        cl=args.cl,
    )
    phase(args, f"toys: loading {', '.join(args.detector)} and building the {args.signal} model")
    description = model_description(args, None)
    phase(args, f"toys: {args.n_toys} toys of {description.spec.key}, {args.method} limits")
    summary = run_on_executor(
        args,
        run_toys,
        description,
        n_toys=args.n_toys,
        seed=args.seed,
        out=args.out,
        alpha=args.alpha,
        method=args.method,
        cl=args.cl,
        belt_toys=args.belt_toys,
        chunk_size=args.chunk_size,
        fluctuate_aux=not args.fixed_aux,
    )
    if args.json:
        print_json(summary)
    else:
        u = display_unit(summary["unit"])
        lo1, hi1 = summary["band_1sigma"] or (float("nan"),) * 2
        lo2, hi2 = summary["band_2sigma"] or (float("nan"),) * 2
        print(
            human_text(
                f"{args.n_toys} toys ({summary['n_failed']} failed), {args.method} {args.cl:.0%} CL limits: median "
                f"{summary['median'] or float('nan'):.3g} {u}, ±1σ [{lo1:.3g}, {hi1:.3g}], ±2σ [{lo2:.3g}, {hi2:.3g}]"
            )
        )
        print(f"  {units_line(summary)}; store: {args.out}/{summary['store']}")
    return 0
