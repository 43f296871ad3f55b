"""The plain containers a search receives: a loaded detector, its analysis windows, data sets.

They hold built objects only (response, background model, counts); how they were built from a TOML
file is :mod:`exonu.config`'s business, and nothing here imports config types.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from ..atomic import AtomicSettings
from ..errors import InputError, check_float_array
from .backgrounds import BackgroundModel, overlap_fractions
from .binning import Binning
from .response import DetectorModel, Response

if TYPE_CHECKING:  # annotations only: the spectrum layer is imported lazily where it is used
    from ..spectrum import RecoilSpectrum
    from ..xsec import Interaction

__all__ = ["Dataset", "DetectorSetup", "PublishedValue", "RegionSystematic", "SignalSystematics", "WindowSetup"]


@dataclass(frozen=True, eq=False)
class Dataset:
    """Binned counts with bin edges (keV) and provenance metadata (``"simulated"`` etc.)."""

    edges_kev: np.ndarray
    counts: np.ndarray
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        edges = Binning(self.edges_kev, key="Dataset edges_kev").edges_kev
        counts = check_float_array(self.counts, "Dataset counts", lower=0.0)
        if counts.shape != (edges.size - 1,):
            raise InputError(f"Dataset: {edges.size - 1} bins but counts of shape {counts.shape}")
        if not isinstance(self.metadata, dict):
            raise InputError(f"Dataset metadata must be a dict; got {type(self.metadata).__name__}")
        object.__setattr__(self, "edges_kev", edges)
        object.__setattr__(self, "counts", counts)

    @property
    def binning(self) -> Binning:
        return Binning(self.edges_kev)


@dataclass(frozen=True)
class RegionSystematic:
    """A flat fractional signal systematic by energy region: ``fractions[r]`` inside region r (keV edges)."""

    name: str
    region_edges_kev: tuple[float, ...]
    fractions: tuple[float, ...]
    description: str = ""

    def __post_init__(self) -> None:
        e = np.asarray(self.region_edges_kev, dtype=float)
        f = np.asarray(self.fractions, dtype=float)
        if e.size != f.size + 1 or np.any(np.diff(e) <= 0) or not np.all(np.isfinite(e)):
            raise InputError(f"signal systematic {self.name!r}: need n+1 increasing finite edges for n fractions")
        if not np.all(np.isfinite(f)) or np.any(f < 0):
            raise InputError(f"signal systematic {self.name!r}: fractions must be finite and ≥ 0; got {list(f)}")


@dataclass(frozen=True, eq=False)
class SignalSystematics:
    """Fractional signal systematics of one detector.

    Attributes
    ----------
    response : dict[str, str]
        Response systematic (one of :data:`exonu.detector.RESPONSE_SYSTEMATICS`) → name used in the fit.
    solar_flux : dict[str, float]
        Solar source → relative 1σ flux uncertainty (≥ 0).
    regions : tuple of RegionSystematic
    """

    response: dict[str, str]
    solar_flux: dict[str, float]
    regions: tuple[RegionSystematic, ...]

    def __post_init__(self) -> None:
        bad = {s: v for s, v in self.solar_flux.items() if not (math.isfinite(v) and v >= 0)}
        if bad:
            raise InputError(f"solar-flux uncertainties must be finite and ≥ 0; got {bad}")


@dataclass(frozen=True, eq=False)
class WindowSetup:
    """Everything the fit needs for one analysis window.

    Attributes
    ----------
    name : str
    binning : Binning
        ``binning.edges_kev`` are the bin edges (keV).
    response : Response
        Folding matrix (includes exposure and efficiency).
    background : BackgroundModel
        ``templates`` (n_comp, n_bins), ``names``, ``activity_sigma(search)``, ``shape_sys``
        (n_sys, n_comp, n_bins), ``sys_names``.
    data : Dataset or None
    signal_sys : SignalSystematics
    description : str
    """

    name: str
    binning: Binning
    response: Response
    background: BackgroundModel
    data: Dataset | None
    signal_sys: SignalSystematics
    description: str = ""

    @property
    def exposure_kg_day(self) -> float:
        return self.response.exposure_kg_day

    @property
    def data_counts(self) -> np.ndarray | None:
        return None if self.data is None else self.data.counts

    def fold(self, rate_fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """Counts per bin for ``rate_fn(T_keV) -> events/(kg·day·keV)``."""
        return self.response.fold_rate_function(rate_fn)

    def signal_template(
        self,
        interaction: Interaction,
        atomic_model: str = "fea",
        spectrum: RecoilSpectrum | None = None,
        flavour: str = "all",
    ) -> np.ndarray:
        """Folded counts per bin of one interaction term of :class:`exonu.spectrum.RecoilSpectrum`."""
        from ..spectrum import default_spectrum

        spectrum = default_spectrum() if spectrum is None else spectrum
        return self.fold(
            lambda t: spectrum.rate(t, interaction, flavour=flavour, atomic_model=atomic_model, per="kg-day")
        )

    def signal_systematics(
        self,
        interaction: Interaction | None = None,
        atomic_model: str = "fea",
        spectrum: RecoilSpectrum | None = None,
        rate_on_grid: ArrayLike | None = None,
        rate_by_source: dict[str, np.ndarray] | None = None,
        flavour: str = "all",
    ) -> tuple[tuple[str, ...], np.ndarray]:
        """Fractional per-bin signal systematics ε_il (per +1σ of r_l), shape (n_sys, n_bins).

        Give an ``interaction`` (its spectrum is computed, per solar source for the flux terms), or a
        ``rate_on_grid`` (events/(kg·day·keV) on ``response.grid_kev``) with an optional
        ``rate_by_source`` dict of the same per source (flux terms are skipped without it).
        Response-derived terms use the shifted response templates; region terms are flat inside
        their energy regions (a bin straddling a boundary gets the width-weighted mean).
        """
        from ..spectrum import default_spectrum

        grid = self.response.grid_kev
        if interaction is not None:
            spectrum = default_spectrum() if spectrum is None else spectrum
            # names were checked against every solar source at load; a source this spectrum leaves out
            # contributes no signal, hence no flux systematic
            sources = [s for s in self.signal_sys.solar_flux if s in spectrum.flux.sources]
            rate_on_grid, rate_by_source = spectrum.rates_by_source(
                grid, interaction, sources, flavour=flavour, atomic_model=atomic_model, per="kg-day"
            )
        if rate_on_grid is None:
            raise InputError("signal_systematics needs an interaction or rate_on_grid")
        names, rows = [], []
        resp = self.signal_sys.response
        if resp:
            keys = tuple(resp)
            _, shifts = self.response.systematic_shifts(rate_on_grid, keys)
            names += [resp[k] for k in keys]
            rows += list(shifts)
        if rate_by_source:
            total = self.response.fold(sum(rate_by_source.values()))
            for s, r in rate_by_source.items():
                share = np.divide(self.response.fold(r), total, out=np.zeros_like(total), where=total > 0)
                names.append(f"solar_flux_{s}")
                rows.append(share * self.signal_sys.solar_flux[s])
        for reg in self.signal_sys.regions:
            names.append(reg.name)
            rows.append(np.asarray(reg.fractions) @ overlap_fractions(self.binning.edges_kev, reg.region_edges_kev))
        if not rows:
            return (), np.zeros((0, self.binning.n_bins))
        return tuple(names), np.vstack(rows)


@dataclass(frozen=True)
class PublishedValue:
    """A collaboration's published result for one search, as stated in the detector config.

    Attributes
    ----------
    search : str
        Result key of the search (e.g. ``"magnetic_moment_mub"``, ``"millicharge_common_e"``,
        ``"dark_photon"`` with ``mass_mev``).
    value : float
        The published number (an upper limit, or one end of an interval), in ``unit``.
    unit : str
        e.g. ``"mu_B"``, ``"e"``, ``"dimensionless"``.
    cl : float
        Confidence level as a fraction (0.9 for 90 % CL).
    method : str
        How the collaboration obtained it (e.g. ``"profile likelihood"``, ``"Bayesian chi2"``).
    source : str
        Paper and arXiv number.
    mass_mev : float or None
        Mediator mass (MeV) for mass-dependent searches.
    lower : float or None
        Lower end when the result is a two-sided interval (``value`` is then the upper end).
    """

    search: str
    value: float
    unit: str
    cl: float
    method: str
    source: str
    mass_mev: float | None = None
    lower: float | None = None


@dataclass(frozen=True, eq=False)
class DetectorSetup:
    """A loaded detector: response, background and data per analysis window, with provenance.

    Attributes
    ----------
    name, description : str
    is_reconstruction : bool
        True when the inputs are a reconstruction from published text, not the collaboration's own.
    detector : DetectorModel
    windows : dict[str, WindowSetup]
    background_includes_solar_sm : bool
        True if the background already contains the SM solar-ν rate (fit adds only the exotic excess).
    config_path : pathlib.Path
    config_hash : str
        sha256 of the TOML file's bytes.
    config : object
        The validated config it was built from (a :class:`exonu.config.DetectorCfg`, for provenance).
    references : tuple of str
    published : tuple of PublishedValue
        The collaboration's published results this detector is compared with.
    extrapolations : tuple of str
        Every table the config asked to extend beyond its range (``extend = "flat"``), one line each;
        recorded in :meth:`provenance` so every output that uses the detector reports it.
    notes : tuple of str
        Other choices made while loading (e.g. data rows outside a window that were ignored).
    background_builder : callable, optional
        ``Binning -> BackgroundModel`` for other binnings (:meth:`background_for`).
    statistic : {"chi2", "poisson"}
        The fit statistic commands use for this detector unless told otherwise (config key ``statistic``).
    schema_version : int
    atomic : exonu.atomic.AtomicSettings
        Atomic model per signal and the atomic nuisance's switch and scale (config section ``[atomic]``).
    """

    name: str
    description: str
    is_reconstruction: bool
    detector: DetectorModel
    windows: dict[str, WindowSetup]
    background_includes_solar_sm: bool
    config_path: Path
    config_hash: str
    config: object = None
    references: tuple[str, ...] = ()
    published: tuple[PublishedValue, ...] = ()
    extrapolations: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    background_builder: Callable[[Binning], BackgroundModel] | None = None
    schema_version: int = 1
    statistic: str = "chi2"
    atomic: AtomicSettings = field(default_factory=AtomicSettings)

    def window(self, name: str) -> WindowSetup:
        try:
            return self.windows[name]
        except (KeyError, TypeError):
            raise InputError(
                f"detector {self.name!r} has no analysis window {name!r}; available: {sorted(self.windows)}"
            ) from None

    @property
    def exposure_kg_day(self) -> float:
        return self.detector.exposure_kg_day

    def provenance(self) -> dict[str, Any]:
        """What a results file records about this detector (including every extrapolated table)."""
        return {
            "detector": self.name,
            "config": str(self.config_path),
            "config_sha256": self.config_hash,
            "is_reconstruction": self.is_reconstruction,
            "schema_version": self.schema_version,
            "statistic": self.statistic,
            "atomic_uncertainty": self.atomic.uncertainty,
            "extrapolations": list(self.extrapolations),
            "notes": list(self.notes),
        }

    def published_for(self, search_key: str, mass_mev: float | None = None) -> PublishedValue | None:
        """The published value for ``search_key`` (and dark-photon ``mass_mev``, to 1e-9 relative), or None."""
        for p in self.published:
            if p.search != search_key:
                continue
            if mass_mev is None and p.mass_mev is None:
                return p
            if mass_mev is not None and p.mass_mev is not None and math.isclose(p.mass_mev, mass_mev, rel_tol=1e-9):
                return p
        return None

    def background_for(self, binning: Binning | ArrayLike) -> BackgroundModel:
        """Background model rebuilt for any binning (e.g. a narrow bin to read off a rate)."""
        if self.background_builder is None:
            raise InputError(f"detector {self.name!r} was built without a background builder")
        return self.background_builder(binning if isinstance(binning, Binning) else Binning(binning))
