"""Neutrino magnetic moment (docs/physics.md §4).

dσ/dT = (π α²/m_e²)(μ_ν/μ_B)²(1/T − 1/E). The magnetic term flips helicity, so it does not interfere
with the weak amplitude for m_ν → 0 and is added incoherently.

References: P. Vogel, J. Engel, PRD 39 (1989) 3378; C. Giunti, A. Studenikin, RMP 87 (2015) 531,
arXiv:1403.6344.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..constants import ALPHA, ELECTRON_MASS_MEV
from . import checks
from .base import FLAVOURS, Interaction

#: Largest μ_ν accepted (μ_B); laboratory limits are ~1e-11, so 1e-5 only guards against overflow and typos
MAX_MAGNETIC_MOMENT_BOHR = 1e-5


class MagneticMoment(Interaction):
    """Effective neutrino magnetic moment μ_ν in Bohr magnetons.

    Parameters
    ----------
    mu_bohr : float
        |μ_ν| in units of μ_B (flavour-universal by default).
    flavours : sequence of str, optional
        Flavours carrying the moment; others have none (flavour-specific moments).
    """

    name = "magnetic-moment"

    def __init__(self, mu_bohr: float, flavours: Sequence[str] = FLAVOURS):
        self.mu_bohr = checks.real_number(
            "magnetic moment", mu_bohr, low=0.0, high=MAX_MAGNETIC_MOMENT_BOHR, unit="μ_B"
        )
        self.flavours = checks.flavour_tuple(flavours, FLAVOURS)

    def _dsigma_dt_natural(self, t: np.ndarray, e: np.ndarray, flavour: str) -> np.ndarray:
        if flavour not in self.flavours:
            return 0.0 * t
        return (math.pi * ALPHA**2 / ELECTRON_MASS_MEV**2) * self.mu_bohr**2 * (1 / t - 1 / e)

    def parameters(self) -> dict[str, Any]:
        return {"mu_bohr": self.mu_bohr, "flavours": list(self.flavours)}
