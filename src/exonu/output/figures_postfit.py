"""Post-fit figures of one search: the pulls, the correlation matrix and the Δχ² profile of the signal.

Each function takes ``ax=`` (created if None) and returns the top-level figure. Titles are one line;
what the figure shows in detail belongs in the caption (:data:`CAPTIONS`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..searches.run import SearchResult

__all__ = ["CAPTIONS", "plot_correlations", "plot_pulls", "plot_signal_profile", "postfit_figures"]

#: captions of the post-fit figures, by file-name prefix
CAPTIONS = {
    "pulls": "Pulls (θ̂ − θ₀)/σ of the constrained parameters at the best fit, with the post-fit uncertainty "
    "divided by the prior σ as error bar; the bands mark ±1σ and ±2σ of the prior. A pull beyond ±3σ is "
    "reported as a warning (normalisation-pulled).",
    "correlations": "Correlation matrix of the fitted parameters at the best fit (from the inverse Hessian); "
    "parameters held at a bound are left blank.",
    "profile": "Δχ² of the signal strength, profiled over every nuisance, with the Δχ² = 1 line (the ±1σ "
    "interval reported as best_fit_interval) and the threshold of the observed limit's method.",
}


def _figure(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    root = ax.figure
    while not isinstance(root, Figure):
        root = root.figure
    return root, ax


def plot_pulls(result: SearchResult, ax: Axes | None = None) -> Figure:
    """The pull of every constrained parameter, error bar = post-fit uncertainty / prior σ."""
    params = [p for p in result.postfit.parameters if p.pull is not None]
    fig, ax = _figure(ax, (7.0, max(2.5, 0.28 * len(params) + 1.2)))
    y = np.arange(len(params))[::-1]
    ax.axvspan(-2, 2, color="#fff2b3", zorder=0)
    ax.axvspan(-1, 1, color="#c8e6c9", zorder=0)
    ax.axvline(0.0, color="k", lw=0.8)
    pulls = np.array([p.pull for p in params], dtype=float)
    widths = np.array([p.uncertainty / p.prior_sigma if p.prior_sigma else np.nan for p in params], dtype=float)
    ax.errorbar(pulls, y, xerr=widths, fmt="o", color="k", ms=4, capsize=2)
    ax.set_yticks(y, [p.name for p in params], fontsize=7)
    lim = max(3.0, float(np.nanmax(np.abs(pulls) + np.nan_to_num(widths))) + 0.5) if params else 3.0
    ax.set_xlim(-lim, lim)
    ax.set_xlabel("pull (θ̂ − θ₀)/σ")
    ax.set_title(f"Pulls: {result.spec.key} ({result.window})", fontsize=9)
    fig.tight_layout()
    return fig


def plot_correlations(result: SearchResult, ax: Axes | None = None) -> Figure:
    """The correlation matrix of the fitted parameters as a colour map (−1 … 1)."""
    post = result.postfit
    n = len(post.parameters)
    fig, ax = _figure(ax, (max(4.5, 0.3 * n + 2.5), max(4.0, 0.3 * n + 2.0)))
    image = ax.imshow(np.ma.masked_invalid(post.correlation), cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(n), post.names, rotation=90, fontsize=6)
    ax.set_yticks(range(n), post.names, fontsize=6)
    fig.colorbar(image, ax=ax, shrink=0.8, label="correlation")
    ax.set_title(f"Correlations: {result.spec.key}", fontsize=9)
    fig.tight_layout()
    return fig


def plot_signal_profile(result: SearchResult, ax: Axes | None = None) -> Figure:
    """Δχ²(α) against the physical parameter, with the Δχ² = 1 line and the limit's threshold."""
    prof = result.profile
    fig, ax = _figure(ax, (6.0, 4.0))
    x = np.array([result.to_physical(a) for a in prof.alpha_grid])
    ax.plot(x, prof.delta_chi2, color="k", label="profile Δχ²")
    ax.axhline(1.0, color="tab:blue", ls="--", lw=1, label="Δχ² = 1 (±1σ interval)")
    threshold = result.provenance.get("threshold")
    if isinstance(threshold, (int, float)) and np.isfinite(threshold):
        ax.axhline(float(threshold), color="tab:red", ls=":", lw=1, label=f"{result.method} threshold {threshold:.3g}")
    ax.axvline(result.observed, color="tab:red", lw=0.8, alpha=0.6, label=f"{result.cl:.0%} CL limit")
    ax.set_ylim(0, max(4.0, 1.2 * float(threshold) if isinstance(threshold, (int, float)) else 4.0))
    ax.set_xlabel(f"{result.spec.parameter} [{result.spec.unit}]")
    ax.set_ylabel("Δχ²")
    ax.legend(fontsize=7)
    ax.set_title(f"Profile of the signal: {result.spec.key}", fontsize=9)
    fig.tight_layout()
    return fig


def postfit_figures(result: SearchResult) -> dict[str, Figure]:
    """``{file name: figure}`` of the pulls (when any parameter is constrained), correlations and profile."""
    key = result.spec.key
    figures: dict[str, Figure] = {}
    if any(p.pull is not None for p in result.postfit.parameters):
        figures[f"pulls_{key}.png"] = plot_pulls(result)
    figures[f"correlations_{key}.png"] = plot_correlations(result)
    figures[f"profile_{key}.png"] = plot_signal_profile(result)
    return figures
