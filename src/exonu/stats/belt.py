"""The test statistic of a Neyman or Feldman–Cousins belt for an explicit ensemble of data sets.

For every data set (toy) and every α_k of a grid::

    t(α_k) = χ²_min(α_k) − χ²_min,   χ²_min = min over α ≥ 0 and the nuisances,

with χ²_min(α_k) the statistic profiled over every nuisance at fixed α_k. Two orderings:

* ``t_upper``: t(α_k) = 0 for α_k < α̂ — the one-sided q_μ of Cowan, Cranmer, Gross & Vitells,
  arXiv:1007.1727, Eq. 14 (upper limits);
* ``t_fc``: t kept below α̂ — the likelihood-ratio ordering of Feldman & Cousins,
  arXiv:physics/9711021, §IV, with the physical boundary α ≥ 0 (α̂ clipped at 0).

The whole ensemble is fitted at once (:func:`~exonu.stats.minimum.batched_best_fit`) and profiled
grid point by grid point, warm-started from the previous point, so a toy costs a few vectorised
Newton iterations instead of a separate fit and scan.

The belts themselves: :func:`neyman_belt` (toy critical values of the one-sided q̃ on a grid of α,
a :class:`NeymanBelt`) and :func:`fc_belt` (of the two-sided t̃, for Feldman–Cousins intervals). Each
grid point is one :class:`BeltPoint` (its own seed, ``child_seed(seed, k)``), run through the caller's
``mapper`` (default ``map``: in this process; see :class:`~exonu.stats.toys.Mapper`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.typing import ArrayLike

from ..errors import InputError
from .calculators import belt_critical_values
from .minimum import FitVariableMinimum, best_fit_of_batch, minimise_fit_variable
from .model import BinnedModel, check_alpha
from .objective import FitBatch
from .problem import FitProblem
from .progress import progress_iter
from .scan import nearest_ladder_theta, profile_points
from .solver import profile_batch
from .statistic import check_statistic
from .toys import Mapper, ToyEnsemble, ToyPlan, child_seed, generate_toys, one_blas_thread, resolve_seed
from .validate import check_cl

__all__ = [
    "BeltPoint",
    "BeltStatistic",
    "NeymanBelt",
    "belt_statistic",
    "fc_belt",
    "fc_belt_point",
    "neyman_belt",
    "neyman_belt_point",
    "q_one_sided",
]


@dataclass(frozen=True)
class BeltStatistic:
    """t(α_k) of N data sets on a grid of G signal strengths.

    Attributes
    ----------
    alpha_grid : ndarray (G,)
    t_upper : ndarray (N, G)
        One-sided ordering (0 below α̂); NaN where the fit or the profile did not converge.
    t_fc : ndarray (N, G)
        Feldman–Cousins ordering; NaN likewise.
    alpha_hat : ndarray (N,)
        Best fit on α ≥ 0.
    chi2_min : ndarray (N,)
        The statistic there (NaN where the fit did not converge).
    statistic : str
    """

    alpha_grid: np.ndarray
    t_upper: np.ndarray
    t_fc: np.ndarray
    alpha_hat: np.ndarray
    chi2_min: np.ndarray
    statistic: str

    def t(self, ordering: str) -> np.ndarray:
        """``t_upper`` for ``ordering="upper"``, ``t_fc`` for ``"fc"``."""
        if ordering == "upper":
            return self.t_upper
        if ordering == "fc":
            return self.t_fc
        raise InputError(f"ordering must be 'upper' or 'fc'; got {ordering!r}")


def belt_statistic(
    model: BinnedModel, ensemble: ToyEnsemble, alpha_grid: npt.ArrayLike, *, statistic: str = "chi2"
) -> BeltStatistic:
    """t(α_k) of every data set of ``ensemble`` on ``alpha_grid``, in both orderings, and α̂ per data set.

    Parameters
    ----------
    model : BinnedModel
        The model the ensemble belongs to (templates and systematics; its data are not used).
    ensemble : ToyEnsemble
        The data sets and their auxiliary measurements (``data`` (N, n_bins), ``centres``
        (N, n_nuisances)); the observed data are ``ToyEnsemble.observed(model)``.
    alpha_grid : array_like, shape (G,)
        Signal strengths α_k ≥ 0 (any order).
    statistic : {"chi2", "poisson"}

    Returns
    -------
    BeltStatistic
    """
    check_statistic(statistic)
    if not isinstance(ensemble, ToyEnsemble):
        raise InputError(f"ensemble must be a ToyEnsemble; got {type(ensemble).__name__}")
    grid = np.atleast_1d(np.asarray(alpha_grid, dtype=float))
    if grid.ndim != 1 or grid.size == 0:
        raise InputError(f"alpha_grid must be a non-empty 1-D array; got shape {grid.shape}")
    for a in grid:
        check_alpha(model, float(a))
    cm = model.compiled
    data, centres = ensemble.data, ensemble.centres
    if data.shape[1:] != (cm.n_bins,) or centres.shape != (data.shape[0], cm.n_par):
        raise InputError(
            f"the ensemble does not belong to this model: data {data.shape}, centres {centres.shape}; "
            f"expected (N, {cm.n_bins}) and (N, {cm.n_par})"
        )
    n = data.shape[0]
    batch = FitBatch.of(cm, statistic, data, centres)
    best = best_fit_of_batch(model, batch)
    alpha_hat = cm.u_to_alpha(best.u)
    chi2_min = np.where(best.converged, best.f, np.nan)
    u_grid = cm.alpha_to_u(grid)
    f = np.empty((n, grid.size))
    ok = np.empty(f.shape, dtype=bool)
    # warm starts along increasing α, from the best fit, then extrapolated linearly from the two
    # previous grid points (the profiled nuisances are smooth in α; saves Newton iterations)
    order = np.argsort(u_grid)
    start, prev_u, prev_theta = best.theta, best.u, best.theta
    for k in order:
        u_k = np.full(n, u_grid[k])
        th, f[:, k], ok[:, k], _ = profile_batch(batch, u_k, start, newton=True)
        th = np.where(np.isfinite(f[:, k])[:, None], th, prev_theta)
        nxt = order[min(np.searchsorted(u_grid[order], u_grid[k], side="right"), order.size - 1)]
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = (th - prev_theta) / (u_k - prev_u)[:, None]
        start = th + np.where(np.isfinite(slope), slope, 0.0) * (u_grid[nxt] - u_k)[:, None]
        start[:, cm.bounded] = np.maximum(start[:, cm.bounded], 0.0)
        prev_u, prev_theta = u_k, th
    t_fc = np.where(ok, np.maximum(f - chi2_min[:, None], 0.0), np.nan)
    t_upper = np.where(grid[None, :] < alpha_hat[:, None], 0.0, t_fc)
    t_upper = np.where(np.isnan(chi2_min)[:, None], np.nan, t_upper)
    return BeltStatistic(grid, t_upper, t_fc, alpha_hat, chi2_min, statistic)


@dataclass(frozen=True)
class NeymanBelt:
    """Critical values of the one-sided PLR statistic q(α) from toys, on a grid of α.

    Attributes
    ----------
    alpha_grid : ndarray (G,)
    critical_values : ndarray (G,)
        The ``cl`` quantile of q(α_k) over toys generated at α_k.
    q_toys : ndarray (G, n_toys)
        The toy values (NaN where a toy failed).
    cl, statistic, n_toys, seed, fluctuate_aux
    """

    alpha_grid: np.ndarray
    critical_values: np.ndarray
    q_toys: np.ndarray
    cl: float
    statistic: str
    n_toys: int
    seed: int
    fluctuate_aux: bool


def q_one_sided(batch: FitBatch, u_values: np.ndarray | Sequence[float]) -> tuple[np.ndarray, FitVariableMinimum]:
    """One-sided q(u_k) for every data set of ``batch`` and every u_k (vectorised over data sets)."""
    n = batch.size
    um = minimise_fit_variable(batch, np.tile(batch.cm.nominal, (n, 1)))
    u = np.broadcast_to(np.asarray(u_values, float), (n, len(u_values))).copy()
    f, _, ok_pts = profile_points(batch, u, nearest_ladder_theta(um, u))
    q = np.where(um.u[:, None] <= u, np.maximum(f - um.f[:, None], 0.0), 0.0)
    ok = um.converged[:, None] & ok_pts
    return np.where(ok, q, np.nan), um


@dataclass(frozen=True)
class BeltPoint:
    """One grid point of a toy belt: everything a worker needs to draw its toys and evaluate them.

    Attributes
    ----------
    model : BinnedModel
    statistic : str
    alpha, u : float
        The grid point, as α and as the fitted variable u (computed once by the caller, from the grid).
    n_toys, seed : int
        Toys drawn at α with ``generate_toys(model, n_toys, alpha=alpha, seed=seed)``.
    fluctuate_aux : bool
    chunk_size : int
        Toys evaluated together (vectorised); with the seed it fixes the bits.
    """

    model: BinnedModel
    statistic: str
    alpha: float
    u: float
    n_toys: int
    seed: int
    fluctuate_aux: bool
    chunk_size: int


def belt_points(model: BinnedModel, alpha_grid: np.ndarray, statistic: str, plan: ToyPlan) -> list[BeltPoint]:
    """The grid points of a belt with ``plan.n_toys`` toys each, point k seeded by ``child_seed(plan.seed, k)``."""
    u_grid = model.compiled.alpha_to_u(alpha_grid)
    seed = resolve_seed(plan.seed)
    return [
        BeltPoint(
            model,
            statistic,
            float(alpha_grid[k]),
            float(u_grid[k]),
            plan.n_toys,
            child_seed(seed, k),
            plan.fluctuate_aux,
            plan.chunk_size,
        )
        for k in range(alpha_grid.size)
    ]


def neyman_belt_point(point: BeltPoint) -> np.ndarray:
    """q(α_k) of the toys of one grid point (NaN where a toy failed), on one BLAS thread."""
    with one_blas_thread():
        cm = point.model.compiled
        ens = generate_toys(
            point.model, point.n_toys, alpha=point.alpha, seed=point.seed, fluctuate_aux=point.fluctuate_aux
        )
        q_row = np.empty(point.n_toys)
        for sl in _slices(point.n_toys, point.chunk_size):
            q, _ = q_one_sided(FitBatch.of(cm, point.statistic, ens.data[sl], ens.centres[sl]), [point.u])
            q_row[sl] = q[:, 0]
        return q_row


def fc_belt_point(point: BeltPoint) -> np.ndarray:
    """t̃(α_k) of the toys of one grid point (all at once; ``chunk_size`` unused), on one BLAS thread."""
    with one_blas_thread():
        ens = generate_toys(
            point.model, point.n_toys, alpha=point.alpha, seed=point.seed, fluctuate_aux=point.fluctuate_aux
        )
        t: np.ndarray = FitProblem(point.model, point.statistic, ens.data, ens.centres).test_statistic(
            [point.u], "two"
        )[0][:, 0]
        return t


def run_belt_points(
    function: Callable[[BeltPoint], np.ndarray], points: list[BeltPoint], plan: ToyPlan, desc: str
) -> np.ndarray:
    """The toy values of every grid point, (G, n_toys), computed by ``plan.mapper(function, points)``."""
    rows = progress_iter(plan.mapper(function, points), plan.progress, desc, total=len(points), unit="alpha")
    return np.array([np.asarray(row, dtype=float) for row in rows])


def neyman_belt(
    model: BinnedModel,
    alpha_grid: ArrayLike,
    *,
    cl: float = 0.9,
    n_toys: int = 1000,
    seed: int | None = None,
    statistic: str = "chi2",
    fluctuate_aux: bool = True,
    progress: bool | None = None,
    chunk_size: int = 250,
    mapper: Mapper = map,
) -> NeymanBelt:
    """Toy-based critical values of the one-sided PLR statistic on a grid of α.

    For each α_k, ``n_toys`` toys are generated at α_k (nuisances nominal, auxiliary measurements
    fluctuated unless ``fluctuate_aux=False``), q(α_k) is computed for each (with α̂ ≥ 0), and the
    ``cl`` quantile is the critical value. Grid point k uses the seed ``child_seed(seed, k)``; the grid
    points run through ``mapper`` (:func:`neyman_belt_point` on each :class:`BeltPoint`).
    """
    check_statistic(statistic)
    check_cl(cl)
    alpha_grid = np.asarray(alpha_grid, dtype=float)
    if alpha_grid.ndim != 1 or alpha_grid.size < 2 or np.any(alpha_grid <= 0) or np.any(np.diff(alpha_grid) <= 0):
        raise InputError("alpha_grid must be a strictly increasing 1-D array of at least 2 positive values")
    seed = resolve_seed(seed)
    plan = ToyPlan(n_toys, seed, fluctuate_aux, progress, chunk_size, mapper)
    q_toys = run_belt_points(neyman_belt_point, belt_points(model, alpha_grid, statistic, plan), plan, "Neyman belt")
    crit = np.array([np.nanquantile(row, cl) for row in q_toys])
    return NeymanBelt(alpha_grid, crit, q_toys, cl, statistic, n_toys, seed, bool(fluctuate_aux))


def _slices(n: int, size: int) -> list[slice]:
    return [slice(s, min(s + size, n)) for s in range(0, n, size)]


def fc_belt(
    model: BinnedModel,
    alpha_grid: np.ndarray,
    *,
    cl: float,
    statistic: str,
    n_toys: int,
    seed: int,
    fluctuate_aux: bool = True,
    progress: bool | None = None,
    mapper: Mapper = map,
) -> dict[str, Any]:
    """Critical values of t̃ (two-sided, α̂ ≥ 0) from ``n_toys`` toys at each grid α (grid point k seeded
    by ``child_seed(seed, k)``; the points run through ``mapper``, :func:`fc_belt_point` on each)."""
    plan = ToyPlan(n_toys, seed, fluctuate_aux, progress, n_toys, mapper)  # every toy of a point at once
    t_toys = run_belt_points(
        fc_belt_point, belt_points(model, alpha_grid, statistic, plan), plan, "Feldman–Cousins belt"
    )
    return {
        "alpha_grid": alpha_grid,
        "critical_values": belt_critical_values(t_toys, cl),
        "t_toys": t_toys,
        "cl": cl,
        "statistic": statistic,
        "n_toys": n_toys,
        "seed": seed,
    }
