"""Goodness of fit: the saturated-model statistic of a fit, its degrees of freedom and p-value.

Both fit statistics are already measured against the saturated model (E_i = D_i, every pull at its
centre), whose statistic is 0:

* Poisson: the deviance −2 ln(L/L_sat) = 2 Σ_i [E_i − D_i + D_i ln(D_i/E_i)] (Baker & Cousins,
  NIM 221 (1984) 437, Eq. 10);
* χ²: Σ_i (D_i − E_i)²/den_i with the paper's denominator den_i = D_i + σ²(B_stat)_i + α² σ²(S_stat)_i
  (arXiv:2005.11891 Eq. 4; an empty bin with no MC variance gets den_i = 1 count, as in the fit).

So the goodness-of-fit statistic is the fit's own minimum: Σ of the per-bin terms at the best-fit
expectation plus the pull terms Σ pull². Asymptotically (Wilks) it follows χ²(ndof) with
ndof = n_bins − n_free, where n_free counts the parameters without a pull term (the signal strength
and free normalisations): a pulled parameter brings its own auxiliary measurement with it. The
p-value is P(χ²_ndof ≥ statistic). For sparse bins (a few counts) the asymptotic p-value is only
indicative.

This module is pure arithmetic on counts and expectations (numpy/scipy only).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.special import chdtrc, xlogy

from ..errors import InputError

__all__ = ["POOR_FIT_P_VALUE", "GoodnessOfFit", "WindowGoodness", "goodness_of_fit", "saturated_terms"]

#: p-values below this are reported as a poor fit
POOR_FIT_P_VALUE = 0.01


@dataclass(frozen=True)
class WindowGoodness:
    """The goodness of fit of one group of bins (a window or a detector).

    Attributes
    ----------
    statistic : float
        Σ of the saturated per-bin terms over the group's bins (no pull terms).
    ndof : int
        Bins of the group minus the free parameters acting on these bins only.
    p_value : float
        P(χ²_ndof ≥ statistic); NaN when ndof ≤ 0.
    n_bins : int
    """

    statistic: float
    ndof: int
    p_value: float
    n_bins: int


@dataclass(frozen=True)
class GoodnessOfFit:
    """The goodness of fit of a whole fit (see the module docstring).

    Attributes
    ----------
    statistic : float
        Saturated-model statistic: the data terms plus the pull terms.
    ndof : int
        n_bins − n_free.
    p_value : float
        P(χ²_ndof ≥ statistic); NaN when ndof ≤ 0.
    statistic_name : str
        ``"chi2"``, ``"poisson"`` or ``"per-bin"``.
    pull_terms : float
        The part of ``statistic`` from the pull terms.
    per_window : dict of str to WindowGoodness
    """

    statistic: float
    ndof: int
    p_value: float
    statistic_name: str
    pull_terms: float
    per_window: dict[str, WindowGoodness] = field(default_factory=dict)

    @property
    def poor(self) -> bool:
        """True when the p-value is below :data:`POOR_FIT_P_VALUE`."""
        return bool(np.isfinite(self.p_value) and self.p_value < POOR_FIT_P_VALUE)


def _p_value(statistic: float, ndof: int) -> float:
    if ndof <= 0 or not np.isfinite(statistic):
        return float("nan")
    # scipy.stats.chi2.sf is chdtrc (1 below the support); scipy.stats costs ~1 s to import
    return float(chdtrc(ndof, max(statistic, 0.0)))


def saturated_terms(
    observed: npt.ArrayLike,
    expected: npt.ArrayLike,
    statistic: str | Sequence[str],
    variance: npt.ArrayLike | None = None,
) -> np.ndarray:
    """Per-bin terms of the saturated-model statistic (each ≥ 0, 0 where E_i = D_i).

    Parameters
    ----------
    observed, expected : array_like, shape (n,)
        Counts D_i and the fit's expectation E_i.
    statistic : "chi2", "poisson" or a sequence of them (one per bin)
    variance : array_like, shape (n,), optional
        The χ² denominator D_i + σ²(B_stat)_i + α² σ²(S_stat)_i (default D_i); entries ≤ 0 are taken as 1
        count, as in the fit. Ignored by Poisson bins.

    Returns
    -------
    ndarray, shape (n,)
        +inf in a Poisson bin with E_i ≤ 0 < D_i or E_i < 0.
    """
    d = np.asarray(observed, dtype=float)
    e = np.asarray(expected, dtype=float)
    if d.ndim != 1 or e.shape != d.shape:
        raise InputError(f"observed and expected must be 1-D of the same length; got {d.shape} and {e.shape}")
    names = np.full(d.shape, statistic, dtype=object) if isinstance(statistic, str) else np.asarray(statistic)
    if names.shape != d.shape or not set(names.tolist()) <= {"chi2", "poisson"}:
        raise InputError(f"statistic must be 'chi2' or 'poisson' (or one of them per bin); got {statistic!r}")
    den = d.copy() if variance is None else np.asarray(variance, dtype=float)
    if den.shape != d.shape:
        raise InputError(f"variance must have the shape of observed {d.shape}; got {den.shape}")
    den = np.where(den > 0, den, 1.0)
    poisson = names == "poisson"
    e_safe = np.where(e > 0, e, 1.0)
    dev = 2.0 * (e - d + xlogy(d, d / e_safe))
    dev = np.where((e < 0) | ((e <= 0) & (d > 0)), np.inf, dev)
    return np.asarray(np.where(poisson, dev, (d - e) ** 2 / den), dtype=float)


def goodness_of_fit(
    observed: npt.ArrayLike,
    expected: npt.ArrayLike,
    statistic: str | Sequence[str],
    *,
    n_free: int,
    variance: npt.ArrayLike | None = None,
    pulls: npt.ArrayLike = (),
    windows: Mapping[str, tuple[slice, int]] | None = None,
) -> GoodnessOfFit:
    """The saturated-model goodness of fit of a best fit.

    Parameters
    ----------
    observed, expected, statistic, variance
        As in :func:`saturated_terms` (the expectation at the best fit).
    n_free : int
        Fitted parameters without a pull term (signal strength, free normalisations).
    pulls : array_like
        (θ̂ − θ₀)/σ of every pulled parameter; their squares are the pull terms.
    windows : mapping name → (bins, n_free_local), optional
        Groups of bins reported apart (``per_window``): their slice and the free parameters acting on
        those bins only.

    Returns
    -------
    GoodnessOfFit
    """
    if not isinstance(n_free, (int, np.integer)) or n_free < 0:
        raise InputError(f"n_free must be an integer ≥ 0; got {n_free!r}")
    terms = saturated_terms(observed, expected, statistic, variance)
    pull_terms = float(np.sum(np.square(np.asarray(pulls, dtype=float))))
    total = float(np.sum(terms)) + pull_terms
    ndof = int(terms.size - n_free)
    per_window: dict[str, WindowGoodness] = {}
    for name, (bins, n_local) in (windows or {}).items():
        part = terms[bins]
        w_ndof = int(part.size - n_local)
        w_stat = float(np.sum(part))
        per_window[name] = WindowGoodness(w_stat, w_ndof, _p_value(w_stat, w_ndof), int(part.size))
    if isinstance(statistic, str):
        name = statistic
    else:
        kinds = set(np.asarray(statistic).tolist())
        name = kinds.pop() if len(kinds) == 1 else "per-bin"
    return GoodnessOfFit(total, ndof, _p_value(total, ndof), name, pull_terms, per_window)
