"""The objective of a fit: expected counts, the statistic with its pull terms, and their derivatives.

E_i(u, θ) of :class:`~exonu.stats.model.BinnedModel` (arXiv:2005.11891, Eqs. 5–6) for the compiled
arrays, the statistic of :mod:`exonu.stats.statistic` summed over bins plus the pull terms (Eq. 7),
and the analytic derivatives the solver needs: in θ at fixed u (:func:`grad_hess_theta`), in
x = (u, θ) for the joint solve (:func:`joint_derivatives`), and the envelope derivative in u
(:func:`grad_u`).

All functions here are vectorised over a leading batch axis (toys or α values): ``data`` (N, n),
``u`` (N,), ``theta`` (N, P), ``centres`` (N, P). The signal strength enters as u = α^c (see
:class:`~exonu.stats.compiled.CompiledModel`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InputError
from .compiled import CompiledModel
from .model import BinnedModel, check_alpha
from .statistic import check_statistic, statistic_for
from .validate import as_array, require_finite

__all__ = ["FitBatch", "chi2_value", "expectation", "objective"]


@dataclass
class ExpectationState:
    """Pieces of the expectation at (u, θ), kept for the Jacobian."""

    expected: np.ndarray  # (N, n)
    p_full: np.ndarray  # (N, J) every component's normalisation (fixed ones at 1)
    q: np.ndarray  # (N, K)
    s0: np.ndarray  # (N, n) nominal signal S⁰(α)
    sfac: np.ndarray  # (N, n) 1 + Σ_l r_l ε_l
    # with a log-normal signal systematic, the factor's two parts (kept for its derivatives), else None:
    lognormal: np.ndarray | None = None  # (N, n) G = exp(Σ_l r_l κ_l)
    linear_part: np.ndarray | None = None  # (N, n) 1 + Σ_l r_l ε_l over the linear systematics

    def take(self, idx: np.ndarray) -> ExpectationState:
        """The state of the data sets ``idx``."""
        lognormal = None if self.lognormal is None else self.lognormal[idx]
        linear_part = None if self.linear_part is None else self.linear_part[idx]
        return ExpectationState(
            self.expected[idx], self.p_full[idx], self.q[idx], self.s0[idx], self.sfac[idx], lognormal, linear_part
        )

    def put(self, idx: np.ndarray, new: ExpectationState) -> None:
        """Overwrite the data sets ``idx`` with ``new`` (in place)."""
        self.expected[idx] = new.expected
        self.p_full[idx] = new.p_full
        self.q[idx] = new.q
        self.s0[idx] = new.s0
        self.sfac[idx] = new.sfac
        if self.lognormal is not None and new.lognormal is not None:
            self.lognormal[idx] = new.lognormal
        if self.linear_part is not None and new.linear_part is not None:
            self.linear_part[idx] = new.linear_part


def expectation(cm: CompiledModel, u: np.ndarray, theta: np.ndarray) -> ExpectationState:
    """Expected counts for a batch of (u, θ).

    The bilinear background term Σ_jk p_j q_k σ_ijk is one product of the (N, J·K) outer products
    with the (J·K, n) table, so no (N, J, n) temporary is built: large temporaries are what limits
    batched speed (allocation and page faults), not arithmetic.
    """
    n_p, n_q = cm.n_p, cm.n_q
    batch = u.shape[0]
    if n_p == cm.n_comp:  # every component fitted (a copy: the state must not alias the caller's θ)
        p_full = theta[:, :n_p].copy()
    else:
        p_full = np.ones((batch, cm.n_comp))
        p_full[:, cm.free] = theta[:, :n_p]
    # a copy: the state must not alias the caller's θ (an empty view holds nothing to alias)
    q = theta[:, n_p : n_p + n_q].copy() if n_q else theta[:, :0]
    bkg_counts = p_full @ cm.bkg
    if n_q:
        bkg_counts += (p_full[:, :, None] * q[:, None, :]).reshape(batch, -1) @ cm.bsys_pq
    if cm.linear:
        s0 = u[:, None] * cm.template_sum[None, :]
    else:
        s0 = np.power(u[:, None], cm.exponents[None, :]) @ cm.templates
    if not cm.n_r:
        sfac = np.ones_like(s0)
    elif cm.skappa is None:
        sfac = 1.0 + theta[:, n_p + n_q :] @ cm.ssys
    else:  # linear factors times the log-normal ones (BinnedModel.signal_factor)
        r = theta[:, n_p + n_q :]
        linear_part, lognormal = 1.0 + r @ cm.ssys_lin, np.exp(r @ cm.skappa)
        sfac = linear_part * lognormal
        return ExpectationState(bkg_counts + s0 * sfac, p_full, q, s0, sfac, lognormal, linear_part)
    return ExpectationState(bkg_counts + s0 * sfac, p_full, q, s0, sfac)


def signal_factor_slopes(cm: CompiledModel, st: ExpectationState) -> np.ndarray:
    """∂(signal factor)_i/∂r_l, shape (N, L, n): ε_il for a linear systematic (times the log-normal
    factors), ln(1 + ε_il) × the whole factor for a log-normal one."""
    if cm.skappa is None or cm.ssys_lin is None or st.lognormal is None:
        return np.broadcast_to(cm.ssys[None, :, :], (st.sfac.shape[0], *cm.ssys.shape))
    return np.asarray(
        cm.ssys_lin[None, :, :] * st.lognormal[:, None, :] + cm.skappa[None, :, :] * st.sfac[:, None, :], dtype=float
    )


def signal_factor_curvature(cm: CompiledModel, st: ExpectationState, weight: np.ndarray) -> np.ndarray:
    """Σ_i weight_i ∂²(signal factor)_i/∂r_l∂r_m, shape (N, L, L) (zero unless a systematic is log-normal).

    With the factor L_i G_i (L linear, G = exp(Σ r κ) log-normal): ∂² = G (ε_l κ_m + ε_m κ_l + L κ_l κ_m).
    """
    if cm.skappa is None or cm.ssys_lin is None or st.lognormal is None or st.linear_part is None:
        return np.zeros((st.sfac.shape[0], cm.n_r, cm.n_r))
    weighted = weight * st.lognormal  # w G
    cross = (weighted[:, None, :] * cm.ssys_lin[None, :, :]) @ cm.skappa.T
    return np.asarray(
        cross + cross.transpose(0, 2, 1) + ((weighted * st.linear_part)[:, None, :] * cm.skappa[None]) @ cm.skappa.T
    )


def variance_base(cm: CompiledModel, data: np.ndarray) -> np.ndarray:
    """The α-independent part of the χ² denominator, D_i + σ²(B_stat)_i, floored at 1 count if 0."""
    base = data + cm.var_bkg
    return np.where(base > 0, base, 1.0)


def denominator(cm: CompiledModel, base: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Full χ² denominator D_i + σ²(B_stat)_i + α² σ²(S_stat)_i for a batch of u."""
    if not cm.signal_variance:
        return base
    alpha2 = np.power(np.abs(u), 2.0 / cm.c)  # α² = u^{2/c}; u < 0 only happens when c = 1
    return np.asarray(base + alpha2[:, None] * cm.var_sig[None, :], dtype=float)


