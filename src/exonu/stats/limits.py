"""Upper limits on the signal strength α: the paper's Bayesian χ² limit, profile-likelihood ratio
limits and intervals (asymptotic), a Neyman construction from toys, and expected limits.

Methods
-------
``"bayesian"`` (the paper's default, arXiv:2005.11891 §4): P(α) ∝ exp(−(χ²_min(α) − χ²_min)/2) on
α ≥ 0 with a flat prior in α; the limit solves ∫₀^{α_CL} P = CL. χ²_min(α) is profiled on a grid
from 0 to where it has risen ``delta_chi2_max`` (30) above its minimum; the grid is refined where P
changes fast; Δχ²(α), which is smooth and close to a parabola, is interpolated with a not-a-knot
cubic spline (exact for a parabola) and exp(−Δχ²/2) integrated on a dense grid. For a non-linear
signal the grid and the spline live in u = α^c and the flat-in-α prior enters through the Jacobian
dα/du (so the integrand stays smooth at α = 0).

``"plr"`` one-sided upper limit: q(α) = χ²_min(α) − min_{α' ≥ 0} χ²_min(α') for α ≥ α̂, and 0
below (α̂ clipped at 0). Asymptotically (Wilks with the boundary, Cowan et al. arXiv:1007.1727)
q(α) for the true α is ½δ₀ + ½χ²₁, so the one-sided CL limit is where q = z², z = Φ⁻¹(CL):
**Δχ² = 1.642 for 90 %** (not 2.706, which is the two-sided 90 % value). For a Gaussian
measurement α̂ ± σ this gives α̂ + 1.2816σ when α̂ ≥ 0, and α̂ + √(α̂² + 1.642σ²) when the
unconstrained α̂ is negative (clipping makes the limit conservative there, never empty).

``"plr-interval"``: two-sided interval {α ≥ 0 : q₂(α) ≤ χ²₁(CL)}, Δχ² = 2.706 for 90 %.

``"neyman"``: the critical value of the one-sided q(α) is taken from toys generated at each α of a
grid instead of the asymptotic 1.642 (see :func:`neyman_belt`). Exact coverage up to toy
statistics and the discreteness of Poisson counts.

Expected limits (:func:`expected_limits`): the median is the limit on background-only Asimov data
(α = 0, nuisances nominal, auxiliary values nominal); the ±1σ/±2σ band is the 16/84 and
2.5/97.5 percentiles of the limits on seeded Poisson toys at α = 0 whose auxiliary measurements
are fluctuated too (see :mod:`exonu.stats.toys`); the toys' own median is also reported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NotRequired, TypedDict

import numpy as np
from numpy.typing import ArrayLike
from scipy.integrate import cumulative_trapezoid
from scipy.interpolate import CubicSpline
from scipy.optimize import brentq
from scipy.stats import chi2 as chi2_dist
from scipy.stats import norm

from ..errors import FitError, InputError
from .compiled import CompiledModel
from .frequentist import (
    MIN_BAND_TOYS,
    cls_expected,
    cls_limits_for_problem,
    cls_upper_limit,
    default_fc_grid,
    fc_belt,
    fc_interval,
    fc_limits_for_problem,
    pcl_expected,
    pcl_upper_limit,
)
from .minimum import FitVariableMinimum, batched_newton_applies, best_fit_of_batch, minimise_fit_variable
from .model import BinnedModel
from .objective import FitBatch, fit_variable_scale
from .problem import FitProblem
from .profiles import ProfileResult, split_theta
from .progress import chunks, progress_iter
from .solver import profile_batch
from .statistic import check_statistic
from .toys import ToyEnsemble, child_seed, generate_toys, resolve_seed
from .validate import check_cl, check_n_grid, check_n_toys

__all__ = [
    "ExpectedLimits",
    "LimitResult",
    "NeymanBelt",
    "bayesian_chi2_limit",
    "expected_limits",
    "limits_for_toys",
    "neyman_belt",
    "neyman_upper_limit",
    "plr_critical_value",
    "plr_interval",
    "plr_upper_limit",
    "upper_limit",
]

METHODS = ("bayesian", "plr", "neyman", "cls", "pcl", "fc")
#: engines of the toy-limit scans: the ladder search of the best fit, or one batched Newton solve
ENGINES = ("ladder", "newton")

#: the percentiles of toy limits that make the expected band: −2σ, −1σ, median, +1σ, +2σ
BAND_PERCENTILES = {"-2sigma": 2.5, "-1sigma": 16.0, "median": 50.0, "+1sigma": 84.0, "+2sigma": 97.5}
_DENSE = 4001  # dense points for the spline integration of one data set
_DENSE_TOYS = 1001  # … and for each toy (vectorised over toys)


def plr_critical_value(cl: float, sided: str = "one") -> float:
    """Asymptotic Δχ² threshold of a profile-likelihood-ratio limit.

    ``sided="one"``: upper limit with the α ≥ 0 boundary, z² with z = Φ⁻¹(cl) (1.642 at 90 %).
    ``sided="two"``: two-sided interval, the χ²₁ quantile at cl (2.706 at 90 %).
    """
    check_cl(cl)
    if sided == "one":
        return float(norm.ppf(cl) ** 2)
    if sided == "two":
        return float(chi2_dist.ppf(cl, 1))
    raise InputError(f"sided must be 'one' or 'two'; got {sided!r}")


# ------------------------------------------------------------------------------------------ results
@dataclass(frozen=True)
class ExpectedLimits:
    """Expected (background-only) limits.

    Attributes
    ----------
    method : str
    cl : float
    statistic : str
    asimov : float
        Limit on the background-only Asimov data set: the expected (median) limit.
    band : dict
        Percentiles of the toy limits: keys "-2sigma", "-1sigma", "median", "+1sigma", "+2sigma".
    toy_limits : ndarray
        The limit of every toy (NaN where its computation failed).
    n_toys, n_failed : int
    seed : int or None
        Seed of the toys (None when no toys were run).
    fluctuate_aux : bool
    """

    method: str
    cl: float
    statistic: str
    asimov: float
    band: dict[str, float] | None
    toy_limits: np.ndarray | None
    n_toys: int
    n_failed: int
    seed: int | None
    fluctuate_aux: bool
    calculator: str = "asymptotic"
    asymptotic_band: dict[str, float] | None = None

    @property
    def toy_median(self) -> float | None:
        """Median of the toys' limits (None without toys)."""
        return None if not self.band else self.band["median"]

    @property
    def warnings(self) -> list[str]:
        """Reasons to distrust the band: too few toys, failed toys, the Asimov median outside ±1σ."""
        out: list[str] = []
        if self.band:
            if self.n_toys < MIN_BAND_TOYS:
                out.append(
                    f"only {self.n_toys} toys: the ±2σ edges rest on less than one toy each (use ≥ {MIN_BAND_TOYS})"
                )
            if self.n_failed:
                out.append(f"{self.n_failed} of {self.n_toys} toys failed and are left out of the band")
            if not (self.band["-1sigma"] <= self.asimov <= self.band["+1sigma"]):
                out.append(
                    f"the Asimov median {self.asimov:.4g} lies outside the toy ±1σ band "
                    f"[{self.band['-1sigma']:.4g}, {self.band['+1sigma']:.4g}] (toy median "
                    f"{self.band['median']:.4g}): the asymptotic approximation is poor here"
                )
        return out

    def describe(self) -> dict[str, Any]:
        """How the expected limits were made, as plain data."""
        return {
            "method": self.method,
            "cl": self.cl,
            "statistic": self.statistic,
            "calculator": self.calculator,
            "asimov_median": self.asimov,
            "toy_median": self.toy_median,
            "band": self.band,
            "asymptotic_band": self.asymptotic_band,
            "n_toys": self.n_toys,
            "n_failed": self.n_failed,
            "seed": self.seed,
            "fluctuate_aux": self.fluctuate_aux,
            "warnings": self.warnings,
        }

    def summary(self) -> str:
        s = f"expected {self.method} limit ({self.cl:.0%} CL): Asimov median {self.asimov:.4g}"
        if self.band:
            b = self.band
            s += (
                f"; toys (n={self.n_toys}, seed={self.seed}, failed={self.n_failed}): median {b['median']:.4g}, "
                f"±1σ [{b['-1sigma']:.4g}, {b['+1sigma']:.4g}], ±2σ [{b['-2sigma']:.4g}, {b['+2sigma']:.4g}]"
            )
        for w in self.warnings:
            s += f"\n  warning: {w}"
        return s

    __str__ = summary


