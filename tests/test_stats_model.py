"""BinnedModel: validation of every argument (InputError naming it), copies and predictions."""

import numpy as np
import pytest

from exonu.errors import InputError
from exonu.stats import BinnedModel, bayesian_chi2_limit, chi2_value, expected_limits, generate_toys, profile


def small(**overrides):
    kw = dict(
        data=[10.0, 12.0, 9.0],
        background_templates=[[8.0, 9.0, 7.0], [1.0, 2.0, 1.0]],
        activity_sigma=[0.1, np.inf],
        signal_templates=[3.0, 2.0, 1.0],
        background_shape_sys=[[[0.5, -0.2, 0.1], [0.1, 0.1, 0.0]]],
        signal_shape_sys=[[0.05, 0.05, 0.1]],
    )
    kw.update(overrides)
    return BinnedModel(**kw)


@pytest.mark.parametrize(
    "overrides, pattern",
    [
        ({"data": [10.0, -1.0, 9.0]}, "data must be non-negative"),
        ({"data": [10.0, np.nan, 9.0]}, "data must be finite"),
        ({"data": [[10.0, 12.0, 9.0]]}, "data must be 1-dimensional"),
        ({"data": []}, "data must contain at least one bin"),
        ({"data": ["a", "b", "c"]}, "data must be numeric"),
        ({"background_templates": [[8.0, 9.0], [1.0, 2.0]]}, "background_templates must have shape"),
        ({"background_templates": [[8.0, np.inf, 7.0], [1.0, 2.0, 1.0]]}, "background_templates must be finite"),
        ({"background_templates": [[8.0, -9.0, 7.0], [1.0, 2.0, 1.0]]}, "background_templates must be non-negative"),
        ({"activity_sigma": [0.1]}, "activity_sigma must have shape"),
        ({"activity_sigma": [0.1, np.nan]}, "activity_sigma must not contain NaN"),
        ({"activity_sigma": [-0.1, 0.2]}, "activity_sigma must be non-negative"),
        ({"signal_templates": [3.0, 2.0]}, "signal_templates must have shape"),
        ({"signal_templates": [3.0, np.nan, 1.0]}, "signal_templates must be finite"),
        ({"signal_powers": [0.0]}, "signal_powers must be > 0"),
        ({"signal_powers": [1.0, 2.0]}, "signal_powers must have shape"),
        ({"background_shape_sys": np.zeros((1, 3, 3))}, "background_shape_sys must have shape"),
        ({"background_shape_sys": np.full((1, 2, 3), np.nan)}, "background_shape_sys must be finite"),
        ({"signal_shape_sys": np.zeros((1, 2))}, "signal_shape_sys must have shape"),
        ({"background_names": ["a"]}, "background_names must have 2 entries"),
        ({"background_names": ["a", "a"]}, "background_names must be unique"),
        ({"background_names": "ab"}, "background_names must be a sequence of strings"),
        ({"background_sys_names": ["x", "y"]}, "background_sys_names must have 1 entries"),
        ({"signal_sys_names": [""]}, "signal_sys_names must contain non-empty strings"),
        ({"background_mc_stat_var": [1.0, -1.0, 0.0]}, "background_mc_stat_var must be non-negative"),
        ({"signal_mc_stat_var": [1.0, 1.0]}, "signal_mc_stat_var must have shape"),
        ({"aux_activity": [1.0]}, "aux_activity must have shape"),
        ({"poi_name": ""}, "poi_name must be a non-empty string"),
    ],
)
def test_bad_input_names_the_argument(overrides, pattern):
    with pytest.raises(InputError, match=pattern):
        small(**overrides)


def test_with_data_validates_and_keeps_the_rest():
    m = small()
    m2 = m.with_data([1.0, 2.0, 3.0])
    assert np.array_equal(m2.data, [1.0, 2.0, 3.0])
    assert np.array_equal(m2.background_templates, m.background_templates)
    with pytest.raises(InputError, match="data must be non-negative"):
        m.with_data([1.0, -2.0, 3.0])
    with pytest.raises(InputError, match="data must be finite"):
        m.with_data([1.0, np.nan, 3.0])


def test_arrays_are_read_only_copies():
    d = np.array([10.0, 12.0, 9.0])
    m = small(data=d)
    d[0] = 99.0
    assert m.data[0] == 10.0
    with pytest.raises(ValueError):
        m.data[0] = 1.0


def test_masks_and_names():
    m = small(activity_sigma=[0.1, np.inf], background_names=["pb210", "kr85"])
    assert m.constrained.tolist() == [True, False]
    assert m.unconstrained.tolist() == [False, True]
    m0 = small(activity_sigma=[0.0, np.inf])
    assert m0.fixed.tolist() == [True, False]
    assert m0.nuisance_names == ["p_bkg1", "q_bsys0", "r_ssys0"]
    assert m.n_nuisances == 4


def test_expected_counts_follow_eqs_5_and_6():
    m = small()
    p, q, r, a = np.array([1.1, 0.7]), np.array([0.3]), np.array([-0.5]), 2.0
    b = sum(p[j] * (m.background_templates[j] + q[0] * m.background_shape_sys[0, j]) for j in range(2))
    s = a * m.signal_templates[0] * (1 + r[0] * m.signal_shape_sys[0])
    assert np.allclose(m.expected(a, p, q, r), b + s)
    assert np.allclose(m.asimov(a, {"p": p, "q": q, "r": r}), b + s)
    assert np.allclose(m.asimov(0.0), m.background_templates.sum(axis=0))
    with pytest.raises(InputError, match="unknown keys"):
        m.asimov(1.0, {"x": 1})
    with pytest.raises(InputError, match=r"pulls\['q'\] must have shape"):
        m.asimov(1.0, {"q": [1.0, 2.0]})


def test_nonlinear_signal_and_negative_alpha():
    m = small(signal_templates=[[-1.0, -0.5, 0.0], [3.0, 2.0, 1.0]], signal_powers=[0.5, 1.0])
    assert np.allclose(m.signal(4.0), 2.0 * np.array([-1.0, -0.5, 0.0]) + 4.0 * np.array([3.0, 2.0, 1.0]))
    with pytest.raises(InputError, match="alpha = -1.0 < 0 is undefined"):
        m.signal(-1.0)
    with pytest.raises(InputError, match="alpha must be finite"):
        profile(m, np.inf)
    lin = small()
    assert np.allclose(lin.signal(-1.0), -lin.signal_templates[0])


def test_bad_arguments_of_the_layer():
    m = small()
    with pytest.raises(InputError, match="statistic must be one of"):
        chi2_value(m, 1.0, statistic="gauss")
    with pytest.raises(InputError, match="cl must be a number in"):
        bayesian_chi2_limit(m, cl=90)
    with pytest.raises(InputError, match="seed must be a non-negative integer"):
        generate_toys(m, 10, seed=-3)
    with pytest.raises(InputError, match="n_toys must be a positive integer"):
        generate_toys(m, 0, seed=1)
    with pytest.raises(InputError, match="method must be one of"):
        expected_limits(m, "nope", n_toys=0)
    with pytest.raises(InputError, match="start must have 4 entries"):
        profile(m, 1.0, start=[1.0, 2.0])
    with pytest.raises(InputError, match="p of a fixed component"):
        chi2_value(small(activity_sigma=[0.0, np.inf]), 1.0, p=[2.0, 1.0])
