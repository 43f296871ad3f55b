"""Joint fits of one signal parameter to several detectors, with shared physical nuisances.

A joint fit is one :class:`exonu.stats.BinnedModel` whose bins are the concatenation of the
detectors' bins. Every detector keeps its own data, background components, background shape
systematics and signal systematics; a parameter that describes the same physical quantity in
several detectors is ONE parameter of the joint model, with its templates (or shifts) spanning the
bins of every detector that has it. This is how HistFactory combines channels: modifiers with the
same name are the same parameter (Cranmer et al., CERN-OPEN-2012-016, §2; pyhf, JOSS 6 (2021) 2823).

What is shared (``shared=`` of :func:`build_joint_model`):

* ``"physical"`` (default): the solar-neutrino flux normalisations. They enter a detector's model as
  signal systematics ``solar_flux_<source>`` (the fractional change of the signal for a 1σ change of
  that source's flux, per bin) and, when the detector models the Standard-Model solar-ν recoils as a
  background component of its own (group ``"solar"``), as that component's normalisation; and the atomic
  nuisance ``atomic`` (one atom, one atomic treatment; docs/physics.md §18.2). These are
  shared by name across detectors; everything else (efficiencies, energy scales, radioactivity,
  detector shape systematics) is detector-specific and gets the detector's name as a prefix
  (``"xmass-i/c14"``).
* ``"all"``: every parameter with the same name in several detectors is one parameter (the same
  detector split into runs, e.g. two halves of one exposure).
* a collection of names in :attr:`exonu.stats.BinnedModel.nuisance_names` form (``"p_<component>"``,
  ``"q_<background systematic>"``, ``"r_<signal systematic>"``): exactly those; ``()`` shares nothing.

A shared parameter must mean the same thing everywhere: a shared component must have the same
activity constraint σ in every detector, a shared flux systematic the same relative flux uncertainty;
otherwise :class:`~exonu.errors.InputError`.

The signal templates of every detector use ONE reference value of the physical parameter, so that
α = (x/x_ref)^power is one parameter. For the B−L dark photon the reference g is chosen once, so that
the pure g⁴ term gives about 100 events summed over the detectors.

References
----------
XMASS Collaboration, PLB 809 (2020) 135741, arXiv:2005.11891, Eqs. (4)–(7) (the fit of each detector);
K. Cranmer et al., HistFactory, CERN-OPEN-2012-016 (shared modifiers across channels).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike

from ..atomic import ATOMIC_NUISANCE
from ..errors import ExonuError, InputError
from ..spectrum import RecoilSpectrum
from ..stats import PER_BIN, STATISTICS, BinnedModel, Mapper
from .combine import SEPARATOR, combine_models, filled_names, local_parameter_names
from .diagnostics import Diagnostic, setup_diagnostics
from .run import SearchResult, component_labels, search_result_from_model
from .spec import DEFAULT_REFERENCE, SearchSpec
from .templates import SignalTemplates, build_binned_model, check_setup, choose_window, signal_templates

if TYPE_CHECKING:
    from ..detector import DetectorSetup

__all__ = [
    "JointModel",
    "JointResult",
    "build_joint_model",
    "combine_models",
    "run_joint_search",
    "statistics_per_detector",
]

#: Prefix of the signal systematics that are solar flux normalisations (see ``WindowSetup.signal_systematics``)
SOLAR_FLUX_PREFIX = "solar_flux_"
#: Background-component group of the Standard-Model solar-ν recoils
SOLAR_GROUP = "solar"


# ------------------------------------------------------------------------------------------------
# from detectors to the joint model
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class JointModel:
    """The joint fit model and the per-detector pieces it was built from.

    Attributes
    ----------
    model : BinnedModel
        The joint model (bins of every detector, concatenated in :attr:`detectors` order).
    spec : SearchSpec
        The search, with the common reference value in ``spec.reference``.
    detectors : tuple of str
        Detector names, in bin order.
    bins : dict detector name → slice
        Each detector's bins in :attr:`model`.
    windows : dict detector name → str
        The analysis window used in each detector.
    models : dict detector name → BinnedModel
        Each detector's own model (same reference value): what a single-detector fit uses.
    templates : dict detector name → SignalTemplates
        Each detector's folded signal at the common reference value.
    shared : tuple of str
        Nuisance names (``model.nuisance_names`` form) that are one parameter for several detectors.
    provenance : dict detector name → dict
        Each detector's config file and hash (``DetectorSetup.provenance()``).
    """

    model: BinnedModel
    spec: SearchSpec
    detectors: tuple[str, ...]
    bins: dict[str, slice]
    windows: dict[str, str]
    models: dict[str, BinnedModel]
    templates: dict[str, SignalTemplates]
    shared: tuple[str, ...]
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def reference(self) -> float:
        """Value of the physical parameter at α = 1, the same in every detector."""
        assert self.spec.reference is not None  # joint_model fixes the common reference
        return float(self.spec.reference)

    @property
    def window_label(self) -> str:
        """``"det:window + det:window"``, for results."""
        return " + ".join(f"{d}:{self.windows[d]}" for d in self.detectors)

    def signal(self) -> SignalTemplates:
        """The joint signal templates (bins concatenated, systematics as in :attr:`model`)."""
        m = self.model
        return SignalTemplates(
            m.signal_templates, m.signal_powers, self.reference, filled_names(m.signal_sys_names), m.signal_shape_sys
        )

    def split(self, counts: ArrayLike) -> dict[str, np.ndarray]:
        """Counts per joint bin → each detector's counts per bin."""
        counts = np.asarray(counts, dtype=float)
        if counts.shape != (self.model.n_bins,):
            raise InputError(f"joint counts must have {self.model.n_bins} bins; got shape {counts.shape}")
        return {d: counts[self.bins[d]] for d in self.detectors}