@dataclass(frozen=True)
class LimitResult:
    """An upper limit (or interval) on α, with the curve it came from.

    Attributes
    ----------
    alpha_limit : float
        Observed upper limit on α.
    alpha_lower : float or None
        Lower end for two-sided intervals (``method="plr-interval"``), else None.
    method : str
        "bayesian", "plr", "plr-interval" or "neyman".
    cl : float
    statistic : str
    alpha_hat, chi2_min : float
        Best fit on α ≥ 0 and the statistic there.
    best_fit : ProfileResult
        Nuisances at α̂.
    alpha_grid, chi2_profile : ndarray
        The profiled curve χ²_min(α) the limit was computed from.
    posterior : ndarray or None
        Normalised P(α) (per unit α) on ``alpha_grid`` (Bayesian only).
    critical_value : float or None
        Δχ² threshold (PLR) or None.
    expected : float or None
        Expected (Asimov, background-only) limit with the same method.
    expected_band : dict or None
        Toy percentiles (see :class:`ExpectedLimits`).
    expected_detail : ExpectedLimits or None
    seed : int or None
        Seed of every random number used (toys for the band, the Neyman belt); None if none.
    converged : bool
    message : str
    details : dict
        Method-specific extras (integration cross-check, Neyman belt, …).
    """

    alpha_limit: float
    method: str
    cl: float
    statistic: str
    alpha_hat: float
    chi2_min: float
    best_fit: ProfileResult
    alpha_grid: np.ndarray
    chi2_profile: np.ndarray
    posterior: np.ndarray | None = None
    alpha_lower: float | None = None
    critical_value: float | None = None
    expected: float | None = None
    expected_band: dict[str, float] | None = None
    expected_detail: ExpectedLimits | None = None
    seed: int | None = None
    converged: bool = True
    message: str = ""
    poi_name: str = "alpha"
    details: dict[str, Any] = field(default_factory=dict)
    test_statistic: str = ""
    threshold: str | float | None = None
    sided: str = "one"
    n_toys: int = 0
    calculator: str = "asymptotic"

    @classmethod
    def from_fit(
        cls,
        model: BinnedModel,
        statistic: str,
        minimum: FitVariableMinimum,
        *,
        seed: int | None,
        expected_detail: ExpectedLimits | None = None,
        chi2_min: float | None = None,
        **fields: Any,
    ) -> LimitResult:
        """The one place a limit result is assembled (every method's function calls it).

        The best fit (α̂, χ²_min, nuisances) comes from ``minimum`` (a
        :class:`~exonu.stats.minimum.FitVariableMinimum` of the observed data, first data set),
        the expected limit and band from ``expected_detail``, the parameter name from ``model``;
        ``fields`` are the method's own (limit, grid, test statistic, threshold, …).

        Parameters
        ----------
        chi2_min : float, optional
            The minimum if a scan found one below ``minimum.f`` (default ``minimum.f[0]``).
        """
        return cls(
            statistic=statistic,
            alpha_hat=float(model.compiled.u_to_alpha(minimum.u[0])),
            chi2_min=float(minimum.f[0] if chi2_min is None else chi2_min),
            best_fit=best_profile(model, statistic, minimum, 0),
            poi_name=model.poi_name,
            seed=seed,
            expected=None if expected_detail is None else expected_detail.asimov,
            expected_band=None if expected_detail is None else expected_detail.band,
            expected_detail=expected_detail,
            **fields,
        )

    def describe(self) -> dict[str, Any]:
        """How this limit was made: method, test statistic, threshold, CL, sidedness, statistic, toys."""
        return {
            "method": self.method,
            "test_statistic": self.test_statistic,
            "threshold": self.threshold,
            "cl": self.cl,
            "sided": self.sided,
            "statistic": self.statistic,
            "calculator": self.calculator,
            "n_toys": self.n_toys,
            "seed": self.seed,
            "converged": self.converged,
        }

    def summary(self) -> str:
        name = self.poi_name
        if self.alpha_lower is not None:
            head = (
                f"{self.cl:.0%} CL interval ({self.method}): {self.alpha_lower:.4g} ≤ {name} ≤ {self.alpha_limit:.4g}"
            )
        else:
            head = f"{self.cl:.0%} CL upper limit ({self.method}, {self.statistic}): {name} < {self.alpha_limit:.4g}"
        lines = [
            head,
            f"  best fit {name} = {self.alpha_hat:.4g}, statistic = {self.chi2_min:.6g}",
            f"  test statistic: {self.test_statistic}; threshold: {self.threshold}; {self.sided}-sided; "
            f"{self.calculator}{f' ({self.n_toys} toys)' if self.n_toys else ''}",
        ]
        if self.critical_value is not None:
            lines.append(f"  critical Δχ² = {self.critical_value:.4g}")
        if self.expected is not None:
            lines.append(f"  expected (Asimov, background only): {self.expected:.4g}")
        if self.expected_detail is not None and self.expected_detail.band:
            lines.append("  " + self.expected_detail.summary())
        lines.append(f"  seed = {self.seed}; converged = {self.converged}{'; ' + self.message if self.message else ''}")
        return "\n".join(lines)

    __str__ = summary


@dataclass(frozen=True)
class NeymanBelt:
    """Critical values of the one-sided PLR statistic q(α) from toys, on a grid of α.

    Attributes
    ----------
    alpha_grid : ndarray (G,)
    critical_values : ndarray (G,)
        The ``cl`` quantile of q(α_k) over toys generated at α_k.
    q_toys : ndarray (G, n_toys)
        The toy values (NaN where a toy failed).
    cl, statistic, n_toys, seed, fluctuate_aux
    """

    alpha_grid: np.ndarray
    critical_values: np.ndarray
    q_toys: np.ndarray
    cl: float
    statistic: str
    n_toys: int
    seed: int
    fluctuate_aux: bool


