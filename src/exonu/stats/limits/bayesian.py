"""The paper's Bayesian χ² limit (arXiv:2005.11891 §4): a flat prior in α ≥ 0 and exp(−χ²_min(α)/2).

P(α) ∝ exp(−(χ²_min(α) − χ²_min)/2) on α ≥ 0; the limit solves ∫₀^{α_CL} P = CL. χ²_min(α) is
profiled on a grid from 0 to where it has risen ``delta_chi2_max`` (30) above its minimum; the grid
is refined where P changes fast; Δχ²(α), which is smooth and close to a parabola, is interpolated
with a not-a-knot cubic spline (exact for a parabola) and exp(−Δχ²/2) integrated on a dense grid.
For a non-linear signal the grid and the spline live in u = α^c and the flat-in-α prior enters
through the Jacobian dα/du (so the integrand stays smooth at α = 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ...errors import FitError
from ..compiled import CompiledModel
from ..model import BinnedModel
from ..objective import FitBatch
from ..scan import DENSE_TOYS, finite_delta, scan_ladder, scan_with
from ..solver import profile_batch
from ..statistic import check_statistic
from ..toys import Mapper, ToyPlan
from ..validate import check_cl, check_n_grid
from .driver import expected_from
from .method import OwnToyBand
from .results import LimitResult

__all__ = ["Bayesian", "bayesian_chi2_limit"]

_DENSE = 4001  # dense points for the spline integration of one data set


def _bayes_dense(
    cm: CompiledModel, u_points: np.ndarray, delta: np.ndarray, cl: float, n_dense: int
) -> tuple[np.ndarray, np.ndarray]:
    """Limit in u for curves sampled at ``u_points`` (G, N) with Δχ² ``delta`` (G, N); vectorised over N.

    Returns (u_limit (N,), normalisation Z (N,) = ∫ exp(−Δχ²/2) dα).
    """
    from scipy.integrate import cumulative_trapezoid  # here: scipy.integrate and .interpolate cost ~0.3 s
    from scipy.interpolate import CubicSpline  # to import, and a fit needs neither

    n = u_points.shape[1]
    lo, hi = u_points[0], u_points[-1]
    s = np.linspace(0.0, 1.0, n_dense)
    if np.allclose(u_points, lo[None, :] + (hi - lo)[None, :] * np.linspace(0, 1, u_points.shape[0])[:, None]):
        spline = CubicSpline(np.linspace(0, 1, u_points.shape[0]), delta, axis=0)
        dense_delta = spline(s)
    else:  # irregular grid (refined): one spline per curve
        dense_delta = np.column_stack(
            [CubicSpline((u_points[:, i] - lo[i]) / (hi[i] - lo[i]), delta[:, i])(s) for i in range(n)]
        )
    u_dense = lo[None, :] + (hi - lo)[None, :] * s[:, None]
    dense_delta -= np.min(dense_delta, axis=0)  # numerical safety; cancels in the normalisation
    dens = np.exp(-0.5 * dense_delta) * cm.dalpha_du(u_dense)  # flat prior in α: dα = (dα/du) du
    cdf = cumulative_trapezoid(dens, u_dense, axis=0, initial=0.0)
    z = cdf[-1]
    cdf = cdf / z
    k = np.argmax(cdf >= cl, axis=0)
    k = np.clip(k, 1, n_dense - 1)
    cols = np.arange(n)
    c0, c1 = cdf[k - 1, cols], cdf[k, cols]
    w = np.where(c1 > c0, (cl - c0) / (c1 - c0), 0.5)
    u_lim = u_dense[k - 1, cols] + w * (u_dense[k, cols] - u_dense[k - 1, cols])
    return u_lim, z


def _bayes_batch(
    batch: FitBatch,
    cl: float,
    target: float,
    n_grid: int,
    engine: str = "ladder",
    model: BinnedModel | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    cm = batch.cm
    if engine == "ladder":
        sc = scan_ladder(batch, target, n_grid)
    else:
        assert model is not None, "every engine but the ladder needs the model (Bayesian.limits passes it)"
        sc = scan_with(engine, model, batch, target, n_grid)
    u_pts = sc.u_cut[None, :] * sc.t[:, None]
    u_lim, _ = _bayes_dense(cm, u_pts, finite_delta(sc.f, sc.f_min).T, cl, DENSE_TOYS)
    return cm.u_to_alpha(u_lim), sc.ok


def bayesian_chi2_limit(
    model: BinnedModel,
    cl: float = 0.9,
    *,
    statistic: str = "chi2",
    n_grid: int = 48,
    delta_chi2_max: float = 30.0,
    refine_tol: float = 0.02,
    max_refine: int = 6,
    expected: bool = True,
    n_toys: int = 0,
    seed: int | None = None,
    fluctuate_aux: bool = True,
    progress: bool | None = None,
    mapper: Mapper = map,
) -> LimitResult:
    """The paper's limit: flat prior in α ≥ 0 and exp(−χ²_min(α)/2) as the likelihood.

    Parameters
    ----------
    model : BinnedModel
    cl : float
        Credibility level (0.9 in the paper).
    statistic : {"chi2", "poisson"}
        ``"chi2"`` is Eqs. (4)–(7); ``"poisson"`` uses −2 ln L instead.
    n_grid : int
        Initial uniform grid points on [0, α_max].
    delta_chi2_max : float
        The grid extends to where χ²_min(α) − min ≈ this (P ~ e⁻¹⁵ there).
    refine_tol : float
        Intervals where P changes by more than this fraction of max P are bisected (up to
        ``max_refine`` passes).
    expected : bool
        Also compute the expected (background-only Asimov) limit.
    n_toys : int
        If > 0, also run that many toys for the expected band (seeded by ``seed``).
    seed : int, optional
    fluctuate_aux : bool
        Toy treatment of auxiliary measurements (see :mod:`exonu.stats.toys`).
    progress : bool, optional
        Progress bar for the toys (default: only on a terminal).
    mapper : callable
        ``map(function, items)`` that runs the toys' chunks (default ``map``, in this process; see
        :class:`~exonu.stats.toys.Mapper`). The limits do not depend on it.

    Returns
    -------
    LimitResult
    """
    check_statistic(statistic)
    check_cl(cl)
    check_n_grid(n_grid)
    cm = model.compiled
    batch = FitBatch.of(cm, statistic, model.data[None, :], cm.centres[None, :])
    sc = scan_ladder(batch, delta_chi2_max, n_grid)
    um = sc.um
    u = list(sc.u_cut[0] * sc.t)
    f = list(sc.f[0])
    thetas = list(sc.theta[0])
    f_min = float(sc.f_min[0])
    ok = bool(sc.ok[0])

    def add_points(new_u: np.ndarray, starts: np.ndarray) -> None:
        nonlocal f_min, ok
        th, fm, okm, _ = profile_batch(batch.repeat(new_u.size), new_u, starts, newton=True)
        u.extend(new_u)
        f.extend(fm)
        thetas.extend(th)
        ok &= bool(np.all(okm | ~np.isfinite(fm)))
        f_min = min(f_min, float(np.min(fm)))

    # The range came from an interpolation of the ladder: if χ²_min has not risen enough at its
    # end (a profile steeper than a parabola), extend it so the posterior tail is not cut.
    for _ in range(5):
        top = int(np.argmax(u))
        if f[top] - f_min >= 0.5 * delta_chi2_max:
            break
        half = max(n_grid // 2, 2)
        add_points(u[top] * (1.0 + np.arange(1, half + 1) / half), np.repeat(thetas[top][None, :], half, 0))
    # Refinement: bisect where P changes fast, so the spline is anchored densely where it matters.
    for _ in range(max_refine):
        order = np.argsort(u)
        uu, ff = np.array(u)[order], np.array(f)[order]
        p = np.exp(-0.5 * np.clip(ff - f_min, 0.0, None))
        jump = np.abs(np.diff(p)) > refine_tol * p.max()
        if not np.any(jump):
            break
        mids = 0.5 * (uu[:-1] + uu[1:])[jump]
        add_points(mids, np.array(thetas)[order][:-1][jump])
    order = np.argsort(u)
    uu, ff = np.array(u)[order], np.array(f)[order]
    delta = finite_delta(ff, f_min)
    u_lim, z = _bayes_dense(cm, uu[:, None], delta[:, None], cl, _DENSE)
    alpha_limit = float(cm.u_to_alpha(u_lim[0]))
    if not np.isfinite(alpha_limit):
        raise FitError(f"the Bayesian limit could not be computed (profile minimum {f_min}); check the model")
    # Cross-check: trapezoid on the evaluated points alone (no spline). Their difference is a
    # conservative estimate of the integration error.
    alpha_pts = cm.u_to_alpha(uu)
    dens_pts = np.exp(-0.5 * (delta - delta.min())) * cm.dalpha_du(uu)
    from scipy.integrate import cumulative_trapezoid  # imported by _bayes_dense already: free here

    cdf_pts = cumulative_trapezoid(dens_pts, uu, initial=0.0)
    cdf_pts /= cdf_pts[-1]
    alpha_trap = float(cm.u_to_alpha(np.interp(cl, cdf_pts, uu)))
    posterior = np.exp(-0.5 * (delta - 0.0)) / z[0] if np.isfinite(z[0]) and z[0] > 0 else None
    # ``delta`` is relative to f_min; z was computed after subtracting the dense minimum (≤ 1e-9
    # different), so the posterior is normalised per unit α to that precision.
    exp_detail = None
    if expected or n_toys:
        exp_detail = expected_from(
            Bayesian(model, statistic, cl, n_grid, delta_chi2_max),
            ToyPlan(n_toys, seed, fluctuate_aux, progress, mapper=mapper),
        )
    msg = "" if ok else "some profiles or the α search did not converge"
    return LimitResult.from_fit(
        model,
        statistic,
        um,
        seed=None if exp_detail is None else exp_detail.seed,
        expected_detail=exp_detail,
        chi2_min=f_min,
        alpha_limit=alpha_limit,
        method="bayesian",
        cl=cl,
        alpha_grid=alpha_pts,
        chi2_profile=ff,
        posterior=posterior,
        converged=ok,
        message=msg,
        details={"alpha_limit_trapezoid": alpha_trap, "n_points": int(uu.size), "delta_chi2_max": delta_chi2_max},
        test_statistic="posterior ∝ exp(−Δχ²_min(α)/2), flat prior in α ≥ 0 (arXiv:2005.11891 §4)",
        threshold=f"posterior quantile {cl:.3g}",
        sided="one",
        n_toys=0,
        calculator="bayesian integral",
    )


@dataclass(frozen=True)
class Bayesian(OwnToyBand):
    """The Bayesian χ² limit as a :class:`~exonu.stats.limits.method.LimitMethod` (its band: its own toys)."""

    model: BinnedModel
    statistic: str
    cl: float
    n_grid: int = 48
    delta_chi2_max: float = 30.0
    engine: str = "ladder"
    name: ClassVar[str] = "bayesian"
    calculator: ClassVar[str] = "bayesian integral"

    def limits(self, batch: FitBatch) -> tuple[np.ndarray, np.ndarray]:
        return _bayes_batch(batch, self.cl, self.delta_chi2_max, self.n_grid, self.engine, self.model)
