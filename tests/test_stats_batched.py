"""The batched Newton best fit and the belt statistic against the per-data-set engine.

References are exact minimisations of the same statistic (arXiv:2005.11891 Eqs. 4–7) by the
per-toy fit and profile at a tight tolerance, not stored numbers.
"""

import numpy as np
import pytest

from exonu.errors import InputError
from exonu.parallel import ModelDescription
from exonu.parallel.units import likelihood_ratio_statistic
from exonu.searches import SearchSpec
from exonu.stats import (
    BinnedModel,
    ToyEnsemble,
    batched_best_fit,
    belt_statistic,
    fit,
    generate_toys,
    limits_for_toys,
)
from exonu.stats.minimum import batched_newton_applies
from exonu.stats.objective import FitBatch, grad_u, objective
from exonu.stats.solver import profile_batch

MAGNETIC = ModelDescription(("xmass-i",), SearchSpec("magnetic_moment_mub", "magnetic-moment"))


@pytest.fixture(scope="module")
def magnetic():
    return MAGNETIC.build()[0]


@pytest.mark.parametrize("statistic", ["chi2", "poisson"])
@pytest.mark.parametrize("alpha", [0.0, 0.7])
def test_batched_fit_equals_the_per_toy_fit(magnetic, statistic, alpha):
    """χ² minima to 1e-8 and α̂ to 1e-6 relative on random toys of the XMASS-I μ_ν model
    (11 activities, 8 background and 8 signal shape systematics)."""
    toys = generate_toys(magnetic, 12, alpha=alpha, seed=5)
    best = batched_best_fit(magnetic, statistic, toys.data, toys.centres)
    assert best.newton.all() and best.converged.all()  # the joint solve did the work, not the fallback
    ref = [fit(toys.model(magnetic, i), statistic=statistic, tol=1e-13) for i in range(toys.n_toys)]
    np.testing.assert_allclose(best.f, [r.chi2 for r in ref], rtol=0, atol=1e-8)
    a_ref = np.array([r.alpha for r in ref])
    # at the α = 0 boundary both must sit exactly on it; elsewhere agree to 1e-6
    np.testing.assert_array_equal(best.u == 0.0, a_ref == 0.0)
    # the per-toy fit stops when its predicted χ² gain is < 1e-13, i.e. α̂ within ~1e-7 σ_α:
    # relative agreement to 1e-6 of max(α̂, σ_α) (σ_α ≈ 1 here) tests both to their precision
    scale = np.maximum(a_ref, [r.alpha_error for r in ref])
    assert np.all(np.abs(best.u - a_ref) <= 1e-6 * scale)
    assert np.any(a_ref > 0)
    # and at the joint solution the profile is stationary in α (envelope derivative, Newton-exact)
    cm = magnetic.compiled
    inside = np.flatnonzero(best.u > 0)
    data, centres = toys.data[inside], toys.centres[inside]
    batch = FitBatch.of(cm, statistic, data, centres)
    u = best.u[inside]
    theta, _, _, _ = profile_batch(batch, u, best.theta[inside], tol=1e-14, newton=True)
    state = objective(batch, batch.denominator(u), u, theta)[1]
    assert np.all(np.abs(grad_u(batch, state, u)) < 1e-6)


