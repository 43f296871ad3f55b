"""The profile scan must contain the Δχ² crossing however steeply the profile rises.

The scan range is interpolated between points of a doubling ladder in u; where Δχ²(u) rises much
faster than a parabola between two ladder points the interpolation ends the scan below the
crossing. These tests use profiles whose exact crossing is known independently of the scan.
"""

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.stats import norm

from exonu.stats import BinnedModel, FitProblem, ToyEnsemble, limits_for_toys, plr_critical_value, upper_limit

#: one-sided 90 % CL threshold z² with z = Φ⁻¹(0.9) (Cowan et al., arXiv:1007.1727, Eq. 16 with the boundary)
CRIT_90 = norm.ppf(0.9) ** 2

DATA = np.array([1000.0, 800.0, 600.0])
TEMPLATES = np.array([[1.0, 1.0, 1.0], [0.02, 0.03, 0.01]])


def steep_model(power: float) -> BinnedModel:
    """S(α) = α^½ T₀ + α^power T₁ on a fixed background equal to the data, so α̂ = 0.

    Without nuisances and signal MC variance, Δχ²(α) = Σ_i S_i(α)²/D_i exactly (arXiv:2005.11891
    Eq. 4 with E = D + S): a closed form to compare the limit with.
    """
    return BinnedModel(
        data=DATA,
        background_templates=DATA[None, :],
        activity_sigma=[0.0],
        signal_templates=TEMPLATES,
        signal_powers=[0.5, power],
    )


def exact_limit(power: float) -> float:
    def delta(alpha):
        s = alpha**0.5 * TEMPLATES[0] + alpha**power * TEMPLATES[1]
        return float(np.sum(s**2 / DATA))

    return brentq(lambda a: delta(a) - CRIT_90, 1e-8, 1e3, xtol=1e-15, rtol=1e-14)


def test_threshold_is_z_squared():
    assert plr_critical_value(0.9) == pytest.approx(CRIT_90, rel=1e-12)


@pytest.mark.parametrize("power", [6.0, 10.0, 20.0])
def test_plr_limit_of_a_steep_profile_is_the_exact_crossing(power):
    """u = α^½ and the α^power term make √Δχ² grow by up to 2^(2·power) between ladder points."""
    res = upper_limit(steep_model(power), 0.9, method="plr", expected=False)
    assert res.converged
    assert res.alpha_limit == pytest.approx(exact_limit(power), rel=1e-8)


@pytest.mark.parametrize("power", [6.0, 20.0])
def test_batched_plr_limits_of_a_steep_profile(power):
    """The vectorised path (toys, expected limits) reads the crossing off a spline of the scan.

    The spline of a u⁴⁰ curve on 48 points is good to a few 1e-3; a short scan was off by 10⁶.
    """
    model = steep_model(power)
    toys = ToyEnsemble(np.tile(DATA, (3, 1)), np.tile(model.compiled.centres, (3, 1)), 0.0, 0, False)
    limits = limits_for_toys(model, toys, "plr")
    np.testing.assert_allclose(limits, exact_limit(power), rtol=3e-3)


def test_xmass_dark_photon_10_mev_plr_limit_sits_on_the_threshold():
    """The XMASS-I dark photon at 10 MeV: Δχ² jumps from 0.5 to 32 between two ladder points.

    The limit must be where the exact profile (profiled again, independently of the scan) has
    risen by the threshold above the best fit — not the 1.4e-5 a short scan used to return.
    """
    from exonu.config import load_detector
    from exonu.searches import SearchSpec, build_binned_model

    model, _ = build_binned_model(
        load_detector("xmass-i"), SearchSpec("x", "dark-photon", mass_mev=10.0, reference=3.948e-5)
    )
    res = upper_limit(model, 0.9, method="plr", expected=False)
    assert res.converged
    problem = FitProblem(model, "chi2")
    best = problem.minimum()
    f, _, ok = problem.profile(np.array([model.compiled.alpha_to_u(res.alpha_limit)]))
    assert ok[0]
    assert f[0] - best.f[0] == pytest.approx(CRIT_90, abs=1e-7)
    # a few per cent lower the profile is clearly below the threshold: the crossing is the first one
    f_below, _, _ = problem.profile(np.array([model.compiled.alpha_to_u(0.97 * res.alpha_limit)]))
    assert f_below[0] - best.f[0] < CRIT_90 - 0.05
