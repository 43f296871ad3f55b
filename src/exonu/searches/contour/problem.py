"""The profile likelihood of one signal in two of its parameters, on one or several detectors.

:func:`region_problem` builds each detector's model (data, background, nuisances) and the monomial
templates of its window (:mod:`.quadratic`); :meth:`RegionProblem.chi2` profiles every nuisance with
the signal at a point (x, y) as a fixed component. At each point the signal's systematics are the
detector's own (``WindowSetup.signal_systematics`` of that point's spectrum), as in a one-parameter
search at that parameter value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol, TypeVar

import numpy as np
from numpy.typing import ArrayLike

from ...errors import InputError
from ...spectrum import RecoilSpectrum, default_spectrum
from ...stats import BinnedModel, ProfileResult, profile
from ..joint import build_joint_model, combine_models, statistics_per_detector, with_bin_statistics
from ..spec import MEDIATORS, SearchSpec
from ..templates import atomic_model_for, atomic_uncertainty_on, build_binned_model, choose_window
from .parameters import RegionParameter, check_parameters
from .quadratic import WindowTemplates, monomials, window_templates

if TYPE_CHECKING:
    from ...detector import DetectorSetup

__all__ = ["ProgressBar", "RegionProblem", "region_problem"]

T = TypeVar("T")


class ProgressBar(Protocol):
    """Wraps ``items`` (``total`` of them, counted in ``unit``s) to show progress, yielding them unchanged."""

    def __call__(self, items: Iterable[T], total: int, unit: str) -> Iterable[T]: ...


@dataclass
class RegionProblem:
    """The profile likelihood of one signal in two of its parameters, on one or several detectors.

    Build it with :func:`region_problem`. ``chi2(x, y)`` profiles every nuisance at the point.
    """

    spec: SearchSpec
    params: tuple[RegionParameter, RegionParameter]
    models: dict[str, BinnedModel]  # each detector's model (its data, background, nuisances)
    templates: dict[str, WindowTemplates]
    statistic: str
    shared: tuple[str, ...] | None = None  # None: one detector
    bin_statistic: tuple[str, ...] | None = None
    data_sources: dict[str, str] = field(default_factory=dict)
    n_profiles: int = 0

    @property
    def detectors(self) -> tuple[str, ...]:
        return tuple(self.models)

    def detector_model(self, name: str, x: float, y: float) -> BinnedModel:
        """Detector ``name``'s model with the signal at (x, y) as a fixed component (α = 1)."""
        m = monomials(x / self.params[0].scale, y / self.params[1].scale)
        counts, names, shifts = self.templates[name].signal(m)
        model = self.models[name]
        if tuple(names) != tuple(model.signal_sys_names or ()):
            raise InputError(f"detector {name!r}: the signal systematics changed between points ({names})")
        return replace(model, signal_templates=counts[None, :], signal_powers=[1.0], signal_shape_sys=shifts)

    def model_at(self, x: float, y: float) -> BinnedModel:
        """The (joint) model with the signal at (x, y); fit it at α = 1."""
        models = {name: self.detector_model(name, x, y) for name in self.models}
        if self.shared is None:
            return next(iter(models.values()))
        joint, _ = combine_models(models, self.shared)
        return joint if self.bin_statistic is None else replace(joint, bin_statistic=self.bin_statistic)

    def profile_at(self, x: float, y: float, start: ProfileResult | None = None) -> ProfileResult:
        """The nuisances that minimise the statistic with the signal at (x, y)."""
        self.n_profiles += 1
        return profile(self.model_at(x, y), 1.0, statistic=self.statistic, start=start)

    def chi2(self, x: float, y: float) -> float:
        """χ²_min(x, y) (or −2 ln L ratio for the Poisson statistic); +inf where the profile fails."""
        result = self.profile_at(x, y)
        return float(result.chi2) if result.converged and np.isfinite(result.chi2) else math.inf

    def chi2_grid(self, xs: np.ndarray, ys: np.ndarray, progress: ProgressBar | None = None) -> np.ndarray:
        """χ²_min on the grid, shape (len(ys), len(xs)); each point warm-started from its neighbour.

        ``progress(rows, total, "row")`` may wrap the rows (a progress bar).
        """
        out = np.empty((ys.size, xs.size))
        start: ProfileResult | None = None
        rows: Iterable[tuple[int, float]] = enumerate(ys)
        if progress is not None:
            rows = progress(rows, ys.size, "row")
        for j, y in rows:
            columns = range(xs.size) if j % 2 == 0 else range(xs.size - 1, -1, -1)  # a snake keeps neighbours
            for i in columns:
                result = self.profile_at(float(xs[i]), float(y), start)
                if not (result.converged and np.isfinite(result.chi2)):
                    result = self.profile_at(float(xs[i]), float(y))  # retry from the nominal start
                good = result.converged and np.isfinite(result.chi2)
                out[j, i] = result.chi2 if good else math.inf
                start = result if good else None
        return out

    def asimov(self, x: float, y: float) -> dict[str, np.ndarray]:
        """Each detector's Asimov data with the signal at (x, y) and nominal nuisances."""
        return {name: self.detector_model(name, x, y).asimov(1.0) for name in self.models}

    def with_data(self, datas: Mapping[str, ArrayLike], source: str = "given") -> RegionProblem:
        """The same problem on other data (detector name → counts per bin; detectors not named keep theirs)."""
        unknown = sorted(set(datas) - set(self.models))
        if unknown:
            raise InputError(f"data for unknown detector {unknown[0]!r}; the detectors are {list(self.models)}")
        models = {n: (m.with_data(datas[n]) if n in datas else m) for n, m in self.models.items()}
        sources = {n: (source if n in datas else s) for n, s in self.data_sources.items()}
        return replace(self, models=models, data_sources=sources, n_profiles=0)


