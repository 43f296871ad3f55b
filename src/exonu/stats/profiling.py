"""Profiling: minimise the fit statistic over every nuisance parameter at fixed α (the fast core).

At fixed α the χ² denominator is fixed, so the χ² is a sum of squared residuals that are bilinear in
(p, q) and linear in r. Each iteration

1. builds the analytic gradient and the Gauss–Newton matrix 2 JᵀWJ (vectorised numpy);
2. once the iteration is close (the previous full step was accepted), adds the only missing
   curvature, the p·q cross term, which turns Gauss–Newton into Newton (quadratic convergence);
3. minimises that quadratic model subject to p ≥ 0 with a small active-set loop
   (:func:`bounded_quadratic_step`), which respects the correlations between components;
4. takes the step with an Armijo backtracking line search.

Typically 3–5 iterations from the nominal start, 2–3 from a neighbouring α. The Poisson statistic
uses the same machinery with the Newton weights D_i/E_i² (iteratively reweighted least squares),
exact for every part that is linear in the nuisances.

Everything is vectorised over a leading batch axis so that many toys, or many α values for one data
set, are profiled together with stacked linear algebra; per profile that is ~10× cheaper than one
call at a time, whose cost is dominated by numpy call overhead.

The 1-D search over α (:func:`minimise_fit_variable`) uses the envelope theorem: at a profiled point the total
derivative of χ²_min(α) equals the partial derivative at fixed nuisances, which is analytic; a
bracketing secant (Illinois) search on that derivative converges in a few profiles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..errors import InputError
from .chi2 import ExpectationState, FitBatch, check_statistic, grad_hess_theta, grad_u, objective
from .compiled import CompiledModel
from .model import BinnedModel, check_alpha

__all__ = ["ProfileResult", "ProfileScan", "profile", "profile_scan"]

#: Armijo sufficient-decrease constant of the line searches (here and in exonu.stats.newton)
ARMIJO = 1e-4
#: most step halvings in one line search (2⁻⁴⁰ ≈ 1e-12 of a Gauss–Newton step)
MAX_HALVINGS = 40


@dataclass(frozen=True)
class ProfileResult:
    """Nuisance parameters that minimise the statistic at one fixed α.

    Attributes
    ----------
    alpha : float
        The fixed signal strength.
    chi2 : float
        χ²_min(α) (or the Poisson −2 ln L ratio, per ``statistic``).
    p, q, r : ndarray
        Component normalisations (all components, fixed ones at 1), background and signal pulls.
    theta : ndarray
        The profiled vector in internal order [p (non-fixed), q, r]; pass it as ``start=`` to warm-start.
    converged : bool
        False if the iteration limit was hit or the line search stalled far from a minimum.
    n_iter : int
        Gauss–Newton iterations used.
    message : str
        Human-readable status.
    statistic : str
        ``"chi2"`` or ``"poisson"``.
    """

    alpha: float
    chi2: float
    p: np.ndarray
    q: np.ndarray
    r: np.ndarray
    theta: np.ndarray
    converged: bool
    n_iter: int
    message: str
    statistic: str


@dataclass(frozen=True)
class ProfileScan:
    """χ²_min(α) on a set of α values (one profile each), with the profiled nuisances."""

    alpha: np.ndarray
    chi2: np.ndarray
    theta: np.ndarray
    converged: np.ndarray
    statistic: str


# ---------------------------------------------------------------------------------------- core
def _take(st: ExpectationState, idx: np.ndarray) -> ExpectationState:
    return ExpectationState(st.expected[idx], st.p_full[idx], st.q[idx], st.s0[idx], st.sfac[idx])


def _project(cm: CompiledModel, theta: np.ndarray) -> np.ndarray:
    if cm.n_p:
        theta[:, : cm.n_p] = np.maximum(theta[:, : cm.n_p], 0.0)
    return theta


def profile_batch(
    batch: FitBatch,
    u: np.ndarray,
    theta0: np.ndarray,
    tol: float = 1e-9,
    max_iter: int = 100,
    newton: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Profile every data set of ``batch`` at its ``u`` (N,) from ``theta0`` (N, P).

    Returns (theta (N, P), f (N,), converged (N,), n_iter (N,)).

    ``tol`` is the decrease (χ² units) predicted by the Gauss–Newton model below which a data set
    counts as converged. ``newton`` lets the first step use the full Newton matrix (sensible for a
    warm start).

    Step choice: Gauss–Newton is robust far from the minimum, Newton (with the p·q cross term)
    converges quadratically close to it. A data set switches to Newton after a step was accepted in
    full and back after a cut one. The Newton matrix can be indefinite: a Newton step that is not
    downhill, has non-positive curvature, holds a parameter at its bound against its gradient, or
    claims convergence is redone with Gauss–Newton, whose matrix is positive semi-definite — so
    convergence is always certified by the Gauss–Newton model.

    With free normalisations multiplying shape shifts the χ² is not convex. At a certified point the
    exact Hessian is checked for a direction of negative curvature (a saddle); if moving along it
    lowers the statistic, the iteration continues from there (at most 3 times per data set). A
    *local* minimum different from the global one cannot be excluded in general: warm starts along
    a scan keep the profile on one continuous branch.
    """
    cm = batch.cm
    n_sets, n_par = u.shape[0], cm.n_par
    den = batch.denominator(u)
    theta = _project(cm, np.array(theta0, dtype=float, copy=True))
    f, st = objective(batch, den, u, theta)
    n_iter = np.zeros(n_sets, dtype=int)
    if n_par == 0:
        return theta, f, np.isfinite(f), n_iter

    # A warm start can be infeasible for the Poisson statistic (E ≤ 0 somewhere): restart at nominal.
    bad = ~np.isfinite(f)
    if np.any(bad):
        theta[bad] = cm.nominal
        f, st = objective(batch, den, u, theta)
    cross = bool(cm.n_p and cm.n_q)  # only then is the χ² not a (weighted) linear least squares
    converged = np.zeros(n_sets, dtype=bool)
    use_newton = np.full(n_sets, bool(newton) and cross)
    escapes = np.zeros(n_sets, dtype=int)
    live = np.flatnonzero(np.isfinite(f))
    diag = np.arange(n_par)

    for _ in range(max_iter):
        if live.size == 0:
            break
        if live.size == n_sets:  # skip the copies in the common all-live case
            b, dn, uu, th, st_l = batch, den, u, theta.copy(), st
        else:
            b, dn, uu, th, st_l = batch.rows(live), den[live], u[live], theta[live], _take(st, live)
        newt = use_newton[live]
        g, h_gn, h_n = grad_hess_theta(b, dn, st_l, th, newton=cross)
        h = h_gn if h_n is None else np.where(newt[:, None, None], h_n, h_gn)
        delta, decrement, curv, stuck = bounded_quadratic_step(h, g, th, cm.bounded, diag)
        if np.any(newt):
            slope = np.sum(g * delta, axis=1)
            redo = newt & ~((decrement >= tol) & (slope < 0) & (curv > 0) & ~stuck)
            if np.any(redo):
                delta[redo], decrement[redo], _, _ = bounded_quadratic_step(
                    h_gn[redo], g[redo], th[redo], cm.bounded, diag
                )
                newt = newt & ~redo
        n_iter[live] += 1
        done = decrement < tol

        if cross and np.any(done & (escapes[live] < 3)):
            cand_rows = np.flatnonzero(done & (escapes[live] < 3))
            assert h_n is not None  # grad_hess_theta returns the Newton matrix when there is a p·q cross term
            moved = _escape_saddle(b, dn, uu, th, g, h_n, cand_rows, f[live], tol)
            if moved is not None:
                rows, new_theta, new_f, new_st = moved
                idx = live[rows]
                theta[idx], f[idx] = new_theta, new_f
                _put(st, idx, new_st)
                escapes[idx] += 1
                done[rows] = False
                decrement[rows] = np.inf  # no line search for them in this iteration
        converged[live[done]] = True

        pending = np.flatnonzero(~done & np.isfinite(decrement))
        t = np.ones(pending.size)
        f_old = f[live]
        full_step = np.zeros(live.size, dtype=bool)
        for halving in range(MAX_HALVINGS):
            if pending.size == 0:
                break
            idx = live[pending]
            cand = _project(cm, th[pending] + t[:, None] * delta[pending])
            f_c, st_c = objective(b.rows(pending), dn[pending], uu[pending], cand)
            slope = np.sum(g[pending] * (cand - th[pending]), axis=1)
            ok = np.isfinite(f_c) & (f_c <= f_old[pending] + ARMIJO * slope)
            if np.any(ok):
                acc = idx[ok]
                theta[acc] = cand[ok]
                f[acc] = f_c[ok]
                _put(st, acc, st_c if np.all(ok) else _take(st_c, np.flatnonzero(ok)))
                if halving == 0:
                    full_step[pending[ok]] = True
                    # A full, sane Newton step that predicted a small decrease (≤ 1e4 tol), where the
                    # exact Hessian is positive definite (a minimum, not a saddle), leaves a
                    # quadratically smaller decrease: converged without one more iteration.
                    rows = pending[ok]
                    quiet = newt[rows] & (decrement[rows] < 1e4 * tol)
                    if np.any(quiet):
                        q_rows = rows[quiet]
                        assert h_n is not None  # Newton steps (newt) are only taken with a p·q cross term
                        pd = _positive_definite(h_n[q_rows], _free_mask(cm, th[q_rows], g[q_rows]))
                        converged[live[q_rows[pd]]] = True
                        done[q_rows[pd]] = True
            pending, t = pending[~ok], t[~ok] * 0.5
        if cross:
            use_newton[live] = full_step
        if pending.size:
            # The line search found no decrease. After a Newton step: retry with Gauss–Newton
            # (``use_newton`` was just reset). After a Gauss–Newton step we are at the numerical
            # floor of the objective: converged if the predicted decrease is tiny.
            retry = newt[pending]
            stalled = live[pending[~retry]]
            floor = decrement[pending[~retry]] < 1e-9 * np.maximum(1.0, np.abs(f_old[pending[~retry]]))
            converged[stalled[floor]] = True
            done[pending[~retry]] = True
        live = live[~done]
    return theta, f, converged, n_iter


