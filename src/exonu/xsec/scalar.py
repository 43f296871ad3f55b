"""Light scalar and pseudoscalar mediators: chirality-flipping, so no interference with the SM.

Scalar, L = −φ [ g_ν ν̄ν + g_e ēe ], C = g_ν g_e; exact tree level for an incoming left-handed ν, summed
over the final helicity, electron spins averaged:

    dσ/dT = C² m_e T (2 m_e + T) / [ 8 π E_ν² (2 m_e T + M²)² ].

The form usually quoted, C² m_e² T / [4π E_ν² (2 m_e T + M²)²] (D. G. Cerdeño et al., JHEP 05 (2016) 118,
arXiv:1604.01025; C. Boehm et al., PRD 102 (2020) 115013, arXiv:2006.11250), is its T ≪ m_e limit: the
exact one is larger by (1 + T/2m_e), +1 % at 10 keV.

Pseudoscalar, L = −φ [ g_ν ν̄ iγ5 ν + g_e ē iγ5 e ]:

    dσ/dT = C² m_e T² / [ 8 π E_ν² (2 m_e T + M²)² ],

suppressed by T/(2 m_e + T) relative to the scalar (same S/P/V/A structure as W. Link, X.-J. Xu,
arXiv:1903.09891). Both are pure terms ∝ g⁴ for g_ν = g_e = g; they are flavour universal.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..constants import ELECTRON_MASS_MEV
from ..errors import InputError
from . import checks
from .base import Interaction

#: A chirality-flipping mediator has only a pure term (which is also the whole excess)
SCALAR_PARTS = ("both", "pure")


class _ChiralityFlipMediator(Interaction):
    """Common constructor of the scalar and pseudoscalar mediators (g = g_ν = g_e)."""

    def __init__(self, coupling: float, mass_mev: float, part: str = "both"):
        if part not in SCALAR_PARTS:
            raise InputError(
                f"{self.name} has no interference with the SM; part must be one of {SCALAR_PARTS}, got {part!r}"
            )
        self.coupling = checks.coupling(f"{self.name} coupling g", coupling)
        self.mass_mev = checks.mediator_mass_mev(mass_mev)
        self.part = part

    def _denominator(self, t: np.ndarray, e: np.ndarray) -> np.ndarray:
        return 8 * math.pi * e**2 * (2 * ELECTRON_MASS_MEV * t + self.mass_mev**2) ** 2

    def parameters(self) -> dict[str, Any]:
        return {"coupling": self.coupling, "mass_mev": self.mass_mev, "part": self.part}


class Scalar(_ChiralityFlipMediator):
    """Light scalar mediator with g_ν = g_e = g (excess over the SM = pure term ∝ g⁴).

    Parameters
    ----------
    coupling : float
        g = g_ν = g_e.
    mass_mev : float
        Mediator mass M in MeV.
    part : {"both", "pure"}
        The same thing: there is no interference term.
    """

    name = "scalar"

    def _dsigma_dt_natural(self, t: np.ndarray, e: np.ndarray, flavour: str) -> np.ndarray:
        me = ELECTRON_MASS_MEV
        return self.coupling**4 * me * t * (2 * me + t) / self._denominator(t, e)


class Pseudoscalar(_ChiralityFlipMediator):
    """Light pseudoscalar mediator with g_ν = g_e = g (pure term ∝ g⁴ only).

    Parameters
    ----------
    coupling : float
        g = g_ν = g_e.
    mass_mev : float
        Mediator mass M in MeV.
    part : {"both", "pure"}
    """

    name = "pseudoscalar"

    def _dsigma_dt_natural(self, t: np.ndarray, e: np.ndarray, flavour: str) -> np.ndarray:
        return self.coupling**4 * ELECTRON_MASS_MEV * t**2 / self._denominator(t, e)