def region_problem(
    setups: Sequence[DetectorSetup],
    spec: SearchSpec,
    params: Sequence[str],
    *,
    datas: Mapping[str, ArrayLike] | None = None,
    statistic: str | Mapping[str, str] | None = None,
    spectrum: RecoilSpectrum | None = None,
) -> RegionProblem:
    """The :class:`RegionProblem` of ``spec``'s signal in the two parameters ``params``.

    Parameters
    ----------
    setups : sequence of DetectorSetup
        Loaded detectors (``exonu.config.load_detector``); several give a joint fit with the solar-flux
        normalisations shared (:func:`~exonu.searches.build_joint_model`).
    spec : SearchSpec
        The signal (``search_spec(signal, flavours=...)``); its window, flavours and atomic model apply.
    params : two names of :data:`REGION_PARAMETERS` for the signal.
    datas : mapping detector name → counts, optional
        Default: each detector's own data, or the background-only Asimov data where it has none.
    statistic : str or mapping, optional
        Default: each detector config's own.
    spectrum : RecoilSpectrum, optional

    Raises
    ------
    InputError
        Unknown parameter names (one line naming the valid ones), a detector given twice, bad data.
    """
    pair = check_parameters(spec.model, params)
    if spec.model in MEDIATORS:
        raise InputError(
            f"the {spec.model} region is not a quadratic form in (g, mass_mev); "
            "use mediator_region(MediatorSearch(...))"
        )
    setups = list(setups)
    if not setups:
        raise InputError("a region needs at least one detector")
    spectrum = spectrum or default_spectrum()
    names = [s.name for s in setups]
    datas = dict(datas or {})
    chosen = statistics_per_detector(
        statistic if statistic is not None else {s.name: s.statistic for s in setups}, names
    )
    shared: tuple[str, ...] | None = None
    bin_statistic: tuple[str, ...] | None = None
    if len(setups) == 1:
        model, _ = build_binned_model(setups[0], spec, datas.get(names[0]), spectrum)
        models, windows, stat = {names[0]: model}, {names[0]: choose_window(setups[0], spec)}, chosen[names[0]]
    else:
        joint = build_joint_model(setups, spec, datas, spectrum=spectrum)
        models, windows, shared = dict(joint.models), dict(joint.windows), tuple(joint.shared)
        combined, stat = with_bin_statistics(joint, chosen)
        bin_statistic = None if combined.bin_statistic is None else tuple(combined.bin_statistic)
    templates = {
        s.name: window_templates(
            s.window(windows[s.name]),
            spec,
            pair,
            spectrum,
            atomic_model=atomic_model_for(s, spec),
            atomic_scale=s.atomic.uncertainty_scale if atomic_uncertainty_on(s, spec) else None,
        )
        for s in setups
    }
    sources = {}
    for s in setups:
        own = s.window(windows[s.name]).data_counts is not None
        sources[s.name] = (
            "given" if s.name in datas else ("the detector's data set" if own else "Asimov background-only (SIMULATED)")
        )
    return RegionProblem(spec, pair, models, templates, stat, shared, bin_statistic, sources)
