"""Background components (one small frozen class per kind), region corrections, and the per-window model.

The fit (XMASS-I paper, arXiv:2005.11891, Eqs. 5 and 7) sees, per analysis window,

* ``templates`` B_ij — expected counts of component j in bin i after all cuts (shape (n_comp, n_bins));
* ``activity_sigma(search)`` — σ(B_RI)_j, the relative 1σ uncertainty of each component's normalisation
  p_j (``inf`` = unconstrained). The paper drops the 14C, 39Ar, 131mXe and 133Xe constraints in the
  magnetic-moment and dark-photon fits, so the value depends on the search;
* ``shape_sys`` σ(B_sys)_ijk — absolute count shifts per 1σ of each shared shape systematic q_k
  (shape (n_sys, n_comp, n_bins)).

Each component kind knows its own ``expected_counts(response)``: β⁻ spectra and 2νββ folded through
the response, mono-energetic lines, empirical shapes defined after selection (the surface /
mis-reconstructed events), tabulated spectra (e.g. XENON1T's and XENONnT's B0), and the
Standard-Model solar-ν rate from :mod:`exonu.spectrum`. Data-driven corrections by energy region (the
XMASS dead-PMT correction) multiply chosen components; their uncertainty becomes one shape systematic
per region.

References
----------
XMASS Collaboration, PLB 809 (2020) 135741, arXiv:2005.11891, §3.2 and Eqs. (4)–(7).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from ..cache import cached_arrays
from ..errors import ConfigError, InputError, check_float
from ..xsec import MODELS
from .binning import Binning
from .response import Response
from .spectra import beta_spectrum_pdf, double_beta_summed_pdf
from .tabulated import TabulatedSpectrum

if TYPE_CHECKING:  # annotations only: the spectrum layer is imported lazily where it is used
    from ..spectrum import RecoilSpectrum

__all__ = [
    "COMPONENT_GROUPS",
    "SEARCH_MODELS",
    "BackgroundComponent",
    "BackgroundModel",
    "BetaComponent",
    "DoubleBetaComponent",
    "EmpiricalComponent",
    "LineComponent",
    "RegionCorrection",
    "SolarSMComponent",
    "TableComponent",
    "integrate_over_bins",
    "overlap_fractions",
    "solar_sm_rate",
]

#: signal models a background constraint can be dropped for (``free_in_searches``): every exotic model
SEARCH_MODELS = tuple(name for name in MODELS if name != "sm")
#: plot groups of background components
COMPONENT_GROUPS = ("surface", "internal", "solar", "total", "other")


def integrate_over_bins(fn: Callable[[np.ndarray], np.ndarray], binning: Binning, step_kev: float = 0.02) -> np.ndarray:
    """∫ fn(E) dE over each bin (midpoint rule on sub-bins of ≤ ``step_kev`` keV); fn in per-keV units."""
    if not isinstance(binning, Binning):
        raise InputError(f"binning must be a Binning (exonu.detector.Binning(edges_kev)); got {type(binning).__name__}")
    if not callable(fn):
        raise InputError(f"fn must be a function of E (keV); got {fn!r}"[:200])
    step_kev = check_float(step_kev, "step_kev", lower=1e-6 * float(binning.widths_kev.min()), lower_inclusive=False)
    n_sub = np.maximum(1, np.ceil(binning.widths_kev / step_kev).astype(int))
    idx = np.repeat(np.arange(binning.n_bins), n_sub)
    first = np.concatenate([[0], np.cumsum(n_sub)[:-1]])
    pos = np.arange(idx.size) - np.repeat(first, n_sub)
    h = binning.widths_kev[idx] / n_sub[idx]
    mid = binning.edges_kev[idx] + (pos + 0.5) * h
    return np.bincount(idx, weights=np.asarray(fn(mid), dtype=float) * h, minlength=binning.n_bins)


def overlap_fractions(edges_kev: np.ndarray, region_edges_kev: Sequence[float]) -> np.ndarray:
    """(n_regions, n_bins): the fraction of each bin's width that lies in each energy region."""
    edges_kev = Binning(edges_kev).edges_kev
    r = Binning(region_edges_kev, key="region_edges_kev").edges_kev
    lo = np.maximum(edges_kev[None, :-1], r[:-1, None])
    hi = np.minimum(edges_kev[None, 1:], r[1:, None])
    return np.clip(hi - lo, 0.0, None) / np.diff(edges_kev)[None, :]


