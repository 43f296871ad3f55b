"""What a limit computation returns: :class:`LimitResult` (observed) and :class:`ExpectedLimits`.

:meth:`LimitResult.from_fit` is the one place a result is assembled: the best fit from the observed
minimum, the expected limit and band from an :class:`ExpectedLimits`, the method's own fields
(limit, curve, test statistic, threshold, sidedness, calculator, toys, seed) as given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..minimum import FitVariableMinimum
from ..model import BinnedModel
from ..profiles import ProfileResult, split_theta

__all__ = [
    "BAND_PERCENTILES",
    "BAND_SIGMAS",
    "METHODS",
    "MIN_BAND_TOYS",
    "ExpectedLimits",
    "LimitResult",
    "best_profile",
    "percentile_band",
]

METHODS = ("bayesian", "plr", "neyman", "cls", "pcl", "fc")


#: the percentiles of toy limits that make the expected band: −2σ, −1σ, median, +1σ, +2σ
BAND_PERCENTILES = {"-2sigma": 2.5, "-1sigma": 16.0, "median": 50.0, "+1sigma": 84.0, "+2sigma": 97.5}

#: fewest toys for a trusted ±2σ band (2.5 % of 40 toys is one toy): fewer are flagged, 1 is refused
MIN_BAND_TOYS = 40


#: the expected-band edges in standard deviations, by name
BAND_SIGMAS = {"-2sigma": -2.0, "-1sigma": -1.0, "median": 0.0, "+1sigma": 1.0, "+2sigma": 2.0}


def percentile_band(toy_limits: np.ndarray) -> dict[str, float] | None:
    """The expected band of toy limits: their ``BAND_PERCENTILES`` (NaN, a failed toy, left out); None if none."""
    good = np.isfinite(toy_limits)
    if not good.any():
        return None
    return {k: float(np.percentile(toy_limits[good], p)) for k, p in BAND_PERCENTILES.items()}


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