@dataclass(frozen=True)
class FitBatch:
    """N data sets of one compiled model under one statistic: what the internal fit functions share.

    Every profiling, fitting and scanning function of this layer works on such a batch instead of
    the run of arguments (compiled model, statistic, data, variance base, centres). It is built
    once per batch (:meth:`of` computes the variance base) and subset by :meth:`rows` or
    :meth:`repeat`, which only index the arrays: nothing is recomputed.

    Attributes
    ----------
    cm : CompiledModel
    statistic : str
        "chi2", "poisson" or "per-bin" (see :func:`statistic_for`).
    data : ndarray, shape (N, n_bins)
        Observed counts of each data set.
    base : ndarray, shape (N, n_bins)
        The α-independent part of the χ² denominator of each data set (:func:`variance_base`).
    centres : ndarray, shape (N, n_nuisances)
        Pull-term centres (auxiliary measurements) in the internal nuisance order.
    """

    cm: CompiledModel
    statistic: str
    data: np.ndarray
    base: np.ndarray
    centres: np.ndarray

    @classmethod
    def of(cls, cm: CompiledModel, statistic: str, data: np.ndarray, centres: np.ndarray) -> FitBatch:
        """The batch of ``data`` (N, n_bins) with pull centres ``centres`` (N, n_nuisances)."""
        return cls(cm, statistic, data, variance_base(cm, data), centres)

    @property
    def size(self) -> int:
        """N, the number of data sets."""
        return int(self.data.shape[0])

    def rows(self, idx: np.ndarray | slice) -> FitBatch:
        """The data sets ``idx`` (indices, a boolean mask or a slice)."""
        return FitBatch(self.cm, self.statistic, self.data[idx], self.base[idx], self.centres[idx])

    def repeat(self, k: int) -> FitBatch:
        """Every data set ``k`` times in a row (for evaluating one data set at k points at once)."""
        return FitBatch(
            self.cm,
            self.statistic,
            np.repeat(self.data, k, 0),
            np.repeat(self.base, k, 0),
            np.repeat(self.centres, k, 0),
        )

    def denominator(self, u: np.ndarray) -> np.ndarray:
        """The χ² denominator of every data set at its fit variable ``u`` (N,) (see :func:`denominator`)."""
        return denominator(self.cm, self.base, u)


