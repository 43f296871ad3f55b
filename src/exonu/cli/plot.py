"""`exonu plot`: the paper's Figs. 1 and 2 as PNG (written atomically)."""

from __future__ import annotations

import io
from pathlib import Path


def add_parser(sub):
    p = sub.add_parser("plot", help="write a figure of the paper as PNG")
    p.add_argument("what", choices=["spectra", "background"], help="spectra: Fig. 1; background: Fig. 2")
    p.add_argument("--detector", default="xmass-i", help="detector name or TOML path (plot background)")
    p.add_argument("--out", type=Path, help="output PNG (default exonu_<what>.png)")
    p.set_defaults(func=cmd_plot)


def cmd_plot(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..output import check_writable, figures, write_atomic

    out = args.out or Path(f"exonu_{args.what}.png")
    check_writable(out.parent if str(out.parent) else Path("."))  # before the (slow) spectra
    if args.what == "spectra":
        fig = figures.plot_signal_spectra()
    else:
        from ..io import load_detector

        fig = figures.plot_background(load_detector(args.detector))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=130)
    plt.close(fig)
    write_atomic(out, buffer.getvalue())
    print(f"wrote {out}")
    return 0
