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
