"""Every method's LimitResult is assembled in one place (LimitResult.from_fit): the best fit, the
expected limit and the parameter name are filled the same way whatever the method."""

import numpy as np
import pytest

from exonu.stats import BinnedModel, fit, upper_limit

D = np.array([52.0, 41.0, 33.0, 20.0])
MODEL = BinnedModel(
    data=D,
    background_templates=[[50.0, 40.0, 30.0, 20.0]],
    activity_sigma=[0.1],
    signal_templates=[4.0, 3.0, 2.0, 1.0],
    poi_name="mu",
)


@pytest.mark.parametrize("method", ["bayesian", "plr", "cls", "pcl"])
def test_best_fit_expected_and_name_are_filled_alike(method):
    res = upper_limit(MODEL, 0.9, method=method)
    ref = fit(MODEL, tol=1e-12)
    assert res.poi_name == "mu" and res.statistic == "chi2" and res.method == method
    assert res.alpha_hat == pytest.approx(ref.alpha, rel=1e-4)
    assert res.best_fit.alpha == res.alpha_hat
    assert res.chi2_min == pytest.approx(ref.chi2, abs=1e-8)
    assert res.expected_detail is not None and res.expected == res.expected_detail.asimov
    assert res.expected_band == res.expected_detail.band
    assert res.alpha_limit > res.alpha_hat
