"""The parameters a two-parameter region can be drawn in, per signal, and the regions' thresholds.

:data:`REGION_PARAMETERS` maps each signal with a region to its parameters (``exonu contour --params``),
each with a scale (a typical value, near present sensitivities) and the bound its interaction accepts.
Wilks' threshold for two parameters is the χ²₂ quantile, −2 ln(1 − cl) = 4.605 at 90 % (S. S. Wilks,
Ann. Math. Stat. 9 (1938) 60); the one-parameter two-sided threshold is the χ²₁ quantile (2.706 at 90 %).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from ...errors import InputError
from ...stats import check_cl
from ...xsec import FLAVOURS
from ...xsec.charge_radius import MAX_RADIUS2_CM2
from ...xsec.checks import MAX_COUPLING, MAX_MEDIATOR_MASS_MEV
from ...xsec.magnetic_moment import MAX_MAGNETIC_MOMENT_BOHR
from ...xsec.millicharge import MAX_MILLICHARGE_E
from ...xsec.nsi import MAX_NSI
from ..spec import MEDIATORS

__all__ = [
    "REGION_PARAMETERS",
    "RegionParameter",
    "check_parameters",
    "interval_threshold",
    "region_threshold",
]


@dataclass(frozen=True)
class RegionParameter:
    """One parameter a region can be drawn in.

    Attributes
    ----------
    name : str
        The ``--params`` word (e.g. ``"eps_l"``).
    unit : str
    description : str
        What it is, for ``--help`` and the docs.
    scale : float
        A typical value (near present sensitivities); the templates are evaluated at 1 and 2 × it.
    maximum : float
        Largest |value| the interaction accepts; the grid never goes beyond it.
    non_negative : bool
        The parameter is a magnitude (moment, charge): the grid starts at 0.
    log_axis : bool
        The grid is log-spaced (a mediator's coupling and mass; see :mod:`.mediator_region`).
    """

    name: str
    unit: str
    description: str
    scale: float
    maximum: float
    non_negative: bool = False
    log_axis: bool = False

    @property
    def lower_bound(self) -> float:
        return 0.0 if self.non_negative else -self.maximum


def _per_flavour(
    prefix: str, unit: str, what: str, scale: float, maximum: float, non_negative: bool
) -> dict[str, RegionParameter]:
    return {
        f"{prefix}_{f}": RegionParameter(f"{prefix}_{f}", unit, f"{what} of ν_{f}", scale, maximum, non_negative)
        for f in FLAVOURS
    }


#: A mediator's coupling and mass (``exonu contour --signal <mediator> --params g mass_mev``), both on log axes
_MEDIATOR_PARAMETERS = MappingProxyType(
    {
        "g": RegionParameter("g", "dimensionless", "coupling g = g_ν = g_e (log axis)", 1e-6, MAX_COUPLING, True, True),
        "mass_mev": RegionParameter(
            "mass_mev", "MeV", "mediator mass (log axis over --mass-range)", 1.0, MAX_MEDIATOR_MASS_MEV, True, True
        ),
    }
)

#: Signal → its parameters that a region can be drawn in (``exonu contour --params``)
REGION_PARAMETERS: Mapping[str, Mapping[str, RegionParameter]] = MappingProxyType(
    {
        "nsi": MappingProxyType(
            {
                "eps_l": RegionParameter(
                    "eps_l", "dimensionless", "ε^{eL}_{αα} for the --flavour flavours (default e)", 0.1, MAX_NSI
                ),
                "eps_r": RegionParameter(
                    "eps_r", "dimensionless", "ε^{eR}_{αα} for the --flavour flavours (default e)", 0.1, MAX_NSI
                ),
                **_per_flavour("eps_v", "dimensionless", "vector NSI ε^{eV} = ε^{eL} + ε^{eR}", 0.1, MAX_NSI, False),
            }
        ),
        "charge-radius": MappingProxyType(
            _per_flavour("r2", "cm2", "charge radius ⟨r²⟩", 1e-32, MAX_RADIUS2_CM2, False)
        ),
        "magnetic-moment": MappingProxyType(
            _per_flavour("mu", "mu_B", "magnetic moment μ", 1e-11, MAX_MAGNETIC_MOMENT_BOHR, True)
        ),
        "millicharge": MappingProxyType(_per_flavour("q", "e", "millicharge q", 1e-12, MAX_MILLICHARGE_E, True)),
        **{m: _MEDIATOR_PARAMETERS for m in MEDIATORS},
    }
)


def region_threshold(cl: float) -> float:
    """Wilks' threshold of a two-parameter region: the χ²₂ quantile at ``cl``, −2 ln(1 − cl) (4.605 at 90 %)."""
    return -2.0 * math.log1p(-check_cl(cl))


def interval_threshold(cl: float) -> float:
    """The one-parameter two-sided threshold, the χ²₁ quantile at ``cl`` (2.706 at 90 %)."""
    from scipy.stats import chi2

    return float(chi2.ppf(check_cl(cl), 1))


def check_parameters(signal: str, names: Sequence[str]) -> tuple[RegionParameter, RegionParameter]:
    """The two :class:`RegionParameter` of ``names`` for ``signal``, or one InputError naming the valid ones."""
    if signal not in REGION_PARAMETERS:
        raise InputError(
            f"signal {signal!r} has no two-parameter region; regions exist for {', '.join(REGION_PARAMETERS)}"
        )
    table = REGION_PARAMETERS[signal]
    names = [str(n) for n in names]
    if len(names) != 2 or len(set(names)) != 2 or any(n not in table for n in names):
        raise InputError(
            f"--params for signal {signal!r} must be two different names of {', '.join(table)}; got {' '.join(names)}"
        )
    return table[names[0]], table[names[1]]
