"""Xenon target atoms: subshell binding energies, free-electron steps and photoabsorption.

* **FEA steps** (paper Eq. (2), docs/physics.md §7): each of the 17 Xe subshells contributes its electrons
  as free once T exceeds its binding energy, Z_eff(T) = Σ n_i θ(T − B_i). Binding energies from the
  X-ray edges of ``xraydb`` (Elam, Ravel & Sieber tables = X-ray Data Booklet, default) or the
  Dirac–Fock orbital energies of Chen et al., PLB 774 (2017) 656, arXiv:1610.04177 (shipped table).
* **Photoabsorption** σ_γ(ω) of Xe from ``xraydb.mu_elam(..., kind="photo")`` for the
  equivalent-photon (EPA) part of the millicharge treatment (:mod:`exonu.xsec.millicharge`).
* **Named atomic models** (:class:`AtomicModel`, docs/physics.md §18): ``steps`` (xraydb edges, the
  default), ``steps-dirac-fock``, ``ratio-table`` (steps × a user's R(T)), each optionally ``+epa`` (the
  millicharge's equivalent-photon term, with the neutrino mass in its logarithm as a stated input).
* **Atomic uncertainty** (:func:`atomic_uncertainty_fraction`): the fractional 1σ spread of the published
  treatments versus T per interaction type (docs/physics.md §18.2), the size of the fit nuisance ``atomic``.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from .cache import cached_arrays
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


def xraydb_edges_ev() -> np.ndarray:
    """xraydb's X-ray absorption edges of Xe in eV, in the order of :data:`XENON_SUBSHELL_OCCUPANCY`.

    Kept in the on-disk cache (:mod:`exonu.cache`, keyed by the xraydb version among others): importing
    xraydb and its SQLAlchemy database costs about 0.5 s, more than a cached run's whole spectrum work.
    """

    def read() -> dict[str, np.ndarray]:
        import xraydb

        edges = xraydb.xray_edges("Xe")
        return {"energy_ev": np.array([edges[name].energy for name in XENON_SUBSHELL_OCCUPANCY], dtype=float)}

    inputs = {"element": "Xe", "table": "xraydb.xray_edges", "edges": tuple(XENON_SUBSHELL_OCCUPANCY)}
    return cached_arrays("xraydb-edges", inputs, read)["energy_ev"]


@cache
def _cached_subshells(binding: str) -> tuple[Subshell, ...]:
    """:func:`xenon_subshells` for a validated name, read once per process."""
    if binding == "xraydb":
        energies_ev = dict(zip(XENON_SUBSHELL_OCCUPANCY, map(float, xraydb_edges_ev()), strict=True))
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
    interaction : str or None
        The interaction type the ratio was made for (e.g. ``"millicharge"``; a file states it in a
        ``# interaction: NAME`` line). None: not stated, usable for any signal (said in results).

    Raises
    ------
    InputError
        If the columns are not as described (:meth:`from_file` raises :class:`ConfigError` naming the file).
    """

    t_kev: np.ndarray
    ratio: np.ndarray
    source: str = "user table"
    interaction: str | None = None

    def __post_init__(self) -> None:
        problem = self._problem(self.t_kev, self.ratio)
        if problem:
            raise InputError(f"RatioTable ({self.source}): {problem}")
        if self.interaction is not None and not isinstance(self.interaction, str):
            raise InputError(f"RatioTable ({self.source}): interaction must be a model name or None")
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

        A comment line ``# interaction: NAME`` (e.g. ``millicharge``, ``magnetic-moment``, ``sm``) states
        which interaction type the ratio belongs to; the rate then refuses it for any other.

        Raises
        ------
        ConfigError
            One line naming the file: missing, unreadable, not UTF-8, not two numeric columns, T not
            increasing, negative or non-finite values.
        """
        text = read_text_input(path, "RRPA/FEA ratio table")
        p = Path(path)
        rows = []
        interaction = None
        for number, line in enumerate(text.splitlines(), start=1):
            comment = line.split("#", 1)[1].strip() if "#" in line else ""
            if comment.lower().startswith("interaction:"):
                interaction = comment.split(":", 1)[1].strip() or None
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
        return cls(table[:, 0], table[:, 1], source=str(p), interaction=interaction)

    def __call__(self, t_kev: ArrayLike) -> np.ndarray:
        """R(T) by linear interpolation; T in keV must lie inside the table."""
        t = check_float_array(t_kev, "t_kev", allow_empty=True)
        if t.size and np.any((t < self.t_kev[0]) | (t > self.t_kev[-1])):
            raise OutOfRangeError(
                f"{self.source}: ratio table covers {self.t_kev[0]:g}–{self.t_kev[-1]:g} keV; "
                f"asked for {t.min():g}–{t.max():g} keV"
            )
        return np.interp(t, self.t_kev, self.ratio)

    def ratio_for(self, t_kev: ArrayLike, interaction: str, outside: str = "refuse") -> np.ndarray:
        """R(T) for ``interaction``; outside the table 1 (plain steps) if ``outside="steps"``, else an error.

        Raises
        ------
        InputError
            If the table states another interaction type.
        OutOfRangeError
            If T leaves the table and ``outside`` is ``"refuse"``.
        """
        if self.interaction is not None and self.interaction != interaction:
            raise InputError(
                f"{self.source}: this ratio table is for the {self.interaction!r} interaction, not {interaction!r}"
            )
        if outside == "refuse":
            return self(t_kev)
        t = check_float_array(t_kev, "t_kev", allow_empty=True)
        inside = (t >= self.t_kev[0]) & (t <= self.t_kev[-1])
        return np.where(inside, np.interp(t, self.t_kev, self.ratio), 1.0)


# -- named atomic models -----------------------------------------------------------------------------

#: Step treatments by name (docs/physics.md §18.1): the binding-energy set of the steps, or a ratio table
STEP_MODELS = {"steps": "xraydb", "steps-dirac-fock": "dirac-fock", "ratio-table": "xraydb"}
#: Suffix that adds the millicharge's equivalent-photon term to a step model
EPA_SUFFIX = "+epa"
#: Every atomic-model name a user may give (``ratio-table`` also needs a file)
ATOMIC_MODEL_NAMES = ("steps", "steps+epa", "steps-dirac-fock", "steps-dirac-fock+epa", "ratio-table")
#: What a ratio table does outside its energy range: refuse (default) or fall back to the plain steps
OUTSIDE_TABLE = ("refuse", "steps")
#: Legacy names kept for existing callers: "fea" and "rrpa" are steps (with the spectrum's binding set)
#: without and with the equivalent-photon term
LEGACY_ATOMIC_MODELS = ("fea", "rrpa", "free")


@dataclass(frozen=True)
class AtomicModel:
    """How the xenon atom is treated for one signal: a named, stated choice (docs/physics.md §18.1).

    Parameters
    ----------
    binding : {"xraydb", "dirac-fock"}
        Binding-energy set of the free-electron steps Z_eff(T).
    epa : bool
        Add the equivalent-photon term of the millicharge (:meth:`exonu.xsec.Millicharge.epa_dsigma_dt_per_atom`);
        refused for interactions without a photon pole.
    epa_neutrino_mass_ev : float or None
        Neutrino mass (eV) in the EPA logarithm ln(E_ν/m_ν); None takes the interaction's own (0.1 eV unless
        the :class:`~exonu.xsec.Millicharge` was built with another). Stated in :meth:`describe`.
    ratio_table : RatioTable or None
        Multiply the steps by this R(T) (model ``ratio-table``; xraydb steps).
    outside_table : {"refuse", "steps"}
        Outside the table's range: refuse (default) or use the plain steps (R = 1), said in :meth:`describe`.

    Examples
    --------
    >>> AtomicModel.from_name("steps-dirac-fock").name
    'steps-dirac-fock'
    >>> AtomicModel.from_name("steps+epa").epa
    True
    """

    binding: str = "xraydb"
    epa: bool = False
    epa_neutrino_mass_ev: float | None = None
    ratio_table: RatioTable | None = field(default=None, compare=False)
    outside_table: str = "refuse"

    def __post_init__(self) -> None:
        check_choice(self.binding, "binding-energy set", BINDING_SETS)
        if not isinstance(self.epa, bool):
            raise InputError(f"epa must be True or False; got {self.epa!r}")
        if self.ratio_table is not None:
            if not isinstance(self.ratio_table, RatioTable):
                raise InputError(f"ratio_table must be a RatioTable or None; got {type(self.ratio_table).__name__}")
            if self.epa:
                raise InputError("a ratio table replaces the equivalent-photon term; give ratio-table without +epa")
        check_choice(self.outside_table, "outside_table", OUTSIDE_TABLE)
        mass = self.epa_neutrino_mass_ev
        if mass is not None and (
            isinstance(mass, bool) or not isinstance(mass, (int, float)) or not 0 < mass <= 1e3 or mass != mass
        ):
            raise InputError(f"epa_neutrino_mass_ev must be a mass in eV in (0, 1000]; got {mass!r}")
        if mass is not None and not self.epa:
            raise InputError("epa_neutrino_mass_ev is the mass in the equivalent-photon term: give it with +epa")

    @classmethod
    def from_name(
        cls,
        name: str,
        ratio_file: str | os.PathLike[str] | None = None,
        *,
        epa_neutrino_mass_ev: float | None = None,
        outside_table: str = "refuse",
    ) -> AtomicModel:
        """The model of a name in :data:`ATOMIC_MODEL_NAMES` (``ratio-table`` with ``ratio_file``).

        Raises
        ------
        InputError
            Unknown name, a file without ``ratio-table`` or ``ratio-table`` without a file.
        """
        if not isinstance(name, str) or name not in ATOMIC_MODEL_NAMES:
            raise InputError(f"atomic model must be one of {list(ATOMIC_MODEL_NAMES)}; got {name!r}")
        if (name == "ratio-table") != (ratio_file is not None):
            raise InputError(
                "the ratio-table atomic model needs its FILE (T in keV, ratio to the step rate), and only it takes one"
            )
        base = name.removesuffix(EPA_SUFFIX)
        table = RatioTable.from_file(ratio_file) if ratio_file is not None else None
        return cls(
            binding=STEP_MODELS[base],
            epa=name.endswith(EPA_SUFFIX),
            epa_neutrino_mass_ev=epa_neutrino_mass_ev,
            ratio_table=table,
            outside_table=outside_table,
        )

    @property
    def name(self) -> str:
        """The model's name: ``steps``, ``steps-dirac-fock`` or ``ratio-table``, plus ``+epa``."""
        if self.ratio_table is not None:
            return "ratio-table"
        base = "steps" if self.binding == "xraydb" else "steps-dirac-fock"
        return base + (EPA_SUFFIX if self.epa else "")

    def with_neutrino_mass(self, mass_ev: float) -> AtomicModel:
        """The same model with the EPA neutrino mass stated (no change without the EPA term)."""
        if not self.epa or self.epa_neutrino_mass_ev is not None:
            return self
        return AtomicModel(self.binding, True, float(mass_ev), self.ratio_table, self.outside_table)

    def describe(self) -> dict[str, object]:
        """What every output records about the atomic treatment."""
        out: dict[str, object] = {
            "name": self.name,
            "steps": f"free-electron steps Z_eff(T), {self.binding} binding energies",
        }
        if self.epa:
            out["equivalent_photon_term"] = "added (photo-absorption of xraydb, docs/physics.md §5.3)"
            out["epa_neutrino_mass_ev"] = self.epa_neutrino_mass_ev or "the interaction's own (default 0.1)"
        if self.ratio_table is not None:
            out["ratio_table"] = self.ratio_table.source
            out["ratio_table_interaction"] = self.ratio_table.interaction or "not stated"
            out["ratio_table_range_kev"] = [float(self.ratio_table.t_kev[0]), float(self.ratio_table.t_kev[-1])]
            out["outside_table"] = (
                "refused" if self.outside_table == "refuse" else "plain steps (ratio 1) outside the table"
            )
        return out


