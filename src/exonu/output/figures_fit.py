"""Fit figures (Figs. 3 and 5): data, the best fit with its ±1σ band, the 90 % CL signal and residuals.

:func:`plot_fit` draws arrays; :func:`plot_search_fit` one search of a reproduction; :func:`plot_search_fits`
several stacked in one figure. Each function takes ``ax=`` (created if None); given the axes of a
``SubFigure``, it returns that SubFigure. A figure made here is laid out when it is made
(:mod:`exonu.output.figure_layout`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, overload

import numpy as np
from numpy.typing import ArrayLike

from .figure_layout import (
    EDGE_IN,
    FIT_LEFT_IN,
    FIT_PANEL_GAP_IN,
    FIT_RIGHT_IN,
    FOOTER_FONTSIZE_PT,
    FOOTER_OFFSET_PT,
    XLABEL_BOTTOM_IN,
    footer_bottom_in,
    place_fit_figure,
    text_height_in,
    title_height_in,
    title_with_note,
)

if TYPE_CHECKING:  # annotations only: matplotlib is imported where a figure is drawn
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

    from ..searches.paper import PaperResults
    from ..searches.run import SearchResult
    from ..stats import BinnedModel, FitResult


@overload
def plot_fit(
    edges_kev: ArrayLike,
    data_counts: ArrayLike,
    best_fit_counts: ArrayLike,
    band_low_counts: ArrayLike,
    band_high_counts: ArrayLike,
    signal_limit_counts: ArrayLike,
    exposure_kg_day: float,
    title: str = "",
    signal_label: str = "90 % CL signal",
    ax: None = None,
    log_y: bool = True,
    data_label: str = "data",
    residual_ax: Axes | None = None,
) -> Figure: ...
@overload
def plot_fit(
    edges_kev: ArrayLike,
    data_counts: ArrayLike,
    best_fit_counts: ArrayLike,
    band_low_counts: ArrayLike,
    band_high_counts: ArrayLike,
    signal_limit_counts: ArrayLike,
    exposure_kg_day: float,
    title: str = "",
    signal_label: str = "90 % CL signal",
    ax: Axes = ...,
    log_y: bool = True,
    data_label: str = "data",
    residual_ax: Axes | None = None,
) -> Figure | SubFigure: ...
def plot_fit(
    edges_kev: ArrayLike,
    data_counts: ArrayLike,
    best_fit_counts: ArrayLike,
    band_low_counts: ArrayLike,
    band_high_counts: ArrayLike,
    signal_limit_counts: ArrayLike,
    exposure_kg_day: float,
    title: str = "",
    signal_label: str = "90 % CL signal",
    ax: Axes | None = None,
    log_y: bool = True,
    data_label: str = "data",
    residual_ax: Axes | None = None,
) -> Figure | SubFigure:
    """Figs. 3 and 5: data, best-fit signal + background with its ±1σ band, the 90 % CL signal, and residuals.

    Counts per bin are shown as rates in events/(kg·day·keV) (divided by exposure in kg·day and bin width
    in keV). With ``ax=None`` a lower panel shows the residuals (data − best fit)/√data; pass
    ``residual_ax`` to draw them into an axes of your own (``ax`` given and ``residual_ax=None``: no panel).
    """
    fig: Figure | SubFigure  # the axes' figure: a SubFigure when ax is the axes of one
    if ax is None:
        import matplotlib.pyplot as plt

        fig, (ax, residual_ax) = plt.subplots(
            2, 1, figsize=(7.0, 5.6), sharex=True, layout="none", gridspec_kw={"height_ratios": [3, 1]}
        )
        made_here = True
    else:
        made_here = False
    fig = ax.figure
    edges = np.asarray(edges_kev, dtype=float)
    width = np.diff(edges)
    centres = 0.5 * (edges[1:] + edges[:-1])
    to_rate = 1.0 / (exposure_kg_day * width)
    data = np.asarray(data_counts, dtype=float)
    sigma = np.sqrt(np.maximum(data, 1.0))  # empty bins: the 1-count scale, not zero
    ax.errorbar(
        centres,
        data * to_rate,
        yerr=sigma * to_rate,
        xerr=width / 2,
        fmt="k.",
        ms=3,
        lw=0.8,
        label=data_label,
        zorder=3,
    )
    ax.stairs(
        np.asarray(best_fit_counts) * to_rate, edges, color="tab:blue", lw=1.4, label="best fit: signal + background"
    )
    ax.stairs(
        np.asarray(band_high_counts) * to_rate,
        edges,
        baseline=np.asarray(band_low_counts) * to_rate,
        fill=True,
        color="tab:green",
        alpha=0.35,
        label="best fit ± 1σ",
    )
    ax.stairs(np.asarray(signal_limit_counts) * to_rate, edges, color="tab:red", ls=":", lw=1.6, label=signal_label)
    ax.set_xlim(edges[0], edges[-1])
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel("reconstructed energy [keV]")
    ax.set_ylabel("events / (kg · day · keV)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.2)
    if residual_ax is not None:
        residual = (data - np.asarray(best_fit_counts, dtype=float)) / sigma
        residual_ax.axhline(0.0, color="tab:blue", lw=1.0)
        residual_ax.errorbar(centres, residual, yerr=np.ones_like(residual), xerr=width / 2, fmt="k.", ms=3, lw=0.8)
        limit = max(3.0, 1.2 * float(np.max(np.abs(residual) + 1.0)))  # the axis fits every residual
        residual_ax.set_ylim(-limit, limit)
        residual_ax.set_xlim(edges[0], edges[-1])
        residual_ax.set_ylabel("(data − fit) / √data", fontsize=8)
        residual_ax.set_xlabel("reconstructed energy [keV]")
        ax.set_xlabel("")
        ax.tick_params(labelbottom=False)
        residual_ax.grid(True, alpha=0.2)
    if made_here:  # a figure made here: margins for its title and x label (plot_search_fit sets them again)
        place_fit_figure(ax.figure, ax, XLABEL_BOTTOM_IN)  # type: ignore[arg-type]  # plt.subplots: a Figure
    return fig


def nuisance_arrays_from_fit_vector(
    fit_result: FitResult, model: BinnedModel, samples: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Map samples of the fit vector to per-sample (p, q, r) arrays by the fit's parameter names.

    The fit vector holds only the free component normalisations (``p_<name>``), then ``q_<name>`` and
    ``r_<name>``; components absent from it (fixed ones) keep their best-fit value. Matching by name keeps
    this right whatever components a detector fixes.
    """
    index = {name: i for i, name in enumerate(fit_result.parameter_names)}

    def columns(prefix: str, names: Sequence[str] | None, best: np.ndarray) -> np.ndarray:
        out = np.broadcast_to(np.asarray(best, dtype=float), (len(samples), len(best))).copy()
        for j, name in enumerate(names):  # type: ignore[arg-type]  # BinnedModel.__post_init__ fills every name list
            i = index.get(f"{prefix}_{name}")
            if i is not None:
                out[:, j] = samples[:, i]
        return out

    return (
        columns("p", model.background_names, fit_result.p),
        columns("q", model.background_sys_names, fit_result.q),
        columns("r", model.signal_sys_names, fit_result.r),
    )


