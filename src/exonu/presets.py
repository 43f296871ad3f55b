"""Named, cited parameter sets: solar models, mixing parameters, weak mixing angle, flavour content.

Every physics input that a user might want to change lives here as a frozen preset with its reference,
and results record the names of the presets they used. Numbers are those of
docs/physics.md §1, §8.3 and §9.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeVar

from .errors import InputError


@dataclass(frozen=True)
class SolarModelPreset:
    """Total fluxes at 1 AU (cm⁻² s⁻¹) and their fractional 1σ uncertainties for one solar model."""

    name: str
    fluxes_per_cm2_s: Mapping[str, float]
    relative_uncertainty: Mapping[str, float]
    citation: str
    note: str = ""


_V = TypeVar("_V")


def _frozen(d: dict[str, _V]) -> Mapping[str, _V]:
    return MappingProxyType(dict(d))


SOLAR_MODELS: Mapping[str, SolarModelPreset] = _frozen(
    {
        # The paper's choice: pp 5.98e10 and 7Be 5.00e9 (paper §1, ref. [6]) match SFII-GS98 only.
        "SFII-GS98": SolarModelPreset(
            name="SFII-GS98",
            fluxes_per_cm2_s=_frozen(
                {
                    "pp": 5.98e10,
                    "pep": 1.44e8,
                    "hep": 8.04e3,
                    "7Be": 5.00e9,
                    "8B": 5.58e6,
                    "13N": 2.96e8,
                    "15O": 2.23e8,
                    "17F": 5.52e6,
                }
            ),
            relative_uncertainty=_frozen(
                {"pp": 0.006, "pep": 0.012, "hep": 0.30, "7Be": 0.07, "8B": 0.14, "13N": 0.14, "15O": 0.15, "17F": 0.17}
            ),
            citation="A. M. Serenelli, W. C. Haxton, C. Peña-Garay, ApJ 743 (2011) 24, arXiv:1104.1639",
            note="uncertainties other than pp (0.6 %) and 7Be (7 %, both quoted by XMASS) are unverified [M]",
        ),
        "SFII-AGSS09": SolarModelPreset(
            name="SFII-AGSS09",
            fluxes_per_cm2_s=_frozen(
                {
                    "pp": 6.03e10,
                    "pep": 1.47e8,
                    "hep": 8.31e3,
                    "7Be": 4.56e9,
                    "8B": 4.59e6,
                    "13N": 2.17e8,
                    "15O": 1.56e8,
                    "17F": 3.40e6,
                }
            ),
            relative_uncertainty=_frozen(
                {"pp": 0.006, "pep": 0.012, "hep": 0.30, "7Be": 0.07, "8B": 0.14, "13N": 0.14, "15O": 0.15, "17F": 0.16}
            ),
            citation="A. M. Serenelli, W. C. Haxton, C. Peña-Garay, ApJ 743 (2011) 24, arXiv:1104.1639",
            note="uncertainties unverified [M]",
        ),
        "B16-GS98": SolarModelPreset(
            name="B16-GS98",
            fluxes_per_cm2_s=_frozen(
                {
                    "pp": 5.98e10,
                    "pep": 1.44e8,
                    "hep": 7.98e3,
                    "7Be": 4.93e9,
                    "8B": 5.46e6,
                    "13N": 2.78e8,
                    "15O": 2.05e8,
                    "17F": 5.29e6,
                }
            ),
            relative_uncertainty=_frozen(
                {"pp": 0.006, "pep": 0.01, "hep": 0.30, "7Be": 0.06, "8B": 0.12, "13N": 0.15, "15O": 0.17, "17F": 0.20}
            ),
            citation="N. Vinyoles et al., ApJ 835 (2017) 202, arXiv:1611.09867",
        ),
        "B16-AGSS09met": SolarModelPreset(
            name="B16-AGSS09met",
            fluxes_per_cm2_s=_frozen(
                {
                    "pp": 6.03e10,
                    "pep": 1.46e8,
                    "hep": 8.25e3,
                    "7Be": 4.50e9,
                    "8B": 4.50e6,
                    "13N": 2.04e8,
                    "15O": 1.44e8,
                    "17F": 3.26e6,
                }
            ),
            relative_uncertainty=_frozen(
                {"pp": 0.005, "pep": 0.009, "hep": 0.30, "7Be": 0.06, "8B": 0.12, "13N": 0.14, "15O": 0.16, "17F": 0.18}
            ),
            citation="N. Vinyoles et al., ApJ 835 (2017) 202, arXiv:1611.09867",
            note="uncertainties unverified [M]",
        ),
    }
)

DEFAULT_SOLAR_MODEL = "SFII-GS98"
#: The paper uses pp and 7Be only (paper §1); other sources are opt-in.
DEFAULT_SOLAR_SOURCES = ("pp", "7Be")


@dataclass(frozen=True)
class MixingPreset:
    """Three-flavour mixing parameters for the MSW-LMA survival probability."""

    name: str
    sin2_theta12: float
    sin2_theta13: float
    sin2_theta23: float
    delta_m2_21_ev2: float
    citation: str


MIXING: Mapping[str, MixingPreset] = _frozen(
    {
        "NuFIT-5.0-NO": MixingPreset(
            "NuFIT-5.0-NO",
            0.304,
            0.02219,
            0.573,
            7.42e-5,
            "I. Esteban et al., JHEP 09 (2020) 178, arXiv:2007.14792 (NuFIT 5.0, normal ordering)",
        ),
        "PDG-2020": MixingPreset(
            "PDG-2020", 0.307, 0.0218, 0.545, 7.53e-5, "P. A. Zyla et al. (Particle Data Group), PTEP 2020 083C01"
        ),
    }
)
DEFAULT_MIXING = "NuFIT-5.0-NO"

#: Electron density at the production point, in units of N_A cm⁻³ (docs/physics.md §9, production-weighted
#: typical values [M]). hep has no value in the sheet; it shares 8B's (irrelevant below 1 MeV recoils).
PRODUCTION_ELECTRON_DENSITY_NA_CM3: Mapping[str, float] = _frozen(
    {"pp": 70.0, "pep": 80.0, "7Be": 90.0, "13N": 100.0, "15O": 100.0, "17F": 100.0, "8B": 100.0, "hep": 100.0}
)

SIN2_THETA_W: Mapping[str, float] = _frozen(
    {
        "low-Q2": 0.2386,  # MS-bar running to Q→0 (PDG); the default, as in docs/physics.md §11.2
        "MSbar-MZ": 0.23121,
        "on-shell": 0.2229,
    }
)
DEFAULT_SIN2_THETA_W = SIN2_THETA_W["low-Q2"]


@dataclass(frozen=True)
class FlavourContentPreset:
    """Energy-independent flavour fractions at Earth (ν_e, ν_μ, ν_τ) with 1σ uncertainties."""

    name: str
    fractions: tuple[float, float, float]
    uncertainties: tuple[float, float, float]
    citation: str


FLAVOUR_CONTENT: Mapping[str, FlavourContentPreset] = _frozen(
    {
        "XMASS-2020": FlavourContentPreset(
            "XMASS-2020",
            (0.54, 0.23, 0.23),
            (0.02, 0.01, 0.01),
            "XMASS Collaboration, PLB 809 (2020) 135741, §4.2 (54 ± 2 %, 23 ± 1 %, 23 ± 1 %)",
        ),
    }
)
DEFAULT_FLAVOUR_CONTENT = "XMASS-2020"


def get_preset(table: Mapping[str, _V], name: str, what: str) -> _V:
    """Look up a preset by name, raising :class:`InputError` that lists the valid names.

    A name that is not a string (None, a list) is an unknown name too, not a ``TypeError``.
    """
    if not isinstance(name, str) or name not in table:
        raise InputError(f"unknown {what} {name!r}; expected one of {sorted(table)}")
    return table[name]


__all__ = [
    "DEFAULT_FLAVOUR_CONTENT",
    "DEFAULT_MIXING",
    "DEFAULT_SIN2_THETA_W",
    "DEFAULT_SOLAR_MODEL",
    "DEFAULT_SOLAR_SOURCES",
    "FLAVOUR_CONTENT",
    "MIXING",
    "PRODUCTION_ELECTRON_DENSITY_NA_CM3",
    "SIN2_THETA_W",
    "SOLAR_MODELS",
    "FlavourContentPreset",
    "MixingPreset",
    "SolarModelPreset",
    "get_preset",
]
