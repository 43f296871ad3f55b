"""The damped Newton solver of the fit, vectorised over data sets: profiles at fixed u and joint fits.

Profiling (:func:`profile_batch`): minimise the statistic over every nuisance at fixed u. At fixed α
the χ² denominator is fixed, so the χ² is a sum of squared residuals that are bilinear in (p, q)
and linear in r. Each iteration

1. builds the analytic gradient and the Gauss–Newton matrix 2 JᵀWJ (vectorised numpy);
2. once the iteration is close (the previous full step was accepted), adds the only missing
   curvature, the p·q cross term, which turns Gauss–Newton into Newton (quadratic convergence);
3. minimises that quadratic model subject to p ≥ 0 with a small active-set loop
   (:func:`bounded_quadratic_step`), which respects the correlations between components;
4. takes the step with an Armijo backtracking line search.

Typically 3–5 iterations from the nominal start, 2–3 from a neighbouring α. The Poisson statistic
uses the same machinery with the Newton weights D_i/E_i² (iteratively reweighted least squares),
exact for every part that is linear in the nuisances.

Joint fit (:func:`joint_newton`): for a signal linear in u the statistic is a smooth function of
x = (u, θ), and the same steps (gradient and Gauss–Newton/Newton matrices in x from
:func:`~exonu.stats.objective.joint_derivatives`, the bounded quadratic step under u ≥ 0 and
p ≥ 0, Armijo backtracking) reach the best fit in a handful of iterations. A Newton step that is
not a descent direction is redone with Gauss–Newton; convergence is certified by a Newton step (or
a negligible Gauss–Newton one).

One data set (a single fit) takes a copy of the joint iteration with scalar bookkeeping
(:func:`_joint_newton_one`): the same steps, bit for bit, without the masks and row selections that
cost more than the arithmetic on a few dozen bins.

Everything is vectorised over a leading batch axis so that many toys, or many α values for one data
set, are solved together with stacked linear algebra; per profile that is ~10× cheaper than one
call at a time, whose cost is dominated by numpy call overhead.
"""

from __future__ import annotations

import numpy as np

from .compiled import CompiledModel
from .objective import ExpectationState, FitBatch, expectation, grad_hess_theta, joint_derivatives, objective

__all__ = [
    "ARMIJO",
    "MAX_HALVINGS",
    "bounded_quadratic_step",
    "joint_newton",
    "profile_batch",
    "profile_with_state",
    "project_to_bounds",
]

#: Armijo sufficient-decrease constant of the line searches (profiles and joint fits)
ARMIJO = 1e-4


#: most step halvings in one line search (2⁻⁴⁰ ≈ 1e-12 of a Gauss–Newton step)
MAX_HALVINGS = 40


