"""Profiling over the nuisances at fixed α: against brute force, warm starts, scans, bounds."""

import numpy as np
import pytest
from scipy.optimize import minimize

from exonu.stats import BinnedModel, chi2_value, profile, profile_scan

# 3 bins, 2 components (one pulled, one free), 1 background shape systematic, 1 signal systematic.
B = np.array([[50.0, 30.0, 12.0], [4.0, 10.0, 20.0]])
SIG_B = np.array([[[4.0, -2.0, 1.0], [0.6, 0.0, -1.5]]])
T = np.array([9.0, 5.0, 2.0])
EPS = np.array([[0.08, -0.05, 0.15]])


def small(data, **kw):
    return BinnedModel(data, B, [0.1, np.inf], T, background_shape_sys=SIG_B, signal_shape_sys=EPS, **kw)


def brute_force(model, alpha, statistic, n_starts=20, seed=0):
    """Many-restart bounded quasi-Newton minimisation of the statistic over (p1, p2, q, r)."""
    rng = np.random.default_rng(seed)

    def f(x):
        return chi2_value(model, alpha, p=x[:2], q=x[2:3], r=x[3:4], statistic=statistic)

    best = np.inf
    bounds = [(0, None), (0, None), (None, None), (None, None)]
    for _ in range(n_starts):
        x0 = np.array([rng.uniform(0.5, 1.5), rng.uniform(0.0, 3.0), rng.normal(), rng.normal()])
        res = minimize(f, x0, method="L-BFGS-B", bounds=bounds, options={"ftol": 1e-15, "gtol": 1e-11, "maxiter": 5000})
        res = minimize(
            f, res.x, method="Nelder-Mead", bounds=bounds, options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 20000}
        )
        best = min(best, res.fun)
    return best


@pytest.mark.parametrize("statistic", ["chi2", "poisson"])
@pytest.mark.parametrize(
    "data,alpha", [([70.0, 48.0, 31.0], 1.0), ([63.0, 38.0, 35.0], 0.0), ([80.0, 41.0, 12.0], 2.5)]
)
def test_profile_matches_brute_force(statistic, data, alpha):
    m = small(data)
    pr = profile(m, alpha, statistic=statistic)
    assert pr.converged, pr.message
    bf = brute_force(m, alpha, statistic)
    assert pr.chi2 == pytest.approx(bf, abs=1e-6)
    assert pr.chi2 <= bf + 1e-7  # never worse than brute force
    assert chi2_value(m, alpha, pr.p, pr.q, pr.r, statistic=statistic) == pytest.approx(pr.chi2, abs=1e-12)


def test_free_component_stops_at_zero():
    # The data want less than the pulled component alone: the free component must sit at p = 0.
    m = small([40.0, 20.0, 6.0])
    pr = profile(m, 0.0)
    assert pr.p[1] == 0.0
    assert pr.chi2 == pytest.approx(brute_force(m, 0.0, "chi2"), abs=1e-6)


def test_warm_start_and_scan_agree_with_cold_profiles():
    m = small([70.0, 48.0, 31.0])
    alphas = np.linspace(0.0, 4.0, 9)
    cold = np.array([profile(m, a).chi2 for a in alphas])
    scan = profile_scan(m, alphas)
    assert np.all(scan.converged)
    assert np.allclose(scan.chi2, cold, atol=1e-8)
    prev = None
    for a, c in zip(alphas, cold, strict=False):
        prev = profile(m, a, start=prev)
        assert prev.chi2 == pytest.approx(c, abs=1e-8)


def test_fixed_and_no_nuisance_models():
    # No nuisance at all: the profile is just the statistic.
    m = BinnedModel([5.0, 7.0], [[4.0, 6.0]], [0.0], [1.0, 1.0])
    pr = profile(m, 1.0)
    assert pr.converged and pr.n_iter == 0
    assert pr.chi2 == pytest.approx(chi2_value(m, 1.0))
    # Zero background components.
    m0 = BinnedModel([3.0], np.zeros((0, 1)), [], [1.0])
    assert profile(m0, 3.0, statistic="poisson").chi2 == pytest.approx(0.0, abs=1e-12)


