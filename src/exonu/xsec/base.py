"""Kinematics and the common interface of the interaction classes (docs/physics.md §2)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..constants import ELECTRON_MASS_MEV, HBARC2_MEV2_CM2, KEV_PER_MEV
from ..errors import InputError, check_float_array

FLAVOURS = ("e", "mu", "tau")
_ME_KEV = ELECTRON_MASS_MEV * KEV_PER_MEV
#: natural-unit dσ/dT in MeV⁻³ → cm² keV⁻¹
MEV3_TO_CM2_PER_KEV = HBARC2_MEV2_CM2 / KEV_PER_MEV


def max_recoil_kev(e_nu_kev: ArrayLike) -> np.ndarray:
    """Largest recoil kinetic energy on a free electron at rest, T_max = 2E²/(m_e + 2E) (keV).

    Examples
    --------
    The pp endpoint (420 keV) reaches recoils up to ≈ 261 keV:

    >>> round(float(max_recoil_kev(420.0)), 1)
    261.1
    """
    e = check_float_array(e_nu_kev, "e_nu_kev", lower=0.0, allow_empty=True)
    return 2 * e**2 / (_ME_KEV + 2 * e)


def electron_min_neutrino_energy_kev(t_kev: ArrayLike) -> np.ndarray:
    """Smallest neutrino energy that can give recoil T: E_min = [T + √(T² + 2 m_e T)]/2 (keV).

    Examples
    --------
    The inverse of :func:`max_recoil_kev`:

    >>> round(float(electron_min_neutrino_energy_kev(max_recoil_kev(420.0))), 9)
    420.0
    """
    t = check_float_array(t_kev, "t_kev", lower=0.0, allow_empty=True)
    return 0.5 * (t + np.sqrt(t**2 + 2 * _ME_KEV * t))


def flavour_index(flavour: str) -> int:
    try:
        return FLAVOURS.index(flavour)
    except ValueError:
        raise InputError(f"unknown flavour {flavour!r}; expected one of {FLAVOURS}") from None


class Interaction:
    """Base class: an interaction with a differential cross section per free electron.

    Subclasses implement ``_dsigma_dt_natural(t_mev, e_mev, flavour)`` in MeV⁻³ (natural units) and
    set ``name``. ``parameters()`` returns the physical parameters for provenance records.
    """

    name = "interaction"
    #: True if the rate scales with a photon-pole 1/Q⁴ propagator that the EPA treats (millicharge)
    photon_pole = False

    def _dsigma_dt_natural(
        self, t_mev: np.ndarray, e_mev: np.ndarray, flavour: str
    ) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def dsigma_dt(self, t_kev: ArrayLike, e_nu_kev: ArrayLike, flavour: str = "e") -> np.ndarray:
        """dσ/dT per free electron in cm² keV⁻¹; zero where T > T_max(E_ν).

        Parameters
        ----------
        t_kev : array_like
            Electron recoil energy T in keV.
        e_nu_kev : array_like
            Neutrino energy E_ν in keV (broadcast against ``t_kev``).
        flavour : {"e", "mu", "tau"}
            Neutrino flavour at the detector.
        """
        flavour_index(flavour)
        t = check_float_array(t_kev, "t_kev", lower=0.0, allow_empty=True) / KEV_PER_MEV
        e = check_float_array(e_nu_kev, "e_nu_kev", lower=0.0, allow_empty=True) / KEV_PER_MEV
        try:
            np.broadcast_shapes(t.shape, e.shape)
        except ValueError:
            raise InputError(f"t_kev of shape {t.shape} and e_nu_kev of shape {e.shape} do not broadcast") from None
        allowed = (t > 0) & (t <= 2 * e**2 / (ELECTRON_MASS_MEV + 2 * e))
        t_safe = np.where(allowed, t, 1.0)
        e_safe = np.where(allowed, e, 1.0)
        value = self._dsigma_dt_natural(t_safe, e_safe, flavour)
        return np.where(allowed, value, 0.0) * MEV3_TO_CM2_PER_KEV

    def parameters(self) -> dict[str, Any]:
        return {}

    def describe(self) -> dict[str, Any]:
        return {"model": self.name, **self.parameters()}
