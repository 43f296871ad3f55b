"""Post-fit parameters, correlations, the Δχ² = 1 signal interval and the goodness of fit of every fit."""

import numpy as np
import pytest
from scipy import stats as sps

from exonu.config import load_detector
from exonu.searches import run_search, search_spec
from exonu.searches.postfit import postfit
from exonu.stats import BinnedModel, fit, goodness_of_fit


@pytest.fixture(scope="module")
def xenon1t_mu():
    """XENON1T SR1 μ_ν, Poisson PLR: real data with a 2–3σ excess (arXiv:2006.09721), so α̂ > 0."""
    return run_search(load_detector("xenon1t-sr1"), search_spec("magnetic-moment"), method="plr", n_toys=0)


def test_poisson_deviance_of_one_bin_is_the_closed_form():
    """−2 ln(L/L_sat) of D = 10 observed, E = 4 expected: 2 (E − D + D ln(D/E)) = 6.3259 (Baker–Cousins)."""
    g = goodness_of_fit([10.0], [4.0], "poisson", n_free=0)
    assert g.statistic == pytest.approx(2 * (4 - 10 + 10 * np.log(10 / 4)), rel=1e-12)
    assert g.statistic == pytest.approx(6.3259, abs=1e-4)
    assert g.ndof == 1 and g.p_value == pytest.approx(sps.chi2.sf(g.statistic, 1), rel=1e-12)


def test_chi2_gof_counts_pulls_and_free_parameters():
    """χ² = Σ (D − E)²/D + Σ pull²; ndof = bins − free parameters; p from χ²(ndof)."""
    g = goodness_of_fit([100.0, 50.0, 20.0], [90.0, 55.0, 20.0], "chi2", n_free=1, pulls=[2.0])
    assert g.statistic == pytest.approx(100 / 100 + 25 / 50 + 0 + 4.0, rel=1e-12)
    assert g.ndof == 2 and g.pull_terms == 4.0
    assert g.p_value == pytest.approx(sps.chi2.sf(5.5, 2), rel=1e-12) and not g.poor


def test_gof_flags_p_below_one_percent():
    g = goodness_of_fit([100.0, 100.0], [60.0, 140.0], "chi2", n_free=0)  # χ² = 16 + 16 = 32, 2 dof
    assert g.p_value < 1e-6 and g.poor


@pytest.mark.parametrize("statistic", ["poisson", "chi2"])
def test_gof_statistic_is_the_fits_own_minimum(statistic):
    """Both statistics are measured against the saturated model, so the goodness-of-fit statistic is the
    fit's minimum, rebuilt here from the counts, the post-fit expectation and the pulls."""
    setup = load_detector("xenon1t-sr1")
    r = run_search(setup, search_spec("magnetic-moment"), method="plr", n_toys=0, statistic=statistic)
    best = fit(r.model, statistic=statistic)
    g = postfit(r.model, best, statistic).gof
    assert g.statistic == pytest.approx(best.chi2, rel=1e-9)
    assert g.ndof == 29 - 1  # 29 bins, α free, B0 and the signal systematics constrained


def test_every_parameter_is_reported_with_prior_and_pull(xenon1t_mu):
    r = xenon1t_mu
    names = [p["name"] for p in r.nuisances]
    assert names == list(r.fit_result.parameter_names)  # signal strength first, then every nuisance
    assert r.nuisances[0]["kind"] == "signal" and r.nuisances[0]["pull"] is None
    b0 = next(p for p in r.nuisances if p["name"] == "p_b0")
    assert b0["prior_center"] == 1.0 and b0["prior_sigma"] == pytest.approx(0.026)  # xenon1t_sr1.toml
    assert b0["pull"] == pytest.approx((b0["value"] - 1.0) / 0.026, rel=1e-12)
    assert "B0 (XENON1T background model)" in b0["label"]
    for p in r.nuisances[1:]:
        assert p["pull"] == pytest.approx(r.fit_result.pulls[p["name"]], rel=1e-9, abs=1e-12)


