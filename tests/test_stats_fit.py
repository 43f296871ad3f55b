"""Global fits: Asimov data return the injected α and zero pulls; ndof convention; reporting."""

import numpy as np
import pytest

from exonu.errors import InputError
from exonu.stats import BinnedModel, fit, profile


def random_model(n_bins=20, seed=7, nonlinear=False):
    rng = np.random.default_rng(seed)
    x = np.linspace(0.0, 1.0, n_bins)
    bkg = np.array([300 * np.exp(-3 * x), 80 + 40 * x, 60 * np.exp(-0.5 * ((x - 0.5) / 0.1) ** 2)])
    bsys = np.stack([0.03 * bkg * np.sin(6 * x + k) for k in range(2)])
    tmpl = 120 * np.exp(-6 * x)
    if nonlinear:
        templates, powers = np.array([-0.3 * tmpl, tmpl]), [0.5, 1.0]
    else:
        templates, powers = tmpl, None
    return BinnedModel(
        np.ones(n_bins),
        bkg,
        [0.1, np.inf, 0.2],
        templates,
        signal_powers=powers,
        background_shape_sys=bsys,
        signal_shape_sys=[rng.uniform(0.02, 0.1, n_bins)],
        background_names=["surface", "internal", "peak"],
        poi_name="mu2",
    )


@pytest.mark.parametrize("statistic", ["chi2", "poisson"])
@pytest.mark.parametrize("alpha_true", [0.0, 0.7, 2.0])
def test_asimov_fit_returns_injected_values(statistic, alpha_true):
    m0 = random_model()
    m = m0.with_data(m0.asimov(alpha_true))
    res = fit(m, statistic=statistic)
    assert res.valid, res.message
    assert res.alpha == pytest.approx(alpha_true, abs=2e-5)
    assert res.chi2 == pytest.approx(0.0, abs=1e-8)
    assert np.allclose(list(res.pulls.values()), 0.0, atol=1e-3)
    assert np.allclose(res.p, 1.0, atol=1e-3)
    if alpha_true > 0:
        assert res.alpha_error > 0 and not res.at_boundary


def test_asimov_fit_with_shifted_truth_recovers_pulls():
    m0 = random_model()
    truth = {"p": [1.05, 0.9, 1.1], "q": [0.5, -0.3], "r": [0.4]}
    # The pull terms are centred on the auxiliary values: put those at the truth as well, or the
    # constraints would (correctly) pull the fit away from it.
    m = m0.with_data(m0.asimov(1.5, truth)).with_aux(truth["p"], truth["q"], truth["r"])
    res = fit(m)
    assert res.chi2 == pytest.approx(0.0, abs=1e-8)
    assert res.alpha == pytest.approx(1.5, rel=1e-4)
    assert np.allclose(res.p, truth["p"], atol=1e-4)
    assert np.allclose(res.q, truth["q"], atol=1e-3)
    assert np.allclose(res.r, truth["r"], atol=1e-3)


def test_nonlinear_signal_asimov_fit():
    m0 = random_model(nonlinear=True)
    m = m0.with_data(m0.asimov(1.0))
    res = fit(m)
    assert res.parameter_names[0] == "mu2^0.5"  # fitted in u = α^½, smooth at 0
    assert res.alpha == pytest.approx(1.0, rel=1e-4)
    assert res.chi2 == pytest.approx(0.0, abs=1e-8)


def test_ndof_convention_and_fixed_alpha():
    m0 = random_model()
    m = m0.with_data(np.round(m0.asimov(0.5)))
    res = fit(m)
    # 20 bins − α − one unconstrained component; pulled parameters do not count
    assert res.ndof == 20 - 1 - 1
    assert fit(m, ndof_convention="poi").ndof == 20 - 1  # the paper's bookkeeping (99 − 1 = 98)
    fixed = fit(m, fix_alpha=0.0)
    assert fixed.alpha_fixed and fixed.alpha == 0.0 and np.isnan(fixed.alpha_error)
    assert fixed.ndof == 20 - 1
    assert fixed.chi2 == pytest.approx(profile(m, 0.0).chi2, abs=1e-6)
    assert fixed.chi2 >= res.chi2 - 1e-9
    with pytest.raises(InputError, match="ndof_convention"):
        fit(m, ndof_convention="paper")


