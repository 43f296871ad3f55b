"""What a search is: the signal model, its physical parameter and α-power, and the paper's searches as data.

Reference: XMASS Collaboration, PLB 809 (2020) 135741, arXiv:2005.11891, §4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..xsec import FLAVOURS

#: Physical parameter, unit and α-power of each signal model
PARAMETERS = {
    "millicharge": ("charge_e", "e", 2),
    "magnetic-moment": ("mu_bohr", "mu_B", 2),
    "dark-photon": ("coupling", "dimensionless", 4),
}
#: The paper's windows for each model on the XMASS-I detector (paper §4.1)
PREFERRED_WINDOWS = {"millicharge": "millicharge", "magnetic-moment": "full", "dark-photon": "full"}
#: The paper's atomic treatment per model (paper §3.1)
ATOMIC_MODEL = {"millicharge": "rrpa", "magnetic-moment": "fea", "dark-photon": "fea"}
#: Reference values (α = 1), chosen near the expected sensitivity so α is of order one
DEFAULT_REFERENCE = {"millicharge": 5e-12, "magnetic-moment": 1e-10}


@dataclass(frozen=True)
class SearchSpec:
    """One search, declared as data.

    Attributes
    ----------
    key : str
        Result key (e.g. ``"magnetic_moment_mub"``).
    model : {"millicharge", "magnetic-moment", "dark-photon"}
    window : str or None
        Analysis window of the detector; None picks the paper's (XMASS-I) or the only one.
    flavours : tuple of str
        Flavours carrying the new interaction (millicharge per-flavour limits).
    mass_mev : float or None
        Dark-photon mass.
    reference : float or None
        Parameter value at α = 1 (None: a default near the expected sensitivity).
    published : float or None
        The paper's 90 % CL limit, for comparison.
    atomic_model : str or None
        None: the paper's choice for the model.
    """

    key: str
    model: str
    window: str | None = None
    flavours: tuple = FLAVOURS
    mass_mev: float | None = None
    reference: float | None = None
    published: float | None = None
    atomic_model: str | None = None

    def __post_init__(self):
        if self.model not in PARAMETERS:
            raise InputError(f"unknown signal model {self.model!r}; expected one of {sorted(PARAMETERS)}")
        if self.model == "dark-photon" and (self.mass_mev is None or not self.mass_mev > 0):
            raise InputError("the dark-photon search needs a mass in MeV > 0 (--mass-mev)")

    @property
    def parameter(self) -> str:
        return PARAMETERS[self.model][0]

    @property
    def unit(self) -> str:
        return PARAMETERS[self.model][1]

    @property
    def alpha_power(self) -> int:
        return PARAMETERS[self.model][2]


#: The paper's searches (XMASS-I); the dark-photon scan is built by :func:`dark_photon_specs`.
PAPER_SEARCHES = (
    SearchSpec("millicharge_common_e", "millicharge", published=5.4e-12),
    SearchSpec("millicharge_nue_e", "millicharge", flavours=("e",), published=7.3e-12),
    SearchSpec("millicharge_numu_e", "millicharge", flavours=("mu",), published=1.1e-11),
    SearchSpec("millicharge_nutau_e", "millicharge", flavours=("tau",), published=1.1e-11),
    SearchSpec("magnetic_moment_mub", "magnetic-moment", published=1.8e-10),
)
PUBLISHED_DARK_PHOTON = ({"mass_mev": 1e-3, "limit": 1.3e-6}, {"mass_mev": 10.0, "limit": 8.8e-5})


def dark_photon_masses(n: int = 43, low_mev: float = 1e-3, high_mev: float = 1e3) -> np.ndarray:
    """Log-spaced masses with both published points (1e-3 and 10 MeV) exactly on the grid.

    ``n`` = 43 gives 7 points per decade over six decades (10 MeV = 10^(4 × 7/7 − 3) is a node).
    """
    if n < 2:
        raise InputError("the dark-photon mass grid needs at least 2 points")
    masses = np.geomspace(low_mev, high_mev, n)
    for exact in (1e-3, 10.0):  # snap the nearest node so the published masses are on the grid
        if low_mev <= exact <= high_mev:
            masses[np.argmin(np.abs(np.log(masses / exact)))] = exact
    return masses


def dark_photon_specs(masses_mev) -> list[SearchSpec]:
    published = {p["mass_mev"]: p["limit"] for p in PUBLISHED_DARK_PHOTON}
    return [SearchSpec(f"dark_photon_{m:.4g}MeV", "dark-photon", mass_mev=float(m), published=published.get(float(m)))
            for m in masses_mev]
