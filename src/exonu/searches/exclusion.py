"""Limits versus mediator mass on one detector or jointly on several: what ``exonu exclusion`` computes.

At each mass the search is the one of ``exonu fit`` at that mass: :func:`.run.run_search` on one detector
(the same call :func:`.mediators.exclusion_curve` makes, with the recoil spectrum and its flux kernels
shared across masses), or :func:`.joint.run_joint_search` on several (its combined result; each
detector's own limit is kept beside it). The expected limit is the limit on background-only Asimov data
(the median). :meth:`ExclusionScan.document` is the ``exclusion.json`` document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..errors import InputError
from ..spectrum import default_spectrum
from .joint import run_joint_search
from .run import SearchResult, run_search
from .spec import MEDIATORS, SearchSpec

if TYPE_CHECKING:
    from ..detector import DetectorSetup

#: What the expected limit of every mass is
EXPECTED = "limit on background-only Asimov data (median)"

#: One mass of a scan: the detectors, the search at that mass and the options of run_search (picklable)
MassTask = tuple[list["DetectorSetup"], SearchSpec, dict[str, Any]]


@dataclass
class MassPoint:
    """The limits at one mediator mass: the fit (combined for several detectors) and each detector's own."""

    mass_mev: float
    result: Any
    per_detector: dict[str, SearchResult] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "mass_mev": self.mass_mev,
            "observed": self.result.observed,
            "expected": self.result.expected,
            "best_fit": self.result.best_fit,
            "significance_sigma": self.result.significance_sigma,
            "converged": bool(self.result.limit_result.converged),
        }
        if self.per_detector:
            d["per_detector"] = {
                name: {"observed": r.observed, "expected": r.expected, "best_fit": r.best_fit}
                for name, r in self.per_detector.items()
            }
        return d


@dataclass
class ExclusionScan:
    """Observed and expected coupling limits at every mass of a scan, and how they were made."""

    setups: list[DetectorSetup]
    spec: SearchSpec  # the signal (the spec of the first mass: model, charges, parameter, unit)
    points: list[MassPoint]
    method: str
    statistic: str | dict[str, str]
    cl: float
    seed: int

    @property
    def joint(self) -> bool:
        return len(self.setups) > 1

    def windows(self) -> dict[str, str]:
        """Each detector's analysis window (the same at every mass)."""
        first = self.points[0]
        if not self.joint:
            return {self.setups[0].name: first.result.window}
        return {s.name: first.per_detector[s.name].window for s in self.setups}

    def document(self) -> dict[str, Any]:
        """``exclusion.json``: every mass with its limits, and how they were made."""
        prov = self.points[0].result.provenance
        windows = self.windows()
        return {
            "exonu_version": __version__,
            "signal": self.spec.model,
            "charges": self.spec.charges,
            "parameter": self.spec.parameter,
            "unit": self.spec.unit,
            "detectors": [s.name for s in self.setups],
            "config_sha256": {s.name: s.config_hash for s in self.setups},
            "data": {s.name: data_source(s, windows[s.name]) for s in self.setups},
            "method": self.method,
            "test_statistic": prov.get("test_statistic"),
            "threshold": prov.get("threshold"),
            "cl": self.cl,
            "sided": prov.get("sided"),
            "statistic": self.statistic,
            "calculator": prov.get("calculator"),
            "n_toys": prov.get("n_toys"),
            "seed": self.seed,
            "expected": EXPECTED,
            "joint": self.joint,
            "masses": [p.as_dict() for p in self.points],
        }


def data_source(setup: DetectorSetup, window: str) -> str:
    """What the limits of ``setup`` were computed on: its own data set, else Asimov (simulated)."""
    if setup.window(window).data_counts is not None:
        return "the detector's data set"
    return "Asimov background-only data (SIMULATED)"


def own_statistics(setups: Sequence[DetectorSetup]) -> str | dict[str, str]:
    """The statistic each detector config names: one name, or detector → statistic where they differ."""
    chosen = {s.name: s.statistic for s in setups}
    return next(iter(chosen.values())) if len(set(chosen.values())) == 1 else chosen


def limits_at_mass(task: MassTask) -> MassPoint:
    """Observed and Asimov-expected limits at one mass, on one detector or jointly on several."""
    setups, spec, options = task
    options = dict(options, spectrum=default_spectrum())
    mass_mev = float(spec.mass_mev)  # type: ignore[arg-type]  # run_exclusion only makes tasks with a mass
    if len(setups) == 1:
        return MassPoint(mass_mev, run_search(setups[0], spec, None, **options))
    joint = run_joint_search(setups, spec, None, **options)
    return MassPoint(mass_mev, joint.combined, dict(joint.detectors))


def run_exclusion(
    setups: Sequence[DetectorSetup],
    specs: Sequence[SearchSpec],
    *,
    method: str = "bayesian",
    statistic: str | Mapping[str, str] | None = None,
    cl: float = 0.9,
    seed: int = 0,
    belt_toys: int = 500,
    progress: Callable[[Iterable[MassPoint]], Iterable[MassPoint]] | None = None,
    mapper: Callable[[Callable[[MassTask], MassPoint], list[MassTask]], Iterable[MassPoint]] = map,
) -> ExclusionScan:
    """Observed and Asimov-expected limits at each mass, on one detector or jointly on several.

    Parameters
    ----------
    setups : sequence of DetectorSetup
        Loaded detectors (:func:`exonu.config.load_detector`), each given once.
    specs : sequence of SearchSpec
        One mediator search per mass (e.g. :func:`.mediators.spec_factory` at each mass), same signal.
    method, cl, seed
        As :func:`exonu.searches.run_search` (no toy band: the expected limit is the Asimov median).
    statistic : str or mapping, optional
        Default: each detector config's own.
    belt_toys : int
        Toys per grid point of the Neyman / Feldman–Cousins belt.
    progress : callable, optional
        Wraps the iterator of finished masses (e.g. ``tqdm``).
    mapper : callable
        ``mapper(function, tasks)`` runs :func:`limits_at_mass` on every mass, in order: the built-in
        ``map`` (default) or an executor's ``map`` (each mass is independent: the same points either way).
    """
    setups = list(setups)
    if not setups or not specs:
        raise InputError("an exclusion scan needs at least one detector and one mass")
    names = [s.name for s in setups]
    for n in names:
        if names.count(n) > 1:
            raise InputError(f"detector {n!r} is given {names.count(n)} times; give each detector once")
    for spec in specs:
        if spec.model not in MEDIATORS or spec.mass_mev is None:
            raise InputError(f"an exclusion scan needs mediator searches with a mass; got {spec.model!r}")
    chosen = own_statistics(setups) if statistic is None else statistic
    options: dict[str, Any] = dict(
        method=method,
        statistic=chosen,
        n_toys=0,
        seed=seed,
        cl=cl,
        fixed_aux_band=False,
        neyman_toys=belt_toys,
    )
    finished = mapper(limits_at_mass, [(setups, spec, options) for spec in specs])
    points = list(progress(finished) if progress is not None else finished)
    recorded = dict(chosen) if isinstance(chosen, Mapping) else chosen
    return ExclusionScan(setups, specs[0], points, method, recorded, cl, seed)
