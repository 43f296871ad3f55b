"""`exonu exclusion`: observed and expected coupling limits versus mediator mass, on one or several detectors.

The scan is :func:`exonu.searches.exclusion.run_exclusion` (its module docstring says what each mass's
search is). Results go to ``DIR/exclusion.json`` and ``DIR/exclusion.png``, each written atomically after
the output folder was checked.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from .executors import add_executor_arguments, executor_from_args
from .options import (
    MAX_MASSES,
    add_belt_toys_argument,
    add_limit_arguments,
    add_statistic_argument,
    bounded_int,
    output_path,
    print_json,
    resolve_belt_seed,
    resolve_statistic,
)
from .signals import add_signal_arguments, spec_from_args

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np
    from matplotlib.figure import Figure

    from ..searches.exclusion import ExclusionScan
    from . import OneLineArgumentParser

#: Files written into --out
JSON_FILE = "exclusion.json"
FIGURE_FILE = "exclusion.png"
#: Mass range (MeV) of --n-masses without --mass-range: 1 keV to 1 GeV, as exonu.searches.mediators.mediator_masses
DEFAULT_MASS_RANGE_MEV = (1e-3, 1e3)
#: Number of masses without --masses-mev or --n-masses (two per decade over the default range)
DEFAULT_N_MASSES = 13


def add_parser(sub: argparse._SubParsersAction[OneLineArgumentParser]) -> None:
    from .vocabulary import MEDIATORS

    p = sub.add_parser("exclusion")
    add_executor_arguments(p, scheduler=False)  # --jobs N: masses on N local processes
    p.add_argument(
        "--detector",
        required=True,
        action="append",
        help="packaged detector name or TOML path; repeat for a joint fit at each mass",
    )
    p.add_argument("--signal", required=True, choices=list(MEDIATORS), help="mediator family (coupling g = g_ν = g_e)")
    add_signal_arguments(p, mediators_only=True)
    p.add_argument(
        "--masses-mev",
        type=float,
        nargs="+",
        metavar="M",
        help="mediator masses in MeV (> 0), instead of --n-masses/--mass-range",
    )
    p.add_argument(
        "--n-masses",
        type=bounded_int(2, MAX_MASSES),
        help=f"number of log-spaced masses (2 to {MAX_MASSES}; default {DEFAULT_N_MASSES}) over --mass-range",
    )
    p.add_argument(
        "--mass-range",
        type=float,
        nargs=2,
        metavar=("LO", "HI"),
        help="lowest and highest mass in MeV (default 1e-3 1e3)",
    )
    add_limit_arguments(p)
    add_statistic_argument(p)
    add_belt_toys_argument(p)
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of the neyman/fc belt toys (integer ≥ 0; default 0; neyman/fc only)",
    )
    p.add_argument("--out", type=output_path, required=True, help="output folder for exclusion.json and exclusion.png")
    p.add_argument("--json", action="store_true", help="also print exclusion.json on stdout")
    p.set_defaults(func=cmd_exclusion)


def masses_from_args(args: argparse.Namespace) -> np.ndarray:
    """The mediator masses (MeV) of ``--masses-mev`` or ``--n-masses``/``--mass-range``."""
    import numpy as np

    from ..searches.mediators import mediator_masses
    from ..xsec import checks

    if args.masses_mev is not None:
        if args.n_masses is not None or args.mass_range is not None:
            raise InputError("give either --masses-mev or --n-masses/--mass-range, not both")
        if len(args.masses_mev) > MAX_MASSES:
            raise InputError(f"--masses-mev lists {len(args.masses_mev)} masses; at most {MAX_MASSES}")
        masses = np.array([checks.mediator_mass_mev(m) for m in args.masses_mev])
        if len(np.unique(masses)) != masses.size:
            raise InputError(f"--masses-mev lists a mass twice: {args.masses_mev}")
        return np.sort(masses)
    return mediator_masses(
        DEFAULT_N_MASSES if args.n_masses is None else args.n_masses, *mass_range_mev(args.mass_range)
    )


def mass_range_mev(given: Sequence[float] | None) -> tuple[float, float]:
    """``--mass-range LO HI`` (MeV) checked, or :data:`DEFAULT_MASS_RANGE_MEV` if not given (exclusion, contour)."""
    low, high = DEFAULT_MASS_RANGE_MEV if given is None else given
    if not 0 < low < high < math.inf:
        raise InputError(f"--mass-range LO HI must satisfy 0 < LO < HI (MeV, finite); got {low:g} {high:g}")
    return low, high


def exclusion_figure(scan: ExclusionScan, document: dict[str, Any]) -> Figure:
    """The exclusion curve (observed solid, expected dashed); per-detector curves too for a joint fit."""
    import matplotlib.pyplot as plt

    from .. import __version__
    from ..output.figures_models import exclusion_curves_figure

    label = " + ".join(s.name for s in scan.setups)
    curves = {f"{label} (combined)" if scan.joint else label: [p.result for p in scan.points]}
    if scan.joint:
        for s in scan.setups:
            curves[s.name] = [p.per_detector[s.name] for p in scan.points]
    title = f"{scan.spec.model}" + (f" ({scan.spec.charges})" if scan.spec.charges else "") + f": {label}"
    caption = (
        f"{document['method']}; {document['test_statistic']}; threshold {document['threshold']}; "
        f"{document['sided']}-sided; {document['statistic']} statistic; CL {document['cl']:g}; "
        f"expected = Asimov median; exonu {__version__}"
    )
    fig, ax = plt.subplots(figsize=(7.0, 5.0))
    exclusion_curves_figure(curves, ax=ax, title=title, cl=document["cl"], caption=caption)
    return fig


def cmd_exclusion(args: argparse.Namespace) -> int:

    import matplotlib

    matplotlib.use("Agg")
    from tqdm import tqdm

    from ..config import load_detector
    from ..fileio import check_writable_dir
    from ..output import to_jsonable
    from ..output.serialize import write_json_and_png
    from ..searches.exclusion import run_exclusion
    from .fit import check_toy_options

    resolve_belt_seed(args)
    check_toy_options(args)
    check_writable_dir(args.out)  # before the (slow) scan
    specs = [spec_from_args(args, mass_mev=float(m)) for m in masses_from_args(args)]  # all checked up front
    setups = [load_detector(d) for d in args.detector]
    resolve_statistic(args, setups)
    with executor_from_args(args) as executor:  # each mass is independent: the same points for any --jobs
        scan = run_exclusion(
            setups,
            specs,
            method=args.method,
            statistic=args.statistic,
            cl=args.cl,
            seed=args.seed,
            belt_toys=args.belt_toys,
            mapper=executor.map,
            progress=lambda done: tqdm(
                done, desc="exonu exclusion", unit="mass", total=len(specs), disable=None, file=sys.stderr
            ),
        )
    document = to_jsonable(scan.document())
    fig = exclusion_figure(scan, document)
    write_json_and_png(args.out, JSON_FILE, document, FIGURE_FILE, fig)
    if args.json:
        print_json(document)
    else:
        signal = scan.spec.model + (" " + scan.spec.charges if scan.spec.charges else "")
        detectors = " + ".join(document["detectors"])
        print(f"{signal} on {detectors}: {args.cl:.0%} CL limits on g ({args.method}, {args.statistic})")
        print(f"  {'mass [MeV]':>11} {'observed':>11} {'expected':>11}")
        for p in scan.points:
            print(f"  {p.mass_mev:>11.4g} {p.result.observed:>11.3g} {p.result.expected:>11.3g}")
        print(f"wrote {args.out / JSON_FILE} and {args.out / FIGURE_FILE}")
    return 0
