"""Frequentist coverage of the toy-based (Neyman, Feldman–Cousins), asymptotic PLR, CLs, PCL and Bayesian limits.

The fast versions use few toys and a tolerance of about four binomial standard deviations; the
``slow`` versions use many toys and about three.
"""

import numpy as np
import pytest

from exonu.stats import BinnedModel, generate_toys, limits_for_toys, neyman_belt

ALPHA_TRUE = 1.0


def small_model():
    """3 bins, ~200 background counts each (5 % activity pull), signal ≈ 2.5σ at α = 1."""
    bkg = np.array([[220.0, 200.0, 180.0]])
    tmpl = np.array([40.0, 25.0, 12.0])
    m = BinnedModel(np.zeros(3), bkg, [0.05], tmpl)
    return m.with_data(m.asimov(ALPHA_TRUE))


def coverage(limits):
    good = np.isfinite(limits)
    assert good.mean() > 0.99
    return np.mean(limits[good] >= ALPHA_TRUE), good.sum()


def check(cov, n, n_sigma, extra=0.0):
    sigma = np.sqrt(0.9 * 0.1 / n)
    assert abs(cov - 0.9) < n_sigma * sigma + extra, f"coverage {cov:.3f} from {n} toys"


def run_plr(n_toys, seed):
    m = small_model()
    toys = generate_toys(m, n_toys, alpha=ALPHA_TRUE, seed=seed)
    return coverage(limits_for_toys(m, toys, "plr", statistic="poisson", progress=False))


def run_neyman(n_belt, n_toys, seed):
    m = small_model()
    belt = neyman_belt(
        m, [0.5, ALPHA_TRUE, 1.5, 2.0, 3.0, 4.0, 5.0], n_toys=n_belt, seed=seed, statistic="poisson", progress=False
    )
    toys = generate_toys(m, n_toys, alpha=ALPHA_TRUE, seed=seed + 1)
    cov, n = coverage(limits_for_toys(m, toys, "neyman", statistic="poisson", belt=belt, progress=False))
    return cov, n, n_belt


def test_plr_asymptotic_coverage_quick():
    cov, n = run_plr(400, seed=2)
    check(cov, n, 4.0)


def test_neyman_coverage_quick():
    cov, n, n_belt = run_neyman(300, 300, seed=5)
    # both the belt quantile and the test toys fluctuate
    check(cov, 1.0 / (1.0 / n + 1.0 / n_belt), 4.0)


@pytest.mark.slow
def test_plr_asymptotic_coverage_many_toys():
    cov, n = run_plr(20000, seed=12)
    check(cov, n, 3.0, extra=0.005)  # + 0.5 % allowance for the asymptotic approximation


@pytest.mark.slow
def test_neyman_coverage_many_toys():
    cov, n, n_belt = run_neyman(10000, 10000, seed=15)
    check(cov, 1.0 / (1.0 / n + 1.0 / n_belt), 3.0)


# ---------------------------------------------------------------------------- CLs, PCL, FC, Bayesian
def covered_fraction(method, n_toys, seed, **kw):
    m = small_model()
    toys = generate_toys(m, n_toys, alpha=ALPHA_TRUE, seed=seed)
    return coverage(limits_for_toys(m, toys, method, statistic="poisson", progress=False, **kw))


@pytest.mark.slow
@pytest.mark.parametrize("method", ["cls", "pcl"])
def test_cls_and_pcl_cover_at_least_the_nominal_level(method):
    # CLs and PCL are conservative by construction (CLs ≥ CLs+b; PCL ≥ the PLR limit): coverage ≥ 90 %
    cov, n = covered_fraction(method, 20000, seed=21)
    assert cov >= 0.9 - 3.0 * np.sqrt(0.09 / n) - 0.005, cov


@pytest.mark.slow
def test_bayesian_limit_coverage_is_reported_close_to_nominal():
    # the paper's flat-prior limit is not a confidence limit; for this well-measured signal it covers ≈ 90 %
    cov, _n = covered_fraction("bayesian", 10000, seed=22)
    assert abs(cov - 0.9) < 0.03, cov


@pytest.mark.slow
def test_feldman_cousins_interval_coverage():
    from exonu.stats.belt import fc_belt
    from exonu.stats.limits.fc import fc_limits_for_problem
    from exonu.stats.problem import FitProblem

    m = small_model()
    belt = fc_belt(
        m,
        np.array([0.25, 0.5, 0.75, ALPHA_TRUE, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0]),
        cl=0.9,
        statistic="poisson",
        n_toys=10000,
        seed=31,
    )
    toys = generate_toys(m, 10000, alpha=ALPHA_TRUE, seed=32)
    lo, up, ok = fc_limits_for_problem(FitProblem(m, "poisson", toys.data, toys.centres), belt)
    inside = (lo <= ALPHA_TRUE) & (up >= ALPHA_TRUE)
    n = int(ok.sum())
    cov = inside[ok].mean()
    check(cov, 1.0 / (1.0 / n + 1.0 / 10000), 3.0)
