"""Exact Feldman–Cousins intervals for one Poisson count with a known background.

Feldman & Cousins, PRD 57 (1998) 3873, §IV.B: n ~ Poisson(μ + b) with the signal mean μ ≥ 0 (counts)
and a known background mean b. At each μ the acceptance set A(μ) collects the counts n in decreasing
order of the likelihood ratio

    R(n | μ) = P(n | μ + b) / P(n | μ_best + b),   μ_best = max(0, n − b),

until their summed probability is ≥ CL; the confidence interval of an observed n is the set of μ whose
A(μ) contains n. In terms of t = −2 ln R (the two-sided t̃ of arXiv:1007.1727 Eq. 11 for this model)

    t(x, μ) = 2 [(μ + b) − (μ_best + b) + x ln((μ_best + b) / (μ + b))],

n ∈ A(μ) exactly when t(n, μ) ≤ c(μ), the largest t in A(μ) (ties between two counts have measure
zero in μ). The same test t(x, μ) ≤ c(μ) gives the interval of a non-integer x (an Asimov data set).

The interval is found on a fine grid of μ and its ends are refined by bisection on the acceptance
test, to a relative 1e-9. It is reported as [first, last] accepted μ (the union of the accepted
points; for the Poisson counts of FC98's tables it has no gaps).

:func:`single_poisson_count` recognises a :class:`~exonu.stats.model.BinnedModel` of this kind (one
bin, Poisson statistic, every background component fixed, no shape systematics, a signal that grows
with α) so that :func:`~exonu.stats.limits.fc.fc_interval` can use the exact construction instead
of a toy belt. Only numpy and scipy are needed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import xlogy

from ..errors import InputError

if TYPE_CHECKING:
    from .model import BinnedModel

__all__ = [
    "PoissonCount",
    "exact_fc_belt",
    "exact_fc_limits",
    "fc_critical_value",
    "fc_ordering_statistic",
    "fc_poisson_interval",
    "single_poisson_count",
]

#: μ steps of the grid on which the interval is first located (its ends are then bisected)
GRID_STEPS = 4000
#: relative precision of the bisected ends
END_RTOL = 1e-9
#: slack of the comparison t(x, μ) ≤ c(μ): the last accepted count has t = c up to rounding
T_SLACK = 1e-9


def fc_ordering_statistic(x: ArrayLike, mu: ArrayLike, background: float) -> np.ndarray:
    """t = −2 ln R of FC98's likelihood-ratio ordering (broadcast over ``x`` and ``mu``; counts)."""
    x = np.asarray(x, dtype=float)
    mu = np.asarray(mu, dtype=float)
    lam = mu + background
    lam_best = np.maximum(x - background, 0.0) + background
    with np.errstate(divide="ignore", invalid="ignore"):
        t = 2.0 * (lam - lam_best + xlogy(x, np.where(lam > 0, lam_best / lam, 1.0)))
    # x > 0 is impossible at λ = 0 (b = 0, μ = 0): infinitely disfavoured
    return np.asarray(np.where((lam <= 0) & (x > 0), np.inf, t), dtype=float)


def fc_critical_value(mu: ArrayLike, background: float, cl: float) -> np.ndarray:
    """c(μ): the largest t among the counts of the acceptance set A(μ) (array over ``mu``).

    A(μ) is filled in increasing t (decreasing R) until its summed probability is ≥ ``cl``.
    """
    from scipy.stats import poisson  # only here: scipy.stats costs ~1 s to import

    mu = np.atleast_1d(np.asarray(mu, dtype=float))
    n_max = int(poisson.isf(1e-15, float(mu.max()) + background)) + 10
    n = np.arange(n_max + 1, dtype=float)
    t = fc_ordering_statistic(n[None, :], mu[:, None], background)
    prob = poisson.pmf(n[None, :], mu[:, None] + background)
    order = np.argsort(t, axis=1, kind="stable")  # ties: the smaller count first
    t_sorted = np.take_along_axis(t, order, axis=1)
    summed = np.cumsum(np.take_along_axis(prob, order, axis=1), axis=1)
    last = np.argmax(summed >= cl, axis=1)
    return np.asarray(t_sorted[np.arange(mu.size), last], dtype=float)


def _accepted(x: float, mu: np.ndarray, background: float, cl: float) -> np.ndarray:
    return np.asarray(fc_ordering_statistic(x, mu, background) <= fc_critical_value(mu, background, cl) + T_SLACK)


def _bisect(x: float, inside: float, outside: float, background: float, cl: float) -> float:
    """The acceptance edge between an accepted μ (``inside``) and a rejected one (``outside``)."""
    while abs(outside - inside) > END_RTOL * max(1.0, abs(inside)):
        mid = 0.5 * (inside + outside)
        if _accepted(x, np.array([mid]), background, cl)[0]:
            inside = mid
        else:
            outside = mid
    return inside