def test_boundary_and_negative_alpha():
    m0 = random_model()
    # A deficit where the signal lives: α̂ < 0 unless bounded.
    data = m0.asimov(0.0) - 0.5 * m0.signal(1.0)
    m = m0.with_data(data)
    bounded = fit(m)
    assert bounded.alpha == pytest.approx(0.0, abs=1e-6)
    assert bounded.at_boundary and "boundary" in bounded.message
    free = fit(m, allow_negative=True)
    assert free.alpha == pytest.approx(-0.5, abs=1e-3)
    assert free.chi2 < bounded.chi2
    with pytest.raises(InputError, match="allow_negative=True needs integer signal powers"):
        fit(random_model(nonlinear=True), allow_negative=True)


def test_summary_is_readable():
    m0 = random_model()
    res = fit(m0.with_data(np.round(m0.asimov(0.8))))
    text = str(res)
    assert "mu2 =" in text and "ndof" in text and "p_internal" in text and "free" in text
    assert res.covariance.shape == (len(res.parameter_names),) * 2
    assert res.converged


# ----------------------------------------------------------------------------- fast engine vs MIGRAD+HESSE
def _engine_cases():
    lin, nl = random_model(), random_model(nonlinear=True)
    deficit = lin.asimov(0.0) - 0.5 * lin.signal(1.0)
    return {
        "linear": (lin, np.round(lin.asimov(0.5)), {}),
        "linear-negative": (lin, np.round(deficit), {"allow_negative": True}),
        "nonlinear": (nl, np.round(nl.asimov(1.0)), {}),
        "nonlinear-large": (nl, np.round(nl.asimov(2.5)), {}),
        "boundary": (lin, deficit, {}),
        "boundary-asimov": (lin, lin.asimov(0.0), {}),
        "fixed-0": (lin, np.round(lin.asimov(0.5)), {"fix_alpha": 0.0}),
        "fixed-1": (nl, np.round(nl.asimov(0.5)), {"fix_alpha": 1.0}),
    }


@pytest.mark.parametrize("statistic", ["chi2", "poisson"])
@pytest.mark.parametrize("case", list(_engine_cases()))
def test_fast_engine_agrees_with_minuit_minimum_and_exact_covariance(case, statistic):
    model, data, kw = _engine_cases()[case]
    m = model.with_data(data)
    fast = fit(m, statistic=statistic, **kw)
    ref = fit(m, statistic=statistic, engine="minuit", **kw)
    assert fast.valid and ref.valid, (fast.message, ref.message)
    assert fast.converged
    assert fast.chi2 == pytest.approx(ref.chi2, abs=1e-6)
    # MIGRAD stops at EDM ~1e-4: along flat directions its point differs by a tiny fraction of σ.
    sigma = np.sqrt(np.diag(fast.covariance))
    assert np.all(np.abs(fast.values - ref.values) <= 1e-4 * np.abs(ref.values) + 1e-6 + 1e-3 * sigma)
    assert fast.alpha == pytest.approx(ref.alpha, rel=1e-4, abs=1e-6)
    # The covariance is checked against an exact reference, not against HESSE (whose finite
    # differences of the function value are good to only a few per cent and change between iminuit
    # versions): 2 H⁻¹ from central differences of the analytic gradient at the fast engine's minimum,
    # for the parameters off their bounds.
    if not (fast.at_boundary or kw.get("fix_alpha") is not None or np.any(fast.p == 0.0)):
        oracle = _finite_difference_covariance(m, statistic, fast.values)
        scale = np.sqrt(np.outer(np.diag(oracle), np.diag(oracle)))
        assert np.allclose(fast.covariance, oracle, rtol=1e-5, atol=1e-6 * scale.max())
    assert fast.covariance.shape == ref.covariance.shape
    for field in ("ndof", "ndof_convention", "alpha_fixed", "at_boundary", "parameter_names", "poi_name", "statistic"):
        assert getattr(fast, field) == getattr(ref, field), field
    assert fast.pulls.keys() == ref.pulls.keys()
    if kw.get("fix_alpha") is not None:
        assert np.isnan(fast.alpha_error) and fast.errors[0] == 0.0 and np.all(fast.covariance[0] == 0.0)
    if case.startswith("boundary"):
        assert fast.at_boundary and "boundary" in fast.message
        assert fast.alpha_error > 0  # the curvature scale there


