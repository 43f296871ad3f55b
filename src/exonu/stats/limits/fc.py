"""Feldman–Cousins unified intervals on α ≥ 0 from a toy belt of the two-sided t̃ (PRD 57 (1998) 3873).

The belt (:func:`~exonu.stats.belt.fc_belt`) holds the ``cl`` quantile of t̃(α_k) over toys generated
at α_k; the interval is every α_k whose observed t̃ lies below it (with the boundary α ≥ 0, α̂
clipped at 0, so the interval turns from two-sided into an upper limit by itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike

from ...errors import FitError, InputError
from ..belt import fc_belt
from ..calculators import belt_interval
from ..fc_exact import exact_fc_belt, exact_fc_limits
from ..model import BinnedModel
from ..objective import FitBatch
from ..problem import FitProblem
from ..toys import BAND_TOYS_CHILD, EXPECTED_BELT_CHILD, Mapper, ToyPlan, child_seed, resolve_seed
from ..validate import check_cl, check_n_toys
from .driver import background_asimov, expected_from
from .method import OwnToyBand
from .plr import plr_interval
from .results import MIN_BAND_TOYS, ExpectedLimits, LimitResult

__all__ = ["FC", "default_fc_grid", "expected_belt", "fc_expected", "fc_interval", "fc_limits_for_problem"]


def fc_limits_for_problem(problem: FitProblem, belt: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lower, upper, ok) in α of every data set of ``problem`` from a belt."""
    if belt.get("exact") is not None:  # a belt of exact_fc_belt: one Poisson count, enumerated exactly
        return exact_fc_limits(belt, problem.batch.data)
    cm = problem.compiled
    grid = belt["alpha_grid"]
    t, _ = problem.test_statistic(cm.alpha_to_u(grid), "two")
    return belt_interval(grid, t, belt["critical_values"], cm.u_to_alpha(problem.minimum().u))


def default_fc_grid(model: BinnedModel, statistic: str, cl: float, n_alpha: int) -> np.ndarray:
    """n_alpha points uniform in u up to 2.5× the larger of the observed and Asimov two-sided PLR upper ends."""
    cm = model.compiled
    obs = plr_interval(model, cl, statistic=statistic).alpha_limit
    asi = plr_interval(model.with_data(model.asimov(0.0)), cl, statistic=statistic).alpha_limit
    u_max = 2.5 * float(cm.alpha_to_u(max(obs, asi)))
    return cm.u_to_alpha(np.linspace(0.0, u_max, n_alpha + 1)[1:])


