"""Profiles of the statistic at fixed α: one α (:func:`profile`) or many (:func:`profile_scan`).

The public face of :func:`~exonu.stats.solver.profile_batch`: the nuisances minimised at fixed α,
with optional random restarts, returned with their names split into p, q, r.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..errors import InputError
from .compiled import CompiledModel
from .model import BinnedModel, check_alpha
from .objective import FitBatch
from .solver import profile_batch, project_to_bounds
from .statistic import check_statistic

__all__ = ["ProfileResult", "ProfileScan", "profile", "profile_scan", "split_theta"]


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
    return project_to_bounds(cm, starts)


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