def wrapped(text: str, width: int = 90) -> str:
    """``text`` folded into lines of at most ``width`` characters (figure titles and captions)."""
    import textwrap

    return textwrap.fill(text, width)


def profile_band(result: SearchResult) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Best-fit expectation per bin (counts) and its ±1σ band from the profile likelihood of the signal.

    The ±1σ interval of α is :func:`exonu.stats.best_fit_band` (Δχ²(α) ≤ 1 on α ≥ 0, found on the profile, so
    it is right at the α = 0 boundary and for the dark photon's α^½ term, where a linearisation of the fit
    covariance through α^½ gives a band ~10× too wide). The band per bin spans the model expectation, with
    the nuisances profiled, at α̂ and at both ends of that interval.

    Parameters
    ----------
    result : SearchResult
        One search of :func:`exonu.searches.run_search` (its ``model`` and ``fit_result``).

    Returns
    -------
    central, low, high : ndarray
        Counts per bin.
    """
    from ..stats import best_fit_band as alpha_band
    from ..stats import fit
    from .serialize import statistic_of

    f, model = result.fit_result, result.model
    statistic = statistic_of(result)
    central = model.asimov(max(float(f.alpha), 0.0), pulls=f)
    _, alpha_low, alpha_high = alpha_band(model, f, statistic=statistic)
    curves = [central]
    for alpha in (alpha_low, alpha_high):
        profiled = fit(model, statistic=statistic, fix_alpha=alpha)
        curves.append(model.asimov(alpha, pulls=profiled))
    stacked = np.array(curves)
    return central, stacked.min(axis=0), stacked.max(axis=0)


def search_footer(result: SearchResult) -> str:
    """The footer of a fit figure: how the limit of ``result`` was made, wrapped to the figure's width."""
    from .labels import limit_description

    return wrapped(limit_description(result), 130)


