"""Physical spectral shapes of radioactive backgrounds: β⁻ decay with a Fermi function, 2νββ.

References
----------
β-decay shapes: standard Fermi theory (e.g. Konopinski, *The Theory of Beta Radioactivity*, 1966);
2νββ summed-electron spectrum: Primakoff–Rosen approximation (Rep. Prog. Phys. 22 (1959) 121).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import loggamma

from ..constants import ALPHA, ELECTRON_MASS_MEV, KEV_PER_MEV
from ..errors import InputError, check_float, check_float_array, check_int

__all__ = ["beta_spectrum_pdf", "double_beta_summed_pdf", "fermi_function"]

_ME_KEV = ELECTRON_MASS_MEV * KEV_PER_MEV
# reduced Compton wavelength of the electron in fm (ħc / m_e c²), to express the nuclear radius in
# natural (m_e) units inside the Fermi function
_LAMBDA_E_FM = 197.3269804 / ELECTRON_MASS_MEV


# ------------------------------------------------------------------------------------------------
# physical spectral shapes
# ------------------------------------------------------------------------------------------------
def fermi_function(kinetic_kev: ArrayLike, daughter_z: int, mass_number: int) -> np.ndarray:
    """Relativistic Fermi function F(Z, W) for β⁻ decay (point charge, evaluated at the nuclear radius).

    F = 2(1+γ) (2pR)^(2γ−2) e^(πη) |Γ(γ + iη)|² / Γ(2γ+1)²,  γ = √(1 − (αZ)²),  η = αZW/p,

    with W the electron's total energy and p its momentum in units of m_e, R = 1.2 A^⅓ fm.

    Parameters
    ----------
    kinetic_kev : array_like
        Electron kinetic energy (keV, > 0).
    daughter_z : int
        Charge of the daughter nucleus (Z + 1 of the parent for β⁻).
    mass_number : int
        Mass number A (sets the nuclear radius).

    References
    ----------
    E. J. Konopinski, *The Theory of Beta Radioactivity* (1966); standard textbook form.
    """
    k = check_float_array(kinetic_kev, "kinetic_kev", lower=0.0, allow_empty=True)
    daughter_z = check_int(daughter_z, "daughter_z", lower=1, upper=int(1 / ALPHA))  # γ = √(1 − (αZ)²) real
    mass_number = check_int(mass_number, "mass_number", lower=1, upper=300)
    w = 1.0 + k / _ME_KEV
    p = np.sqrt(np.clip(w * w - 1.0, 1e-300, None))
    az = ALPHA * daughter_z
    gamma = np.sqrt(1.0 - az * az)
    eta = az * w / p
    radius = 1.2 * mass_number ** (1.0 / 3.0) / _LAMBDA_E_FM
    log_f = (
        np.log(2.0 * (1.0 + gamma))
        + (2.0 * gamma - 2.0) * np.log(2.0 * p * radius)
        + np.pi * eta
        + 2.0 * np.real(loggamma(gamma + 1j * eta))
        - 2.0 * np.real(loggamma(2.0 * gamma + 1.0))
    )
    return np.exp(log_f)


def _beta_shape_unnormalised(
    k: np.ndarray, q_kev: float, daughter_z: int, mass_number: int, forbiddenness: str
) -> np.ndarray:
    inside = (k > 0) & (k < q_kev)
    kk = np.where(inside, k, 0.5 * q_kev)
    w = 1.0 + kk / _ME_KEV
    w0 = 1.0 + q_kev / _ME_KEV
    p = np.sqrt(w * w - 1.0)
    q_nu = w0 - w  # neutrino momentum (= energy) in m_e units
    shape = fermi_function(kk, daughter_z, mass_number) * p * w * q_nu**2
    if forbiddenness == "unique_first":
        shape = shape * (p * p + q_nu * q_nu)  # unique first-forbidden shape factor
    elif forbiddenness != "allowed":
        raise InputError(f"forbiddenness must be 'allowed' or 'unique_first'; got {forbiddenness!r}")
    return np.where(inside, shape, 0.0)


def beta_spectrum_pdf(
    kinetic_kev: ArrayLike, q_kev: float, daughter_z: int, mass_number: int, forbiddenness: str = "allowed"
) -> np.ndarray:
    """Normalised β⁻ kinetic-energy spectrum (per keV), zero outside (0, Q).

    N(T) ∝ F(Z, W) p W (W₀ − W)² C(W), with C = 1 (allowed) or C = p² + q² (unique first forbidden,
    q = W₀ − W the neutrino momentum). Normalised numerically on a 4000-point grid (0.1 % accuracy).

    Parameters
    ----------
    kinetic_kev : array_like
        Electron kinetic energy (keV).
    q_kev : float
        Q value of the branch (keV).
    daughter_z, mass_number : int
        Daughter nucleus charge and mass number (Fermi function).
    forbiddenness : {"allowed", "unique_first"}
    """
    q_kev = check_float(q_kev, "β spectrum: Q (keV)", lower=0.0, lower_inclusive=False)
    kinetic_kev = check_float_array(kinetic_kev, "β spectrum: kinetic_kev", allow_empty=True)
    grid = (np.arange(4000) + 0.5) * (q_kev / 4000)
    norm = np.sum(_beta_shape_unnormalised(grid, q_kev, daughter_z, mass_number, forbiddenness)) * (q_kev / 4000)
    return (
        _beta_shape_unnormalised(np.asarray(kinetic_kev, dtype=float), q_kev, daughter_z, mass_number, forbiddenness)
        / norm
    )


def double_beta_summed_pdf(sum_kinetic_kev: ArrayLike, q_kev: float) -> np.ndarray:
    """Normalised 2νββ spectrum of the summed electron kinetic energy K (per keV), zero outside (0, Q).

    Primakoff–Rosen approximation (K, K₀ in units of m_e):
    dN/dK ∝ K (K₀ − K)⁵ (1 + 2K + 4K²/3 + K³/3 + K⁴/30).

    References
    ----------
    H. Primakoff and S. P. Rosen, Rep. Prog. Phys. 22 (1959) 121.
    """
    q_kev = check_float(q_kev, "2νββ spectrum: Q (keV)", lower=0.0, lower_inclusive=False)
    sum_kinetic_kev = check_float_array(sum_kinetic_kev, "2νββ spectrum: sum_kinetic_kev", allow_empty=True)

    def shape(k_kev: ArrayLike) -> np.ndarray:
        k = np.clip(np.asarray(k_kev, dtype=float), 0.0, q_kev) / _ME_KEV
        k0 = q_kev / _ME_KEV
        return k * (k0 - k) ** 5 * (1 + 2 * k + 4 * k**2 / 3 + k**3 / 3 + k**4 / 30)

    grid = (np.arange(4000) + 0.5) * (q_kev / 4000)
    norm = np.sum(shape(grid)) * (q_kev / 4000) / _ME_KEV  # shape is per unit K/m_e
    x = np.asarray(sum_kinetic_kev, dtype=float)
    return np.where((x > 0) & (x < q_kev), shape(x) / _ME_KEV / norm, 0.0)
