"""A statistic per bin: the paper's χ² (arXiv:2005.11891 Eq. 4) in some bins, −2 ln(L/L_sat) of
Poisson counts in the others, the pull terms once — what a joint fit of a χ² detector and a Poisson
detector needs. References: the same terms evaluated bin group by bin group with the single
statistics, and one-dimensional minimisations of their sum."""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from exonu.errors import InputError
from exonu.stats import BinnedModel, batched_best_fit, chi2_value, fit, generate_toys, profile

DATA = np.array([120.0, 95.0, 80.0, 3.0, 0.0, 6.0])
BKG = np.array([[110.0, 100.0, 75.0, 2.5, 1.0, 4.0]])
SIG = np.array([10.0, 6.0, 3.0, 1.0, 0.5, 1.5])
KINDS = ("chi2", "chi2", "chi2", "poisson", "poisson", "poisson")


def model(bin_statistic=KINDS, sigma=0.0, data=DATA, **kw):
    return BinnedModel(
        data=data,
        background_templates=BKG,
        activity_sigma=[sigma],
        signal_templates=SIG,
        bin_statistic=bin_statistic,
        **kw,
    )


def part(rows, sigma=0.0):
    return BinnedModel(
        data=DATA[rows], background_templates=BKG[:, rows], activity_sigma=[sigma], signal_templates=SIG[rows]
    )


CHI2_BINS, POISSON_BINS = slice(0, 3), slice(3, 6)


@pytest.mark.parametrize("alpha", [0.0, 0.8, 2.5])
def test_value_is_the_chi2_bins_plus_the_poisson_bins(alpha):
    expected = chi2_value(part(CHI2_BINS), alpha) + chi2_value(part(POISSON_BINS), alpha, statistic="poisson")
    assert chi2_value(model(), alpha, statistic="per-bin") == pytest.approx(expected, rel=1e-13)
    # the pull term of a shared nuisance counts once: (aux − p)²/σ² with p = 1.1, σ = 0.2 → 0.25
    m, chi2_part, pois_part = model(sigma=0.2), part(CHI2_BINS, 0.2), part(POISSON_BINS, 0.2)
    both = chi2_value(chi2_part, alpha, p=[1.1]) + chi2_value(pois_part, alpha, p=[1.1], statistic="poisson")
    assert chi2_value(m, alpha, p=[1.1], statistic="per-bin") == pytest.approx(both - 0.25, rel=1e-13)


@pytest.mark.parametrize("kind", ["chi2", "poisson"])
def test_all_bins_of_one_kind_is_that_statistic(kind):
    m = model(bin_statistic=(kind,) * DATA.size, sigma=0.1)
    for alpha in (0.0, 1.3):
        assert chi2_value(m, alpha, p=[0.9], statistic="per-bin") == pytest.approx(
            chi2_value(m, alpha, p=[0.9], statistic=kind), rel=1e-14
        )
    a = fit(m, statistic="per-bin", tol=1e-12)
    b = fit(m, statistic=kind, tol=1e-12)
    assert a.chi2 == pytest.approx(b.chi2, abs=1e-9) and a.alpha == pytest.approx(b.alpha, rel=1e-6)


def test_best_fit_minimises_the_sum():
    """Fixed background: the fit is a 1-D minimisation of the summed terms, done here by scipy."""
    m = model()
    total = lambda a: chi2_value(m, a, statistic="per-bin")  # noqa: E731
    ref = minimize_scalar(total, bounds=(0.0, 10.0), method="bounded", options={"xatol": 1e-10})
    res = fit(m, statistic="per-bin", tol=1e-12)
    assert res.converged
    assert res.alpha == pytest.approx(ref.x, rel=1e-5)
    assert res.chi2 == pytest.approx(ref.fun, abs=1e-9)


def test_profiled_nuisance_gradient_and_hessian():
    """A pulled activity profiled at fixed α lands where the summed statistic is stationary in p."""
    m = model(sigma=0.05)
    prof = profile(m, 1.0, statistic="per-bin", tol=1e-14)
    p_hat = prof.p[0]
    g = lambda p: chi2_value(m, 1.0, p=[p], statistic="per-bin")  # noqa: E731
    h = 1e-5
    assert abs(g(p_hat + h) - g(p_hat - h)) / (2 * h) < 1e-5
    assert prof.chi2 == pytest.approx(g(p_hat), rel=1e-12)


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_batched_newton_fit_with_per_bin_statistic(alpha):
    m = model(sigma=0.1)
    toys = generate_toys(m, 8, alpha=alpha, seed=3)
    best = batched_best_fit(m, "per-bin", toys.data, toys.centres)
    ref = [fit(toys.model(m, i), statistic="per-bin", tol=1e-13) for i in range(toys.n_toys)]
    assert best.converged.all()
    np.testing.assert_allclose(best.f, [r.chi2 for r in ref], rtol=0, atol=1e-8)
    np.testing.assert_allclose(best.u, [r.alpha for r in ref], rtol=0, atol=1e-6)


def test_with_data_keeps_the_bin_statistic():
    assert model().with_data(DATA + 1).bin_statistic == KINDS


@pytest.mark.parametrize(
    "value, message", [(KINDS[:5], "6 entries"), (("chi2",) * 5 + ("gauss",), "'gauss'"), ("chi2", "single string")]
)
def test_bad_bin_statistic(value, message):
    with pytest.raises(InputError, match=message):
        model(bin_statistic=value)


def test_per_bin_needs_a_model_with_bin_statistic():
    with pytest.raises(InputError, match="bin_statistic"):
        chi2_value(model(bin_statistic=None), 1.0, statistic="per-bin")


def test_fit_summary_names_the_per_bin_statistic():
    assert "statistic per bin" in fit(model(), statistic="per-bin").summary()
