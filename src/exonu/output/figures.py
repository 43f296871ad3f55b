"""Figures (matplotlib) of the signal spectra and background (Figs. 1, 2) and of the limits (Figs. 4, 6).
Each function takes ``ax=`` (created if None) and returns the figure; the fit figures (Figs. 3, 5) are in
:mod:`exonu.output.figures_fit` (also importable from here).

Every function here also draws into the axes of a ``SubFigure`` and returns the top-level figure holding it
(and leaves its layout to you); the axes of a caller's top-level figure get ``Figure.tight_layout``. (The fit
figures return the SubFigure and leave a caller's figure as it is.) A figure made here is laid out when it
is made (:mod:`exonu.output.figure_layout`): saving it draws it once.

Figure numbers follow the XMASS-I paper, PLB 809 (2020) 135741 (arXiv:2005.11891). Titles, windows and
labels come from the detector and the results passed in, never from a detector name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from ..cache import cached_arrays
from ..spectrum import RecoilSpectrum, default_spectrum
from ..xsec import DarkPhotonBL, Interaction, MagneticMoment, Millicharge, Weak
from .figure_layout import FIT_PANEL_GAP_IN, place_subplots, title_height_in
from .figure_layout import title_with_note as title_with_note
from .figures_fit import nuisance_arrays_from_fit_vector as nuisance_arrays_from_fit_vector
from .figures_fit import plot_fit as plot_fit
from .figures_fit import plot_search_fit as plot_search_fit
from .figures_fit import plot_search_fits as plot_search_fits
from .figures_fit import profile_band as profile_band
from .figures_fit import wrapped as wrapped

if TYPE_CHECKING:  # annotations only: matplotlib is imported where a figure is drawn
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..detector import BackgroundModel, DetectorSetup

#: Fig. 1 of the paper: the models and parameter values shown there (caption), with Axes.plot styles
FIG1_MODELS: tuple[tuple[str, Interaction, str, dict[str, Any]], ...] = (
    ("millicharge, q = 1.5×10⁻¹² e (RRPA-grade: FEA + EPA)", Millicharge(1.5e-12), "rrpa", dict(color="m", ls="-")),
    ("magnetic moment, μ = 1×10⁻¹⁰ μ_B (FEA)", MagneticMoment(1e-10), "fea", dict(color="r", ls="--")),
    ("B−L, g = 1×10⁻⁶, M = 10⁻³ MeV (FEA)", DarkPhotonBL(1e-6, 1e-3), "fea", dict(color="g", ls="-.")),
    ("B−L, g = 1×10⁻⁴, M = 10 MeV (FEA)", DarkPhotonBL(1e-4, 10.0), "fea", dict(color="b", ls="-.")),
    ("Standard Model (weak)", Weak(), "fea", dict(color="k", ls=":")),
)


def _axes(ax: Axes | None, figsize: tuple[float, float] = (7.0, 5.0)) -> tuple[Figure, Axes]:
    """The axes to draw into (new ones if None) and the top-level figure they belong to (the one to save)."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="none")  # "none": placed by place_subplots, whatever the rc
        return fig, ax
    root = ax.figure
    while not isinstance(root, Figure):  # axes of a SubFigure: its .figure is the figure holding it
        root = root.figure
    return root, ax


def _tight_layout(ax: Axes) -> None:
    """``Figure.tight_layout`` when ``ax`` (a caller's) belongs to a top-level figure; a SubFigure has none
    (its parent lays it out), so its axes are left as they are instead of failing."""
    from matplotlib.figure import Figure

    if isinstance(ax.figure, Figure):
        ax.figure.tight_layout()


def fig1_rates(spectrum: RecoilSpectrum, t_kev: np.ndarray) -> list[np.ndarray]:
    """dR/dT in events/(kg·day·keV) at ``t_kev`` of each model of :data:`FIG1_MODELS`, through the on-disk
    cache (:mod:`exonu.cache`): the millicharge's photoabsorption term needs xraydb (≈ 0.5 s to import)."""

    def compute() -> dict[str, np.ndarray]:
        return {
            f"model {i}": spectrum.rate(t_kev, interaction, atomic_model=atomic_model, per="kg-day")
            for i, (_, interaction, atomic_model, _) in enumerate(FIG1_MODELS)
        }

    inputs = {"spectrum": spectrum, "t_kev": t_kev, "models": [(m[1], m[2]) for m in FIG1_MODELS], "per": "kg-day"}
    arrays = cached_arrays("fig1-signal-spectra", inputs, compute)
    return [arrays[f"model {i}"] for i in range(len(FIG1_MODELS))]