def _check_setups(setups: Sequence[DetectorSetup]) -> list[DetectorSetup]:
    if isinstance(setups, (str, bytes)) or not isinstance(setups, Sequence) or not setups:
        raise InputError("setups must be a non-empty sequence of loaded detectors (exonu.config.load_detector)")
    for s in setups:
        check_setup(s)
    names = [getattr(s, "name", None) for s in setups]
    if not all(isinstance(n, str) and n for n in names):
        raise InputError("every entry of setups must be a loaded detector (exonu.config.load_detector) with a name")
    for n in names:
        if names.count(n) > 1:
            raise InputError(
                f"detector name {n!r} appears {names.count(n)} times in a joint fit; "
                "give each detector its own `name` in its TOML"
            )
    return list(setups)


_V = TypeVar("_V")


def _per_detector(value: Mapping[str, _V] | None, names: list[str], what: str) -> dict[str, _V]:
    """A ``{detector name: value}`` mapping checked against the detector names (None → empty)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InputError(
            f"{what} must be a mapping detector name → value (it must say which detector each "
            f"entry belongs to); got {type(value).__name__}"
        )
    unknown = [k for k in value if k not in names]
    if unknown:
        raise InputError(f"{what} names unknown detectors {unknown}; the joint fit has {names}")
    return dict(value)


def _physical_shared(setups: Sequence[DetectorSetup], windows: Mapping[str, str]) -> set[str]:
    """Nuisance names of the solar flux normalisations, checked to mean the same in every detector, and the
    atomic nuisance (one atom, one treatment: the same pull in every detector; docs/physics.md §18.2)."""
    names: set[str] = {f"r_{ATOMIC_NUISANCE}"}
    flux_sigma: dict[str, tuple[str, float]] = {}
    for s in setups:
        w = s.window(windows[s.name])
        for source, sigma in w.signal_sys.solar_flux.items():
            if source in flux_sigma and not np.isclose(flux_sigma[source][1], sigma, rtol=1e-9, atol=0.0):
                raise InputError(
                    f"the {source} solar flux uncertainty is {sigma:g} in {s.name!r} but "
                    f"{flux_sigma[source][1]:g} in {flux_sigma[source][0]!r}; a shared flux needs one "
                    "value ([signal_systematics] solar_flux)"
                )
            flux_sigma.setdefault(source, (s.name, sigma))
            names.add(f"r_{SOLAR_FLUX_PREFIX}{source}")
        names |= {f"p_{n}" for n, g in zip(w.background.names, w.background.groups, strict=False) if g == SOLAR_GROUP}
    return names


def _common_reference(
    setups: Sequence[DetectorSetup], spec: SearchSpec, windows: Mapping[str, str], spectrum: RecoilSpectrum | None
) -> float:
    """One reference value of the physical parameter for every detector.

    Models with a fixed default reference (millicharge, magnetic moment) use it. For the others the
    single-detector reference makes the highest-power term give ~100 events in that detector
    (:func:`signal_templates`); summed over detectors those counts are Σ_d 100 (x/x_d)^p with p the
    α-power, so x_ref = sign · (Σ_d |x_d|^−p)^(−1/p) gives ~100 events in total (p = 4 for the dark
    photon: g_ref = (Σ_d g_d⁻⁴)^(−1/4)).
    """
    if spec.reference is not None:
        return float(spec.reference)
    if spec.model in DEFAULT_REFERENCE:
        return float(DEFAULT_REFERENCE[spec.model])
    x = np.array([_signal_for(s, replace(spec, window=windows[s.name]), spectrum).reference for s in setups])
    p = float(spec.alpha_power)
    return float(np.sign(x[0]) * np.sum(np.abs(x) ** -p) ** (-1.0 / p))


def _signal_for(setup: DetectorSetup, spec: SearchSpec, spectrum: RecoilSpectrum | None) -> SignalTemplates:
    """The detector's signal templates, or an InputError saying which detector cannot compute them."""
    try:
        templates = signal_templates(setup, spec, spectrum)
    except ExonuError as exc:
        raise InputError(f"detector {setup.name!r} cannot compute the {spec.model} signal: {exc}") from None
    if not np.any(templates.templates != 0):
        raise InputError(
            f"detector {setup.name!r} cannot compute the {spec.model} signal: it is zero in every bin "
            f"of window {spec.window!r}"
        )
    return templates