def default_atomic_model_for(model: str) -> AtomicModel:
    """The paper's treatment per signal model: steps with xraydb edges, plus the EPA term for the millicharge."""
    return AtomicModel(epa=model == "millicharge")


def as_atomic_model(value: object, binding: str = "xraydb") -> AtomicModel | None:
    """An :class:`AtomicModel` from a model, a name, a legacy name or a :class:`RatioTable`.

    Legacy names use ``binding`` (a :class:`~exonu.spectrum.RecoilSpectrum`'s): ``"fea"`` = steps,
    ``"rrpa"`` = steps + EPA, a bare RatioTable = its steps × R(T). ``"free"`` (54 free electrons) returns None.
    """
    if isinstance(value, AtomicModel):
        return value
    if isinstance(value, RatioTable):
        return AtomicModel(binding=binding, ratio_table=value)
    if isinstance(value, str) and value in LEGACY_ATOMIC_MODELS:
        return None if value == "free" else AtomicModel(binding=binding, epa=value == "rrpa")
    if isinstance(value, str) and value in ATOMIC_MODEL_NAMES and value != "ratio-table":
        return AtomicModel.from_name(value)
    raise InputError(
        f"atomic model must be one of {list(ATOMIC_MODEL_NAMES[:-1])}, an AtomicModel or a RatioTable "
        f"(legacy names {list(LEGACY_ATOMIC_MODELS)}); got {value!r:.60}"
    )


