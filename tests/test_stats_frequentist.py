"""CLs, power-constrained limits, Feldman–Cousins intervals and the best-fit band against closed forms.

References: Cowan, Cranmer, Gross, Vitells, arXiv:1007.1727 (q̃_μ, Eq. 16; asymptotic CLs, §3.7);
Cowan, Cranmer, Gross, Vitells, arXiv:1105.3166 (power-constrained limits); Feldman & Cousins,
PRD 57 (1998) 3873, Table X (90 % C.L. intervals for the mean of a Gaussian with σ = 1, μ ≥ 0).
"""

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.stats import norm

from exonu.errors import InputError
from exonu.stats import (
    BinnedModel,
    ParameterLayout,
    best_fit_band,
    cls_upper_limit,
    expected_limits,
    fc_interval,
    fit,
    pcl_upper_limit,
    upper_limit,
)
from exonu.stats.calculators import asymptotic_cls, belt_critical_values, belt_interval, crossing

Z90 = norm.ppf(0.9)  # 1.2816


def counting(d, b, sigma_b=0.0):
    """One bin, background b (fixed unless sigma_b), unit signal template: α is the signal count."""
    return BinnedModel(np.array([float(d)]), np.array([[float(b)]]), [sigma_b], np.array([1.0]))


def gaussian_cls_limit(d, b, cl=0.9):
    """Closed-form asymptotic CLs limit of the χ² counting experiment χ² = (d − b − α)²/d.

    q̃(α) = (α − α̂)²/d for α ≥ α̂ = d − b ≥ 0 (0 below) and (α² − 2α(d − b))/d for α̂ < 0 (Eq. 16 of
    arXiv:1007.1727); on the background-only Asimov data (d = b) q_A = α²/b.
    """
    a_hat = d - b

    def q(a):
        if a_hat >= 0:
            return (a - a_hat) ** 2 / d if a >= a_hat else 0.0
        return (a * a - 2 * a * a_hat) / d

    def cls(a):
        sq, sqa = np.sqrt(q(a)), a / np.sqrt(b)
        if q(a) <= sqa**2:
            return norm.sf(sq) / norm.sf(sq - sqa)
        return norm.sf((q(a) + sqa**2) / (2 * sqa)) / norm.sf((q(a) - sqa**2) / (2 * sqa))

    return brentq(lambda a: cls(a) - (1 - cl), 1e-9, 50 * np.sqrt(d))


@pytest.mark.parametrize("d", [100.0, 130.0, 80.0])
def test_asymptotic_cls_of_a_counting_experiment(d):
    r = cls_upper_limit(counting(d, 100.0), 0.9, statistic="chi2", expected=False)
    assert r.alpha_limit == pytest.approx(gaussian_cls_limit(d, 100.0), rel=1e-6)
    if d == 100.0:  # data = background: CLs = 2 (1 − Φ(α/σ)) = 0.1 at α = Φ⁻¹(0.95) σ
        assert r.alpha_limit == pytest.approx(norm.isf(0.05) * 10.0, rel=1e-6)
    assert r.describe()["method"] == "cls" and r.describe()["sided"] == "one"


def test_asymptotic_cls_expected_band_is_the_closed_form():
    # σ = √b = 10 on the Asimov data: the N-σ expected limit is σ (Φ⁻¹(1 − 0.1 Φ(N)) + N) (arXiv:1007.1727)
    e = expected_limits(counting(100.0, 100.0), "cls", n_toys=0)
    for key, n in {"-2sigma": -2, "-1sigma": -1, "median": 0, "+1sigma": 1, "+2sigma": 2}.items():
        assert e.asymptotic_band[key] == pytest.approx(10.0 * (norm.isf(0.1 * norm.cdf(n)) + n), rel=1e-6)
    assert e.asimov == pytest.approx(16.4485, rel=1e-4)