def pull_terms(cm: CompiledModel, theta: np.ndarray, centres: np.ndarray) -> np.ndarray:
    return np.asarray(((theta - centres) ** 2) @ cm.pull_weight, dtype=float)


def objective(
    batch: FitBatch, den: np.ndarray, u: np.ndarray, theta: np.ndarray
) -> tuple[np.ndarray, ExpectationState]:
    """Statistic value (N,) and the expectation state at (u, θ) for every data set of ``batch``.

    ``den`` is the χ² denominator for these u (ignored by the Poisson statistic).
    """
    cm = batch.cm
    st = expectation(cm, u, theta)
    f = statistic_for(cm, batch.statistic).value(batch.data, den, st.expected)
    return f + pull_terms(cm, theta, batch.centres), st


def jacobian_theta(
    cm: CompiledModel, st: ExpectationState, out: np.ndarray | None = None, slopes: np.ndarray | None = None
) -> np.ndarray:
    """Transposed Jacobian ∂E_i/∂θ_a, shape (N, P, n), written block by block into one buffer.

    ``out``: a (N, P, n) array to write into (e.g. the θ rows of the joint Jacobian); ``slopes``: the
    :func:`signal_factor_slopes` if the caller has them.
    """
    batch, n = st.expected.shape[0], cm.n_bins
    n_p, n_q, n_r = cm.n_p, cm.n_q, cm.n_r
    # 2-D so that column slices are guaranteed views (``out`` has contiguous (P, n) rows: a view too)
    jt = np.empty((batch, cm.n_par * n)) if out is None else out.reshape(batch, cm.n_par * n)
    if n_p:  # ∂E/∂p_j = B_ij + Σ_k q_k σ_ijk
        block = jt[:, : n_p * n]
        if n_q:
            np.matmul(st.q, cm.bsys_free_flat, out=block)
            block += cm.bkg_free_flat
        else:
            block[:] = cm.bkg_free_flat
    if n_q:  # ∂E/∂q_k = Σ_j p_j σ_ijk
        np.matmul(st.p_full, cm.bsys_jk, out=jt[:, n_p * n : (n_p + n_q) * n])
    if n_r and cm.skappa is None:  # ∂E/∂r_l = ε_il S⁰_i
        np.multiply(st.s0[:, None, :], cm.ssys[None, :, :], out=jt[:, (n_p + n_q) * n :].reshape(batch, n_r, n))
    elif n_r:  # a log-normal systematic: ∂E/∂r_l = S⁰_i ∂(signal factor)_i/∂r_l
        block_r = jt[:, (n_p + n_q) * n :].reshape(batch, n_r, n)
        if slopes is None and cm.skappa is not None and cm.ssys_lin is not None and st.lognormal is not None:
            # signal_factor_slopes written straight into the block, then times S⁰ (the same products)
            np.multiply(cm.ssys_lin[None, :, :], st.lognormal[:, None, :], out=block_r)
            block_r += cm.skappa[None, :, :] * st.sfac[:, None, :]
            block_r *= st.s0[:, None, :]
        else:
            slopes = signal_factor_slopes(cm, st) if slopes is None else slopes
            np.multiply(st.s0[:, None, :], slopes, out=block_r)
    return jt.reshape(batch, cm.n_par, n)


@overload
def grad_hess_theta(
    batch: FitBatch,
    den: np.ndarray,
    st: ExpectationState,
    theta: np.ndarray,
    hessian: Literal[True] = ...,
    newton: bool = ...,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]: ...


@overload
def grad_hess_theta(
    batch: FitBatch,
    den: np.ndarray,
    st: ExpectationState,
    theta: np.ndarray,
    hessian: Literal[False],
    newton: bool = ...,
) -> tuple[np.ndarray, None, None]: ...