# -- the atomic uncertainty ----------------------------------------------------------------------------

#: Energies (keV) of the atomic-uncertainty table; linear in between, the end values held outside
ATOMIC_UNCERTAINTY_ENERGIES_KEV = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)
#: Fractional 1σ atomic uncertainty of the signal rate per interaction type (docs/physics.md §18.2, sources there)
ATOMIC_UNCERTAINTY: Mapping[str, tuple[float, ...]] = {
    # RRPA vs steps for the SM rate: 11–14 % below at 0.5–5 keV, 19 % at 10 keV (Chen et al., PLB 774 (2017) 656)
    "contact": (0.14, 0.14, 0.14, 0.14, 0.14, 0.19, 0.19),
    # same momentum transfers as the SM (Bethe ridge); the ab-initio K table gives R_μ/R_SM = 1.02–1.03
    "magnetic-moment": (0.14, 0.14, 0.14, 0.14, 0.14, 0.19, 0.19),
    # K-table check (§18.3) ⊕ ln(E/m_ν) for m_ν = 0.01–1 eV ⊕ the steps' own share, rounded up to 0.05;
    # 0.5 keV: the EPA is unreliable below ~1 keV (judgement)
    "millicharge": (0.30, 0.25, 0.20, 0.15, 0.15, 0.15, 0.20),
}
#: Interaction type of each signal model for the atomic uncertainty
ATOMIC_UNCERTAINTY_TYPE = {"millicharge": "millicharge", "magnetic-moment": "magnetic-moment"}
#: Switch values of the atomic nuisance (``default``: the documented table on, except where a detector says off)
ATOMIC_UNCERTAINTY_CHOICES = ("default", "off")
#: Name of the fit nuisance (a signal shape systematic r_atomic with a unit-normal pull)
ATOMIC_NUISANCE = "atomic"