def _escape_saddle(
    batch: FitBatch,
    den: np.ndarray,
    u: np.ndarray,
    theta: np.ndarray,
    g: np.ndarray,
    h_newton: np.ndarray,
    rows: np.ndarray,
    f_now: np.ndarray,
    tol: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, ExpectationState] | None:
    """Try to leave saddle points along the most negative curvature direction of the exact Hessian.

    Only the parameters not pinned at their bound are considered. Returns (rows that moved, their
    θ, f and state) or None.
    """
    cm = batch.cm
    th, gg, hh = theta[rows], g[rows], h_newton[rows]
    free = _free_mask(cm, th, gg)
    if np.all(_positive_definite(hh, free)):  # the common case, one batched Cholesky
        return None
    lam, vec = np.linalg.eigh(_reduced(hh, free))
    negative = lam[:, 0] < -100.0 * tol
    if not np.any(negative):
        return None
    sel = np.flatnonzero(negative)
    v = vec[sel, :, 0]
    best_f = f_now[rows[sel]].copy()
    best_th = th[sel].copy()
    best_st = None
    improved = np.zeros(sel.size, dtype=bool)
    # Along ±v the model decreases by ½ t² |λ|: try a few step lengths in both directions.
    for sign in (1.0, -1.0):
        for t in (4.0, 2.0, 1.0, 0.5, 0.25, 0.125):
            cand = _project(cm, th[sel] + sign * t * v)
            f_c, st_c = objective(batch.rows(rows[sel]), den[rows[sel]], u[rows[sel]], cand)
            better = np.isfinite(f_c) & (f_c < best_f - tol)
            if np.any(better):
                best_f[better], best_th[better] = f_c[better], cand[better]
                improved |= better
                if best_st is None:
                    best_st = st_c
                else:
                    _put(best_st, np.flatnonzero(better), _take(st_c, np.flatnonzero(better)))
    if not np.any(improved):
        return None
    keep = np.flatnonzero(improved)
    assert best_st is not None  # set at the first improvement, and there was one
    return rows[sel[keep]], best_th[keep], best_f[keep], _take(best_st, keep)


