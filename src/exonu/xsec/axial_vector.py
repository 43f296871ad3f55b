"""Light axial-vector mediator coupling to the left-handed neutrino current and the electron axial current.

L = −Z′_μ [ g_ν ν̄ γ^μ P_L ν + g_e^A ē γ^μ γ5 e ], with P_L = (1 − γ5)/2 so that ēγ^μγ5e = ē_Rγe_R − ē_Lγe_L.
With C_A = g_ν g_e^A the exchange shifts the chiral couplings oppositely (:mod:`exonu.xsec.chiral`):

    δ_L = −X_A,  δ_R = +X_A,  X_A = C_A / [2√2 G_F (2 m_e T + M²)],   i.e. Δg_V = 0, Δg_A = −2 X_A,

    dσ_int/dT = −G_F m_e C_A [ (g_V+g_A) − (g_V−g_A)(1−y)² + g_A m_e T/E² ] / (√2 π D)
    dσ_pure/dT = m_e C_A² [ 2 − 2y + y² + m_e T/E² ] / (4 π D²),   D = 2 m_e T + M².

The q^μq^ν/M² part of the propagator does not contribute (conserved massless-ν current). For C_A > 0 the
interference is destructive for ν_e and constructive for ν_μ,τ. Writing the neutrino coupling axially
(g_ν^A ν̄γ^μγ5ν) flips the sign of C_A and hence of the interference. S/P/V/A structures of this kind:
W. Link, X.-J. Xu, JHEP 08 (2019) 004, arXiv:1903.09891; searches with XENONnT/LZ electron recoils:
arXiv:2208.02144, arXiv:2208.06415.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..constants import ELECTRON_MASS_MEV, FERMI_CONSTANT_MEV2
from ..presets import DEFAULT_SIN2_THETA_W
from . import checks
from .chiral import ChiralShiftInteraction


class AxialVector(ChiralShiftInteraction):
    """Excess over the SM from a light axial-vector mediator with g_ν = g_e^A = g.

    Parameters
    ----------
    coupling : float
        g = g_ν = g_e^A (C_A = g²).
    mass_mev : float
        Mediator mass M in MeV.
    part : {"both", "pure", "interference"}
    sin2_theta_w : float
    """

    name = "axial-vector"

    def __init__(
        self, coupling: float, mass_mev: float, part: str = "both", sin2_theta_w: float = DEFAULT_SIN2_THETA_W
    ):
        super().__init__(part, sin2_theta_w)
        self.coupling = checks.coupling(f"{self.name} coupling g", coupling)
        self.mass_mev = checks.mediator_mass_mev(mass_mev)

    def chiral_shifts(self, t_mev: np.ndarray, flavour: str) -> tuple[np.ndarray, np.ndarray]:
        x = self.coupling**2 / (
            2 * math.sqrt(2) * FERMI_CONSTANT_MEV2 * (2 * ELECTRON_MASS_MEV * t_mev + self.mass_mev**2)
        )
        return -x, x

    def parameters(self) -> dict[str, Any]:
        return {"coupling": self.coupling, "mass_mev": self.mass_mev, **super().parameters()}
