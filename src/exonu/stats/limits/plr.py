"""Profile-likelihood-ratio limits: the one-sided upper limit, the two-sided interval, the best-fit band.

``plr_upper_limit``: q(α) = Δχ²_min(α) above α̂ crosses Φ⁻¹(CL)² (1.642 at 90 %; see
:mod:`exonu.stats.limits.asymptotic_plr`), or the toy critical values of a Neyman belt
(``method="neyman"``, forwarded to :func:`~exonu.stats.limits.neyman.neyman_upper_limit`).
``plr_interval``: the two-sided interval {α ≥ 0 : q₂(α) ≤ χ²₁(CL)}, Δχ² = 2.706 for 90 %.
``best_fit_band``: α̂ and its ±Nσ interval Δχ²(α) ≤ N² on the profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ...errors import FitError, InputError
from ..belt import NeymanBelt
from ..fitting import FitResult
from ..model import BinnedModel
from ..objective import FitBatch
from ..problem import FitProblem
from ..scan import Scan, finite_delta, u_scale
from ..statistic import check_statistic
from ..toys import Mapper, ToyPlan
from ..validate import check_cl, check_n_grid
from .asymptotic_plr import plr_batch, plr_critical_value, plr_single
from .driver import expected_from
from .method import OwnToyBand
from .neyman import neyman_upper_limit
from .results import ExpectedLimits, LimitResult

__all__ = ["PLR", "best_fit_band", "plr_interval", "plr_upper_limit"]


def plr_upper_limit(
    model: BinnedModel,
    cl: float = 0.9,
    *,
    statistic: str = "chi2",
    method: str = "asymptotic",
    n_grid: int = 40,
    expected: bool = True,
    n_toys: int = 0,
    seed: int | None = None,
    fluctuate_aux: bool = True,
    progress: bool | None = None,
    belt: NeymanBelt | None = None,
    belt_toys: int = 1000,
    mapper: Mapper = map,
) -> LimitResult:
    """One-sided profile-likelihood-ratio upper limit on α (α̂ clipped at 0).

    Parameters
    ----------
    model : BinnedModel
    cl : float
    statistic : {"chi2", "poisson"}
    method : {"asymptotic", "neyman"}
        ``"asymptotic"``: Δχ² = Φ⁻¹(cl)² (1.642 at 90 %). ``"neyman"``: critical values from toys
        (see :func:`neyman_upper_limit`, which this forwards to).
    n_grid : int
        Grid points of the profile scan (the crossing is then solved exactly on the profile, by Newton).
    expected, n_toys, seed, fluctuate_aux, progress
        Expected limit and band, as in :func:`bayesian_chi2_limit`.
    belt, belt_toys
        Only for ``method="neyman"``.
    mapper : callable
        Runs the toys' chunks and the belt's grid points (see :class:`~exonu.stats.toys.Mapper`).

    Returns
    -------
    LimitResult
    """
    if method == "neyman":
        return neyman_upper_limit(
            model,
            cl,
            statistic=statistic,
            n_toys=belt_toys,
            seed=seed,
            belt=belt,
            expected=expected,
            n_toys_expected=n_toys,
            fluctuate_aux=fluctuate_aux,
            progress=progress,
            mapper=mapper,
        )
    if method != "asymptotic":
        raise InputError(f"method must be 'asymptotic' or 'neyman'; got {method!r}")
    check_statistic(statistic)
    check_cl(cl)
    check_n_grid(n_grid)
    up, _, ok, sc, crit = plr_single(model, statistic, cl, "one", n_grid)
    exp_detail = None
    if expected or n_toys:
        exp_detail = expected_from(
            PLR(model, statistic, cl, n_grid),
            ToyPlan(n_toys, seed, fluctuate_aux, progress, mapper=mapper),
        )
    return _plr_result(model, "plr", statistic, cl, up, None, ok, sc, crit, exp_detail)


def plr_interval(model: BinnedModel, cl: float = 0.9, *, statistic: str = "chi2", n_grid: int = 40) -> LimitResult:
    """Two-sided profile-likelihood interval on α ≥ 0: Δχ² ≤ χ²₁(cl) (2.706 at 90 %).

    Returns
    -------
    LimitResult
        ``alpha_lower`` (0 if the interval reaches the boundary) and ``alpha_limit`` (upper end).
    """
    check_statistic(statistic)
    check_cl(cl)
    check_n_grid(n_grid)
    up, lo, ok, sc, crit = plr_single(model, statistic, cl, "two", n_grid)
    note = _gap_note(model, sc, crit, 0.0 if lo is None else lo, up)
    return _plr_result(model, "plr-interval", statistic, cl, up, lo, ok, sc, crit, None, note)


def valley_shaped(values: np.ndarray) -> bool:
    """Whether a sampled profile never rises and then falls again (no interior local maximum).

    Such a profile can leave Δχ² ≤ crit only once on each side of its minimum, so the set is an
    interval; the spline check of :func:`_gap_note` is needed only otherwise.
    """
    step = np.diff(values)
    rising = np.flatnonzero(step > 0.0)
    return bool(rising.size == 0 or not np.any(step[rising[0] :] < 0.0))


def _gap_note(model: BinnedModel, sc: Scan, crit: float, lower: float, upper: float) -> str:
    """A sentence if Δχ² exceeds ``crit`` somewhere strictly inside [lower, upper] (α), else "".

    The interval reported is the hull of {α : Δχ² ≤ crit}; with a non-linear signal the set can have
    a gap (two basins of χ²_min), which the result must say.
    """
    sampled = finite_delta(sc.f[0], sc.f_min[0])
    if valley_shaped(sampled):
        return ""  # falls, then rises: no bump between the ends for the set to have a gap at
    from scipy.interpolate import CubicSpline  # here: with scipy.optimize ~0.27 s to import; rarely needed

    cm = model.compiled
    u = sc.u_cut[0] * np.linspace(0.0, 1.0, 2001)
    delta = CubicSpline(sc.u_cut[0] * sc.t, sampled)(u)
    lo_u, up_u = float(cm.alpha_to_u(lower)), float(cm.alpha_to_u(upper))
    margin = 1e-3 * (up_u - lo_u)
    gap = (u > lo_u + margin) & (u < up_u - margin) & (delta > crit)
    if not np.any(gap):
        return ""
    a, b = cm.u_to_alpha(u[gap][[0, -1]])
    return (
        f"the set Δχ² ≤ {crit:.4g} is not connected: Δχ² exceeds it for α in about [{a:.4g}, {b:.4g}]; "
        "the interval reported is its hull"
    )


def _plr_result(
    model: BinnedModel,
    method: str,
    statistic: str,
    cl: float,
    up: float,
    lo: float | None,
    ok: bool,
    sc: Scan,
    crit: float,
    exp_detail: ExpectedLimits | None,
    note: str = "",
) -> LimitResult:
    cm = model.compiled
    messages = ([] if ok else ["profile scan or crossing search did not converge"]) + ([note] if note else [])
    return LimitResult.from_fit(
        model,
        statistic,
        sc.um,
        seed=None if exp_detail is None else exp_detail.seed,
        expected_detail=exp_detail,
        chi2_min=float(sc.f_min[0]),
        alpha_limit=up,
        alpha_lower=lo,
        method=method,
        cl=cl,
        alpha_grid=cm.u_to_alpha(sc.u_cut[0] * sc.t),
        chi2_profile=sc.f[0].copy(),
        critical_value=crit,
        converged=ok,
        message="; ".join(messages),
        test_statistic=(
            "q̃_μ (one-sided profile likelihood ratio, α̂ ≥ 0; arXiv:1007.1727 Eq. 16)"
            if lo is None
            else "t̃_μ (two-sided profile likelihood ratio, α̂ ≥ 0; arXiv:1007.1727 Eq. 11)"
        ),
        threshold=crit,
        sided="one" if lo is None else "two",
        n_toys=0,
        calculator="asymptotic",
    )


def best_fit_band(
    model: BinnedModel, fit_result: FitResult | None = None, *, statistic: str = "chi2", cl_sigma: float = 1.0
) -> tuple[float, float, float]:
    """Best fit of α and its ±Nσ interval from the profile likelihood: Δχ²(α) ≤ N² on α ≥ 0.

    The interval is found on the profile itself (Brent's method on χ²_min(α) − χ²_min(α̂) − N²), so
    it is correct at the α = 0 boundary and for a non-linear signal (α^{1/2} has no useful
    linearisation there). The lower end is 0 when Δχ²(0) ≤ N².

    Parameters
    ----------
    model : BinnedModel
    fit_result : FitResult, optional
        Only checked for validity (an invalid fit has no band).
    statistic : {"chi2", "poisson"}
    cl_sigma : float
        N (1 for ±1σ).

    Returns
    -------
    (central, lower, upper) : tuple of float
        In units of α.
    """
    if not (isinstance(cl_sigma, (int, float)) and cl_sigma > 0):
        raise InputError(f"cl_sigma must be a positive number; got {cl_sigma!r}")
    if fit_result is not None and not getattr(fit_result, "valid", True):
        raise FitError(f"no band from an invalid fit ({fit_result.message})")
    cm = model.compiled
    problem = FitProblem(model, statistic)
    um = problem.minimum()
    if not um.converged[0]:
        raise FitError("the profile minimum did not converge: no band")
    u_hat, target = float(um.u[0]), float(cl_sigma) ** 2

    def g(u: float) -> float:
        t = problem.test_statistic([u], "two")[0][0, 0]
        if not np.isfinite(t):
            raise FitError(f"a profile failed at u = {u:.4g}")
        return float(t) - target

    from scipy.optimize import brentq  # here: scipy.optimize costs ~0.25 s to import, and a fit needs none

    step = u_scale(problem)
    lo_u, hi_u = u_hat, u_hat + step
    for _ in range(60):
        if g(hi_u) > 0:
            break
        lo_u, hi_u = hi_u, hi_u + 2.0 * (hi_u - u_hat)
    upper = brentq(g, lo_u, hi_u, xtol=1e-12 * hi_u, rtol=1e-10)
    lower = 0.0 if u_hat <= 0.0 or g(0.0) <= 0 else brentq(g, 0.0, u_hat, xtol=1e-12 * u_hat, rtol=1e-10)
    return float(cm.u_to_alpha(u_hat)), float(cm.u_to_alpha(lower)), float(cm.u_to_alpha(upper))


@dataclass(frozen=True)
class PLR(OwnToyBand):
    """The one-sided asymptotic PLR limit as a :class:`~exonu.stats.limits.method.LimitMethod`."""

    model: BinnedModel
    statistic: str
    cl: float
    n_grid: int = 48
    engine: str = "ladder"
    name: ClassVar[str] = "plr"
    calculator: ClassVar[str] = "asymptotic"

    def limits(self, batch: FitBatch) -> tuple[np.ndarray, np.ndarray]:
        up, _, ok, _ = plr_batch(
            batch, plr_critical_value(self.cl, "one"), self.n_grid, engine=self.engine, model=self.model
        )
        return up, ok
