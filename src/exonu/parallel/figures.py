"""Figures of a belt scan: the exclusion curve with its expected band, or the belt at one point."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def plot_scan(summary: dict[str, Any], ax: Axes | None = None) -> Axes:
    """Plot the result of :func:`exonu.parallel.run_scan`.

    Several masses: the observed 90 % CL exclusion curve (coupling vs mass, log–log) over the
    expected median and its ±1σ / ±2σ band from background-only toys. One point (or a search
    without a mass): the belt itself — critical values c(x) and the observed t(x) on the coupling
    grid, with the observed limit where they cross.

    Parameters
    ----------
    summary : dict
        The returned (or ``summary.json``) dict.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.4))
    points = summary["points"]
    unit = summary["unit"]
    cl = summary["cl"]
    if len(points) > 1:
        mass = np.array([p["mass_mev"] for p in points], dtype=float)

        def column(key: str, i: int | None = None) -> np.ndarray:
            values = [p[key] if i is None or p[key] is None else p[key][i] for p in points]
            return np.array([np.nan if v is None else v for v in values], dtype=float)

        # draw (and list in the legend) only what has values: a band edge above the grid is None
        for key, color, label in (
            ("band_2sigma", "#ffe066", "expected ±2σ"),
            ("band_1sigma", "#66c266", "expected ±1σ"),
        ):
            low, high = column(key, 0), column(key, 1)
            if np.isfinite(low).any() and np.isfinite(high).any():
                ax.fill_between(mass, low, high, where=np.isfinite(low) & np.isfinite(high), color=color, label=label)
        for key, style, label in (("median", "k--", "expected median"), ("observed", "k-", f"observed {cl:.0%} CL")):
            values = column(key)
            if np.isfinite(values).any():
                ax.plot(mass, values, style, lw=2 if key == "observed" else 1, label=label)
        missing = ~np.isfinite(column("observed"))
        if missing.any():  # masses without an observed limit are marked, not silently dropped
            finite = column("observed")[~missing]
            y = np.nanmax(finite) if finite.size else 1.0
            ax.plot(mass[missing], np.full(missing.sum(), y), "rv", label="no limit (above the grid)")
        ax.set(xscale="log", yscale="log", xlabel="mass [MeV]", ylabel=f"{summary['signal']} coupling [{unit}]")
    else:
        p = points[0]
        if "coupling_grid" not in p:  # a non-belt method: no grid to draw, the limit and its band
            ax.axvline(p["observed"] or np.nan, color="k", label=f"observed {cl:.0%} CL")
            ax.set(xlabel=f"{summary['signal']} [{unit}]")
            ax.set_title(f"{', '.join(summary['detectors'])}: {summary['method']}")
            ax.legend(fontsize="small")
            return ax
        x = np.array(p["coupling_grid"], dtype=float)
        ax.plot(x, np.array(p["critical_values"], dtype=float), "o-", label=f"critical value ({cl:.0%}, toys)")
        ax.plot(x, np.array(p["t_observed"], dtype=float), "s-", label="observed t")
        if p["observed"] is not None:
            ax.axvline(p["observed"], color="k", ls=":", label=f"limit {p['observed']:.3g} {unit}")
        ax.set(xlabel=f"{summary['signal']} [{unit}]", ylabel="test statistic t")
    what = summary["ordering"] or summary["method"]
    ax.set_title(f"{', '.join(summary['detectors'])}: {what} belt, {summary['n_toys']} toys/point")
    ax.legend(fontsize="small")
    return ax
