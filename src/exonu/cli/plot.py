"""`exonu plot`: the paper's Figs. 1 and 2 as an image file (written atomically, format from the suffix)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError

if TYPE_CHECKING:
    from . import OneLineArgumentParser

#: Figure formats that `exonu plot --out` writes (a subset of matplotlib's, all without extra libraries)
FORMATS = ("png", "pdf", "svg", "eps", "ps")


def add_parser(sub: argparse._SubParsersAction[OneLineArgumentParser]) -> None:
    p = sub.add_parser("plot")
    p.add_argument("what", choices=["spectra", "background"], help="spectra: Fig. 1; background: Fig. 2")
    p.add_argument("--detector", default="xmass-i", help="detector name or TOML path (plot background)")
    p.add_argument(
        "--out",
        type=Path,
        help=f"output file, format from its suffix ({', '.join('.' + f for f in FORMATS)}; default exonu_<what>.png)",
    )
    p.set_defaults(func=cmd_plot)


def figure_format(out: Path) -> str:
    """The figure format of ``out`` from its suffix; an unsupported or missing suffix is a one-line error."""
    suffix = out.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise InputError(
            f"--out {out}: cannot write a figure as {('.' + suffix) if suffix else 'a file without suffix'}; "
            f"use one of {', '.join('.' + f for f in FORMATS)}"
        )
    return suffix


def cmd_plot(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..fileio import atomic_output_path, check_output_file
    from ..output import check_writable, figures

    out = args.out or Path(f"exonu_{args.what}.png")
    fmt = figure_format(out)  # every check before the (slow) spectra
    check_writable(out.parent if str(out.parent) else Path("."))  # creates the folder and proves it writable
    check_output_file(out)  # not a directory, not a read-only file
    if args.what == "spectra":
        fig = figures.plot_signal_spectra()
    else:
        from ..config import load_detector

        fig = figures.plot_background(load_detector(args.detector))
    try:
        with atomic_output_path(out) as tmp:
            fig.savefig(tmp, format=fmt, dpi=130)
    finally:
        plt.close(fig)
    print(f"wrote {out}")
    return 0