def solar_sm_rate(
    t_kev: ArrayLike, spectrum: RecoilSpectrum | None = None, sources: Sequence[str] | None = None
) -> np.ndarray:
    """Standard-Model solar-ν electron-recoil rate (FEA) in events/(kg·day·keV) at deposited energy T.

    Uses :class:`exonu.spectrum.RecoilSpectrum` with the paper's defaults (SFII-GS98 pp + 7Be,
    constant 54/23/23 % flavour content) unless ``spectrum`` is given; ``sources`` restricts the flux.
    """
    from ..spectrum import RecoilSpectrum, default_spectrum
    from ..xsec import Weak

    if spectrum is not None and not isinstance(spectrum, RecoilSpectrum):
        raise InputError(f"spectrum must be a RecoilSpectrum or None; got {type(spectrum).__name__}")
    sources = None if sources is None else tuple(sources)

    def compute() -> dict[str, np.ndarray]:
        sp = default_spectrum() if spectrum is None else spectrum  # used on a cache miss only (xraydb is slow)
        sp = sp if sources is None else sp.restricted(sources)
        return {"rate": sp.rate(t_kev, Weak(), atomic_model="fea", per="kg-day")}

    if not isinstance(t_kev, np.ndarray):  # a few energies: not worth a cache entry
        return compute()["rate"]
    # spectrum None stands for the default RecoilSpectrum(), whose defaults are code (in the key's fingerprint)
    inputs = {"t_kev": t_kev, "spectrum": spectrum, "sources": sources, "interaction": Weak(), "atomic_model": "fea"}
    return cached_arrays("solar-sm-rate", inputs, compute)["rate"]


# ------------------------------------------------------------------------------------------------
# components: one frozen class per kind, each with its own expected_counts
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class BackgroundComponent:
    """What every background component has (a recipe, binning-independent).

    Parameters
    ----------
    name, label : str
        Identifier and plot label.
    activity_sigma : float
        σ(B_RI): relative 1σ uncertainty of the normalisation; ``inf`` = free; 0 = fixed.
    free_in_searches : tuple of str
        Signal models (:data:`SEARCH_MODELS`) in which the activity constraint is not applied.
    group : str
        One of :data:`COMPONENT_GROUPS` (plot grouping).
    description : str
    """

    name: str
    activity_sigma: float
    label: str = ""
    free_in_searches: tuple[str, ...] = ()
    group: str = "internal"
    description: str = ""
    kind = "component"

    def __post_init__(self) -> None:
        if not (self.activity_sigma >= 0):  # also refuses NaN; inf (free) is allowed
            raise InputError(
                f"component {self.name!r}: activity_sigma must be ≥ 0 (inf = free); got {self.activity_sigma}"
            )
        unknown = [s for s in self.free_in_searches if s not in SEARCH_MODELS]
        if unknown:
            raise InputError(
                f"component {self.name!r}: free_in_searches has unknown signal models {unknown}; "
                f"expected some of {list(SEARCH_MODELS)}"
            )
        if self.group not in COMPONENT_GROUPS:
            raise InputError(
                f"component {self.name!r}: group must be one of {list(COMPONENT_GROUPS)}; got {self.group!r}"
            )

    def expected_counts(self, response: Response, spectrum: RecoilSpectrum | None = None) -> np.ndarray:
        """Expected counts per bin (after efficiency) for the response's binning and exposure."""
        raise NotImplementedError

    @property
    def includes_solar_sm(self) -> bool:
        """True if this component contains the SM solar-ν electron-recoil rate."""
        return False


