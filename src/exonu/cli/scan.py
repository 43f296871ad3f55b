"""`exonu scan`: an exclusion curve over mediator masses (or one point) with its expected band, and a figure.

The neyman and fc methods build a toy belt on a coupling grid set from each mass's Asimov expected limit
(extended while a limit lies above it); the other methods give each mass the method's own limit with a
band from background-only toys.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from .options import (
    MAX_COUPLINGS,
    MAX_MASSES,
    add_limit_arguments,
    bounded_int,
    check_toy_plan,
    display_unit,
    human_text,
    print_json,
    resolve_belt_toys,
    toy_count,
)
from .toys import add_search_arguments, check_out_folder, model_description, phase, run_on_executor, units_line

if TYPE_CHECKING:
    from . import OneLineArgumentParser


def add_parser(sub: argparse._SubParsersAction[OneLineArgumentParser]) -> None:
    p = sub.add_parser("scan", help="exclusion curve over masses (toy belt or any method), expected band, figure")
    add_search_arguments(p)
    masses = p.add_mutually_exclusive_group()
    masses.add_argument("--masses-mev", type=float, nargs="+", help=f"mediator masses in MeV (at most {MAX_MASSES})")
    masses.add_argument(
        "--n-masses",
        type=bounded_int(2, MAX_MASSES),
        help=f"log-spaced mediator masses from 1e-3 to 1e3 MeV (2 to {MAX_MASSES})",
    )
    p.add_argument(
        "--alpha-max",
        type=float,
        default=None,
        help="largest signal strength α = (x/x_ref)^power of a fixed coupling grid for every mass (default: "
        "per mass, 4× its Asimov expected limit, extended while a limit lies above it)",
    )
    p.add_argument(
        "--n-couplings",
        type=bounded_int(2, MAX_COUPLINGS),
        default=12,
        help=f"points of the coupling grid (2 to {MAX_COUPLINGS}; default 12)",
    )
    p.add_argument("--n-toys", type=toy_count(), required=True, help="toys per grid point of the belt (≤ 1e7)")
    p.add_argument(
        "--n-background",
        type=toy_count(),
        default=None,
        help="background-only toys per mass for the expected band (default: --n-toys)",
    )
    p.add_argument(
        "--ordering",
        choices=["upper", "fc"],
        default=None,
        help="belt ordering: one-sided q (= --method neyman, the default) or Feldman–Cousins (= --method fc)",
    )
    add_limit_arguments(p)
    p.set_defaults(method=None)  # the belt (neyman) unless --method or --ordering says otherwise
    p.add_argument("--no-figure", action="store_true", help="do not write exclusion.png")
    p.set_defaults(func=cmd_scan)


def scan_masses(args: argparse.Namespace) -> list[float | None]:
    """The masses of the scan: --masses-mev, --n-masses, --mass-mev, or [None] for a signal without one."""
    from ..errors import InputError
    from ..searches import SIGNALS, dark_photon_masses

    needs_mass = "mass_mev" in SIGNALS[args.signal].required
    given = args.masses_mev or args.n_masses is not None or args.mass_mev is not None
    if not needs_mass:
        if given:
            raise InputError(f"--signal {args.signal} has no mass: leave out --masses-mev / --n-masses / --mass-mev")
        return [None]
    if args.n_masses is not None:
        return [float(m) for m in dark_photon_masses(args.n_masses)]
    if args.masses_mev:
        if len(args.masses_mev) > MAX_MASSES:
            raise InputError(f"--masses-mev lists {len(args.masses_mev)} masses; at most {MAX_MASSES}")
        return list(args.masses_mev)
    if args.mass_mev is not None:
        return [args.mass_mev]
    raise InputError(f"the {args.signal} scan needs --masses-mev M [M ...], --n-masses N or --mass-mev M")


def cmd_scan(args: argparse.Namespace) -> int:
    import numpy as np

    from ..errors import InputError
    from ..parallel import run_scan

    if args.ordering is not None and args.method is not None:
        raise InputError("give --method or --ordering, not both (--ordering upper is --method neyman, fc is fc)")
    method = args.method or {"upper": "neyman", "fc": "fc", None: "neyman"}[args.ordering]
    if args.alpha_max is not None and not (np.isfinite(args.alpha_max) and args.alpha_max > 0):
        raise InputError(f"--alpha-max must be a positive number; got {args.alpha_max}")
    if args.n_couplings < 2:
        raise InputError(f"--n-couplings must be at least 2; got {args.n_couplings}")
    if args.n_background is not None and args.n_background < 1:
        raise InputError(f"--n-background must be at least 1; got {args.n_background}")
    args.method = method
    resolve_belt_toys(args)
    grid = None if args.alpha_max is None else args.alpha_max * np.arange(1, args.n_couplings + 1) / args.n_couplings
    check_out_folder(
        args,
        "scan",
        method=method,
        seed=args.seed,
        cl=args.cl,
        n_couplings=args.n_couplings,
        chunk_size=args.chunk_size,
        fluctuate_aux=not args.fixed_aux,
        alpha_grid=None if grid is None else grid.tolist(),
    )
    masses = scan_masses(args)
    check_toy_plan(args.n_toys, args.chunk_size, len(masses) * args.n_couplings)
    check_toy_plan(args.n_background or args.n_toys, args.chunk_size, len(masses), "--n-background")
    phase(args, f"scan: loading {', '.join(args.detector)} and building the {args.signal} model")
    description = model_description(args, masses[0])
    phase(args, f"scan: {len(masses)} point(s) of {args.signal}, {method}")
    summary = run_on_executor(
        args,
        run_scan,
        description,
        masses_mev=masses,
        alpha_grid=grid,
        n_couplings=args.n_couplings,
        n_toys=args.n_toys,
        n_background=args.n_background or args.n_toys,
        seed=args.seed,
        out=args.out,
        cl=args.cl,
        method=method,
        belt_toys=args.belt_toys,
        chunk_size=args.chunk_size,
        fluctuate_aux=not args.fixed_aux,
    )
    if not args.no_figure:
        from ..fileio import atomic_write_bytes
        from ..output.serialize import render_png
        from ..parallel.figures import plot_scan

        ax = plot_scan(summary)
        # the summary is already in the run folder (run_scan wrote it); the figure joins it atomically
        atomic_write_bytes(args.out / "exclusion.png", render_png(ax.figure, dpi=120, bbox_inches="tight"))
    if args.json:
        print_json(summary)
    else:
        print_points(summary, args.cl)
        print(f"{units_line(summary)}; folder {args.out}")
    return 0


def print_points(summary: dict[str, Any], cl: float) -> None:
    """One line per mass: the observed limit and the expected median and ±1σ band."""
    u = display_unit(summary["unit"])

    def show(x: float | None) -> str:
        return "above the grid" if x is None else f"{x:.3g}"

    for p in summary["points"]:
        where = f"M = {p['mass_mev']:.4g} MeV: " if p["mass_mev"] is not None else ""
        band = p["band_1sigma"] or [None, None]
        print(
            human_text(
                f"{where}{cl:.0%} CL limit {show(p['observed'])}; expected median {show(p['median'])}, "
                f"±1σ [{show(band[0])}, {show(band[1])}] ({u})"
            )
        )
