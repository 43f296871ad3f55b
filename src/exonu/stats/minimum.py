"""The best fit over the signal strength: the ladder search on the profile, and the joint Newton solve.

Ladder (:func:`minimise_fit_variable`): profile the nuisances on a ladder of u values, then solve
dχ²_min/du = 0 by a bracketing secant (Illinois) search in every basin the ladder brackets. It uses
the envelope theorem: at a profiled point the total derivative of χ²_min(u) equals the partial
derivative at fixed nuisances, which is analytic, so the search converges in a few profiles. It covers
every model.

Joint (:func:`best_fit_of_batch`, :func:`batched_best_fit`): for a signal that is linear in the fit
variable (u = α, S⁰ = u·ΣT) and no signal MC variance, one damped Newton iteration in x = (u, θ)
(:func:`~exonu.stats.solver.joint_newton`) reaches the same minimum in a handful of steps,
vectorised over toys. Data sets it does not certify — or any model outside its scope — are handed to
the ladder, so the result is always that of a certified minimisation. At the joint minimum the
slope and curvature of the profile come from the Schur complement of the Newton matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import BinnedModel
from .objective import FitBatch, expectation, fit_variable_scale, grad_u, joint_derivatives, objective
from .solver import joint_newton, profile_with_state

__all__ = [
    "BatchedFit",
    "FitVariableMinimum",
    "batched_best_fit",
    "batched_newton_applies",
    "best_fit_of_batch",
    "minimise_fit_variable",
]


@dataclass
class FitVariableMinimum:
    """Result of the batched search over u (see :func:`minimise_fit_variable`)."""

    u: np.ndarray  # (N,) best u
    f: np.ndarray  # (N,) χ²_min at u
    theta: np.ndarray  # (N, P) nuisances at u
    curvature: np.ndarray  # (N,) secant estimate of d²χ²_min/du² (NaN at a boundary minimum)
    converged: np.ndarray  # (N,) bool
    ladder_u: np.ndarray  # (N, C) every u evaluated on the ladder, sorted (NaN padded)
    ladder_f: np.ndarray  # (N, C) χ²_min there (inf padded)
    ladder_theta: np.ndarray  # (N, C, P)


def evaluate_u(
    batch: FitBatch, u: np.ndarray, theta0: np.ndarray, tol: float, newton: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Profile the data sets of ``batch`` at their u; also return the envelope derivative dχ²_min/du."""
    th, f, conv, _, st = profile_with_state(batch, u, theta0, tol, newton=newton)
    if st is None:  # not one evaluation of the whole batch at th: evaluate it as such
        st = objective(batch, batch.denominator(u), u, th)[1]
    g = grad_u(batch, st, u)
    return th, f, np.where(np.isfinite(f), g, np.nan), conv