def _finite_difference_covariance(model, statistic, x):
    """2 H⁻¹ from central differences of the analytic gradient (independent of both engines)."""
    from exonu.stats.fitting import FitObjective

    obj = FitObjective(model, statistic)
    n = x.size
    h = np.empty((n, n))
    for i in range(n):
        step = np.zeros(n)
        step[i] = 1e-5 * max(abs(x[i]), 0.1)
        h[i] = (obj.grad(x + step) - obj.grad(x - step)) / (2 * step[i])
    return 2.0 * np.linalg.inv(0.5 * (h + h.T))


@pytest.mark.parametrize("statistic", ["chi2", "poisson"])
@pytest.mark.parametrize("nonlinear", [False, True])
def test_fast_engine_hessian_is_exact(statistic, nonlinear):
    # Non-integer (Asimov) data with the Poisson statistic is where HESSE's finite differences of the
    # function value are poorest (tens of per cent here); the analytic Hessian has no such problem.
    m0 = random_model(nonlinear=nonlinear)
    m = m0.with_data(m0.asimov(0.7))
    res = fit(m, statistic=statistic)
    assert res.valid, res.message
    expected = _finite_difference_covariance(m, statistic, res.values)
    scale = np.sqrt(np.outer(np.diag(expected), np.diag(expected)))
    assert np.allclose(res.covariance, expected, rtol=1e-5, atol=1e-6 * scale.max())
    assert np.allclose(res.errors, np.sqrt(np.diag(expected)), rtol=1e-5)


def test_fast_engine_component_at_its_bound():
    x = np.linspace(0.0, 1.0, 10)
    m0 = BinnedModel(
        np.ones(10),
        np.array([100 + 0 * x, 30 * np.exp(-3 * x)]),
        [np.inf, np.inf],
        50 * np.exp(-x),
        background_names=["flat", "falling"],
    )
    # Fewer counts than the background-free expectation where the second component lives: p̂ = 0.
    m = m0.with_data(m0.asimov(0.5, {"p": [1.0, 0.0]}) - 0.3 * m0.background_templates[1])
    fast, ref = fit(m, statistic="poisson"), fit(m, statistic="poisson", engine="minuit")
    assert fast.valid and fast.p[1] == 0.0 and fast.p_errors[1] == 0.0
    assert "held at the 0 bound" in fast.message and "p_falling" in fast.message
    assert np.all(fast.covariance[2] == 0.0) and np.all(fast.covariance[:, 2] == 0.0)
    assert fast.chi2 == pytest.approx(ref.chi2, abs=1e-6)
    assert np.allclose(fast.covariance, ref.covariance, rtol=1e-3, atol=1e-6)


def test_fast_engine_reports_a_singular_hessian():
    x = np.linspace(0.0, 1.0, 10)
    # Two identical free components: only their sum is determined.
    m0 = BinnedModel(np.ones(10), np.array([100 + 0 * x, 100 + 0 * x]), [np.inf, np.inf], 50 * np.exp(-3 * x))
    res = fit(m0.with_data(np.round(m0.asimov(0.5))))
    assert not res.valid and res.converged
    assert "not positive definite" in res.message
    assert res.covariance is None and np.all(np.isnan(res.errors))


def test_engine_is_checked():
    with pytest.raises(InputError, match="engine must be one of"):
        fit(random_model(), engine="scipy")


def test_error_block_is_computed_on_first_access_and_kept():
    """``fit`` returns the best fit and χ²_min; the Hessian block waits for the first read of an error."""
    import pickle

    m0 = random_model()
    m = m0.with_data(np.round(m0.asimov(0.8)))
    res = fit(m, statistic="poisson")
    assert "errors" not in vars(res) and "valid" not in vars(res)  # nothing of the block computed yet
    text = repr(res)  # the repr shows the block (and computes it)
    assert "alpha_error=" in text and "covariance=" in text and "valid=True" in text
    assert vars(res)["errors"] is res.errors  # computed once, then kept
    again = pickle.loads(pickle.dumps(fit(m, statistic="poisson")))  # a pickled result computes it after
    assert np.array_equal(again.covariance, res.covariance) and again.alpha_error == res.alpha_error
    assert res.alpha_error == pytest.approx(float(np.sqrt(res.covariance[0, 0])), rel=1e-12)
