"""`exonu exclusion`: observed and expected coupling limits versus mediator mass, on one or several detectors.

For each mass the search is the one of `exonu fit` at that mass: :func:`exonu.searches.run_search` on one
detector (the same call :func:`exonu.searches.mediators.exclusion_curve` makes, with the recoil spectrum
and its flux kernels shared across masses), or :func:`exonu.searches.run_joint_search` on several
(its combined result; each detector's own limit is recorded beside it). The expected limit is the
limit on background-only Asimov data (the median). Results go to ``DIR/exclusion.json`` and
``DIR/exclusion.png``, each written atomically after the output folder was checked.
"""

from __future__ import annotations

import argparse
import functools
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import __version__
from ..errors import InputError
from ..searches.spec import MEDIATORS
from .executors import add_executor_arguments, executor_from_args
from .fit import add_signal_arguments, check_toy_options, spec_from_args
from .options import add_limit_arguments, add_statistic_argument, print_json, resolve_statistic

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..detector import DetectorSetup
    from ..searches import SearchResult, SearchSpec
    from ..spectrum import RecoilSpectrum
    from . import OneLineArgumentParser

#: Files written into --out
JSON_FILE = "exclusion.json"
FIGURE_FILE = "exclusion.png"
#: Mass range (MeV) of --n-masses without --mass-range: 1 keV to 1 GeV, as exonu.searches.mediators.mediator_masses
DEFAULT_MASS_RANGE_MEV = (1e-3, 1e3)
#: Number of masses without --masses-mev or --n-masses (two per decade over the default range)
DEFAULT_N_MASSES = 13


def add_parser(sub: argparse._SubParsersAction[OneLineArgumentParser]) -> None:
    p = sub.add_parser("exclusion", help="coupling limits versus mediator mass (observed and expected), JSON + PNG")
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
        "--n-masses", type=int, help=f"number of log-spaced masses (≥ 2; default {DEFAULT_N_MASSES}) over --mass-range"
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
    p.add_argument("--belt-toys", type=int, default=500, help="toys per grid point of the neyman/fc belt (default 500)")
    p.add_argument("--seed", type=int, default=0, help="seed of the neyman/fc belt toys (integer ≥ 0; default 0)")
    p.add_argument("--out", type=Path, required=True, help="output folder for exclusion.json and exclusion.png")
    p.add_argument("--json", action="store_true", help="also print exclusion.json on stdout")
    p.set_defaults(func=cmd_exclusion)


def masses_from_args(args: argparse.Namespace) -> np.ndarray:
    """The mediator masses (MeV) of ``--masses-mev`` or ``--n-masses``/``--mass-range``."""
    from ..searches.mediators import mediator_masses
    from ..xsec import checks

    if args.masses_mev is not None:
        if args.n_masses is not None or args.mass_range is not None:
            raise InputError("give either --masses-mev or --n-masses/--mass-range, not both")
        masses = np.array([checks.mediator_mass_mev(m) for m in args.masses_mev])
        if len(np.unique(masses)) != masses.size:
            raise InputError(f"--masses-mev lists a mass twice: {args.masses_mev}")
        return np.sort(masses)
    low, high = args.mass_range if args.mass_range is not None else DEFAULT_MASS_RANGE_MEV
    return mediator_masses(DEFAULT_N_MASSES if args.n_masses is None else args.n_masses, low, high)


@dataclass
class MassPoint:
    """The limits at one mediator mass: the fit (combined for several detectors) and each detector's own."""

    mass_mev: float
    result: Any
    per_detector: dict[str, SearchResult] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "mass_mev": self.mass_mev,
            "observed": self.result.observed,
            "expected": self.result.expected,
            "best_fit": self.result.best_fit,
            "significance_sigma": self.result.significance_sigma,
            "converged": bool(self.result.limit_result.converged),
        }
        if self.per_detector:
            d["per_detector"] = {
                name: {"observed": r.observed, "expected": r.expected, "best_fit": r.best_fit}
                for name, r in self.per_detector.items()
            }
        return d


def limits_at_mass(
    setups: list[DetectorSetup], spec: SearchSpec, args: argparse.Namespace, spectrum: RecoilSpectrum
) -> MassPoint:
    """Observed and Asimov-expected limits at ``spec.mass_mev`` on one detector or jointly on several."""
    options: dict[str, Any] = dict(
        method=args.method,
        statistic=args.statistic,
        n_toys=0,
        seed=args.seed,
        cl=args.cl,
        spectrum=spectrum,
        fixed_aux_band=False,
        neyman_toys=args.belt_toys,
    )
    # spec.mass_mev is float | None in general; here it is set: cmd_exclusion builds every spec with mass_mev=float(m)
    if len(setups) == 1:
        from ..searches import run_search

        return MassPoint(spec.mass_mev, run_search(setups[0], spec, None, **options))  # type: ignore[arg-type]
    from ..searches import run_joint_search

    joint = run_joint_search(setups, spec, None, **options)
    return MassPoint(spec.mass_mev, joint.combined, dict(joint.detectors))  # type: ignore[arg-type]


@functools.cache
def process_spectrum() -> RecoilSpectrum:
    """This process's one recoil spectrum: its flux kernels are built once per process, not per mass."""
    from ..spectrum import RecoilSpectrum

    return RecoilSpectrum()


