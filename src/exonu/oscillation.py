"""Flavour content of solar neutrinos at Earth.

Two models with one interface, ``fractions(e_nu_kev, source) -> (f_e, f_μ, f_τ)``:

* :class:`ConstantFlavourContent` — the paper's energy-independent 54/23/23 % (paper §4.2), default.
* :class:`MSWFlavourContent` — adiabatic MSW-LMA survival probability P_ee(E_ν) averaged over the
  Sun–Earth distance, no day–night effect (docs/physics.md §9), with the electron density at the
  production point of each source.

References: S. P. Mikheyev, A. Yu. Smirnov (1985); L. Wolfenstein (1978); the formula in the form of
docs/physics.md §9, e.g. as in the Borexino and NuFIT literature (arXiv:2007.14792).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike

from . import presets
from .errors import InputError, check_float, check_float_array

FLAVOURS = ("e", "mu", "tau")

#: √2 G_F n_e for n_e = 1 N_A cm⁻³, in eV (docs/physics.md §9)
SQRT2_GF_NE_EV_PER_NA_CM3 = 7.6325e-14


class FlavourContent(Protocol):
    """What :class:`exonu.spectrum.RecoilSpectrum` needs of a flavour-content model.

    Implemented by :class:`ConstantFlavourContent` and :class:`MSWFlavourContent`.
    """

    def fractions(self, e_nu_kev: ArrayLike, source: str = "pp") -> np.ndarray:
        """Fractions (f_e, f_μ, f_τ) at Earth of neutrinos of energy ``e_nu_kev`` (keV) from solar source
        ``source``; shape (3,) + shape(e_nu_kev), summing to 1 along the first axis."""
        ...

    def describe(self) -> dict[str, Any]:
        """The presets used, for provenance records."""
        ...


@dataclass(frozen=True)
class ConstantFlavourContent:
    """Energy-independent flavour fractions, default the paper's (0.54, 0.23, 0.23).

    Examples
    --------
    >>> ConstantFlavourContent().fractions(100.0).tolist()   # (f_e, f_μ, f_τ), arXiv:2005.11891 §4.2
    [0.54, 0.23, 0.23]
    """

    preset_name: str = presets.DEFAULT_FLAVOUR_CONTENT

    def __post_init__(self) -> None:
        p = presets.get_preset(presets.FLAVOUR_CONTENT, self.preset_name, "flavour-content preset")
        if abs(sum(p.fractions) - 1.0) > 1e-9:
            raise InputError(f"flavour fractions of {self.preset_name!r} do not sum to 1")

    def fractions(self, e_nu_kev: ArrayLike, source: str = "pp") -> np.ndarray:
        """Fractions (f_e, f_μ, f_τ), shape (3,) + shape(e_nu_kev)."""
        e = check_float_array(e_nu_kev, "e_nu_kev", lower=0.0, allow_empty=True)
        f = np.asarray(presets.FLAVOUR_CONTENT[self.preset_name].fractions)
        return f.reshape((3,) + (1,) * e.ndim) * np.ones_like(e)

    def describe(self) -> dict[str, Any]:
        return {
            "flavour_content": self.preset_name,
            "fractions": list(presets.FLAVOUR_CONTENT[self.preset_name].fractions),
        }


def survival_probability_msw(
    e_nu_kev: ArrayLike, electron_density_na_cm3: float, mixing: presets.MixingPreset
) -> np.ndarray:
    """Adiabatic MSW-LMA ν_e survival probability P_ee at Earth.

    Parameters
    ----------
    e_nu_kev : array_like
        Neutrino energy in keV.
    electron_density_na_cm3 : float
        Electron density at the production point in units of N_A cm⁻³.
    mixing : MixingPreset
        θ12, θ13 and Δm²21.

    Returns
    -------
    ndarray
        P_ee = cos⁴θ13 P_2ν + sin⁴θ13, with P_2ν = ½ + ½ cos2θ12 cos2θ12^m (docs/physics.md §9).
    """
    e_ev = check_float_array(e_nu_kev, "e_nu_kev", lower=0.0, allow_empty=True) * 1e3
    electron_density_na_cm3 = check_float(electron_density_na_cm3, "electron_density_na_cm3", lower=0.0)
    if not isinstance(mixing, presets.MixingPreset):
        raise InputError(
            f"mixing must be a MixingPreset, e.g. presets.MIXING[{presets.DEFAULT_MIXING!r}]; "
            f"got {type(mixing).__name__}"
        )
    c13sq = 1.0 - mixing.sin2_theta13
    cos2t12 = 1.0 - 2.0 * mixing.sin2_theta12
    sin2_2t12 = 4.0 * mixing.sin2_theta12 * (1.0 - mixing.sin2_theta12)
    beta = 2.0 * SQRT2_GF_NE_EV_PER_NA_CM3 * electron_density_na_cm3 * c13sq * e_ev / mixing.delta_m2_21_ev2
    cos2t12_matter = (cos2t12 - beta) / np.sqrt((cos2t12 - beta) ** 2 + sin2_2t12)
    p2 = 0.5 + 0.5 * cos2t12 * cos2t12_matter
    return c13sq**2 * p2 + mixing.sin2_theta13**2


@dataclass(frozen=True)
class MSWFlavourContent:
    """Energy-dependent flavour fractions from the MSW-LMA P_ee(E_ν).

    The non-ν_e part 1 − P_ee is split between ν_μ and ν_τ as cos²θ23 : sin²θ23 by default, or evenly
    (``even_mu_tau=True``, the paper's maximal-θ23 convention). ν_μ and ν_τ have identical SM cross
    sections, so the split matters only for flavour-specific new physics.
    """

    mixing_name: str = presets.DEFAULT_MIXING
    even_mu_tau: bool = False

    def __post_init__(self) -> None:
        presets.get_preset(presets.MIXING, self.mixing_name, "mixing preset")
        if not isinstance(self.even_mu_tau, bool):
            raise InputError(f"even_mu_tau must be True or False; got {self.even_mu_tau!r}")

    @property
    def mixing(self) -> presets.MixingPreset:
        return presets.MIXING[self.mixing_name]

    def fractions(self, e_nu_kev: ArrayLike, source: str = "pp") -> np.ndarray:
        density = presets.get_preset(presets.PRODUCTION_ELECTRON_DENSITY_NA_CM3, source, "solar source")
        pee = survival_probability_msw(e_nu_kev, density, self.mixing)
        s23 = 0.5 if self.even_mu_tau else self.mixing.sin2_theta23
        return np.stack([pee, (1.0 - pee) * (1.0 - s23), (1.0 - pee) * s23])

    def describe(self) -> dict[str, Any]:
        return {
            "flavour_content": "MSW-LMA",
            "mixing": self.mixing_name,
            "production_density_na_cm3": dict(presets.PRODUCTION_ELECTRON_DENSITY_NA_CM3),
            "even_mu_tau": self.even_mu_tau,
        }


def flavour_content(name: str = "constant") -> FlavourContent:
    """Build a flavour-content model by name: ``"constant"`` (the paper's) or ``"msw"``."""
    if name == "constant":
        return ConstantFlavourContent()
    if name == "msw":
        return MSWFlavourContent()
    raise InputError(f"unknown flavour-content model {name!r}; expected 'constant' or 'msw'")
