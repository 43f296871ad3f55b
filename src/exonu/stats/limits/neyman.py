"""Neyman construction: the critical value of the one-sided q(α) from toys at each α of a grid.

Instead of the asymptotic Δχ² = 1.642 (90 %), q(α_k) of toys generated at α_k gives the critical
value c(α_k) (:func:`~exonu.stats.belt.neyman_belt`); the limit is the first crossing of
q_obs(α) − c(α) above α̂. Exact coverage up to toy statistics and the discreteness of Poisson counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike

from ...errors import InputError
from ..belt import NeymanBelt, neyman_belt, q_one_sided
from ..minimum import minimise_fit_variable
from ..model import BinnedModel
from ..objective import FitBatch
from ..statistic import check_statistic
from ..toys import BAND_TOYS_CHILD, EXPECTED_BELT_CHILD, Mapper, ToyPlan, child_seed, resolve_seed
from ..validate import check_cl
from .asymptotic_plr import plr_single
from .driver import background_asimov, expected_from
from .method import OwnToyBand
from .results import LimitResult

__all__ = ["Neyman", "expected_belt", "neyman_upper_limit"]


def _neyman_batch(batch: FitBatch, belt: NeymanBelt) -> tuple[np.ndarray, np.ndarray]:
    """Neyman upper limits for many data sets: the first crossing of q_obs(α) − c(α) above α̂."""
    cm = batch.cm
    q, um = q_one_sided(batch, cm.alpha_to_u(belt.alpha_grid))
    diff = q - belt.critical_values[None, :]  # (N, G)
    a = belt.alpha_grid
    alpha_hat = cm.u_to_alpha(um.u)
    excl = (diff > 0) & (a[None, :] > alpha_hat[:, None])
    found = np.any(excl, axis=1)
    k = np.argmax(excl, axis=1)
    rows = np.arange(batch.size)
    d1 = diff[rows, k]
    km = np.maximum(k - 1, 0)
    d0 = np.where(k > 0, diff[rows, km], -belt.critical_values[0])
    a0 = np.where(k > 0, a[km], np.maximum(alpha_hat, 0.0))
    a0 = np.maximum(a0, alpha_hat)  # q = 0 (diff = −c) at α̂
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(d1 > d0, -d0 / (d1 - d0), 0.5)
    lim = a0 + np.clip(w, 0, 1) * (a[k] - a0)
    ok = found & np.all(np.isfinite(q), axis=1)
    return np.where(found, lim, np.nan), ok


def neyman_upper_limit(
    model: BinnedModel,
    cl: float = 0.9,
    *,
    statistic: str = "chi2",
    n_toys: int = 1000,
    seed: int | None = None,
    alpha_grid: ArrayLike | None = None,
    n_alpha: int = 12,
    belt: NeymanBelt | None = None,
    expected: bool = True,
    n_toys_expected: int = 0,
    fluctuate_aux: bool = True,
    progress: bool | None = None,
    mapper: Mapper = map,
) -> LimitResult:
    """Frequentist upper limit from a toy Neyman construction of the one-sided PLR statistic.

    Parameters
    ----------
    model : BinnedModel
    cl : float
    statistic : {"chi2", "poisson"}
    n_toys : int
        Toys per grid point of the belt.
    seed : int, optional
        Seed of the belt (grid point k uses the child seed ``child_seed(seed, k)``; the
        expected-band toys use ``child_seed(seed, 10**6)``); recorded in the result.
    alpha_grid : array_like, optional
        Belt grid. Default: ``n_alpha`` points uniform in u up to 2.5× the larger of the observed
        and expected asymptotic limits.
    belt : NeymanBelt, optional
        A belt built earlier (reused as is; its grid and seed win).
    expected, n_toys_expected, fluctuate_aux, progress
        As in :func:`bayesian_chi2_limit`.
    mapper : callable
        Runs the toys' chunks and the belt's grid points (default ``map``, in this process; see
        :class:`~exonu.stats.toys.Mapper`). The result does not depend on it.

    Returns
    -------
    LimitResult
        ``details["belt"]`` holds the belt.
    """
    check_statistic(statistic)
    check_cl(cl)
    cm = model.compiled
    if belt is None:
        if alpha_grid is None:
            obs = plr_single(model, statistic, cl, "one", 32)[0]
            asi = plr_single(model.with_data(model.asimov(0.0)), statistic, cl, "one", 32)[0]
            u_max = 2.5 * float(cm.alpha_to_u(max(obs, asi)))
            alpha_grid = cm.u_to_alpha(np.linspace(0, u_max, n_alpha + 1)[1:])
        belt = neyman_belt(
            model,
            alpha_grid,
            cl=cl,
            n_toys=n_toys,
            seed=seed,
            statistic=statistic,
            fluctuate_aux=fluctuate_aux,
            progress=progress,
            mapper=mapper,
        )
    elif belt.cl != cl or belt.statistic != statistic:
        raise InputError(f"belt was built for cl={belt.cl}, statistic={belt.statistic!r}; got cl={cl}, {statistic!r}")
    batch = FitBatch.of(cm, statistic, model.data[None, :], cm.centres[None, :])
    lim, ok = _neyman_batch(batch, belt)
    um = minimise_fit_variable(batch, cm.nominal[None, :])
    exp_detail = None
    if expected or n_toys_expected:
        exp_detail = expected_from(
            Neyman(model, statistic, cl, belt),
            ToyPlan(n_toys_expected, child_seed(belt.seed, BAND_TOYS_CHILD), fluctuate_aux, progress, mapper=mapper),
        )
    q_obs = q_one_sided(batch, cm.alpha_to_u(belt.alpha_grid))[0][0]
    msg = "" if ok[0] else "limit not inside the belt grid (extend alpha_grid) or a fit failed"
    return LimitResult.from_fit(
        model,
        statistic,
        um,
        seed=belt.seed,
        expected_detail=exp_detail,
        alpha_limit=float(lim[0]),
        method="neyman",
        cl=cl,
        alpha_grid=belt.alpha_grid,
        chi2_profile=q_obs + float(um.f[0]),
        critical_value=None,
        converged=bool(ok[0]),
        message=msg,
        details={"belt": belt, "q_observed": q_obs},
        test_statistic="q̃_μ (one-sided profile likelihood ratio, α̂ ≥ 0; arXiv:1007.1727 Eq. 16)",
        threshold=f"toy {cl:.3g} quantile of q̃ at each of {belt.alpha_grid.size} grid points",
        sided="one",
        n_toys=int(belt.n_toys),
        calculator="toys",
    )


@dataclass(frozen=True)
class Neyman(OwnToyBand):
    """The Neyman construction with a given belt as a :class:`~exonu.stats.limits.method.LimitMethod`."""

    model: BinnedModel
    statistic: str
    cl: float
    belt: NeymanBelt
    name: ClassVar[str] = "neyman"
    calculator: ClassVar[str] = "toys"

    def limits(self, batch: FitBatch) -> tuple[np.ndarray, np.ndarray]:
        return _neyman_batch(batch, self.belt)


def expected_belt(
    model: BinnedModel,
    statistic: str,
    cl: float,
    plan: ToyPlan,
) -> NeymanBelt:
    """The belt of the expected Neyman limits: 12 points uniform in u up to 2.5× the Asimov PLR limit, with the
    toys of ``plan`` (seed ``child_seed(plan.seed, EXPECTED_BELT_CHILD)``; the belt keeps its own chunks)."""
    cm = model.compiled
    u_max = 2.5 * float(cm.alpha_to_u(plr_single(background_asimov(model), statistic, cl, "one", 32)[0]))
    return neyman_belt(
        model,
        cm.u_to_alpha(np.linspace(0, u_max, 13)[1:]),
        cl=cl,
        n_toys=plan.n_toys,
        seed=child_seed(resolve_seed(plan.seed), EXPECTED_BELT_CHILD),
        statistic=statistic,
        fluctuate_aux=plan.fluctuate_aux,
        progress=plan.progress,
        mapper=plan.mapper,
    )
