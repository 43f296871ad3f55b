"""One batched Newton solve for the best fit of many data sets: α and every nuisance together.

:func:`~exonu.stats.profiling.minimise_fit_variable` finds the best fit by profiling the nuisances
at a ladder of α values and then solving dχ²_min/dα = 0 — about ten profiles per data set. For a
signal that is linear in the fit variable (u = α, S⁰ = u·ΣT) the statistic is a smooth function of
x = (u, θ) with an analytic gradient and Hessian, so one damped Newton iteration in x reaches the
same minimum in a handful of steps, vectorised over toys.

Each iteration (vectorised over data sets):

1. the gradient and the Gauss–Newton matrix 2 JᵀWJ of the statistic in x, with J = ∂E/∂x; the
   exact Newton matrix adds the second derivatives of E, which are the bilinear p·q terms
   σ(B_sys)_ijk and the u·r terms T_i ε_il (arXiv:2005.11891 Eqs. 5–6);
2. the minimum of the quadratic model under the bounds u ≥ 0 and p ≥ 0, with the active-set step of
   :func:`~exonu.stats.profiling.bounded_quadratic_step`; a Newton step that is not a descent
   direction is replaced by the Gauss–Newton one (positive semi-definite);
3. an Armijo backtracking line search on the projected step.

Convergence is certified, as in the profiling engine, when the model predicts a decrease below
``tol``. Data sets that do not converge — or any model outside the method's scope (a non-linear
signal, or a χ² denominator that depends on α through the signal MC variance) — are handed to the
ladder engine, so the result is always that of a certified minimisation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .chi2 import ExpectationState, FitBatch, expectation, jacobian_theta, objective, statistic_for
from .model import BinnedModel
from .profiling import ARMIJO, MAX_HALVINGS, bounded_quadratic_step, minimise_fit_variable

__all__ = ["BatchedFit", "batched_best_fit", "batched_newton_applies", "best_fit_of_batch"]


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
    cm = model.compiled
    return bool(cm.linear and cm.c == 1.0 and not np.any(cm.var_sig))


def _derivatives(
    batch: FitBatch, den: np.ndarray, st: ExpectationState, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradient (N, P+1), Gauss–Newton and Newton matrices (N, P+1, P+1) of the statistic in x = (u, θ)."""
    cm = batch.cm
    n_sets, n = batch.data.shape
    dfde, w = statistic_for(cm, batch.statistic).derivatives(batch.data, den, st.expected)
    jac = np.empty((n_sets, cm.n_par + 1, n))
    jac[:, 0, :] = cm.template_sum[None, :] * st.sfac  # ∂E/∂u
    jac[:, 1:, :] = jacobian_theta(cm, st)
    pull = np.concatenate([[0.0], cm.pull_weight])
    g = np.matmul(jac, dfde[:, :, None])[:, :, 0]
    g[:, 1:] += 2.0 * cm.pull_weight * (x[:, 1:] - batch.centres)
    jac *= np.sqrt(w)[:, None, :]
    h_gn = 2.0 * np.matmul(jac, jac.transpose(0, 2, 1))
    diag = np.arange(cm.n_par + 1)
    h_gn[:, diag, diag] += 2.0 * pull
    h_n = h_gn.copy()
    off = 1  # θ starts at index 1 of x
    if cm.n_p and cm.n_q:  # ∂²E/∂p_j∂q_k = σ(B_sys)_ijk
        cross = (dfde @ cm.bsys_free_t).reshape(-1, cm.n_p, cm.n_q)
        sl_p, sl_q = slice(off, off + cm.n_p), slice(off + cm.n_p, off + cm.n_p + cm.n_q)
        h_n[:, sl_p, sl_q] += cross
        h_n[:, sl_q, sl_p] += cross.transpose(0, 2, 1)
    if cm.n_r:  # ∂²E/∂u∂r_l = ΣT_i ε_il
        ur = (dfde * cm.template_sum[None, :]) @ cm.ssys.T
        sl_r = slice(off + cm.n_p + cm.n_q, off + cm.n_par)
        h_n[:, 0, sl_r] += ur
        h_n[:, sl_r, 0] += ur
    return g, h_gn, h_n


def _evaluate(batch: FitBatch, den: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, ExpectationState]:
    return objective(batch, den, x[:, 0], x[:, 1:])