def test_the_signal_row_is_in_the_physical_unit_with_alpha_beside_it(xenon1t_mu):
    """α = (μ_ν/1e-10 μ_B)² for the magnetic moment (its fit name "(mu_bohr/1e-10)^2"): the row's μ_ν is 1e-10 √α̂,
    in μ_B, with the Δχ² = 1 interval; α and its Hessian error stay in their own fields."""
    r = xenon1t_mu
    signal = r.nuisances[0]
    assert signal["name"] == "(mu_bohr/1e-10)^2"
    alpha = float(r.fit_result.values[0])
    assert signal["alpha"] == alpha and signal["alpha_uncertainty"] == float(r.fit_result.errors[0])
    assert alpha > 0 and signal["value"] == pytest.approx(1e-10 * np.sqrt(alpha), rel=1e-9)
    assert signal["value"] == r.best_fit and signal["unit"] == "mu_B" and signal["uncertainty"] is None
    lo, hi = signal["interval"]
    assert [lo, hi] == list(r.best_fit_interval) and lo < signal["value"] < hi < r.upper_limit
    first = r.postfit.table(r.physical_signal).splitlines()[0]
    assert f"= {r.best_fit:.3g} mu_B" in first and f"[{lo:.3g}, {hi:.3g}] mu_B" in first and "α" in first


def test_the_atomic_nuisance_says_what_it_is(xenon1t_mu):
    atomic = next(p for p in xenon1t_mu.nuisances if p["name"] == "r_atomic")
    assert atomic["label"] == "atomic model uncertainty (r_atomic)"
    assert "atomic model uncertainty (r_atomic)" in xenon1t_mu.postfit.table()


def test_correlations_are_a_correlation_matrix(xenon1t_mu):
    c = xenon1t_mu.correlations
    m = np.array(c["matrix"], dtype=float)
    assert c["names"] == [p["name"] for p in xenon1t_mu.nuisances] and m.shape == (len(c["names"]),) * 2
    ok = ~np.isnan(np.diag(m))
    np.testing.assert_allclose(np.diag(m)[ok], 1.0)
    np.testing.assert_allclose(m, m.T, equal_nan=True)
    assert np.nanmax(np.abs(m)) <= 1.0
    # the excess is explained by the signal or by B0: α and B0 are anti-correlated
    assert m[0, c["names"].index("p_b0")] < -0.1


def test_best_fit_interval_is_where_the_profile_rises_by_one(xenon1t_mu):
    r = xenon1t_mu
    lo, hi = r.best_fit_interval
    assert 0 < lo < r.best_fit < hi < r.observed
    prof = r.profile
    for alpha in (prof.alpha_lower, prof.alpha_upper):
        assert np.interp(alpha, prof.alpha_grid, prof.delta_chi2) == pytest.approx(1.0, abs=0.05)
    # near a parabola the Hessian error is the half-width of the interval in α
    half = 0.5 * (prof.alpha_upper - prof.alpha_lower)
    assert r.fit_result.alpha_error == pytest.approx(half, rel=0.25)


def test_a_joint_fit_reports_gof_per_detector():
    from exonu.searches import run_joint_search

    r = run_joint_search(
        [load_detector("xenon1t-sr1"), load_detector("xenonnt-sr0")], search_spec("magnetic-moment"), n_toys=0
    )
    g = r.gof
    assert set(g["per_window"]) == {"xenon1t-sr1", "xenonnt-sr0"}
    assert sum(w["n_bins"] for w in g["per_window"].values()) == r.combined.model.n_bins
    data_terms = sum(w["statistic"] for w in g["per_window"].values())
    assert g["statistic"] == pytest.approx(data_terms + g["pull_terms"], rel=1e-12)
    assert g["statistic"] == pytest.approx(r.combined.chi2_min, rel=1e-9)
    assert g["ndof"] == 58 - 1  # α is the only parameter without a pull term
    # α acts on both detectors' bins, so no window loses a degree of freedom to it
    assert all(w["ndof"] == w["n_bins"] for w in g["per_window"].values())


def test_free_parameters_lower_ndof():
    """A free normalisation has no pull term: it costs one degree of freedom, a constrained one does not."""
    data = np.array([12.0, 9.0, 11.0, 8.0])
    model = BinnedModel(data, np.ones((2, 4)) * [[6.0], [4.0]], [np.inf, 0.2], np.ones(4))
    best = fit(model, statistic="poisson")
    g = postfit(model, best, "poisson").gof
    assert g.ndof == 4 - 2 and g.statistic == pytest.approx(best.chi2, rel=1e-9)