@dataclass(frozen=True, kw_only=True)
class BetaComponent(BackgroundComponent):
    """A β⁻ emitter dissolved in the target: Fermi-theory spectrum folded through the response.

    Parameters
    ----------
    q_kev : float
        Q value of the branch (keV).
    daughter_z, mass_number : int
        Daughter charge and mass number (Fermi function).
    forbiddenness : {"allowed", "unique_first"}
    decays_per_kg_day : float
        Activity (decays/(kg·day)).
    branching : float
        Fraction of decays in this branch.
    shift_kev : float
        Energy added to every decay (e.g. a coincident de-excitation deposit, keV).
    """

    q_kev: float
    daughter_z: int
    mass_number: int
    decays_per_kg_day: float
    forbiddenness: str = "allowed"
    branching: float = 1.0
    shift_kev: float = 0.0
    kind = "beta"

    def true_rate(self, t_kev: ArrayLike) -> np.ndarray:
        """dR/dT in events/(kg·day·keV) of deposited energy."""
        t = np.asarray(t_kev, dtype=float) - self.shift_kev
        return (
            self.decays_per_kg_day
            * self.branching
            * beta_spectrum_pdf(t, self.q_kev, self.daughter_z, self.mass_number, self.forbiddenness)
        )

    def expected_counts(self, response: Response, spectrum: RecoilSpectrum | None = None) -> np.ndarray:
        return response.fold(self.true_rate(response.grid_kev))


@dataclass(frozen=True, kw_only=True)
class DoubleBetaComponent(BackgroundComponent):
    """2νββ decay: summed-electron spectrum (Primakoff–Rosen) folded through the response."""

    q_kev: float
    decays_per_kg_day: float
    kind = "double_beta"

    def true_rate(self, t_kev: ArrayLike) -> np.ndarray:
        """dR/dT in events/(kg·day·keV) of deposited energy."""
        return self.decays_per_kg_day * double_beta_summed_pdf(t_kev, self.q_kev)

    def expected_counts(self, response: Response, spectrum: RecoilSpectrum | None = None) -> np.ndarray:
        return response.fold(self.true_rate(response.grid_kev))


@dataclass(frozen=True, kw_only=True)
class LineComponent(BackgroundComponent):
    """A mono-energetic deposit of ``energy_kev`` (keV) at ``decays_per_kg_day × branching``, smeared."""

    energy_kev: float
    decays_per_kg_day: float
    branching: float = 1.0
    kind = "line"

    def expected_counts(self, response: Response, spectrum: RecoilSpectrum | None = None) -> np.ndarray:
        return response.fold_lines([self.energy_kev], [self.decays_per_kg_day * self.branching])


@dataclass(frozen=True, kw_only=True)
class EmpiricalComponent(BackgroundComponent):
    """A shape defined after selection in reconstructed energy E:

    dR/dE = A·exp(−(E − pivot)/decay) + flat, times ε(E) if ``multiply_by_efficiency``.

    ``rate_per_kg_day_kev`` is A in events/(kg·day·keV); a config may instead fix A by an anchor rate
    (the loader computes A and constructs the component with it).
    """

    decay_kev: float
    rate_per_kg_day_kev: float
    pivot_kev: float = 0.0
    flat_rate_per_kg_day_kev: float = 0.0
    multiply_by_efficiency: bool = True
    kind = "empirical"

    def expected_counts(self, response: Response, spectrum: RecoilSpectrum | None = None) -> np.ndarray:
        eff = response.model.efficiency

        def rate(e: np.ndarray) -> np.ndarray:
            r = self.rate_per_kg_day_kev * np.exp(-(e - self.pivot_kev) / self.decay_kev)
            if self.flat_rate_per_kg_day_kev:
                r = r + self.flat_rate_per_kg_day_kev
            return r * eff(e) if self.multiply_by_efficiency else r

        return integrate_over_bins(rate, response.binning) * response.exposure_kg_day


