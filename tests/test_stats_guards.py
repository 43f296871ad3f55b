"""Bad numbers given to the stats API are one-line InputErrors, and big ensembles are refused up front."""

import numpy as np
import pytest

from exonu.errors import InputError
from exonu.stats import BinnedModel, chi2_value, expected_limits, generate_toys, limits_for_toys, upper_limit
from exonu.stats.toys import MAX_TOY_BYTES

D = np.array([50.0, 40.0, 30.0])
MODEL = BinnedModel(
    data=D,
    background_templates=[D],
    activity_sigma=[0.1],
    signal_templates=[5.0, 2.0, 1.0],
    signal_shape_sys=[[0.1, 0.0, -0.1]],
)


def test_toys_are_the_documented_stream_when_drawn_in_blocks():
    """Counts then auxiliary values from one default_rng(seed) (see exonu.stats.toys), over several blocks."""
    toys = generate_toys(MODEL, 9000, alpha=0.5, seed=12)
    rng = np.random.default_rng(12)
    counts = rng.poisson(MODEL.asimov(0.5), size=(9000, 3)).astype(float)
    noise = rng.standard_normal(size=(9000, 2))
    np.testing.assert_array_equal(toys.data, counts)
    np.testing.assert_array_equal(toys.centres, np.array([1.0, 0.0]) + noise * np.array([0.1, 1.0]))


def test_an_ensemble_too_big_for_memory_is_refused_with_the_estimate():
    n = MAX_TOY_BYTES // (5 * 8) + 1  # 3 bins + 2 auxiliary values per toy
    with pytest.raises(InputError, match=r"n_toys=\d+ would need 4 GiB.*at most \d+"):
        generate_toys(MODEL, n, seed=1)
    with pytest.raises(InputError, match="GiB"):
        expected_limits(MODEL, n_toys=10**9, seed=1)


@pytest.mark.parametrize("n_grid", [0, -5, 4, 16.0, True, "48"])
def test_n_grid_must_be_an_integer_of_at_least_8(n_grid):
    toys = generate_toys(MODEL, 2, seed=1)
    for call in (
        lambda: upper_limit(MODEL, method="bayesian", n_grid=n_grid, expected=False),
        lambda: upper_limit(MODEL, method="plr", n_grid=n_grid, expected=False),
        lambda: limits_for_toys(MODEL, toys, "plr", n_grid=n_grid, progress=False),
    ):
        with pytest.raises(InputError, match="n_grid"):
            call()


@pytest.mark.parametrize("kwargs", [{"p": [np.nan]}, {"p": [-np.inf]}, {"r": [np.inf]}])
def test_chi2_value_rejects_non_finite_nuisances(kwargs):
    with pytest.raises(InputError):
        chi2_value(MODEL, 1.0, **kwargs)
