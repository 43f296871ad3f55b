"""Limits against closed forms: counting, Gaussian, the paper's own numbers; expected limits, toys."""

import numpy as np
import pytest
from scipy.integrate import trapezoid
from scipy.stats import norm

from exonu.stats import (
    BinnedModel,
    bayesian_chi2_limit,
    expected_limits,
    generate_toys,
    neyman_upper_limit,
    plr_critical_value,
    plr_interval,
    plr_upper_limit,
    profile,
    upper_limit,
)

Z90 = norm.ppf(0.9)  # 1.2816


def gaussian_model(alpha_hat, sigma, template=1.0, b=10.0):
    """One bin whose χ² is exactly ((α − α̂)/σ)²: D − b = α̂·T and D + σ²(B_stat) = (σT)²."""
    d = b + alpha_hat * template
    var = (sigma * template) ** 2
    if var < d:
        raise ValueError("choose a larger template so that the variance exceeds the counts")
    return BinnedModel([d], [[b]], [0.0], [template], background_mc_stat_var=[var - d])


def truncated_gaussian_limit(alpha_hat, sigma, cl=0.9):
    """Flat prior on α ≥ 0, Gaussian likelihood: the cl quantile of the truncated normal."""
    lo = norm.cdf(-alpha_hat / sigma)
    return alpha_hat + sigma * norm.ppf(lo + cl * (1 - lo))


# ------------------------------------------------------------------------------------------ counting
@pytest.mark.parametrize("n_components", [0, 1])
def test_zero_background_counting_limit_is_2303_events(n_components):
    """n = 0 observed, no background, flat prior: ∫₀^s e^{−s'} ds' = 0.9 → s = ln 10 = 2.303."""
    bkg = np.zeros((n_components, 1))
    m = BinnedModel([0.0], bkg, [0.0] * n_components, [1.0])
    res = bayesian_chi2_limit(m, statistic="poisson", expected=False)
    assert res.alpha_limit == pytest.approx(2.303, rel=5e-3)
    assert res.alpha_limit == pytest.approx(np.log(10.0), rel=1e-5)
    assert res.alpha_hat == 0.0 and res.converged
    # the signal template scales the limit inversely (α counts template units)
    m5 = BinnedModel([0.0], bkg, [0.0] * n_components, [5.0])
    assert bayesian_chi2_limit(m5, statistic="poisson", expected=False).alpha_limit == pytest.approx(
        np.log(10) / 5, rel=1e-5
    )


# ------------------------------------------------------------------------------------------ Gaussian
@pytest.mark.parametrize("alpha_hat", [4.0, 1.0, 0.0, -1.5])
def test_gaussian_bayesian_limit_matches_truncated_normal(alpha_hat):
    sigma = 2.0
    m = gaussian_model(alpha_hat, sigma, template=3.0)
    res = bayesian_chi2_limit(m, expected=False)
    assert res.alpha_limit == pytest.approx(truncated_gaussian_limit(alpha_hat, sigma), rel=1e-5)
    # the curve it integrated is reported and the posterior is normalised on α ≥ 0
    assert res.alpha_grid[0] == 0.0 and np.all(np.diff(res.alpha_grid) > 0)
    assert np.allclose(
        res.chi2_profile,
        res.chi2_min + ((res.alpha_grid - alpha_hat) / sigma) ** 2 - (max(alpha_hat, 0) - alpha_hat) ** 2 / sigma**2,
        atol=1e-6,
    )
    assert trapezoid(res.posterior, res.alpha_grid) == pytest.approx(1.0, abs=2e-3)
    assert res.details["alpha_limit_trapezoid"] == pytest.approx(res.alpha_limit, rel=2e-3)