def plot_signal_spectra(
    spectrum: RecoilSpectrum | None = None,
    ax: Axes | None = None,
    e_min_kev: float = 1.0,
    e_max_kev: float = 200.0,
    n_points: int = 600,
) -> Figure:
    """Fig. 1: deposited-energy spectra in Xe for the paper's four exotic models and the SM.

    Rates in events/(kg·day·keV) of true deposited energy (no detector response); the dark-photon
    curves are the excess over the SM (pure + interference).
    """
    spectrum = spectrum or default_spectrum()
    made_here = ax is None
    fig, ax = _axes(ax)
    t = np.geomspace(e_min_kev, e_max_kev, n_points)
    rates = fig1_rates(spectrum, t)
    for (label, _, _, style), rate in zip(FIG1_MODELS, rates, strict=True):
        ax.plot(t, np.where(rate > 0, rate, np.nan), label=label, lw=1.8, **style)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(e_min_kev, e_max_kev)
    ax.set_xlabel("deposited energy T [keV]")
    ax.set_ylabel("rate [events / (kg · day · keV)]")
    src = spectrum.describe()
    ax.set_title(f"Solar-ν recoil spectra in Xe ({src['solar_model']}: {' + '.join(src['sources'])})", fontsize=10)
    ax.legend(fontsize=8, loc="lower left")
    ax.grid(True, which="both", alpha=0.25)
    if made_here:  # log axes: 10⁻ⁿ tick labels, and a last label like 4×10¹ (half of it right of the axes)
        place_subplots(fig, left_in=0.8, right_in=0.35, bottom_in=0.6, top_in=title_height_in(ax))
    else:
        _tight_layout(ax)
    return fig


def background_systematic_fraction(background: BackgroundModel) -> np.ndarray:
    """Relative 1σ uncertainty of the total background per bin: every activity constraint
    (σ(B_RI)_j B_ij) and every shape systematic (Σ_j σ(B_sys)_ijk), added in quadrature."""
    sigma = np.asarray(background.activity_sigma(None), dtype=float)
    activity = np.where(np.isfinite(sigma), sigma, 0.0)[:, None] * background.templates
    shape = (
        np.asarray(background.shape_sys).sum(axis=1)
        if len(background.shape_sys)
        else np.zeros((0, background.total.size))
    )
    variance = (activity**2).sum(axis=0) + (shape**2).sum(axis=0)
    return np.divide(np.sqrt(variance), background.total, out=np.zeros_like(variance), where=background.total > 0)


