"""Calculators: p-values of a test statistic, asymptotic or from toys, apart from any model.

These functions see only numbers of the test statistic; what is asked of them (an upper limit, an
interval, a band) is in :mod:`exonu.stats.limits` (one module per method).

Asymptotic formulas (Cowan, Cranmer, Gross, Vitells, arXiv:1007.1727, §3.7 and Eqs. 65–66 for q̃_μ)
with q_A = q̃_μ evaluated on the background-only Asimov data set, √q_A = μ/σ:

* p_{s+b} = 1 − Φ(√q̃)                          for q̃ ≤ q_A,
  1 − Φ((q̃ + q_A) / (2√q_A))                   for q̃ > q_A;
* CL_b = P(q̃ ≥ q̃_obs | b) = 1 − Φ(√q̃ − √q_A)   for q̃ ≤ q_A,
  1 − Φ((q̃ − q_A) / (2√q_A))                   for q̃ > q_A;
* CL_s = p_{s+b} / CL_b (Read, J. Phys. G 28 (2002) 2693), excluded at CL where CL_s ≤ 1 − CL.

The expected CL_s limit for a background-only experiment fluctuating by N standard deviations is
where √q_A = Φ⁻¹(1 − (1 − CL) Φ(N)) + N (arXiv:1007.1727 Eq. 89 with CL_s), median N = 0.

Toy calculators use the same ordering (larger q̃ = less compatible with the signal hypothesis):
p_{s+b} = P(q̃ ≥ q̃_obs | s+b), CL_b = P(q̃ ≥ q̃_obs | b), ties counted as "at least as extreme".
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtr
from scipy.stats import norm

from ..errors import InputError

__all__ = [
    "asymptotic_cls",
    "asymptotic_cls_band_sqrt_qa",
    "belt_critical_values",
    "belt_interval",
    "crossing",
    "toy_cls",
]


def asymptotic_cls(q_obs: ArrayLike, q_asimov: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Asymptotic (CL_s, p_{s+b}, CL_b) of the one-sided q̃_μ (arXiv:1007.1727 §3.7).

    Parameters
    ----------
    q_obs : array_like
        Observed q̃_μ (≥ 0).
    q_asimov : array_like
        q̃_μ on the background-only Asimov data set (> 0 for μ > 0).
    """
    q = np.maximum(np.asarray(q_obs, dtype=float), 0.0)
    qa = np.maximum(np.asarray(q_asimov, dtype=float), 1e-300)
    sq, sqa = np.sqrt(q), np.sqrt(qa)
    low = q <= qa
    with np.errstate(divide="ignore", invalid="ignore"):
        t_sb = np.where(low, sq, (q + qa) / (2.0 * sqa))
        t_b = np.where(low, sq - sqa, (q - qa) / (2.0 * sqa))
    # 1 − Φ(t) as scipy.stats.norm.sf computes it (ndtr(−t), the same numbers) without the
    # distribution machinery, which costs ~40 µs a call on a handful of values
    p_sb, cl_b = ndtr(-t_sb), ndtr(-t_b)
    return p_sb / cl_b, p_sb, cl_b


def asymptotic_cls_band_sqrt_qa(cl: float, n_sigma: float) -> float:
    """√q_A at which the expected CL_s limit of an N-σ background fluctuation sits.

    Φ⁻¹(1 − (1 − cl) Φ(N)) + N; 1.645 for the median at 90 % CL.
    """
    return float(norm.isf((1.0 - cl) * norm.cdf(n_sigma)) + n_sigma)


