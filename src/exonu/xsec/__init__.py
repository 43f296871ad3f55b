"""Neutrino–electron cross sections per free electron, one module per interaction family.

Each interaction object has ``dsigma_dt(t_kev, e_nu_kev, flavour)`` returning dσ/dT in cm² keV⁻¹ per
free electron at rest (arrays broadcast), zero above the kinematic limit T_max(E_ν). Beyond-SM objects
return the *excess* over the SM (pure + interference, or one of them with ``part=``). The registry
:data:`MODELS` maps the CLI's model names to classes.

Modules: :mod:`.weak` (SM), :mod:`.magnetic_moment`, :mod:`.millicharge`, :mod:`.chiral` (vector-like
shifts of g_L, g_R), :mod:`.light_vector` (Z′ of any charges, B−L dark photon), :mod:`.axial_vector`,
:mod:`.scalar` (scalar and pseudoscalar), :mod:`.nsi`, :mod:`.charge_radius`, :mod:`.checks`.
"""

from .axial_vector import AxialVector
from .base import FLAVOURS, Interaction, electron_min_neutrino_energy_kev, max_recoil_kev
from .charge_radius import ChargeRadius, delta_gv
from .chiral import PARTS, ChiralShiftInteraction, chiral_couplings, chiral_excess_terms
from .light_vector import CHARGE_SETS, LMU_LTAU_MIXING_PER_G, ChargeSet, DarkPhotonBL, LightVector, charge_set
from .magnetic_moment import MagneticMoment
from .millicharge import Millicharge
from .nsi import ElectronNSI
from .scalar import Pseudoscalar, Scalar
from .weak import Weak

#: CLI/API model name → interaction class
MODELS: dict[str, type[Interaction]] = {
    "sm": Weak,
    "magnetic-moment": MagneticMoment,
    "millicharge": Millicharge,
    "dark-photon": DarkPhotonBL,
    "light-vector": LightVector,
    "scalar": Scalar,
    "axial-vector": AxialVector,
    "pseudoscalar": Pseudoscalar,
    "nsi": ElectronNSI,
    "charge-radius": ChargeRadius,
}

__all__ = [
    "CHARGE_SETS",
    "FLAVOURS",
    "LMU_LTAU_MIXING_PER_G",
    "MODELS",
    "PARTS",
    "AxialVector",
    "ChargeRadius",
    "ChargeSet",
    "ChiralShiftInteraction",
    "DarkPhotonBL",
    "ElectronNSI",
    "Interaction",
    "LightVector",
    "MagneticMoment",
    "Millicharge",
    "Pseudoscalar",
    "Scalar",
    "Weak",
    "charge_set",
    "chiral_couplings",
    "chiral_excess_terms",
    "delta_gv",
    "electron_min_neutrino_energy_kev",
    "max_recoil_kev",
]