def fc_poisson_interval(n_observed: float, background: float, cl: float = 0.9) -> tuple[float, float]:
    """The exact FC interval [μ_lower, μ_upper] of the signal mean (counts) for one observed count.

    Parameters
    ----------
    n_observed : float
        Observed count (≥ 0; a non-integer value uses the test t(x, μ) ≤ c(μ), see the module docstring).
    background : float
        Known background mean b ≥ 0 (counts).
    cl : float
        Confidence level in (0, 1).

    Examples: (n, b) = (0, 0) → [0, 2.44], (2, 0) → [0.53, 5.91] at 90 % CL (FC98 Table IV).
    """
    x, b = float(n_observed), float(background)
    if not (np.isfinite(x) and x >= 0):
        raise InputError(f"n_observed must be a finite count ≥ 0; got {n_observed!r}")
    if not (np.isfinite(b) and b >= 0):
        raise InputError(f"background must be a finite mean ≥ 0; got {background!r}")
    if not 0.0 < cl < 1.0:
        raise InputError(f"cl must lie in (0, 1); got {cl!r}")
    mu_best = max(x - b, 0.0)
    mu_max = mu_best + 5.0 + 5.0 * np.sqrt(x + 1.0)
    while True:
        grid = np.union1d(np.linspace(0.0, mu_max, GRID_STEPS + 1), [mu_best])
        ok = _accepted(x, grid, b, cl)
        if not ok[-1]:
            break
        mu_max *= 2.0  # the interval reaches the end of the grid: widen it
    first, last = int(np.argmax(ok)), int(grid.size - 1 - np.argmax(ok[::-1]))
    lower = 0.0 if first == 0 else _bisect(x, grid[first], grid[first - 1], b, cl)
    upper = _bisect(x, grid[last], grid[last + 1], b, cl)
    return lower, upper


# ------------------------------------------------------------------------------------------ models
@dataclass(frozen=True)
class PoissonCount:
    """One Poisson count with fixed nuisances: background b and signal counts Σ_m α^{p_m} T_m."""

    background: float
    templates: np.ndarray  # (M,) signal counts of each term at α = 1, all ≥ 0
    powers: np.ndarray  # (M,) > 0

    def signal_counts(self, alpha: ArrayLike) -> np.ndarray:
        """Expected signal counts at α ≥ 0."""
        a = np.maximum(np.asarray(alpha, dtype=float), 0.0)
        return np.asarray(np.sum(self.templates * np.power(a[..., None], self.powers), axis=-1), dtype=float)

    def alpha_for_signal_counts(self, mu: float) -> float:
        """α whose expected signal is ``mu`` counts (the signal grows monotonically with α ≥ 0)."""
        if mu <= 0.0:
            return 0.0
        if self.templates.size == 1:
            return float((mu / self.templates[0]) ** (1.0 / self.powers[0]))
        from scipy.optimize import brentq  # here: scipy.optimize costs ~0.25 s to import, and a fit needs none

        hi = 1.0
        while float(self.signal_counts(hi)) < mu:
            hi *= 2.0
        return float(brentq(lambda a: float(self.signal_counts(a)) - mu, 0.0, hi, xtol=1e-14 * hi, rtol=1e-12))


def single_poisson_count(model: BinnedModel, statistic: str) -> PoissonCount | None:
    """The :class:`PoissonCount` of ``model``, or None when the exact construction does not apply.

    It applies to one bin fitted with the Poisson statistic, every background component fixed
    (``activity_sigma`` = 0), no background or signal shape systematics, and signal templates ≥ 0
    with a positive sum (the signal grows with α).
    """
    per_bin_poisson = statistic == "per-bin" and tuple(model.bin_statistic or ()) == ("poisson",)
    if statistic != "poisson" and not per_bin_poisson:
        return None
    if model.n_bins != 1 or not np.all(model.fixed) or model.n_bkg_sys or model.n_sig_sys:
        return None
    templates = model.signal_templates[:, 0]
    if np.any(templates < 0) or not np.sum(templates) > 0:
        return None
    return PoissonCount(float(model.background_templates[:, 0].sum()), templates.copy(), model.signal_powers.copy())


def exact_fc_belt(model: BinnedModel, statistic: str, cl: float, seed: int) -> dict[str, Any] | None:
    """A belt dict for :func:`~exonu.stats.limits.fc.fc_interval` that computes intervals exactly.

    None when ``model`` is not a single Poisson count with fixed nuisances (see
    :func:`single_poisson_count`). The dict has the keys of a toy belt (``alpha_grid`` and the exact
    ``critical_values`` on it, for plots; ``n_toys`` = 0) and ``exact`` (the :class:`PoissonCount`);
    ``seed`` only seeds an expected band's toys.
    """
    count = single_poisson_count(model, statistic)
    if count is None:
        return None
    mu_top = fc_poisson_interval(max(float(model.data[0]), count.background), count.background, cl)[1]
    alpha_grid = np.array([count.alpha_for_signal_counts(m) for m in np.linspace(0.0, 2.0 * mu_top, 65)[1:]])
    return {
        "alpha_grid": alpha_grid,
        "critical_values": fc_critical_value(count.signal_counts(alpha_grid), count.background, cl),
        "t_toys": np.empty((alpha_grid.size, 0)),
        "cl": cl,
        "statistic": statistic,
        "n_toys": 0,
        "seed": seed,
        "exact": count,
        "calculator": "exact (Poisson enumeration)",
        "threshold": f"exact FC98 acceptance sets (summed probability ≥ {cl:.3g}) of one Poisson count",
    }


def exact_fc_limits(belt: dict[str, Any], data: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lower, upper, ok) in α of each data set (rows of ``data``, one bin) from an :func:`exact_fc_belt`."""
    count: PoissonCount = belt["exact"]
    counts = np.asarray(data, dtype=float).reshape(-1)
    values, index = np.unique(counts, return_inverse=True)  # toys repeat counts: one interval per value
    lower, upper = np.empty(values.size), np.empty(values.size)
    for i, x in enumerate(values):
        lo, hi = fc_poisson_interval(x, count.background, belt["cl"])
        lower[i], upper[i] = count.alpha_for_signal_counts(lo), count.alpha_for_signal_counts(hi)
    return lower[index], upper[index], np.ones(counts.size, dtype=bool)