def _newton(
    batch: FitBatch, x: np.ndarray, tol: float, max_iter: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The joint iteration from start ``x`` (N, P+1); returns x, f, converged, n_iter."""
    cm, n_sets = batch.cm, batch.size
    bounded = np.concatenate([[True], cm.bounded])
    diag = np.arange(cm.n_par + 1)
    den = batch.denominator(np.zeros(n_sets))  # α-independent: no signal MC variance here
    f, _st = _evaluate(batch, den, x)
    converged = np.zeros(n_sets, dtype=bool)
    n_iter = np.zeros(n_sets, dtype=int)
    # Gauss–Newton far from the minimum, Newton (quadratic) once a full step was accepted; a Newton
    # step that fails the line search is redone with Gauss–Newton at the next iteration.
    use_newton = np.zeros(n_sets, dtype=bool)
    live = np.flatnonzero(np.isfinite(f))
    for _ in range(max_iter):
        if live.size == 0:
            break
        b, dn, xl = batch.rows(live), den[live], x[live]
        st_l = expectation(cm, xl[:, 0], xl[:, 1:])
        g, h_gn, h_n = _derivatives(b, dn, st_l, xl)
        newt = use_newton[live]
        h = np.where(newt[:, None, None], h_n, h_gn)
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
            cand = xl[pending] + t[:, None] * step[pending]
            cand[:, bounded] = np.maximum(cand[:, bounded], 0.0)
            f_c, _ = _evaluate(b.rows(pending), dn[pending], cand)
            ok = np.isfinite(f_c) & (f_c <= f_old[pending] + ARMIJO * np.sum(g[pending] * (cand - xl[pending]), axis=1))
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
        :func:`~exonu.stats.profiling.minimise_fit_variable`.
    """
    batch = FitBatch.of(
        model.compiled,
        statistic,
        np.atleast_2d(np.asarray(data, dtype=float)),
        np.atleast_2d(np.asarray(centres, dtype=float)),
    )
    return best_fit_of_batch(model, batch, tol=tol, max_iter=max_iter)


def best_fit_of_batch(model: BinnedModel, batch: FitBatch, *, tol: float = 1e-10, max_iter: int = 50) -> BatchedFit:
    """:func:`batched_best_fit` of a :class:`~exonu.stats.chi2.FitBatch` of ``model`` (its variance base reused)."""
    cm = model.compiled
    n = batch.size
    x = np.zeros((n, cm.n_par + 1))
    x[:, 1:] = cm.nominal
    if batched_newton_applies(model):
        x, f, ok, n_iter = _newton(batch, x, tol, max_iter)
    else:
        f, ok, n_iter = np.full(n, np.inf), np.zeros(n, dtype=bool), np.zeros(n, dtype=int)
    newton = ok.copy()
    rest = np.flatnonzero(~ok)
    if rest.size:
        um = minimise_fit_variable(batch.rows(rest), np.tile(cm.nominal, (rest.size, 1)), tol=1e-9)
        x[rest, 0], x[rest, 1:], f[rest], ok[rest] = um.u, um.theta, um.f, um.converged
    slope = curvature = None
    if batched_newton_applies(model):
        slope, curvature = _profile_derivatives(batch, x)
    return BatchedFit(x[:, 0].copy(), f, x[:, 1:].copy(), ok, n_iter, newton, slope, curvature)


def _profile_derivatives(batch: FitBatch, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """dχ²_min/du and d²χ²_min/du² at x (the nuisances profiled): the envelope derivative and the
    Schur complement h_uu − h_uθ H_θθ⁻¹ h_θu of the Newton matrix."""
    cm = batch.cm
    den = batch.denominator(np.zeros(batch.size))
    st = expectation(cm, x[:, 0], x[:, 1:])
    g, _h_gn, h_n = _derivatives(batch, den, st, x)
    if cm.n_par == 0:
        return g[:, 0], h_n[:, 0, 0]
    h_tt, h_tu = h_n[:, 1:, 1:], h_n[:, 1:, 0]
    try:
        coupled = np.linalg.solve(h_tt, h_tu[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        coupled = (np.linalg.pinv(h_tt) @ h_tu[:, :, None])[:, :, 0]
    return np.maximum(g[:, 0], 0.0), h_n[:, 0, 0] - np.sum(h_tu * coupled, axis=1)
