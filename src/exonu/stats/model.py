"""The binned model of the spectrum fit: data, background templates, signal templates, systematics.

The statistics layer is unitless. :class:`BinnedModel` holds counts per bin and nothing else; the
mapping from the signal-strength parameter α to a physical coupling belongs to the caller
(``searches``), which also builds the templates.

Expected counts in bin i (the XMASS-I paper, arXiv:2005.11891, Eqs. 5–6)::

    E_i = Σ_j p_j (B_ij + Σ_k q_k σ(B_sys)_ijk) + S⁰_i(α) (1 + Σ_l r_l ε_il)
    S⁰_i(α) = Σ_m α^{power_m} T_mi

* For a linear signal (one term, power 1) the signal part is exactly the paper's α·(S⁰_i + Σ_l r_l
  σ(S_sys)_il) with σ(S_sys)_il = ε_il S⁰_i.
* A dark photon with interference is α = (g/g_ref)⁴ with terms [I, P] and powers [0.5, 1]. The
  interference template I may be negative; that is legal as long as the total expectation stays
  positive (the Poisson statistic enforces this, the χ² does not need it).

Parameter conventions used throughout :mod:`exonu.stats`:

* ``activity_sigma[j]`` > 0 and finite: p_j is pulled by (aux_j − p_j)²/σ_j², with aux_j = 1 for the
  real data (paper Eq. 7); ``np.inf``: p_j is free (no pull term); ``0``: p_j is fixed at 1.
* Every p_j is bounded below by 0: a negative activity is unphysical. The bound only matters for
  free components (a pulled one would have to move 1/σ_j standard deviations to reach it).
* The auxiliary values (``aux_activity``, ``aux_bkg_sys``, ``aux_sig_sys``) are the centres of the
  pull terms. They are 1, 0, 0 for the real data; toys fluctuate them (see :mod:`exonu.stats.toys`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ..errors import InputError
from .compiled import CompiledModel
from .layout import ParameterLayout
from .validate import as_array, require_finite, require_nonnegative

__all__ = ["BIN_STATISTICS", "SIGNAL_SYS_RESPONSES", "BinnedModel"]

#: what ``BinnedModel.bin_statistic`` may name per bin (the statistics of :mod:`exonu.stats.statistic`)
BIN_STATISTICS = ("chi2", "poisson")
#: how a signal systematic may scale the signal (``BinnedModel.signal_sys_response``)
SIGNAL_SYS_RESPONSES = ("linear", "lognormal")


class NuisanceArrays(Protocol):
    """Anything with fitted nuisance arrays ``p``, ``q``, ``r`` (the ``pulls`` of :meth:`BinnedModel.asimov`).

    A :class:`~exonu.stats.fitting.FitResult` or a :class:`~exonu.stats.profiles.ProfileResult`.
    """

    @property
    def p(self) -> np.ndarray: ...

    @property
    def q(self) -> np.ndarray: ...

    @property
    def r(self) -> np.ndarray: ...


#: the ``pulls`` argument of :meth:`BinnedModel.asimov`: a mapping with keys "p", "q", "r" or a fit/profile result
Pulls = Mapping[str, npt.ArrayLike] | NuisanceArrays


def _names(value: Sequence[str] | None, n: int, name: str, prefix: str) -> tuple[str, ...]:
    if value is None:
        return tuple(f"{prefix}{i}" for i in range(n))
    if isinstance(value, str):
        raise InputError(f"{name} must be a sequence of strings, not a single string")
    names = tuple(value)
    if len(names) != n:
        raise InputError(f"{name} must have {n} entries (one per row of the matching array); got {len(names)}")
    if not all(isinstance(s, str) and s for s in names):
        raise InputError(f"{name} must contain non-empty strings; got {names!r}")
    if len(set(names)) != n:
        raise InputError(f"{name} must be unique; got {names!r}")
    return names


@dataclass(frozen=True, eq=False)
class BinnedModel:
    """Counts, templates and systematics of one binned spectrum fit (unitless).

    Parameters
    ----------
    data : array_like, shape (n_bins,)
        Observed counts D_i. Non-negative and finite; need not be integer (Asimov data).
    background_templates : array_like, shape (n_components, n_bins)
        Expected counts B_ij of each background component at its nominal activity (p_j = 1).
        ``n_components`` may be 0.
    activity_sigma : array_like, shape (n_components,)
        Relative uncertainty σ(B_RI)_j of each component's normalisation p_j. ``np.inf`` leaves p_j
        free (no pull term); ``0`` fixes p_j = 1.
    signal_templates : array_like, shape (n_terms, n_bins) or (n_bins,)
        Templates T_mi of the signal S⁰_i(α) = Σ_m α^{power_m} T_mi. Entries may be negative
        (destructive interference).
    signal_powers : array_like, shape (n_terms,), optional
        Positive exponents of α for each term. Default: 1 for every term (linear signal).
    background_names : sequence of str, optional
        One name per component (default ``bkg0``, ``bkg1``, …).
    background_shape_sys : array_like, shape (n_bkg_sys, n_components, n_bins), optional
        σ(B_sys)_ijk as ABSOLUTE count shifts per 1σ of q_k. Default: no background systematics.
    background_sys_names : sequence of str, optional
        One name per background systematic (default ``bsys0``, …).
    signal_shape_sys : array_like, shape (n_sig_sys, n_bins), optional
        FRACTIONAL signal shifts ε_il per 1σ of r_l; σ(S_sys)_il = ε_il S⁰_i(α).
    signal_sys_names : sequence of str, optional
        One name per signal systematic (default ``ssys0``, …).
    background_mc_stat_var : array_like, shape (n_bins,), optional
        σ²(B_stat)_i, variance of the background MC prediction (counts²). Default zeros.
    signal_mc_stat_var : array_like, shape (n_bins,), optional
        σ²(S_stat)_i per unit α² (the χ² denominator gets α² σ²(S_stat)_i). Default zeros.
    poi_name : str
        Free-text name of α, used only in summaries.
    aux_activity, aux_bkg_sys, aux_sig_sys : array_like, optional
        Centres of the pull terms (auxiliary measurements): default 1, 0, 0. Toys fluctuate them.
    bin_statistic : sequence of {"chi2", "poisson"}, optional
        The statistic of each bin, used when a fit asks for ``statistic="per-bin"`` (e.g. a joint
        fit of a detector analysed with the χ² and one with the Poisson likelihood). Default None:
        every bin takes the statistic the fit asks for.
    signal_sys_response : sequence of {"linear", "lognormal"}, optional
        How each signal systematic scales the signal: ``"linear"`` (default, paper Eq. 6), the factor
        1 + r_l ε_il; ``"lognormal"``, the factor (1 + ε_il)^{r_l}, equal to the linear one at r_l = 0
        and +1, positive for every r_l (a large negative pull cannot remove the signal;
        docs/physics.md §18.4). The factors of all systematics multiply.

    Notes
    -----
    The object is immutable; :meth:`with_data` and :meth:`with_aux` return modified copies.
    """

    data: Any
    background_templates: Any
    activity_sigma: Any
    signal_templates: Any
    signal_powers: Any = None
    background_names: Sequence[str] | None = None
    background_shape_sys: Any = None
    background_sys_names: Sequence[str] | None = None
    signal_shape_sys: Any = None
    signal_sys_names: Sequence[str] | None = None
    background_mc_stat_var: Any = None
    signal_mc_stat_var: Any = None
    poi_name: str = "alpha"
    aux_activity: Any = None
    aux_bkg_sys: Any = None
    aux_sig_sys: Any = None
    bin_statistic: Sequence[str] | None = None
    signal_sys_response: Sequence[str] | None = None

    def __post_init__(self) -> None:
        put: Callable[[str, object], None] = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731 (frozen)

        data = as_array(self.data, "data", 1)
        if data.size == 0:
            raise InputError("data must contain at least one bin; got an empty array")
        require_finite(data, "data")
        require_nonnegative(data, "data")
        n = data.size
        put("data", data)

        bkg = np.array(self.background_templates, dtype=float) if self.background_templates is not None else None
        if bkg is None or (bkg.size == 0 and bkg.ndim <= 1):
            bkg = np.zeros((0, n))
        bkg = as_array(bkg, "background_templates", 2)
        if bkg.shape[1] != n:
            raise InputError(f"background_templates must have shape (n_components, {n}) to match data; got {bkg.shape}")
        require_finite(bkg, "background_templates")
        require_nonnegative(bkg, "background_templates")
        n_comp = bkg.shape[0]
        put("background_templates", bkg)
        put("background_names", _names(self.background_names, n_comp, "background_names", "bkg"))

        sig_act = np.array(self.activity_sigma, dtype=float) if self.activity_sigma is not None else np.zeros(0)
        sig_act = as_array(np.atleast_1d(sig_act) if sig_act.ndim == 0 else sig_act, "activity_sigma", 1, (n_comp,))
        if np.any(np.isnan(sig_act)):
            raise InputError("activity_sigma must not contain NaN (use np.inf for a free component)")
        require_nonnegative(sig_act, "activity_sigma")
        put("activity_sigma", sig_act)

        tmpl = np.array(self.signal_templates, dtype=float)
        if tmpl.ndim == 1:
            tmpl = tmpl[None, :]
        tmpl = as_array(tmpl, "signal_templates", 2)
        if tmpl.shape[0] < 1 or tmpl.shape[1] != n:
            raise InputError(f"signal_templates must have shape (n_terms >= 1, {n}); got {tmpl.shape}")
        require_finite(tmpl, "signal_templates")
        put("signal_templates", tmpl)
        n_terms = tmpl.shape[0]

        powers = np.ones(n_terms) if self.signal_powers is None else np.atleast_1d(self.signal_powers)
        powers = as_array(powers, "signal_powers", 1, (n_terms,))
        require_finite(powers, "signal_powers")
        if np.any(powers <= 0):
            raise InputError(f"signal_powers must be > 0 (an α-independent term is background); got {powers}")
        put("signal_powers", powers)

        bsys = self.background_shape_sys
        bsys = np.zeros((0, n_comp, n)) if bsys is None else np.array(bsys, dtype=float)
        if bsys.size == 0 and bsys.ndim != 3:
            bsys = np.zeros((0, n_comp, n))
        bsys = as_array(bsys, "background_shape_sys", 3)
        if bsys.shape[1:] != (n_comp, n):
            raise InputError(f"background_shape_sys must have shape (n_bkg_sys, {n_comp}, {n}); got {bsys.shape}")
        require_finite(bsys, "background_shape_sys")
        put("background_shape_sys", bsys)
        put("background_sys_names", _names(self.background_sys_names, bsys.shape[0], "background_sys_names", "bsys"))

        ssys = self.signal_shape_sys
        ssys = np.zeros((0, n)) if ssys is None else np.array(ssys, dtype=float)
        if ssys.size == 0 and ssys.ndim != 2:
            ssys = np.zeros((0, n))
        ssys = as_array(ssys, "signal_shape_sys", 2)
        if ssys.shape[1] != n:
            raise InputError(f"signal_shape_sys must have shape (n_sig_sys, {n}); got {ssys.shape}")
        require_finite(ssys, "signal_shape_sys")
        put("signal_shape_sys", ssys)
        put("signal_sys_names", _names(self.signal_sys_names, ssys.shape[0], "signal_sys_names", "ssys"))
        responses = self.signal_sys_response
        responses = ("linear",) * ssys.shape[0] if responses is None else responses
        if isinstance(responses, str) or len(responses) != ssys.shape[0]:
            raise InputError(f"signal_sys_response must be a sequence of {ssys.shape[0]} entries (one per systematic)")
        responses = tuple(responses)
        if any(r not in SIGNAL_SYS_RESPONSES for r in responses):
            raise InputError(f"signal_sys_response entries must be one of {SIGNAL_SYS_RESPONSES}; got {responses}")
        lognormal = np.array([r == "lognormal" for r in responses], dtype=bool)
        if np.any(ssys[lognormal] <= -1.0):
            raise InputError("a log-normal signal systematic needs ε > −1 in every bin (the factor (1 + ε)^r)")
        put("signal_sys_response", responses)

        for name in ("background_mc_stat_var", "signal_mc_stat_var"):
            value = getattr(self, name)
            arr = as_array(np.zeros(n) if value is None else value, name, 1, (n,))
            require_finite(arr, name)
            require_nonnegative(arr, name)
            put(name, arr)

        for name, default in (
            ("aux_activity", np.ones(n_comp)),
            ("aux_bkg_sys", np.zeros(bsys.shape[0])),
            ("aux_sig_sys", np.zeros(ssys.shape[0])),
        ):
            value = getattr(self, name)
            arr = as_array(default if value is None else value, name, 1, default.shape)
            require_finite(arr, name)
            put(name, arr)

        if self.bin_statistic is not None:
            if isinstance(self.bin_statistic, str):
                raise InputError("bin_statistic must be a sequence with one entry per bin, not a single string")
            per_bin = tuple(self.bin_statistic)
            if len(per_bin) != n or any(s not in BIN_STATISTICS for s in per_bin):
                bad = [s for s in per_bin if s not in BIN_STATISTICS][:1]
                raise InputError(
                    f"bin_statistic must have {n} entries, each one of {BIN_STATISTICS}; got "
                    f"{len(per_bin)} entries" + (f" including {bad[0]!r}" if bad else "")
                )
            put("bin_statistic", per_bin)

        if not isinstance(self.poi_name, str) or not self.poi_name:
            raise InputError(f"poi_name must be a non-empty string; got {self.poi_name!r}")

    # ------------------------------------------------------------------ sizes and masks
    @property
    def n_bins(self) -> int:
        return int(self.data.size)

    @property
    def n_components(self) -> int:
        return int(self.background_templates.shape[0])

    @property
    def n_bkg_sys(self) -> int:
        return int(self.background_shape_sys.shape[0])

    @property
    def n_sig_sys(self) -> int:
        return int(self.signal_shape_sys.shape[0])

    @property
    def constrained(self) -> np.ndarray:
        """Mask of components whose activity has a pull term (0 < σ < ∞)."""
        return np.asarray(np.isfinite(self.activity_sigma) & (self.activity_sigma > 0), dtype=bool)

    @property
    def unconstrained(self) -> np.ndarray:
        """Mask of components with a free, unpulled activity (σ = ∞)."""
        return np.asarray(np.isinf(self.activity_sigma), dtype=bool)

    @property
    def fixed(self) -> np.ndarray:
        """Mask of components fixed at their nominal activity (σ = 0)."""
        return np.asarray(self.activity_sigma == 0, dtype=bool)

    @property
    def is_linear(self) -> bool:
        """True if S(α) = α S⁰ (every term has power 1)."""
        return bool(np.all(self.signal_powers == 1.0))

    @property
    def integer_powers(self) -> bool:
        """True if every power is an integer, so that α < 0 is meaningful."""
        return bool(np.all(self.signal_powers == np.round(self.signal_powers)))

    @property
    def nuisance_names(self) -> list[str]:
        """Names of the profiled parameters, in the internal order [p (non-fixed), q, r]."""
        # __post_init__ replaces every None name list with the generated names
        assert self.background_names is not None
        assert self.background_sys_names is not None and self.signal_sys_names is not None
        comps = [n for n, f in zip(self.background_names, ~self.fixed, strict=False) if f]
        return (
            [f"p_{n}" for n in comps]
            + [f"q_{n}" for n in self.background_sys_names]
            + [f"r_{n}" for n in self.signal_sys_names]
        )

    @property
    def n_nuisances(self) -> int:
        return int(np.sum(~self.fixed)) + self.n_bkg_sys + self.n_sig_sys

    # ------------------------------------------------------------------ copies
    def with_data(self, data: npt.ArrayLike) -> BinnedModel:
        """Return a copy with new observed counts (validated like the constructor's ``data``)."""
        return replace(self, data=data)

    def with_aux(
        self,
        aux_activity: npt.ArrayLike | None = None,
        aux_bkg_sys: npt.ArrayLike | None = None,
        aux_sig_sys: npt.ArrayLike | None = None,
    ) -> BinnedModel:
        """Return a copy with new pull-term centres; ``None`` keeps the current value."""
        return replace(
            self,
            aux_activity=self.aux_activity if aux_activity is None else aux_activity,
            aux_bkg_sys=self.aux_bkg_sys if aux_bkg_sys is None else aux_bkg_sys,
            aux_sig_sys=self.aux_sig_sys if aux_sig_sys is None else aux_sig_sys,
        )

    # ------------------------------------------------------------------ predictions
    def signal(self, alpha: float) -> np.ndarray:
        """Nominal signal S⁰_i(α) = Σ_m α^{power_m} T_mi (counts per bin)."""
        alpha = check_alpha(self, alpha)
        return np.asarray(np.power(alpha, self.signal_powers) @ self.signal_templates, dtype=float)

    def expected(
        self,
        alpha: float = 0.0,
        p: npt.ArrayLike | None = None,
        q: npt.ArrayLike | None = None,
        r: npt.ArrayLike | None = None,
    ) -> np.ndarray:
        """Expected counts E_i for given α and nuisances (defaults: p = 1, q = 0, r = 0).

        ``p`` has one entry per component (fixed components must be given as 1 or left nominal).
        """
        p = np.ones(self.n_components) if p is None else as_array(p, "p", 1, (self.n_components,))
        q = np.zeros(self.n_bkg_sys) if q is None else as_array(q, "q", 1, (self.n_bkg_sys,))
        r = np.zeros(self.n_sig_sys) if r is None else as_array(r, "r", 1, (self.n_sig_sys,))
        beff = self.background_templates + np.tensordot(q, self.background_shape_sys, axes=(0, 0))
        return np.asarray(p @ beff + self.signal(alpha) * self.signal_factor(r), dtype=float)

    def signal_factor(self, r: npt.ArrayLike) -> np.ndarray:
        """The factor of the signal per bin at signal pulls ``r``: Π over systematics of 1 + r_l ε_il
        (linear) or (1 + ε_il)^{r_l} (log-normal); the linear ones add, as in paper Eq. (6)."""
        r = as_array(r, "r", 1, (self.n_sig_sys,))
        lognormal = np.array([k == "lognormal" for k in self.signal_sys_response or ()], dtype=bool)
        if not lognormal.any():
            return np.asarray(1.0 + r @ self.signal_shape_sys, dtype=float)
        linear = 1.0 + r[~lognormal] @ self.signal_shape_sys[~lognormal]
        return np.asarray(linear * np.exp(r[lognormal] @ np.log1p(self.signal_shape_sys[lognormal])), dtype=float)

    def asimov(self, alpha: float = 0.0, pulls: Pulls | None = None) -> np.ndarray:
        """Expected counts used as Asimov data.

        Parameters
        ----------
        alpha : float
            Signal strength.
        pulls : mapping or object, optional
            Nuisance values: a mapping with any of the keys ``"p"``, ``"q"``, ``"r"`` (arrays as in
            :meth:`expected`), or an object with attributes ``p``, ``q``, ``r`` (a
            :class:`~exonu.stats.fitting.FitResult` or :class:`~exonu.stats.profiles.ProfileResult`).
            ``None`` means nominal (p = 1, q = 0, r = 0).
        """
        return self.expected(alpha, *self.nuisance_values(pulls))

    def nuisance_values(self, pulls: Pulls | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Arrays (p, q, r) from a ``pulls`` argument (see :meth:`asimov`); missing parts nominal."""
        if pulls is None:
            parts: dict[str, npt.ArrayLike] = {}
        elif isinstance(pulls, Mapping):
            unknown = set(pulls) - {"p", "q", "r"}
            if unknown:
                raise InputError(f"pulls has unknown keys {sorted(unknown)}; allowed: 'p', 'q', 'r'")
            parts = dict(pulls)
        elif all(hasattr(pulls, k) for k in ("p", "q", "r")):
            parts = {"p": pulls.p, "q": pulls.q, "r": pulls.r}
        else:
            raise InputError("pulls must be a mapping with keys 'p', 'q', 'r' or a fit/profile result")
        p = as_array(parts.get("p", np.ones(self.n_components)), "pulls['p']", 1, (self.n_components,))
        q = as_array(parts.get("q", np.zeros(self.n_bkg_sys)), "pulls['q']", 1, (self.n_bkg_sys,))
        r = as_array(parts.get("r", np.zeros(self.n_sig_sys)), "pulls['r']", 1, (self.n_sig_sys,))
        for arr, name in ((p, "pulls['p']"), (q, "pulls['q']"), (r, "pulls['r']")):
            require_finite(arr, name)
        return p, q, r

    # ------------------------------------------------------------------ compiled form and layout
    @cached_property
    def compiled(self) -> CompiledModel:
        """The arrays of this model arranged for the vectorised statistic (built once, cached)."""
        return compile_model(self)

    @cached_property
    def layout(self) -> ParameterLayout:
        """Names, slices and bounds of the fit vector [u, profiled nuisances] (see :class:`ParameterLayout`)."""
        cm = self.compiled
        return ParameterLayout.from_compiled(cm, self.poi_name, self.nuisance_names, self.n_components)

    def alpha_from_fit_variable(self, u: npt.ArrayLike) -> np.ndarray:
        """α for values of the fit variable u = α^c (``FitResult.values[0]``; u = α for a linear signal).

        An array for an array ``u``; for a scalar ``u`` a 0-d array or numpy float (as numpy's power gives
        it; the annotation says ndarray), so take ``float()`` of it.
        """
        return self.compiled.u_to_alpha(u)

    def __repr__(self) -> str:
        # __post_init__ replaces every None name list with the generated names
        assert self.background_names is not None
        assert self.background_sys_names is not None and self.signal_sys_names is not None
        return (
            f"BinnedModel(n_bins={self.n_bins}, components={list(self.background_names)}, "
            f"bkg_sys={list(self.background_sys_names)}, sig_sys={list(self.signal_sys_names)}, "
            f"powers={self.signal_powers.tolist()}, poi={self.poi_name!r})"
        )


def check_alpha(model: BinnedModel, alpha: float) -> float:
    """Validate a scalar α against the model (α < 0 needs integer powers)."""
    try:
        a = float(alpha)
    except (TypeError, ValueError):
        raise InputError(f"alpha must be a real number; got {alpha!r}") from None
    if not np.isfinite(a):
        raise InputError(f"alpha must be finite; got {a}")
    if a < 0 and not model.integer_powers:
        raise InputError(
            f"alpha = {a} < 0 is undefined for signal_powers {model.signal_powers.tolist()} (non-integer powers)"
        )
    return a


def compile_model(m: BinnedModel) -> CompiledModel:
    """The arrays of ``m`` arranged for the vectorised objective (see :class:`~exonu.stats.compiled.CompiledModel`)."""
    free = np.flatnonzero(~m.fixed)
    sig_p = m.activity_sigma[free]
    w_p = np.where(np.isinf(sig_p), 0.0, 1.0 / np.where(np.isinf(sig_p), 1.0, sig_p) ** 2)
    n_q, n_r = m.n_bkg_sys, m.n_sig_sys
    pull_weight = np.concatenate([w_p, np.ones(n_q), np.ones(n_r)])
    pull_sigma = np.concatenate([sig_p, np.ones(n_q), np.ones(n_r)])
    centres = np.concatenate([m.aux_activity[free], m.aux_bkg_sys, m.aux_sig_sys])
    nominal = np.concatenate([np.ones(free.size), np.zeros(n_q + n_r)])
    bounded = np.concatenate([np.ones(free.size, bool), np.zeros(n_q + n_r, bool)])
    c = float(min(1.0, m.signal_powers.min()))
    n, n_j = m.n_bins, m.n_components
    bsys_jkn = np.ascontiguousarray(m.background_shape_sys.transpose(1, 0, 2))  # (J, K, n)
    return CompiledModel(
        n_bins=m.n_bins,
        bkg=m.background_templates,
        bsys=m.background_shape_sys,
        ssys=m.signal_shape_sys,
        templates=m.signal_templates,
        exponents=m.signal_powers / c,
        c=c,
        var_bkg=m.background_mc_stat_var,
        var_sig=m.signal_mc_stat_var,
        free=free,
        n_comp=m.n_components,
        n_p=free.size,
        n_q=n_q,
        n_r=n_r,
        pull_weight=pull_weight,
        pull_sigma=pull_sigma,
        centres=centres,
        nominal=nominal,
        bounded=bounded,
        allow_negative_u=m.integer_powers and c == 1.0,
        bsys_pq=bsys_jkn.reshape(n_j * n_q, n),
        bsys_jk=bsys_jkn.reshape(n_j, n_q * n),
        bsys_free_flat=np.ascontiguousarray(m.background_shape_sys[:, free, :]).reshape(n_q, free.size * n),
        bkg_free_flat=np.ascontiguousarray(m.background_templates[free]).reshape(free.size * n),
        bsys_free_t=np.ascontiguousarray(bsys_jkn[free].reshape(free.size * n_q, n).T),
        linear=bool(np.all(m.signal_powers / c == 1.0)),
        template_sum=m.signal_templates.sum(axis=0),
        poisson_bins=None if m.bin_statistic is None else np.array([s == "poisson" for s in m.bin_statistic]),
        **lognormal_arrays(m),
    )


def lognormal_arrays(m: BinnedModel) -> dict[str, np.ndarray]:
    """``ssys_lin`` (ε of the linear systematics, 0 elsewhere) and ``skappa`` (ln(1 + ε) of the
    log-normal ones, 0 elsewhere), or nothing when every signal systematic is linear."""
    lognormal = np.array([k == "lognormal" for k in m.signal_sys_response or ()], dtype=bool)
    if not lognormal.any():
        return {}
    eps = m.signal_shape_sys
    return {
        "ssys_lin": np.where(lognormal[:, None], 0.0, eps),
        "skappa": np.where(lognormal[:, None], np.log1p(np.where(lognormal[:, None], eps, 0.0)), 0.0),
    }
