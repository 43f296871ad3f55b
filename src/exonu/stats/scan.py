"""Scans of the profiled statistic χ²_min(u) for limits: the range, the grid, the crossings.

A limit needs χ²_min(u) on [0, u_cut] where it has risen by a target Δχ² above its minimum. The
range comes from the ladder of the best-fit search (:func:`scan_ladder`) or, for linear signals,
from the joint Newton best fit and one probe profile (:func:`scan_with` ``engine="newton"``); the
grid is then profiled in one vectorised batch, warm-started from the nearest ladder point. Steeper
than parabolic profiles are bracketed and solved on the exact profile. :func:`refine_crossing` and
:func:`solve_asimov` solve one crossing exactly (safeguarded Newton on the envelope derivative);
:func:`u_scale` is a rough 1σ step in u from the curvature at the best fit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from ..errors import FitError
from .minimum import FitVariableMinimum, batched_newton_applies, best_fit_of_batch, evaluate_u, minimise_fit_variable
from .model import BinnedModel
from .objective import FitBatch, fit_variable_scale
from .problem import FitProblem
from .solver import profile_batch

__all__ = [
    "DENSE_TOYS",
    "SCAN_ENGINES",
    "Scan",
    "finite_delta",
    "nearest_ladder_theta",
    "profile_points",
    "refine_crossing",
    "scan_ladder",
    "scan_with",
    "solve_asimov",
    "solve_crossings",
    "u_scale",
]

#: engines of the toy-limit scans: the ladder search of the best fit, or one batched Newton solve
SCAN_ENGINES = ("ladder", "newton")


DENSE_TOYS = 1001  # … and for each toy (vectorised over toys)


def profile_points(
    batch: FitBatch,
    u: np.ndarray,
    theta0: np.ndarray,
    extrapolate: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Profile every (data set, u) pair; ``u`` (N, G) and ``theta0`` (N, G, P) → f (N, G), θ, ok.

    Few data sets: one flattened batch (all α at once). Many (toys): column by column, each column
    warm-started from the previous one (``extrapolate``: linearly from the previous two, which
    saves Newton iterations on a coarse grid).
    """
    cm = batch.cm
    n, g = u.shape
    if n < 8:
        th, f, ok, _ = profile_batch(batch.repeat(g), u.ravel(), theta0.reshape(n * g, -1), newton=True)
        return f.reshape(n, g), th.reshape(n, g, -1), ok.reshape(n, g)
    f = np.empty((n, g))
    th_all = np.empty((n, g, cm.n_par))
    ok = np.empty((n, g), dtype=bool)
    start = theta0[:, 0]
    for k in range(g):
        th, f[:, k], ok[:, k], _ = profile_batch(batch, u[:, k], start, newton=True)
        th_all[:, k] = th
        start = th
        if extrapolate and 0 < k < g - 1:
            with np.errstate(invalid="ignore", divide="ignore"):
                slope = (th - th_all[:, k - 1]) / (u[:, k] - u[:, k - 1])[:, None]
            step = np.where(np.isfinite(slope), slope, 0.0) * (u[:, k + 1] - u[:, k])[:, None]
            start = th + step
            start[:, cm.bounded] = np.maximum(start[:, cm.bounded], 0.0)
    return f, th_all, ok


def nearest_ladder_theta(um: FitVariableMinimum, u: np.ndarray) -> np.ndarray:
    """Starting nuisances for each u (N, G): the θ of the nearest ladder point."""
    lu = np.where(np.isfinite(um.ladder_u), um.ladder_u, np.inf)
    idx = np.argmin(np.abs(u[:, :, None] - lu[:, None, :]), axis=2)
    return np.take_along_axis(um.ladder_theta, idx[:, :, None], axis=1)