def project_to_bounds(cm: CompiledModel, theta: np.ndarray) -> np.ndarray:
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

    Returns (theta (N, P), f (N,), converged (N,), n_iter (N,)); see :func:`profile_with_state`.
    """
    theta, f, converged, n_iter, _ = profile_with_state(batch, u, theta0, tol, max_iter, newton)
    return theta, f, converged, n_iter


def profile_with_state(
    batch: FitBatch,
    u: np.ndarray,
    theta0: np.ndarray,
    tol: float = 1e-9,
    max_iter: int = 100,
    newton: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, ExpectationState | None]:
    """:func:`profile_batch`, also returning the expectation state at the returned θ when it is exact.

    Returns (theta (N, P), f (N,), converged (N,), n_iter (N,), state): ``state`` is that of one
    evaluation of the whole batch at the returned θ — the very call ``objective(batch,
    batch.denominator(u), u, theta)`` would make, so the same bits — or None when the rows' last
    states come from evaluations of fewer rows (a different BLAS call can round differently).

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
    theta = project_to_bounds(cm, np.array(theta0, dtype=float, copy=True))
    f, st = objective(batch, den, u, theta)
    whole_state = True  # st is one evaluation of the whole batch at theta (see the docstring)
    n_iter = np.zeros(n_sets, dtype=int)
    if n_par == 0:
        return theta, f, np.isfinite(f), n_iter, st

    # A warm start can be infeasible for the Poisson statistic (E ≤ 0 somewhere): restart at nominal.
    finite = np.isfinite(f)
    if not finite.all():
        theta[~finite] = cm.nominal
        f, st = objective(batch, den, u, theta)
        finite = np.isfinite(f)
    cross = bool(cm.n_p and cm.n_q)  # only then is the χ² not a (weighted) linear least squares
    converged = np.zeros(n_sets, dtype=bool)
    use_newton = np.full(n_sets, bool(newton) and cross)
    escapes = np.zeros(n_sets, dtype=int)
    live = np.flatnonzero(finite)
    diag = np.arange(n_par)

    # Per iteration on a few dozen bins, numpy's per-call overhead outweighs the arithmetic: the
    # common cases (every data set live, every step accepted in full, no p·q cross term) skip the
    # row selections and scatters below, which would copy the same numbers.
    n_live = -1  # the rows of b, dn, uu (selected again only when data sets leave the iteration)
    for _ in range(max_iter):
        if live.size == 0:
            break
        all_live = live.size == n_sets
        if all_live:  # θ is copied: it is updated below
            b, dn, uu, th, st_l = batch, den, u, theta.copy(), st
        else:
            if live.size != n_live:  # live only shrinks
                b, dn, uu = batch.rows(live), den[live], u[live]
            th, st_l = theta[live], st.take(live)
        n_live = live.size
        g, h_gn, h_n = grad_hess_theta(b, dn, st_l, th, newton=cross)
        if cross:
            newt = use_newton[live]
            h = h_gn if h_n is None else np.where(newt[:, None, None], h_n, h_gn)
        else:  # Gauss–Newton throughout (use_newton is never set)
            newt, h = np.zeros(live.size, dtype=bool), h_gn
        delta, decrement, curv, stuck = bounded_quadratic_step(h, g, th, cm.bounded, diag)
        if cross and newt.any():
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
                st.put(idx, new_st)
                whole_state = False
                escapes[idx] += 1
                done[rows] = False
                decrement[rows] = np.inf  # no line search for them in this iteration
        if done.any():
            converged[live[done]] = True

        pending = np.flatnonzero(~done & np.isfinite(decrement))
        t = np.ones(pending.size)
        f_old = f[live]
        full_step = np.zeros(live.size, dtype=bool)
        for halving in range(MAX_HALVINGS):
            if pending.size == 0:
                break
            if pending.size == live.size:  # every live data set (pending is 0, 1, …): no row selection
                cand = project_to_bounds(cm, th + t[:, None] * delta)
                f_c, st_c = objective(b, dn, uu, cand)
                slope = np.add.reduce(g * (cand - th), axis=1)
                ok = np.isfinite(f_c) & (f_c <= f_old + ARMIJO * slope)
            else:
                cand = project_to_bounds(cm, th[pending] + t[:, None] * delta[pending])
                f_c, st_c = objective(b.rows(pending), dn[pending], uu[pending], cand)
                slope = np.add.reduce(g[pending] * (cand - th[pending]), axis=1)
                ok = np.isfinite(f_c) & (f_c <= f_old[pending] + ARMIJO * slope)
            all_ok = bool(ok.all())
            if all_ok and all_live and pending.size == n_sets:  # every data set steps: take the new arrays
                theta, f, st, whole_state = cand, f_c, st_c, True
            elif all_ok or ok.any():
                acc = live[pending[ok]]
                theta[acc] = cand[ok]
                f[acc] = f_c[ok]
                st.put(acc, st_c if all_ok else st_c.take(np.flatnonzero(ok)))
                whole_state = False
            if cross and halving == 0 and ok.any():
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
            if all_ok:
                pending = pending[:0]
                break
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
    return theta, f, converged, n_iter, st if whole_state else None


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
            cand = project_to_bounds(cm, th[sel] + sign * t * v)
            f_c, st_c = objective(batch.rows(rows[sel]), den[rows[sel]], u[rows[sel]], cand)
            better = np.isfinite(f_c) & (f_c < best_f - tol)
            if np.any(better):
                best_f[better], best_th[better] = f_c[better], cand[better]
                improved |= better
                if best_st is None:
                    best_st = st_c
                else:
                    best_st.put(np.flatnonzero(better), st_c.take(np.flatnonzero(better)))
    if not np.any(improved):
        return None
    keep = np.flatnonzero(improved)
    assert best_st is not None  # set at the first improvement, and there was one
    return rows[sel[keep]], best_th[keep], best_f[keep], best_st.take(keep)


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
    first: tuple[np.ndarray, np.ndarray] | None = None  # the first round's (δ, ∇ model), if already known
    if not active.any():  # the common case: the unconstrained step stays inside the bounds (same numbers)
        delta = _solve(h, -g)
        grad_model = g + np.matmul(h, delta[:, :, None])[:, :, 0]
        if not (bounded & (theta + delta < -1e-10)).any():
            curv = np.add.reduce(delta * (grad_model - g), axis=1)
            return delta, -np.add.reduce(g * delta, axis=1) - 0.5 * curv, curv, np.zeros(g.shape[0], dtype=bool)
        first = delta, grad_model  # what the loop's first round (A empty) computes
    rounds = max_rounds if max_rounds is not None else 2 * int(bounded.sum()) + 2
    lam_tol = -1e-9 * (1.0 + np.abs(g).max(axis=1, keepdims=True))
    for _ in range(rounds):
        if first is not None:
            (delta, grad_model), first = first, None
        else:
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
    curv = np.add.reduce(delta * (grad_model - g), axis=1)  # δᵀHδ
    pred = -np.add.reduce(g * delta, axis=1) - 0.5 * curv
    stuck: np.ndarray = np.logical_or.reduce(active & (g < 0.0), axis=1)
    return delta, pred, curv, stuck