def build_joint_model(
    setups: Sequence[DetectorSetup],
    spec: SearchSpec,
    datas: Mapping[str, Any] | None = None,
    *,
    shared: Collection[str] | str = "physical",
    windows: Mapping[str, str] | None = None,
    spectrum: RecoilSpectrum | None = None,
) -> JointModel:
    """The joint fit model of one search on several detectors.

    Parameters
    ----------
    setups : sequence of DetectorSetup
        Loaded detectors (:func:`exonu.config.load_detector`) with distinct names.
    spec : SearchSpec
        The search. ``spec.reference`` (None: a default chosen once for all detectors) is the
        physical parameter at α = 1; ``spec.window`` applies to every detector unless ``windows``
        names one.
    datas : mapping detector name → counts per bin, optional
        Data replacing a detector's own (its window's bins). Detectors not named use their own data
        (the background-only Asimov data set when they have none).
    shared : "physical", "all" or collection of str
        What is one parameter across detectors (see the module docstring).
    windows : mapping detector name → window name, optional
        Per-detector analysis windows (default: ``spec.window`` or the detector's choice).
    spectrum : RecoilSpectrum, optional
        Solar-ν recoil spectrum (default: the paper's).

    Returns
    -------
    JointModel

    Raises
    ------
    InputError
        Two detectors with the same name; ``datas``/``windows`` not a mapping or naming an unknown
        detector; a signal some detector cannot compute (no such window, zero signal); a shared
        parameter that means different things in two detectors.
    """
    setups = _check_setups(setups)
    if isinstance(shared, str) and shared not in ("physical", "all"):
        raise InputError(f"shared must be 'physical', 'all' or a collection of parameter names; got {shared!r}")
    names = [s.name for s in setups]
    datas = _per_detector(datas, names, "datas")
    window_of = _per_detector(windows, names, "windows")
    chosen: dict[str, str] = {}
    for s in setups:
        try:
            chosen[s.name] = choose_window(s, replace(spec, window=window_of.get(s.name, spec.window)))
        except ExonuError as exc:
            raise InputError(f"detector {s.name!r} cannot compute the {spec.model} signal: {exc}") from None
    spec = replace(spec, reference=_common_reference(setups, spec, chosen, spectrum))

    models, templates = {}, {}
    for s in setups:
        local = replace(spec, window=chosen[s.name])
        templates[s.name] = _signal_for(s, local, spectrum)
        data = datas.get(s.name)
        data = getattr(data, "counts", data)  # a Dataset or plain counts
        try:
            models[s.name], _ = build_binned_model(s, local, data, spectrum, templates[s.name])
        except ExonuError as exc:
            raise InputError(f"detector {s.name!r}: {exc}") from None
    if isinstance(shared, str) and shared == "physical":
        # the policy names what a detector may have; share what at least two detectors do have
        shared = {
            n
            for n in _physical_shared(setups, chosen)
            if sum(n in local_parameter_names(m) for m in models.values()) >= 2
        }
    joint, bins = combine_models(models, shared, poi_name=f"({spec.parameter}/{spec.reference:.3g})^{spec.alpha_power}")
    shared_names = tuple(
        n for n in joint.nuisance_names if sum(n in local_parameter_names(m) for m in models.values()) >= 2
    )
    return JointModel(
        model=joint,
        spec=spec,
        detectors=tuple(names),
        bins=bins,
        windows=chosen,
        models=models,
        templates=templates,
        shared=shared_names,
        provenance={s.name: s.provenance() for s in setups if hasattr(s, "provenance")},
    )