def test_asymptotic_cls_formula_limits():
    # q̃ = q_A: CLs+b = 1 − Φ(√q_A), CLb = 1/2
    cls, p_sb, cl_b = asymptotic_cls(4.0, 4.0)
    assert cl_b == pytest.approx(0.5) and p_sb == pytest.approx(norm.sf(2.0)) and cls == pytest.approx(2 * norm.sf(2.0))
    # beyond q_A the tail formula: (q + q_A)/(2√q_A)
    cls, p_sb, cl_b = asymptotic_cls(9.0, 4.0)
    assert p_sb == pytest.approx(norm.sf(13.0 / 4.0)) and cl_b == pytest.approx(norm.sf(5.0 / 4.0))


@pytest.mark.parametrize("d, constrained", [(100.0, False), (75.0, True)])
def test_power_constrained_limit_of_a_counting_experiment(d, constrained):
    b = 100.0
    r = pcl_upper_limit(counting(d, b), 0.9, statistic="chi2")
    a_hat = d - b
    plr = a_hat + Z90 * np.sqrt(d) if a_hat >= 0 else a_hat + np.sqrt(a_hat**2 + Z90**2 * d)
    threshold = np.sqrt(b) * (Z90 - 1.0)  # the −1σ expected PLR limit, σ = √b on the Asimov data
    assert r.details["unconstrained_limit"] == pytest.approx(plr, rel=1e-6)
    assert r.details["power_threshold"] == pytest.approx(threshold, rel=1e-6)
    assert r.details["power_constrained"] is constrained
    assert r.alpha_limit == pytest.approx(max(plr, threshold), rel=1e-6)
    assert r.method == "pcl" and r.expected == pytest.approx(10.0 * Z90, rel=1e-6)


def test_toy_cls_of_a_poisson_counting_experiment_with_no_events():
    # n = 0 observed: q̃ is largest for n = 0, so CLs = P(0 | s + b)/P(0 | b) = e^{−s}; the limit is
    # s = ln 10 = 2.303 for any b (Read 2002).
    r = cls_upper_limit(
        counting(0.0, 0.5),
        0.9,
        statistic="poisson",
        calculator="toys",
        n_toys=8000,
        seed=5,
        alpha_grid=np.linspace(0.5, 4.0, 8),
    )
    assert r.alpha_limit == pytest.approx(np.log(10.0), abs=0.15)
    assert r.describe()["calculator"] == "toys" and r.n_toys == 8000


# Feldman & Cousins (1998) Table X, 90 % C.L., σ = 1: x0 → [μ1, μ2]
TABLE_X = {
    -3.0: (0.00, 0.26),
    -2.0: (0.00, 0.40),
    -1.0: (0.00, 0.81),
    0.0: (0.00, 1.64),
    1.0: (0.00, 2.64),
    2.0: (0.58, 3.64),
    3.0: (1.37, 4.64),
}


def test_feldman_cousins_belt_for_a_gaussian_mean_reproduces_table_x():
    rng = np.random.default_rng(1)
    grid = np.arange(0.02, 6.0, 0.02)
    x_toys = grid[:, None] + rng.standard_normal((grid.size, 20000))
    # t̃(μ) = (x − μ)² − (x − max(x, 0))²: the likelihood-ratio ordering with the μ ≥ 0 boundary
    t_toys = (x_toys - grid[:, None]) ** 2 - (x_toys - np.maximum(x_toys, 0.0)) ** 2
    crit = belt_critical_values(t_toys, 0.9)
    x0 = np.array(list(TABLE_X))
    t_obs = (x0[:, None] - grid[None, :]) ** 2 - (x0[:, None] - np.maximum(x0, 0.0)[:, None]) ** 2
    lower, upper, ok = belt_interval(grid, t_obs, crit, np.maximum(x0, 0.0))
    assert ok.all()
    ref = np.array(list(TABLE_X.values()))
    assert np.allclose(lower, ref[:, 0], atol=0.03), lower
    assert np.allclose(upper, ref[:, 1], atol=0.03), upper


