"""`exonu scan`: a Neyman / Feldman–Cousins belt over a mass × coupling grid → exclusion curve and figure."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, cast

from .options import MAX_COUPLINGS, MAX_MASSES, add_cl_argument, bounded_int, check_toy_plan, print_json, toy_count
from .toys import add_search_arguments, model_description, run_on_executor, units_line

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from . import OneLineArgumentParser


def add_parser(sub: argparse._SubParsersAction[OneLineArgumentParser]) -> None:
    p = sub.add_parser("scan", help="toy belt over a mass × coupling grid: exclusion curve, expected band, figure")
    add_search_arguments(p)
    masses = p.add_mutually_exclusive_group()
    masses.add_argument("--masses-mev", type=float, nargs="+", help="dark-photon masses in MeV")
    masses.add_argument(
        "--n-masses",
        type=bounded_int(2, MAX_MASSES),
        help=f"log-spaced dark-photon masses from 1e-3 to 1e3 MeV (2 to {MAX_MASSES})",
    )
    p.add_argument(
        "--alpha-max",
        type=float,
        default=6.0,
        help="largest signal strength α = (x/x_ref)^power of the coupling grid (default 6)",
    )
    p.add_argument(
        "--n-couplings",
        type=bounded_int(2, MAX_COUPLINGS),
        default=12,
        help=f"points of the coupling grid, uniform in α up to --alpha-max (2 to {MAX_COUPLINGS}; default 12)",
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
        default="upper",
        help="one-sided q (upper limits, default) or Feldman–Cousins likelihood-ratio ordering",
    )
    add_cl_argument(p)
    p.add_argument("--no-figure", action="store_true", help="do not write exclusion.png")
    p.set_defaults(func=cmd_scan)


def cmd_scan(args: argparse.Namespace) -> int:
    import numpy as np

    from ..errors import InputError
    from ..parallel import run_scan
    from ..searches import dark_photon_masses

    if args.signal == "dark-photon":
        if args.n_masses is not None:
            masses = dark_photon_masses(args.n_masses).tolist()
        elif args.masses_mev:
            masses = list(args.masses_mev)
        else:
            raise InputError("the dark-photon scan needs --masses-mev M [M ...] or --n-masses N")
    elif args.masses_mev or args.n_masses is not None:
        raise InputError(f"--signal {args.signal} has no mass: leave out --masses-mev / --n-masses")
    else:
        masses = [None]
    if not (np.isfinite(args.alpha_max) and args.alpha_max > 0):
        raise InputError(f"--alpha-max must be a positive number; got {args.alpha_max}")
    if args.n_couplings < 2:
        raise InputError(f"--n-couplings must be at least 2; got {args.n_couplings}")
    check_toy_plan(args.n_toys, args.chunk_size, len(masses) * args.n_couplings)
    check_toy_plan(args.n_background or args.n_toys, args.chunk_size, len(masses), "--n-background")
    grid = args.alpha_max * np.arange(1, args.n_couplings + 1) / args.n_couplings
    description = model_description(args, masses[0])
    description.build()  # a bad search fails before any cluster is started
    summary = run_on_executor(
        args,
        run_scan,
        description,
        masses_mev=masses,
        alpha_grid=grid,
        n_toys=args.n_toys,
        n_background=args.n_background or args.n_toys,
        seed=args.seed,
        out=args.out,
        cl=args.cl,
        ordering=args.ordering,
        chunk_size=args.chunk_size,
        fluctuate_aux=not args.fixed_aux,
    )
    if not args.no_figure:
        import matplotlib.pyplot as plt

        from ..fileio import atomic_output_path
        from ..parallel.figures import plot_scan

        ax = plot_scan(summary)
        # plot_scan made these axes with plt.subplots (no ax given), so their figure is a top-level
        # Figure, not the SubFigure that matplotlib's Axes.figure type also allows
        fig = cast("Figure", ax.figure)
        with atomic_output_path(args.out / "exclusion.png") as tmp:
            fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
        plt.close(fig)
    if args.json:
        print_json(summary)
    else:
        u = summary["unit"]

        def show(x: float | None) -> str:
            return "above the grid (raise --alpha-max)" if x is None else f"{x:.3g}"

        for p in summary["points"]:
            where = f"M = {p['mass_mev']:.4g} MeV: " if p["mass_mev"] is not None else ""
            band = p["band_1sigma"] or [None, None]
            print(
                f"{where}{args.cl:.0%} CL limit {show(p['observed'])} {u}; expected median {show(p['median'])}, "
                f"±1σ [{show(band[0])}, {show(band[1])}]"
            )
        print(f"{units_line(summary)}; folder {args.out}")
    return 0
