"""The best fit finds the deepest basin of χ²_min(α), and intervals over a non-connected set say so.

Reproducer (XENONnT SR0, NSI ε^{eL}_{ee} < 0): the interference term makes χ²_min(ε) rise from
22.92 at ε = 0 by about 2.5 and fall into a second, deeper basin (22.67) near ε ≈ −1.47. The ladder
of the α search straddles that basin between two of its doubling steps; the fit used to stop at
ε = 0 and the two-sided interval was cut at the bump.
"""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def nsi_negative():
    from exonu.config import load_detector
    from exonu.searches import build_binned_model, search_spec

    setup = load_detector("xenonnt-sr0")
    # the atomic nuisance off: its pull lowers the bump between the basins below 2.706 (no gap to test)
    spec = search_spec("nsi", chirality="L", sign=-1, atomic_uncertainty="off")
    model, _ = build_binned_model(setup, spec)
    return model, setup.statistic


def _profile(model, statistic, alphas):
    from exonu.stats import profile

    return np.array([profile(model, float(a), statistic=statistic).chi2 for a in alphas])


def test_fit_finds_the_deeper_second_basin(nsi_negative):
    from exonu.stats import fit

    model, statistic = nsi_negative
    best = fit(model, statistic=statistic)
    at_zero = fit(model, statistic=statistic, fix_alpha=0.0)
    assert best.converged
    assert best.chi2 < at_zero.chi2 - 0.1  # the second basin is ~0.25 deeper than α = 0
    # it is the global minimum: no point of a dense profile scan lies below it
    alphas = np.linspace(0.0, 6.0, 61)
    assert np.all(_profile(model, statistic, alphas) >= best.chi2 - 1e-6)


def test_two_sided_interval_is_the_hull_and_reports_the_gap(nsi_negative):
    from exonu.stats import fit, plr_interval

    model, statistic = nsi_negative
    res = plr_interval(model, statistic=statistic)
    best = fit(model, statistic=statistic)
    # Δχ²(0) ≈ 0.25 < 2.706: α = 0 belongs to the set, so the interval starts at 0 ...
    assert res.alpha_lower == 0.0
    assert res.alpha_limit > best.alpha
    # ... and the bump between the basins (Δχ² ≈ 2.76 > 2.706) is a gap the result names
    assert "not connected" in res.message
    top = _profile(model, statistic, [res.alpha_limit])[0]
    assert top - best.chi2 == pytest.approx(2.706, abs=0.01)


@pytest.mark.parametrize(
    ("values", "valley"),
    [
        ([3.0, 1.0, 0.0, 1.0, 3.0], True),  # a single minimum
        ([0.0, 1.0, 2.0, 5.0], True),  # rising from the boundary (the usual upper limit)
        ([4.0, 2.0, 1.0], True),  # falling throughout
        ([0.0, 0.0, 1.0, 1.0, 2.0], True),  # flat stretches are no bump
        ([0.0, 2.8, 0.3, 1.0, 5.0], False),  # two basins: the bump between them
        ([1.0, 0.0, 1.0, 0.5, 2.0], False),
    ],
)
def test_valley_shaped_says_whether_a_sampled_profile_has_an_interior_bump(values, valley):
    """Only a profile with a bump can have a gap in {Δχ² ≤ crit}; the spline check runs only then."""
    from exonu.stats.limits.plr import valley_shaped

    assert valley_shaped(np.array(values)) is valley
