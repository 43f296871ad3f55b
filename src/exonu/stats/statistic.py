"""The fit statistic of the XMASS-I paper (arXiv:2005.11891, Eqs. 4–7) and its Poisson variant.

χ² statistic (``statistic="chi2"``), exactly Eqs. (4)–(7)::

    χ² = Σ_i (D_i − E_i)² / (D_i + σ²(B_stat)_i + α² σ²(S_stat)_i)
         + Σ_j (aux_j − p_j)²/σ²(B_RI)_j + Σ_k (q_k − aux_k)² + Σ_l (r_l − aux_l)²

with E_i from :class:`~exonu.stats.model.BinnedModel` and aux = (1, 0, 0) for real data.

*Empty-bin floor.* Where D_i + σ²(B_stat)_i = 0 (an empty bin with no background-MC variance) the
denominator would vanish and the bin would get infinite weight. We replace that α-independent part by
1 count: it keeps the χ² finite and continuous in α, it only touches bins whose Gaussian
approximation is meaningless anyway, and it is irrelevant for the paper's spectrum (hundreds of
counts per bin). For sparse data use the Poisson statistic instead.

Poisson statistic (``statistic="poisson"``)::

    −2 ln(L/L_sat) = 2 Σ_i [E_i − D_i + D_i ln(D_i/E_i)] + (same pull terms)

It requires E_i > 0 wherever D_i > 0 and E_i ≥ 0 everywhere; elsewhere it is +∞. The MC-statistics
variances are not used by the Poisson statistic (that would need a Barlow–Beeston treatment).

Per-bin statistic (``statistic="per-bin"``): each bin takes the statistic its model names in
``BinnedModel.bin_statistic`` (the χ² term or the Poisson term above, the pull terms once), so a
joint fit can combine a detector analysed with the paper's χ² and one with the Poisson likelihood.
Both terms are χ²-like (−2 ln L up to a constant), so their sum is one statistic with errordef 1.

The three are :class:`Statistic` objects (value, and the derivative and Newton weight per bin);
:func:`statistic_for` turns the name into one for a compiled model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.special import xlogy

from ..errors import InputError
from .compiled import CompiledModel

__all__ = ["PER_BIN", "STATISTICS", "Chi2", "PerBin", "Poisson", "Statistic", "check_statistic", "statistic_for"]

#: the two fit statistics; both are "χ²-like" (errordef 1, Δ = 1 at one standard deviation)
STATISTICS = ("chi2", "poisson")


#: the name of the per-bin statistic (each bin as ``BinnedModel.bin_statistic`` says)
PER_BIN = "per-bin"


def check_statistic(statistic: str) -> str:
    """``statistic`` must be "chi2", "poisson" or "per-bin" (the last needs a model with ``bin_statistic``)."""
    if statistic not in (*STATISTICS, PER_BIN):
        raise InputError(f"statistic must be one of {(*STATISTICS, PER_BIN)}; got {statistic!r}")
    return statistic


class Statistic(Protocol):
    """The data term of a fit statistic, per data set and bin (the pull terms are added apart).

    ``data``, ``den`` (the χ² denominator) and ``e`` (the expectation) are (N, n) arrays.
    """

    @property
    def name(self) -> str:
        """The statistic's name ("chi2", "poisson", "per-bin"); read-only (implementations are frozen)."""
        ...

    def value(self, data: np.ndarray, den: np.ndarray, e: np.ndarray) -> np.ndarray:
        """Σ over bins, shape (N,); +∞ where the expectation is infeasible for the statistic."""

    def derivatives(self, data: np.ndarray, den: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """∂(statistic)/∂E_i and the Gauss–Newton weight W_i (½ ∂²/∂E_i²), each (N, n)."""

    def chi2_bins(self) -> np.ndarray | bool:
        """Bins whose denominator (and so whose α-dependent signal MC variance) enters: bool or (n,) mask."""


class Chi2:
    """The paper's χ² (arXiv:2005.11891 Eq. 4): Σ (D − E)²/den."""

    name = "chi2"

    def value(self, data: np.ndarray, den: np.ndarray, e: np.ndarray) -> np.ndarray:
        return np.asarray(np.sum((data - e) ** 2 / den, axis=1), dtype=float)

    def derivatives(self, data: np.ndarray, den: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w = 1.0 / den
        return -2.0 * (data - e) * w, w

    def chi2_bins(self) -> bool:
        return True


class Poisson:
    """−2 ln(L/L_saturated) of Poisson counts: 2 Σ [E − D + D ln(D/E)]."""

    name = "poisson"

    def value(self, data: np.ndarray, den: np.ndarray, e: np.ndarray) -> np.ndarray:
        if e.size and e.min() > 0:  # the common case, without the masks (same numbers)
            return np.asarray(2.0 * np.sum(e - data + xlogy(data, data / e), axis=1), dtype=float)
        bad = np.any((e < 0) | ((e <= 0) & (data > 0)), axis=1)
        e_safe = np.where(e > 0, e, 1.0)
        f = 2.0 * np.sum(e - data + xlogy(data, data / e_safe), axis=1)
        return np.where(bad, np.inf, f)

    def derivatives(self, data: np.ndarray, den: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        e_safe = e if e.size and e.min() > 0 else np.where(e > 0, e, 1.0)
        return 2.0 * (1.0 - data / e_safe), data / e_safe**2

    def chi2_bins(self) -> bool:
        return False


@dataclass(frozen=True)
class PerBin:
    """The χ² term in some bins and the Poisson term in the others (``poisson`` marks the latter)."""

    poisson: np.ndarray  # (n,) bool
    name: str = PER_BIN

    def value(self, data: np.ndarray, den: np.ndarray, e: np.ndarray) -> np.ndarray:
        p = self.poisson
        bad = np.any(p & ((e < 0) | ((e <= 0) & (data > 0))), axis=1)
        e_safe = np.where(e > 0, e, 1.0)
        terms = np.where(p, 2.0 * (e - data + xlogy(data, data / e_safe)), (data - e) ** 2 / den)
        return np.where(bad, np.inf, np.sum(terms, axis=1))

    def derivatives(self, data: np.ndarray, den: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        e_safe = np.where(e > 0, e, 1.0)
        dfde = np.where(self.poisson, 2.0 * (1.0 - data / e_safe), -2.0 * (data - e) / den)
        w = np.where(self.poisson, data / e_safe**2, 1.0 / den)
        return dfde, w

    def chi2_bins(self) -> np.ndarray:
        return ~self.poisson


_CHI2, _POISSON = Chi2(), Poisson()


def statistic_for(cm: CompiledModel, statistic: str) -> Statistic:
    """The :class:`Statistic` named ``statistic`` for compiled model ``cm``."""
    if statistic == "chi2":
        return _CHI2
    if statistic == "poisson":
        return _POISSON
    if statistic == PER_BIN:
        if cm.poisson_bins is None:
            raise InputError('statistic "per-bin" needs a model with bin_statistic (one "chi2" or "poisson" per bin)')
        return PerBin(cm.poisson_bins)
    raise InputError(f"statistic must be one of {(*STATISTICS, PER_BIN)}; got {statistic!r}")