def limits_at_mass_task(task: tuple[list[DetectorSetup], SearchSpec, argparse.Namespace]) -> MassPoint:
    """:func:`limits_at_mass` of one (setups, spec, args) task, for the --jobs back end."""
    setups, spec, args = task
    return limits_at_mass(setups, spec, args, process_spectrum())


def exclusion_document(
    setups: list[DetectorSetup], spec: SearchSpec, points: list[MassPoint], args: argparse.Namespace
) -> dict[str, Any]:
    """``exclusion.json``: every mass with its limits, and how they were made."""
    prov = points[0].result.provenance
    return {
        "exonu_version": __version__,
        "signal": spec.model,
        "charges": spec.charges,
        "parameter": spec.parameter,
        "unit": spec.unit,
        "detectors": [s.name for s in setups],
        "config_sha256": {s.name: s.config_hash for s in setups},
        "data": {s.name: data_source(s, window) for s, window in windows_of(setups, points[0]).items()},
        "method": args.method,
        "test_statistic": prov.get("test_statistic"),
        "threshold": prov.get("threshold"),
        "cl": args.cl,
        "sided": prov.get("sided"),
        "statistic": args.statistic,
        "calculator": prov.get("calculator"),
        "n_toys": prov.get("n_toys"),
        "seed": args.seed,
        "expected": "limit on background-only Asimov data (median)",
        "joint": len(setups) > 1,
        "masses": [p.as_dict() for p in points],
    }


def windows_of(setups: list[DetectorSetup], point: MassPoint) -> dict[DetectorSetup, str]:
    """Each detector's analysis window in a scan (the same at every mass)."""
    if len(setups) == 1:
        return {setups[0]: point.result.window}
    return {s: point.per_detector[s.name].window for s in setups}


def data_source(setup: DetectorSetup, window: str) -> str:
    """What the limits of ``setup`` were computed on: its own data set, else Asimov (simulated)."""
    if setup.window(window).data_counts is not None:
        return "the detector's data set"
    return "Asimov background-only data (SIMULATED)"


def exclusion_figure(
    setups: list[DetectorSetup], spec: SearchSpec, points: list[MassPoint], document: dict[str, Any]
) -> Figure:
    """The exclusion curve (observed solid, expected dashed); per-detector curves too for a joint fit."""
    import matplotlib.pyplot as plt

    from ..output.figures_models import exclusion_curves_figure

    label = " + ".join(s.name for s in setups)
    curves = {f"{label} (combined)" if len(setups) > 1 else label: [p.result for p in points]}
    if len(setups) > 1:
        for s in setups:
            curves[s.name] = [p.per_detector[s.name] for p in points]
    title = f"{spec.model}" + (f" ({spec.charges})" if spec.charges else "") + f": {label}"
    caption = (
        f"{document['method']}; {document['test_statistic']}; threshold {document['threshold']}; "
        f"{document['sided']}-sided; {document['statistic']} statistic; CL {document['cl']:g}; "
        f"expected = Asimov median; exonu {__version__}"
    )
    fig, ax = plt.subplots(figsize=(7.0, 5.0))
    exclusion_curves_figure(curves, ax=ax, title=title, cl=document["cl"], caption=caption)
    return fig


def cmd_exclusion(args: argparse.Namespace) -> int:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from tqdm import tqdm

    from ..fileio import atomic_write_bytes, atomic_write_text, check_writable_dir
    from ..io import load_detector
    from ..output import to_jsonable
    from ..output.serialize import dumps

    check_toy_options(args)
    check_writable_dir(args.out)  # before the (slow) scan
    masses = masses_from_args(args)
    specs = [spec_from_args(args, mass_mev=float(m)) for m in masses]  # every mass's options checked up front
    setups = [load_detector(d) for d in args.detector]
    resolve_statistic(args, setups)
    names = [s.name for s in setups]
    for n in names:
        if names.count(n) > 1:
            raise InputError(f"detector {n!r} is given {names.count(n)} times; give each detector once")
    with executor_from_args(args) as executor:  # each mass is independent: the same points for any --jobs
        tasks = [(setups, spec, args) for spec in specs]
        bar = dict(desc="exonu exclusion", unit="mass", disable=None, file=sys.stderr, total=len(specs))
        points = list(tqdm(executor.map(limits_at_mass_task, tasks), **bar))
    document = to_jsonable(exclusion_document(setups, specs[0], points, args))
    fig = exclusion_figure(setups, specs[0], points, document)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=130)
    plt.close(fig)
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out / JSON_FILE, dumps(document))
    atomic_write_bytes(args.out / FIGURE_FILE, buffer.getvalue())
    if args.json:
        print_json(document)
    else:
        print(
            f"{specs[0].model}{' ' + specs[0].charges if specs[0].charges else ''} on {' + '.join(names)}: "
            f"{args.cl:.0%} CL limits on g ({args.method}, {args.statistic})"
        )
        print(f"  {'mass [MeV]':>11} {'observed':>11} {'expected':>11}")
        for p in points:
            print(f"  {p.mass_mev:>11.4g} {p.result.observed:>11.3g} {p.result.expected:>11.3g}")
        print(f"wrote {args.out / JSON_FILE} and {args.out / FIGURE_FILE}")
    return 0
