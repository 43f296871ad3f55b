"""Xenon target atoms: subshell binding energies, free-electron steps and photoabsorption.

* **FEA steps** (paper Eq. (2), docs/physics.md §7): each of the 17 Xe subshells contributes its electrons
  as free once T exceeds its binding energy, Z_eff(T) = Σ n_i θ(T − B_i). Binding energies from the
  X-ray edges of ``xraydb`` (Elam, Ravel & Sieber tables = X-ray Data Booklet, default) or the
  Dirac–Fock orbital energies of Chen et al., PLB 774 (2017) 656, arXiv:1610.04177 (shipped table).
* **Photoabsorption** σ_γ(ω) of Xe from ``xraydb.mu_elam(..., kind="photo")`` for the
  equivalent-photon (EPA) part of the millicharge treatment (:mod:`exonu.xsec.millicharge`).
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from .constants import AVOGADRO, EV_PER_KEV, XENON_MOLAR_MASS_G, XENON_Z
from .errors import ConfigError, InputError, OutOfRangeError, check_choice, check_float_array
from .fileio import read_text_input

#: Electrons per subshell, keyed by X-ray edge name (IUPAC notation); sums to 54.
XENON_SUBSHELL_OCCUPANCY = {
    "K": 2,
    "L1": 2,
    "L2": 2,
    "L3": 4,
    "M1": 2,
    "M2": 2,
    "M3": 4,
    "M4": 4,
    "M5": 6,
    "N1": 2,
    "N2": 2,
    "N3": 4,
    "N4": 4,
    "N5": 6,
    "O1": 2,
    "O2": 2,
    "O3": 4,
}
#: Orbital label of each edge, to match the Dirac–Fock table's rows.
EDGE_TO_ORBITAL = {
    "K": "1s",
    "L1": "2s",
    "L2": "2p1/2",
    "L3": "2p3/2",
    "M1": "3s",
    "M2": "3p1/2",
    "M3": "3p3/2",
    "M4": "3d3/2",
    "M5": "3d5/2",
    "N1": "4s",
    "N2": "4p1/2",
    "N3": "4p3/2",
    "N4": "4d3/2",
    "N5": "4d5/2",
    "O1": "5s",
    "O2": "5p1/2",
    "O3": "5p3/2",
}
BINDING_SETS = ("xraydb", "dirac-fock")

#: Range of the Elam photoabsorption tables in xraydb (they clamp outside it; we refuse instead).
PHOTOABSORPTION_RANGE_KEV = (0.1, 800.0)


@dataclass(frozen=True)
class Subshell:
    edge: str
    orbital: str
    electrons: int
    binding_kev: float


def xenon_subshells(binding: str = "xraydb") -> tuple[Subshell, ...]:
    """The 17 Xe subshells, sorted by binding energy (keV), from the chosen set.

    Parameters
    ----------
    binding : {"xraydb", "dirac-fock"}
        ``"xraydb"``: X-ray absorption edges (xraydb 4.5, = X-ray Data Booklet Table 1-1);
        ``"dirac-fock"``: orbital energies of arXiv:1610.04177 (the set RRPA papers use).
    """
    return _cached_subshells(check_choice(binding, "binding-energy set", BINDING_SETS))


@cache
def _cached_subshells(binding: str) -> tuple[Subshell, ...]:
    """:func:`xenon_subshells` for a validated name, read once per process."""
    if binding == "xraydb":
        import xraydb

        edges = xraydb.xray_edges("Xe")
        energies_ev = {name: edges[name].energy for name in XENON_SUBSHELL_OCCUPANCY}
    else:
        text = resources.files("exonu.data.xenon_atomic").joinpath("binding_xenon_dirac_fock.csv").read_text()
        rows = {r["Orbital"]: r for r in csv.DictReader(text.splitlines())}
        energies_ev = {}
        for edge, orbital in EDGE_TO_ORBITAL.items():
            row = rows[orbital]
            if int(row["Electrons in Orbital"]) != XENON_SUBSHELL_OCCUPANCY[edge]:
                raise InputError(f"Dirac–Fock table: occupancy of {orbital} disagrees with {edge}")
            energies_ev[edge] = float(row["Binding Energy (eV)"])
    shells = [
        Subshell(e, EDGE_TO_ORBITAL[e], n, energies_ev[e] / EV_PER_KEV) for e, n in XENON_SUBSHELL_OCCUPANCY.items()
    ]
    shells.sort(key=lambda s: s.binding_kev)
    if sum(s.electrons for s in shells) != XENON_Z:
        raise InputError("xenon subshell occupancies do not add up to 54")
    return tuple(shells)


def effective_electrons(t_kev: ArrayLike, binding: str = "xraydb") -> np.ndarray:
    """FEA step function Z_eff(T) = Σ_i n_i θ(T − B_i) for xenon.

    Parameters
    ----------
    t_kev : array_like
        Deposited energy T in keV.
    binding : str
        Binding-energy set, see :func:`xenon_subshells`.

    Returns
    -------
    ndarray
        Number of electrons that can be ionised at T (between 0 and 54).

    References
    ----------
    XMASS-I, PLB 809 (2020) 135741, Eq. (2); J.-W. Chen et al., arXiv:1610.04177.

    Examples
    --------
    Above the K edge (34.6 keV) all 54 electrons count; at 10 keV the two K electrons do not:

    >>> effective_electrons([1.0, 10.0, 40.0])
    array([40., 52., 54.])
    """
    t = check_float_array(t_kev, "t_kev", lower=0.0, allow_empty=True)
    shells = xenon_subshells(binding)
    bindings = np.array([s.binding_kev for s in shells])
    cumulative = np.concatenate([[0], np.cumsum([s.electrons for s in shells])])
    # searchsorted(side="right") counts edges with B_i <= T: the step is taken at T = B_i
    return cumulative[np.searchsorted(bindings, t, side="right")].astype(float)


def photoabsorption_cm2_per_atom(photon_kev: ArrayLike) -> np.ndarray:
    """Photoabsorption (photoelectric) cross section of natural xenon per atom, in cm².

    From the Elam tables in ``xraydb`` (``mu_elam('Xe', E, kind='photo')`` in cm²/g, times the mass of
    one atom). Raises :class:`OutOfRangeError` outside 0.1–800 keV, where the tables would clamp.
    """
    e = check_float_array(photon_kev, "photon_kev", allow_empty=True)
    lo, hi = PHOTOABSORPTION_RANGE_KEV
    if e.size == 0:  # xraydb refuses an empty array
        return np.zeros(e.shape)
    if np.any((e < lo) | (e > hi)):
        raise OutOfRangeError(
            f"photoabsorption of Xe is tabulated for {lo}–{hi} keV only; got {e.min():g}–{e.max():g} keV"
        )
    import xraydb

    mu_cm2_per_g = np.asarray(xraydb.mu_elam("Xe", e.ravel() * EV_PER_KEV, kind="photo"), dtype=float)
    return (mu_cm2_per_g * XENON_MOLAR_MASS_G / AVOGADRO).reshape(e.shape)


@dataclass(frozen=True)
class RatioTable:
    """A user-supplied atomic correction R(T) = (RRPA or ab-initio rate)/(FEA rate) versus T.

    Replaces the built-in EPA treatment of the millicharge when given. Linear interpolation inside the
    table; outside it an :class:`OutOfRangeError` (never silent extrapolation).

    Parameters
    ----------
    t_kev : array_like
        Deposited energies in keV, > 0 and strictly increasing, at least two.
    ratio : array_like
        R(T) at those energies, finite and ≥ 0 (dimensionless).
    source : str
        Where the table comes from (a file name), used in messages and results.

    Raises
    ------
    InputError
        If the columns are not as described (:meth:`from_file` raises :class:`ConfigError` naming the file).
    """

    t_kev: np.ndarray
    ratio: np.ndarray
    source: str = "user table"

    def __post_init__(self) -> None:
        problem = self._problem(self.t_kev, self.ratio)
        if problem:
            raise InputError(f"RatioTable ({self.source}): {problem}")
        object.__setattr__(self, "t_kev", np.asarray(self.t_kev, dtype=float))
        object.__setattr__(self, "ratio", np.asarray(self.ratio, dtype=float))

    @staticmethod
    def _problem(t_kev: ArrayLike, ratio: ArrayLike) -> str | None:
        """What is wrong with two candidate columns, or None if they form a valid table."""
        try:
            t = check_float_array(t_kev, "T column (keV)", lower=0.0, lower_inclusive=False)
            r = check_float_array(ratio, "ratio column", lower=0.0)
        except InputError as exc:
            return str(exc)
        if t.ndim != 1 or r.shape != t.shape or t.size < 2:
            return f"expected two columns of equal length ≥ 2 (T in keV, ratio); got shapes {t.shape} and {r.shape}"
        if np.any(np.diff(t) <= 0):
            return "T column must be strictly increasing"
        return None

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> RatioTable:
        """Read two whitespace- or comma-separated columns: T [keV], ratio; '#' starts a comment.

        Raises
        ------
        ConfigError
            One line naming the file: missing, unreadable, not UTF-8, not two numeric columns, T not
            increasing, negative or non-finite values.
        """
        text = read_text_input(path, "RRPA/FEA ratio table")
        p = Path(path)
        rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            content = line.split("#", 1)[0].replace(",", " ").split()
            if not content:
                continue
            try:
                rows.append([float(x) for x in content])
            except ValueError:
                raise ConfigError(
                    f"{p}: line {number}: expected two numbers (T in keV, ratio); got {line.strip()[:40]!r}"
                ) from None
            if len(rows[-1]) != 2:
                raise ConfigError(f"{p}: line {number}: expected two columns (T in keV, ratio); got {len(rows[-1])}")
        if len(rows) < 2:
            raise ConfigError(f"{p}: expected at least two rows of two columns (T in keV, ratio); got {len(rows)}")
        table = np.array(rows)
        problem = cls._problem(table[:, 0], table[:, 1])
        if problem:
            raise ConfigError(f"{p}: {problem}")
        return cls(table[:, 0], table[:, 1], source=str(p))

    def __call__(self, t_kev: ArrayLike) -> np.ndarray:
        """R(T) by linear interpolation; T in keV must lie inside the table."""
        t = check_float_array(t_kev, "t_kev", allow_empty=True)
        if t.size and np.any((t < self.t_kev[0]) | (t > self.t_kev[-1])):
            raise OutOfRangeError(
                f"{self.source}: ratio table covers {self.t_kev[0]:g}–{self.t_kev[-1]:g} keV; "
                f"asked for {t.min():g}–{t.max():g} keV"
            )
        return np.interp(t, self.t_kev, self.ratio)