def toy_cls(q_obs: ArrayLike, q_sb_toys: ArrayLike, q_b_toys: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(CL_s, p_{s+b}, CL_b) from toy distributions of q̃ at each tested point.

    Parameters
    ----------
    q_obs : array_like, shape (G,)
    q_sb_toys, q_b_toys : array_like, shape (G, n_toys)
        q̃ of toys generated under signal + background (at each point) and background only
        (evaluated at each point). NaN (failed toys) are left out.
    """
    q_obs = np.asarray(q_obs, dtype=float)[:, None]
    q_sb, q_b = np.asarray(q_sb_toys, dtype=float), np.asarray(q_b_toys, dtype=float)
    with np.errstate(invalid="ignore"):
        p_sb = np.sum(q_sb >= q_obs, axis=1) / np.sum(np.isfinite(q_sb), axis=1)
        cl_b = np.sum(q_b >= q_obs, axis=1) / np.sum(np.isfinite(q_b), axis=1)
        cls = np.where(cl_b > 0, p_sb / np.where(cl_b > 0, cl_b, 1.0), 1.0)
    return cls, p_sb, cl_b


def crossing(x: ArrayLike, y: ArrayLike, level: float, log: bool = False) -> float | np.ndarray:
    """First x where y(x), sampled at increasing x, falls through ``level`` (linear interpolation).

    ``y`` may be (G,) or (N, G) (one curve per row; the result is then (N,)). ``log=True``
    interpolates log y (CL_s falls roughly exponentially). NaN where y never reaches the level;
    x[0] where it starts below it.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    one = y.ndim == 1
    y = np.atleast_2d(y)
    below = y <= level
    found = np.any(below, axis=1)
    k = np.argmax(below, axis=1)
    km = np.maximum(k - 1, 0)
    rows = np.arange(y.shape[0])
    y0, y1, lev = y[rows, km], y[rows, k], np.full(y.shape[0], float(level))
    if log:
        y0, y1, lev = np.log(np.maximum(y0, 1e-300)), np.log(np.maximum(y1, 1e-300)), np.log(lev)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(y0 != y1, (y0 - lev) / (y0 - y1), 0.5)
    out = np.where(k == 0, x[0], x[km] + np.clip(w, 0.0, 1.0) * (x[k] - x[km]))
    out = np.where(found, out, np.nan)
    return float(out[0]) if one else out


def belt_critical_values(t_toys: ArrayLike, cl: float) -> np.ndarray:
    """The conservative ``cl`` quantile of the toy test statistic at each point of a belt: (G, n_toys) → (G,).

    numpy's ``"higher"`` quantile is an actual toy value whose empirical CDF is ≥ ``cl``: the toys
    accepted by ``t ≤ c`` carry at least the fraction ``cl`` (FC98's "summed probability ≥ CL"). A
    linearly interpolated quantile may fall between two values of a discrete t (a Poisson count) and
    accept less than ``cl``. NaN toys (failed fits) are left out.
    """
    t_toys = np.asarray(t_toys, dtype=float)
    if t_toys.ndim != 2 or t_toys.shape[1] < 1:
        raise InputError(f"t_toys must have shape (n_points, n_toys); got {t_toys.shape}")
    return np.asarray(np.nanquantile(t_toys, cl, axis=1, method="higher"), dtype=float)


def belt_interval(
    grid: ArrayLike, t_obs: ArrayLike, critical: ArrayLike, best_fit: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interval {x : t_obs(x) ≤ c(x)} of a Neyman belt, for N data sets at once.

    The interval is the union of the accepted grid points (and of x̂, where t_obs = 0): its upper
    end lies after the LAST accepted grid point, its lower end before the FIRST one. With toy
    critical values of a discrete statistic, a point near the end may be excluded by one noisy
    quantile while its neighbours are accepted; taking the first excluded point instead biased
    Feldman–Cousins upper ends low (one Poisson count, n = 0, b = 0: 2.36 for the exact 2.436, not
    improved by more toys).

    Parameters
    ----------
    grid : array_like, shape (G,)
        Increasing values of the parameter (≥ 0) where the belt was built.
    t_obs : array_like, shape (N, G)
        Observed test statistic at each grid point.
    critical : array_like, shape (G,)
        Critical values c(x) of the belt.
    best_fit : array_like, shape (N,)
        Best fit x̂ ≥ 0 of each data set (t_obs = 0 there).

    Returns
    -------
    lower, upper : ndarray (N,)
        The ends, linearly interpolated in t_obs − c between the last accepted point (or x̂) and
        the next grid point (upper), or between the previous grid point and the first accepted
        point (or x̂) (lower). ``lower`` is 0 when the first grid point is accepted or x̂ lies
        below it.
    ok : ndarray of bool (N,)
        False where the last grid point is accepted (the upper end lies beyond the grid) or a
        t_obs is not finite.
    """
    x = np.asarray(grid, dtype=float)
    t = np.atleast_2d(np.asarray(t_obs, dtype=float))
    c = np.asarray(critical, dtype=float)
    x_hat = np.maximum(np.asarray(best_fit, dtype=float), 0.0)
    diff = t - c[None, :]
    g, rows = x.size, np.arange(t.shape[0])
    accepted = diff <= 0  # NaN (a failed profile) is not accepted
    above = x[None, :] > x_hat[:, None]
    # upper: from the last accepted grid point above x̂ (else from x̂, where t = 0) to the next grid point
    acc_up = accepted & above
    has_up = np.any(acc_up, axis=1)
    k_last = np.where(has_up, g - 1 - np.argmax(acc_up[:, ::-1], axis=1), np.argmax(above, axis=1) - 1)
    k_next = np.minimum(k_last + 1, g - 1)
    found = np.any(above, axis=1) & (k_last < g - 1)
    x0 = np.where(has_up, x[np.maximum(k_last, 0)], x_hat)
    d0 = np.where(has_up, diff[rows, np.maximum(k_last, 0)], -c[k_next])
    d1 = diff[rows, k_next]
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(d1 > d0, -d0 / (d1 - d0), 0.5)
    upper = np.where(found, x0 + np.clip(w, 0, 1) * (x[k_next] - x0), np.nan)
    # lower: from the previous grid point to the first accepted grid point below x̂ (else to x̂)
    below = x[None, :] < x_hat[:, None]
    acc_lo = accepted & below
    has_lo = np.any(acc_lo, axis=1)
    n_below = np.sum(below, axis=1)
    k_first = np.where(has_lo, np.argmax(acc_lo, axis=1), n_below)  # n_below: x̂ itself
    k_prev = np.maximum(k_first - 1, 0)
    x1 = np.where(has_lo, x[np.minimum(k_first, g - 1)], x_hat)
    e1 = np.where(has_lo, diff[rows, np.minimum(k_first, g - 1)], -c[k_prev])
    e0 = diff[rows, k_prev]
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(e0 > e1, e0 / (e0 - e1), 0.5)
    lower = np.where(k_first > 0, x[k_prev] + np.clip(w, 0, 1) * (x1 - x[k_prev]), 0.0)
    ok = found & np.all(np.isfinite(t), axis=1)
    return lower, upper, ok
