"""Detector response (Eq. 3 of arXiv:2005.11891): conservation, resolution, threshold, efficiency, systematics."""

import numpy as np
import pytest

from exonu.detector import (
    Binning,
    ConstantEfficiency,
    DetectorModel,
    EnergyScale,
    LogisticEfficiency,
    ParametricResolution,
    TableEfficiency,
    TableResolution,
)
from exonu.errors import ConfigError, InputError, OutOfRangeError

EXPOSURE = 1000.0  # kg·day


def flat_model(**kw):
    # constant σ (c term only): a flat spectrum then stays exactly flat after smearing
    return DetectorModel(EXPOSURE, ParametricResolution(0.0, 0.0, 0.5), ConstantEfficiency(1.0), **kw)


def test_binning_from_range_and_properties():
    b = Binning.from_range(2, 200, 2)
    assert b.n_bins == 99
    assert b.centres_kev[0] == pytest.approx(3.0)
    assert np.allclose(b.widths_kev, 2.0)


@pytest.mark.parametrize("edges", [[1.0], [1, 3, 2], [0, np.inf], [1, 1, 2]])
def test_binning_rejects_bad_edges(edges):
    with pytest.raises(InputError, match="edges"):
        Binning(edges, key="edges")


def test_binning_config_error_names_key():
    with pytest.raises(ConfigError, match="windows.x.edges_kev"):
        Binning([3, 2], key="windows.x.edges_kev", error=ConfigError)
    with pytest.raises(InputError, match="whole number"):
        Binning.from_range(2, 15, 2)


def test_flat_spectrum_counts_conserved_inside_window():
    r = flat_model().response(Binning.from_range(2, 50, 1))
    counts = r.fold(np.full(r.grid_kev.size, 0.01))
    inner = (r.binning.centres_kev > 5) & (r.binning.centres_kev < 47)
    assert np.allclose(counts[inner], 0.01 * EXPOSURE * 1.0, rtol=1e-6)


def test_flat_spectrum_with_energy_dependent_sigma_changes_only_at_order_b_squared():
    # ∫ N(E; T, σ(T)) dT = 1 + ½ d²σ²/dT² = 1 + b² for σ² = a²T + b²T²: physics, not a leak
    m = DetectorModel(EXPOSURE, ParametricResolution(0.31, 0.029), ConstantEfficiency(1.0))
    r = m.response(Binning.from_range(5, 50, 1))
    dens = r.rate_density(np.ones(r.grid_kev.size))
    assert np.allclose(dens[3:-8], 1 + 0.029**2, rtol=2e-4)


def test_resolution_widens_line_to_configured_sigma():
    res = ParametricResolution(0.31, 0.029)
    m = DetectorModel(EXPOSURE, res, ConstantEfficiency(1.0))
    b = Binning.from_range(30, 90, 0.1)
    counts = m.response(b).fold_lines([60.0], [1.0])
    assert counts.sum() == pytest.approx(EXPOSURE, rel=1e-6)
    mean = np.sum(counts * b.centres_kev) / counts.sum()
    rms = np.sqrt(np.sum(counts * (b.centres_kev - mean) ** 2) / counts.sum())
    assert mean == pytest.approx(60.0, abs=1e-3)
    # binning adds width²/12 to the variance
    assert rms == pytest.approx(np.sqrt(float(res.sigma_kev(60.0)) ** 2 + 0.1**2 / 12), rel=1e-3)


def test_threshold_removes_all_deposits_below_1kev():
    m = DetectorModel(EXPOSURE, ParametricResolution(0.31, 0.029), ConstantEfficiency(1.0), threshold_kev=1.0)
    r = m.response(Binning.from_range(0.5, 5, 0.5))
    assert r.grid_kev.min() >= 1.0
    below = np.where(r.grid_kev < 1.0, 1.0, 0.0)
    assert np.all(r.fold(below) == 0)
    assert np.all(r.fold_lines([0.8], [1.0]) == 0)