def _scan_range(um: FitVariableMinimum, target: float) -> tuple[np.ndarray, np.ndarray]:
    """Upper end u_cut of the scan: where χ²_min(u) − min reaches ``target`` beyond û.

    Interpolated between the ladder points that straddle the target, linearly in √Δχ² (exact for a
    parabola), with a 5 % margin.
    """
    lu, lf = um.ladder_u, um.ladder_f
    f_min = np.minimum(um.f, np.min(lf, axis=1))
    delta = lf - f_min[:, None]
    beyond = np.isfinite(lu) & (lu > um.u[:, None]) & (delta >= target)
    k2 = np.argmax(beyond, axis=1)
    has = np.any(beyond, axis=1)
    rows = np.arange(lu.shape[0])
    u2, d2 = lu[rows, k2], delta[rows, k2]
    k1 = np.maximum(k2 - 1, 0)
    u1, d1 = lu[rows, k1], delta[rows, k1]
    below_hat = u1 < um.u
    u1, d1 = np.where(below_hat, um.u, u1), np.where(below_hat, 0.0, d1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s1, s2 = np.sqrt(np.maximum(d1, 0)), np.sqrt(np.where(np.isfinite(d2), d2, 4 * target))
        frac = np.clip((np.sqrt(target) - s1) / (s2 - s1), 0.0, 1.0)
    u_cut = u1 + frac * (u2 - u1)
    u_cut = np.minimum(u1 + 1.05 * (u_cut - u1), u2)
    u_cut = np.where(np.isfinite(u_cut) & (u_cut > 0), u_cut, u2)
    return u_cut, has


@dataclass
class Scan:
    um: FitVariableMinimum
    t: np.ndarray  # (G,) shared normalised grid in [0, 1]
    u_cut: np.ndarray  # (N,)
    f: np.ndarray  # (N, G)
    theta: np.ndarray  # (N, G, P)
    ok: np.ndarray  # (N,)
    f_min: np.ndarray  # (N,)


def _bracket_target(
    batch: FitBatch,
    um: FitVariableMinimum,
    target: float,
    rows: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    theta0: np.ndarray,
    rel_tol: float = 1e-3,
    max_iter: int = 60,
) -> np.ndarray:
    """Upper ends u (for the data sets ``rows`` of ``batch``) where the exact profile has Δχ² ≥ ``target``,
    close to the crossing.

    ``[lo, hi]`` brackets the crossing (Δχ²(lo) < target ≤ Δχ²(hi), hi may be Poisson-infeasible).
    The bracket is shrunk with the Illinois false-position method on h(u) = Δχ²(u) − target (plain
    bisection while an end is infinite) until it is ``rel_tol`` wide; the upper end is returned, so
    the scan ending there is certain to contain the crossing however steeply Δχ² rises.
    """
    f_ref = np.minimum(um.f[rows], np.min(um.ladder_f[rows], axis=1))
    lo, hi = lo.copy(), hi.copy()
    h_lo = np.full(rows.size, -target)  # only its sign and the false-position weight matter
    h_hi = np.full(rows.size, np.inf)
    theta = theta0.copy()
    side = np.zeros(rows.size, dtype=int)
    live = np.arange(rows.size)
    for _ in range(max_iter):
        live = live[(hi[live] - lo[live]) > rel_tol * hi[live]]
        if live.size == 0:
            break
        finite = np.isfinite(h_hi[live]) & np.isfinite(h_lo[live]) & (h_hi[live] > h_lo[live])
        with np.errstate(invalid="ignore", divide="ignore"):
            x_fp = lo[live] - h_lo[live] * (hi[live] - lo[live]) / (h_hi[live] - h_lo[live])
        width = hi[live] - lo[live]
        x = np.where(
            finite, np.clip(x_fp, lo[live] + 0.01 * width, hi[live] - 0.01 * width), 0.5 * (lo[live] + hi[live])
        )
        r = rows[live]
        th, f, _, _ = profile_batch(batch.rows(r), x, theta[live], newton=True)
        h = f - f_ref[live] - target
        above = ~(h < 0)  # NaN/inf (infeasible) counts as above: it is beyond the crossing
        up, dn = live[above], live[~above]
        hi[up], h_hi[up] = x[above], np.where(np.isfinite(h[above]), h[above], np.inf)
        h_lo[up] = np.where(side[up] == 1, 0.5 * h_lo[up], h_lo[up])  # Illinois: halve the stale end
        lo[dn], h_lo[dn] = x[~above], h[~above]
        h_hi[dn] = np.where(side[dn] == -1, 0.5 * h_hi[dn], h_hi[dn])
        theta[dn] = th[~above]
        side[up], side[dn] = 1, -1
    return hi


def scan_ladder(
    batch: FitBatch,
    target: float,
    n_grid: int,
    must_reach: float | None = None,
) -> Scan:
    """Minimise over u ≥ 0, then profile a uniform grid in u on [0, u_cut] (Δχ²(u_cut) ≈ target).

    u_cut is first interpolated between ladder points (:func:`_scan_range`). Where the profile
    rises much faster than a parabola between them, the grid can end below ``must_reach``
    (default ``target``); for those data sets the crossing of ``target`` is bracketed and solved on
    the exact profile (:func:`_bracket_target`) and the grid is profiled again.
    """
    cm = batch.cm
    um = minimise_fit_variable(batch, np.tile(cm.nominal, (batch.size, 1)), stop_delta=target)
    u_cut, has = _scan_range(um, target)
    bad = ~np.isfinite(u_cut) | (u_cut <= 0)
    if np.any(bad):  # the ladder never rose by ``target``: scan what it saw, flag the data set
        top = np.nanmax(np.where(np.isfinite(um.ladder_u), um.ladder_u, np.nan), axis=1)
        u_cut = np.where(bad, np.where(np.isfinite(top) & (top > 0), top, 1.0), u_cut)
    t = np.linspace(0.0, 1.0, n_grid)
    u = u_cut[:, None] * t[None, :]
    f, th, ok_pts = profile_points(batch, u, nearest_ladder_theta(um, u))
    f_min = np.minimum(um.f, np.nanmin(np.where(np.isfinite(f), f, np.inf), axis=1))
    short = has & ~bad & (f[:, -1] - f_min < (0.5 * target if must_reach is None else must_reach))
    if np.any(short):
        rows = np.flatnonzero(short)
        lu = np.where(np.isfinite(um.ladder_u[rows]), um.ladder_u[rows], np.inf)
        upper = np.min(np.where(lu > u_cut[rows, None] * (1 + 1e-12), lu, np.inf), axis=1)
        u_cut[rows] = _bracket_target(batch, um, target, rows, u_cut[rows].copy(), upper, th[rows, -1])
        u_rows = u_cut[rows, None] * t[None, :]
        f_r, th_r, ok_r = profile_points(
            batch.rows(rows), u_rows, nearest_ladder_theta(_take_minimum(um, rows), u_rows)
        )
        f[rows], th[rows], ok_pts[rows] = f_r, th_r, ok_r
        f_min = np.minimum(um.f, np.nanmin(np.where(np.isfinite(f), f, np.inf), axis=1))
    ok = um.converged & has & np.all(ok_pts | ~np.isfinite(f), axis=1)
    return Scan(um, t, u_cut, f, th, ok, f_min)


def _scan_newton(
    model: BinnedModel,
    batch: FitBatch,
    target: float,
    n_grid: int,
    must_reach: float | None = None,
) -> Scan:
    """:func:`scan_ladder` with the best fit from one batched Newton solve and the range from one probe.

    For the linear signals :func:`~exonu.stats.minimum.batched_best_fit` covers, Δχ²_min(u) − its
    minimum is locally a·d + b·d² in d = u − û (a: the slope at a boundary minimum, b: half the
    profile curvature). That model places one probe profile where it predicts ``target``; b is
    then corrected from the probe's rise and u_cut solves a·d + b·d² = 1.05² ``target``. Data
    sets whose grid then ends below ``must_reach`` (default ``target / 2``) or beyond 4 ×
    ``target``, or whose fit needed the ladder engine, are scanned by :func:`scan_ladder`: the result is
    that of a certified scan either way.
    """
    cm = model.compiled
    n = batch.size
    best = best_fit_of_batch(model, batch)
    # best_fit_of_batch returns the slope and curvature whenever batched_newton_applies(model), the
    # condition under which scan_with calls this function
    assert best.slope is not None and best.curvature is not None

    def reach(a: np.ndarray, b: np.ndarray, level: float) -> np.ndarray:  # d > 0 with a·d + b·d² = level
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(b > 0, 2.0 * level / (a + np.sqrt(a * a + 4.0 * b * level)), level / a)

    d_probe = reach(best.slope, 0.5 * best.curvature, target)
    good = best.newton & np.isfinite(d_probe) & (d_probe > 0)
    d_probe = np.where(good, d_probe, fit_variable_scale(cm, batch.data, batch.base))
    probe_u = best.u + d_probe
    th_p, f_p, ok_p, _ = profile_batch(batch, probe_u, best.theta, newton=True)
    b_fit = (f_p - best.f - best.slope * d_probe) / d_probe**2
    u_cut = best.u + reach(best.slope, b_fit, 1.05**2 * target)
    good &= ok_p & np.isfinite(u_cut) & (u_cut > 0)
    u_cut = np.where(good, u_cut, probe_u)
    t = np.linspace(0.0, 1.0, n_grid)
    u = u_cut[:, None] * t[None, :]
    # warm starts: the best fit below the probe, the probe's nuisances above it
    theta0 = np.where((u < probe_u[:, None])[:, :, None], best.theta[:, None, :], th_p[:, None, :])
    f, th, ok_pts = profile_points(batch, u, theta0, extrapolate=True)
    f_min = np.minimum(best.f, np.nanmin(np.where(np.isfinite(f), f, np.inf), axis=1))
    end = f[:, -1] - f_min
    good &= (end >= (0.5 * target if must_reach is None else must_reach)) & (end <= 4.0 * target)
    ladder_u = np.column_stack([best.u, probe_u])
    um = FitVariableMinimum(
        best.u,
        best.f,
        best.theta,
        np.full(n, np.nan),
        best.converged,
        ladder_u,
        np.column_stack([best.f, f_p]),
        np.stack([best.theta, th_p], axis=1),
    )
    ok = good & best.converged & np.all(ok_pts | ~np.isfinite(f), axis=1)
    sc = Scan(um, t, u_cut, f, th, ok, f_min)
    redo = np.flatnonzero(~good)
    if redo.size:
        sub = scan_ladder(batch.rows(redo), target, n_grid, must_reach)
        for name in ("u_cut", "f", "theta", "ok", "f_min"):
            getattr(sc, name)[redo] = getattr(sub, name)
        sc.um = _put_minimum(um, redo, sub.um)
    return sc


def _put_minimum(um: FitVariableMinimum, rows: np.ndarray, sub: FitVariableMinimum) -> FitVariableMinimum:
    """``um`` with the best fits of ``rows`` replaced by ``sub``'s (the ladder columns are dropped)."""
    u, f, theta, conv = um.u.copy(), um.f.copy(), um.theta.copy(), um.converged.copy()
    u[rows], f[rows], theta[rows], conv[rows] = sub.u, sub.f, sub.theta, sub.converged
    return replace(um, u=u, f=f, theta=theta, converged=conv)


def _take_minimum(um: FitVariableMinimum, rows: np.ndarray) -> FitVariableMinimum:
    """The ladder part of a :class:`FitVariableMinimum` for some data sets (for warm starts)."""
    return replace(
        um,
        u=um.u[rows],
        f=um.f[rows],
        theta=um.theta[rows],
        curvature=um.curvature[rows],
        converged=um.converged[rows],
        ladder_u=um.ladder_u[rows],
        ladder_f=um.ladder_f[rows],
        ladder_theta=um.ladder_theta[rows],
    )


def finite_delta(f: np.ndarray, f_min: np.ndarray | float) -> np.ndarray:
    """Δχ² with infinite values (Poisson-infeasible α) replaced by a large finite one for splines."""
    delta = f - np.asarray(f_min)[..., None] if np.ndim(f_min) else f - f_min  # (N, G) − (N,) or (G,) − scalar
    return np.where(np.isfinite(delta), delta, 1e3)


def scan_with(
    engine: str,
    model: BinnedModel,
    batch: FitBatch,
    target: float,
    n_grid: int,
    must_reach: float | None = None,
) -> Scan:
    """The scan of ``engine``: "ladder" (:func:`scan_ladder`) or "newton" (:func:`_scan_newton`)."""
    if engine == "newton" and batched_newton_applies(model):
        return _scan_newton(model, batch, target, n_grid, must_reach)
    return scan_ladder(batch, target, n_grid, must_reach)


def refine_crossing(
    batch: FitBatch,
    f_min: float,
    crit: float,
    a: float,
    b: float,
    theta0: np.ndarray,
) -> float | None:
    """Solve χ²_min(u) − f_min = crit on [a, b] on the exact profile (one data set); None without a sign change.

    A safeguarded Newton iteration: the slope is the envelope derivative dχ²_min/du (analytic, from
    :func:`~exonu.stats.minimum.evaluate_u`), a step that leaves the bracket is replaced by bisection,
    and the iteration stops when the step is below 10⁻¹⁰ of u (the error is then of its order
    squared) or the bracket below 10⁻¹² of its ends.
    """
    theta = theta0[None, :].copy()

    def h(u: float) -> tuple[float, float]:
        nonlocal theta
        th, f, g, _ = evaluate_u(batch, np.array([u]), theta, 1e-9)
        if np.isfinite(f[0]):
            theta = th
        return float(f[0]) - f_min - crit, float(g[0])

    (ha, ga), (hb, gb) = h(a), h(b)
    if np.sign(ha) == np.sign(hb):
        return None
    if ha == 0.0 or hb == 0.0:
        return a if ha == 0.0 else b
    rising = hb > 0  # h < 0 on the ``low`` side of the root
    low, high = (a, b) if rising else (b, a)
    x, hx, gx = (a, ha, ga) if abs(ha) < abs(hb) else (b, hb, gb)
    tiny = 1e-12 * max(abs(a), abs(b), 1e-300)
    for _ in range(100):
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = x - hx / gx
        inside = np.isfinite(newton) and min(low, high) < newton < max(low, high)
        if inside and abs(newton - x) <= 1e-10 * max(abs(x), 1e-300):
            return float(newton)
        x = float(newton) if inside else 0.5 * (low + high)
        hx, gx = h(x)
        if hx == 0.0:
            return x
        if hx < 0:  # NaN (a failed profile) counts as the side with h > 0
            low = x
        else:
            high = x
        if abs(high - low) <= tiny:
            return x
    return x


def solve_crossings(problem: FitProblem, targets: npt.ArrayLike, u_start: float, rtol: float = 1e-12) -> np.ndarray:
    """u ≥ û where q̃ of the (single) data set of ``problem`` equals each of ``targets`` (K,), solved together.

    Safeguarded Newton on h(u) = χ²_min(u) − χ²_min(û) − target, whose slope is the envelope
    derivative dχ²_min/du (analytic, :func:`~exonu.stats.minimum.evaluate_u`): the K crossings are
    profiled in one batch per iteration, each warm-started from its previous point. Each starts at
    û + ``u_start``·√target (the crossing of a parabola of width ``u_start``); the bracket grows from
    there by doubling; a Newton step that leaves it is replaced by
    bisection. Converged when the step is below ``rtol`` of u (the error is then of order its square).
    """
    um = problem.minimum()
    f_ref, u_hat = float(um.f[0]), max(float(um.u[0]), 0.0)
    targets = np.atleast_1d(np.asarray(targets, dtype=float))
    k = targets.size
    batch = problem.batch.rows(np.zeros(k, dtype=int))
    lo = np.full(k, u_hat)
    # first guess: the parabola q ≈ ((u − û)/u_start)², exact for a Gaussian profile of width u_start
    x: np.ndarray = u_hat + max(u_start, 1e-300) * np.sqrt(np.clip(targets, 1e-4, None))
    theta = np.tile(um.theta[0], (k, 1))
    hi = np.full(k, np.inf)
    done = np.zeros(k, dtype=bool)
    for _ in range(200):
        live = np.flatnonzero(~done)
        if live.size == 0:
            break
        x_l, th_l = x[live], theta[live]  # the live rows, selected once (written back below)
        th, f, g, _ = evaluate_u(batch.rows(live), x_l, th_l, 1e-9)
        h = f - f_ref - targets[live]
        above = ~(h < 0)  # NaN (a failed profile) counts as beyond the crossing
        hi_l = np.where(above, x_l, hi[live])
        lo_l = np.where(above, lo[live], x_l)
        hi[live], lo[live] = hi_l, lo_l
        theta[live] = np.where(np.isfinite(f)[:, None], th, th_l)
        with np.errstate(invalid="ignore", divide="ignore"):
            step = -h / g
        newton = x_l + step
        inside = np.isfinite(newton) & (newton > lo_l) & (newton < hi_l)
        bracketed = np.isfinite(hi_l)
        nxt = np.where(inside, newton, np.where(~bracketed, u_hat + 2.0 * (x_l - u_hat), 0.5 * (lo_l + hi_l)))
        conv = inside & (np.abs(step) <= rtol * np.abs(x_l))
        x_l = np.where(conv, x_l, nxt)
        x[live] = x_l
        done[live] = conv | (bracketed & (hi_l - lo_l <= rtol * hi_l))
        if np.any(x_l > 2.0**60 * max(u_start, 1e-300)):
            raise FitError(f"q on the Asimov data never reached {targets.max():.4g}: the signal is not constrained")
    if not np.all(done):
        raise FitError(f"the crossings of q = {targets[~done]} were not found to {rtol:g} in u")
    return x


def solve_asimov(problem: FitProblem, target_q: float, u_start: float) -> float:
    """u where q̃ on the (single) data set of ``problem`` equals ``target_q`` (see :func:`solve_crossings`).

    ``u_start`` is any positive guess of the scale; the bracket grows from it.
    """
    return float(solve_crossings(problem, [target_q], u_start)[0])


def u_scale(problem: FitProblem, row: int = 0) -> float:
    """A rough 1σ scale of u: the curvature of the profile at the best fit of data set ``row``, or a ladder step."""
    um = problem.minimum()
    c = um.curvature[row]
    curv = float(c) if np.isfinite(c) and c > 0 else float("nan")
    if np.isfinite(curv):
        return float(np.sqrt(2.0 / curv))
    lu = um.ladder_u[row][np.isfinite(um.ladder_u[row]) & (um.ladder_u[row] > 0)]
    return float(lu[0]) if lu.size else 1.0
