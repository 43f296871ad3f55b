"""Light vector mediator Z′ of mass M with per-flavour neutrino charges and an electron charge.

Lagrangian L = −g Z′_μ [ Σ_α Q_α ν̄_α γ^μ P_L ν_α + Q_e ē γ^μ e ]. At Q² = 2 m_e T the exchange is the
contact term of the SM's Z exchange with the coupling product C_α = g² Q_α Q_e, i.e. equal shifts of
both chiral couplings (:mod:`exonu.xsec.chiral`)

    δ_L^α = δ_R^α = X_α = C_α / [2√2 G_F (2 m_e T + M²)],   so Δg_V = 2 X_α, Δg_A = 0,

which gives the familiar interference ∝ g² and pure ∝ g⁴ terms (R. Harnik, J. Kopp, P. Machado,
JCAP 07 (2012) 026, arXiv:1202.6073; S. Bilmis et al., PRD 92 (2015) 033009, arXiv:1505.07805; D. G.
Cerdeño et al., JHEP 05 (2016) 118, arXiv:1604.01025 for B−L), all T/E_ν terms kept:

    dσ_int/dT = G_F m_e C [ (g_V+g_A) + (g_V−g_A)(1−y)² − g_V m_e T/E² ] / (√2 π D)
    dσ_pure/dT = m_e C² [ 2 − 2y + y² − m_e T/E² ] / (4 π D²),     D = 2 m_e T + M².

Charge sets (:data:`CHARGE_SETS`): "universal" (all +1), "B-L" (leptons −1: C = +g², identical to the
universal case for ν–e scattering), "Le-Lmu" and "Le-Ltau" (ν_e, e: +1; ν_μ or ν_τ: −1; tree-level
charges only), and "Lmu-Ltau", where electrons couple only through the μ/τ-loop kinetic mixing with the
photon. For Q² ≪ m_μ² the mixing is ε = e g ln(m_τ/m_μ)/(6π²) and the electron's effective coupling
−ε e (QED vertex −e Q_f, Q_e = −1), so Q_e = −e² ln(m_τ/m_μ)/(6π²) = −0.0043706 in units of g
(ε = 0.0144329 g; sign as in the L_μ−L_τ analysis of D. W. P. Amaral et al., JHEP 11 (2020) 069,
arXiv:2006.11225). Then C_{ν_μ} < 0: the ν_μ interference is positive (g_V^μ < 0) and the ν_τ one
negative; for equal ν_μ and ν_τ fluxes they cancel and only the g⁴ term is left. The full one-loop
ε(q²) differs from the limit by < 4×10⁻⁷ for T ≤ 100 keV.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from ..constants import ALPHA, ELECTRON_MASS_MEV, FERMI_CONSTANT_MEV2
from ..errors import InputError
from ..presets import DEFAULT_SIN2_THETA_W
from . import checks
from .base import FLAVOURS
from .chiral import ChiralShiftInteraction

#: Muon and tau masses in MeV (PDG 2022, R. L. Workman et al., PTEP 2022 083C01)
MUON_MASS_MEV = 105.6583755
TAU_MASS_MEV = 1776.86
#: Loop-induced Z′–photon kinetic mixing of L_μ−L_τ per unit g, ε/g = e ln(m_τ/m_μ)/(6π²) (q² ≪ m_μ²)
LMU_LTAU_MIXING_PER_G = math.sqrt(4 * math.pi * ALPHA) * math.log(TAU_MASS_MEV / MUON_MASS_MEV) / (6 * math.pi**2)


@dataclass(frozen=True)
class ChargeSet:
    """U(1) charges of the three neutrino flavours and the electron's effective charge (units of g)."""

    name: str
    neutrino: Mapping[str, float]
    electron: float
    description: str

    def coupling_product(self, flavour: str, coupling: float) -> float:
        """C_α = g² Q_α Q_e (dimensionless)."""
        return coupling**2 * self.neutrino[flavour] * self.electron


def _charges(e: float, mu: float, tau: float) -> Mapping[str, float]:
    return MappingProxyType(dict(zip(FLAVOURS, (e, mu, tau), strict=False)))


