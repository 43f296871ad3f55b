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
            return np.array(
                [np.nan if p[key] is None else (p[key] if i is None else p[key][i]) for p in points], dtype=float
            )

        ax.fill_between(mass, column("band_2sigma", 0), column("band_2sigma", 1), color="#ffe066", label="expected ±2σ")
        ax.fill_between(mass, column("band_1sigma", 0), column("band_1sigma", 1), color="#66c266", label="expected ±1σ")
        ax.plot(mass, column("median"), "k--", label="expected median")
        ax.plot(mass, column("observed"), "k-", lw=2, label=f"observed {cl:.0%} CL")
        ax.set(xscale="log", yscale="log", xlabel="mass [MeV]", ylabel=f"{summary['signal']} coupling [{unit}]")
    else:
        p = points[0]
        x = np.array(p["coupling_grid"], dtype=float)
        ax.plot(x, np.array(p["critical_values"], dtype=float), "o-", label=f"critical value ({cl:.0%}, toys)")
        ax.plot(x, np.array(p["t_observed"], dtype=float), "s-", label="observed t")
        if p["observed"] is not None:
            ax.axvline(p["observed"], color="k", ls=":", label=f"limit {p['observed']:.3g} {unit}")
        ax.set(xlabel=f"{summary['signal']} [{unit}]", ylabel="test statistic t")
    ax.set_title(f"{', '.join(summary['detectors'])}: {summary['ordering']} belt, {summary['n_toys']} toys/point")
    ax.legend(fontsize="small")
    return ax
