"""Toy-calibrated thresholds of a region (Feldman–Cousins ordering with profiled nuisances).

Each point of the toy grid is one independent, separately seeded :class:`ToyUnit`; the work on it,
:func:`toy_threshold`, is a pure function of the unit once bound to the problem (a picklable
:func:`functools.partial`), so any ``map`` (serial, a process pool, Dask) gives the same numbers:
:func:`~exonu.searches.contour.region.confidence_region` takes the ``mapper`` that runs them.
G. J. Feldman, R. D. Cousins, PRD 57 (1998) 3873; the "profile construction", PDG Review of Particle
Physics, Statistics §40.4.2.3.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ...stats import FitProblem, generate_toys, profile
from .problem import RegionProblem

__all__ = ["ToyUnit", "profiles_per_unit", "toy_threshold", "unit_seed"]


@dataclass(frozen=True)
class ToyUnit:
    """Toys at one point of the toy grid: one independent unit of work for an executor."""

    index: int
    x: float
    y: float
    n_toys: int
    seed: int


def toy_threshold(problem: RegionProblem, candidates: Sequence[tuple[float, float]], cl: float, unit: ToyUnit) -> float:
    """The ``cl`` quantile of q(x, y) = χ²_min(x, y) − min over the candidate points, in toys at (x, y).

    The toys are drawn at the point with the nuisances fitted to the data there (profile construction),
    auxiliary measurements fluctuated. The minimum over the plane is taken over ``candidates`` (the
    toy grid) and the point itself, so it is resolution-limited: q, and the threshold, come out
    slightly low where the grid is coarse.
    """
    model = problem.model_at(unit.x, unit.y)
    # not problem.profile_at: the work must not change the problem (it may run on a copy in a worker);
    # the caller counts the profiles (PROFILES_PER_UNIT)
    fitted = profile(model, 1.0, statistic=problem.statistic)
    toys = generate_toys(model, unit.n_toys, alpha=1.0, seed=unit.seed, pulls=fitted)
    at_point, theta, _ = FitProblem(model, problem.statistic, toys.data, toys.centres).profile(
        np.ones(unit.n_toys), np.tile(fitted.theta, (unit.n_toys, 1))
    )
    lowest = at_point.copy()
    for cx, cy in candidates:
        f, _, _ = FitProblem(problem.model_at(cx, cy), problem.statistic, toys.data, toys.centres).profile(
            np.ones(unit.n_toys), theta
        )
        lowest = np.fmin(lowest, f)
    q = np.maximum(at_point - lowest, 0.0)
    return float(np.quantile(q[np.isfinite(q)], cl))


def profiles_per_unit(n_candidates: int) -> int:
    """Profiles :func:`toy_threshold` makes (the fit to the data at the point, then one batched profile
    of the toys there and at each of ``n_candidates`` points), for :attr:`RegionProblem.n_profiles`."""
    return n_candidates + 2


def unit_seed(seed: int, index: int) -> int:
    """An independent, reproducible seed for the toys of toy-grid point ``index``."""
    return int(np.random.SeedSequence([int(seed), int(index)]).generate_state(1, np.uint64)[0] % (2**63))
