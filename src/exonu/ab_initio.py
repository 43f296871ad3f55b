"""The ab-initio ionisation factor K(E, q) of xenon and the check of the millicharge's low-q part.

K(E, q) is the dynamic structure factor of the atom's electron density in atomic units (relativistic
Hartree–Fock, multipoles L ≤ 6; Caddell, Flambaum & Roberts, PRD 108 (2023) 083030, arXiv:2305.05125;
shipped with its MIT licence in ``exonu/data/xenon_ab_initio``). exonu uses it for one thing only: the
longitudinal (Coulomb, 1/q⁴) part of the millicharge cross section at 1–3 keV, where the integrand lives at
small q and the table is validated (its dipole limit is the photo-absorption cross section). With E_ν ≫ T
and atomic units (m_e = E_H = 1, q in 1/a₀):

    dσ_L/dT = 4π α² q_ν² ∫ dq²/q⁴ S(T, q)  ⇒  R_L(T) = (dσ_L/dT)/(Z_eff dσ_free/dT) = 4 T² ∫ K/q³ dq / Z_eff(T)

with q from the real-photon point T/c to the table's end (docs/physics.md §18.3). The transverse part
(near-real photons) is not in K; at Q² → 0 it is the equivalent-photon term of
:mod:`exonu.xsec.millicharge`, so K (longitudinal) + EPA (transverse) counts nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
from numpy.typing import ArrayLike

from .atomic import AtomicModel, effective_electrons
from .constants import ALPHA
from .errors import InputError, OutOfRangeError, check_float_array
from .spectrum import RecoilSpectrum, default_spectrum
from .xsec.millicharge import DEFAULT_EPA_NEUTRINO_MASS_EV, Millicharge

#: Hartree energy in keV (CODATA 2018: 27.211386 eV)
HARTREE_KEV = 27.211386245988e-3
#: File of the vector K table in exonu.data.xenon_ab_initio
K_TABLE_FILE = "K_Xe_hf_v_6_hp_orth_mat.txt"
#: Above this q (1/a₀) the L ≤ 6 table is not converged (Bethe sum below 90 % of the electrons in reach)
CONVERGED_Q_INV_A0 = 5.0


@dataclass(frozen=True, eq=False)
class IonisationFactor:
    """K(E, q) on its grid: ``energies_hartree`` (n_E,), ``q_inv_a0`` (n_q,), ``k`` (n_E, n_q), all atomic units."""

    energies_hartree: np.ndarray
    q_inv_a0: np.ndarray
    k: np.ndarray

    @property
    def energy_range_kev(self) -> tuple[float, float]:
        return float(self.energies_hartree[0] * HARTREE_KEV), float(self.energies_hartree[-1] * HARTREE_KEV)

    def at_energy(self, t_kev: float) -> np.ndarray:
        """K(T, q) on the q grid, linear in ln E between the two neighbouring rows; T inside the table."""
        lo, hi = self.energy_range_kev
        if not lo * (1 - 1e-4) <= t_kev <= hi * (1 + 1e-4):  # the grid's ends are 5 eV and 10 keV to 5 digits
            raise OutOfRangeError(f"the xenon K table covers {lo:.3g}–{hi:.3g} keV; asked for {t_kev:g} keV")
        log_e = np.log(self.energies_hartree)
        x = np.log(t_kev / HARTREE_KEV)
        i = int(np.clip(np.searchsorted(log_e, x) - 1, 0, log_e.size - 2))
        f = (x - log_e[i]) / (log_e[i + 1] - log_e[i])
        return np.asarray((1 - f) * self.k[i] + f * self.k[i + 1])


@cache
def xenon_ionisation_factor() -> IonisationFactor:
    """The packaged vector K table of xenon (read once per process, ~0.2 s)."""
    text = resources.files("exonu.data.xenon_ab_initio").joinpath(K_TABLE_FILE).read_text()
    rows = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    energies = np.array(rows[0].split(), dtype=float)
    q = np.array(rows[1].split(), dtype=float)
    k = np.array([r.split() for r in rows[2:]], dtype=float)
    if k.shape != (energies.size, q.size):
        raise InputError(f"{K_TABLE_FILE}: expected a {energies.size} × {q.size} K block; got {k.shape}")
    return IonisationFactor(energies, q, k)


@dataclass(frozen=True)
class LongitudinalRatio:
    """R_L(T) of the millicharge and the share of its q-integral above :data:`CONVERGED_Q_INV_A0`."""

    t_kev: np.ndarray
    ratio_to_steps: np.ndarray
    share_unconverged_q: np.ndarray


def millicharge_longitudinal_ratio(t_kev: ArrayLike) -> LongitudinalRatio:
    """R_L(T) = 4T² ∫ K(T, q)/q³ dq / Z_eff(T): the longitudinal millicharge rate over the step rate.

    Integrated over the table's q grid (trapezoid in ln q) from the real-photon point q = αT (atomic units)
    up; for E_ν ≫ T the upper end 2E_ν − T lies beyond the table, where K is negligible. Z_eff with the
    xraydb edges (docs/physics.md §7). Dimensionless; 1 for a free electron.

    >>> r = millicharge_longitudinal_ratio([1.0, 2.0])
    >>> r.ratio_to_steps.round(1)
    array([3.4, 1.8])
    """
    t = check_float_array(t_kev, "t_kev", lower=0.0, lower_inclusive=False)
    table = xenon_ionisation_factor()
    ratios, shares = [], []
    for value in t.ravel():
        k_row = table.at_energy(float(value))
        t_hartree = value / HARTREE_KEV
        keep = table.q_inv_a0 >= ALPHA * t_hartree  # q ≥ T/c: no space-like photon below the real-photon point
        q = table.q_inv_a0[keep]
        integrand = k_row[keep] / q**2  # K/q³ dq = K/q² d(ln q)
        total = np.trapezoid(integrand, np.log(q))
        high = q > CONVERGED_Q_INV_A0
        shares.append(np.trapezoid(integrand[high], np.log(q[high])) / total if total > 0 else 0.0)
        ratios.append(4.0 * t_hartree**2 * total)
    z_eff = effective_electrons(t)
    return LongitudinalRatio(t, (np.array(ratios).reshape(t.shape) / z_eff), np.array(shares).reshape(t.shape))


def photoabsorption_from_k_cm2(t_kev: float, q_inv_a0: float = 0.05) -> float:
    """σ_γ(T) of xenon from the dipole limit of K: σ_γ = 2π² α · 2T K(T, q)/q² (atomic units → cm²).

    The check that the table's K is S(E, q) per Hartree: compare with :func:`exonu.atomic.photoabsorption_cm2_per_atom`.
    """
    table = xenon_ionisation_factor()
    k_row = table.at_energy(float(t_kev))
    k_at_q = float(np.interp(np.log(q_inv_a0), np.log(table.q_inv_a0), k_row))
    bohr_radius_cm = 0.529177210903e-8
    t_hartree = t_kev / HARTREE_KEV
    return 2 * np.pi**2 * ALPHA * 2 * t_hartree * k_at_q / q_inv_a0**2 * bohr_radius_cm**2


@dataclass(frozen=True)
class MillichargeLowQCheck:
    """exonu's millicharge rate against longitudinal-from-K plus transverse-from-σ_γ (docs/physics.md §18.3).

    All rates are events/(t·yr·keV) at q = 1e-12 e (every ratio is independent of q).

    Attributes
    ----------
    steps, epa : ndarray
        The step (free-electron) part and the equivalent-photon part of the default ``steps+epa`` rate.
    longitudinal : ndarray
        steps × R_L(T): the longitudinal part from K.
    check_over_default : ndarray
        (longitudinal + epa) / (steps + epa).
    share_unconverged_q : ndarray
        Share of the K integral from q > 5/a₀, where the L ≤ 6 table is biased low.
    """

    t_kev: np.ndarray
    steps: np.ndarray
    epa: np.ndarray
    longitudinal: np.ndarray
    check_over_default: np.ndarray
    share_unconverged_q: np.ndarray


def millicharge_low_q_check(
    t_kev: ArrayLike, spectrum: RecoilSpectrum | None = None, neutrino_mass_ev: float = DEFAULT_EPA_NEUTRINO_MASS_EV
) -> MillichargeLowQCheck:
    """The K-table check of the millicharge rate at T (keV; meaningful at 1–3 keV, docs/physics.md §18.3).

    The check replaces the free-electron part of the default treatment by the longitudinal part from K and
    keeps the transverse (equivalent-photon) part, which K does not contain.
    """
    t = check_float_array(t_kev, "t_kev", lower=0.0, lower_inclusive=False)
    spectrum = spectrum or default_spectrum()
    charge = Millicharge(1e-12)
    steps = spectrum.rate(t, charge, atomic_model=AtomicModel())
    default = spectrum.rate(t, charge, atomic_model=AtomicModel(epa=True, epa_neutrino_mass_ev=neutrino_mass_ev))
    epa = default - steps
    ratio = millicharge_longitudinal_ratio(t)
    longitudinal = steps * ratio.ratio_to_steps
    return MillichargeLowQCheck(t, steps, epa, longitudinal, (longitudinal + epa) / default, ratio.share_unconverged_q)
