"""`exonu fit`: one search on one or several detectors (fit, limits, significance).

With one ``--detector`` the search is :func:`exonu.searches.run_search`; with several it is
:func:`exonu.searches.run_joint_search` (one signal parameter, shared solar-flux normalisations) and the
output shows the combined result beside each detector's own.

Which options apply to which signal is decided by :func:`exonu.searches.search_spec` (its
:data:`~exonu.searches.SIGNALS` table): ``--mass-mev`` for the mediators, ``--charges`` for the light
vector, ``--chirality`` for NSI, ``--sign`` for NSI and the charge radius, ``--flavour`` for the millicharge,
the magnetic moment, NSI and the charge radius. Any other combination is a one-line error.

``--jobs N`` / ``--scheduler ADDRESS`` run the fit's independent toy work on N local processes or a Dask
cluster: the grid points of a neyman/fc belt and the expected bands' chunks of 200 toys (the band and the
band with the auxiliary measurements at nominal run together; :func:`exonu.searches.run.parallel_work`);
the numbers do not depend on where they ran. When the fit has no such work (``--toys 0`` and no belt) the
option is not ignored silently: one ``exonu: note:`` line on stderr says so and the fit runs in this
process (a script that passes ``--jobs`` to every command keeps working; nothing is started).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from .atomic import add_atomic_arguments
from .executors import add_executor_arguments, executor_from_args
from .options import (
    add_belt_toys_argument,
    add_limit_arguments,
    add_statistic_argument,
    human_text,
    print_json,
    resolve_belt_toys,
    toy_count,
)
from .signals import add_signal_arguments, spec_from_args

if TYPE_CHECKING:
    from . import OneLineArgumentParser


def add_parser(sub: argparse._SubParsersAction[OneLineArgumentParser]) -> None:
    from .vocabulary import MIN_BAND_TOYS

    p = sub.add_parser("fit", help="one search on one or several detectors: fit, limits, significance (JSON)")
    p.add_argument(
        "--detector",
        required=True,
        action="append",
        help="packaged detector name (see `exonu detectors`) or TOML path; repeat for a joint fit of "
        "several detectors (shared solar-flux normalisations)",
    )
    add_signal_arguments(p)
    p.add_argument(
        "--window", help="analysis window of the detector (default: the paper's, or the only one; one detector only)"
    )
    p.add_argument(
        "--data",
        action="append",
        metavar="[DETECTOR=]PATH",
        help="binned data file; default the detector's data, else Asimov background-only. With several "
        "detectors write DETECTOR=PATH (repeatable, once per detector)",
    )
    p.add_argument(
        "--interval",
        choices=["upper", "two-sided"],
        default="upper",
        help="also compute the two-sided profile-likelihood interval, Δχ² = χ²₁(cl) (2.706 at 90 %%)",
    )
    add_limit_arguments(p)
    add_statistic_argument(p)
    add_atomic_arguments(p)
    p.add_argument(
        "--toys",
        type=toy_count(0),
        default=200,
        help=f"toys for the expected ±1σ/±2σ band (default 200; 0: Asimov median only; "
        f"1 is refused, fewer than {MIN_BAND_TOYS} flagged)",
    )
    add_belt_toys_argument(p)
    p.add_argument("--seed", type=int, default=0, help="seed of the toys (integer ≥ 0; default 0)")
    add_executor_arguments(p)  # the belt's grid points and the bands' chunks of 200 toys, side by side
    p.add_argument(
        "--report",
        type=Path,
        metavar="PATH",
        help="also write a self-contained report.html of the fit to PATH (a joint fit's: the combined limit, then "
        "each detector)",
    )
    p.add_argument("--json", action="store_true", help="print JSON (default: a short summary)")
    p.set_defaults(func=cmd_fit)


def check_toy_options(args: argparse.Namespace) -> None:
    """``--seed`` ≥ 0 and ``--belt-toys`` only with a belt method (shared by `exonu fit` and `exonu exclusion`)."""
    if args.seed < 0:
        raise InputError(f"--seed must be an integer ≥ 0; got {args.seed}")
    resolve_belt_toys(args)


def check_fit_options(args: argparse.Namespace) -> None:
    """Refuse option values no search can use, before loading anything."""
    check_toy_options(args)
    if len(args.detector) > 1 and args.window is not None:
        raise InputError(
            "--window names a window of one detector; a joint fit uses each detector's default window (drop --window)"
        )
    if args.report is not None:
        from ..fileio import check_output_file

        check_output_file(args.report)  # before the (slow) fit


def nothing_parallel_note(args: argparse.Namespace) -> str | None:
    """The one-line note for ``--jobs N > 1`` or ``--scheduler`` on a fit with no independent toy work, else None."""
    from ..searches.run import BAND_CHUNK_TOYS, parallel_work

    if (args.jobs == 1 and not args.scheduler) or parallel_work(args.method, args.toys) is not None:
        return None
    flag = f"--jobs {args.jobs}" if args.jobs > 1 else "--scheduler"
    why = "no toys and no belt" if args.toys == 0 else f"its bands run one chunk of ≤ {BAND_CHUNK_TOYS} toys at a time"
    return (
        f"exonu: note: {flag} has nothing to run side by side in this fit (--method {args.method} --toys "
        f"{args.toys}: {why}); it runs in this process"
    )


def cmd_fit(args: argparse.Namespace) -> int:
    from ..output.fit_document import run_fit

    check_fit_options(args)
    spec = spec_from_args(args)
    note = nothing_parallel_note(args)
    with executor_from_args(args) as executor:  # checks --jobs/--scheduler/--tls-*; starts at the first piece
        if note is not None:
            print(note, file=sys.stderr)
        run = run_fit(
            args.detector,
            spec,
            data=args.data,
            statistic=args.statistic,
            method=args.method,
            n_toys=args.toys,
            seed=args.seed,
            cl=args.cl,
            interval=args.interval == "two-sided",
            neyman_toys=args.belt_toys,
            # the toy work: on the chosen back end (the same numbers for any --jobs), or here if it is one piece
            mapper=map if note is not None else executor.map,
            # further search options (--atomic-*) go here, as keyword arguments of run_search
        )
    document = run.document()
    for w in document["warnings"]:
        print(f"exonu: warning: [{w['code']}] {w['message']}", file=sys.stderr)
    if args.report is not None:
        run.write_report(args.report)
    if args.json:
        print_json(document)
        return 0
    print(human_text(run.summary()))
    if args.report is not None:
        print(f"  wrote {args.report}")
    return 0