@pytest.mark.parametrize("alpha_hat", [4.0, 1.0, 0.0, -1.5])
def test_gaussian_plr_limits_match_closed_forms(alpha_hat):
    sigma = 2.0
    m = gaussian_model(alpha_hat, sigma, template=3.0)
    c1 = plr_critical_value(0.9, "one")
    up = plr_upper_limit(m, expected=False)
    # above α̂: Δχ² = z² = 1.642; α̂ < 0 is clipped at 0: (α − α̂)² − α̂² = 1.642 σ²
    expected = alpha_hat + Z90 * sigma if alpha_hat >= 0 else alpha_hat + np.sqrt(alpha_hat**2 + c1 * sigma**2)
    assert up.alpha_limit == pytest.approx(expected, rel=1e-7)
    assert up.critical_value == pytest.approx(1.6424, abs=1e-4)
    # two-sided 90 % interval: Δχ² = 2.706 (z = 1.645) on α ≥ 0, again with α̂ clipped at 0
    iv = plr_interval(m)
    c2 = plr_critical_value(0.9, "two")
    a0 = max(alpha_hat, 0.0)
    off = (a0 - alpha_hat) ** 2
    hi = alpha_hat + np.sqrt(off + c2 * sigma**2)
    lo = alpha_hat - np.sqrt(off + c2 * sigma**2) if alpha_hat > np.sqrt(c2) * sigma else 0.0
    assert iv.alpha_limit == pytest.approx(hi, rel=1e-7)
    assert iv.alpha_lower == pytest.approx(lo, abs=1e-7)


def test_critical_values():
    assert plr_critical_value(0.9, "one") == pytest.approx(1.6424, abs=1e-4)
    assert plr_critical_value(0.9, "two") == pytest.approx(2.7055, abs=1e-4)
    assert plr_critical_value(0.95, "one") == pytest.approx(2.7055, abs=1e-4)


# ------------------------------------------------------------------------------------------ paper
def test_paper_magnetic_moment_numbers():
    """μ̂ = 1.3e-10 μ_B with Δχ²(0) = 2.3, α = (μ/1e-10)²: the paper's 1.8e-10 (±3 %)."""
    alpha_hat = 1.3**2
    sigma = alpha_hat / np.sqrt(2.3)
    m = gaussian_model(alpha_hat, sigma, template=10.0)
    res = bayesian_chi2_limit(m, expected=False)
    assert 1e-10 * np.sqrt(res.alpha_limit) == pytest.approx(1.8e-10, rel=0.03)
    assert np.sqrt(res.alpha_hat) == pytest.approx(1.3, rel=1e-6)
    assert res.chi2_profile[0] - res.chi2_min == pytest.approx(2.3, rel=1e-6)


def test_paper_dark_photon_numbers():
    """ĝ = 1.1e-6 with Δχ²(0) = 2.9 and signal ∝ g⁴ (α = (g/1e-6)⁴): the paper's 1.3e-6 (±3 %)."""
    alpha_hat = 1.1**4
    sigma = alpha_hat / np.sqrt(2.9)
    m = gaussian_model(alpha_hat, sigma, template=10.0)
    res = bayesian_chi2_limit(m, expected=False)
    assert 1e-6 * res.alpha_limit**0.25 == pytest.approx(1.3e-6, rel=0.03)


def test_nonlinear_signal_bayesian_limit_against_direct_integration():
    """Interference (powers ½ and 1): the flat-in-α integral done by brute force on a fine grid."""
    x = np.linspace(0, 1, 6)
    interference, pure = -3.0 * np.exp(-2 * x), 8.0 * np.exp(-2 * x)
    m = BinnedModel(
        np.array([103.0, 88.0, 80.0, 71.0, 69.0, 60.0]),
        [100 - 30 * x],
        [0.1],
        [interference, pure],
        signal_powers=[0.5, 1.0],
    )
    res = bayesian_chi2_limit(m, expected=False)
    grid = np.linspace(0.0, 30.0, 6001)
    chi2 = np.array([profile(m, a).chi2 for a in grid[::10]])
    chi2 = np.interp(grid, grid[::10], chi2)
    post = np.exp(-0.5 * (chi2 - chi2.min()))
    cdf = np.concatenate([[0], np.cumsum(0.5 * (post[1:] + post[:-1]) * np.diff(grid))])
    assert post[-1] < 1e-6
    assert res.alpha_limit == pytest.approx(np.interp(0.9, cdf / cdf[-1], grid), rel=5e-3)


