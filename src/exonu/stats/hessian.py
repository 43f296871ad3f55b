"""The error block of a fast-engine fit: the exact Hessian at the minimum, its inverse, and the checks on them.

:func:`fast_errors` takes the Hessian of the statistic at a fit's minimum — the nuisance block analytically
(:func:`~exonu.stats.objective.grad_hess_theta` returns the exact Newton matrix), the α row analytically for a
signal linear in α (:func:`~exonu.stats.objective.joint_derivatives`), otherwise by differentiating the analytic
gradient along α — and inverts it: covariance = 2 H⁻¹ (Δ = 1 at 1σ for both statistics). Parameters held on an
active bound get a zero row and column and error 0. :class:`DeferredErrors` is what a
:class:`~exonu.stats.fitting.FitResult` keeps to compute this block on first access.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .minimum import batched_newton_applies
from .model import BinnedModel
from .objective import (
    ExpectationState,
    FitBatch,
    fit_variable_scale,
    grad_hess_theta,
    grad_u,
    joint_derivatives,
    objective,
)

__all__ = ["EDM_MAX", "DeferredErrors", "ErrorBlock", "fast_errors"]

#: largest estimated distance to the minimum (χ² units) accepted by the fast engine
EDM_MAX = 1e-4


@dataclass(frozen=True)
class ErrorBlock:
    """The Hessian block of a fit: errors, covariance, validity and messages of the error engine."""

    errors: np.ndarray
    covariance: np.ndarray | None
    valid: bool
    messages: list[str]


@dataclass(frozen=True)
class DeferredErrors:
    """What the fast engine needs to compute a fit's :class:`ErrorBlock` on first access (or the block itself).

    ``fit`` returns the best fit and χ²_min at once and leaves the Hessian, its inverse and the checks
    on them (≈ a third of a fit's time on a 29-bin detector) to the first read of an error, the
    covariance, ``valid`` or ``message``: the same numbers, computed once, only when asked for.
    """

    model: BinnedModel
    batch: FitBatch
    u0: float
    theta0: np.ndarray
    fix_alpha: float | None
    allow_negative: bool
    tol: float
    core_converged: bool  # the profiled core converged (both engines need it for ``valid``)
    block: ErrorBlock | None = None  # already computed (the minuit engine, a non-finite statistic)

    def compute(self) -> ErrorBlock:
        if self.block is not None:
            return self.block
        errors, cov, valid, messages = fast_errors(
            self.model, self.batch, self.u0, self.theta0, self.fix_alpha, self.allow_negative, self.tol
        )
        return ErrorBlock(errors, cov, valid, messages)


def _gradient_at_u(batch: FitBatch, u: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Analytic gradient [∂f/∂u, ∂f/∂θ] of the one data set of ``batch`` at the u values ``u`` (N,)
    with the same θ, shape (N, 1 + P)."""
    n = u.size
    rep, th = batch.repeat(n), np.repeat(theta[None, :], n, 0)
    den = rep.denominator(u)
    _, st = objective(rep, den, u, th)
    g_theta = grad_hess_theta(rep, den, st, th, hessian=False)[0]
    return np.concatenate([grad_u(rep, st, u)[:, None], g_theta], axis=1)


def _hessian(
    batch: FitBatch,
    u: float,
    theta: np.ndarray,
    with_u: bool,
    u_step: Callable[[], float],
    allow_negative: bool,
    linear: bool = False,
    state: ExpectationState | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient and exact Hessian of the statistic of the one data set of ``batch`` in x = [u, θ]
    (or θ only) at one point.

    The θ block is analytic: the Newton matrix of :func:`~exonu.stats.objective.grad_hess_theta` is the
    exact Hessian (the p·q product is the only second derivative of E in θ, and the Poisson weights
    D/E² are exact). The u row is the derivative of the analytic gradient along u, by a central
    difference (one-sided, second order, when u − h would leave the allowed range); the gradient is
    smooth in u (exponents ≥ 1), so a step of 10⁻³ of the rough 1σ scale leaves a relative error
    far below the 2 % that matters for an error bar (``u_step()`` gives h). ``linear`` (a signal
    linear in u without signal MC variance, :func:`~exonu.stats.minimum.batched_newton_applies`): the
    u row is analytic too, the Newton matrix of :func:`~exonu.stats.objective.joint_derivatives`.
    ``state``: the expectation at (u, θ) if the caller has it.
    """
    uu = np.array([u])
    den = batch.denominator(uu)
    st = objective(batch, den, uu, theta[None, :])[1] if state is None else state
    if with_u and linear:
        g_x, _, h_x = joint_derivatives(batch, den, st, np.concatenate([uu, theta])[None, :])
        return g_x[0], h_x[0]
    g, h_gn, h_n = grad_hess_theta(batch, den, st, theta[None, :])
    h_theta = (h_gn if h_n is None else h_n)[0]
    if not with_u:
        return g[0], h_theta
    g_u = float(grad_u(batch, st, uu)[0])
    h = u_step()
    if allow_negative or u - h >= 0.0:
        gp, gm = _gradient_at_u(batch, np.array([u + h, u - h]), theta)
        row = (gp - gm) / (2.0 * h)
    else:
        g1, g2 = _gradient_at_u(batch, np.array([u + h, u + 2.0 * h]), theta)
        g0 = np.concatenate([[g_u], g[0]])
        row = (-3.0 * g0 + 4.0 * g1 - g2) / (2.0 * h)
    n = 1 + batch.cm.n_par
    hess = np.empty((n, n))
    hess[1:, 1:] = h_theta
    hess[0, :] = row
    hess[1:, 0] = row[1:]
    return np.concatenate([[g_u], g[0]]), hess


def _covariance(hess: np.ndarray, pinned: np.ndarray) -> tuple[np.ndarray, bool]:
    """Covariance 2 H⁻¹ (Δf = 1 at 1σ) of the parameters not pinned at a bound; zeros for the pinned.

    Returns (covariance, positive_definite). Pinned parameters are held at their bound: the other
    parameters get their covariance conditional on that, as in HESSE's bounded transformation.
    """
    n = hess.shape[0]
    cov = np.zeros((n, n))
    keep = np.flatnonzero(~pinned)
    if keep.size == 0:
        return cov, True
    hk = hess if keep.size == n else hess[np.ix_(keep, keep)]
    hk = 0.5 * (hk + hk.T)
    if not np.all(np.isfinite(hk)):
        return cov, False
    # Scale to unit diagonal first: parameters differ by orders of magnitude (u against pulls).
    dg = np.diag(hk)
    if not np.all(dg > 0):
        return cov, False
    s = 1.0 / np.sqrt(dg)
    scaled = hk * s[:, None] * s[None, :]
    try:
        chol = np.linalg.cholesky(scaled)
    except np.linalg.LinAlgError:
        return cov, False
    # A Cholesky factor can exist for a numerically singular matrix: also require a sane condition.
    if np.min(np.diag(chol)) ** 2 < 1e-14:
        return cov, False
    inv = np.linalg.inv(scaled)
    if keep.size == n:
        return 2.0 * inv * s[:, None] * s[None, :], True
    cov[np.ix_(keep, keep)] = 2.0 * inv * s[:, None] * s[None, :]
    return cov, True


def fast_errors(
    model: BinnedModel,
    batch: FitBatch,
    u0: float,
    theta0: np.ndarray,
    fix_alpha: float | None,
    allow_negative: bool,
    tol: float,
) -> tuple[np.ndarray, np.ndarray | None, bool, list[str]]:
    """Hessian at the profiled minimum of the one data set of ``batch`` → (errors, covariance, valid,
    messages)."""
    cm = model.compiled
    n = 1 + cm.n_par
    u_arr = np.array([u0])
    f_arr, state = objective(batch, batch.denominator(u_arr), u_arr, theta0[None, :])
    if not np.isfinite(f_arr[0]):
        return np.full(n, np.nan), None, False, ["statistic not finite at the minimum"]
    with_u = fix_alpha is None

    def u_step() -> float:  # only the finite-difference α row needs it
        return 1e-3 * float(fit_variable_scale(cm, batch.data, batch.base)[0])

    linear = batched_newton_applies(model)
    grad, hess = _hessian(batch, u0, theta0, with_u, u_step, allow_negative, linear, state)
    if not with_u:  # α held: its row and column are zero, as for any fixed parameter
        grad = np.concatenate([[0.0], grad])
        full = np.zeros((n, n))
        full[1:, 1:] = hess
        hess = full
    messages = []
    # Held at a bound: the fixed α, and every parameter on its bound (α = 0, a normalisation = 0)
    # whose bound is active — releasing it would lower the statistic by more than ``tol``. A bound
    # touched with a vanishing gradient (e.g. Asimov data at α = 0) is not active: the parameter
    # keeps its two-sided curvature, as MIGRAD/HESSE do there.
    at_bound = np.concatenate([[with_u and not allow_negative and u0 <= 0.0], cm.bounded & (theta0 <= 0.0)])
    diag = np.diag(hess)
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.where(diag > 0, grad**2 / (2.0 * diag), np.inf)
    pinned = at_bound & (grad > 0.0) & (gain > tol)
    pinned[0] |= not with_u
    cov, pos_def = _covariance(hess, pinned)
    valid = True
    if not pos_def:
        messages.append("Hessian not positive definite: no covariance (a saddle point or degenerate parameters)")
        return np.full(n, np.nan), None, False, messages
    errors = np.sqrt(np.maximum(np.diag(cov), 0.0))
    if with_u and pinned[0]:
        # α held on its active boundary (zero row in the covariance): report the curvature scale of
        # the Hessian there as its "error" (a one-sided parabola; a limit is the meaningful statement).
        full_cov, ok = _covariance(hess, pinned & np.r_[False, np.ones(n - 1, bool)])
        errors[0] = np.sqrt(full_cov[0, 0]) if ok and full_cov[0, 0] > 0 else float("nan")
    n_pinned = int(pinned[1:].sum())
    if n_pinned:
        names = model.nuisance_names
        held = ", ".join(names[i] for i in np.flatnonzero(pinned[1:]))
        messages.append(f"held at the 0 bound (error 0): {held}")
    # Estimated distance to the minimum over the free directions (MIGRAD's EDM, Δf = 1 convention).
    free_grad = np.where(pinned, 0.0, grad)
    edm = 0.25 * float(free_grad @ cov @ free_grad)
    if not edm < EDM_MAX:
        valid = False
        messages.append(f"not at a minimum: estimated distance to it {edm:.3g} > {EDM_MAX:g}")
    return errors, cov, valid, messages
