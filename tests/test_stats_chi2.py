"""The statistic itself: Eqs. (4)–(7) of arXiv:2005.11891 written out by hand, and the Poisson variant."""

import numpy as np
import pytest

from exonu.stats import BinnedModel, chi2_value

B = np.array([[40.0, 30.0, 20.0, 10.0], [5.0, 5.0, 5.0, 5.0]])
SIG_B = np.array([[[2.0, 1.0, -1.0, 0.0], [0.5, 0.0, 0.0, -0.5]]])  # (K=1, J=2, n=4), absolute
T = np.array([10.0, 6.0, 3.0, 1.0])
EPS = np.array([[0.1, 0.1, 0.2, 0.3]])
D = np.array([52.0, 41.0, 22.0, 17.0])
VB = np.array([4.0, 3.0, 2.0, 1.0])
VS = np.array([1.0, 0.5, 0.2, 0.1])


def model(**kw):
    args = dict(
        data=D,
        background_templates=B,
        activity_sigma=[0.2, np.inf],
        signal_templates=T,
        background_shape_sys=SIG_B,
        signal_shape_sys=EPS,
        background_mc_stat_var=VB,
        signal_mc_stat_var=VS,
    )
    args.update(kw)
    return BinnedModel(**args)


def by_hand(alpha, p, q, r):
    """Eqs. (4)-(7) literally, with S_i = S0_i + r σ(S_sys)_i and σ(S_sys) = ε S0."""
    b = sum(p[j] * (B[j] + q[0] * SIG_B[0, j]) for j in range(2))
    s0 = T
    s = s0 + r[0] * EPS[0] * s0
    chi2 = np.sum((D - b - alpha * s) ** 2 / (D + VB + alpha**2 * VS))
    pull = (1 - p[0]) ** 2 / 0.2**2 + q[0] ** 2 + r[0] ** 2  # component 1 is free: no pull term
    return chi2 + pull


@pytest.mark.parametrize(
    "alpha,p,q,r", [(0.0, [1, 1], [0], [0]), (1.3, [0.9, 2.0], [0.4], [-0.7]), (2.5, [1.2, 0.0], [-1.1], [1.5])]
)
def test_chi2_is_eqs_4_to_7(alpha, p, q, r):
    assert chi2_value(model(), alpha, p, q, r) == pytest.approx(by_hand(alpha, p, q, r), rel=1e-13)


def test_poisson_statistic_is_saturated_deviance_plus_pulls():
    m = model()
    alpha, p, q, r = 1.1, [0.95, 1.3], [0.2], [0.3]
    e = m.expected(alpha, p, q, r)
    dev = 2 * np.sum(e - D + D * np.log(D / e))
    pull = (1 - p[0]) ** 2 / 0.04 + q[0] ** 2 + r[0] ** 2
    assert chi2_value(m, alpha, p, q, r, statistic="poisson") == pytest.approx(dev + pull, rel=1e-13)
    # empty bins contribute 2E (D ln D/E → 0)
    m0 = model(data=[0.0, 41.0, 22.0, 17.0])
    e0 = m0.expected(alpha, p, q, r)
    dev0 = 2 * (e0[0] + np.sum(e0[1:] - m0.data[1:] + m0.data[1:] * np.log(m0.data[1:] / e0[1:])))
    assert chi2_value(m0, alpha, p, q, r, statistic="poisson") == pytest.approx(dev0 + pull, rel=1e-13)


def test_pull_centres_are_the_aux_values():
    m = model(aux_activity=[1.1, 1.0], aux_bkg_sys=[0.5], aux_sig_sys=[-0.2])
    alpha, p, q, r = 1.0, [1.0, 1.0], [0.0], [0.0]
    delta = (1.1 - 1.0) ** 2 / 0.04 + 0.5**2 + 0.2**2 - 0.0
    assert chi2_value(m, alpha, p, q, r) - chi2_value(model(), alpha, p, q, r) == pytest.approx(delta)


def test_empty_bin_floor_of_one_count():
    # D_i + σ²(B_stat)_i = 0 → the denominator uses 1 count (documented in exonu.stats.statistic).
    m = BinnedModel([0.0, 4.0], [[1.0, 4.0]], [0.0], [1.0, 1.0])
    assert chi2_value(m, 0.0) == pytest.approx((0 - 1.0) ** 2 / 1.0 + 0.0)
    # With background MC variance the floor is not needed and not applied.
    m2 = BinnedModel([0.0, 4.0], [[1.0, 4.0]], [0.0], [1.0, 1.0], background_mc_stat_var=[0.25, 0.0])
    assert chi2_value(m2, 0.0) == pytest.approx(1.0 / 0.25)


def test_negative_interference_allowed_while_expectation_positive():
    m = BinnedModel([20.0, 20.0], [[20.0, 20.0]], [0.0], [[-4.0, -1.0], [1.0, 1.0]], signal_powers=[0.5, 1.0])
    e = m.expected(4.0)  # S = 2·(−4, −1) + 4·(1, 1) = (−4, 2)
    assert np.allclose(e, [16.0, 22.0])
    assert chi2_value(m, 4.0) == pytest.approx(16 / 20 + 4 / 20)
    assert np.isfinite(chi2_value(m, 4.0, statistic="poisson"))
    # an expectation ≤ 0 in a bin with data is impossible under Poisson
    m_neg = BinnedModel([20.0, 20.0], [[1.0, 20.0]], [0.0], [[-4.0, -1.0], [1.0, 1.0]], signal_powers=[0.5, 1.0])
    assert chi2_value(m_neg, 4.0, statistic="poisson") == np.inf