def grad_hess_theta(
    batch: FitBatch,
    den: np.ndarray,
    st: ExpectationState,
    theta: np.ndarray,
    hessian: bool = True,
    newton: bool = True,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Gradient (N, P), Gauss–Newton matrix (N, P, P) and Newton Hessian of the statistic in θ.

    The Gauss–Newton matrix 2 JᵀWJ (W = 1/den for the χ², D/E² for the Poisson statistic) is the
    exact Hessian of every part that is linear in θ; it misses only the bilinear p·q curvature.
    ``h_newton`` adds that term (None when there is no p·q product or ``newton=False``).
    ``hessian=False`` skips both matrices.
    """
    cm = batch.cm
    jt = jacobian_theta(cm, st)
    dfde, w = statistic_for(cm, batch.statistic).derivatives(batch.data, den, st.expected)  # ∂(statistic)/∂E_i, W_i
    g = np.matmul(jt, dfde[:, :, None])[:, :, 0] + cm.twice_pull_weight * (theta - batch.centres)
    if not hessian:
        return g, None, None
    jt *= np.sqrt(w)[:, None, :]  # in place: JᵀWJ = (√W J)ᵀ(√W J), w ≥ 0 for both statistics
    h = 2.0 * np.matmul(jt, jt.transpose(0, 2, 1))
    h.reshape(h.shape[0], -1)[:, :: cm.n_par + 1] += cm.twice_pull_weight  # the diagonal, a strided view
    # The only second derivative of E is ∂²E_i/∂p_j∂q_k = σ(B_sys)_ijk; its term Σ_i (∂f/∂E_i) σ_ijk
    # turns Gauss–Newton into Newton (quadratic instead of linear convergence). It can make the
    # matrix indefinite far from the minimum, so the caller keeps the Gauss–Newton matrix as fallback.
    h_newton = None
    if newton and cm.n_p and cm.n_q:
        cross = (dfde @ cm.bsys_free_t).reshape(-1, cm.n_p, cm.n_q)
        h_newton = h.copy()
        sl_p, sl_q = slice(0, cm.n_p), slice(cm.n_p, cm.n_p + cm.n_q)
        h_newton[:, sl_p, sl_q] += cross
        h_newton[:, sl_q, sl_p] += cross.transpose(0, 2, 1)
    if newton and cm.n_r and cm.skappa is not None:  # a log-normal factor is curved in r
        h_newton = h.copy() if h_newton is None else h_newton
        sl_r = slice(cm.n_p + cm.n_q, cm.n_par)
        h_newton[:, sl_r, sl_r] += signal_factor_curvature(cm, st, dfde * st.s0)
    return g, h, h_newton


def grad_u(batch: FitBatch, st: ExpectationState, u: np.ndarray) -> np.ndarray:
    """∂(statistic)/∂u at fixed θ, shape (N,).

    At a profiled θ̂(u) this is also the total derivative of the profile χ²_min(u) (the θ-gradient
    vanishes there, or is normal to an active bound), which makes 1-D searches over u cheap.
    """
    cm, data = batch.cm, batch.data
    e = st.expected
    if cm.linear:  # every e_m = 1: e_m u^(e_m − 1) = 1 for any u, so the sum is Σ_m T_m (the same additions)
        ds0 = cm.template_sum[None, :]
    else:
        uu, ex = u[:, None, None], cm.exponents[None, :, None]
        ds0 = np.sum(ex * np.power(uu, ex - 1.0) * cm.templates[None, :, :], axis=1)
    de = ds0 * st.sfac
    stat = statistic_for(cm, batch.statistic)
    if stat.name == "chi2":
        den = batch.denominator(u)
        resid = data - e
        g = -2.0 * np.sum(resid * de / den, axis=1)
        if np.any(cm.var_sig):
            k = 2.0 / cm.c
            dden = k * np.sign(u) * np.power(np.abs(u), k - 1.0)
            g -= np.sum(resid**2 / den**2 * cm.var_sig[None, :], axis=1) * dden
        return np.asarray(g, dtype=float)
    if stat.name == "poisson":
        e_safe = np.where(e > 0, e, 1.0)
        return np.asarray(2.0 * np.sum((1.0 - data / e_safe) * de, axis=1), dtype=float)
    den = batch.denominator(u)
    dfde, _ = stat.derivatives(data, den, e)
    g = np.sum(dfde * de, axis=1)
    var_sig = np.where(stat.chi2_bins(), cm.var_sig, 0.0)
    if np.any(var_sig):  # the χ² bins' denominator grows with α² σ²(S_stat)
        k = 2.0 / cm.c
        dden = k * np.sign(u) * np.power(np.abs(u), k - 1.0)
        g -= np.sum((data - e) ** 2 / den**2 * var_sig[None, :], axis=1) * dden
    return np.asarray(g, dtype=float)


def joint_derivatives(
    batch: FitBatch, den: np.ndarray, st: ExpectationState, x: np.ndarray, newton: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradient (N, P+1), Gauss–Newton and Newton matrices (N, P+1, P+1) of the statistic in x = (u, θ).

    ``newton=False`` skips the Newton terms: the third matrix is then the Gauss–Newton one (the same object).
    """
    cm = batch.cm
    n_sets, n = batch.data.shape
    dfde, w = statistic_for(cm, batch.statistic).derivatives(batch.data, den, st.expected)
    jac = np.empty((n_sets, cm.n_par + 1, n))
    np.multiply(cm.template_sum, st.sfac, out=jac[:, 0, :])  # ∂E/∂u
    slopes = signal_factor_slopes(cm, st) if cm.n_r and cm.skappa is not None else None
    jacobian_theta(cm, st, out=jac[:, 1:, :], slopes=slopes)
    g = np.matmul(jac, dfde[:, :, None])[:, :, 0]
    g[:, 1:] += cm.twice_pull_weight * (x[:, 1:] - batch.centres)
    jac *= np.sqrt(w)[:, None, :]
    h_gn = np.matmul(jac, jac.transpose(0, 2, 1))
    h_gn *= 2.0
    # the pull terms (u has none): the diagonal from entry (1, 1) on, as a strided view of the flat matrix
    h_gn.reshape(n_sets, -1)[:, cm.n_par + 2 :: cm.n_par + 2] += cm.twice_pull_weight
    if not newton:
        return g, h_gn, h_gn
    h_n = h_gn.copy()
    off = 1  # θ starts at index 1 of x
    if cm.n_p and cm.n_q:  # ∂²E/∂p_j∂q_k = σ(B_sys)_ijk
        cross = (dfde @ cm.bsys_free_t).reshape(-1, cm.n_p, cm.n_q)
        sl_p, sl_q = slice(off, off + cm.n_p), slice(off + cm.n_p, off + cm.n_p + cm.n_q)
        h_n[:, sl_p, sl_q] += cross
        h_n[:, sl_q, sl_p] += cross.transpose(0, 2, 1)
    if cm.n_r and cm.skappa is None:  # ∂²E/∂u∂r_l = ΣT_i ε_il
        ur = (dfde * cm.template_sum[None, :]) @ cm.ssys.T
        sl_r = slice(off + cm.n_p + cm.n_q, off + cm.n_par)
        h_n[:, 0, sl_r] += ur
        h_n[:, sl_r, 0] += ur
    elif cm.n_r:  # a log-normal systematic: ∂²E/∂u∂r_l = ΣT_i ∂(factor)_i/∂r_l, and the factor's r curvature
        assert slopes is not None  # computed above for a log-normal systematic
        ur = np.einsum("ni,nli->nl", dfde * cm.template_sum[None, :], slopes)
        sl_r = slice(off + cm.n_p + cm.n_q, off + cm.n_par)
        h_n[:, 0, sl_r] += ur
        h_n[:, sl_r, 0] += ur
        h_n[:, sl_r, sl_r] += signal_factor_curvature(cm, st, dfde * st.s0)
    return g, h_gn, h_n


def chi2_value(
    model: BinnedModel,
    alpha: float,
    p: ArrayLike | None = None,
    q: ArrayLike | None = None,
    r: ArrayLike | None = None,
    statistic: str = "chi2",
) -> float:
    """Value of the fit statistic at given α and nuisance values (no minimisation).

    Parameters
    ----------
    model : BinnedModel
    alpha : float
        Signal strength.
    p : array_like, shape (n_components,), optional
        Component normalisations (default 1). Entries of fixed components (σ = 0) must equal 1.
    q, r : array_like, optional
        Background and signal systematic pulls (default 0).
    statistic : {"chi2", "poisson", "per-bin"}

    Returns
    -------
    float
        Eqs. (4)–(7) for ``"chi2"``; −2 ln(L/L_saturated) plus the same pull terms for ``"poisson"``;
        each bin's own term for ``"per-bin"``.
    """
    check_statistic(statistic)
    alpha = check_alpha(model, alpha)
    cm = model.compiled
    p = np.ones(model.n_components) if p is None else as_array(p, "p", 1, (model.n_components,))
    q = np.zeros(model.n_bkg_sys) if q is None else as_array(q, "q", 1, (model.n_bkg_sys,))
    r = np.zeros(model.n_sig_sys) if r is None else as_array(r, "r", 1, (model.n_sig_sys,))
    for name, value in (("p", p), ("q", q), ("r", r)):
        require_finite(value, name)
    if np.any(p[model.fixed] != 1.0):
        raise InputError("p of a fixed component (activity_sigma = 0) must be 1")
    theta = np.concatenate([p[cm.free], q, r])[None, :]
    u = cm.alpha_to_u(np.array([alpha]))
    batch = FitBatch.of(cm, statistic, model.data[None, :], cm.centres[None, :])
    f, _ = objective(batch, batch.denominator(u), u, theta)
    return float(f[0])


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