@pytest.mark.parametrize("excess_sigma", [0.0, 3.0])
def test_feldman_cousins_interval_of_a_large_count_experiment(excess_sigma):
    # 10⁴ background counts: the χ² counting experiment is a Gaussian mean with σ ≈ 100 (Table X rows 0 and 3)
    b = 10000.0
    r = fc_interval(
        counting(b + 100.0 * excess_sigma, b),
        0.9,
        statistic="chi2",
        n_toys=2000,
        seed=3,
        alpha_grid=np.linspace(5.0, 700.0, 140),
        expected=False,
    )
    lo, hi = TABLE_X[excess_sigma]
    assert r.alpha_limit == pytest.approx(100.0 * hi, rel=0.04)
    assert r.alpha_lower == pytest.approx(100.0 * lo, abs=15.0)  # 0.15σ: toy quantiles, Poisson ≠ Gauss
    assert r.sided == "two" and r.method == "fc" and r.n_toys == 2000


def test_crossing_interpolates_in_log():
    x = np.array([0.0, 1.0, 2.0])
    assert crossing(x, np.exp(-x), np.exp(-1.5), log=True) == pytest.approx(1.5)
    assert np.isnan(crossing(x, np.ones(3), 0.1))
    assert np.allclose(crossing(x, np.vstack([np.exp(-x), np.exp(-2 * x)]), np.exp(-1.0), log=True), [1.0, 0.5])


def test_best_fit_band_is_the_profile_interval():
    m = counting(130.0, 100.0)  # α̂ = 30 ± √130
    central, lo, hi = best_fit_band(m)
    assert central == pytest.approx(30.0, rel=1e-6)
    assert lo == pytest.approx(30.0 - np.sqrt(130.0), rel=1e-6) and hi == pytest.approx(30.0 + np.sqrt(130.0), rel=1e-6)
    central, lo, hi = best_fit_band(counting(100.0, 100.0), cl_sigma=2.0)  # at the boundary: [0, 2σ]
    assert (central, lo) == (0.0, 0.0) and hi == pytest.approx(20.0, rel=1e-6)


def test_parameter_layout_split_and_join():
    x = np.linspace(0, 1, 5)
    m = BinnedModel(
        np.full(5, 50.0),
        np.array([40 + 0 * x, 10 * np.exp(-x)]),
        [0.0, 0.1],
        np.exp(-x),
        background_shape_sys=np.ones((1, 2, 5)),
        signal_shape_sys=0.1 * np.ones((1, 5)),
    )
    lay = m.layout
    assert isinstance(lay, ParameterLayout)
    assert lay.names == ("alpha", "p_bkg1", "q_bsys0", "r_ssys0")
    assert lay.par_slice("q") == slice(2, 3) and lay.par_slice("r_ssys0") == slice(3, 4)
    assert lay.bounds[0, 0] == 0.0 and lay.bounds[1, 0] == 0.0 and np.isinf(lay.bounds[2, 0])
    p, q, r = lay.split([0.5, 1.2, -0.3, 0.4])
    assert np.allclose(p, [1.0, 1.2]) and np.allclose(q, [-0.3]) and np.allclose(r, [0.4])  # the fixed p filled in
    assert np.allclose(lay.join(0.5, p, q, r), [0.5, 1.2, -0.3, 0.4])
    res = fit(m.with_data(m.asimov(0.5)))
    assert np.allclose(lay.split(res.values)[0], res.p)
    with pytest.raises(InputError, match="has 4 entries"):
        lay.split([1.0, 2.0])
    with pytest.raises(InputError, match="unknown parameter"):
        lay.par_slice("nope")


def test_every_limit_says_how_it_was_made():
    m = counting(100.0, 100.0)
    keys = {"method", "test_statistic", "threshold", "cl", "sided", "statistic", "calculator", "n_toys"}
    thresholds = {"plr": pytest.approx(Z90**2), "bayesian": "posterior quantile 0.9", "cls": "CLs = 0.1"}
    for method, thr in thresholds.items():
        d = upper_limit(m, 0.9, method=method, statistic="chi2").describe()
        assert keys <= set(d) and d["method"] == method and d["cl"] == 0.9 and d["threshold"] == thr


def test_a_band_needs_toys():
    m = counting(100.0, 100.0)
    with pytest.raises(InputError, match="n_toys=1 makes no band"):
        expected_limits(m, "plr", n_toys=1)
    e = expected_limits(m, "plr", n_toys=10, seed=1)
    assert any("only 10 toys" in w for w in e.warnings)
    assert e.describe()["toy_median"] == e.band["median"]
