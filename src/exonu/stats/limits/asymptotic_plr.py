"""The asymptotic profile-likelihood-ratio limit of a batch of data sets: threshold, scan and crossing.

q(α) = χ²_min(α) − min_{α' ≥ 0} χ²_min(α') for α ≥ α̂, and 0 below (α̂ clipped at 0).
Asymptotically (Wilks with the boundary, Cowan et al. arXiv:1007.1727) q(α) for the true α is
½δ₀ + ½χ²₁, so the one-sided CL limit is where q = z², z = Φ⁻¹(CL): **Δχ² = 1.642 for 90 %** (not
2.706, which is the two-sided 90 % value). For a Gaussian measurement α̂ ± σ this gives α̂ + 1.2816σ
when α̂ ≥ 0, and α̂ + √(α̂² + 1.642σ²) when the unconstrained α̂ is negative (clipping makes the
limit conservative there, never empty).

:func:`plr_batch` finds the crossings of a vectorised scan; :func:`plr_single` refines them on the
exact profile of one data set. PLR limits and intervals (:mod:`exonu.stats.limits.plr`), the
Neyman grid and the Feldman–Cousins grid are built on them.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaincinv, ndtri

from ...errors import FitError, InputError
from ..model import BinnedModel
from ..objective import FitBatch
from ..scan import DENSE_TOYS, Scan, finite_delta, refine_crossing, scan_ladder, scan_with
from ..validate import check_cl

__all__ = ["plr_batch", "plr_critical_value", "plr_single"]


def plr_critical_value(cl: float, sided: str = "one") -> float:
    """Asymptotic Δχ² threshold of a profile-likelihood-ratio limit.

    ``sided="one"``: upper limit with the α ≥ 0 boundary, z² with z = Φ⁻¹(cl) (1.642 at 90 %).
    ``sided="two"``: two-sided interval, the χ²₁ quantile at cl (2.706 at 90 %).
    """
    check_cl(cl)
    if sided == "one":
        return float(ndtri(cl) ** 2)  # scipy.stats.norm.ppf, without scipy.stats' ~1 s import
    if sided == "two":
        return float(2.0 * gammaincinv(0.5, cl))  # scipy.stats.chi2.ppf(cl, 1), likewise
    raise InputError(f"sided must be 'one' or 'two'; got {sided!r}")


def plr_batch(
    batch: FitBatch,
    crit: float,
    n_grid: int,
    lower: bool = False,
    engine: str = "ladder",
    model: BinnedModel | None = None,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, Scan]:
    """Asymptotic PLR limits from a scan (vectorised): upper (and lower) crossings of Δχ² = crit.

    ``engine="newton"`` (needs ``model``) scans with the batched Newton best fit (:func:`~exonu.stats.scan.scan_with`).
    """
    # The scan must contain the crossing itself; it aims 4 units beyond it for the spline's sake.
    cm = batch.cm
    if engine == "ladder":
        sc = scan_ladder(batch, crit + 4.0, n_grid, must_reach=crit)
    else:
        assert model is not None, "every engine but the ladder needs the model (_limits_batch passes it)"
        sc = scan_with(engine, model, batch, crit + 4.0, n_grid, must_reach=crit)
    from scipy.interpolate import CubicSpline  # here: with scipy.optimize ~0.27 s to import; a fit needs none

    n = batch.size
    s = np.linspace(0.0, 1.0, DENSE_TOYS)
    delta = CubicSpline(sc.t, finite_delta(sc.f, sc.f_min).T, axis=0)(s)  # (D, N)
    t_hat = np.clip(sc.um.u / sc.u_cut, 0.0, 1.0)
    above = (delta >= crit) & (s[:, None] > t_hat[None, :])
    k = np.argmax(above, axis=0)
    found = np.any(above, axis=0)
    k = np.clip(k, 1, s.size - 1)
    cols = np.arange(n)
    d0, d1 = delta[k - 1, cols], delta[k, cols]
    w = np.where(d1 > d0, (crit - d0) / (d1 - d0), 0.5)
    t_up = s[k - 1] + np.clip(w, 0, 1) * (s[k] - s[k - 1])
    ok = sc.ok & found
    up = np.where(found, cm.u_to_alpha(t_up * sc.u_cut), np.nan)  # no crossing in the scan: no limit
    if not lower:
        return up, None, ok, sc
    # The lower end is that of the hull of {Δχ² ≤ crit}: the first point from 0 inside the set (the set
    # need not be connected — an interference signal can have a second basin — and a crossing just
    # below t̂ would drop the part nearer 0).
    inside = (delta <= crit) & (s[:, None] <= t_hat[None, :])
    kl = np.argmax(inside, axis=0)  # inside at the dense point nearest t̂, where Δ ≈ 0
    has_low = np.any(inside, axis=0) & (kl > 0)
    kl = np.clip(kl, 1, s.size - 1)
    d0, d1 = delta[kl - 1, cols], delta[kl, cols]
    w = np.where(d0 > d1, (d0 - crit) / (d0 - d1), 0.5)
    t_lo = s[kl - 1] + np.clip(w, 0, 1) * (s[kl] - s[kl - 1])
    lo = np.where(has_low, cm.u_to_alpha(t_lo * sc.u_cut), 0.0)
    return up, lo, ok, sc


def plr_single(
    model: BinnedModel, statistic: str, cl: float, sided: str, n_grid: int
) -> tuple[float, float | None, bool, Scan, float]:
    cm = model.compiled
    batch = FitBatch.of(cm, statistic, model.data[None, :], cm.centres[None, :])
    crit = plr_critical_value(cl, sided)
    up, lo, ok, sc = plr_batch(batch, crit, n_grid, lower=(sided == "two"))
    u_grid = sc.u_cut[0] * sc.t
    f_min, u_hat = float(sc.f_min[0]), float(sc.um.u[0])
    # Refine each crossing on the exact profile between the grid points that bracket it.
    results: list[float | None] = []
    for value, is_upper in ((up[0], True), (None if lo is None else lo[0], False)):
        if value is None:
            results.append(None)
            continue
        if not is_upper and value == 0.0:
            results.append(0.0)
            continue
        u_val = float(cm.alpha_to_u(value))
        k = int(np.clip(np.searchsorted(u_grid, u_val), 1, u_grid.size - 1))
        a, b = u_grid[k - 1], u_grid[k]
        if is_upper:
            a = max(a, u_hat)
        else:
            b = min(b, u_hat)
        root = refine_crossing(batch, f_min, crit, a, b, sc.theta[0, k])
        results.append(float(cm.u_to_alpha(root)) if root is not None else float(value))
    upper, lower = results
    assert upper is not None  # the upper crossing is always refined; only the lower one may be absent
    if not np.isfinite(upper):
        raise FitError(f"no crossing of Δχ² = {crit:.4g} found above the best fit; check the model")
    return upper, lower, bool(ok[0]), sc, crit