def plot_background(
    detector_setup: DetectorSetup, ax: Axes | None = None, window: str | None = None, systematics: bool = True
) -> Figure:
    """Fig. 2 analogue: stacked background components after selection, in events/(kg·day·keV).

    With ``ax=None`` and ``systematics=True`` a lower panel shows the relative systematic band of the
    total (:func:`background_systematic_fraction`), like the red band of the paper's Fig. 2.

    Parameters
    ----------
    detector_setup : exonu.detector.DetectorSetup
        e.g. ``exonu.config.load_detector("xmass-i")``.
    ax : matplotlib Axes, optional
    window : str, optional
        Analysis window to draw (default: the widest one, 2–200 keV for XMASS-I).

    Notes
    -----
    For a reconstructed detector (``is_reconstruction``) the figure is labelled as such: the XMASS-I
    components are this package's reconstruction, not the collaboration's MC (paper Fig. 2).
    """
    sys_ax = None
    made_here = ax is None
    if ax is None and systematics:
        import matplotlib.pyplot as plt

        fig, (ax, sys_ax) = plt.subplots(
            2, 1, figsize=(8.0, 7.0), sharex=True, layout="none", gridspec_kw={"height_ratios": [3, 1]}
        )
    else:
        fig, ax = _axes(ax, figsize=(8.0, 5.5))
    if window is None:
        window = max(
            detector_setup.windows,
            key=lambda n: detector_setup.windows[n].binning.high_kev - detector_setup.windows[n].binning.low_kev,
        )
    w = detector_setup.window(window)
    bg = w.background
    edges = w.binning.edges_kev
    rates = bg.rate_density(w.exposure_kg_day)  # (n_comp, n_bins), events/(kg·day·keV)
    order = np.argsort(rates.sum(axis=1))[::-1]  # largest at the bottom of the stack
    colours = __import__("matplotlib").colormaps["tab20"](np.linspace(0, 1, 20))
    bottom = np.zeros(w.binning.n_bins)
    for n, j in enumerate(order):
        top = bottom + rates[j]
        ax.fill_between(
            edges,
            np.append(bottom, bottom[-1]),
            np.append(top, top[-1]),
            step="post",
            color=colours[n % 20],
            alpha=0.85,
            lw=0,
            label=bg.labels[j],
        )
        bottom = top
    ax.stairs(bottom, edges, color="k", lw=1.2, label="total")
    ax.set_yscale("log")
    positive = bottom[bottom > 0]
    if positive.size:
        ax.set_ylim(max(positive.min() * 0.3, bottom.max() * 1e-4), bottom.max() * 3)
    ax.set_xlim(edges[0], edges[-1])
    ax.set_xlabel("reconstructed energy [keV]")
    ax.set_ylabel("rate after selection [events / (kg · day · keV)]")
    ax.set_title(
        f"{detector_setup.name}: background model, window '{window}' ({edges[0]:g}–{edges[-1]:g} keV)", fontsize=10
    )
    note = (
        f"{detector_setup.name.upper()} reconstruction (not the collaboration's MC)"
        if detector_setup.is_reconstruction
        else "background model as configured (see the data REFERENCE.md)"
    )
    ax.text(
        0.98,
        0.97,
        note,
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize=9,
        style="italic",
        bbox=dict(facecolor="white", alpha=0.8, edgecolor="0.7"),
    )
    ax.legend(fontsize=7, loc="upper right", bbox_to_anchor=(0.98, 0.90), ncol=2)
    ax.grid(True, which="both", alpha=0.25)
    if sys_ax is not None:
        frac = background_systematic_fraction(bg)
        sys_ax.stairs(
            1 + frac,
            edges,
            baseline=1 - frac,
            fill=True,
            color="tab:red",
            alpha=0.4,
            label="all background systematics (±1σ, quadrature)",
        )
        sys_ax.axhline(1.0, color="k", lw=0.8)
        sys_ax.set_ylabel("relative\nuncertainty")
        sys_ax.set_xlabel("reconstructed energy [keV]")
        ax.set_xlabel("")
        sys_ax.set_ylim(max(0.0, 1 - 1.3 * frac.max()), 1 + 1.3 * frac.max() if frac.max() > 0 else 1.1)
        sys_ax.legend(fontsize=7, loc="upper right")
        sys_ax.grid(True, alpha=0.25)
    if made_here:
        # left: a log axis spanning about one decade labels its minor ticks (6×10⁻⁵, 0.6 in wide), and
        # the lower panel's two-line label; right: half of the last tick label ("200") beyond the axes
        place_subplots(
            fig, left_in=1.0, right_in=0.3, bottom_in=0.6, top_in=title_height_in(ax), gap_in=FIT_PANEL_GAP_IN
        )
    else:
        _tight_layout(ax)
    return fig


#: Reference millicharge limits the paper compares with in Fig. 4 (paper §1.1, refs. [11–13])
MILLICHARGE_REFERENCES = (
    ("reactor ν̄_e, 1.5×10⁻¹² e (ref. [11])", 1.5e-12, "tab:gray", "--"),
    ("reactor ν̄_e, 2.1×10⁻¹² e (ref. [12])", 2.1e-12, "tab:brown", "-."),
    ("vacuum birefringence, 3×10⁻⁸ e (m_ν < 10 meV, ref. [13])", 3e-8, "tab:olive", ":"),
)