# ------------------------------------------------------------------------------------------------
# fits and limits
# ------------------------------------------------------------------------------------------------
@dataclass
class JointResult:
    """A joint search: the combined result and each detector's own, side by side.

    Attributes
    ----------
    combined : SearchResult
        The fit of the joint model (``combined.model`` is the joint BinnedModel).
    detectors : dict detector name → SearchResult
        Each detector alone, same method, statistic and seed: the result of
        :func:`exonu.searches.run_search` on that detector (with its own default reference value for
        the dark photon; the joint model's is chosen for all detectors together).
    joint : JointModel
        The joint model and its per-detector pieces.
    statistic : str
        The joint fit's: one statistic, or ``"per-bin"`` when the detectors use different ones.
    statistics : dict
        Each detector's statistic.
    cl : float
    """

    combined: SearchResult
    detectors: dict[str, SearchResult]
    joint: JointModel = field(repr=False)
    statistic: str = "chi2"
    cl: float = 0.9
    statistics: dict[str, str] = field(default_factory=dict)

    @property
    def upper_limit(self) -> float:
        """The combined observed upper limit (physical units)."""
        return self.combined.observed

    @property
    def expected_upper_limit(self) -> float:
        """The combined expected (Asimov median) upper limit."""
        return self.combined.expected

    @property
    def best_fit(self) -> float:
        return self.combined.best_fit

    @property
    def best_fit_interval(self) -> tuple[float, float]:
        """The combined Δχ² = 1 profile interval of the physical parameter."""
        return self.combined.best_fit_interval

    @property
    def nuisances(self) -> list[dict[str, Any]]:
        """Every parameter of the joint fit (see :attr:`SearchResult.nuisances`)."""
        return self.combined.nuisances

    @property
    def correlations(self) -> dict[str, Any]:
        return self.combined.correlations

    @property
    def gof(self) -> dict[str, Any]:
        """Goodness of fit of the joint fit, ``per_window`` one entry per detector."""
        return self.combined.gof

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """The joint fit's warnings (its pre-fit checks name each detector), then what each detector's own
        fit adds after the fit (prefixed ``"<detector> alone"``)."""
        alone = [
            d.prefixed(f"{name} alone")
            for name, r in self.detectors.items()
            for d in r.diagnostics
            if d not in r.checks
        ]
        return [*self.combined.diagnostics, *alone]

    @property
    def warnings(self) -> list[dict[str, str]]:
        return [d.as_dict() for d in self.diagnostics]

    @property
    def per_detector(self) -> dict[str, SearchResult]:
        """Each detector's own fit (the same as :attr:`detectors`)."""
        return self.detectors

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, in the shape of ``exonu fit --json`` with several detectors (less what only the run
        knows: data files, versions, run time): the combined result's keys at the top level (the names of
        :mod:`exonu.output.result_schema`), each detector's alone under ``per_detector`` (the same keys),
        and what the joint model shares. Each result's ``converged`` is its limit's own flag."""
        return {
            **self.combined.as_dict(),
            "joint": True,
            "warnings": self.warnings,
            "signal": self.joint.spec.model,
            "parameter": self.joint.spec.parameter,
            "unit": self.joint.spec.unit,
            "reference_value": self.joint.reference,
            "statistic": self.statistic,
            "statistics": dict(self.statistics),
            "cl": self.cl,
            "detectors": list(self.joint.detectors),
            "windows": dict(self.joint.windows),
            "shared_parameters": list(self.joint.shared),
            "per_detector": {d: r.as_dict() for d, r in self.detectors.items()},
            "provenance": {"detectors": dict(self.joint.provenance)},
        }


def statistics_per_detector(statistic: str | Mapping[str, str], names: list[str]) -> dict[str, str]:
    """Each detector's statistic: one name for all, or a mapping that names every detector once.

    Raises
    ------
    InputError
        For a mapping that leaves a detector out or names an unknown one, or an unknown statistic.
    """
    chosen = (
        {name: statistic for name in names}
        if isinstance(statistic, str)
        else _per_detector(statistic, names, "statistic")
    )
    if sorted(chosen) != sorted(names):  # a detector left out would silently get the others' statistic
        raise InputError(
            f"statistic per detector must name exactly the detectors {sorted(names)}; got {sorted(chosen)}"
        )
    bad = set(chosen.values()) - set(STATISTICS)
    if bad:
        raise InputError(f"statistic must be one of {STATISTICS}; got {sorted(bad)}")
    return chosen


def with_bin_statistics(joint: JointModel, chosen: Mapping[str, str]) -> tuple[BinnedModel, str]:
    """The joint model and the statistic to fit it with: that statistic if every detector uses the same,
    else ``"per-bin"`` with each detector's own statistic on its bins (pull terms counted once)."""
    if len(set(chosen.values())) == 1:
        return joint.model, next(iter(chosen.values()))
    per_bin = np.empty(joint.model.data.shape[0], dtype=object)
    for name, bins in joint.bins.items():
        per_bin[bins] = chosen[name]
    return replace(joint.model, bin_statistic=[str(x) for x in per_bin]), PER_BIN