def _free_mask(cm: CompiledModel, theta: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Parameters not pinned at their bound (a bounded one at 0 whose gradient pushes outwards)."""
    return np.asarray(~(cm.bounded & (theta <= 0.0) & (g >= 0.0)), dtype=bool)


def _reduced(h: np.ndarray, free: np.ndarray) -> np.ndarray:
    """H restricted to the free parameters (pinned ones decoupled with a large diagonal)."""
    n_par = h.shape[1]
    dg = np.arange(n_par)
    hm: np.ndarray = h * (free[:, :, None] & free[:, None, :])
    big = np.abs(h[:, dg, dg]).max(axis=1) + 1.0
    hm[:, dg, dg] += np.where(free, 0.0, big[:, None])
    return hm


def _positive_definite(h: np.ndarray, free: np.ndarray) -> np.ndarray:
    """Per data set: is H, restricted to the free parameters, positive definite?"""
    hm = _reduced(h, free)
    try:
        np.linalg.cholesky(hm)
        return np.ones(h.shape[0], dtype=bool)
    except np.linalg.LinAlgError:  # at least one is not: find which
        return np.asarray(np.linalg.eigvalsh(hm)[:, 0] > 0.0, dtype=bool)


def _solve(h: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(h, rhs[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:  # exactly degenerate templates: take the minimum-norm step
        return np.asarray((np.linalg.pinv(h) @ rhs[:, :, None])[:, :, 0], dtype=float)


def bounded_quadratic_step(
    h: np.ndarray,
    g: np.ndarray,
    theta: np.ndarray,
    bounded: np.ndarray,
    diag: np.ndarray,
    max_rounds: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Minimise the quadratic model g·δ + ½ δᵀHδ subject to θ + δ ≥ 0 on the bounded entries.

    A small primal–dual active-set loop: parameters in the active set A are held at the bound
    (δ_j = −θ_j); the others take the reduced Newton step. Free parameters that would cross the
    bound join A; members of A whose multiplier (g + Hδ)_j is negative (the model wants them off
    the bound) leave it. Projecting an unconstrained step instead would ignore the correlations
    between components and can make the step useless.

    Returns δ, the predicted decrease −(g·δ + ½ δᵀHδ) of the model, the curvature δᵀHδ and, per
    data set, whether a parameter ended held at its bound although its gradient points inwards
    (legitimate for a convex model through correlations, suspicious for an indefinite one).
    """
    active = bounded & (theta <= 0.0) & (g > 0.0)
    rounds = max_rounds if max_rounds is not None else 2 * int(bounded.sum()) + 2
    lam_tol = -1e-9 * (1.0 + np.abs(g).max(axis=1, keepdims=True))
    for _ in range(rounds):
        if active.any():
            fixed_step = np.where(active, -theta, 0.0)
            keep = ~active
            hm = h * (keep[:, :, None] & keep[:, None, :])
            hm[:, diag, diag] += active
            rhs = np.where(active, -theta, -g - np.matmul(h, fixed_step[:, :, None])[:, :, 0])
            delta = _solve(hm, rhs)
        else:
            delta = _solve(h, -g)
        grad_model = g + np.matmul(h, delta[:, :, None])[:, :, 0]  # ∇ of the model at θ + δ
        # Tolerances keep round-off (a multiplier of −1e-16, a step to −1e-17) from cycling the
        # loop; the candidate point is projected onto the bounds afterwards anyway.
        crossing = bounded & ~active & (theta + delta < -1e-10)
        release = active & (grad_model < lam_tol)
        if not crossing.any() and not release.any():
            break
        # Add every crossing parameter; release only where nothing was added (avoids cycling).
        release &= ~crossing.any(axis=1)[:, None]
        active = (active | crossing) & ~release
    curv = np.sum(delta * (grad_model - g), axis=1)  # δᵀHδ
    pred = -np.sum(g * delta, axis=1) - 0.5 * curv
    stuck = np.any(active & (g < 0.0), axis=1)
    return delta, pred, curv, stuck


def _put(st: ExpectationState, idx: np.ndarray, new: ExpectationState) -> None:
    st.expected[idx] = new.expected
    st.p_full[idx] = new.p_full
    st.q[idx] = new.q
    st.s0[idx] = new.s0
    st.sfac[idx] = new.sfac


def fit_variable_scale(cm: CompiledModel, data: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Rough 1σ scale of u per data set: where the nominal signal alone adds Δχ² ≈ 1.

    Only a starting step for the searches (nuisances ignored); exact for a linear signal without
    systematics.
    """
    s1 = np.sum(np.abs(cm.templates), axis=0)  # |S⁰| at u = 1, ignoring cancellations between terms
    f1 = np.sum(s1[None, :] ** 2 / base, axis=1)
    if not np.all(f1 > 0):
        raise InputError("signal_templates sum to zero in every bin: the signal strength is not constrained")
    emax = cm.exponents.max()
    return np.asarray(f1 ** (-0.5 / emax) if emax > 1 else f1**-0.5, dtype=float)


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


def _evaluate_u(
    batch: FitBatch, u: np.ndarray, theta0: np.ndarray, tol: float, newton: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Profile the data sets of ``batch`` at their u; also return the envelope derivative dχ²_min/du."""
    th, f, conv, _ = profile_batch(batch, u, theta0, tol, newton=newton)
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
    """
    cm = batch.cm
    n_sets, n_par = batch.size, cm.n_par
    scale = fit_variable_scale(cm, batch.data, batch.base)
    all_idx = np.arange(n_sets)
    th0, f0, g0, c0 = _evaluate_u(batch, np.zeros(n_sets), theta0, tol, False)
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
            th, f, g, conv = _evaluate_u(batch.rows(climbing), x, prev[climbing], tol)
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
    k_lo, k_hi = np.where(right, kb, kl), np.where(right, kr, kb)
    # A best point at u = 0 with g ≥ 0 (u ≥ 0 only) is a boundary minimum: nothing to refine.
    boundary = (not allow_negative) & (kb == 0) & (g_b >= 0)
    bad = ~(right | left | boundary | (g_b == 0))
    ok[bad] = False  # bracket not found (e.g. a basin narrower than the ladder step)

    a, ga, tha = lu[rows, k_lo], lg[rows, k_lo], lth[rows, k_lo]
    b, gb, thb = lu[rows, k_hi], lg[rows, k_hi], lth[rows, k_hi]
    curvature = np.full(n_sets, np.nan)
    side = np.zeros(n_sets, dtype=int)
    live = np.flatnonzero(right | left)
    for _ in range(max_iter):
        if live.size == 0:
            break
        lo, hi, glo, ghi = a[live], b[live], ga[live], gb[live]
        x = lo - glo * (hi - lo) / (ghi - glo)
        x = np.clip(x, lo + 1e-3 * (hi - lo), hi - 1e-3 * (hi - lo))
        near_lo = np.abs(x - lo) < np.abs(hi - x)
        th, f, g, conv = _evaluate_u(batch.rows(live), x, np.where(near_lo[:, None], tha[live], thb[live]), tol)
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
    return FitVariableMinimum(u_hat, f_hat, th_hat, curvature, ok, lu, lf, lth)


# ---------------------------------------------------------------------------------------- public API
def _start_vector(cm: CompiledModel, start: ProfileResult | npt.ArrayLike | None, n: int) -> np.ndarray:
    if start is None:
        return np.tile(cm.nominal, (n, 1))
    theta = getattr(start, "theta", start)
    theta = np.asarray(theta, dtype=float)
    if theta.shape[-1] != cm.n_par:
        raise InputError(f"start must have {cm.n_par} entries (the profiled nuisances); got shape {theta.shape}")
    if not np.all(np.isfinite(theta)):
        raise InputError("start must be finite")
    return np.broadcast_to(theta, (n, cm.n_par)).copy()


def split_theta(model: BinnedModel, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cm = model.compiled
    p = np.ones(model.n_components)
    p[cm.free] = theta[: cm.n_p]
    return p, theta[cm.n_p : cm.n_p + cm.n_q].copy(), theta[cm.n_p + cm.n_q :].copy()


def _random_starts(cm: CompiledModel, n: int, seed: int = 0) -> np.ndarray:
    """Deterministic spread of starting points: free p in [0, 2], pulled ones from their prior."""
    rng = np.random.default_rng(seed)
    starts = np.tile(cm.nominal, (n, 1))
    finite = np.isfinite(cm.pull_sigma)
    starts[:, finite] = cm.nominal[finite] + rng.standard_normal((n, int(finite.sum()))) * cm.pull_sigma[finite]
    free_p = ~finite & cm.bounded
    starts[:, free_p] = rng.uniform(0.0, 2.0, (n, int(free_p.sum())))
    return _project(cm, starts)


def profile(
    model: BinnedModel,
    alpha: float,
    *,
    statistic: str = "chi2",
    start: ProfileResult | npt.ArrayLike | None = None,
    tol: float = 1e-9,
    max_iter: int = 100,
    restarts: int = 0,
) -> ProfileResult:
    """Minimise the statistic over all nuisances (p, q, r) at fixed α.

    Parameters
    ----------
    model : BinnedModel
    alpha : float
        Fixed signal strength (α < 0 only for integer signal powers).
    statistic : {"chi2", "poisson"}
    start : ProfileResult or array_like, optional
        Warm start (e.g. the profile at a neighbouring α). Default: p = 1, q = r = 0.
    tol : float
        Convergence threshold on the Gauss–Newton predicted decrease, in χ² units.
    max_iter : int
        Iteration limit; hitting it gives ``converged=False``.
    restarts : int
        Extra starting points (a fixed, seeded spread: free normalisations in [0, 2], pulled
        parameters from their constraint) profiled together with the first; the lowest converged
        minimum wins. The statistic is not convex when shape shifts multiply free normalisations,
        so a badly mismodelled spectrum can have several local minima.

    Returns
    -------
    ProfileResult
    """
    check_statistic(statistic)
    alpha = check_alpha(model, alpha)
    if not isinstance(restarts, (int, np.integer)) or restarts < 0:
        raise InputError(f"restarts must be a non-negative integer; got {restarts!r}")
    cm = model.compiled
    n = 1 + int(restarts)
    data = np.repeat(model.data[None, :], n, 0)
    u = np.repeat(cm.alpha_to_u(np.array([alpha])), n)
    theta0 = _start_vector(cm, start, 1)
    if restarts:
        theta0 = np.vstack([theta0, _random_starts(cm, int(restarts))])
    batch = FitBatch.of(cm, statistic, data, np.repeat(cm.centres[None, :], n, 0))
    theta, f, conv, n_iter = profile_batch(batch, u, theta0, tol, max_iter, newton=start is not None)
    candidates = np.where(conv, f, np.inf)
    best = int(np.argmin(candidates)) if np.any(np.isfinite(candidates)) else 0
    p, q, r = split_theta(model, theta[best])
    if not np.isfinite(f[best]):
        msg = "no nuisance values give a positive expectation in every bin with data (Poisson statistic)"
    elif conv[best]:
        msg = f"converged in {n_iter[best]} iterations"
        if restarts:
            msg += f" (best of {n} starts; spread of minima {np.ptp(candidates[np.isfinite(candidates)]):.3g})"
    else:
        msg = f"not converged after {n_iter[best]} iterations"
    return ProfileResult(
        float(alpha), float(f[best]), p, q, r, theta[best], bool(conv[best]), int(n_iter[best]), msg, statistic
    )


def profile_scan(
    model: BinnedModel,
    alphas: npt.ArrayLike,
    *,
    statistic: str = "chi2",
    start: npt.ArrayLike | None = None,
    tol: float = 1e-9,
) -> ProfileScan:
    """Profile χ²_min(α) at many α values at once (vectorised; no warm-start chain needed).

    Parameters
    ----------
    model : BinnedModel
    alphas : array_like, shape (G,)
        Signal strengths.
    statistic : {"chi2", "poisson"}
    start : array_like, optional
        Starting nuisances, shape (P,) or (G, P).

    Returns
    -------
    ProfileScan
    """
    check_statistic(statistic)
    alphas = np.atleast_1d(np.asarray(alphas, dtype=float))
    if alphas.ndim != 1 or alphas.size == 0:
        raise InputError(f"alphas must be a non-empty 1-D array; got shape {alphas.shape}")
    for a in alphas:
        check_alpha(model, a)
    cm = model.compiled
    n = alphas.size
    batch = FitBatch.of(
        cm, statistic, np.broadcast_to(model.data, (n, model.n_bins)), np.broadcast_to(cm.centres, (n, cm.n_par))
    )
    theta, f, conv, _ = profile_batch(batch, cm.alpha_to_u(alphas), _start_vector(cm, start, n), tol)
    return ProfileScan(alphas, f, theta, conv, statistic)
