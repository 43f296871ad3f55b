"""The paper's U(1)_{B−L} dark photon, now the "B-L" case of :mod:`exonu.xsec.light_vector`.

Kept so that ``from exonu.xsec.dark_photon import DarkPhotonBL`` keeps working.
"""

from .chiral import PARTS
from .light_vector import DarkPhotonBL

__all__ = ["PARTS", "DarkPhotonBL"]