def run_joint_search(
    setups: Sequence[DetectorSetup],
    spec: SearchSpec,
    datas: Mapping[str, Any] | None = None,
    *,
    method: str = "bayesian",
    statistic: str | Mapping[str, str] | None = None,
    n_toys: int = 200,
    seed: int = 0,
    cl: float = 0.9,
    interval: bool = False,
    spectrum: RecoilSpectrum | None = None,
    shared: Collection[str] | str = "physical",
    windows: Mapping[str, str] | None = None,
    neyman_toys: int = 500,
    fixed_aux_band: bool = True,
    progress: bool | None = False,
    mapper: Mapper = map,
) -> JointResult:
    """Fit one signal parameter to several detectors at once, and each detector alone.

    Parameters
    ----------
    setups : sequence of DetectorSetup
        Loaded detectors with distinct names.
    spec : SearchSpec
        The search (any signal model; the dark photon's non-linear α too).
    datas : mapping detector name → counts, optional
        Data replacing a detector's own (see :func:`build_joint_model`).
    method : {"bayesian", "plr", "neyman"}
        As in :func:`exonu.searches.run_search`.
    statistic : {"chi2", "poisson"}, mapping detector name → statistic, or None
        One statistic for every bin, or each detector's own (None, the default: the one each detector's
        config names, as the command line does): the joint fit then uses each detector's statistic on its
        bins (``"per-bin"``, :class:`exonu.stats.BinnedModel` ``bin_statistic``) and the pull terms once.
    n_toys, seed, cl, interval, neyman_toys, fixed_aux_band, progress, mapper
        As in :func:`search_result_from_model`.
    spectrum : RecoilSpectrum, optional
    shared : "physical", "all" or collection of str
        What is one parameter across detectors (module docstring).
    windows : mapping detector name → window name, optional

    Returns
    -------
    JointResult
    """
    setups = _check_setups(setups)
    if statistic is None:
        statistic = {s.name: s.statistic for s in setups}
    chosen = statistics_per_detector(statistic, [s.name for s in setups])
    joint = build_joint_model(setups, spec, datas, shared=shared, windows=windows, spectrum=spectrum)
    joint_model, statistic = with_bin_statistics(joint, chosen)
    options: dict[str, Any] = dict(
        method=method,
        n_toys=n_toys,
        seed=seed,
        cl=cl,
        interval=interval,
        neyman_toys=neyman_toys,
        fixed_aux_band=fixed_aux_band,
        progress=progress,
        mapper=mapper,
    )
    given = datas or {}
    checks = {s.name: [] if s.name in given else setup_diagnostics(s, joint.windows[s.name]) for s in setups}
    labels = {s.name: component_labels(s, joint.windows[s.name]) for s in setups}
    # the paper's published value belongs to one detector, not to the combination
    combined = search_result_from_model(
        joint_model,
        replace(joint.spec, published=None),
        joint.signal(),
        joint.window_label,
        statistic=statistic,
        checks=[c.prefixed(name) for name, found in checks.items() for c in found],
        bin_groups=dict(joint.bins),
        labels={f"{d}{SEPARATOR}{n}": text for d, own in labels.items() for n, text in own.items()},
        **options,
    )
    alone = {}
    for s in setups:
        own = replace(spec, window=joint.windows[s.name])
        if own.reference is None and own.model not in DEFAULT_REFERENCE:
            # the joint reference (_common_reference) is not this detector's own: alone, it uses its
            # own, exactly as run_search does, so the numbers side by side are the single-detector fit's
            model, templates = build_binned_model(s, own, joint.models[s.name].data, spectrum)
        else:
            model, templates = joint.models[s.name], joint.templates[s.name]
        alone[s.name] = search_result_from_model(
            model,
            own,
            templates,
            joint.windows[s.name],
            statistic=chosen[s.name],
            checks=checks[s.name],
            labels=labels[s.name],
            **options,
        )
    return JointResult(combined=combined, detectors=alone, joint=joint, statistic=statistic, cl=cl, statistics=chosen)
