"""Neutrino millicharge (docs/physics.md §5).

Free electron, one-photon exchange, charge q·e with q dimensionless:

    dσ/dT = (2π α² q² / (m_e T²)) [1 − T/E + (T² − m_e T)/(2E²)]

which is the pure B−L term of :mod:`exonu.xsec.dark_photon` with g² → 4πα q and M → 0 (tested).
Note α², not α: with q in units of e the coupling is α q²; one public code writes α¹, which inflates
the rate by 137 (docs/physics.md §5.1 pitfall). The q-linear interference with the weak amplitude is **not**
included, as in the paper: its flavour limits scale exactly as 1/√f (docs/physics.md §11.1 P3).

Atomic binding matters much more here than for the other interactions because the 1/Q⁴ photon
propagator favours tiny momentum transfers, where a bound electron absorbs the virtual photon like a
real one. :func:`epa_dsigma_dt_per_atom` gives that low-Q² contribution in the equivalent-photon
approximation (EPA); :mod:`exonu.spectrum` adds it to the FEA ("rrpa" atomic model; README).

References: J.-W. Chen et al., PRD 90 (2014) 011301(R), arXiv:1405.7168 (EPA and RRPA, Ge);
C.-C. Hsieh et al., PRD 100 (2019) 073001, arXiv:1903.06085 (RRPA, Xe); XMASS-I, PLB 809 (2020) 135741.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..atomic import photoabsorption_cm2_per_atom
from ..constants import ALPHA, ELECTRON_MASS_MEV
from . import checks
from .base import FLAVOURS, Interaction, flavour_index

#: Default neutrino mass in the EPA logarithm ln(E_ν/m_ν), eV (docs/physics.md §5.3; L ≈ 14.9 at 0.3 MeV)
DEFAULT_EPA_NEUTRINO_MASS_EV = 0.1
#: Largest neutrino mass in the EPA logarithm (eV): above ~1 keV ln(E_ν/m_ν) is no longer a large log
MAX_EPA_NEUTRINO_MASS_EV = 1e3
#: Largest millicharge accepted (units of e)
MAX_MILLICHARGE_E = 1.0


class Millicharge(Interaction):
    """Neutrino electric millicharge q (in units of e) for the listed flavours.

    Parameters
    ----------
    charge_e : float
        |q| in units of the elementary charge.
    flavours : sequence of str
        Flavours that carry the charge: all three (common charge, default) or one (flavour limits).
    epa_neutrino_mass_ev : float
        Neutrino mass in the EPA logarithm; the result depends on it logarithmically.
    """

    name = "millicharge"
    photon_pole = True

    def __init__(
        self,
        charge_e: float,
        flavours: Sequence[str] = FLAVOURS,
        epa_neutrino_mass_ev: float = DEFAULT_EPA_NEUTRINO_MASS_EV,
    ):
        self.charge_e = checks.real_number("millicharge", charge_e, low=0.0, high=MAX_MILLICHARGE_E, unit="e")
        self.flavours = checks.flavour_tuple(flavours, FLAVOURS)
        # ln(E_ν/m_ν) must stay large and positive for the EPA: m_ν well below the solar ν energies
        self.epa_neutrino_mass_ev = checks.real_number(
            "epa_neutrino_mass_ev",
            epa_neutrino_mass_ev,
            low=0.0,
            low_open=True,
            high=MAX_EPA_NEUTRINO_MASS_EV,
            unit="eV",
        )

    def _dsigma_dt_natural(self, t: np.ndarray, e: np.ndarray, flavour: str) -> np.ndarray:
        if flavour not in self.flavours:
            return 0.0 * t
        me = ELECTRON_MASS_MEV
        bracket = 1 - t / e + (t**2 - me * t) / (2 * e**2)
        return 2 * math.pi * ALPHA**2 * self.charge_e**2 / (me * t**2) * bracket

    def epa_dsigma_dt_per_atom(
        self, t_kev: ArrayLike, e_nu_kev: ArrayLike, flavour: str = "e", neutrino_mass_ev: float | None = None
    ) -> np.ndarray:
        """Equivalent-photon (low-Q²) millicharge cross section per Xe **atom**, cm² keV⁻¹.

        dσ/dT = (α q²/π) · [1 + (1 − y)²]/T · σ_γ(T) · ln(E_ν/m_ν), y = T/E_ν, for T < E_ν.

        The Weizsäcker–Williams photon flux of a charge q e, with the spin-½ splitting factor
        [1 + (1 − y)²]/2 (→ 1 for T ≪ E_ν, recovering docs/physics.md §5.3's (2αq²/π)(σ_γ/T)L), times the
        photoabsorption cross section σ_γ of Xe (xraydb). The logarithm integrates dQ²/Q² between
        Q²_min ≈ m_ν²T²/E² and Q²_max ≈ T². ``neutrino_mass_ev`` (eV) replaces the interaction's own
        ``epa_neutrino_mass_ev`` in the logarithm (an atomic model's stated input).
        """
        if flavour_index(flavour) is not None and flavour not in self.flavours:
            return np.zeros(np.broadcast(np.asarray(t_kev), np.asarray(e_nu_kev)).shape)
        t = np.asarray(t_kev, dtype=float)
        e = np.asarray(e_nu_kev, dtype=float)
        allowed = (t > 0) & (t < e)
        y = np.where(allowed, t / np.where(e > 0, e, 1.0), 0.0)
        mass_ev = self.epa_neutrino_mass_ev if neutrino_mass_ev is None else neutrino_mass_ev
        log_term = np.log(np.where(allowed, e * 1e3 / mass_ev, 1.0))
        sigma_gamma = photoabsorption_cm2_per_atom(t)
        value = (
            ALPHA * self.charge_e**2 / math.pi * (1 + (1 - y) ** 2) / np.where(t > 0, t, 1.0) * sigma_gamma * log_term
        )
        return np.where(allowed, value, 0.0)

    def parameters(self) -> dict[str, Any]:
        return {
            "charge_e": self.charge_e,
            "flavours": list(self.flavours),
            "epa_neutrino_mass_ev": self.epa_neutrino_mass_ev,
        }