def _evaluate(batch: FitBatch, den: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, ExpectationState]:
    return objective(batch, den, x[:, 0], x[:, 1:])


def joint_newton(
    batch: FitBatch, x: np.ndarray, tol: float, max_iter: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The joint iteration from start ``x`` (N, P+1); returns x, f, converged, n_iter.

    One data set (a single fit, the observed data of a limit) takes :func:`_joint_newton_one`, the
    same iteration with scalar bookkeeping: on a few dozen bins the masks and row selections of the
    batched loop cost more than the arithmetic.
    """
    cm, n_sets = batch.cm, batch.size
    if n_sets == 1:
        return _joint_newton_one(batch, x, tol, max_iter)
    bounded = cm.joint_bounded
    diag = np.arange(cm.n_par + 1)
    den = batch.denominator(np.zeros(n_sets))  # α-independent: no signal MC variance here
    f, _st = _evaluate(batch, den, x)
    converged = np.zeros(n_sets, dtype=bool)
    n_iter = np.zeros(n_sets, dtype=int)
    # Gauss–Newton far from the minimum, Newton (quadratic) once a full step was accepted; a Newton
    # step that fails the line search is redone with Gauss–Newton at the next iteration.
    use_newton = np.zeros(n_sets, dtype=bool)
    live = np.flatnonzero(np.isfinite(f))
    # The state of the last line search when it evaluated every data set at once and took every
    # step: the same call on the same arrays as expectation() at the new x, so it is reused.
    st_next: ExpectationState | None = None
    for _ in range(max_iter):
        if live.size == 0:
            break
        if live.size == n_sets:  # no row selection in the common all-live case (x is copied: it is updated below)
            b, dn, xl = batch, den, x.copy()
        else:
            b, dn, xl = batch.rows(live), den[live], x[live]
        st_l = expectation(cm, xl[:, 0], xl[:, 1:]) if st_next is None else st_next
        st_next = None
        newt = use_newton[live]
        any_newton = bool(newt.any())
        g, h_gn, h_n = joint_derivatives(b, dn, st_l, xl, newton=any_newton)
        h = np.where(newt[:, None, None], h_n, h_gn) if any_newton else h_gn
        step, decrement, curv, stuck = bounded_quadratic_step(h, g, xl, bounded, diag)
        slope = np.sum(g * step, axis=1)
        redo = newt & ~((decrement >= 0) & (slope < 0) & (curv > 0) & ~stuck & np.all(np.isfinite(step), axis=1))
        if np.any(redo):
            step[redo], decrement[redo], _, _ = bounded_quadratic_step(h_gn[redo], g[redo], xl[redo], bounded, diag)
            newt = newt & ~redo
        n_iter[live] += 1
        f_old = f[live]
        done = decrement < tol
        # A converged Newton step is still taken: it makes the error in x quadratically smaller
        # (the χ² is already at its floor, so accept it unless it goes up by more than round-off).
        polish = np.flatnonzero(done & newt)
        if polish.size:
            cand = xl[polish] + step[polish]
            cand[:, bounded] = np.maximum(cand[:, bounded], 0.0)
            f_c, _ = _evaluate(b.rows(polish), dn[polish], cand)
            ok = np.isfinite(f_c) & (f_c <= f_old[polish] + 1e-12 * np.maximum(1.0, np.abs(f_old[polish])))
            x[live[polish[ok]]], f[live[polish[ok]]] = cand[ok], f_c[ok]
        done &= newt | (decrement < 1e-3 * tol)  # certify with a Newton step (or a negligible GN one)
        converged[live[done]] = True
        pending = np.flatnonzero(~done)
        t = np.ones(pending.size)
        full = np.zeros(live.size, dtype=bool)
        for halving in range(MAX_HALVINGS):
            if pending.size == 0:
                break
            if pending.size == n_sets:  # every data set (pending is 0, 1, …): no row selection
                cand = xl + t[:, None] * step
                cand[:, bounded] = np.maximum(cand[:, bounded], 0.0)
                f_c, st_c = _evaluate(b, dn, cand)
                ok = np.isfinite(f_c) & (f_c <= f_old + ARMIJO * np.add.reduce(g * (cand - xl), axis=1))
                if ok.all():  # every data set steps: take the new arrays
                    x, f, st_next = cand, f_c, st_c
                    full[:] = halving == 0
                    pending = pending[:0]
                    break
            else:
                cand = xl[pending] + t[:, None] * step[pending]
                cand[:, bounded] = np.maximum(cand[:, bounded], 0.0)
                f_c, _ = _evaluate(b.rows(pending), dn[pending], cand)
                ok = np.isfinite(f_c) & (
                    f_c <= f_old[pending] + ARMIJO * np.add.reduce(g[pending] * (cand - xl[pending]), axis=1)
                )
            acc = live[pending[ok]]
            x[acc], f[acc] = cand[ok], f_c[ok]
            if halving == 0:
                full[pending[ok]] = True
            pending, t = pending[~ok], t[~ok] * 0.5
        use_newton[live] = full
        # no decrease along a Gauss–Newton step: at the numerical floor if the model agrees
        gn_failed = np.zeros(live.size, dtype=bool)
        gn_failed[pending] = ~newt[pending]
        floor = gn_failed & (decrement < 1e-9 * np.maximum(1.0, np.abs(f_old)))
        converged[live[floor]] = True
        live = live[~(done | gn_failed)]
    return x, f, converged, n_iter


def _bounded_step_one(
    h: np.ndarray, g: np.ndarray, x: np.ndarray, bounded: np.ndarray, rounds: int
) -> tuple[np.ndarray, float, float, bool]:
    """:func:`bounded_quadratic_step` for one data set: ``h`` (P, P), ``g`` and ``x`` (P,).

    The same primal–dual active-set loop and tolerances; returns δ, the predicted decrease, the
    curvature δᵀHδ and whether a parameter is held at its bound against an inward gradient.
    """
    active = bounded & (x <= 0.0) & (g > 0.0)
    if not active.any():  # the common case: the unconstrained step stays inside the bounds
        try:
            delta = np.linalg.solve(h, -g)
        except np.linalg.LinAlgError:
            delta = np.linalg.pinv(h) @ -g
        grad_model = g + h @ delta
        if not (bounded & (x + delta < -1e-10)).any():
            curv = float(delta @ (grad_model - g))
            return delta, -float(g @ delta) - 0.5 * curv, curv, False
    lam_tol = -1e-9 * (1.0 + float(np.abs(g).max()))
    delta = grad_model = g
    for _ in range(rounds):  # 2 × the bounded entries + 2, as in bounded_quadratic_step
        if active.any():
            keep = ~active
            hm = h * (keep[:, None] & keep[None, :])
            hm[active, active] = 1.0
            rhs = np.where(active, -x, -g - h @ np.where(active, -x, 0.0))
        else:
            hm, rhs = h, -g
        try:
            delta = np.linalg.solve(hm, rhs)
        except np.linalg.LinAlgError:  # exactly degenerate templates: the minimum-norm step
            delta = np.linalg.pinv(hm) @ rhs
        grad_model = g + h @ delta
        crossing = bounded & ~active & (x + delta < -1e-10)
        release = active & (grad_model < lam_tol)
        if crossing.any():
            active = active | crossing
        elif release.any():
            active = active & ~release
        else:
            break
    curv = float(delta @ (grad_model - g))
    pred = -float(g @ delta) - 0.5 * curv
    return delta, pred, curv, bool((active & (g < 0.0)).any())


def _joint_newton_one(
    batch: FitBatch, x: np.ndarray, tol: float, max_iter: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`joint_newton` for one data set (``x`` of shape (1, P+1)), step for step the same iteration."""
    cm = batch.cm
    bounded = cm.joint_bounded
    rounds = 2 * (cm.n_p + 1) + 2  # active-set rounds: twice the bounded entries (u and every p), plus 2
    lower = cm.joint_lower_bounds  # max(x, lower) projects onto the bounds (max(x, −∞) = x)
    den = batch.denominator(np.zeros(1))
    xv = np.array(x[0], dtype=float)
    f_arr, st = _evaluate(batch, den, xv[None, :])
    f = float(f_arr[0])
    converged, n_iter, use_newton = False, 0, False
    if not np.isfinite(f):
        return xv[None, :], f_arr, np.zeros(1, dtype=bool), np.zeros(1, dtype=int)

    def value_at(cand: np.ndarray) -> tuple[float, ExpectationState]:
        f_c, st_c = _evaluate(batch, den, cand[None, :])
        return float(f_c[0]), st_c

    for _ in range(max_iter):
        newt = use_newton
        g2, h_gn2, h_n2 = joint_derivatives(batch, den, st, xv[None, :], newton=newt)
        g, h_gn = g2[0], h_gn2[0]
        step, decrement, curv, stuck = _bounded_step_one(h_n2[0] if newt else h_gn, g, xv, bounded, rounds)
        if newt:
            slope = float(g @ step)
            if not (decrement >= 0 and slope < 0 and curv > 0 and not stuck and np.isfinite(step).all()):
                step, decrement, _, _ = _bounded_step_one(h_gn, g, xv, bounded, rounds)
                newt = False
        n_iter += 1
        f_old = f
        done = decrement < tol
        if done and newt:  # polish: a converged Newton step is still taken (see joint_newton)
            cand = np.maximum(xv + step, lower)
            f_c, st_c = value_at(cand)
            if np.isfinite(f_c) and f_c <= f_old + 1e-12 * max(1.0, abs(f_old)):
                xv, f, st = cand, f_c, st_c
        if done and (newt or decrement < 1e-3 * tol):
            converged = True
            break
        t, accepted, full = 1.0, False, False
        for halving in range(MAX_HALVINGS):
            cand = np.maximum(xv + t * step, lower)
            f_c, st_c = value_at(cand)
            if np.isfinite(f_c) and f_c <= f_old + ARMIJO * float(g @ (cand - xv)):
                xv, f, st = cand, f_c, st_c
                accepted, full = True, halving == 0
                break
            t *= 0.5
        use_newton = full
        if not accepted and not newt:  # no decrease along a Gauss–Newton step: the numerical floor?
            converged = decrement < 1e-9 * max(1.0, abs(f_old))
            break
    return xv[None, :], np.array([f]), np.array([converged]), np.array([n_iter])
