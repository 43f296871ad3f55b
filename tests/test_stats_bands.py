"""Expected limits from asymptotic formulas and the −1σ edge shared by PLR and PCL.

The band edges of CL_s and PCL are the crossings of q̃_A(α) on the background-only Asimov data set
(arXiv:1007.1727 §4.3, arXiv:1105.3166): for the χ² counting experiment χ² = (d − b − α)²/d with
d = b, q̃_A(α) = α²/b, so every edge is √b times its √q_A in closed form.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from exonu.stats import BinnedModel, FitProblem, cls_upper_limit, pcl_upper_limit, plr_upper_limit
from exonu.stats.calculators import asymptotic_cls_band_sqrt_qa
from exonu.stats.limits.pcl import pcl_expected, pcl_threshold
from exonu.stats.limits.results import BAND_SIGMAS
from exonu.stats.scan import solve_crossings

B = 100.0


def counting(d: float, b: float = B) -> BinnedModel:
    return BinnedModel(np.array([d]), np.array([[b]]), [0.0], np.array([1.0]))


def test_cls_band_matches_the_closed_form():
    exp = cls_upper_limit(counting(B), 0.9).expected_detail
    assert exp is not None and exp.asymptotic_band is not None
    for key, n in BAND_SIGMAS.items():
        want = np.sqrt(B) * asymptotic_cls_band_sqrt_qa(0.9, n)  # 1.645·10 = 16.45 for the median
        assert exp.asymptotic_band[key] == pytest.approx(want, rel=1e-9), key


def test_pcl_band_matches_the_closed_form_and_is_clipped_at_minus_one_sigma():
    z = norm.ppf(0.9)
    band = pcl_expected(counting(B), "chi2", 0.9)
    for key, n in BAND_SIGMAS.items():
        assert band[key] == pytest.approx(np.sqrt(B) * (z + max(n, -1.0)), rel=1e-9), key
    assert band["-2sigma"] == band["-1sigma"] == pcl_threshold(counting(B), "chi2", 0.9)


def test_crossings_of_many_targets_at_once():
    asimov = FitProblem(counting(B), "chi2").nominal_asimov(0.0)
    targets = np.array([0.5, 1.0, 2.706, 9.0])
    u = solve_crossings(asimov, targets, u_start=1e-3)  # a start far below the crossings: the bracket grows
    assert u == pytest.approx(np.sqrt(B * targets), rel=1e-10)


def test_minus_one_sigma_edge_is_one_number_for_plr_and_pcl():
    """The PCL threshold with toys is the −1σ edge of the PLR toy band of the same toys (issue 25)."""
    rng = np.random.default_rng(3)
    x = np.linspace(0.0, 1.0, 20)
    bkg = np.array([50.0 * np.exp(-x) + 5.0])
    m = BinnedModel(np.zeros(20), bkg, [0.1], 8.0 * np.exp(-3.0 * x))
    m = m.with_data(rng.poisson(m.asimov(0.0)).astype(float))
    plr = plr_upper_limit(m, 0.9, n_toys=40, seed=11)
    pcl = pcl_upper_limit(m, 0.9, n_toys=40, seed=11)
    assert plr.expected_band is not None
    assert pcl.details["power_threshold"] == plr.expected_band["-1sigma"]
    asymptotic = pcl_upper_limit(m, 0.9)
    assert asymptotic.expected_detail is not None and asymptotic.expected_detail.asymptotic_band is not None
    assert asymptotic.details["power_threshold"] == asymptotic.expected_detail.asymptotic_band["-1sigma"]
