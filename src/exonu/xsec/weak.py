"""Standard-Model ν_α–e elastic scattering at tree level (docs/physics.md §3).

dσ_α/dT = (G_F² m_e / 2π)[(g_V+g_A)² + (g_V−g_A)²(1−T/E)² − (g_V²−g_A²) m_e T/E²], with
ν_e: g_V = ½ + 2 s²_W, g_A = ½ (NC + Fierz-rearranged CC); ν_μ,τ: g_V = −½ + 2 s²_W, g_A = −½.

References: G. 't Hooft, PLB 37 (1971) 195; W. J. Marciano, Z. Parsa, J. Phys. G 29 (2003) 2629.
Radiative corrections (Bahcall, Kamionkowski & Sirlin, PRD 51 (1995) 6146) are not included: they move
the rate at the percent level, and XMASS very likely used tree level.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..constants import ELECTRON_MASS_MEV, FERMI_CONSTANT_MEV2
from ..presets import DEFAULT_SIN2_THETA_W
from . import checks
from .base import Interaction, flavour_index


def vector_axial_couplings(flavour: str, sin2_theta_w: float) -> tuple[float, float]:
    """Effective (g_V, g_A) of ν_flavour on electrons, charged current included for ν_e."""
    if flavour_index(flavour) == 0:
        return 0.5 + 2 * sin2_theta_w, 0.5
    return -0.5 + 2 * sin2_theta_w, -0.5


class Weak(Interaction):
    """Standard-Model weak scattering.

    Parameters
    ----------
    sin2_theta_w : float
        Weak mixing angle; default 0.2386 (low-Q² MS-bar value, docs/physics.md §1).
    """

    name = "sm"

    def __init__(self, sin2_theta_w: float = DEFAULT_SIN2_THETA_W):
        self.sin2_theta_w = checks.sin2_theta_w(sin2_theta_w)

    def _dsigma_dt_natural(self, t: np.ndarray, e: np.ndarray, flavour: str) -> np.ndarray:
        gv, ga = vector_axial_couplings(flavour, self.sin2_theta_w)
        me = ELECTRON_MASS_MEV
        return (FERMI_CONSTANT_MEV2**2 * me / (2 * math.pi)) * (
            (gv + ga) ** 2 + (gv - ga) ** 2 * (1 - t / e) ** 2 - (gv**2 - ga**2) * me * t / e**2
        )

    def parameters(self) -> dict[str, Any]:
        return {"sin2_theta_w": self.sin2_theta_w}
