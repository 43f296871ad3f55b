"""Vector-like new physics as shifts of the chiral couplings of ν_α–e scattering.

The tree-level SM cross section in chiral form (P. Vogel, J. Engel, PRD 39 (1989) 3378; C. Giunti,
A. Studenikin, RMP 87 (2015) 531, arXiv:1403.6344, neutrino–electron elastic scattering section) is

    dσ_α/dT = (2 G_F² m_e / π) [ g_L² + g_R² (1 − y)² − g_L g_R m_e T / E_ν² ],   y = T/E_ν,

with g_L^e = ½ + s²_W (charged current Fierzed in), g_L^{μ,τ} = −½ + s²_W, g_R = s²_W. This is the
same expression as :mod:`exonu.xsec.weak` with g_V = g_L + g_R, g_A = g_L − g_R.

Every vector or axial-vector exchange that couples to the left-handed neutrino current — a light Z′ of
any U(1) charges, an axial mediator, contact NSI with electrons, the neutrino charge radius — enters
only through Q²-dependent shifts g_L → g_L + δ_L^α(Q²), g_R → g_R + δ_R^α(Q²), Q² = 2 m_e T (the form
used by the public codes pyCEvNS and SNuDD; D. W. P. Amaral et al., arXiv:2006.11225). Expanding the
bracket in δ gives the two terms a search needs:

    interference = (2 G_F² m_e / π) [ 2 g_L δ_L + 2 g_R δ_R (1 − y)² − (g_L δ_R + g_R δ_L) m_e T/E_ν² ]
    pure         = (2 G_F² m_e / π) [ δ_L² + δ_R² (1 − y)² − δ_L δ_R m_e T/E_ν² ]

Each is exact (the cross section is quadratic in δ); the excess over the SM is their sum.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..constants import ELECTRON_MASS_MEV, FERMI_CONSTANT_MEV2
from ..errors import InputError
from ..presets import DEFAULT_SIN2_THETA_W
from . import checks
from .base import Interaction, flavour_index

#: Which part of the excess over the SM an interaction object returns
PARTS = ("both", "pure", "interference")


def chiral_couplings(flavour: str, sin2_theta_w: float) -> tuple[float, float]:
    """SM chiral couplings (g_L, g_R) of ν_flavour on electrons, charged current included for ν_e."""
    g_left = (0.5 if flavour_index(flavour) == 0 else -0.5) + sin2_theta_w
    return g_left, sin2_theta_w


def chiral_excess_terms(
    t_mev: np.ndarray,
    e_mev: np.ndarray,
    g_left: float,
    g_right: float,
    delta_left: np.ndarray | float,
    delta_right: np.ndarray | float,
) -> tuple[np.ndarray, np.ndarray]:
    """Interference and pure parts of dσ/dT (MeV⁻³) for shifts δ_L, δ_R of the chiral couplings.

    Parameters
    ----------
    t_mev, e_mev : ndarray
        Recoil kinetic energy T and neutrino energy E_ν in MeV (kinematically allowed points only).
    g_left, g_right : float
        SM chiral couplings of the flavour.
    delta_left, delta_right : ndarray or float
        Dimensionless shifts δ_L, δ_R (may depend on T through Q² = 2 m_e T).

    Returns
    -------
    tuple of ndarray
        (interference, pure) in MeV⁻³.
    """
    return (
        chiral_excess_part("interference", t_mev, e_mev, g_left, g_right, delta_left, delta_right),
        chiral_excess_part("pure", t_mev, e_mev, g_left, g_right, delta_left, delta_right),
    )


def chiral_excess_part(
    part: str,
    t_mev: np.ndarray,
    e_mev: np.ndarray,
    g_left: float,
    g_right: float,
    delta_left: np.ndarray | float,
    delta_right: np.ndarray | float,
) -> np.ndarray:
    """One part of :func:`chiral_excess_terms` (``"interference"`` or ``"pure"``), in MeV⁻³, without
    computing the other: an interaction object that returns one part (a template term) costs half."""
    me = ELECTRON_MASS_MEV
    prefactor = 2 * FERMI_CONSTANT_MEV2**2 * me / math.pi
    right_weight = (1 - t_mev / e_mev) ** 2
    mixed_weight = me * t_mev / e_mev**2
    if part == "interference":
        return prefactor * (
            2 * g_left * delta_left
            + 2 * g_right * delta_right * right_weight
            - (g_left * delta_right + g_right * delta_left) * mixed_weight
        )
    if part == "pure":
        return prefactor * (delta_left**2 + delta_right**2 * right_weight - delta_left * delta_right * mixed_weight)
    raise InputError(f"part must be 'interference' or 'pure'; got {part!r}")


class ChiralShiftInteraction(Interaction):
    """Base class of the vector-like interactions: subclasses give δ_L, δ_R per flavour.

    Parameters
    ----------
    part : {"both", "pure", "interference"}
        Which part of the excess over the SM to return (the total rate is SM + "both").
    sin2_theta_w : float
        Weak mixing angle of the SM couplings the new term interferes with.
    """

    def __init__(self, part: str = "both", sin2_theta_w: float = DEFAULT_SIN2_THETA_W):
        if part not in PARTS:
            raise InputError(f"{self.name} part must be one of {PARTS}; got {part!r}")
        self.part = part
        self.sin2_theta_w = checks.sin2_theta_w(sin2_theta_w)

    def chiral_shifts(
        self, t_mev: np.ndarray, flavour: str
    ) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - abstract
        """(δ_L, δ_R) for ν_flavour at recoil T (MeV), dimensionless."""
        raise NotImplementedError

    def _dsigma_dt_natural(self, t: np.ndarray, e: np.ndarray, flavour: str) -> np.ndarray:
        g_left, g_right = chiral_couplings(flavour, self.sin2_theta_w)
        delta_left, delta_right = self.chiral_shifts(t, flavour)
        if self.part != "both":  # one template term: the other part is not computed
            return chiral_excess_part(self.part, t, e, g_left, g_right, delta_left, delta_right)
        interference, pure = chiral_excess_terms(t, e, g_left, g_right, delta_left, delta_right)
        return interference + pure

    def parameters(self) -> dict[str, Any]:
        return {"part": self.part, "sin2_theta_w": self.sin2_theta_w}