def fc_interval(
    model: BinnedModel,
    cl: float = 0.9,
    *,
    statistic: str = "chi2",
    n_toys: int = 1000,
    seed: int | None = None,
    alpha_grid: ArrayLike | None = None,
    n_alpha: int = 16,
    belt: dict[str, Any] | None = None,
    expected: bool = True,
    n_toys_expected: int = 0,
    fluctuate_aux: bool = True,
    progress: bool | None = None,
    mapper: Mapper = map,
) -> LimitResult:
    """Feldman–Cousins unified interval on α ≥ 0 from a toy belt of t̃ (PRD 57 (1998) 3873).

    A model that is one Poisson count with fixed nuisances gets the exact construction of
    :mod:`exonu.stats.fc_exact` instead (``n_toys`` and ``alpha_grid`` unused; ``calculator`` says so).
    ``mapper`` runs the belt's grid points and the expected band's chunks (see
    :class:`~exonu.stats.toys.Mapper`; the result does not depend on it).

    Returns
    -------
    LimitResult
        ``alpha_lower`` (0 when the first grid point is accepted) and ``alpha_limit`` (upper end);
        ``details["belt"]`` holds the belt.
    """
    cl = check_cl(cl)
    n_toys = check_n_toys(n_toys)
    if belt is None:  # one Poisson count with fixed nuisances: the exact construction (None otherwise)
        belt = exact_fc_belt(model, statistic, cl, resolve_seed(seed))
    if belt is None:
        if n_toys < MIN_BAND_TOYS:
            raise InputError(f"a Feldman–Cousins belt needs n_toys ≥ {MIN_BAND_TOYS} per point; got {n_toys}")
        seed = resolve_seed(seed)
        grid = default_fc_grid(model, statistic, cl, n_alpha) if alpha_grid is None else np.asarray(alpha_grid, float)
        if grid.ndim != 1 or grid.size < 2 or np.any(grid <= 0) or np.any(np.diff(grid) <= 0):
            raise InputError("alpha_grid must be a strictly increasing 1-D array of at least 2 positive values")
        belt = fc_belt(
            model,
            grid,
            cl=cl,
            statistic=statistic,
            n_toys=n_toys,
            seed=seed,
            fluctuate_aux=fluctuate_aux,
            progress=progress,
            mapper=mapper,
        )
    problem = FitProblem(model, statistic)
    lo, up, ok = fc_limits_for_problem(problem, belt)
    if not np.isfinite(up[0]):
        raise FitError("the Feldman–Cousins upper end lies outside the belt grid: pass a wider alpha_grid")
    um = problem.minimum()
    exp: ExpectedLimits | None = None
    if expected or n_toys_expected:
        exp = expected_from(
            FC(model, statistic, cl, belt),
            ToyPlan(n_toys_expected, child_seed(belt["seed"], BAND_TOYS_CHILD), fluctuate_aux, progress, mapper=mapper),
        )
    return LimitResult.from_fit(
        model,
        statistic,
        um,
        seed=belt["seed"],
        expected_detail=exp,
        alpha_limit=float(up[0]),
        alpha_lower=float(lo[0]),
        method="fc",
        cl=cl,
        alpha_grid=belt["alpha_grid"],
        chi2_profile=belt["critical_values"],
        converged=bool(ok[0]),
        message="" if ok[0] else "a profile failed or the interval reaches the end of the belt grid",
        details={"belt": belt},
        test_statistic="t̃_μ (two-sided profile likelihood ratio, α̂ ≥ 0; arXiv:1007.1727 Eq. 11)",
        threshold=belt.get("threshold", f"toy {cl:.3g} quantile of t̃ at each of {belt['alpha_grid'].size} grid points"),
        sided="two",
        n_toys=int(belt["n_toys"]),
        calculator=belt.get("calculator", "toys"),  # "exact (Poisson enumeration)" for an exact belt
    )


def fc_expected(model: BinnedModel, statistic: str, belt: dict[str, Any]) -> float:
    """The FC upper end on the nominal background-only Asimov data set."""
    asimov = FitProblem(model, statistic).nominal_asimov(0.0)
    return float(fc_limits_for_problem(asimov, belt)[1][0])


@dataclass(frozen=True)
class FC(OwnToyBand):
    """The Feldman–Cousins upper end with a given belt as a :class:`~exonu.stats.limits.method.LimitMethod`."""

    model: BinnedModel
    statistic: str
    cl: float
    belt: dict[str, Any]
    name: ClassVar[str] = "fc"
    calculator: ClassVar[str] = "toys"

    def limits(self, batch: FitBatch) -> tuple[np.ndarray, np.ndarray]:
        _, up, ok = fc_limits_for_problem(FitProblem(self.model, batch.statistic, batch.data, batch.centres), self.belt)
        return up, ok


def expected_belt(
    model: BinnedModel,
    statistic: str,
    cl: float,
    plan: ToyPlan,
) -> dict[str, Any]:
    """The belt of the expected FC limits: 16 points from :func:`default_fc_grid` of the Asimov data set, with
    the toys of ``plan`` (seed ``child_seed(plan.seed, EXPECTED_BELT_CHILD)``)."""
    return fc_belt(
        model,
        default_fc_grid(background_asimov(model), statistic, cl, 16),
        cl=cl,
        statistic=statistic,
        n_toys=plan.n_toys,
        seed=child_seed(resolve_seed(plan.seed), EXPECTED_BELT_CHILD),
        fluctuate_aux=plan.fluctuate_aux,
        progress=plan.progress,
        mapper=plan.mapper,
    )