def test_efficiency_reconstructed_vs_true():
    eff = LogisticEfficiency(0.9, 7.8, 2.2)
    assert float(eff(5.0)) == pytest.approx(0.197, abs=0.003)
    b = Binning.from_range(20, 40, 2)
    for on in ("reconstructed", "true"):
        m = DetectorModel(EXPOSURE, ParametricResolution(0.31, 0.029), eff, efficiency_on=on)
        r = m.response(b)
        # far above E50 the efficiency is the plateau either way
        assert np.allclose(r.rate_density(np.ones(r.grid_kev.size))[2:-2], 0.9 * (1 + 0.029**2), rtol=1e-3)


def test_response_is_cached_and_fold_rate_function():
    m = flat_model()
    b = Binning.from_range(2, 10, 1)
    assert m.response(b) is m.response(Binning.from_range(2, 10, 1))
    r = m.response(b)
    assert np.allclose(r.fold_rate_function(lambda t: 0 * t + 2.0), r.fold(np.full(r.grid_kev.size, 2.0)))
    with pytest.raises(InputError, match="grid"):
        r.fold(np.ones(3))


def test_systematic_shifts_signs_and_sizes():
    scale = EnergyScale(uncertainty_energy_kev=(1.0, 100.0), uncertainty_up=(0.05, 0.05), uncertainty_down=(0.05, 0.05))
    m = DetectorModel(EXPOSURE, ParametricResolution(0.31, 0.029), LogisticEfficiency(0.9, 7.8, 2.2, 0.5), scale)
    r = m.response(Binning.from_range(2, 60, 2))
    rate = 1.0 / r.grid_kev**2  # falling spectrum: a higher scale puts more counts in every bin
    names, shifts = r.systematic_shifts(rate)
    assert names == ("energy_scale", "efficiency", "resolution")
    assert shifts.shape == (3, r.binning.n_bins)
    # E ∝ (1+δ)T with rate ∝ T⁻²: density rises by (1+δ) ⇒ ≈ +5 %
    assert np.allclose(shifts[0, 10:-3], 0.05, atol=0.005)
    assert np.all(shifts[1, :3] > 0.05)  # lower E50 ⇒ more efficient near threshold
    assert np.all(np.abs(shifts[1, -5:]) < 1e-3)  # nothing on the plateau
    assert np.all(np.abs(shifts[2]) < 0.05)


def test_tables_refuse_to_extrapolate():
    eff = TableEfficiency((0.0, 10.0, 20.0), (0.0, 0.5, 0.9), source="eff.txt")
    with pytest.raises(OutOfRangeError, match="eff.txt"):
        eff(25.0)
    res = TableResolution((1.0, 50.0), (0.3, 2.0), source="res.txt")
    m = DetectorModel(EXPOSURE, res, eff)
    with pytest.raises(OutOfRangeError):
        m.response(Binning.from_range(2, 40, 2))  # grid reaches beyond both tables


@pytest.mark.parametrize("values,match", [((0.1, -0.1), "≥ 0"), ((0.1, 1.2), "≤ 1")])
def test_table_efficiency_bounds(values, match):
    with pytest.raises(ConfigError, match=match):
        TableEfficiency((1.0, 2.0), values, source="eff.txt")


def test_table_efficiency_extends_only_when_asked():
    e, v = (1.0, 2.0, 29.88), (0.1, 0.5, 0.8)
    with pytest.raises(OutOfRangeError, match=r"efficiency.*1–29\.88 keV.*no extrapolation"):
        TableEfficiency(e, v)([29.9])
    flat = TableEfficiency(e, v, extend="flat")
    assert flat([0.5, 29.9, 40.0]).tolist() == [0.1, 0.8, 0.8]
    assert flat.shifted(1.0).extend == "flat"
    with pytest.raises(InputError, match="extend must be one of"):
        TableEfficiency(e, v, extend="linear")


def test_resolution_terms_that_would_overflow_are_refused():
    with pytest.raises(InputError, match="resolution terms above 1e\\+06"):
        ParametricResolution(1e200)
    assert ParametricResolution(1e6, combine="linear").sigma_kev(4.0) == pytest.approx(2e6)
