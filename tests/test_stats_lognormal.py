"""Log-normal signal systematics (``BinnedModel.signal_sys_response``), used by the atomic nuisance.

A log-normal systematic scales the signal by (1 + ε)^r instead of the paper's 1 + r ε (Eq. 6): equal
at r = 0 and r = +1, 1/(1 + ε) at r = −1, positive for every r. Checked: the factor itself, that the
compiled objective agrees with ``BinnedModel.expected``, the analytic gradient and exact (Newton)
Hessians against central differences, that a linear-only model takes the unchanged code path, and that
a large negative pull cannot remove the signal (docs/physics.md §18.4).
"""

from __future__ import annotations

import numpy as np
import pytest

from exonu.errors import InputError
from exonu.stats import BinnedModel, profile
from exonu.stats.objective import FitBatch, expectation, grad_hess_theta, joint_derivatives, objective

N_BINS = 6
EPS_LINEAR = np.array([0.02, 0.03, -0.01, 0.04, 0.05, 0.01])
EPS_ATOMIC = np.array([0.30, 0.25, 0.20, 0.15, 0.15, 0.19])


def make_model(response=("linear", "lognormal")):
    background = np.array([[50.0, 40.0, 30.0, 25.0, 20.0, 15.0], [5.0, 8.0, 10.0, 12.0, 10.0, 8.0]])
    signal = np.array([[30.0, 20.0, 12.0, 6.0, 3.0, 1.0]])
    bsys = np.zeros((1, 2, N_BINS))
    bsys[0, 0] = 0.05 * background[0] * np.linspace(-1, 1, N_BINS)
    return BinnedModel(
        data=np.array([60.0, 55.0, 41.0, 33.0, 28.0, 22.0]),
        background_templates=background,
        activity_sigma=np.array([0.1, np.inf]),
        signal_templates=signal,
        background_shape_sys=bsys,
        signal_shape_sys=np.vstack([EPS_LINEAR, EPS_ATOMIC]),
        signal_sys_names=["efficiency", "atomic"],
        signal_sys_response=response,
    )


def test_the_factor_is_one_plus_eps_to_the_power_r():
    model = make_model()
    for r_atomic in (-1.0, 0.0, 1.0, -3.5):
        got = model.signal_factor([0.0, r_atomic])
        np.testing.assert_allclose(got, (1.0 + EPS_ATOMIC) ** r_atomic, rtol=1e-14)
    # at −1σ the signal is divided by 1 + ε (0.77 for ε = 0.30), not multiplied by 1 − ε (0.70)
    assert model.signal_factor([0.0, -1.0])[0] == pytest.approx(1 / 1.3, rel=1e-14)
    # a −3.5σ pull leaves 40 % of the signal where the linear form leaves none (1 − 3.5 × 0.30 < 0)
    assert model.signal_factor([0.0, -3.5])[0] == pytest.approx(1.3**-3.5, rel=1e-14) and 1.3**-3.5 > 0.39
    assert make_model(("linear", "linear")).signal_factor([0.0, -3.5])[0] == pytest.approx(1 - 3.5 * 0.3)
    # the linear systematic still adds: the factors multiply
    both = model.signal_factor([2.0, -1.0])
    np.testing.assert_allclose(both, (1 + 2.0 * EPS_LINEAR) / (1 + EPS_ATOMIC), rtol=1e-14)


def test_bad_responses_are_refused_in_one_line():
    with pytest.raises(InputError, match="one of"):
        make_model(("linear", "exponential"))
    with pytest.raises(InputError, match="2 entries"):
        make_model(("lognormal",))
    with pytest.raises(InputError, match="ε > −1"):
        BinnedModel(
            data=np.ones(2),
            background_templates=np.ones((1, 2)),
            activity_sigma=[0.1],
            signal_templates=np.ones((1, 2)),
            signal_shape_sys=[[-1.0, 0.1]],
            signal_sys_response=["lognormal"],
        )


def test_a_linear_model_compiles_without_lognormal_arrays():
    """Every packaged search without the atomic nuisance takes the unchanged code path (golden numbers)."""
    assert make_model(("linear", "linear")).compiled.skappa is None
    assert make_model(None).signal_sys_response == ("linear", "linear")
    assert make_model().compiled.skappa is not None


def batch_at(model, statistic, theta):
    cm = model.compiled
    data = model.data[None, :]
    return FitBatch.of(cm, statistic, data, cm.centres[None, :]), np.asarray(theta, dtype=float)[None, :]


@pytest.mark.parametrize("statistic", ["chi2", "poisson"])
def test_the_objective_agrees_with_the_model_and_its_derivatives_with_differences(statistic):
    model = make_model()
    cm = model.compiled
    theta = np.array([1.05, 0.9, 0.4, 1.2, -1.7])  # p_0, p_1, q_0, r_efficiency, r_atomic
    u = np.array([0.8])
    batch, th = batch_at(model, statistic, theta)
    st = expectation(cm, u, th)
    p, q, r = model.layout.split(np.concatenate([[0.8], theta]))
    np.testing.assert_allclose(st.expected[0], model.expected(0.8, p, q, r), rtol=1e-13)

    den = batch.denominator(u)

    def f(t):
        return objective(batch, den, u, t[None, :])[0][0]

    g, _, h_newton = grad_hess_theta(batch, den, st, th)
    assert h_newton is not None
    step = 1e-5
    num_g = np.array([(f(theta + step * e) - f(theta - step * e)) / (2 * step) for e in np.eye(theta.size)])
    np.testing.assert_allclose(g[0], num_g, rtol=1e-6, atol=1e-6)

    def grad(t):
        return grad_hess_theta(batch, den, expectation(cm, u, t[None, :]), t[None, :], hessian=False)[0][0]

    num_h = np.array([(grad(theta + step * e) - grad(theta - step * e)) / (2 * step) for e in np.eye(theta.size)])
    np.testing.assert_allclose(h_newton[0], num_h, rtol=1e-5, atol=1e-5)

    # the joint (u, θ) derivatives: the u–r cross terms use the log-normal slopes
    x = np.concatenate([u, theta])[None, :]
    gx, _, hx = joint_derivatives(batch, den, st, x)

    def grad_x(xv):
        s = expectation(cm, xv[:1], xv[None, 1:])
        return joint_derivatives(batch, den, s, xv[None, :])[0][0]

    num_hx = np.array([(grad_x(x[0] + step * e) - grad_x(x[0] - step * e)) / (2 * step) for e in np.eye(x.size)])
    np.testing.assert_allclose(gx[0, 1:], g[0], rtol=1e-12)
    np.testing.assert_allclose(hx[0], num_hx, rtol=1e-5, atol=1e-5)  # no signal MC variance: den fixed in u


def test_a_large_signal_cannot_be_hidden_by_the_atomic_pull():
    """With the linear form the pull r ≈ −1/ε removes the low-energy signal for a small χ² cost; the
    log-normal factor keeps (1 + ε)^r > 0, so a large α is penalised as without the nuisance."""
    linear, lognormal = make_model(("linear", "linear")), make_model()
    alpha = 3.0  # ~90 signal counts in the first bin over 55 of background: excluded at many σ
    f_lin = profile(linear, alpha, statistic="poisson")
    f_log = profile(lognormal, alpha, statistic="poisson")
    assert f_lin.converged and f_log.converged
    floor = profile(lognormal, 0.0, statistic="poisson").chi2
    assert f_log.chi2 - floor > 2.0 * (f_lin.chi2 - floor)
    assert np.all(lognormal.signal_factor(f_log.r) > 0)
