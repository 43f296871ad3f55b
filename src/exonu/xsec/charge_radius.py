"""Neutrino charge radius: a vector contact term with the electron.

With the charge form factor F_Q(q²) = q² ⟨r²_{ν_α}⟩/6, photon exchange with the electron (charge −1) is
a q²-independent vector interaction: in the convention of C. Giunti, A. Studenikin, RMP 87 (2015) 531,
arXiv:1403.6344 (neutrino charge-radius section),

    Δg_V^α = (√2 π α / 3 G_F) ⟨r²_{ν_α}⟩ = (2/3) m_W² s²_W ⟨r²_{ν_α}⟩,   δ_L = δ_R = Δg_V/2,

with g_V = g_L + g_R (:mod:`exonu.xsec.chiral`), only for the flavour that carries the radius.
⟨r²⟩ = 10⁻³² cm² gives Δg_V = 0.0237956. ⟨r²⟩ > 0 raises g_V, i.e. raises the ν_e rate and lowers the
ν_μ,τ rate (g_V^μ ≈ −0.023).

Convention warning: part of the literature writes the shift as s²_W → s²_W + (√2πα/3G_F)⟨r²⟩, which
changes g_V by twice this amount; a limit quoted in that convention is half of ours.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..constants import ALPHA, FERMI_CONSTANT_MEV2, HBARC_MEV_CM
from ..presets import DEFAULT_SIN2_THETA_W
from . import checks
from .base import FLAVOURS
from .chiral import ChiralShiftInteraction

#: Δg_V per cm² of ⟨r²⟩: √2 π α/(3 G_F) with ⟨r²⟩ converted to MeV⁻² by (ħc)²
DELTA_GV_PER_CM2 = math.sqrt(2) * math.pi * ALPHA / (3 * FERMI_CONSTANT_MEV2) / HBARC_MEV_CM**2
#: Largest |⟨r²⟩| accepted, cm² (Δg_V ≈ 2.4e4, far beyond any allowed value)
MAX_RADIUS2_CM2 = 1e-26


def delta_gv(radius2_cm2: float) -> float:
    """Shift of the vector coupling, Δg_V = √2 π α ⟨r²⟩/(3 G_F), for ⟨r²⟩ in cm²."""
    return DELTA_GV_PER_CM2 * checks.real_number(
        "charge radius <r^2>", radius2_cm2, low=-MAX_RADIUS2_CM2, high=MAX_RADIUS2_CM2, unit="cm²"
    )


class ChargeRadius(ChiralShiftInteraction):
    """Excess over the SM from a neutrino charge radius ⟨r²⟩ (may be negative) of the listed flavours.

    Parameters
    ----------
    radius2_cm2 : float
        ⟨r²_{ν_α}⟩ in cm² (Giunti–Studenikin convention; |⟨r²⟩| ≤ 1e-26 cm²).
    flavours : sequence of str
        Flavours with this charge radius (others have none).
    part : {"both", "pure", "interference"}
    sin2_theta_w : float

    References
    ----------
    arXiv:1403.6344.
    """

    name = "charge-radius"

    def __init__(
        self,
        radius2_cm2: float,
        flavours: Sequence[str] = ("e",),
        part: str = "both",
        sin2_theta_w: float = DEFAULT_SIN2_THETA_W,
    ):
        super().__init__(part, sin2_theta_w)
        self.radius2_cm2 = checks.real_number(
            "charge radius <r^2>", radius2_cm2, low=-MAX_RADIUS2_CM2, high=MAX_RADIUS2_CM2, unit="cm²"
        )
        self.flavours = checks.flavour_tuple(flavours, FLAVOURS)

    def chiral_shifts(self, t_mev: np.ndarray, flavour: str) -> tuple[np.ndarray, np.ndarray]:
        half_shift = 0.5 * delta_gv(self.radius2_cm2) if flavour in self.flavours else 0.0
        return half_shift + 0.0 * t_mev, half_shift + 0.0 * t_mev

    def parameters(self) -> dict[str, Any]:
        return {
            "radius2_cm2": self.radius2_cm2,
            "flavours": list(self.flavours),
            "delta_gv": delta_gv(self.radius2_cm2),
            **super().parameters(),
        }
