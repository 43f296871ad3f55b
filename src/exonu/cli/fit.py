"""`exonu fit`: one search on one or several detectors (fit, limits, significance).

With one ``--detector`` the search is :func:`exonu.searches.run_search`; with several it is
:func:`exonu.searches.run_joint_search` (one signal parameter, shared solar-flux normalisations) and the
output shows the combined result beside each detector's own.

Which options apply to which signal is decided by :func:`exonu.searches.search_spec` (its
:data:`~exonu.searches.SIGNALS` table): ``--mass-mev`` for the mediators, ``--charges`` for the light
vector, ``--chirality`` for NSI, ``--sign`` for NSI and the charge radius, ``--flavour`` for the millicharge,
the magnetic moment, NSI and the charge radius. Any other combination is a one-line error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from .atomic import add_atomic_arguments, atomic_settings_from_args
from .options import add_limit_arguments, add_statistic_argument, print_json

if TYPE_CHECKING:
    from . import OneLineArgumentParser

#: --flavour help: what one flavour means for each signal that takes it
FLAVOUR_HELP = (
    "flavour carrying the interaction (default: all three for the millicharge and the magnetic moment, "
    "e for NSI and the charge radius). millicharge: only ν_α is charged; magnetic-moment: only ν_α has "
    "the moment (the limit is then on μ_να, not on the common μ_ν, and no published common value is "
    "compared); nsi: ε^{eP}_αα; charge-radius: ⟨r²⟩_να. Refused for the mediators, whose charges fix "
    "the flavours"
)


def add_signal_arguments(p: argparse.ArgumentParser, *, mediators_only: bool = False) -> None:
    """The options that define a signal (shared by `exonu fit` and `exonu exclusion`)."""
    from ..searches import SIGNALS
    from ..xsec import CHARGE_SETS

    if not mediators_only:
        p.add_argument(
            "--signal",
            required=True,
            choices=sorted(SIGNALS),
            metavar="SIGNAL",
            help="signal model: "
            + "; ".join(f"{k}: {v.description}" for k, v in sorted(SIGNALS.items())).replace("%", "%%"),
        )
        p.add_argument(
            "--mass-mev",
            type=float,
            help="mediator mass in MeV (> 0; required for the mediator signals "
            "dark-photon, light-vector, axial-vector, scalar, pseudoscalar)",
        )
    p.add_argument(
        "--charges",
        choices=sorted(CHARGE_SETS),
        help="U(1) charge set of the light vector (--signal light-vector only; required there)",
    )
    if not mediators_only:
        p.add_argument(
            "--chirality",
            choices=["L", "R", "V"],
            help="NSI only: ε^{eL} alone, ε^{eR} alone, or vector ε^{eV} (ε^{eL} = ε^{eR} = ε^{eV}/2); default L",
        )
        p.add_argument(
            "--sign",
            choices=["positive", "negative"],
            help="NSI and charge radius only: the side of the (signed) parameter the one-sided limit is set "
            "on; default positive",
        )
        p.add_argument("--flavour", choices=["all", "e", "mu", "tau"], help=FLAVOUR_HELP)


def spec_from_args(args: argparse.Namespace, mass_mev: float | None = None) -> Any:
    """The :class:`~exonu.searches.SearchSpec` of the signal options (one-line InputError for bad ones)."""
    from ..searches import search_spec

    flavour = getattr(args, "flavour", None)
    options: dict[str, Any] = {}
    for name in ("chirality", "sign"):
        if getattr(args, name, None) is not None:
            options[name] = getattr(args, name)
    flavours = None if flavour is None else (("e", "mu", "tau") if flavour == "all" else (flavour,))
    return search_spec(
        args.signal,
        mass_mev=getattr(args, "mass_mev", None) if mass_mev is None else mass_mev,
        charges=args.charges,
        flavours=flavours,
        window=getattr(args, "window", None),
        **options,
        **atomic_settings_from_args(args),
    )


def add_parser(sub: argparse._SubParsersAction[OneLineArgumentParser]) -> None:
    from ..stats import MIN_BAND_TOYS

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
        type=int,
        default=200,
        help=f"toys for the expected ±1σ/±2σ band (default 200; 0: Asimov median only; "
        f"1 is refused, fewer than {MIN_BAND_TOYS} flagged)",
    )
    p.add_argument("--belt-toys", type=int, default=500, help="toys per grid point of the neyman/fc belt (default 500)")
    p.add_argument("--seed", type=int, default=0, help="seed of the toys (integer ≥ 0; default 0)")
    p.add_argument(
        "--report",
        type=Path,
        metavar="PATH",
        help="also write a self-contained report.html of the fit to PATH (one detector only)",
    )
    p.add_argument("--json", action="store_true", help="print JSON (default: a short summary)")
    p.set_defaults(func=cmd_fit)


def check_toy_options(args: argparse.Namespace) -> None:
    """``--seed`` ≥ 0 and ``--belt-toys`` ≥ 1 (shared by `exonu fit` and `exonu exclusion`)."""
    if args.seed < 0:
        raise InputError(f"--seed must be an integer ≥ 0; got {args.seed}")
    if args.belt_toys < 1:
        raise InputError(
            f"--belt-toys must be an integer ≥ 1 (toys per grid point of the neyman/fc belt); got {args.belt_toys}"
        )


def check_fit_options(args: argparse.Namespace) -> None:
    """Refuse option values no search can use, before loading anything."""
    check_toy_options(args)
    if len(args.detector) > 1:
        if args.window is not None:
            raise InputError(
                "--window names a window of one detector; a joint fit uses each detector's default "
                "window (drop --window)"
            )
        if args.report is not None:
            raise InputError(
                "--report writes the report of one detector's fit; a joint fit has none yet (drop "
                "--report, or fit one --detector)"
            )
    if args.report is not None:
        from ..fileio import check_output_file

        check_output_file(args.report)  # before the (slow) fit


def cmd_fit(args: argparse.Namespace) -> int:
    from ..output.fit_document import run_fit

    check_fit_options(args)
    spec = spec_from_args(args)
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
        # further search options (--atomic-*, --jobs) go here, as keyword arguments of run_search
    )
    document = run.document()
    for w in document["warnings"]:
        print(f"exonu: warning: [{w['code']}] {w['message']}", file=sys.stderr)
    if args.report is not None:
        run.write_report(args.report)
    if args.json:
        print_json(document)
        return 0
    print(run.summary())
    if args.report is not None:
        print(f"  wrote {args.report}")
    return 0
