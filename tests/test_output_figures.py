"""Figures: axes that fit the numbers, and the best-fit curve read from the model for any set of fixed components."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from exonu.output.figures import (
    log_axis_range,
    nuisance_arrays_from_fit_vector,
    plot_dark_photon_limits,
    plot_fit,
    plot_millicharge_limits,
)
from exonu.stats import BinnedModel, fit


def test_log_axis_range_spans_every_value_with_margin():
    assert log_axis_range([1e-13, 2e-12, None, np.nan, -1.0, 0.0, 3e-8]) == pytest.approx((1e-13 / 3, 9e-8))
    assert log_axis_range([None, np.nan]) == (1e-3, 1.0)  # nothing to show: a harmless default


def test_millicharge_figure_shows_limits_of_a_low_background_detector():
    """The per-flavour figure had a fixed 5e-13–1e-7 axis and hid limits below it."""
    limits = {
        "common": (2.4e-13, 2.0e-13),
        "ν_e": (3.3e-13, 2.7e-13),
        "ν_μ": (5.1e-13, 4.2e-13),
        "ν_τ": (5.1e-13, 4.2e-13),
    }
    fig = plot_millicharge_limits(limits)
    low, high = fig.axes[0].get_ylim()
    assert low <= 2.0e-13 / 3 * 1.0001 and high >= 3e-8  # lowest limit and the highest reference line inside
    plt.close(fig)


def test_dark_photon_figure_shows_every_limit():
    fig = plot_dark_photon_limits(
        [1e-3, 1.0, 1e3], [1e-7, 1e-6, 1e-1], [1e-7, 1e-6, 1e-1], published_points=[(1e-3, 1e-9)]
    )
    low, high = fig.axes[0].get_ylim()
    assert low <= 1e-9 / 3 * 1.0001 and high >= 0.3 * 0.9999
    plt.close(fig)


def test_figures_draw_into_the_axes_of_a_subfigure():
    """Axes of a SubFigure (which has no tight_layout) are drawn into, and the figure to save is returned."""
    root = plt.figure()
    left, right = root.subfigures(1, 2)
    ax_left, ax_right = left.subplots(), right.subplots()
    fig = plot_millicharge_limits({"common": (2.4e-13, 2.0e-13)}, ax=ax_left)
    assert fig is root and ax_left.lines  # drawn, and the figure returned is the one holding the subfigure
    fig = plot_dark_photon_limits([1e-3, 1.0], [1e-7, 1e-6], [1e-7, 1e-6], ax=ax_right)
    assert fig is root and ax_right.lines
    plt.close(root)


@pytest.fixture
def fitted_model_with_fixed_component():
    """Three components, the middle one fixed (σ = 0): the fit vector holds two normalisations, not three."""
    n = 12
    x = np.linspace(0.0, 1.0, n)
    bkg = np.vstack([200.0 * np.exp(-2 * x), np.full(n, 30.0), 50.0 + 20 * x])
    signal = 40.0 * np.exp(-(((x - 0.4) / 0.15) ** 2))
    shape = 0.05 * (x - 0.5)[None, None, :] * bkg[None, :, :]  # one shape systematic on every component
    model = BinnedModel(
        data=np.round(bkg.sum(axis=0) + 0.5 * signal),
        background_templates=bkg,
        activity_sigma=[np.inf, 0.0, 0.2],
        signal_templates=signal,
        background_names=["a", "fixed", "c"],
        background_shape_sys=shape,
        background_sys_names=["tilt"],
    )
    result = fit(model)
    return model, result


def test_fit_vector_maps_back_to_every_component_by_name(fitted_model_with_fixed_component):
    model, f = fitted_model_with_fixed_component
    assert len(f.p) == 3 and "p_fixed" not in f.parameter_names  # the case that broke slicing
    assert f.p[1] == 1.0
    p, q, r = nuisance_arrays_from_fit_vector(f, model, f.values[None, :])
    np.testing.assert_array_equal(p[0], f.p)
    np.testing.assert_array_equal(q[0], f.q)
    np.testing.assert_array_equal(r[0], f.r)
    shifted = f.values.copy()
    shifted[f.parameter_names.index("p_c")] += 0.5
    p, _, _ = nuisance_arrays_from_fit_vector(f, model, shifted[None, :])
    assert p[0][2] == pytest.approx(f.p[2] + 0.5) and p[0][1] == f.p[1] and p[0][0] == f.p[0]


def test_fit_figure_has_a_residual_panel_that_fits_the_residuals():
    edges = np.linspace(2.0, 6.0, 5)
    data = np.array([100.0, 100.0, 100.0, 100.0])
    model = np.array([100.0, 100.0, 160.0, 100.0])  # a −6σ residual in the third bin
    fig = plot_fit(edges, data, model, model, model, np.zeros(4), exposure_kg_day=10.0)
    _main, residual = fig.axes
    low, high = residual.get_ylim()
    assert low < -6.0 - 1.0 and high > 7.0
    points = residual.containers[0].lines[0].get_ydata()  # the errorbar markers: (data − fit)/√data
    np.testing.assert_allclose(points, [0.0, 0.0, -6.0, 0.0])
    plt.close(fig)


#: the note of `exonu reproduce --quick` on the XMASS-I reconstruction (output.labels.detector_note + method)
LONG_NOTE = (
    "xmass-i reconstruction — Asimov (simulated) data — QUICK LOOK (reduced toys and masses, "
    "exonu reproduce --quick); bayesian"
)


@pytest.mark.parametrize(
    "draw",
    [
        lambda: plot_millicharge_limits({"common": (6e-12, 6e-12), "ν_e": (8e-12, 8e-12)}, note=LONG_NOTE),
        lambda: plot_dark_photon_limits([1e-3, 1.0], [1e-6, 1e-5], [1e-6, 1e-5], note=LONG_NOTE),
    ],
    ids=["fig4", "fig6"],
)
def test_a_long_note_is_wrapped_inside_the_figure(draw):
    fig = draw()
    try:
        fig.canvas.draw()
        title = fig.axes[0].title
        box = title.get_window_extent()
        assert box.x0 >= 0 and box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height, box
        assert "QUICK LOOK" in title.get_text() and title.get_text().count("\n") >= 1
    finally:
        plt.close(fig)


# --- layout: fixed when a figure is made, and every label inside it ------------------------------------------


@pytest.fixture(scope="module", params=["xmass-i", "xenon1t-sr1", "xenonnt-sr0"])
def reproduction(request):
    """The paper's searches on a detector (Asimov data, no toys); the masses 1e-3, 10 and 1000 MeV give the
    fit panels of XENONnT a log axis under one decade, whose minor ticks are labelled (6×10⁻⁵)."""
    from exonu.config import load_detector
    from exonu.searches import reproduce_paper

    return reproduce_paper(load_detector(request.param), [], n_toys=0, masses_mev=[1e-3, 10.0, 1e3], dark_photon_toys=0)


def drawn_texts(fig, monkeypatch):
    """``(text, window extent)`` of every non-empty text drawn when ``fig`` is drawn (ticks outside the axes
    are not drawn, so asking the axes for their tick labels would list too many)."""
    from matplotlib.text import Text

    drawn = []
    draw = Text.draw

    def recording_draw(self, renderer):
        draw(self, renderer)
        if self.get_visible() and self.get_text().strip():
            drawn.append((self.get_text(), self.get_window_extent(renderer)))

    with monkeypatch.context() as m:
        m.setattr(Text, "draw", recording_draw)
        fig.canvas.draw()
    return drawn


def assert_texts_fit(fig, monkeypatch):
    """Every drawn text inside the figure, and no two overlapping (1 px of slack each)."""
    texts = drawn_texts(fig, monkeypatch)
    assert len(texts) >= 8  # titles, axis labels, tick labels, legend: the recording saw the drawing
    width, height = fig.bbox.width, fig.bbox.height
    for text, box in texts:
        assert box.x0 >= -1 and box.y0 >= -1 and box.x1 <= width + 1 and box.y1 <= height + 1, (text, box.bounds)
    for i, (text, box) in enumerate(texts):
        for other, other_box in texts[i + 1 :]:
            overlap = (
                min(box.x1, other_box.x1) - max(box.x0, other_box.x0) > 1
                and min(box.y1, other_box.y1) - max(box.y0, other_box.y0) > 1
            )
            assert not overlap, (text, other)


def test_every_figure_of_a_reproduction_fits_its_labels(reproduction, monkeypatch):
    """Margins fixed when a figure is made (no layout engine: saving draws once) still hold every label of
    every detector: wrapped titles, footers, linear tick labels like 0.00005, minor log labels like 6×10⁻⁵."""
    from exonu.output.figures import plot_background
    from exonu.output.figures_fit import plot_search_fit
    from exonu.output.figures_paper import figure_builders
    from exonu.output.labels import search_title

    builders = dict(figure_builders(reproduction))
    if reproduction.setup.name != "xmass-i":  # the other detectors: the figures whose labels follow the data
        builders = {name: builders[name] for name in ("fig3_millicharge_fit.png", "fig5_fits.png")}
        result = reproduction.searches["magnetic_moment_mub"]
        builders["report fit"] = lambda: plot_search_fit(reproduction, result, search_title(result))
        builders["background"] = lambda: plot_background(reproduction.setup)
    for name, build in builders.items():
        fig = build()
        try:
            assert fig.get_layout_engine() is None, name
            assert_texts_fit(fig, monkeypatch)
        finally:
            plt.close(fig)


def test_fit_figure_is_as_wide_as_the_tick_labels_of_its_linear_axis(monkeypatch):
    """Rates near 1e-4 per (kg·day·keV) on a linear axis have labels like 0.000025, wider than the margin
    that holds those of a log axis: the left margin follows their text."""
    edges = np.linspace(1.0, 5.0, 5)
    data = np.array([100.0, 180.0, 120.0, 100.0])
    fig = plot_fit(edges, data, data, data, data, np.zeros(4), exposure_kg_day=1e6, log_y=False, title="rates")
    try:
        fig.canvas.draw()
        labels = [t.get_text() for t in fig.axes[0].get_yticklabels() if t.get_text()]
        assert "0.000025" in labels  # the case this test is about
        assert_texts_fit(fig, monkeypatch)
    finally:
        plt.close(fig)


def test_fit_panels_drawn_into_a_callers_axes_keep_their_own_footer(small_search):
    """Two fits on a caller's figure: each footer under its own residual axes (not the figure's last axes),
    and the caller's SubFigure is returned for axes of a SubFigure."""
    from exonu.output.figures_fit import plot_search_fit, search_footer

    res, result = small_search
    fig, axes = plt.subplots(4, 1)
    for ax, residual_ax in (axes[:2], axes[2:]):
        assert plot_search_fit(res, result, "first", ax=ax, residual_ax=residual_ax) is fig
    assert [t.get_text() for t in axes[1].texts] == [search_footer(result)] == [t.get_text() for t in axes[3].texts]
    plt.close(fig)
    root = plt.figure()
    sub = root.subfigures(1, 2)[1]
    ax, residual_ax = sub.subplots(2, 1)
    assert plot_search_fit(res, result, "in a subfigure", ax=ax, residual_ax=residual_ax) is sub
    assert residual_ax.texts and not ax.texts
    plt.close(root)