# ------------------------------------------------------------------------------------------ scanning
def _profile_points(
    batch: FitBatch,
    u: np.ndarray,
    theta0: np.ndarray,
    extrapolate: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Profile every (data set, u) pair; ``u`` (N, G) and ``theta0`` (N, G, P) → f (N, G), θ, ok.

    Few data sets: one flattened batch (all α at once). Many (toys): column by column, each column
    warm-started from the previous one (``extrapolate``: linearly from the previous two, which
    saves Newton iterations on a coarse grid).
    """
    cm = batch.cm
    n, g = u.shape
    if n < 8:
        th, f, ok, _ = profile_batch(batch.repeat(g), u.ravel(), theta0.reshape(n * g, -1), newton=True)
        return f.reshape(n, g), th.reshape(n, g, -1), ok.reshape(n, g)
    f = np.empty((n, g))
    th_all = np.empty((n, g, cm.n_par))
    ok = np.empty((n, g), dtype=bool)
    start = theta0[:, 0]
    for k in range(g):
        th, f[:, k], ok[:, k], _ = profile_batch(batch, u[:, k], start, newton=True)
        th_all[:, k] = th
        start = th
        if extrapolate and 0 < k < g - 1:
            with np.errstate(invalid="ignore", divide="ignore"):
                slope = (th - th_all[:, k - 1]) / (u[:, k] - u[:, k - 1])[:, None]
            step = np.where(np.isfinite(slope), slope, 0.0) * (u[:, k + 1] - u[:, k])[:, None]
            start = th + step
            start[:, cm.bounded] = np.maximum(start[:, cm.bounded], 0.0)
    return f, th_all, ok


def _nearest_ladder_theta(um: FitVariableMinimum, u: np.ndarray) -> np.ndarray:
    """Starting nuisances for each u (N, G): the θ of the nearest ladder point."""
    lu = np.where(np.isfinite(um.ladder_u), um.ladder_u, np.inf)
    idx = np.argmin(np.abs(u[:, :, None] - lu[:, None, :]), axis=2)
    return np.take_along_axis(um.ladder_theta, idx[:, :, None], axis=1)


def _scan_range(um: FitVariableMinimum, target: float) -> tuple[np.ndarray, np.ndarray]:
    """Upper end u_cut of the scan: where χ²_min(u) − min reaches ``target`` beyond û.

    Interpolated between the ladder points that straddle the target, linearly in √Δχ² (exact for a
    parabola), with a 5 % margin.
    """
    lu, lf = um.ladder_u, um.ladder_f
    f_min = np.minimum(um.f, np.min(lf, axis=1))
    delta = lf - f_min[:, None]
    beyond = np.isfinite(lu) & (lu > um.u[:, None]) & (delta >= target)
    k2 = np.argmax(beyond, axis=1)
    has = np.any(beyond, axis=1)
    rows = np.arange(lu.shape[0])
    u2, d2 = lu[rows, k2], delta[rows, k2]
    k1 = np.maximum(k2 - 1, 0)
    u1, d1 = lu[rows, k1], delta[rows, k1]
    below_hat = u1 < um.u
    u1, d1 = np.where(below_hat, um.u, u1), np.where(below_hat, 0.0, d1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s1, s2 = np.sqrt(np.maximum(d1, 0)), np.sqrt(np.where(np.isfinite(d2), d2, 4 * target))
        frac = np.clip((np.sqrt(target) - s1) / (s2 - s1), 0.0, 1.0)
    u_cut = u1 + frac * (u2 - u1)
    u_cut = np.minimum(u1 + 1.05 * (u_cut - u1), u2)
    u_cut = np.where(np.isfinite(u_cut) & (u_cut > 0), u_cut, u2)
    return u_cut, has


@dataclass
class _Scan:
    um: FitVariableMinimum
    t: np.ndarray  # (G,) shared normalised grid in [0, 1]
    u_cut: np.ndarray  # (N,)
    f: np.ndarray  # (N, G)
    theta: np.ndarray  # (N, G, P)
    ok: np.ndarray  # (N,)
    f_min: np.ndarray  # (N,)


def _bracket_target(
    batch: FitBatch,
    um: FitVariableMinimum,
    target: float,
    rows: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    theta0: np.ndarray,
    rel_tol: float = 1e-3,
    max_iter: int = 60,
) -> np.ndarray:
    """Upper ends u (for the data sets ``rows`` of ``batch``) where the exact profile has Δχ² ≥ ``target``,
    close to the crossing.

    ``[lo, hi]`` brackets the crossing (Δχ²(lo) < target ≤ Δχ²(hi), hi may be Poisson-infeasible).
    The bracket is shrunk with the Illinois false-position method on h(u) = Δχ²(u) − target (plain
    bisection while an end is infinite) until it is ``rel_tol`` wide; the upper end is returned, so
    the scan ending there is certain to contain the crossing however steeply Δχ² rises.
    """
    f_ref = np.minimum(um.f[rows], np.min(um.ladder_f[rows], axis=1))
    lo, hi = lo.copy(), hi.copy()
    h_lo = np.full(rows.size, -target)  # only its sign and the false-position weight matter
    h_hi = np.full(rows.size, np.inf)
    theta = theta0.copy()
    side = np.zeros(rows.size, dtype=int)
    live = np.arange(rows.size)
    for _ in range(max_iter):
        live = live[(hi[live] - lo[live]) > rel_tol * hi[live]]
        if live.size == 0:
            break
        finite = np.isfinite(h_hi[live]) & np.isfinite(h_lo[live]) & (h_hi[live] > h_lo[live])
        with np.errstate(invalid="ignore", divide="ignore"):
            x_fp = lo[live] - h_lo[live] * (hi[live] - lo[live]) / (h_hi[live] - h_lo[live])
        width = hi[live] - lo[live]
        x = np.where(
            finite, np.clip(x_fp, lo[live] + 0.01 * width, hi[live] - 0.01 * width), 0.5 * (lo[live] + hi[live])
        )
        r = rows[live]
        th, f, _, _ = profile_batch(batch.rows(r), x, theta[live], newton=True)
        h = f - f_ref[live] - target
        above = ~(h < 0)  # NaN/inf (infeasible) counts as above: it is beyond the crossing
        up, dn = live[above], live[~above]
        hi[up], h_hi[up] = x[above], np.where(np.isfinite(h[above]), h[above], np.inf)
        h_lo[up] = np.where(side[up] == 1, 0.5 * h_lo[up], h_lo[up])  # Illinois: halve the stale end
        lo[dn], h_lo[dn] = x[~above], h[~above]
        h_hi[dn] = np.where(side[dn] == -1, 0.5 * h_hi[dn], h_hi[dn])
        theta[dn] = th[~above]
        side[up], side[dn] = 1, -1
    return hi


def _scan(
    batch: FitBatch,
    target: float,
    n_grid: int,
    must_reach: float | None = None,
) -> _Scan:
    """Minimise over u ≥ 0, then profile a uniform grid in u on [0, u_cut] (Δχ²(u_cut) ≈ target).

    u_cut is first interpolated between ladder points (:func:`_scan_range`). Where the profile
    rises much faster than a parabola between them, the grid can end below ``must_reach``
    (default ``target``); for those data sets the crossing of ``target`` is bracketed and solved on
    the exact profile (:func:`_bracket_target`) and the grid is profiled again.
    """
    cm = batch.cm
    um = minimise_fit_variable(batch, np.tile(cm.nominal, (batch.size, 1)), stop_delta=target)
    u_cut, has = _scan_range(um, target)
    bad = ~np.isfinite(u_cut) | (u_cut <= 0)
    if np.any(bad):  # the ladder never rose by ``target``: scan what it saw, flag the data set
        top = np.nanmax(np.where(np.isfinite(um.ladder_u), um.ladder_u, np.nan), axis=1)
        u_cut = np.where(bad, np.where(np.isfinite(top) & (top > 0), top, 1.0), u_cut)
    t = np.linspace(0.0, 1.0, n_grid)
    u = u_cut[:, None] * t[None, :]
    f, th, ok_pts = _profile_points(batch, u, _nearest_ladder_theta(um, u))
    f_min = np.minimum(um.f, np.nanmin(np.where(np.isfinite(f), f, np.inf), axis=1))
    short = has & ~bad & (f[:, -1] - f_min < (0.5 * target if must_reach is None else must_reach))
    if np.any(short):
        rows = np.flatnonzero(short)
        lu = np.where(np.isfinite(um.ladder_u[rows]), um.ladder_u[rows], np.inf)
        upper = np.min(np.where(lu > u_cut[rows, None] * (1 + 1e-12), lu, np.inf), axis=1)
        u_cut[rows] = _bracket_target(batch, um, target, rows, u_cut[rows].copy(), upper, th[rows, -1])
        u_rows = u_cut[rows, None] * t[None, :]
        f_r, th_r, ok_r = _profile_points(
            batch.rows(rows), u_rows, _nearest_ladder_theta(_take_minimum(um, rows), u_rows)
        )
        f[rows], th[rows], ok_pts[rows] = f_r, th_r, ok_r
        f_min = np.minimum(um.f, np.nanmin(np.where(np.isfinite(f), f, np.inf), axis=1))
    ok = um.converged & has & np.all(ok_pts | ~np.isfinite(f), axis=1)
    return _Scan(um, t, u_cut, f, th, ok, f_min)


def _scan_newton(
    model: BinnedModel,
    batch: FitBatch,
    target: float,
    n_grid: int,
    must_reach: float | None = None,
) -> _Scan:
    """:func:`_scan` with the best fit from one batched Newton solve and the range from one probe.

    For the linear signals :func:`~exonu.stats.minimum.batched_best_fit` covers, Δχ²_min(u) − its
    minimum is locally a·d + b·d² in d = u − û (a: the slope at a boundary minimum, b: half the
    profile curvature). That model places one probe profile where it predicts ``target``; b is
    then corrected from the probe's rise and u_cut solves a·d + b·d² = 1.05² ``target``. Data
    sets whose grid then ends below ``must_reach`` (default ``target / 2``) or beyond 4 ×
    ``target``, or whose fit needed the ladder engine, are scanned by :func:`_scan`: the result is
    that of a certified scan either way.
    """
    cm = model.compiled
    n = batch.size
    best = best_fit_of_batch(model, batch)
    # best_fit_of_batch returns the slope and curvature whenever batched_newton_applies(model), the
    # condition under which _scan_with calls this function
    assert best.slope is not None and best.curvature is not None

    def reach(a: np.ndarray, b: np.ndarray, level: float) -> np.ndarray:  # d > 0 with a·d + b·d² = level
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(b > 0, 2.0 * level / (a + np.sqrt(a * a + 4.0 * b * level)), level / a)

    d_probe = reach(best.slope, 0.5 * best.curvature, target)
    good = best.newton & np.isfinite(d_probe) & (d_probe > 0)
    d_probe = np.where(good, d_probe, fit_variable_scale(cm, batch.data, batch.base))
    probe_u = best.u + d_probe
    th_p, f_p, ok_p, _ = profile_batch(batch, probe_u, best.theta, newton=True)
    b_fit = (f_p - best.f - best.slope * d_probe) / d_probe**2
    u_cut = best.u + reach(best.slope, b_fit, 1.05**2 * target)
    good &= ok_p & np.isfinite(u_cut) & (u_cut > 0)
    u_cut = np.where(good, u_cut, probe_u)
    t = np.linspace(0.0, 1.0, n_grid)
    u = u_cut[:, None] * t[None, :]
    # warm starts: the best fit below the probe, the probe's nuisances above it
    theta0 = np.where((u < probe_u[:, None])[:, :, None], best.theta[:, None, :], th_p[:, None, :])
    f, th, ok_pts = _profile_points(batch, u, theta0, extrapolate=True)
    f_min = np.minimum(best.f, np.nanmin(np.where(np.isfinite(f), f, np.inf), axis=1))
    end = f[:, -1] - f_min
    good &= (end >= (0.5 * target if must_reach is None else must_reach)) & (end <= 4.0 * target)
    ladder_u = np.column_stack([best.u, probe_u])
    um = FitVariableMinimum(
        best.u,
        best.f,
        best.theta,
        np.full(n, np.nan),
        best.converged,
        ladder_u,
        np.column_stack([best.f, f_p]),
        np.stack([best.theta, th_p], axis=1),
    )
    ok = good & best.converged & np.all(ok_pts | ~np.isfinite(f), axis=1)
    sc = _Scan(um, t, u_cut, f, th, ok, f_min)
    redo = np.flatnonzero(~good)
    if redo.size:
        sub = _scan(batch.rows(redo), target, n_grid, must_reach)
        for name in ("u_cut", "f", "theta", "ok", "f_min"):
            getattr(sc, name)[redo] = getattr(sub, name)
        sc.um = _put_minimum(um, redo, sub.um)
    return sc


def _put_minimum(um: FitVariableMinimum, rows: np.ndarray, sub: FitVariableMinimum) -> FitVariableMinimum:
    """``um`` with the best fits of ``rows`` replaced by ``sub``'s (the ladder columns are dropped)."""
    u, f, theta, conv = um.u.copy(), um.f.copy(), um.theta.copy(), um.converged.copy()
    u[rows], f[rows], theta[rows], conv[rows] = sub.u, sub.f, sub.theta, sub.converged
    return replace(um, u=u, f=f, theta=theta, converged=conv)


def _take_minimum(um: FitVariableMinimum, rows: np.ndarray) -> FitVariableMinimum:
    """The ladder part of a :class:`FitVariableMinimum` for some data sets (for warm starts)."""
    return replace(
        um,
        u=um.u[rows],
        f=um.f[rows],
        theta=um.theta[rows],
        curvature=um.curvature[rows],
        converged=um.converged[rows],
        ladder_u=um.ladder_u[rows],
        ladder_f=um.ladder_f[rows],
        ladder_theta=um.ladder_theta[rows],
    )


def _finite_delta(f: np.ndarray, f_min: np.ndarray | float) -> np.ndarray:
    """Δχ² with infinite values (Poisson-infeasible α) replaced by a large finite one for splines."""
    delta = f - np.asarray(f_min)[..., None] if np.ndim(f_min) else f - f_min  # (N, G) − (N,) or (G,) − scalar
    return np.where(np.isfinite(delta), delta, 1e3)


# ------------------------------------------------------------------------------------------ Bayesian
def _bayes_dense(
    cm: CompiledModel, u_points: np.ndarray, delta: np.ndarray, cl: float, n_dense: int
) -> tuple[np.ndarray, np.ndarray]:
    """Limit in u for curves sampled at ``u_points`` (G, N) with Δχ² ``delta`` (G, N); vectorised over N.

    Returns (u_limit (N,), normalisation Z (N,) = ∫ exp(−Δχ²/2) dα).
    """
    n = u_points.shape[1]
    lo, hi = u_points[0], u_points[-1]
    s = np.linspace(0.0, 1.0, n_dense)
    if np.allclose(u_points, lo[None, :] + (hi - lo)[None, :] * np.linspace(0, 1, u_points.shape[0])[:, None]):
        spline = CubicSpline(np.linspace(0, 1, u_points.shape[0]), delta, axis=0)
        dense_delta = spline(s)
    else:  # irregular grid (refined): one spline per curve
        dense_delta = np.column_stack(
            [CubicSpline((u_points[:, i] - lo[i]) / (hi[i] - lo[i]), delta[:, i])(s) for i in range(n)]
        )
    u_dense = lo[None, :] + (hi - lo)[None, :] * s[:, None]
    dense_delta -= np.min(dense_delta, axis=0)  # numerical safety; cancels in the normalisation
    dens = np.exp(-0.5 * dense_delta) * cm.dalpha_du(u_dense)  # flat prior in α: dα = (dα/du) du
    cdf = cumulative_trapezoid(dens, u_dense, axis=0, initial=0.0)
    z = cdf[-1]
    cdf = cdf / z
    k = np.argmax(cdf >= cl, axis=0)
    k = np.clip(k, 1, n_dense - 1)
    cols = np.arange(n)
    c0, c1 = cdf[k - 1, cols], cdf[k, cols]
    w = np.where(c1 > c0, (cl - c0) / (c1 - c0), 0.5)
    u_lim = u_dense[k - 1, cols] + w * (u_dense[k, cols] - u_dense[k - 1, cols])
    return u_lim, z


def _scan_with(
    engine: str,
    model: BinnedModel,
    batch: FitBatch,
    target: float,
    n_grid: int,
    must_reach: float | None = None,
) -> _Scan:
    """The scan of ``engine``: "ladder" (:func:`_scan`) or "newton" (:func:`_scan_newton`)."""
    if engine == "newton" and batched_newton_applies(model):
        return _scan_newton(model, batch, target, n_grid, must_reach)
    return _scan(batch, target, n_grid, must_reach)


def _bayes_batch(
    batch: FitBatch,
    cl: float,
    target: float,
    n_grid: int,
    engine: str = "ladder",
    model: BinnedModel | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    cm = batch.cm
    if engine == "ladder":
        sc = _scan(batch, target, n_grid)
    else:
        assert model is not None, "every engine but the ladder needs the model (_limits_batch passes it)"
        sc = _scan_with(engine, model, batch, target, n_grid)
    u_pts = sc.u_cut[None, :] * sc.t[:, None]
    u_lim, _ = _bayes_dense(cm, u_pts, _finite_delta(sc.f, sc.f_min).T, cl, _DENSE_TOYS)
    return cm.u_to_alpha(u_lim), sc.ok


def bayesian_chi2_limit(
    model: BinnedModel,
    cl: float = 0.9,
    *,
    statistic: str = "chi2",
    n_grid: int = 48,
    delta_chi2_max: float = 30.0,
    refine_tol: float = 0.02,
    max_refine: int = 6,
    expected: bool = True,
    n_toys: int = 0,
    seed: int | None = None,
    fluctuate_aux: bool = True,
    progress: bool | None = None,
) -> LimitResult:
    """The paper's limit: flat prior in α ≥ 0 and exp(−χ²_min(α)/2) as the likelihood.

    Parameters
    ----------
    model : BinnedModel
    cl : float
        Credibility level (0.9 in the paper).
    statistic : {"chi2", "poisson"}
        ``"chi2"`` is Eqs. (4)–(7); ``"poisson"`` uses −2 ln L instead.
    n_grid : int
        Initial uniform grid points on [0, α_max].
    delta_chi2_max : float
        The grid extends to where χ²_min(α) − min ≈ this (P ~ e⁻¹⁵ there).
    refine_tol : float
        Intervals where P changes by more than this fraction of max P are bisected (up to
        ``max_refine`` passes).
    expected : bool
        Also compute the expected (background-only Asimov) limit.
    n_toys : int
        If > 0, also run that many toys for the expected band (seeded by ``seed``).
    seed : int, optional
    fluctuate_aux : bool
        Toy treatment of auxiliary measurements (see :mod:`exonu.stats.toys`).
    progress : bool, optional
        Progress bar for the toys (default: only on a terminal).

    Returns
    -------
    LimitResult
    """
    check_statistic(statistic)
    check_cl(cl)
    check_n_grid(n_grid)
    cm = model.compiled
    batch = FitBatch.of(cm, statistic, model.data[None, :], cm.centres[None, :])
    sc = _scan(batch, delta_chi2_max, n_grid)
    um = sc.um
    u = list(sc.u_cut[0] * sc.t)
    f = list(sc.f[0])
    thetas = list(sc.theta[0])
    f_min = float(sc.f_min[0])
    ok = bool(sc.ok[0])

    def add_points(new_u: np.ndarray, starts: np.ndarray) -> None:
        nonlocal f_min, ok
        th, fm, okm, _ = profile_batch(batch.repeat(new_u.size), new_u, starts, newton=True)
        u.extend(new_u)
        f.extend(fm)
        thetas.extend(th)
        ok &= bool(np.all(okm | ~np.isfinite(fm)))
        f_min = min(f_min, float(np.min(fm)))

    # The range came from an interpolation of the ladder: if χ²_min has not risen enough at its
    # end (a profile steeper than a parabola), extend it so the posterior tail is not cut.
    for _ in range(5):
        top = int(np.argmax(u))
        if f[top] - f_min >= 0.5 * delta_chi2_max:
            break
        half = max(n_grid // 2, 2)
        add_points(u[top] * (1.0 + np.arange(1, half + 1) / half), np.repeat(thetas[top][None, :], half, 0))
    # Refinement: bisect where P changes fast, so the spline is anchored densely where it matters.
    for _ in range(max_refine):
        order = np.argsort(u)
        uu, ff = np.array(u)[order], np.array(f)[order]
        p = np.exp(-0.5 * np.clip(ff - f_min, 0.0, None))
        jump = np.abs(np.diff(p)) > refine_tol * p.max()
        if not np.any(jump):
            break
        mids = 0.5 * (uu[:-1] + uu[1:])[jump]
        add_points(mids, np.array(thetas)[order][:-1][jump])
    order = np.argsort(u)
    uu, ff = np.array(u)[order], np.array(f)[order]
    delta = _finite_delta(ff, f_min)
    u_lim, z = _bayes_dense(cm, uu[:, None], delta[:, None], cl, _DENSE)
    alpha_limit = float(cm.u_to_alpha(u_lim[0]))
    if not np.isfinite(alpha_limit):
        raise FitError(f"the Bayesian limit could not be computed (profile minimum {f_min}); check the model")
    # Cross-check: trapezoid on the evaluated points alone (no spline). Their difference is a
    # conservative estimate of the integration error.
    alpha_pts = cm.u_to_alpha(uu)
    dens_pts = np.exp(-0.5 * (delta - delta.min())) * cm.dalpha_du(uu)
    cdf_pts = cumulative_trapezoid(dens_pts, uu, initial=0.0)
    cdf_pts /= cdf_pts[-1]
    alpha_trap = float(cm.u_to_alpha(np.interp(cl, cdf_pts, uu)))
    posterior = np.exp(-0.5 * (delta - 0.0)) / z[0] if np.isfinite(z[0]) and z[0] > 0 else None
    # ``delta`` is relative to f_min; z was computed after subtracting the dense minimum (≤ 1e-9
    # different), so the posterior is normalised per unit α to that precision.
    exp_detail = None
    if expected or n_toys:
        exp_detail = expected_limits(
            model,
            "bayesian",
            cl=cl,
            n_toys=n_toys,
            seed=seed,
            statistic=statistic,
            fluctuate_aux=fluctuate_aux,
            progress=progress,
            n_grid=n_grid,
            delta_chi2_max=delta_chi2_max,
        )
    msg = "" if ok else "some profiles or the α search did not converge"
    return LimitResult.from_fit(
        model,
        statistic,
        um,
        seed=None if exp_detail is None else exp_detail.seed,
        expected_detail=exp_detail,
        chi2_min=f_min,
        alpha_limit=alpha_limit,
        method="bayesian",
        cl=cl,
        alpha_grid=alpha_pts,
        chi2_profile=ff,
        posterior=posterior,
        converged=ok,
        message=msg,
        details={"alpha_limit_trapezoid": alpha_trap, "n_points": int(uu.size), "delta_chi2_max": delta_chi2_max},
        test_statistic="posterior ∝ exp(−Δχ²_min(α)/2), flat prior in α ≥ 0 (arXiv:2005.11891 §4)",
        threshold=f"posterior quantile {cl:.3g}",
        sided="one",
        n_toys=0,
        calculator="bayesian integral",
    )


def best_profile(model: BinnedModel, statistic: str, um: FitVariableMinimum, i: int) -> ProfileResult:
    cm = model.compiled
    p, q, r = split_theta(model, um.theta[i])
    return ProfileResult(
        float(cm.u_to_alpha(um.u[i])),
        float(um.f[i]),
        p,
        q,
        r,
        um.theta[i].copy(),
        bool(um.converged[i]),
        0,
        "best fit on alpha >= 0 (profiled)",
        statistic,
    )


# ------------------------------------------------------------------------------------------ PLR
def _plr_batch(
    batch: FitBatch,
    crit: float,
    n_grid: int,
    lower: bool = False,
    engine: str = "ladder",
    model: BinnedModel | None = None,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, _Scan]:
    """Asymptotic PLR limits from a scan (vectorised): upper (and lower) crossings of Δχ² = crit.

    ``engine="newton"`` (needs ``model``) scans with the batched Newton best fit (:func:`_scan_newton`).
    """
    # The scan must contain the crossing itself; it aims 4 units beyond it for the spline's sake.
    cm = batch.cm
    if engine == "ladder":
        sc = _scan(batch, crit + 4.0, n_grid, must_reach=crit)
    else:
        assert model is not None, "every engine but the ladder needs the model (_limits_batch passes it)"
        sc = _scan_with(engine, model, batch, crit + 4.0, n_grid, must_reach=crit)
    n = batch.size
    s = np.linspace(0.0, 1.0, _DENSE_TOYS)
    delta = CubicSpline(sc.t, _finite_delta(sc.f, sc.f_min).T, axis=0)(s)  # (D, N)
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
    below = (delta >= crit) & (s[:, None] < t_hat[None, :])
    has_low = np.any(below, axis=0)
    kl = s.size - 1 - np.argmax(below[::-1], axis=0)  # last index below t̂ with Δ ≥ crit
    kl = np.clip(kl, 0, s.size - 2)
    d0, d1 = delta[kl, cols], delta[kl + 1, cols]
    w = np.where(d0 > d1, (d0 - crit) / (d0 - d1), 0.5)
    t_lo = s[kl] + np.clip(w, 0, 1) * (s[kl + 1] - s[kl])
    lo = np.where(has_low, cm.u_to_alpha(t_lo * sc.u_cut), 0.0)
    return up, lo, ok, sc


def _refine_crossing(
    batch: FitBatch,
    f_min: float,
    crit: float,
    a: float,
    b: float,
    theta0: np.ndarray,
) -> float | None:
    """Solve χ²_min(u) − f_min = crit on [a, b] with Brent's method on the exact profile (one data set)."""
    state = {"theta": theta0[None, :].copy()}

    def h(u: float) -> float:
        th, f, _, _ = profile_batch(batch, np.array([u]), state["theta"], newton=True)
        state["theta"] = th
        return float(f[0]) - f_min - crit

    ha, hb = h(a), h(b)
    if np.sign(ha) == np.sign(hb):
        return None
    return float(brentq(h, a, b, xtol=1e-12 * max(abs(a), abs(b), 1e-300), rtol=1e-10))


def _plr_single(
    model: BinnedModel, statistic: str, cl: float, sided: str, n_grid: int
) -> tuple[float, float | None, bool, _Scan, float]:
    cm = model.compiled
    batch = FitBatch.of(cm, statistic, model.data[None, :], cm.centres[None, :])
    crit = plr_critical_value(cl, sided)
    up, lo, ok, sc = _plr_batch(batch, crit, n_grid, lower=(sided == "two"))
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
        root = _refine_crossing(batch, f_min, crit, a, b, sc.theta[0, k])
        results.append(float(cm.u_to_alpha(root)) if root is not None else float(value))
    upper, lower = results
    assert upper is not None  # the upper crossing is always refined; only the lower one may be absent
    if not np.isfinite(upper):
        raise FitError(f"no crossing of Δχ² = {crit:.4g} found above the best fit; check the model")
    return upper, lower, bool(ok[0]), sc, crit


def plr_upper_limit(
    model: BinnedModel,
    cl: float = 0.9,
    *,
    statistic: str = "chi2",
    method: str = "asymptotic",
    n_grid: int = 40,
    expected: bool = True,
    n_toys: int = 0,
    seed: int | None = None,
    fluctuate_aux: bool = True,
    progress: bool | None = None,
    belt: NeymanBelt | None = None,
    belt_toys: int = 1000,
) -> LimitResult:
    """One-sided profile-likelihood-ratio upper limit on α (α̂ clipped at 0).

    Parameters
    ----------
    model : BinnedModel
    cl : float
    statistic : {"chi2", "poisson"}
    method : {"asymptotic", "neyman"}
        ``"asymptotic"``: Δχ² = Φ⁻¹(cl)² (1.642 at 90 %). ``"neyman"``: critical values from toys
        (see :func:`neyman_upper_limit`, which this forwards to).
    n_grid : int
        Grid points of the profile scan (the crossing is then solved exactly with Brent's method).
    expected, n_toys, seed, fluctuate_aux, progress
        Expected limit and band, as in :func:`bayesian_chi2_limit`.
    belt, belt_toys
        Only for ``method="neyman"``.

    Returns
    -------
    LimitResult
    """
    if method == "neyman":
        return neyman_upper_limit(
            model,
            cl,
            statistic=statistic,
            n_toys=belt_toys,
            seed=seed,
            belt=belt,
            expected=expected,
            n_toys_expected=n_toys,
            fluctuate_aux=fluctuate_aux,
            progress=progress,
        )
    if method != "asymptotic":
        raise InputError(f"method must be 'asymptotic' or 'neyman'; got {method!r}")
    check_statistic(statistic)
    check_cl(cl)
    check_n_grid(n_grid)
    up, _, ok, sc, crit = _plr_single(model, statistic, cl, "one", n_grid)
    exp_detail = None
    if expected or n_toys:
        exp_detail = expected_limits(
            model,
            "plr",
            cl=cl,
            n_toys=n_toys,
            seed=seed,
            statistic=statistic,
            fluctuate_aux=fluctuate_aux,
            progress=progress,
            n_grid=n_grid,
        )
    return _plr_result(model, "plr", statistic, cl, up, None, ok, sc, crit, exp_detail)


def plr_interval(model: BinnedModel, cl: float = 0.9, *, statistic: str = "chi2", n_grid: int = 40) -> LimitResult:
    """Two-sided profile-likelihood interval on α ≥ 0: Δχ² ≤ χ²₁(cl) (2.706 at 90 %).

    Returns
    -------
    LimitResult
        ``alpha_lower`` (0 if the interval reaches the boundary) and ``alpha_limit`` (upper end).
    """
    check_statistic(statistic)
    check_cl(cl)
    check_n_grid(n_grid)
    up, lo, ok, sc, crit = _plr_single(model, statistic, cl, "two", n_grid)
    return _plr_result(model, "plr-interval", statistic, cl, up, lo, ok, sc, crit, None)


def _plr_result(
    model: BinnedModel,
    method: str,
    statistic: str,
    cl: float,
    up: float,
    lo: float | None,
    ok: bool,
    sc: _Scan,
    crit: float,
    exp_detail: ExpectedLimits | None,
) -> LimitResult:
    cm = model.compiled
    return LimitResult.from_fit(
        model,
        statistic,
        sc.um,
        seed=None if exp_detail is None else exp_detail.seed,
        expected_detail=exp_detail,
        chi2_min=float(sc.f_min[0]),
        alpha_limit=up,
        alpha_lower=lo,
        method=method,
        cl=cl,
        alpha_grid=cm.u_to_alpha(sc.u_cut[0] * sc.t),
        chi2_profile=sc.f[0].copy(),
        critical_value=crit,
        converged=ok,
        message="" if ok else "profile scan or crossing search did not converge",
        test_statistic=(
            "q̃_μ (one-sided profile likelihood ratio, α̂ ≥ 0; arXiv:1007.1727 Eq. 16)"
            if lo is None
            else "t̃_μ (two-sided profile likelihood ratio, α̂ ≥ 0; arXiv:1007.1727 Eq. 11)"
        ),
        threshold=crit,
        sided="one" if lo is None else "two",
        n_toys=0,
        calculator="asymptotic",
    )


# ------------------------------------------------------------------------------------------ Neyman
def _q_one_sided(batch: FitBatch, u_values: np.ndarray | Sequence[float]) -> tuple[np.ndarray, FitVariableMinimum]:
    """One-sided q(u_k) for every data set of ``batch`` and every u_k (vectorised over data sets)."""
    n = batch.size
    um = minimise_fit_variable(batch, np.tile(batch.cm.nominal, (n, 1)))
    u = np.broadcast_to(np.asarray(u_values, float), (n, len(u_values))).copy()
    f, _, ok_pts = _profile_points(batch, u, _nearest_ladder_theta(um, u))
    q = np.where(um.u[:, None] <= u, np.maximum(f - um.f[:, None], 0.0), 0.0)
    ok = um.converged[:, None] & ok_pts
    return np.where(ok, q, np.nan), um


def neyman_belt(
    model: BinnedModel,
    alpha_grid: ArrayLike,
    *,
    cl: float = 0.9,
    n_toys: int = 1000,
    seed: int | None = None,
    statistic: str = "chi2",
    fluctuate_aux: bool = True,
    progress: bool | None = None,
    chunk_size: int = 250,
) -> NeymanBelt:
    """Toy-based critical values of the one-sided PLR statistic on a grid of α.

    For each α_k, ``n_toys`` toys are generated at α_k (nuisances nominal, auxiliary measurements
    fluctuated unless ``fluctuate_aux=False``), q(α_k) is computed for each (with α̂ ≥ 0), and the
    ``cl`` quantile is the critical value. Grid point k uses the seed ``child_seed(seed, k)``.
    """
    check_statistic(statistic)
    check_cl(cl)
    alpha_grid = np.asarray(alpha_grid, dtype=float)
    if alpha_grid.ndim != 1 or alpha_grid.size < 2 or np.any(alpha_grid <= 0) or np.any(np.diff(alpha_grid) <= 0):
        raise InputError("alpha_grid must be a strictly increasing 1-D array of at least 2 positive values")
    seed = resolve_seed(seed)
    cm = model.compiled
    u_grid = cm.alpha_to_u(alpha_grid)
    q_toys = np.empty((alpha_grid.size, n_toys))
    for k in progress_iter(range(alpha_grid.size), progress, "Neyman belt", unit="alpha"):
        ens = generate_toys(
            model, n_toys, alpha=float(alpha_grid[k]), seed=child_seed(seed, k), fluctuate_aux=fluctuate_aux
        )
        for sl in _slices(n_toys, chunk_size):
            q, _ = _q_one_sided(FitBatch.of(cm, statistic, ens.data[sl], ens.centres[sl]), [u_grid[k]])
            q_toys[k, sl] = q[:, 0]
    crit = np.array([np.nanquantile(row, cl) for row in q_toys])
    return NeymanBelt(alpha_grid, crit, q_toys, cl, statistic, n_toys, seed, bool(fluctuate_aux))


def _slices(n: int, size: int) -> list[slice]:
    return [slice(s, min(s + size, n)) for s in range(0, n, size)]


def _neyman_batch(batch: FitBatch, belt: NeymanBelt) -> tuple[np.ndarray, np.ndarray]:
    """Neyman upper limits for many data sets: the first crossing of q_obs(α) − c(α) above α̂."""
    cm = batch.cm
    q, um = _q_one_sided(batch, cm.alpha_to_u(belt.alpha_grid))
    diff = q - belt.critical_values[None, :]  # (N, G)
    a = belt.alpha_grid
    alpha_hat = cm.u_to_alpha(um.u)
    excl = (diff > 0) & (a[None, :] > alpha_hat[:, None])
    found = np.any(excl, axis=1)
    k = np.argmax(excl, axis=1)
    rows = np.arange(batch.size)
    d1 = diff[rows, k]
    km = np.maximum(k - 1, 0)
    d0 = np.where(k > 0, diff[rows, km], -belt.critical_values[0])
    a0 = np.where(k > 0, a[km], np.maximum(alpha_hat, 0.0))
    a0 = np.maximum(a0, alpha_hat)  # q = 0 (diff = −c) at α̂
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(d1 > d0, -d0 / (d1 - d0), 0.5)
    lim = a0 + np.clip(w, 0, 1) * (a[k] - a0)
    ok = found & np.all(np.isfinite(q), axis=1)
    return np.where(found, lim, np.nan), ok


def neyman_upper_limit(
    model: BinnedModel,
    cl: float = 0.9,
    *,
    statistic: str = "chi2",
    n_toys: int = 1000,
    seed: int | None = None,
    alpha_grid: ArrayLike | None = None,
    n_alpha: int = 12,
    belt: NeymanBelt | None = None,
    expected: bool = True,
    n_toys_expected: int = 0,
    fluctuate_aux: bool = True,
    progress: bool | None = None,
) -> LimitResult:
    """Frequentist upper limit from a toy Neyman construction of the one-sided PLR statistic.

    Parameters
    ----------
    model : BinnedModel
    cl : float
    statistic : {"chi2", "poisson"}
    n_toys : int
        Toys per grid point of the belt.
    seed : int, optional
        Seed of the belt (grid point k uses the child seed ``child_seed(seed, k)``; the
        expected-band toys use ``child_seed(seed, 10**6)``); recorded in the result.
    alpha_grid : array_like, optional
        Belt grid. Default: ``n_alpha`` points uniform in u up to 2.5× the larger of the observed
        and expected asymptotic limits.
    belt : NeymanBelt, optional
        A belt built earlier (reused as is; its grid and seed win).
    expected, n_toys_expected, fluctuate_aux, progress
        As in :func:`bayesian_chi2_limit`.

    Returns
    -------
    LimitResult
        ``details["belt"]`` holds the belt.
    """
    check_statistic(statistic)
    check_cl(cl)
    cm = model.compiled
    if belt is None:
        if alpha_grid is None:
            obs = _plr_single(model, statistic, cl, "one", 32)[0]
            asi = _plr_single(model.with_data(model.asimov(0.0)), statistic, cl, "one", 32)[0]
            u_max = 2.5 * float(cm.alpha_to_u(max(obs, asi)))
            alpha_grid = cm.u_to_alpha(np.linspace(0, u_max, n_alpha + 1)[1:])
        belt = neyman_belt(
            model,
            alpha_grid,
            cl=cl,
            n_toys=n_toys,
            seed=seed,
            statistic=statistic,
            fluctuate_aux=fluctuate_aux,
            progress=progress,
        )
    elif belt.cl != cl or belt.statistic != statistic:
        raise InputError(f"belt was built for cl={belt.cl}, statistic={belt.statistic!r}; got cl={cl}, {statistic!r}")
    batch = FitBatch.of(cm, statistic, model.data[None, :], cm.centres[None, :])
    lim, ok = _neyman_batch(batch, belt)
    um = minimise_fit_variable(batch, cm.nominal[None, :])
    exp_detail = None
    if expected or n_toys_expected:
        exp_detail = expected_limits(
            model,
            "neyman",
            cl=cl,
            n_toys=n_toys_expected,
            seed=child_seed(belt.seed, 10**6),
            statistic=statistic,
            fluctuate_aux=fluctuate_aux,
            progress=progress,
            belt=belt,
        )
    q_obs = _q_one_sided(batch, cm.alpha_to_u(belt.alpha_grid))[0][0]
    msg = "" if ok[0] else "limit not inside the belt grid (extend alpha_grid) or a fit failed"
    return LimitResult.from_fit(
        model,
        statistic,
        um,
        seed=belt.seed,
        expected_detail=exp_detail,
        alpha_limit=float(lim[0]),
        method="neyman",
        cl=cl,
        alpha_grid=belt.alpha_grid,
        chi2_profile=q_obs + float(um.f[0]),
        critical_value=None,
        converged=bool(ok[0]),
        message=msg,
        details={"belt": belt, "q_observed": q_obs},
        test_statistic="q̃_μ (one-sided profile likelihood ratio, α̂ ≥ 0; arXiv:1007.1727 Eq. 16)",
        threshold=f"toy {cl:.3g} quantile of q̃ at each of {belt.alpha_grid.size} grid points",
        sided="one",
        n_toys=int(belt.n_toys),
        calculator="toys",
    )


# ------------------------------------------------------------------------------------------ expected
class _BatchSettings(TypedDict):
    """The keyword arguments of :func:`_limits_batch` that one computation passes to every batch."""

    n_grid: int
    delta_chi2_max: float
    belt: NeymanBelt | dict[str, Any] | None
    context: dict[str, Any]
    engine: NotRequired[str]


def _limits_batch(
    method: str,
    model: BinnedModel,
    batch: FitBatch,
    cl: float,
    *,
    n_grid: int = 48,
    delta_chi2_max: float = 30.0,
    belt: NeymanBelt | dict[str, Any] | None = None,
    context: dict[str, Any],
    engine: str = "ladder",
) -> tuple[np.ndarray, np.ndarray]:
    """Upper limits of the data sets of ``batch`` (a batch of ``model``) with one method; ``context``
    holds what a method precomputed."""
    if method == "bayesian":
        return _bayes_batch(batch, cl, delta_chi2_max, n_grid, engine, model)
    if method in ("plr", "pcl"):
        up, _, ok, _ = _plr_batch(batch, plr_critical_value(cl, "one"), n_grid, engine=engine, model=model)
        if method == "pcl":
            up = np.maximum(up, context["pcl_threshold"])
        return up, ok
    if method == "neyman":
        if not isinstance(belt, NeymanBelt):
            raise InputError(f"method='neyman' needs a NeymanBelt (see neyman_belt); got {type(belt).__name__}")
        return _neyman_batch(batch, belt)
    if method == "cls":
        u_grid, q_asimov = context["cls_grid"]
        u_lim = cls_limits_for_problem(
            FitProblem(model, batch.statistic, batch.data, batch.centres), cl, u_grid, q_asimov
        )
        return batch.cm.u_to_alpha(u_lim), np.isfinite(u_lim)
    if method == "fc":
        if not isinstance(belt, dict):
            raise InputError(f"method='fc' needs the belt dict of fc_belt; got {type(belt).__name__}")
        _, up, ok = fc_limits_for_problem(FitProblem(model, batch.statistic, batch.data, batch.centres), belt)
        return up, ok
    raise InputError(f"method must be one of {METHODS}; got {method!r}")


def expected_limits(
    model: BinnedModel,
    method: str = "bayesian",
    *,
    cl: float = 0.9,
    n_toys: int = 1000,
    seed: int | None = None,
    statistic: str = "chi2",
    fluctuate_aux: bool = True,
    progress: bool | None = None,
    chunk_size: int = 200,
    n_grid: int = 48,
    delta_chi2_max: float = 30.0,
    belt: NeymanBelt | dict[str, Any] | None = None,
    belt_toys: int = 1000,
) -> ExpectedLimits:
    """Expected limits under the background-only hypothesis: Asimov median and toy band side by side.

    Parameters
    ----------
    model : BinnedModel
        Its data are ignored.
    method : {"bayesian", "plr", "neyman", "cls", "pcl", "fc"}
        ``"cls"`` and ``"pcl"`` also carry their asymptotic band (``asymptotic_band``); the toys of
        ``"cls"`` are evaluated with the asymptotic formulas (q_A of the nominal Asimov data set);
        the toy band of ``"pcl"`` is the PLR band with everything below its own −1σ edge at −1σ.
    cl : float
    n_toys : int
        Toys for the ±1σ/±2σ band: 0 gives the Asimov median only; 1 is refused; fewer than
        ``MIN_BAND_TOYS`` is flagged in ``warnings``.
    seed : int, optional
        Seed of the toys (``generate_toys(model, n_toys, seed=seed)`` reproduces them); a fresh
        seed is drawn and recorded if None.
    statistic : {"chi2", "poisson"}
    fluctuate_aux : bool
        Fluctuate the auxiliary measurements of the pulled nuisances in the toys.
    progress : bool, optional
        tqdm progress bar (default: only when stderr is a terminal).
    chunk_size : int
        Toys processed together (vectorised).
    n_grid, delta_chi2_max
        Scan settings (Bayesian / PLR).
    belt : NeymanBelt or dict, optional
        For ``method="neyman"`` (a :class:`NeymanBelt`) or ``"fc"`` (from
        :func:`~exonu.stats.frequentist.fc_belt`); built with ``belt_toys`` toys per point if missing.

    Returns
    -------
    ExpectedLimits
    """
    check_statistic(statistic)
    check_cl(cl)
    check_n_grid(n_grid)
    if method not in METHODS:
        raise InputError(f"method must be one of {METHODS}; got {method!r}")
    n_toys = check_n_toys(n_toys)
    if n_toys == 1:
        raise InputError(f"n_toys=1 makes no band: use 0 (Asimov median only) or at least {MIN_BAND_TOYS}")
    cm = model.compiled
    asimov_model = model.with_data(model.asimov(0.0)).with_aux(
        np.ones(model.n_components), np.zeros(cm.n_q), np.zeros(cm.n_r)
    )
    calculator = {"bayesian": "bayesian integral", "neyman": "toys", "fc": "toys"}.get(method, "asymptotic")
    context: dict[str, Any] = {}
    asym_band: dict[str, float] | None = None
    if method == "neyman" and belt is None:
        seed = resolve_seed(seed)
        u_max = 2.5 * float(cm.alpha_to_u(_plr_single(asimov_model, statistic, cl, "one", 32)[0]))
        belt = neyman_belt(
            model,
            cm.u_to_alpha(np.linspace(0, u_max, 13)[1:]),
            cl=cl,
            n_toys=belt_toys,
            seed=child_seed(seed, 10**6 + 1),
            statistic=statistic,
            fluctuate_aux=fluctuate_aux,
            progress=progress,
        )
    if method == "fc" and belt is None:
        seed = resolve_seed(seed)
        belt = fc_belt(
            model,
            default_fc_grid(asimov_model, statistic, cl, 16),
            cl=cl,
            statistic=statistic,
            n_toys=belt_toys,
            seed=child_seed(seed, 10**6 + 1),
            fluctuate_aux=fluctuate_aux,
            progress=progress,
        )
    if method == "cls":
        asym_band = cls_expected(model, statistic, cl)
        u_grid = np.linspace(0.0, 3.0 * float(cm.alpha_to_u(asym_band["+2sigma"])), 61)[1:]
        q_asimov = FitProblem(model, statistic).nominal_asimov(0.0).test_statistic(u_grid, "one")[0][0]
        context["cls_grid"] = (u_grid, q_asimov)
    if method == "pcl":
        asym_band = pcl_expected(model, statistic, cl)
        context["pcl_threshold"] = asym_band["-1sigma"]
    kw: _BatchSettings = {"n_grid": n_grid, "delta_chi2_max": delta_chi2_max, "belt": belt, "context": context}
    if asym_band is not None:
        asimov_limit = asym_band["median"]
    else:
        a_data = asimov_model.data[None, :]
        a_batch = FitBatch.of(cm, statistic, a_data, cm.nominal[None, :])
        asimov_limit = float(_limits_batch(method, model, a_batch, cl, **kw)[0][0])
    if n_toys == 0:
        return ExpectedLimits(
            method, cl, statistic, asimov_limit, None, None, 0, 0, None, fluctuate_aux, calculator, asym_band
        )
    seed = resolve_seed(seed)
    toys = generate_toys(model, int(n_toys), alpha=0.0, seed=seed, fluctuate_aux=fluctuate_aux)
    limits = limits_for_toys(
        model,
        toys,
        "plr" if method == "pcl" else method,
        cl=cl,
        statistic=statistic,
        progress=progress,
        chunk_size=chunk_size,
        **kw,
    )
    good = np.isfinite(limits)
    if method == "pcl" and good.any():  # the power constraint at the toys' own −1σ edge
        limits = np.where(good, np.maximum(limits, np.percentile(limits[good], BAND_PERCENTILES["-1sigma"])), np.nan)
    band = {k: float(np.percentile(limits[good], p)) for k, p in BAND_PERCENTILES.items()} if good.any() else None
    return ExpectedLimits(
        method,
        cl,
        statistic,
        asimov_limit,
        band,
        limits,
        int(n_toys),
        int(np.sum(~good)),
        seed,
        fluctuate_aux,
        "toys" if method in ("neyman", "fc") else calculator,
        asym_band,
    )


def limits_for_toys(
    model: BinnedModel,
    toys: ToyEnsemble,
    method: str = "bayesian",
    *,
    cl: float = 0.9,
    statistic: str = "chi2",
    progress: bool | None = None,
    chunk_size: int = 200,
    n_grid: int = 48,
    delta_chi2_max: float = 30.0,
    belt: NeymanBelt | dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    engine: str = "ladder",
) -> np.ndarray:
    """Upper limit of every toy in a :class:`~exonu.stats.toys.ToyEnsemble` (vectorised in chunks).

    Useful for coverage studies (toys generated at a true α ≠ 0). ``method="neyman"`` needs a
    ``belt``. Returns an array with NaN where a toy's computation failed.

    ``engine="newton"`` finds each toy's best fit with one batched Newton solve
    (:func:`~exonu.stats.minimum.batched_best_fit`) and sets the scan range from one probe profile
    instead of the ladder of :func:`~exonu.stats.minimum.minimise_fit_variable` (Bayesian and PLR
    limits of linear signals; otherwise, and for toys it cannot certify, the ladder is used). With
    ``n_grid=16`` it is about 2× cheaper than the default and within a few 1e-3 of it (see
    ``benchmarks/bench_toys.py``).
    """
    if engine not in ENGINES:
        raise InputError(f"engine must be one of {ENGINES}; got {engine!r}")
    check_statistic(statistic)
    check_cl(cl)
    check_n_grid(n_grid)
    if method not in METHODS:
        raise InputError(f"method must be one of {METHODS}; got {method!r}")
    if method in ("neyman", "fc") and belt is None:
        raise InputError(f"method={method!r} needs a belt (see neyman_belt / fc_belt)")
    if context is None:
        context = {}
        if method == "cls":
            cm = model.compiled
            u_top = 3.0 * float(cm.alpha_to_u(cls_expected(model, statistic, cl)["+2sigma"]))
            u_grid = np.linspace(0.0, u_top, 61)[1:]
            q_a = FitProblem(model, statistic).nominal_asimov(0.0).test_statistic(u_grid, "one")[0][0]
            context["cls_grid"] = (u_grid, q_a)
        if method == "pcl":
            context["pcl_threshold"] = pcl_expected(model, statistic, cl)["-1sigma"]
    limits = np.full(toys.n_toys, np.nan)
    kw: _BatchSettings = {
        "n_grid": n_grid,
        "delta_chi2_max": delta_chi2_max,
        "belt": belt,
        "context": context,
        "engine": engine,
    }
    cm = model.compiled
    for sl in chunks(toys.n_toys, chunk_size, progress, f"{method} limits"):
        lim, ok = _limits_batch(method, model, FitBatch.of(cm, statistic, toys.data[sl], toys.centres[sl]), cl, **kw)
        limits[sl] = np.where(ok, lim, np.nan)
    return limits


def upper_limit(model: BinnedModel, cl: float = 0.9, *, method: str = "bayesian", **kwargs: Any) -> LimitResult:
    """The upper limit on α with one method; every result says how it was made (``describe()``).

    ``"bayesian"`` → :func:`bayesian_chi2_limit`, ``"plr"`` → :func:`plr_upper_limit`, ``"neyman"`` →
    :func:`neyman_upper_limit`, ``"cls"`` → :func:`~exonu.stats.frequentist.cls_upper_limit`,
    ``"pcl"`` → :func:`~exonu.stats.frequentist.pcl_upper_limit`, ``"fc"`` →
    :func:`~exonu.stats.frequentist.fc_interval` (whose ``alpha_limit`` is the upper end).
    """
    dispatch: dict[str, Callable[..., LimitResult]] = {
        "bayesian": bayesian_chi2_limit,
        "plr": plr_upper_limit,
        "neyman": neyman_upper_limit,
        "cls": cls_upper_limit,
        "pcl": pcl_upper_limit,
        "fc": fc_interval,
    }
    if method not in dispatch:
        raise InputError(f"method must be one of {METHODS}; got {method!r}")
    return dispatch[method](model, cl, **kwargs)