@pytest.mark.parametrize("statistic", ["chi2", "poisson"])
def test_one_data_set_takes_the_same_iterates_as_a_batch(magnetic, statistic):
    """A single data set runs a scalar-bookkeeping copy of the joint iteration: its result must be the
    batched solve's for that row (same steps, so equal to round-off), including iteration counts."""
    toys = generate_toys(magnetic, 6, alpha=0.7, seed=11)
    together = batched_best_fit(magnetic, statistic, toys.data, toys.centres)
    for i in range(toys.n_toys):
        alone = batched_best_fit(magnetic, statistic, toys.data[i : i + 1], toys.centres[i : i + 1])
        assert alone.n_iter[0] == together.n_iter[i] and alone.converged[0] and alone.newton[0]
        np.testing.assert_allclose(alone.f[0], together.f[i], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(alone.theta[0], together.theta[i], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(alone.u[0], together.u[i], rtol=1e-9, atol=1e-12)


def test_batched_fit_outside_its_scope_uses_the_ladder_engine():
    """A non-linear signal (α^½ and α terms) is handed to the ladder engine with the same result."""
    d = np.array([1000.0, 800.0, 600.0])
    model = BinnedModel(
        data=d + np.array([30.0, 20.0, 5.0]),
        background_templates=d[None, :],
        activity_sigma=[0.1],
        signal_templates=np.array([[1.0, 2.0, 0.5], [3.0, 1.0, 0.2]]),
        signal_powers=[0.5, 1.0],
    )
    assert not batched_newton_applies(model)
    ens = ToyEnsemble.observed(model)
    best = batched_best_fit(model, "chi2", ens.data, ens.centres)
    ref = fit(model, tol=1e-13)
    assert not best.newton.any() and best.converged.all()
    assert best.f[0] == pytest.approx(ref.chi2, abs=1e-8)
    assert model.compiled.u_to_alpha(best.u)[0] == pytest.approx(ref.alpha, rel=1e-5)


@pytest.mark.parametrize("ordering", ["upper", "fc"])
def test_belt_statistic_equals_the_per_toy_fit_and_scan(magnetic, ordering):
    """t(α_k) for a toy ensemble = the per-toy fit followed by a profile scan (the old unit path)."""
    grid = np.array([0.0, 0.3, 1.1, 2.5])
    toys = generate_toys(magnetic, 6, alpha=0.4, seed=8)
    belt = belt_statistic(magnetic, toys, grid)
    for i in range(toys.n_toys):
        m = toys.model(magnetic, i)
        f = fit(m, tol=1e-13)
        t_ref = likelihood_ratio_statistic(m, f.alpha, f.chi2, grid, "chi2", ordering)
        np.testing.assert_allclose(belt.t(ordering)[i], t_ref, rtol=0, atol=2e-8)
        assert belt.alpha_hat[i] == pytest.approx(f.alpha, rel=1e-6, abs=1e-12)
    # the orderings differ exactly below α̂: zero for upper limits, the rise towards α = 0 for FC
    below = grid[None, :] < belt.alpha_hat[:, None]
    assert np.all(belt.t_upper[below] == 0.0) and np.any(belt.t_fc[below] > 0.0)
    np.testing.assert_array_equal(belt.t_upper[~below], belt.t_fc[~below])


def test_belt_statistic_of_a_gaussian_measurement_is_the_parabola():
    """One bin, χ² with a fixed background: t(α) = ((α − α̂)/σ)², σ² = D/T² (arXiv:2005.11891 Eq. 4)."""
    b, template = 100.0, 10.0
    data = np.array([[b + 7.0], [b - 5.0]])  # α̂ = 0.7, and an under-fluctuation clipped at 0
    model = BinnedModel(data=[b], background_templates=[[b]], activity_sigma=[0.0], signal_templates=[template])
    ens = ToyEnsemble(data, np.zeros((2, 0)), 0.0, 0, False)
    grid = np.array([0.2, 1.0, 2.0])
    belt = belt_statistic(model, ens, grid)
    sigma2 = data[:, 0] / template**2
    np.testing.assert_allclose(belt.alpha_hat, [0.7, 0.0], atol=1e-12)
    np.testing.assert_allclose(belt.chi2_min, [0.0, 25.0 / data[1, 0]], atol=1e-10)
    t_fc = (grid[None, :] * template - (data - b)) ** 2 / data - belt.chi2_min[:, None]
    np.testing.assert_allclose(belt.t_fc, t_fc, atol=1e-10)
    np.testing.assert_allclose(belt.t_upper[0], [0.0, (0.3**2) / sigma2[0], (1.3**2) / sigma2[0]], atol=1e-10)


def test_belt_statistic_rejects_bad_input(magnetic):
    toys = generate_toys(magnetic, 2, seed=1)
    with pytest.raises(InputError, match="ToyEnsemble"):
        belt_statistic(magnetic, toys.data, [1.0])
    with pytest.raises(InputError, match="non-empty"):
        belt_statistic(magnetic, toys, [])
    with pytest.raises(InputError):
        belt_statistic(magnetic, toys, [np.nan])
    with pytest.raises(InputError, match="ordering"):
        belt_statistic(magnetic, toys, [1.0]).t("two")


@pytest.mark.parametrize("statistic", ["chi2", "poisson"])
@pytest.mark.parametrize("method", ["plr", "bayesian"])
def test_newton_engine_toy_limits_within_1_percent_of_the_ladder(magnetic, statistic, method):
    """The faster toy limits (one Newton fit, 16 profile points) against the default (ladder, 48)."""
    toys = generate_toys(magnetic, 40, alpha=0.0, seed=21)
    ref = limits_for_toys(magnetic, toys, method, statistic=statistic, progress=False)
    fast = limits_for_toys(magnetic, toys, method, statistic=statistic, n_grid=16, engine="newton", progress=False)
    assert np.all(np.isfinite(ref)) and np.all(np.isfinite(fast))
    np.testing.assert_allclose(fast, ref, rtol=1e-2)
    # with the default grid the two engines differ only by where the grid ends
    same_grid = limits_for_toys(magnetic, toys, method, statistic=statistic, engine="newton", progress=False)
    np.testing.assert_allclose(same_grid, ref, rtol=1e-3)


def test_newton_engine_on_a_nonlinear_signal_is_the_ladder():
    d = np.array([1000.0, 800.0, 600.0])
    model = BinnedModel(
        data=d,
        background_templates=d[None, :],
        activity_sigma=[0.1],
        signal_templates=np.array([[1.0, 2.0, 0.5], [3.0, 1.0, 0.2]]),
        signal_powers=[0.5, 1.0],
    )
    toys = generate_toys(model, 10, seed=2)
    np.testing.assert_array_equal(
        limits_for_toys(model, toys, "plr", engine="newton", progress=False),
        limits_for_toys(model, toys, "plr", progress=False),
    )


@pytest.mark.parametrize(
    "kwargs, message", [({"engine": "fast"}, "engine"), ({"n_grid": 3}, "n_grid"), ({"n_grid": 16.0}, "n_grid")]
)
def test_limits_for_toys_rejects_bad_engine_and_grid(magnetic, kwargs, message):
    toys = generate_toys(magnetic, 2, seed=1)
    with pytest.raises(InputError, match=message):
        limits_for_toys(magnetic, toys, "plr", progress=False, **kwargs)


@pytest.mark.parametrize(
    "method, belt, message", [("neyman", {"alpha": [0.0]}, "NeymanBelt"), ("fc", [0.0], "fc_belt")]
)
def test_limits_for_toys_refuses_a_belt_of_the_wrong_kind(magnetic, method, belt, message):
    """A Feldman–Cousins belt given to the Neyman limit (or a list to FC) is refused by name, in one line."""
    toys = generate_toys(magnetic, 2, seed=1)
    with pytest.raises(InputError, match=message) as exc:
        limits_for_toys(magnetic, toys, method, belt=belt, progress=False)
    assert "\n" not in str(exc.value)