CHARGE_SETS: Mapping[str, ChargeSet] = MappingProxyType(
    {
        "universal": ChargeSet("universal", _charges(1, 1, 1), 1.0, "all leptons charge +1"),
        "B-L": ChargeSet("B-L", _charges(-1, -1, -1), -1.0, "baryon minus lepton number: leptons −1"),
        "Le-Lmu": ChargeSet("Le-Lmu", _charges(1, -1, 0), 1.0, "L_e − L_μ (tree-level charges)"),
        "Le-Ltau": ChargeSet("Le-Ltau", _charges(1, 0, -1), 1.0, "L_e − L_τ (tree-level charges)"),
        "Lmu-Ltau": ChargeSet(
            "Lmu-Ltau",
            _charges(0, 1, -1),
            -math.sqrt(4 * math.pi * ALPHA) * LMU_LTAU_MIXING_PER_G,
            "L_μ − L_τ; electrons through the μ/τ-loop kinetic mixing ε e",
        ),
    }
)


def charge_set(name: str | ChargeSet) -> ChargeSet:
    """The :class:`ChargeSet` called ``name`` (one of :data:`CHARGE_SETS`), or an InputError."""
    if isinstance(name, ChargeSet):
        return name
    try:
        return CHARGE_SETS[name]
    except (KeyError, TypeError):
        raise InputError(f"unknown charge set {name!r}; expected one of {sorted(CHARGE_SETS)}") from None


class LightVector(ChiralShiftInteraction):
    """Excess over the SM from a light vector Z′ (pure + interference by default).

    Parameters
    ----------
    coupling : float
        Gauge coupling g (dimensionless, 0 ≤ g ≤ √(4π)).
    mass_mev : float
        Mediator mass M in MeV (0 < M ≤ 10⁵).
    charges : str or ChargeSet
        One of :data:`CHARGE_SETS` ("universal", "B-L", "Le-Lmu", "Le-Ltau", "Lmu-Ltau").
    part : {"both", "pure", "interference"}
    sin2_theta_w : float

    References
    ----------
    arXiv:1202.6073, arXiv:1505.07805, arXiv:1604.01025 (B−L), arXiv:2006.11225 (L_μ−L_τ).
    """

    name = "light-vector"

    def __init__(
        self,
        coupling: float,
        mass_mev: float,
        charges: str = "universal",
        part: str = "both",
        sin2_theta_w: float = DEFAULT_SIN2_THETA_W,
    ):
        super().__init__(part, sin2_theta_w)
        self.coupling = checks.coupling(f"{self.name} coupling g", coupling)
        self.mass_mev = checks.mediator_mass_mev(mass_mev)
        self.charges = charge_set(charges)

    def chiral_shifts(self, t_mev: np.ndarray, flavour: str) -> tuple[np.ndarray, np.ndarray]:
        c = self.charges.coupling_product(flavour, self.coupling)
        x = c / (2 * math.sqrt(2) * FERMI_CONSTANT_MEV2 * (2 * ELECTRON_MASS_MEV * t_mev + self.mass_mev**2))
        return x, x

    def parameters(self) -> dict[str, Any]:
        return {
            "coupling": self.coupling,
            "mass_mev": self.mass_mev,
            "charges": self.charges.name,
            **super().parameters(),
        }


class DarkPhotonBL(LightVector):
    """The paper's U(1)_{B−L} dark photon: :class:`LightVector` with the "B-L" charges.

    Parameters
    ----------
    coupling : float
        g_{B−L}.
    mass_mev : float
        M_{A′} in MeV.
    part : {"both", "pure", "interference"}
    sin2_theta_w : float

    References
    ----------
    XMASS Collaboration, PLB 809 (2020) 135741, arXiv:2005.11891; arXiv:1604.01025.
    """

    name = "dark-photon"

    def __init__(
        self, coupling: float, mass_mev: float, part: str = "both", sin2_theta_w: float = DEFAULT_SIN2_THETA_W
    ):
        super().__init__(coupling, mass_mev, "B-L", part, sin2_theta_w)

    def parameters(self) -> dict[str, Any]:
        return {
            "coupling": self.coupling,
            "mass_mev": self.mass_mev,
            "part": self.part,
            "sin2_theta_w": self.sin2_theta_w,
        }