@dataclass(frozen=True, kw_only=True)
class TableComponent(BackgroundComponent):
    """A tabulated spectrum in reconstructed energy (e.g. a collaboration's best-fit background model).

    Parameters
    ----------
    spectrum_table : TabulatedSpectrum
        Values in events/(kg·day·keV) (the loader converts the published unit).
    efficiency_applied : bool
        True if the table is after efficiency (integrated exactly over the bins); otherwise it is
        multiplied by ε(E) and integrated on 0.02 keV sub-bins.
    contains_solar_sm : bool
        True if the table includes the SM solar-ν electron recoils.
    """

    spectrum_table: TabulatedSpectrum
    efficiency_applied: bool
    contains_solar_sm: bool = False
    kind = "table"

    def expected_counts(self, response: Response, spectrum: RecoilSpectrum | None = None) -> np.ndarray:
        b = response.binning
        if self.efficiency_applied:
            return self.spectrum_table.integrate(b.edges_kev) * response.exposure_kg_day
        eff = response.model.efficiency
        self.spectrum_table.integrate([b.low_kev, b.high_kev])  # range check before sampling
        return integrate_over_bins(lambda e: self.spectrum_table(e) * eff(e), b) * response.exposure_kg_day

    @property
    def includes_solar_sm(self) -> bool:
        return self.contains_solar_sm


@dataclass(frozen=True, kw_only=True)
class SolarSMComponent(BackgroundComponent):
    """The Standard-Model solar-ν electron-recoil rate (FEA) from :mod:`exonu.spectrum`, folded.

    Parameters
    ----------
    flux_relative_uncertainty : dict[str, float]
        Relative 1σ flux uncertainty per solar source; when given, the activity σ of this component in a
        window is the rate-share-weighted sum (:meth:`flux_weighted_sigma`).
    """

    flux_relative_uncertainty: dict[str, float] = field(default_factory=dict)
    kind = "solar_sm"

    def expected_counts(self, response: Response, spectrum: RecoilSpectrum | None = None) -> np.ndarray:
        return response.fold(solar_sm_rate(response.grid_kev, spectrum))

    def flux_weighted_sigma(self, response: Response, spectrum: RecoilSpectrum | None = None) -> float:
        """Σ_s δ_s N_s / Σ_s N_s over the window: the activity σ implied by the per-source flux σ's."""
        if not self.flux_relative_uncertainty:
            return self.activity_sigma
        by_source = {
            s: response.fold(solar_sm_rate(response.grid_kev, spectrum, sources=(s,))).sum()
            for s in self.flux_relative_uncertainty
        }
        total = sum(by_source.values())
        return sum(self.flux_relative_uncertainty[s] * n for s, n in by_source.items()) / total if total > 0 else 0.0

    @property
    def includes_solar_sm(self) -> bool:
        return True


@dataclass(frozen=True)
class RegionCorrection:
    """A data-driven multiplicative correction (1 + f_r) by reconstructed-energy region, with 1σ_r.

    Parameters
    ----------
    name : str
    region_edges_kev : sequence of float
        n+1 increasing edges of n regions (keV).
    factors, uncertainties : sequence of float
        f_r and σ_r (fractions of the component) per region.
    applies_to : tuple of str
        Component names it multiplies.
    description : str
    """

    name: str
    region_edges_kev: tuple[float, ...]
    factors: tuple[float, ...]
    uncertainties: tuple[float, ...]
    applies_to: tuple[str, ...]
    description: str = ""

    def __post_init__(self) -> None:
        e = np.asarray(self.region_edges_kev, dtype=float)
        if e.size < 2 or np.any(np.diff(e) <= 0) or not np.all(np.isfinite(e)):
            raise ConfigError(f"correction {self.name!r}: region_edges_kev must be ≥ 2 finite increasing edges")
        if len(self.factors) != e.size - 1 or len(self.uncertainties) != e.size - 1:
            raise ConfigError(
                f"correction {self.name!r}: need one factor and one uncertainty per region "
                f"({e.size - 1}); got {len(self.factors)} and {len(self.uncertainties)}"
            )
        u, f = np.asarray(self.uncertainties, dtype=float), np.asarray(self.factors, dtype=float)
        if not (np.all(np.isfinite(u)) and np.all(np.isfinite(f))) or np.any(u < 0) or np.any(f <= -1):
            raise ConfigError(
                f"correction {self.name!r}: uncertainties must be finite and ≥ 0, factors finite and > −1"
            )

    @property
    def n_regions(self) -> int:
        return len(self.factors)

    def region_labels(self) -> list[str]:
        e = self.region_edges_kev
        return [f"{self.name}_{e[i]:g}-{e[i + 1]:g}keV" for i in range(self.n_regions)]

    def multiplier(self, edges_kev: np.ndarray) -> np.ndarray:
        """Per bin of ``edges_kev``: 1 + Σ_r f_r × (fraction of the bin in region r)."""
        return 1.0 + np.asarray(self.factors) @ overlap_fractions(edges_kev, self.region_edges_kev)