def minimise_fit_variable(
    batch: FitBatch,
    theta0: np.ndarray,
    allow_negative: bool = False,
    tol: float = 1e-9,
    max_iter: int = 60,
    stop_delta: float = 10.0,
) -> FitVariableMinimum:
    """Batched global minimisation of χ²_min(u) over u ≥ 0 (or all u) for every data set of ``batch``.

    1. A ladder u = 0, ±s/4, ±s/2, ±s, ±2s, … (s from :func:`fit_variable_scale`) is climbed until χ²_min has
       risen ``stop_delta`` above the lowest value seen and is still rising. A non-linear signal
       (interference) can make χ²_min(u) non-convex, and the ladder finds the deepest basin.
    2. The zero of the envelope derivative g = dχ²_min/du is then bracketed by the best ladder point
       and its neighbour, and found by the Illinois (modified regula falsi) method, which converges
       superlinearly on the nearly linear g of a nearly parabolic profile.
    3. Every other pair of neighbouring ladder points where g turns from negative to positive brackets
       a basin the doubling steps straddled; it is refined the same way and replaces the first if
       deeper (:func:`_refine_basins`).
    """
    cm = batch.cm
    n_sets, n_par = batch.size, cm.n_par
    scale = fit_variable_scale(cm, batch.data, batch.base)
    all_idx = np.arange(n_sets)
    th0, f0, g0, c0 = evaluate_u(batch, np.zeros(n_sets), theta0, tol, False)
    cols_u, cols_f, cols_g, cols_th = [np.zeros(n_sets)], [f0], [g0], [th0]
    ok = c0 | ~np.isfinite(f0)
    fmin = f0.copy()
    for direction in (1.0, -1.0) if allow_negative else (1.0,):
        step = 0.25 * scale * direction
        prev = th0.copy()
        climbing = all_idx
        for _ in range(64):
            if climbing.size == 0:
                break
            x = step[climbing]
            th, f, g, conv = evaluate_u(batch.rows(climbing), x, prev[climbing], tol)
            ok[climbing] &= conv | ~np.isfinite(f)
            col_u, col_f, col_g = np.full(n_sets, np.nan), np.full(n_sets, np.inf), np.full(n_sets, np.nan)
            col_th = np.zeros((n_sets, n_par))
            col_u[climbing], col_f[climbing], col_g[climbing], col_th[climbing] = x, f, g, th
            cols_u.append(col_u)
            cols_f.append(col_f)
            cols_g.append(col_g)
            cols_th.append(col_th)
            fmin[climbing] = np.minimum(fmin[climbing], f)
            rising = ~np.isfinite(f) | ((f > fmin[climbing] + stop_delta) & (direction * g > 0))
            prev[climbing] = np.where(np.isfinite(f)[:, None], th, prev[climbing])
            step[climbing] *= 2.0
            climbing = climbing[~rising]
        ok[climbing] = False  # χ²_min kept falling along this direction: no minimum found

    lu, lf, lg, lth = np.stack(cols_u, 1), np.stack(cols_f, 1), np.stack(cols_g, 1), np.stack(cols_th, 1)
    order = np.argsort(lu, axis=1)  # NaN (not evaluated) sorts last
    lu, lf, lg = (np.take_along_axis(a, order, 1) for a in (lu, lf, lg))
    lth = np.take_along_axis(lth, order[:, :, None], 1)
    n_col = lu.shape[1]
    rows = np.arange(n_sets)
    kb = np.argmin(lf, axis=1)
    u_hat, f_hat, th_hat = lu[rows, kb].copy(), lf[rows, kb].copy(), lth[rows, kb].copy()
    g_b = lg[rows, kb]
    kl, kr = np.maximum(kb - 1, 0), np.minimum(kb + 1, n_col - 1)
    right = (g_b < 0) & (kr > kb) & (lg[rows, kr] > 0)
    left = (g_b > 0) & (kl < kb) & (lg[rows, kl] < 0)
    k_lo = np.where(right, kb, kl)
    # A best point at u = 0 with g ≥ 0 (u ≥ 0 only) is a boundary minimum: nothing to refine.
    boundary = (not allow_negative) & (kb == 0) & (g_b >= 0)
    bad = ~(right | left | boundary | (g_b == 0))
    ok[bad] = False  # bracket not found (e.g. a basin narrower than the ladder step)

    curvature = np.full(n_sets, np.nan)
    # Every basin the ladder brackets — falling at one point, rising at the next — is refined, not
    # only the one of the lowest ladder point: the doubling steps can straddle a narrow basin that
    # is deeper than any ladder point (an interference signal's second minimum).
    falls = (lg[:, :-1] < 0) & (lg[:, 1:] > 0)
    primary = np.zeros_like(falls)
    refine = np.flatnonzero(right | left)
    primary[refine, k_lo[refine]] = True
    set_idx, k_idx = np.nonzero(falls & ~primary)
    set_idx = np.concatenate([refine, set_idx])
    k_idx = np.concatenate([k_lo[refine], k_idx])
    if set_idx.size:
        lo_f, hi_f = lf[set_idx, k_idx], lf[set_idx, k_idx + 1]
        start = np.where(lo_f <= hi_f, k_idx, k_idx + 1)
        u_b, f_b, th_b, curv_b, ok_b = _refine_basins(
            batch.rows(set_idx),
            (lu[set_idx, k_idx], lg[set_idx, k_idx], lth[set_idx, k_idx]),
            (lu[set_idx, k_idx + 1], lg[set_idx, k_idx + 1], lth[set_idx, k_idx + 1]),
            (lu[set_idx, start], lf[set_idx, start], lth[set_idx, start]),
            tol,
            max_iter,
        )
        n_primary = refine.size
        ok_ladder = ok.copy()
        u_hat[refine], f_hat[refine], th_hat[refine] = u_b[:n_primary], f_b[:n_primary], th_b[:n_primary]
        curvature[refine] = curv_b[:n_primary]
        ok[refine] &= ok_b[:n_primary]
        for j in range(n_primary, set_idx.size):  # another basin replaces the primary one if deeper
            i = set_idx[j]
            if f_b[j] < f_hat[i]:
                u_hat[i], f_hat[i], th_hat[i] = u_b[j], f_b[j], th_b[j]
                curvature[i], ok[i] = curv_b[j], bool(ok_ladder[i] and ok_b[j])
    return FitVariableMinimum(u_hat, f_hat, th_hat, curvature, ok, lu, lf, lth)


