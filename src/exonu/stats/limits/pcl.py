"""Power-constrained limits (Cowan, Cranmer, Gross, Vitells, arXiv:1105.3166).

The limit is max(one-sided PLR limit, its −1σ expected limit): a downward fluctuation cannot
exclude signals the search had little power to see. The −1σ edge is asymptotic (q_A = (z − 1)² on
the nominal Asimov data set) or the 15.87 % quantile of toy PLR limits.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np

from ...errors import InputError
from ..model import BinnedModel
from ..objective import FitBatch
from ..problem import FitProblem
from ..scan import solve_crossings, u_scale
from ..toys import Mapper, ToyPlan
from ..validate import check_n_toys
from .driver import expected_from
from .plr import PLR, plr_upper_limit
from .results import BAND_SIGMAS, LimitResult, percentile_band

__all__ = ["PCL", "pcl_expected", "pcl_threshold", "pcl_upper_limit"]


def pcl_threshold(model: BinnedModel, statistic: str, cl: float) -> float:
    """Asymptotic −1σ expected one-sided PLR limit in α: q_A = (Φ⁻¹(cl) − 1)² on the nominal Asimov data.

    The same number as ``pcl_expected(...)["-1sigma"]`` (one computation of the edge).
    """
    return pcl_expected(model, statistic, cl)["-1sigma"]


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
    n_grid: int = 40,
    mapper: Mapper = map,
) -> LimitResult:
    """Power-constrained limit (arXiv:1105.3166): max(one-sided PLR limit, its −1σ expected limit).

    The −1σ edge is computed one way for PLR and PCL: asymptotic (``n_toys=0``: q_A = (z − 1)², the
    ``"-1sigma"`` of :func:`pcl_expected`), or the ``"-1sigma"`` percentile of the toy band
    (``BAND_PERCENTILES``) of ``n_toys`` toy PLR limits scanned with ``n_grid`` points — the same
    number as the band edge of ``plr_upper_limit(model, cl, n_toys=n_toys, seed=seed, n_grid=n_grid)``.
    ``details["power_constrained"]`` says whether the constraint was applied. ``mapper`` runs the toys'
    chunks (see :class:`~exonu.stats.toys.Mapper`).
    """
    n_toys = check_n_toys(n_toys)
    plr = plr_upper_limit(model, cl, statistic=statistic, expected=False, n_grid=n_grid)
    exp = expected_from(
        PCL.calibrate(model, statistic, cl, n_grid),
        ToyPlan(n_toys, seed, fluctuate_aux, progress, mapper=mapper),
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
    """Asymptotic expected PCL limits: the PLR band z + N (in units of σ), with everything below −1σ at −1σ.

    The edges solve q_A(u) = (z + max(N, −1))² on the nominal Asimov data set together
    (:func:`~exonu.stats.scan.solve_crossings`), so −2σ and −1σ are one number.
    """
    from scipy.stats import norm  # only here: scipy.stats costs ~1 s to import

    z = float(norm.ppf(cl))
    if z <= 1.0:
        raise InputError(f"a −1σ power constraint needs cl > Φ(1) = 0.841; got {cl}")
    cm = model.compiled
    asimov = FitProblem(model, statistic).nominal_asimov(0.0)
    targets = [(z + max(n_sig, -1.0)) ** 2 for n_sig in BAND_SIGMAS.values()]
    u = solve_crossings(asimov, targets, u_scale(asimov))
    return {k: float(cm.u_to_alpha(u_k)) for k, u_k in zip(BAND_SIGMAS, u, strict=True)}


@dataclass(frozen=True)
class PCL:
    """The power-constrained limit as a :class:`~exonu.stats.limits.method.LimitMethod`.

    Its limits are the PLR limits clipped at the asymptotic −1σ expected limit ``threshold``; its
    expected band is the band of PLR toys with every edge below its −1σ edge at −1σ (:meth:`band_of`).
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

    def band_of(self, toy_limits: np.ndarray) -> tuple[np.ndarray, dict[str, float] | None]:
        """The power constraint at the PLR toys' own −1σ edge: the PLR band, clipped there (one edge)."""
        band = percentile_band(toy_limits)
        if band is None:
            return toy_limits, None
        edge = band["-1sigma"]
        clipped = np.where(np.isfinite(toy_limits), np.maximum(toy_limits, edge), np.nan)
        return clipped, {k: max(v, edge) for k, v in band.items()}
