"""`exonu contour`: the confidence region of a signal in two of its parameters (JSON + PNG).

The library call is :func:`exonu.searches.contour.confidence_region` on the
:func:`~exonu.searches.contour.region_problem` of the detectors and the signal, or for a mediator
:func:`exonu.searches.contour.mediator_region` (coupling g and mass, one column per mass); the figure is
:func:`exonu.output.figures_contour.region_figure` (for a mediator
:func:`~exonu.output.figures_contour.mediator_region_figure`). Results go to ``DIR/region.json`` and
``DIR/region.png``, written atomically after the output folder was checked.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import InputError
from .exclusion import mass_range_mev
from .executors import add_executor_arguments, executor_from_args
from .options import (
    MAX_MASSES,
    add_cl_argument,
    add_statistic_argument,
    bounded_int,
    output_path,
    print_json,
    resolve_statistic,
)
from .signals import add_charges_argument, add_flavour_argument, add_signal_argument
from .vocabulary import CHARGE_SETS, MEDIATORS

if TYPE_CHECKING:
    from ..searches.contour import ConfidenceRegion
    from . import OneLineArgumentParser

T = TypeVar("T")

#: The signals with a two-parameter region (exonu.searches.contour.REGION_PARAMETERS; a test checks it)
REGION_SIGNALS = ("nsi", "charge-radius", "magnetic-moment", "millicharge", *MEDIATORS)
#: The mediators: their region is in the coupling g and the mass (the CLI vocabulary's; a test checks it)
MEDIATOR_SIGNALS = MEDIATORS
#: The light vector's charge sets: the CLI vocabulary's (exonu.xsec.CHARGE_SETS as literals; a test checks it)
CHARGE_SET_CHOICES = CHARGE_SETS
#: Masses of a mediator's region without --n-masses (four per decade over the default --mass-range)
DEFAULT_N_MASSES = 25
#: Points per axis of the expected region's grid without --expected-grid (not for mediators)
DEFAULT_EXPECTED_GRID = 21
#: Files written into --out
JSON_FILE = "region.json"
FIGURE_FILE = "region.png"
#: Toys per toy-grid point of --method fc without --toys
DEFAULT_TOYS = 100
#: Upper bounds of the grid sizes (each point of the final grid is one profile fit: 1001² ≈ 1e6 fits) and
#: of the toys per toy-grid point (MAX_TOY_GRID² × MAX_CONTOUR_TOYS = 4e7 fits at the bound)
MAX_GRID = 1001
MAX_TOY_GRID = 41
MAX_CONTOUR_TOYS = 25_000

#: Each signal's parameter names, for --help (tests check it against exonu.searches.contour.REGION_PARAMETERS)
PARAMS_HELP = (
    "two parameters of the signal. nsi: eps_l, eps_r (ε^{eL}, ε^{eR} of the --flavour flavour, default e), "
    "eps_v_e, eps_v_mu, eps_v_tau (vector ε^{eV}_{αα}); charge-radius: r2_e, r2_mu, r2_tau (⟨r²⟩ in cm²); "
    "magnetic-moment: mu_e, mu_mu, mu_tau (μ_B); millicharge: q_e, q_mu, q_tau (e); "
    "dark-photon, light-vector, axial-vector, scalar, pseudoscalar: g, mass_mev (the coupling g = g_ν = g_e "
    "and the mediator mass in MeV, in either order; both on log axes)"
)


def add_parser(sub: argparse._SubParsersAction[OneLineArgumentParser]) -> None:
    p = sub.add_parser("contour", help="confidence region of a signal in two of its parameters (JSON + PNG)")
    p.add_argument(
        "--detector",
        required=True,
        action="append",
        help="packaged detector name or TOML path; repeat for a joint fit (shared solar-flux normalisations)",
    )
    add_signal_argument(p, REGION_SIGNALS, describe=False)
    p.add_argument("--params", required=True, nargs=2, metavar=("P1", "P2"), help=PARAMS_HELP)
    add_flavour_argument(p, "nsi eps_l/eps_r only: the flavour α of ε_αα (the other parameters name their flavour)")
    add_charges_argument(p)
    p.add_argument(
        "--mass-range",
        type=float,
        nargs=2,
        metavar=("LO", "HI"),
        help="mediators: lowest and highest mass in MeV of the log mass axis (default 1e-3 1e3, as `exonu exclusion`)",
    )
    p.add_argument(
        "--n-masses",
        type=bounded_int(3, MAX_MASSES),
        help=f"mediators: masses on the mass axis, one grid column each (3 to {MAX_MASSES}; "
        f"default {DEFAULT_N_MASSES})",
    )
    p.add_argument("--window", help="analysis window (default: the paper's, or the only one; one detector only)")
    p.add_argument("--data", action="append", metavar="[DETECTOR=]PATH", help="binned data file, as for `exonu fit`")
    add_cl_argument(p)
    p.add_argument(
        "--method",
        choices=["wilks", "fc"],
        default="wilks",
        help="wilks: region Δχ² ≤ χ²₂ quantile (4.605 at 90%%); fc: threshold from --toys toys at each "
        "point of a --toy-grid × --toy-grid grid (Feldman–Cousins ordering, nuisances profiled)",
    )
    p.add_argument(
        "--toys",
        type=bounded_int(10, MAX_CONTOUR_TOYS),
        help=f"fc: toys per toy-grid point (10 to {MAX_CONTOUR_TOYS}; default {DEFAULT_TOYS})",
    )
    p.add_argument(
        "--toy-grid",
        type=bounded_int(3, MAX_TOY_GRID),
        default=9,
        help=f"fc: toy-grid points per axis (3 to {MAX_TOY_GRID}; default 9)",
    )
    p.add_argument(
        "--grid",
        type=bounded_int(11, MAX_GRID),
        default=61,
        help=f"points per axis of the final grid (mediators: of the coupling axis; 11 to {MAX_GRID}; default 61)",
    )
    p.add_argument(
        "--expected-grid",
        type=bounded_int(0, MAX_GRID),
        help="points per axis of the expected region's grid (background-only Asimov data, the same threshold; "
        f"7 to {MAX_GRID}, at most --grid; 0: none; default {DEFAULT_EXPECTED_GRID}; not for mediators)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the fc toys (integer ≥ 0; default 0)")
    add_executor_arguments(p)  # fc: where the toys of the toy-grid points run; mediators: the mass columns too
    add_statistic_argument(p)
    p.add_argument("--out", type=output_path, required=True, help="output folder for region.json and region.png")
    p.add_argument("--json", action="store_true", help="print the JSON document (default: a short summary)")
    p.set_defaults(func=cmd_contour)


def check_options(args: argparse.Namespace) -> None:
    """Refuse option values no region can use, before loading anything."""
    if args.seed < 0:
        raise InputError(f"--seed must be an integer ≥ 0; got {args.seed}")
    mediator = args.signal in MEDIATOR_SIGNALS
    if args.method == "wilks" and not mediator and (args.jobs != 1 or args.scheduler is not None):
        raise InputError(
            "--jobs and --scheduler run the toys of --method fc (and a mediator's mass columns); "
            "this wilks region needs no toys"
        )
    if not mediator:
        for flag, value in (("--mass-range", args.mass_range), ("--n-masses", args.n_masses)):
            if value is not None:
                raise InputError(f"{flag} is for the mediators' mass axis ({', '.join(MEDIATOR_SIGNALS)})")
    elif args.signal == "light-vector" and args.charges is None:
        raise InputError("--signal light-vector needs --charges (its U(1) charge set)")
    elif args.expected_grid is not None:
        raise InputError("--expected-grid is not available for a mediator's region (no expected region is drawn)")
    if args.charges is not None and args.signal != "light-vector":
        raise InputError("--charges is the light vector's charge set; --signal light-vector only")
    mass_range_mev(args.mass_range)  # checked before anything loads
    if len(args.detector) > 1 and args.window is not None:
        raise InputError("--window names a window of one detector; a joint fit uses each detector's default window")
    if args.flavour is not None and not (args.signal == "nsi" and {"eps_l", "eps_r"} & set(args.params)):
        raise InputError("--flavour is for the nsi parameters eps_l and eps_r; the other parameters name their flavour")
    if args.method == "wilks" and args.toys is not None:
        raise InputError("--toys is for --method fc; the wilks threshold needs no toys")


def provenance(setups: list[Any], args: argparse.Namespace) -> dict[str, Any]:
    """Version, detector configs and hashes, dependency versions and the command line (no machine paths)."""
    from importlib.metadata import version

    from .. import __version__

    return {
        "exonu_version": __version__,
        "dependencies": {name: version(name) for name in ("numpy", "scipy", "contourpy", "matplotlib")},
        "detectors": {
            s.name: {"config_sha256": s.config_hash, "reconstruction": bool(s.is_reconstruction)} for s in setups
        },
        "command_line": ["exonu", *sys.argv[1:]],
        "seed": args.seed if args.method == "fc" else None,
    }


def cmd_contour(args: argparse.Namespace) -> int:

    from tqdm import tqdm

    from ..config import load_detector
    from ..fileio import check_writable_dir
    from ..output.figures_contour import mediator_region_figure, region_figure
    from ..output.fit_document import assign_data_files, detector_data
    from ..output.serialize import to_jsonable, write_json_and_png
    from ..searches import search_spec
    from ..searches.contour import (
        MediatorSearch,
        check_parameters,
        confidence_region,
        mediator_region,
        region_problem,
    )
    from ..searches.joint import statistics_per_detector

    check_options(args)
    mediator = args.signal in MEDIATOR_SIGNALS
    # the toy-grid points (and a mediator's mass columns) are independent and seeded apiece: the same region
    # for any --jobs or --scheduler; the back end is checked here, before anything loads, and starts at the
    # first unit
    executor = executor_from_args(args) if args.method == "fc" or mediator else None
    check_parameters(args.signal, args.params)
    check_writable_dir(args.out)  # before the (slow) grid
    masses = None
    if mediator:
        from ..searches.mediators import mediator_masses

        masses = mediator_masses(args.n_masses or DEFAULT_N_MASSES, *mass_range_mev(args.mass_range))
        spec = search_spec(args.signal, mass_mev=float(masses[0]), charges=args.charges, window=args.window)
    else:
        flavours = None if args.flavour is None else (("e", "mu", "tau") if args.flavour == "all" else (args.flavour,))
        spec = search_spec(args.signal, flavours=flavours, window=args.window)
    setups = [load_detector(d) for d in args.detector]
    names = [s.name for s in setups]
    for n in names:
        if names.count(n) > 1:
            raise InputError(f"detector {n!r} is given {names.count(n)} times; give each detector once")
    resolve_statistic(args, setups)
    files = assign_data_files(args.data, args.detector, names)
    from ..searches import choose_window

    chosen = {s.name: detector_data(s, choose_window(s, spec), files.get(s.name)) for s in setups}
    datas = {n: c.counts for n, c in chosen.items() if c.counts is not None}
    watched = sys.stdout.isatty()  # phase lines and bars only when a user watches; quiet into a file or pipe

    def phase(text: str) -> None:
        if watched:
            print(f"exonu contour: {text} …", file=sys.stderr, flush=True)

    # no tqdm monitor thread: with a second thread running, the local back end cannot fork its workers
    # (it falls back to forkserver, whose workers take seconds to import and rebuild the model)
    tqdm.monitor_interval = 0

    def progress(items: Iterable[T], total: int, unit: str) -> Iterable[T]:
        return tqdm(items, total=total, unit=unit, desc="exonu contour", disable=not watched, file=sys.stderr)

    # what both kinds of region take from the command line
    options = dict(
        cl=args.cl,
        method=args.method,
        n_grid=args.grid,
        n_toys=args.toys or DEFAULT_TOYS,
        toy_grid=args.toy_grid,
        seed=args.seed,
        phase=phase,
        progress=progress,
    )
    try:
        if masses is not None:
            assert executor is not None  # a mediator's columns always run on the back end
            search = MediatorSearch(
                tuple(setups),
                args.signal,
                charges=args.charges,
                window=args.window,
                datas=datas,
                statistic=statistics_per_detector(args.statistic, names),
                data_sources={n: c.source for n, c in chosen.items()},
            )
            region = mediator_region(search, masses, order=args.params, mapper=executor.map, **options)
        else:
            problem = region_problem(setups, spec, args.params, datas=datas, statistic=args.statistic)
            problem.data_sources.update({n: c.source for n, c in chosen.items()})
            region = confidence_region(
                problem,
                mapper=map if executor is None else executor.map,
                expected_grid=DEFAULT_EXPECTED_GRID if args.expected_grid is None else args.expected_grid,
                **options,
            )
    finally:
        if executor is not None:
            executor.close()
    document = to_jsonable({**region.to_dict(), "detectors": names, "provenance": provenance(setups, args)})
    fig = mediator_region_figure(region, names) if mediator else region_figure(region, names)
    write_json_and_png(args.out, JSON_FILE, document, FIGURE_FILE, fig)
    if args.json:
        print_json(document)
    else:
        (print_mediator_summary if mediator else print_summary)(region, names)
        print(f"wrote {args.out / JSON_FILE} and {args.out / FIGURE_FILE}")
    return 0


def print_summary(region: ConfidenceRegion, names: list[str]) -> None:
    d = region.to_dict()
    px, py = d["params"]
    print(f"{region.spec.model} on {' + '.join(names)}: {region.cl:.0%} CL region in ({px}, {py}) ({region.method})")
    print(f"  best fit: {px} = {region.best_fit[0]:.4g}, {py} = {region.best_fit[1]:.4g}")
    if region.method == "wilks":
        print(f"  threshold: Δχ² = {region.threshold:.3f} (Wilks, 2 parameters)")
    for name in (px, py):
        lo, hi = d["extent"][name] or (None, None)
        if lo is not None:
            print(f"  extent of {name}: [{lo:.3g}, {hi:.3g}] {d['units'][name]}")
    sm = d["points"]["standard_model"]
    print(
        f"  Standard Model (0, 0): Δχ² = {sm['delta_chi2']:.3f}, {'inside' if sm['inside'] else 'outside'} the region"
    )
    print(f"  closed: {'yes' if region.closed else 'no (open at ' + ', '.join(region.open_sides) + ')'}")
    if region.expected is not None:
        e = region.expected
        print(
            f"  expected (background-only Asimov, same threshold): {'closed' if e['closed'] else 'not closed'}; "
            f"the observed best fit at Asimov Δχ² = {e['delta_chi2_at_best_fit']:.3f}, "
            f"the Standard Model at {e['delta_chi2_at_standard_model']:.3f}"
        )


def print_mediator_summary(region: ConfidenceRegion, names: list[str]) -> None:
    d = region.to_dict()
    charges = f" ({d['charges']})" if d.get("charges") else ""
    lo, hi = d["mass_range_mev"]
    print(
        f"{region.spec.model}{charges} on {' + '.join(names)}: {region.cl:.0%} CL region in (g, mass_mev) "
        f"({region.method}), masses {lo:g} to {hi:g} MeV"
    )
    best = d["best_fit"]
    if best["no_signal"]:
        print("  best fit: no signal (g = 0)")
    else:
        print(f"  best fit: g = {best['g']:.4g} at mass_mev = {best['mass_mev']:.4g} (a grid mass)")
    if region.method == "wilks":
        print(f"  threshold: Δχ² = {region.threshold:.3f} (Wilks, 2 parameters)")
    no_signal = d["points"]["no_signal"]
    print(f"  no signal (g = 0): Δχ² = {no_signal['delta_chi2']:.3f}, {'inside' if no_signal['inside'] else 'outside'}")
    for name in ("mass_mev", "g"):
        extent = d["extent"][name]
        if extent is not None:
            print(f"  extent of {name} on the grid: [{extent[0]:.3g}, {extent[1]:.3g}]")
    print(f"  closed: {'yes' if region.closed else 'no (open at ' + '; '.join(region.open_sides) + ')'}")
    limits = [g for g in d["one_parameter_intervals"]["g"]["limit"] if g is not None]
    if limits:
        print(
            f"  one-parameter limits on g (one-sided PLR, Δχ² = {d['one_parameter_intervals']['g']['threshold']:.3f}): "
            f"{min(limits):.3g} to {max(limits):.3g} over the masses"
        )