@pytest.fixture(scope="module")
def small_search():
    from exonu.config import load_detector
    from exonu.searches import reproduce_paper

    res = reproduce_paper(load_detector("xmass-i"), [], n_toys=0, masses_mev=[1e-3, 10.0], dark_photon_toys=0)
    return res, res.searches["magnetic_moment_mub"]


@pytest.mark.parametrize("energies_kev", [(10.0, 40.0), (0.3, 3.0), (5.0, 6.0), (1.0, 700.0)])
def test_signal_spectra_over_any_energy_range_fit_their_labels(energies_kev, monkeypatch):
    """Less than a decade of energy labels its minor ticks (4×10¹ at the right end): the margins hold them."""
    from exonu.output.figures import plot_signal_spectra

    fig = plot_signal_spectra(e_min_kev=energies_kev[0], e_max_kev=energies_kev[1], n_points=40)
    try:
        assert_texts_fit(fig, monkeypatch)
    finally:
        plt.close(fig)


@pytest.mark.parametrize("masses", [[1.0], [1.0, 100.0], [1e-3, 1e3]])
def test_dark_photon_limits_of_one_or_a_few_masses_fit_their_labels(masses, monkeypatch):
    """One mass spans under a decade of coupling: minor y labels like 3×10⁻⁵ must fit the left margin."""
    observed = [2e-5 * (1.0 + m) ** 0.3 for m in masses]
    fig = plot_dark_photon_limits(masses, observed, [1.5 * g for g in observed])
    try:
        assert_texts_fit(fig, monkeypatch)
    finally:
        plt.close(fig)
