"""Power-constrained limits (Cowan, Cranmer, Gross, Vitells, arXiv:1105.3166).

The limit is max(one-sided PLR limit, its −1σ expected limit): a downward fluctuation cannot
exclude signals the search had little power to see. The −1σ edge is asymptotic (q_A = (z − 1)² on
the nominal Asimov data set) or the 15.87 % quantile of toy PLR limits.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
from scipy.stats import norm

from ...errors import InputError
from ..model import BinnedModel
from ..objective import FitBatch
from ..problem import FitProblem
from ..scan import solve_asimov, u_scale
from ..validate import check_n_toys
from .driver import expected_from
from .plr import PLR, plr_upper_limit
from .results import BAND_PERCENTILES, BAND_SIGMAS, LimitResult

__all__ = ["PCL", "pcl_expected", "pcl_threshold", "pcl_upper_limit"]


def pcl_threshold(model: BinnedModel, statistic: str, cl: float) -> float:
    """Asymptotic −1σ expected one-sided PLR limit in α: q_A = (Φ⁻¹(cl) − 1)² on the nominal Asimov data."""
    cm = model.compiled
    asimov = FitProblem(model, statistic).nominal_asimov(0.0)
    z = float(norm.ppf(cl))
    if z <= 1.0:
        raise InputError(f"a −1σ power constraint needs cl > Φ(1) = 0.841; got {cl}")
    return float(cm.u_to_alpha(solve_asimov(asimov, (z - 1.0) ** 2, u_scale(asimov))))


def pcl_upper_limit(
    model: BinnedModel,
    cl: float = 0.9,
    *,
    statistic: str = "chi2",
    n_toys: int = 0,
    seed: int | None = None,
    expected: bool = True,
    fluctuate_aux: bool = True,
    progress: bool | None = None,
) -> LimitResult:
    """Power-constrained limit (arXiv:1105.3166): max(one-sided PLR limit, its −1σ expected limit).

    The −1σ edge is asymptotic (``n_toys=0``) or the 15.87 % quantile of ``n_toys`` toy PLR limits.
    ``details["power_constrained"]`` says whether the constraint was applied.
    """
    n_toys = check_n_toys(n_toys)
    plr = plr_upper_limit(model, cl, statistic=statistic, expected=False)
    exp = expected_from(
        PCL.calibrate(model, statistic, cl),
        n_toys=n_toys,
        seed=seed,
        fluctuate_aux=fluctuate_aux,
        progress=progress,
    )
    if exp.band:
        threshold = exp.band["-1sigma"]
    else:
        assert exp.asymptotic_band is not None  # PCL always has its asymptotic band
        threshold = exp.asymptotic_band["-1sigma"]
    constrained = plr.alpha_limit < threshold
    return replace(
        plr,
        alpha_limit=float(max(plr.alpha_limit, threshold)),
        method="pcl",
        expected=exp.asimov if expected else None,
        expected_band=exp.band if expected else None,
        expected_detail=exp if expected else None,
        seed=exp.seed,
        details={
            **plr.details,
            "power_constrained": bool(constrained),
            "unconstrained_limit": plr.alpha_limit,
            "power_threshold": threshold,
        },
        threshold=f"Δχ² = {plr.critical_value:.4g} (p_s+b = {1 - cl:.3g}), power constraint at the −1σ expected limit",
        n_toys=n_toys,
        calculator="toys" if n_toys else "asymptotic",
    )


def pcl_expected(model: BinnedModel, statistic: str, cl: float) -> dict[str, float]:
    """Asymptotic expected PCL limits: the PLR band z + N (in units of σ), with everything below −1σ at −1σ."""
    cm = model.compiled
    asimov = FitProblem(model, statistic).nominal_asimov(0.0)
    z = float(norm.ppf(cl))
    scale = u_scale(asimov)
    out = {}
    for key, n_sig in BAND_SIGMAS.items():
        out[key] = float(cm.u_to_alpha(solve_asimov(asimov, (z + max(n_sig, -1.0)) ** 2, scale)))
    return out


@dataclass(frozen=True)
class PCL:
    """The power-constrained limit as a :class:`~exonu.stats.limits.method.LimitMethod`.

    Its limits are the PLR limits clipped at the asymptotic −1σ expected limit ``threshold``; its
    expected band comes from PLR toys clipped at their own −1σ edge (:meth:`constrain_band`).
    """

    model: BinnedModel
    statistic: str
    cl: float
    threshold: float
    asymptotic_band: dict[str, float] | None
    n_grid: int = 48
    engine: str = "ladder"
    name: ClassVar[str] = "pcl"
    calculator: ClassVar[str] = "asymptotic"

    @classmethod
    def calibrate(cls, model: BinnedModel, statistic: str, cl: float, n_grid: int = 48, engine: str = "ladder") -> PCL:
        """PCL with its asymptotic band (:func:`pcl_expected`); the threshold is the band's −1σ edge."""
        band = pcl_expected(model, statistic, cl)
        return cls(model, statistic, cl, band["-1sigma"], band, n_grid, engine)

    @property
    def band_method(self) -> PLR:
        return PLR(self.model, self.statistic, self.cl, self.n_grid)

    def limits(self, batch: FitBatch) -> tuple[np.ndarray, np.ndarray]:
        up, ok = PLR(self.model, self.statistic, self.cl, self.n_grid, self.engine).limits(batch)
        return np.maximum(up, self.threshold), ok

    def constrain_band(self, toy_limits: np.ndarray) -> np.ndarray:
        """The power constraint at the toys' own −1σ edge."""
        good = np.isfinite(toy_limits)
        if not good.any():
            return toy_limits
        edge = np.percentile(toy_limits[good], BAND_PERCENTILES["-1sigma"])
        return np.where(good, np.maximum(toy_limits, edge), np.nan)
