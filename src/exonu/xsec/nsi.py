"""Flavour-diagonal contact non-standard interactions (NSI) of neutrinos with electrons.

L_NSI = −2√2 G_F Σ_{P=L,R} ε^{eP}_{αα} (ν̄_α γ^μ P_L ν_α)(ē γ_μ P e) (S. Davidson et al., JHEP 03 (2003)
011, hep-ph/0302093; A. Bolaños et al., PRD 79 (2009) 113012, arXiv:0812.4417), which shifts the SM
chiral couplings of the flavour α by constants (:mod:`exonu.xsec.chiral`):

    g_L^α → g_L^α + ε^{eL}_{αα},   g_R^α → g_R^α + ε^{eR}_{αα}.

Vector NSI ε^{eV} = ε^{eL} + ε^{eR} with ε^{eA} = ε^{eL} − ε^{eR} = 0 means ε^{eL} = ε^{eR} = ε^{eV}/2
(the convention of SNuDD, D. W. P. Amaral et al., arXiv:2302.12846). The excess is linear (interference)
plus quadratic (pure) in ε; flavour-changing ε_{αβ} are not included.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..presets import DEFAULT_SIN2_THETA_W
from . import checks
from .base import FLAVOURS
from .chiral import ChiralShiftInteraction

#: Largest |ε| accepted: NSI of order 10 G_F would already be excluded by orders of magnitude
MAX_NSI = 10.0


class ElectronNSI(ChiralShiftInteraction):
    """Excess over the SM from contact NSI ε^{eL}_{αα}, ε^{eR}_{αα} for the listed flavours.

    Parameters
    ----------
    eps_l, eps_r : float
        ε^{eL}_{αα} and ε^{eR}_{αα} (dimensionless, in units of G_F, |ε| ≤ 10), the same for every
        flavour in ``flavours``.
    flavours : sequence of str
        Flavours α with the NSI (others are SM).
    part : {"both", "pure", "interference"}
    sin2_theta_w : float

    References
    ----------
    hep-ph/0302093, arXiv:0812.4417, arXiv:2302.12846.
    """

    name = "nsi"

    def __init__(
        self,
        eps_l: float = 0.0,
        eps_r: float = 0.0,
        flavours: Sequence[str] = ("e",),
        part: str = "both",
        sin2_theta_w: float = DEFAULT_SIN2_THETA_W,
    ):
        super().__init__(part, sin2_theta_w)
        self.eps_l = checks.real_number("NSI eps_l", eps_l, low=-MAX_NSI, high=MAX_NSI)
        self.eps_r = checks.real_number("NSI eps_r", eps_r, low=-MAX_NSI, high=MAX_NSI)
        self.flavours = checks.flavour_tuple(flavours, FLAVOURS)

    def chiral_shifts(self, t_mev: np.ndarray, flavour: str) -> tuple[np.ndarray, np.ndarray]:
        if flavour not in self.flavours:
            return 0.0 * t_mev, 0.0 * t_mev
        return self.eps_l + 0.0 * t_mev, self.eps_r + 0.0 * t_mev

    def parameters(self) -> dict[str, Any]:
        return {"eps_l": self.eps_l, "eps_r": self.eps_r, "flavours": list(self.flavours), **super().parameters()}