# ------------------------------------------------------------------------------------------ expected
def test_expected_limit_of_a_gaussian_is_1645_sigma():
    m = gaussian_model(3.0, 2.0, template=3.0)
    # Asimov data D = b: the χ² variance is then b + σ²(B_stat) (the denominator uses the data).
    sigma_a = np.sqrt(m.background_templates[0, 0] + m.background_mc_stat_var[0]) / 3.0
    res = bayesian_chi2_limit(m)
    assert res.expected == pytest.approx(norm.ppf(0.95) * sigma_a, rel=1e-5)
    plr = plr_upper_limit(m)
    assert plr.expected == pytest.approx(Z90 * sigma_a, rel=1e-6)


def test_toys_are_reproducible_and_seed_is_recorded():
    x = np.linspace(0, 1, 5)
    m = BinnedModel(
        [50.0] * 5,
        [60 - 20 * x, 10 + 0 * x],
        [0.1, np.inf],
        10 * np.exp(-3 * x),
        background_shape_sys=[[0.02 * (60 - 20 * x), 0 * x]],
        signal_shape_sys=[0.05 + 0 * x],
    )
    t1, t2 = generate_toys(m, 50, seed=42), generate_toys(m, 50, seed=42)
    assert np.array_equal(t1.data, t2.data) and np.array_equal(t1.centres, t2.centres)
    assert not np.array_equal(t1.data, generate_toys(m, 50, seed=43).data)
    nominal = generate_toys(m, 5, seed=42, fluctuate_aux=False)
    assert np.all(nominal.centres == np.array([1.0, 1.0, 0.0, 0.0]))
    # the free component has no auxiliary measurement: its centre never moves
    assert np.all(t1.centres[:, 1] == 1.0) and np.std(t1.centres[:, 0]) > 0.05
    e1 = expected_limits(m, "bayesian", n_toys=40, seed=7, progress=False)
    e2 = expected_limits(m, "bayesian", n_toys=40, seed=7, progress=False)
    assert e1.seed == 7 and np.array_equal(e1.toy_limits, e2.toy_limits)
    b = e1.band
    assert b["-2sigma"] <= b["-1sigma"] <= b["median"] <= b["+1sigma"] <= b["+2sigma"]
    assert e1.n_failed == 0
    # no seed given: one is drawn, recorded, and reproduces the result
    e3 = expected_limits(m, "plr", n_toys=20, progress=False)
    assert isinstance(e3.seed, int)
    e4 = expected_limits(m, "plr", n_toys=20, seed=e3.seed, progress=False)
    assert np.array_equal(e3.toy_limits, e4.toy_limits)
    # a limit reports observed, expected, method and seed
    lim = bayesian_chi2_limit(m, n_toys=20, seed=3, progress=False)
    assert lim.method == "bayesian" and lim.seed == 3 and lim.expected > 0 and lim.expected_band is not None
    assert "upper limit" in str(lim)


def test_neyman_limit_close_to_asymptotic_for_large_counts():
    m = BinnedModel([1040.0], [[1000.0]], [0.0], [10.0])
    asym = plr_upper_limit(m, statistic="poisson", expected=False)
    ney = neyman_upper_limit(m, statistic="poisson", n_toys=400, seed=11, expected=False)
    assert ney.seed == 11 and ney.converged, ney.message
    assert ney.alpha_limit == pytest.approx(asym.alpha_limit, rel=0.1)
    again = neyman_upper_limit(m, statistic="poisson", n_toys=400, seed=11, expected=False)
    assert again.alpha_limit == ney.alpha_limit
    via_dispatch = upper_limit(m, method="neyman", statistic="poisson", belt=ney.details["belt"], expected=False)
    assert via_dispatch.alpha_limit == ney.alpha_limit