def test_degenerate_free_templates_do_not_break_the_solver():
    # Two identical free components: the optimum is a valley; the χ² value is still found.
    bkg = np.array([[10.0, 20.0, 30.0], [10.0, 20.0, 30.0]])
    m = BinnedModel([24.0, 37.0, 66.0], bkg, [np.inf, np.inf], [1.0, 0.5, 0.2])
    pr = profile(m, 1.0)
    sol = minimize(
        lambda x: chi2_value(m, 1.0, p=[x[0], 0.0]),
        [1.0],
        method="Nelder-Mead",
        options={"xatol": 1e-12, "fatol": 1e-14},
    )
    assert pr.chi2 == pytest.approx(sol.fun, abs=1e-7)


def badly_mismodelled(seed):
    """15 bins, 4 components (some free), 3 large (10 %) shape systematics, data off by ±50 %:
    a non-convex profile with saddles and several local minima (found by a stress test)."""
    rng = np.random.default_rng(seed)
    n, n_comp, n_bsys, n_ssys = 15, 4, 3, 2
    x = np.linspace(0, 1, n)
    bkg = np.array([rng.uniform(5, 100) * np.exp(-x * rng.uniform(0, 4)) for _ in range(n_comp)])
    sigma = np.where(rng.random(n_comp) < 0.4, np.inf, rng.uniform(0.05, 0.5, n_comp))
    bsys = rng.normal(0, 0.1, (n_bsys, n_comp, n)) * bkg[None]
    tmpl = rng.uniform(1, 20) * np.exp(-x * rng.uniform(1, 6))
    m = BinnedModel(
        np.ones(n), bkg, sigma, tmpl, background_shape_sys=bsys, signal_shape_sys=rng.normal(0, 0.1, (n_ssys, n))
    )
    data = rng.poisson(m.asimov(rng.uniform(0, 3)) * rng.uniform(0.5, 1.5, n)).astype(float)
    return m.with_data(data), rng.uniform(0, 4)


def local_descent(m, alpha, pr, statistic):
    """How much a bounded quasi-Newton run started at the profile can still lower the statistic."""
    n_comp, n_q = m.n_components, m.n_bkg_sys

    def f(z):
        return chi2_value(m, alpha, z[:n_comp], z[n_comp : n_comp + n_q], z[n_comp + n_q :], statistic=statistic)

    z0 = np.concatenate([pr.p, pr.q, pr.r])
    bounds = [(0, None)] * n_comp + [(None, None)] * (z0.size - n_comp)
    res = minimize(f, z0, method="L-BFGS-B", bounds=bounds, options={"ftol": 1e-15, "gtol": 1e-11, "maxiter": 5000})
    return pr.chi2 - res.fun


@pytest.mark.parametrize("seed,statistic", [(17, "chi2"), (17, "poisson"), (25, "chi2"), (10, "poisson")])
def test_profile_is_a_local_minimum_on_non_convex_models(seed, statistic):
    """Regression: points where a free component was held at 0 against its gradient, and saddle
    points of the non-convex statistic, used to be reported as converged."""
    m, alpha = badly_mismodelled(seed)
    pr = profile(m, alpha, statistic=statistic)
    assert pr.converged
    assert local_descent(m, alpha, pr, statistic) < 1e-6


def test_restarts_find_the_global_minimum():
    m, alpha = badly_mismodelled(10)
    single = profile(m, alpha)
    multi = profile(m, alpha, restarts=10)
    assert multi.chi2 < single.chi2 - 1.0  # this model has a far lower minimum elsewhere
    assert "best of 11 starts" in multi.message
    n_comp, n_q = m.n_components, m.n_bkg_sys
    rng = np.random.default_rng(1)
    best = np.inf
    for _ in range(10):
        z0 = np.concatenate([rng.uniform(0.2, 2, n_comp), rng.normal(0, 1, n_q + m.n_sig_sys)])
        res = minimize(
            lambda z: chi2_value(m, alpha, z[:n_comp], z[n_comp : n_comp + n_q], z[n_comp + n_q :]),
            z0,
            method="L-BFGS-B",
            bounds=[(0, None)] * n_comp + [(None, None)] * (z0.size - n_comp),
            options={"ftol": 1e-15, "gtol": 1e-11, "maxiter": 5000},
        )
        best = min(best, res.fun)
    assert multi.chi2 <= best + 1e-6
