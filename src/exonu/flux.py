"""Solar neutrino sources: spectral shapes, lines and total fluxes at Earth.

Each source is a :class:`SolarSource`: either a continuum with a unit-normalised shape λ(E_ν) in keV⁻¹
on [0, endpoint], or a set of monochromatic lines with branching fractions. A :class:`SolarFlux`
combines sources with the total fluxes of a solar-model preset (:mod:`exonu.presets`).

Shapes (docs/physics.md §8.1): pp, 13N, 15O and 17F use the allowed β⁺ shape with a non-relativistic Fermi
function, which reproduces Bahcall's tables to < 1 %; 8B (Winter et al., PRC 73 (2006) 025503) and hep
(Bahcall) are shipped tables, renormalised to unit integral on load. 7Be is two lines, 861.8 keV
(89.7 %) and 384.3 keV (10.3 %) as in Bahcall's line-shape file; pep a line at 1442.2 keV.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import presets
from .constants import ALPHA, DEUTERON_MASS_MEV, ELECTRON_MASS_MEV, KEV_PER_MEV, PROTON_MASS_MEV
from .errors import InputError, check_float, check_float_array, check_int

#: pep line: 2 m_p + m_e − m_d (docs/physics.md §8.1)
PEP_LINE_KEV = (2 * PROTON_MASS_MEV + ELECTRON_MASS_MEV - DEUTERON_MASS_MEV) * KEV_PER_MEV


def allowed_beta_plus_shape(e_nu_kev: ArrayLike, endpoint_kev: float, daughter_z: int) -> np.ndarray:
    """Unnormalised allowed β⁺ neutrino spectrum E_ν² W p F(Z_d, W).

    Parameters
    ----------
    e_nu_kev : array_like
        Neutrino energy in keV.
    endpoint_kev : float
        Neutrino endpoint E₀ in keV.
    daughter_z : int
        Charge of the daughter nucleus (1 for pp → d).

    Returns
    -------
    ndarray
        Shape in arbitrary units; zero outside (0, E₀).

    Notes
    -----
    W = E₀ + m_e − E_ν is the positron total energy, p its momentum, and F = 2πη/(exp(2πη) − 1) with
    η = Z_d α W/p the non-relativistic Fermi function for a positron (docs/physics.md §8.1).
    """
    e = check_float_array(e_nu_kev, "e_nu_kev", allow_empty=True) / KEV_PER_MEV
    e0 = check_float(endpoint_kev, "endpoint_kev", lower=0.0, lower_inclusive=False) / KEV_PER_MEV
    daughter_z = check_int(daughter_z, "daughter_z", lower=1, upper=118)
    inside = (e > 0) & (e < e0)
    w = np.where(inside, e0 + ELECTRON_MASS_MEV - e, 2 * ELECTRON_MASS_MEV)
    p = np.sqrt(np.maximum(w**2 - ELECTRON_MASS_MEV**2, 1e-300))
    two_pi_eta = 2 * np.pi * daughter_z * ALPHA * w / p
    # 2πη/(exp(2πη) − 1) computed without overflow near the endpoint, where p → 0 and η → ∞
    fermi = np.where(two_pi_eta < 700, two_pi_eta / np.expm1(np.minimum(two_pi_eta, 700)), 0.0)
    return np.where(inside, e**2 * w * p * fermi, 0.0)


def _load_table(filename: str) -> tuple[np.ndarray, np.ndarray]:
    """Load a shipped spectrum table (E in MeV, density), returning keV and the raw density."""
    text = resources.files("exonu.data.solar").joinpath(filename).read_text()
    rows = np.loadtxt(text.splitlines(), ndmin=2)
    return rows[:, 0] * KEV_PER_MEV, rows[:, 1]


@dataclass(frozen=True)
class SolarSource:
    """One solar neutrino source.

    Attributes
    ----------
    name : str
        Source name, e.g. ``"pp"`` or ``"7Be"``.
    endpoint_kev : float
        Largest neutrino energy in keV.
    lines : tuple of (energy_keV, branching)
        Monochromatic lines (empty for a continuum).
    shape : callable or None
        Unnormalised continuum shape λ̃(E_ν/keV); normalised internally to unit integral.
    citation : str
        Where the shape comes from.
    """

    name: str
    endpoint_kev: float
    lines: tuple[tuple[float, float], ...] = ()
    shape: Callable[[np.ndarray], np.ndarray] | None = field(default=None, compare=False, repr=False)
    citation: str = ""
    #: (energy_keV, density) nodes of a piecewise-linear tabulated shape, integrated exactly
    table: tuple[np.ndarray, np.ndarray] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InputError(f"a solar source needs a name; got {self.name!r}")
        check_float(self.endpoint_kev, f"source {self.name!r}: endpoint_kev", lower=0.0, lower_inclusive=False)
        for line in self.lines:
            if not isinstance(line, tuple) or len(line) != 2:
                raise InputError(f"source {self.name!r}: lines must be (energy_keV, branching) pairs; got {line!r}")
            check_float(line[0], f"source {self.name!r}: line energy (keV)", lower=0.0, lower_inclusive=False)
            check_float(line[1], f"source {self.name!r}: branching", lower=0.0, upper=1.0, lower_inclusive=False)
        if not self.lines and not callable(self.shape):
            raise InputError(f"source {self.name!r}: a continuum needs a callable shape (or give lines)")

    @property
    def is_line(self) -> bool:
        return len(self.lines) > 0

    @cached_property
    def _norm(self) -> float:
        from scipy import integrate  # here: scipy.integrate costs ~0.3 s to import, and a cached run needs no norm

        if self.table is not None:  # linear interpolation: the trapezoid rule is exact
            return float(integrate.trapezoid(self.table[1], self.table[0]))
        # Adaptive quadrature once per source; the analytic shapes vanish at both ends.
        value, _ = integrate.quad(self.shape, 0.0, self.endpoint_kev, limit=400, epsabs=0, epsrel=1e-9)
        return value

    def pdf(self, e_nu_kev: ArrayLike) -> np.ndarray:
        """Unit-normalised spectrum λ(E_ν) in keV⁻¹ (continuum sources only)."""
        shape = self.shape
        if self.is_line or shape is None:  # __post_init__ ensures a shape whenever there are no lines
            raise InputError(f"source {self.name!r} is a line; it has no continuous pdf")
        return shape(check_float_array(e_nu_kev, "e_nu_kev", allow_empty=True)) / self._norm


def _beta_plus(name: str, endpoint_kev: float, daughter_z: int, citation: str) -> SolarSource:
    return SolarSource(
        name, endpoint_kev, shape=lambda e: allowed_beta_plus_shape(e, endpoint_kev, daughter_z), citation=citation
    )


def _tabulated(name: str, filename: str, citation: str) -> SolarSource:
    e_kev, density = _load_table(filename)
    # Start the interpolation at zero so the pdf has no jump below the first table point.
    e_kev = np.concatenate([[0.0], e_kev])
    density = np.concatenate([[0.0], np.clip(density, 0.0, None)])
    return SolarSource(
        name,
        float(e_kev[-1]),
        shape=lambda e: np.interp(e, e_kev, density, left=0.0, right=0.0),
        citation=citation,
        table=(e_kev, density),
    )


def _build_sources() -> dict[str, SolarSource]:
    bahcall = "allowed β⁺ shape, docs/physics.md §8.1 (reproduces J. N. Bahcall's tables to < 1 %)"
    return {
        # pp endpoint 423.41 keV: Bahcall's solar value (thermal energy of the protons adds ~3 keV).
        "pp": _beta_plus("pp", 423.41, 1, bahcall),
        "13N": _beta_plus("13N", 1199.0, 6, bahcall),
        "15O": _beta_plus("15O", 1732.0, 7, bahcall),
        "17F": _beta_plus("17F", 1740.0, 8, bahcall),
        "7Be": SolarSource(
            "7Be",
            861.8,
            lines=((861.8, 0.897), (384.3, 0.103)),
            citation="J. N. Bahcall, PRD 49 (1994) 3923; branching 89.7/10.3 % as in 7belineshape",
        ),
        "pep": SolarSource(
            "pep", PEP_LINE_KEV, lines=((PEP_LINE_KEV, 1.0),), citation="line at 2m_p + m_e − m_d, docs/physics.md §8.1"
        ),
        "8B": _tabulated("8B", "b8_spectrum_winter2006.txt", "W. T. Winter et al., PRC 73 (2006) 025503"),
        "hep": _tabulated("hep", "hep_spectrum_bahcall.txt", "J. N. Bahcall, solar neutrino tables"),
    }


SOURCES: dict[str, SolarSource] = _build_sources()


@dataclass(frozen=True)
class SolarFlux:
    """A set of solar sources normalised with one solar-model preset.

    Parameters
    ----------
    model : str
        Name of a preset in :data:`exonu.presets.SOLAR_MODELS` (default the paper's SFII-GS98).
    sources : sequence of str
        Which sources to include (default the paper's pp and 7Be).

    Examples
    --------
    >>> SolarFlux().flux_per_cm2_s("pp")
    59800000000.0
    """

    model: str = presets.DEFAULT_SOLAR_MODEL
    sources: tuple[str, ...] = presets.DEFAULT_SOLAR_SOURCES

    def __post_init__(self) -> None:
        presets.get_preset(presets.SOLAR_MODELS, self.model, "solar model")
        # a bare string would iterate into characters ("pp" -> "p", "p"): ask for a sequence of names
        if isinstance(self.sources, str) or not isinstance(self.sources, Iterable):
            raise InputError(f"sources must be a sequence of source names such as ('pp', '7Be'); got {self.sources!r}")
        object.__setattr__(self, "sources", tuple(self.sources))
        if not self.sources:
            raise InputError("SolarFlux needs at least one source")
        for s in self.sources:
            if not isinstance(s, str) or s not in SOURCES:
                raise InputError(f"unknown solar source {s!r}; expected some of {list(SOURCES)}")
        if len(set(self.sources)) != len(self.sources):
            raise InputError(f"solar sources listed twice: {self.sources}")

    @property
    def preset(self) -> presets.SolarModelPreset:
        return presets.SOLAR_MODELS[self.model]

    def flux_per_cm2_s(self, source: str) -> float:
        """Total flux of one source at 1 AU in cm⁻² s⁻¹."""
        return float(presets.get_preset(self.preset.fluxes_per_cm2_s, source, "solar source"))

    def relative_uncertainty(self, source: str) -> float:
        """Fractional 1σ uncertainty of the total flux of one source in this solar model."""
        return float(presets.get_preset(self.preset.relative_uncertainty, source, "solar source"))

    def items(self) -> Sequence[tuple[SolarSource, float]]:
        """The (source, total flux in cm⁻² s⁻¹) pairs that make up this flux."""
        return [(SOURCES[s], self.flux_per_cm2_s(s)) for s in self.sources]

    def describe(self) -> dict[str, Any]:
        """Provenance record for results files."""
        return {"solar_model": self.model, "sources": list(self.sources), "citation": self.preset.citation}