# ------------------------------------------------------------------------------------------------
# the per-window background model the fit uses
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class BackgroundModel:
    """Background templates and systematics for one analysis window (what the fit sees).

    Attributes
    ----------
    binning : Binning
    names, labels, groups : tuple of str, length n_comp
    templates : ndarray, shape (n_comp, n_bins)
        Expected counts per bin after all cuts (and corrections), at nominal activity.
    sigma_nominal : ndarray, shape (n_comp,)
        σ(B_RI)_j when every constraint applies.
    free_in_searches : tuple of tuple of str
        Per component, the signal models in which its constraint is dropped.
    shape_sys : ndarray, shape (n_sys, n_comp, n_bins)
        σ(B_sys)_ijk, absolute count shifts per +1σ.
    sys_names : tuple of str, length n_sys
    includes_solar_sm : bool
        True if the templates contain the SM solar-ν rate (as a component or inside a total B0).
    description : str
    notes : dict
        Derived numbers worth recording (e.g. the anchored surface amplitudes in events/(kg·day·keV)).
    """

    binning: Binning
    names: tuple[str, ...]
    labels: tuple[str, ...]
    groups: tuple[str, ...]
    templates: np.ndarray
    sigma_nominal: np.ndarray
    free_in_searches: tuple[tuple[str, ...], ...]
    shape_sys: np.ndarray
    sys_names: tuple[str, ...]
    includes_solar_sm: bool = False
    description: str = ""
    notes: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n_comp, n_bins = len(self.names), self.binning.n_bins
        if n_comp == 0:
            raise InputError("a background model needs at least one component")
        t = np.asarray(self.templates, dtype=float)
        if t.shape != (n_comp, n_bins):
            raise InputError(f"background templates must have shape {(n_comp, n_bins)}; got {t.shape}")
        if np.any(t < 0) or not np.all(np.isfinite(t)):
            raise InputError("background templates must be finite and ≥ 0")
        s = np.asarray(self.shape_sys, dtype=float).reshape(len(self.sys_names), n_comp, n_bins)
        if not np.all(np.isfinite(s)):
            raise InputError(f"background shape systematics must be finite (check {list(self.sys_names)})")
        sig = np.array(self.sigma_nominal, dtype=float)
        if sig.shape != (n_comp,) or np.any(~(sig >= 0)):
            raise InputError(f"activity sigmas must be {n_comp} numbers ≥ 0 (inf = free); got {sig}")
        for name, arr in (("templates", t), ("shape_sys", s), ("sigma_nominal", sig)):
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def n_components(self) -> int:
        return len(self.names)

    @property
    def total(self) -> np.ndarray:
        """Total expected background counts per bin."""
        return self.templates.sum(axis=0)

    def activity_sigma(self, search: str | None = None) -> np.ndarray:
        """σ(B_RI)_j for the signal model ``search`` (``inf`` where that search drops the constraint).

        ``search`` is any signal model of :data:`exonu.xsec.MODELS`; a component's constraint is dropped
        for the models its config lists in ``free_in_searches`` (any of :data:`SEARCH_MODELS`) and kept for
        every other model.
        """
        sig = np.array(self.sigma_nominal, dtype=float)
        if search is not None:
            if not isinstance(search, str) or search not in MODELS:
                raise InputError(f"unknown signal model {search!r}; expected one of {list(MODELS)}")
            free = np.array([search in f for f in self.free_in_searches], dtype=bool)
            sig[free] = np.inf
        return sig

    def rate_density(self, exposure_kg_day: float) -> np.ndarray:
        """Per-component events/(kg·day·keV) of reconstructed energy, shape (n_comp, n_bins)."""
        return self.templates / (exposure_kg_day * self.binning.widths_kev[None, :])
