"""`exonu plot`: the paper's Figs. 1 and 2 as PNG."""

from __future__ import annotations

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
    from .. import plotting

    out = args.out or Path(f"exonu_{args.what}.png")
    if args.what == "spectra":
        fig = plotting.plot_signal_spectra()
    else:
        from ..io import load_detector

        fig = plotting.plot_background(load_detector(args.detector))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=130)
    print(f"wrote {out}")
    return 0