@overload
def plot_search_fit(
    res: PaperResults,
    result: SearchResult,
    title: str,
    ax: None = None,
    residual_ax: Axes | None = None,
    log_y: bool = True,
) -> Figure: ...
@overload
def plot_search_fit(
    res: PaperResults,
    result: SearchResult,
    title: str,
    ax: Axes = ...,
    residual_ax: Axes | None = None,
    log_y: bool = True,
) -> Figure | SubFigure: ...
def plot_search_fit(
    res: PaperResults,
    result: SearchResult,
    title: str,
    ax: Axes | None = None,
    residual_ax: Axes | None = None,
    log_y: bool = True,
) -> Figure | SubFigure:
    """Data vs the best fit of one search of a reproduction (±1σ from the profile, :func:`profile_band`),
    with the 90 % CL signal, residuals and a line saying how the limit was made."""
    from .labels import UNIT_TEXT, detector_note, uses_simulated_data, window_range

    w = res.setup.window(result.window)
    central, low, high = profile_band(result)
    alpha90 = (result.observed / result.reference) ** result.spec.alpha_power
    unit = UNIT_TEXT.get(result.spec.unit, result.spec.unit)
    out = plot_fit(
        w.binning.edges_kev,
        result.model.data,
        central,
        low,
        high,
        result.model.signal(alpha90),
        w.exposure_kg_day,
        ax=ax,
        residual_ax=residual_ax,
        log_y=log_y,
        title=title,
        signal_label=f"90 % CL signal ({result.observed:.2g} {unit})".replace(" )", ")"),
        data_label="Asimov data (simulated)" if uses_simulated_data(res) else "data",
    )
    # the title: what and the limit, then the method and the detector note wrapped below (nothing cut off)
    main_ax = ax if ax is not None else out.axes[0]
    title_with_note(
        main_ax,
        f"{title}, {window_range(res, result.window)}: limit {result.observed:.3g} {unit}",
        f"{result.method}; {detector_note(res)}",
    )
    # how the limit was made: a small footer under the lowest axes of this search (not of the whole figure)
    footer = search_footer(result)
    lowest_ax = out.axes[-1] if ax is None else (residual_ax or ax)
    lowest_ax.annotate(
        footer,
        xy=(0, 0),
        xycoords="axes fraction",
        xytext=(0, -FOOTER_OFFSET_PT),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=FOOTER_FONTSIZE_PT,
        color="0.3",
    )
    if ax is None:  # the figure plot_fit made: room for the wrapped title and the footer
        place_fit_figure(out, main_ax, footer_bottom_in(footer))  # type: ignore[arg-type]  # plot_fit's: a Figure
    return out


def plot_search_fits(
    res: PaperResults, panels: Sequence[tuple[str, SearchResult]], title: str, panel_height_in: float = 4.8
) -> Figure:
    """Fits of several searches stacked in one figure (Fig. 5): a panel of :func:`plot_search_fit` each,
    data over residuals, all on one GridSpec laid out when it is made.

    The grid's rows are (data 3 : residuals 1) per panel with a spacer row between panels, sized for the
    tallest footer and title; no SubFigures and no constrained layout, so saving draws the figure once.
    """
    import matplotlib.pyplot as plt

    n = len(panels)
    width_in, height_in = 7.0, panel_height_in * n
    fig = plt.figure(figsize=(width_in, height_in), layout="none")
    ratios = [3.0, 1.0] + [0.0, 3.0, 1.0] * (n - 1)  # the spacers' heights are set below
    grid = fig.add_gridspec(len(ratios), 1, height_ratios=ratios)
    tops, bottoms = [], []
    for i, (panel_title, result) in enumerate(panels):
        ax = fig.add_subplot(grid[3 * i])
        residual_ax = fig.add_subplot(grid[3 * i + 1], sharex=ax)
        plot_search_fit(res, result, panel_title, ax=ax, residual_ax=residual_ax)
        tops.append(title_height_in(ax))  # log y axes (log_y=True): no offset text
        bottoms.append(footer_bottom_in(search_footer(result)))
    title_in = text_height_in(title, 10.0)
    fig.suptitle(title, fontsize=10, y=1.0 - EDGE_IN / height_in, va="top")
    top_in, bottom_in = EDGE_IN + title_in + max(tops), max(bottoms)
    # between panels: the footer of one and the title of the next, less the two row gaps around the spacer
    spacer_in = max(bottoms) + max(tops) - 2 * FIT_PANEL_GAP_IN
    rows_in = height_in - top_in - bottom_in - (len(ratios) - 1) * FIT_PANEL_GAP_IN  # all rows together
    unit_in = (rows_in - (n - 1) * spacer_in) / (4 * n)  # the height of ratio 1
    grid.set_height_ratios([spacer_in / unit_in if r == 0.0 else r for r in ratios])
    grid.update(
        left=FIT_LEFT_IN / width_in,
        right=1.0 - FIT_RIGHT_IN / width_in,
        top=1.0 - top_in / height_in,
        bottom=bottom_in / height_in,
        hspace=FIT_PANEL_GAP_IN / (rows_in / len(ratios)),
    )
    return fig