def log_axis_range(values: Iterable[float | None], pad: float = 3.0) -> tuple[float, float]:
    """A log-axis range that shows every positive finite value of ``values``, with a factor ``pad`` of margin."""
    v = np.asarray([x for x in values if x is not None], dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        return 1e-3, 1.0
    return float(v.min() / pad), float(v.max() * pad)


def plot_millicharge_limits(
    limits: Mapping[str, tuple[float, float]],
    published: Mapping[str, float | None] | None = None,
    ax: Axes | None = None,
    note: str = "",
) -> Figure:
    """Fig. 4: 90 % CL millicharge limits per flavour beside the references the paper compares with.

    Parameters
    ----------
    limits : dict
        ``{"common": (observed, expected), "ν_e": (...), "ν_μ": (...), "ν_τ": (...)}`` in units of e.
    published : dict, optional
        Published values with the same keys (only those the detector config gives).

    The y axis spans every limit, published value and reference line, so no point falls outside it.
    """
    made_here = ax is None
    fig, ax = _axes(ax, figsize=(6.5, 4.6))
    labels = list(limits)
    x = np.arange(len(labels))
    obs = [limits[k][0] for k in labels]
    exp = [limits[k][1] for k in labels]
    ax.plot(x - 0.1, obs, "v", color="tab:blue", ms=9, label="exonu, observed (90 % CL)")
    ax.plot(x + 0.1, exp, "v", color="tab:blue", mfc="none", ms=9, label="exonu, expected (median)")
    shown = obs + exp
    if published:
        values = [published.get(k) for k in labels]
        ax.plot(x, [np.nan if v is None else v for v in values], "_", color="k", ms=22, mew=2.5, label="published")
        shown += values  # type: ignore[arg-type]  # the None of values not published: log_axis_range skips them
    for label, value, color, ls in MILLICHARGE_REFERENCES:
        ax.axhline(value, color=color, ls=ls, lw=1.3, label=label)
        shown.append(value)
    ax.set_xticks(x, labels)
    ax.set_xlim(-0.6, len(labels) - 0.4)
    ax.set_yscale("log")
    ax.set_ylim(*log_axis_range(shown))
    ax.set_ylabel("neutrino millicharge |q| [e]")
    title_with_note(ax, "Millicharge limits per flavour", note)
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(True, which="both", axis="y", alpha=0.2)
    if made_here:  # the y axis spans the reference lines (1.5×10⁻¹² to 3×10⁻⁸ e): 10⁻ⁿ tick labels only
        place_subplots(fig, left_in=0.85, right_in=0.15, bottom_in=0.4, top_in=title_height_in(ax))
    else:
        _tight_layout(ax)
    return fig


def plot_dark_photon_limits(
    masses_mev: ArrayLike,
    observed: Sequence[float],
    expected: Sequence[float],
    expected_band: ArrayLike | None = None,
    published_points: Iterable[tuple[float, float]] = (),
    ax: Axes | None = None,
    note: str = "",
) -> Figure:
    """Fig. 6: 90 % CL exclusion of g_{B−L} versus the dark-photon mass, published points marked."""
    made_here = ax is None
    fig, ax = _axes(ax, figsize=(6.8, 4.8))
    m = np.asarray(masses_mev, dtype=float)
    if expected_band is not None:
        band = np.asarray(expected_band, dtype=float)
        ax.fill_between(m, band[:, 0], band[:, 1], color="tab:green", alpha=0.3, label="expected ± 1σ")
    ax.plot(m, observed, color="k", lw=1.8, label="exonu, observed (90 % CL)")
    # drawn over the observed curve: on Asimov data the two coincide and the median would be hidden
    ax.plot(m, expected, color="tab:blue", ls="--", lw=1.3, label="exonu, expected (median)", zorder=3)
    shown = list(observed) + list(expected)
    for i, (mass, value) in enumerate(published_points):
        ax.plot(mass, value, "r*", ms=13, label="published" if i == 0 else None, zorder=4)
        shown.append(value)
    if expected_band is not None:
        shown += list(np.ravel(expected_band))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(*log_axis_range(shown))
    ax.set_xlabel("dark-photon mass $M_{A'}$ [MeV]")
    ax.set_ylabel("coupling $g_{B-L}$")
    title_with_note(ax, "U(1)$_{B-L}$ dark photon: 90 % CL exclusion", note)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(True, which="both", alpha=0.2)
    if made_here:  # y labels up to 6×10⁻⁵ (one mass spans less than a decade), a last x label like 2×10²
        place_subplots(fig, left_in=0.95, right_in=0.35, bottom_in=0.6, top_in=title_height_in(ax))
    else:
        _tight_layout(ax)
    return fig