def atomic_uncertainty_type(model: str) -> str:
    """``millicharge``, ``magnetic-moment`` or ``contact`` (every other signal model) for the table."""
    return ATOMIC_UNCERTAINTY_TYPE.get(model, "contact")


def atomic_uncertainty_fraction(model: str, t_kev: ArrayLike, scale: float = 1.0) -> np.ndarray:
    """Fractional 1σ atomic uncertainty of the rate of signal ``model`` at T (keV), times ``scale``.

    Linear interpolation in the table :data:`ATOMIC_UNCERTAINTY`; below 0.5 keV and above 30 keV its end
    values are held (documented in docs/physics.md §18.2).

    >>> atomic_uncertainty_fraction("millicharge", [1.0, 2.5, 40.0]).round(3)
    array([0.25 , 0.175, 0.2  ])
    """
    t = check_float_array(t_kev, "t_kev", allow_empty=True)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0 <= scale < float("inf"):
        raise InputError(f"atomic uncertainty scale must be a finite number ≥ 0; got {scale!r}")
    table = ATOMIC_UNCERTAINTY[atomic_uncertainty_type(model)]
    return float(scale) * np.interp(t, ATOMIC_UNCERTAINTY_ENERGIES_KEV, table)


@dataclass(frozen=True)
class AtomicSettings:
    """A detector's atomic choices (config section ``[atomic]``, docs/configuration.md).

    Attributes
    ----------
    models : mapping signal model → AtomicModel
        Models replacing the default (:func:`default_atomic_model_for`) for some signals.
    uncertainty : {"default", "off"}
        ``"default"``: the nuisance ``atomic`` is in every fit; ``"off"``: it is not (the XMASS-I
        reproduction, which keeps the paper's own ±5 % ``atomic_model`` systematic).
    uncertainty_scale : float
        Multiplies the documented table (≥ 0).
    """

    models: Mapping[str, AtomicModel] = field(default_factory=dict)
    uncertainty: str = "default"
    uncertainty_scale: float = 1.0

    def __post_init__(self) -> None:
        check_choice(self.uncertainty, "atomic uncertainty", ATOMIC_UNCERTAINTY_CHOICES)
        atomic_uncertainty_fraction("contact", [], self.uncertainty_scale)  # validates the scale
        bad = [k for k, v in self.models.items() if not isinstance(v, AtomicModel)]
        if bad:
            raise InputError(f"atomic models must be AtomicModel instances; {bad[0]!r} is not")

    def model_for(self, signal_model: str) -> AtomicModel:
        """This detector's model for a signal, or the default one."""
        return self.models.get(signal_model) or default_atomic_model_for(signal_model)

    @classmethod
    def from_config(
        cls,
        models: Mapping[str, str],
        ratio_tables: Mapping[str, str | os.PathLike[str]],
        uncertainty: str,
        uncertainty_scale: float,
        known_signals: Collection[str],
    ) -> AtomicSettings:
        """Settings from the config's names (``models``) and table files (``ratio_tables``, paths resolved).

        ``known_signals`` are the signal models a config may name (``exonu.xsec.MODELS``; passed in by the
        config layer because the cross sections import this module, not the other way round).
        """
        unknown = sorted((set(models) | set(ratio_tables)) - set(known_signals))
        if unknown:
            raise InputError(f"unknown signal model {unknown[0]!r}; expected one of {sorted(known_signals)}")
        built = {signal: AtomicModel.from_name(name) for signal, name in models.items()}
        for signal, path in ratio_tables.items():
            if models.get(signal, "ratio-table") != "ratio-table":
                raise InputError(f"signal {signal!r}: a ratio table and the model {models[signal]!r} are both given")
            built[signal] = AtomicModel.from_name("ratio-table", path)
        return cls(built, uncertainty, float(uncertainty_scale))
