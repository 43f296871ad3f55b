"""Seeded work units: what one task computes, from a picklable description of the model.

A work unit is a small frozen record — which search (a :class:`ModelDescription`), which grid point,
which chunk of toys, how many — that any process can turn into results. The fit model itself is
never shipped: each process rebuilds it from the description once and keeps it in a small cache, so
a task sent to a worker costs a few hundred bytes, not the detector response.

Random numbers. Every unit draws its toys with :func:`exonu.stats.generate_toys` seeded by
:func:`unit_seed`, which hashes (run seed, unit kind, mass index, coupling index, chunk) through
``numpy.random.SeedSequence``. A unit's toys therefore depend only on its key: the same run gives
bit-identical results whatever the number of workers, the order the units run in, or how often a
run is interrupted and resumed.

Test statistics. ``t(α) = χ²_min(α) − χ²_min`` with χ²_min(α) the statistic profiled over every
nuisance at fixed α and χ²_min the global minimum with α̂ ≥ 0: :func:`exonu.stats.belt_statistic`
for a whole ensemble at once (every kind of unit); :func:`likelihood_ratio_statistic` does the same
for one data set with the per-data-set fit and scan. The "upper" ordering sets t(α) = 0 for α < α̂ (the one-sided q_μ of
Cowan, Cranmer, Gross & Vitells, arXiv:1007.1727, Eq. 14); the "fc" ordering keeps it (the
likelihood-ratio ordering of Feldman & Cousins, arXiv:physics/9711021, §IV, with the physical
boundary α ≥ 0).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError
from ..searches import SearchSpec
from ..searches.joint import statistics_per_detector
from ..stats import METHODS, PER_BIN, BinnedModel

if TYPE_CHECKING:
    from ..detector import DetectorSetup

#: Orderings of the belt construction (see the module docstring)
ORDERINGS = ("upper", "fc")
#: Kinds of work unit, each with its own slot in the seed key ("limit": the observed data's limit; the
#: seed of the toy belt of a neyman/fc toy run uses "belt-of-toys")
UNIT_KINDS = {"toys": 0, "belt": 1, "background": 2, "observed": 3, "limit": 4, "belt-of-toys": 5}
#: Limit methods of a toy ensemble: every method of ``exonu fit`` (exonu.stats.METHODS)
TOY_METHODS = tuple(METHODS)


@dataclass(frozen=True)
class ModelDescription:
    """Everything a worker needs to rebuild the fit model of one search (small and picklable).

    Attributes
    ----------
    detectors : tuple of str
        Packaged detector names or absolute paths of TOML configs. Several detectors mean a joint
        fit (:func:`exonu.searches.build_joint_model`: the solar-flux normalisations shared by name).
    spec : SearchSpec
        The search (signal model, window, flavours, dark-photon mass).
    statistic : {"chi2", "poisson"}, mapping detector name → statistic, or None
        None (the default): the statistic each detector's config names, as ``exonu toys`` does. Joint
        detectors with different statistics keep each its own on its bins (stored as sorted
        (name, statistic) pairs; :attr:`fit_statistic` is then ``"per-bin"``).
    data : tuple of float or None
        Observed counts per bin; None: the detector's data set, else the background-only Asimov set.
    """

    detectors: tuple[str, ...]
    spec: SearchSpec
    statistic: str | tuple[tuple[str, str], ...] | Mapping[str, str] | None = None
    data: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if not self.detectors:
            raise InputError("ModelDescription: give at least one detector")
        # resolved here, once, so the record (hashed by the model cache, written to the run manifest)
        # names the statistic actually used
        setups = [load_detector_cached(d) for d in self.detectors]
        chosen = self.statistic
        if chosen is None:
            chosen = {s.name: s.statistic for s in setups}
        elif isinstance(chosen, tuple):  # pairs, as this record stores them (with_mass passes them on)
            chosen = dict(chosen)
        per_detector = statistics_per_detector(chosen, [s.name for s in setups])
        values = set(per_detector.values())
        resolved = values.pop() if len(values) == 1 else tuple(sorted(per_detector.items()))
        object.__setattr__(self, "statistic", resolved)

    @property
    def statistic_record(self) -> str | dict[str, str]:
        """The statistic as the run manifest records it: one name, or detector name → statistic."""
        if isinstance(self.statistic, str):
            return self.statistic
        assert isinstance(self.statistic, tuple)  # __post_init__ resolved None and mappings to pairs
        return dict(self.statistic)

    @property
    def fit_statistic(self) -> str:
        """The statistic the fits use: the one name, or ``"per-bin"`` when joint detectors keep their own."""
        return self.statistic if isinstance(self.statistic, str) else PER_BIN

    def build(self) -> tuple[BinnedModel, float]:
        """The :class:`exonu.stats.BinnedModel` and the α = 1 reference value (cached per process)."""
        return _build_cached(self)

    def with_mass(self, mass_mev: float | None) -> ModelDescription:
        """The same search at another dark-photon mass (None for searches without a mass)."""
        if mass_mev is None:
            return self
        key = f"{self.spec.key.rsplit('_', 1)[0] if self.spec.key.endswith('MeV') else self.spec.key}_{mass_mev:.6g}MeV"
        spec = replace(self.spec, key=key, mass_mev=float(mass_mev), published=None)
        return ModelDescription(self.detectors, spec, self.statistic, self.data)


@functools.lru_cache(maxsize=16)
def _build_cached(description: ModelDescription) -> tuple[BinnedModel, float]:
    from ..searches import build_binned_model, build_joint_model
    from ..searches.joint import with_bin_statistics

    if len(description.detectors) > 1:  # one joint model, the shared physical nuisances one parameter
        if description.data is not None:
            raise InputError("data for a joint toy run or scan must come from the detectors' own configs")
        joint = build_joint_model([load_detector_cached(d) for d in description.detectors], description.spec)
        if isinstance(description.statistic, tuple):  # each detector's own statistic on its bins
            model, _ = with_bin_statistics(joint, dict(description.statistic))
            return model, float(joint.reference)
        return joint.model, float(joint.reference)
    setup = load_detector_cached(description.detectors[0])
    data = None if description.data is None else np.asarray(description.data, dtype=float)
    model, templates = build_binned_model(setup, description.spec, data)
    return model, float(templates.reference)


@functools.lru_cache(maxsize=8)
def load_detector_cached(name_or_path: str) -> DetectorSetup:
    """:func:`exonu.config.load_detector`, loaded once per process (a config edited meanwhile is not re-read)."""
    from ..config import load_detector

    return load_detector(name_or_path)


def unit_seed(run_seed: int, kind: str, mass_index: int, coupling_index: int, chunk: int) -> int:
    """The seed of one unit's toys: a SeedSequence hash of (run seed, kind, grid point, chunk).

    Returns an int in [0, 2⁶³) for :func:`exonu.stats.generate_toys`. Distinct keys give
    statistically independent streams (numpy's SeedSequence hashes the whole key).
    """
    key = [int(run_seed), UNIT_KINDS[kind], int(mass_index), int(coupling_index), int(chunk)]
    if min(key) < 0:
        raise InputError(f"seed and unit indices must be non-negative; got {key}")
    return int(np.random.SeedSequence(key).generate_state(1, np.uint64)[0] % (2**63))


@dataclass(frozen=True)
class WorkUnit:
    """One task: ``n_toys`` toys (or the observed data) of one grid point of one run.

    Attributes
    ----------
    kind : {"toys", "belt", "background", "observed"}
        ``toys``: per-toy limit and fit of an ensemble at ``alpha``; ``belt``: t(α_k) of toys drawn
        at α_k = ``alpha_grid[coupling_index]``; ``background``: t on the whole grid for
        background-only toys (the expected band); ``observed``: t on the whole grid for the data.
    description : ModelDescription
    mass_index, coupling_index, chunk : int
        The unit's key (with the run seed it fixes the random stream).
    first_toy, n_toys : int
        Global index of the first toy and the number of toys (1 for ``observed``).
    run_seed : int
    alpha : float
        Signal strength the toys are drawn at (``toys`` kind).
    alpha_grid : tuple of float
        Belt grid of signal strengths (``belt``, ``background``, ``observed``).
    method : str
        Limit method of the ``toys`` and ``limit`` kinds: one of :data:`TOY_METHODS`.
    ordering : {"upper", "fc"}
    cl : float
        Confidence level of the ``toys`` and ``limit`` kinds' limits.
    belt_toys : int
        Toys per grid point of the belt of ``neyman``/``fc`` limits (see :meth:`toy_belt`).
    fluctuate_aux : bool
    """

    kind: str
    description: ModelDescription
    mass_index: int
    coupling_index: int
    chunk: int
    first_toy: int
    n_toys: int
    run_seed: int
    alpha: float = 0.0
    alpha_grid: tuple[float, ...] = ()
    method: str = "bayesian"
    ordering: str = "upper"
    cl: float = 0.9
    belt_toys: int = 500
    fluctuate_aux: bool = True

    @property
    def name(self) -> str:
        """File-name key of the unit (unique within a run)."""
        return f"{self.kind}-m{self.mass_index:04d}-a{self.coupling_index:04d}-c{self.chunk:06d}"

    @property
    def seed(self) -> int:
        """The seed of the unit's toys. Background and observed units of a belt scan are numbered by grid
        block in ``coupling_index``, but every block evaluates the same toys: their seed leaves it out."""
        coupling = 0 if self.kind in ("background", "observed") else self.coupling_index
        return unit_seed(self.run_seed, self.kind, self.mass_index, coupling, self.chunk)

    def toy_belt(self) -> object:
        """The toy belt of a neyman/fc limit (None for other methods): one per run and mass, seeded by
        ``unit_seed(run seed, "belt-of-toys", mass index, 0, 0)``, built as ``exonu fit`` builds it
        (on the search's own data) and cached per process."""
        if self.method not in ("neyman", "fc"):
            return None
        seed = unit_seed(self.run_seed, "belt-of-toys", self.mass_index, 0, 0)
        return _toy_belt_cached(self.description, self.method, self.cl, self.belt_toys, seed)


@functools.lru_cache(maxsize=4)
def _toy_belt_cached(description: ModelDescription, method: str, cl: float, n_toys: int, seed: int) -> object:
    from ..stats import upper_limit

    model, _ = description.build()
    limit = upper_limit(
        model, cl, method=method, statistic=description.fit_statistic, n_toys=n_toys, seed=seed, expected=False
    )
    return limit.details["belt"]


def likelihood_ratio_statistic(
    model: BinnedModel, alpha_hat: float, chi2_min: float, alphas: np.ndarray, statistic: str, ordering: str
) -> np.ndarray:
    """t(α) = χ²_min(α) − χ²_min on ``alphas`` for one data set (see the module docstring)."""
    from ..stats import profile_scan

    scan = profile_scan(model, alphas, statistic=statistic)
    t = np.where(scan.converged, np.maximum(scan.chi2 - chi2_min, 0.0), np.nan)
    if ordering == "upper":
        t = np.where(alphas < alpha_hat, 0.0, t)
    return t


def run_unit(unit: WorkUnit) -> dict[str, np.ndarray]:
    """Compute one unit with BLAS on one thread; returns its columns (:func:`compute_unit`).

    The thread count is part of the numbers (a multi-threaded BLAS splits its sums differently), so the unit
    pins it itself: any executor — in-process, local processes, Dask, or one a user passes — stores the
    same bits.
    """
    from .executor import pin_blas_threads

    with pin_blas_threads():
        return compute_unit(unit)


def compute_unit(unit: WorkUnit) -> dict[str, np.ndarray]:
    """Compute one unit; returns its columns (one row per toy, or per toy × grid point).

    The columns always hold ``toy`` (global index); the rest depend on the kind:

    * ``toys``: ``limit_alpha`` (NaN where the limit failed), ``alpha_hat``, ``chi2_min``,
      ``q0`` (χ²_min(0) − χ²_min, the discovery statistic), ``fit_valid`` (the best fit converged);
    * ``belt``: ``alpha_hat``, ``t`` at α_k;
    * ``background`` and ``observed``: ``coupling_index``, ``alpha_hat``, ``t`` (long format, one
      row per toy and grid point); ``observed`` also ``reference`` (the parameter at α = 1).
    """
    from ..stats import ToyEnsemble, belt_statistic, generate_toys, limits_for_toys

    model, reference = unit.description.build()
    statistic = unit.description.fit_statistic
    grid = np.asarray(unit.alpha_grid, dtype=float)
    if unit.kind in ("observed", "limit"):
        ensemble = ToyEnsemble.observed(model)
    else:
        alpha = {"toys": unit.alpha, "background": 0.0}.get(unit.kind)
        if alpha is None:  # a belt unit: toys drawn at its own grid point (its one point, or the grid's k-th)
            alpha = float(grid[0] if grid.size == 1 else grid[unit.coupling_index])
        ensemble = generate_toys(model, unit.n_toys, alpha=alpha, seed=unit.seed, fluctuate_aux=unit.fluctuate_aux)
    toy = unit.first_toy + np.arange(ensemble.n_toys, dtype=np.int64)
    if unit.kind in ("toys", "limit"):
        # fit and q₀ = t(0) of the whole ensemble at once; limits with the batched Newton engine
        # (within a few 1e-4 of the ladder engine at the same grid, see exonu.stats.limits_for_toys;
        # methods it does not cover fall back to the ladder there)
        at_zero = belt_statistic(model, ensemble, [0.0], statistic=statistic)
        limits = limits_for_toys(
            model,
            ensemble,
            unit.method,
            cl=unit.cl,
            statistic=statistic,
            progress=False,
            engine="newton",
            belt=unit.toy_belt(),  # type: ignore[arg-type]  # a NeymanBelt or fc belt record, or None
        )
        return {
            "toy": toy,
            "limit_alpha": limits,
            "alpha_hat": at_zero.alpha_hat,
            "chi2_min": at_zero.chi2_min,
            "q0": at_zero.t_fc[:, 0],
            "fit_valid": np.isfinite(at_zero.chi2_min),
        }
    # belt, background and observed units: the whole ensemble fitted and profiled at once
    points = np.array([alpha]) if unit.kind == "belt" else grid
    belt = belt_statistic(model, ensemble, points, statistic=statistic)
    t = belt.t(unit.ordering)  # (n, G); NaN where a fit or a profile did not converge
    if unit.kind == "belt":
        return {"toy": toy, "alpha_hat": belt.alpha_hat, "t": t[:, 0]}
    n, g = t.shape
    columns = {
        "toy": np.repeat(toy, g),
        "coupling_index": np.tile(np.arange(g, dtype=np.int64), n),
        "alpha_hat": np.repeat(belt.alpha_hat, g),
        "t": t.ravel(),
    }
    if unit.kind == "observed":
        columns["reference"] = np.full(n * g, reference)
    return columns
