"""The compiled form of a binned model: its arrays laid out for the vectorised objective.

:class:`CompiledModel` is built once per :class:`~exonu.stats.model.BinnedModel` (its ``compiled``
property) and is all the objective, the solver and the limit scans read. It also maps the signal
strength α to the fit variable u = α^c and back.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

__all__ = ["CompiledModel"]


@dataclass(frozen=True, eq=False)
class CompiledModel:
    """Arrays of a model arranged for the vectorised objective (built once per model and cached).

    The profiled parameter vector θ is laid out as [p_j for non-fixed j, q_k, r_l]. The fit variable
    for the signal strength is u = α^c with c = min(1, min power): then every term is u^{e_m} with
    e_m = power_m / c ≥ 1, smooth at u = 0 (α^{1/2} is not).
    """

    n_bins: int
    bkg: np.ndarray  # (J, n)
    bsys: np.ndarray  # (K, J, n)
    ssys: np.ndarray  # (L, n)
    templates: np.ndarray  # (M, n)
    exponents: np.ndarray  # (M,) e_m = power_m / c
    c: float  # u = α^c
    var_bkg: np.ndarray  # (n,)
    var_sig: np.ndarray  # (n,)
    free: np.ndarray  # (Jf,) indices of non-fixed components
    n_comp: int
    n_p: int  # = Jf
    n_q: int
    n_r: int
    pull_weight: np.ndarray  # (P,) 1/σ² (0 for free components)
    pull_sigma: np.ndarray  # (P,) σ of each pull (inf for free components)
    centres: np.ndarray  # (P,) pull centres of this model (aux values)
    nominal: np.ndarray  # (P,) nominal starting point: p = 1, q = 0, r = 0
    bounded: np.ndarray  # (P,) bool, θ ≥ 0 (all p)
    allow_negative_u: bool
    bsys_pq: np.ndarray  # (J·K, n): row j·K + k is σ(B_sys)_{·jk}, for (p ⊗ q) @ bsys_pq
    bsys_jk: np.ndarray  # (J, K·n) for p @ bsys (∂E/∂q)
    bsys_free_flat: np.ndarray  # (K, Jf·n) for q @ bsys (∂E/∂p of the non-fixed components)
    bkg_free_flat: np.ndarray  # (Jf·n,)
    bsys_free_t: np.ndarray  # (n, Jf·K): column j·K + k is σ(B_sys)_{·jk} (Newton cross term)
    linear: bool  # every exponent is 1
    template_sum: np.ndarray  # (n,) Σ_m T_m (used when linear)
    poisson_bins: np.ndarray | None = None  # (n,) bool: bins of the Poisson statistic under "per-bin"
    # log-normal signal systematics (BinnedModel.signal_sys_response), None when all are linear:
    ssys_lin: np.ndarray | None = None  # (L, n) ε of the linear systematics, 0 on the log-normal rows
    skappa: np.ndarray | None = None  # (L, n) ln(1 + ε) of the log-normal systematics, 0 on the linear rows

    @property
    def n_par(self) -> int:
        return self.n_p + self.n_q + self.n_r

    @cached_property
    def twice_pull_weight(self) -> np.ndarray:
        """2/σ² per nuisance (P,): the pull terms' gradient factor and Hessian diagonal, built once."""
        return 2.0 * self.pull_weight

    @cached_property
    def signal_variance(self) -> bool:
        """Whether any bin has signal MC variance (then the χ² denominator depends on α)."""
        return bool(np.any(self.var_sig))

    @cached_property
    def joint_newton_applies(self) -> bool:
        """Whether the joint (u, θ) Newton solve covers this model: a linear signal, no signal MC variance."""
        return bool(self.linear and self.c == 1.0 and not self.signal_variance)

    @cached_property
    def joint_bounded(self) -> np.ndarray:
        """Which entries of x = (u, θ) in the joint solve are bounded below by 0: u and every p."""
        return np.concatenate([[True], self.bounded])

    @cached_property
    def joint_lower_bounds(self) -> np.ndarray:
        """Lower bound of each entry of x = (u, θ) in the joint solve: 0 for u and every p, −∞ otherwise."""
        return np.where(self.joint_bounded, 0.0, -np.inf)

    # np.power is typed as returning Any. For a 0-d argument it returns a numpy float rather than
    # a 0-d ndarray; the callers that pass a scalar only take float() of the result.
    def alpha_to_u(self, alpha: npt.ArrayLike) -> np.ndarray:
        alpha = np.asarray(alpha, dtype=float)
        if self.c == 1.0:
            return alpha
        u: np.ndarray = np.power(alpha, self.c)
        return u

    def u_to_alpha(self, u: npt.ArrayLike) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        if self.c == 1.0:
            return u
        alpha: np.ndarray = np.power(np.maximum(u, 0.0), 1.0 / self.c)
        return alpha

    def dalpha_du(self, u: npt.ArrayLike) -> np.ndarray:
        """dα/du for the flat-prior Jacobian and for error propagation."""
        u = np.asarray(u, dtype=float)
        if self.c == 1.0:
            return np.ones_like(u)
        derivative: np.ndarray = np.power(np.maximum(u, 0.0), 1.0 / self.c - 1.0) / self.c
        return derivative