Point = tuple[np.ndarray, np.ndarray, np.ndarray]


def _refine_basins(
    batch: FitBatch, lower: Point, upper: Point, start: Point, tol: float, max_iter: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Zero of the envelope derivative g = dχ²_min/du in each bracket, by the Illinois method.

    Row i of ``batch`` has the bracket ``lower`` = (u, g, θ) with g < 0 and ``upper`` with g > 0;
    ``start`` = (u, χ²_min, θ) is its best point so far. Returns (u, χ²_min, θ) of the lowest point
    evaluated, the secant curvature of g, and convergence, each per row.
    """
    a, ga, tha = (x.copy() for x in lower)
    b, gb, thb = (x.copy() for x in upper)
    u_hat, f_hat, th_hat = (x.copy() for x in start)
    n = a.size
    ok = np.ones(n, dtype=bool)
    curvature = np.full(n, np.nan)
    side = np.zeros(n, dtype=int)
    live = np.arange(n)
    for _ in range(max_iter):
        if live.size == 0:
            break
        lo, hi, glo, ghi = a[live], b[live], ga[live], gb[live]
        x = lo - glo * (hi - lo) / (ghi - glo)
        x = np.clip(x, lo + 1e-3 * (hi - lo), hi - 1e-3 * (hi - lo))
        near_lo = np.abs(x - lo) < np.abs(hi - x)
        th, f, g, conv = evaluate_u(batch.rows(live), x, np.where(near_lo[:, None], tha[live], thb[live]), tol)
        ok[live] &= conv
        better = f <= f_hat[live]
        upd = live[better]
        f_hat[upd], u_hat[upd], th_hat[upd] = f[better], x[better], th[better]
        h = (ghi - glo) / (hi - lo)
        curvature[live] = h
        go_left = g < 0  # the zero is to the right of x: x replaces the lower end
        li, ri = live[go_left], live[~go_left]
        a[li], ga[li], tha[li] = x[go_left], g[go_left], th[go_left]
        gb[li] = np.where(side[li] == -1, gb[li] * 0.5, gb[li])  # Illinois: halve the stale end
        b[ri], gb[ri], thb[ri] = x[~go_left], g[~go_left], th[~go_left]
        ga[ri] = np.where(side[ri] == 1, ga[ri] * 0.5, ga[ri])
        side[li], side[ri] = -1, 1
        # Stop when the remaining error in χ² (≈ g²/2h) is negligible or the bracket has collapsed.
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            err = np.where(h > 0, g**2 / (2.0 * h), np.inf)
        width = b[live] - a[live]
        done = (err < tol) | ~np.isfinite(g) | (width <= 1e-12 * np.maximum(np.abs(a[live]) + np.abs(b[live]), 1e-300))
        live = live[~done]
    ok[live] = False
    return u_hat, f_hat, th_hat, curvature, ok


@dataclass(frozen=True)
class BatchedFit:
    """Best fits (u ≥ 0) of N data sets.

    Attributes
    ----------
    u : ndarray (N,)
        Best fit of the fit variable (= α for the linear signals this solver handles).
    f : ndarray (N,)
        The statistic there (χ² or −2 ln L ratio, with the pull terms).
    theta : ndarray (N, P)
        Nuisances there, internal order [p (non-fixed), q, r].
    converged : ndarray of bool (N,)
    n_iter : ndarray of int (N,)
        Newton iterations (0 where the ladder engine did the fit).
    newton : ndarray of bool (N,)
        True where the joint Newton solve converged; False where the ladder engine took over.
    slope, curvature : ndarray (N,) or None
        dχ²_min/du at the best fit (0 inside, ≥ 0 at the u = 0 boundary) and d²χ²_min/du², the
        curvature of the profile (Schur complement of the nuisance block of the Newton matrix);
        together a local model Δχ²_min(u) ≈ slope·(u − û) + ½ curvature·(u − û)² that places
        profile scans. None for models outside the joint solve's scope.
    """

    u: np.ndarray
    f: np.ndarray
    theta: np.ndarray
    converged: np.ndarray
    n_iter: np.ndarray
    newton: np.ndarray
    slope: np.ndarray | None = None
    curvature: np.ndarray | None = None


def batched_newton_applies(model: BinnedModel) -> bool:
    """Whether the joint solve covers this model: a linear signal and no signal MC variance."""
    return model.compiled.joint_newton_applies


def batched_best_fit(
    model: BinnedModel, statistic: str, data: np.ndarray, centres: np.ndarray, *, tol: float = 1e-10, max_iter: int = 50
) -> BatchedFit:
    """Best fit on α ≥ 0 of every data set, by one joint Newton solve where it applies.

    Parameters
    ----------
    model : BinnedModel
    statistic : {"chi2", "poisson"}
    data : ndarray, shape (N, n_bins)
    centres : ndarray, shape (N, n_nuisances)
        Pull-term centres (auxiliary measurements) in the internal order, e.g. ``ToyEnsemble.centres``.
    tol : float
        Predicted decrease of the statistic (χ² units) below which a data set is converged.
    max_iter : int

    Returns
    -------
    BatchedFit
        Data sets the joint solve does not converge on (and every data set of a model outside its
        scope, see :func:`batched_newton_applies`) come from the ladder engine,
        :func:`~exonu.stats.minimum.minimise_fit_variable`.
    """
    batch = FitBatch.of(
        model.compiled,
        statistic,
        np.atleast_2d(np.asarray(data, dtype=float)),
        np.atleast_2d(np.asarray(centres, dtype=float)),
    )
    return best_fit_of_batch(model, batch, tol=tol, max_iter=max_iter)


def best_fit_of_batch(
    model: BinnedModel,
    batch: FitBatch,
    *,
    tol: float = 1e-10,
    max_iter: int = 50,
    ladder_tol: float = 1e-9,
    derivatives: bool = True,
) -> BatchedFit:
    """:func:`batched_best_fit` of a :class:`~exonu.stats.objective.FitBatch` of ``model`` (variance base reused).

    ``ladder_tol`` is the tolerance of the ladder for the data sets the joint solve does not certify;
    ``derivatives=False`` skips the profile slope and curvature (left None).
    """
    cm = model.compiled
    n = batch.size
    x = np.zeros((n, cm.n_par + 1))
    x[:, 1:] = cm.nominal
    if batched_newton_applies(model):
        x, f, ok, n_iter = joint_newton(batch, x, tol, max_iter)
    else:
        f, ok, n_iter = np.full(n, np.inf), np.zeros(n, dtype=bool), np.zeros(n, dtype=int)
    newton = ok.copy()
    rest = np.flatnonzero(~ok)
    if rest.size:
        um = minimise_fit_variable(batch.rows(rest), np.tile(cm.nominal, (rest.size, 1)), tol=ladder_tol)
        x[rest, 0], x[rest, 1:], f[rest], ok[rest] = um.u, um.theta, um.f, um.converged
    slope = curvature = None
    if derivatives and batched_newton_applies(model):
        slope, curvature = _profile_derivatives(batch, x)
    return BatchedFit(x[:, 0].copy(), f, x[:, 1:].copy(), ok, n_iter, newton, slope, curvature)


def _profile_derivatives(batch: FitBatch, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """dχ²_min/du and d²χ²_min/du² at x (the nuisances profiled): the envelope derivative and the
    Schur complement h_uu − h_uθ H_θθ⁻¹ h_θu of the Newton matrix."""
    cm = batch.cm
    den = batch.denominator(np.zeros(batch.size))
    st = expectation(cm, x[:, 0], x[:, 1:])
    g, _h_gn, h_n = joint_derivatives(batch, den, st, x)
    if cm.n_par == 0:
        return g[:, 0], h_n[:, 0, 0]
    h_tt, h_tu = h_n[:, 1:, 1:], h_n[:, 1:, 0]
    try:
        coupled = np.linalg.solve(h_tt, h_tu[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        coupled = (np.linalg.pinv(h_tt) @ h_tu[:, :, None])[:, :, 0]
    return np.maximum(g[:, 0], 0.0), h_n[:, 0, 0] - np.sum(h_tu * coupled, axis=1)
