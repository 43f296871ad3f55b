"""Signal templates folded through a detector window, and the unitless fit model of Eqs. (4)–(7).

Each term of a signal (:class:`exonu.searches.spec.SignalParametrisation`) is evaluated once: its
rate on the response grid at a probe value of the parameter, folded, then scaled analytically to the
reference value (term m scales as (x_ref/x_probe)^{p_m}). The reference is chosen so that the
highest-power term gives ~100 counts in the window, which keeps α of order one at the limit for any
mediator mass. The signal systematics are derived from the sum of the terms at the reference.

The atomic treatment (docs/physics.md §18) is named per search: the spec's model, else the detector
config's, else the paper's (:func:`atomic_model_for`). Its uncertainty enters as one more signal shape
systematic, the nuisance ``atomic`` (r_atomic, unit-normal pull), whose size per bin is the documented
fractional table folded with the signal spectrum (:func:`atomic_uncertainty_row`).

Reference: XMASS Collaboration, PLB 809 (2020) 135741, arXiv:2005.11891, §4.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..atomic import (
    ATOMIC_NUISANCE,
    AtomicModel,
    as_atomic_model,
    atomic_uncertainty_fraction,
    atomic_uncertainty_type,
)
from ..cache import cached_arrays
from ..detector import DetectorSetup, WindowSetup
from ..errors import InputError, check_float_array
from ..spectrum import RecoilSpectrum, default_spectrum
from ..stats import BinnedModel
from ..xsec.millicharge import DEFAULT_EPA_NEUTRINO_MASS_EV
from .spec import PREFERRED_WINDOWS, SearchSpec

#: Counts of the highest-power term at α = 1 when the reference is chosen automatically
REFERENCE_COUNTS = 100.0
#: How the nuisance ``atomic`` scales the signal (``BinnedModel.signal_sys_response``)
ATOMIC_RESPONSE = "lognormal"


def check_setup(setup: object) -> None:
    """Raise :class:`InputError` unless ``setup`` is a loaded detector (a name is the usual mistake)."""
    if not isinstance(setup, DetectorSetup):
        raise InputError(
            f"setup must be a loaded detector (exonu.config.load_detector), not the {type(setup).__name__} {setup!r}"[
                :200
            ]
        )


def check_search_inputs(setup: object, spec: object, spectrum: object = None) -> None:
    """Refuse, with an :class:`InputError` saying what to pass, arguments of the wrong kind.

    Parameters
    ----------
    setup : DetectorSetup
        A loaded detector (``exonu.config.load_detector(name)``), not its name.
    spec : SearchSpec
        The search (``exonu.searches.search_spec(signal, ...)``), not a signal name.
    spectrum : RecoilSpectrum, optional
    """
    check_setup(setup)
    if not isinstance(spec, SearchSpec):
        raise InputError(f"spec must be a SearchSpec (exonu.searches.search_spec(signal, ...)); got {spec!r}")
    if spectrum is not None and not isinstance(spectrum, RecoilSpectrum):
        raise InputError(f"spectrum must be a RecoilSpectrum or None; got {type(spectrum).__name__}")


def choose_window(setup: DetectorSetup, spec: SearchSpec) -> str:
    """The spec's window, the paper's window for the model if the detector has it, or the only one."""
    check_search_inputs(setup, spec)
    if spec.window is not None:
        setup.window(spec.window)  # raises a clear error if absent
        return spec.window
    preferred = PREFERRED_WINDOWS[spec.model]
    if preferred in setup.windows:
        return preferred
    if len(setup.windows) == 1:
        return next(iter(setup.windows))
    raise InputError(f"detector {setup.name!r} has windows {sorted(setup.windows)}; say which with --window")


@dataclass
class SignalTemplates:
    """Folded signal terms at the reference value: counts per bin and the α-power of each term."""

    templates: np.ndarray  # (n_terms, n_bins)
    powers: np.ndarray
    reference: float
    systematic_names: tuple[str, ...]
    systematics: np.ndarray  # fractional (n_sys, n_bins)
    atomic: dict[str, Any] = field(default_factory=dict)  # the atomic model and nuisance, for provenance


def atomic_model_for(setup: DetectorSetup, spec: SearchSpec) -> AtomicModel:
    """The search's atomic model: the spec's, else the detector config's, else the paper's; EPA mass stated.

    The spec's interactions use the millicharge's default EPA neutrino mass, so that is what is stated
    when the model leaves it to the interaction.
    """
    model = as_atomic_model(spec.atomic_model) if spec.atomic_model is not None else setup.atomic.model_for(spec.model)
    assert model is not None  # SearchSpec refuses "free"
    return model.with_neutrino_mass(DEFAULT_EPA_NEUTRINO_MASS_EV)


def atomic_uncertainty_on(setup: DetectorSetup, spec: SearchSpec) -> bool:
    """Whether the fit carries the nuisance ``atomic``: the spec's switch, else the detector config's."""
    return (spec.atomic_uncertainty or setup.atomic.uncertainty) == "default"


def atomic_uncertainty_row(window: WindowSetup, model: str, rate_on_grid: np.ndarray, scale: float) -> np.ndarray:
    """Fractional shift per bin for +1σ of r_atomic: fold(σ(T) |S(T)|) / fold(|S(T)|), σ from the documented table.

    ``rate_on_grid`` is the signal at the reference on ``window.response.grid_kev``; one nuisance moves
    every bin together, by the energy-dependent size of docs/physics.md §18.2. The bin's σ is averaged
    with the weight |S|: for a signal of one sign this is fold(σS)/fold(S); for an interference excess that
    changes sign inside a bin (NSI, light mediators), fold(S) can be near zero and fold(σS)/fold(S)
    would be any number, while the |S|-weighted mean stays within the table's values (σ varies slowly
    across a bin, so the shift fold(S)·ε is the same to first order).
    """
    sigma = atomic_uncertainty_fraction(model, window.response.grid_kev, scale)
    magnitude = np.abs(rate_on_grid)
    shifted = window.response.fold(sigma * magnitude)
    total = window.response.fold(magnitude)
    return np.divide(shifted, total, out=np.zeros_like(total), where=total != 0)


def window_signal_systematics(
    window: WindowSetup,
    model: str,
    rate_on_grid: np.ndarray,
    rate_by_source: dict[str, np.ndarray] | None,
    atomic_scale: float | None,
) -> tuple[tuple[str, ...], np.ndarray, list[str]]:
    """The signal's fractional shape systematics per bin, (names, (n_sys, n_bins), names replaced).

    The window's own (:meth:`WindowSetup.signal_systematics` of the signal ``rate_on_grid``, per solar
    source in ``rate_by_source``), and with ``atomic_scale`` (the detector's atomic uncertainty scale;
    None: the nuisance is off) the nuisance ``atomic`` of :func:`atomic_uncertainty_row` for signal
    ``model``, which replaces a detector's own flat atomic systematic (XMASS-I's "atomic_model").
    """
    detector_names, detector_rows = window.signal_systematics(rate_on_grid=rate_on_grid, rate_by_source=rate_by_source)
    names = list(detector_names)
    rows = list(np.asarray(detector_rows).reshape(-1, window.binning.n_bins))
    replaced: list[str] = []
    if atomic_scale is not None:
        replaced = [n for n in names if n == "atomic_model"]
        rows = [row for n, row in zip(names, rows, strict=True) if n != "atomic_model"]
        names = [n for n in names if n != "atomic_model"]
        names.append(ATOMIC_NUISANCE)
        rows.append(atomic_uncertainty_row(window, model, rate_on_grid, atomic_scale))
    return tuple(names), np.asarray(rows).reshape(-1, window.binning.n_bins), replaced


@dataclass(frozen=True)
class TermRates:
    """Rates of each signal term at one parameter value on a window's response grid (events/(kg·day·keV))."""

    total: np.ndarray  # (n_terms, n_grid), all solar sources
    by_source: dict[str, np.ndarray]  # source → (n_terms, n_grid), for the solar-flux systematics


def term_rates(
    window: WindowSetup, spec: SearchSpec, value: float, atomic_model: AtomicModel | str, spectrum: RecoilSpectrum
) -> TermRates:
    """Evaluate every term of ``spec`` at parameter ``value`` once, in total and per systematic solar source."""
    grid = window.response.grid_kev
    interactions = [spec.interaction(value, part) for part in spec.parametrisation.parts]
    sources = [s for s in window.signal_sys.solar_flux if s in spectrum.flux.sources]
    # one cross-section evaluation per term gives the total and each systematic source's rate alone
    per_term = [
        spectrum.rates_by_source(grid, i, sources, atomic_model=atomic_model, per="kg-day") for i in interactions
    ]
    by_source = {s: np.array([alone[s] for _, alone in per_term]) for s in sources}
    return TermRates(np.array([total for total, _ in per_term]), by_source)


def cached_term_rates(
    window: WindowSetup,
    spec: SearchSpec,
    value: float,
    atomic_model: AtomicModel | str,
    spectrum: RecoilSpectrum | None,
) -> TermRates:
    """:func:`term_rates` through the on-disk cache (:mod:`exonu.cache`), keyed by all its arguments;
    ``spectrum`` None is the default ``RecoilSpectrum()`` (the process's
    :func:`~exonu.spectrum.default_spectrum`), used only on a cache miss."""
    # the key holds every argument term_rates receives (an argument added there must be added here)
    args = {"window": window, "spec": spec, "value": value, "atomic_model": atomic_model, "spectrum": spectrum}

    def compute() -> dict[str, np.ndarray]:
        rates = term_rates(window, spec, value, atomic_model, spectrum or default_spectrum())
        return {"total": rates.total, **{f"source {s}": r for s, r in rates.by_source.items()}}

    arrays = cached_arrays("signal-term-rates", args, compute)
    by_source = {name.removeprefix("source "): r for name, r in arrays.items() if name.startswith("source ")}
    return TermRates(arrays["total"], by_source)


def signal_templates(setup: DetectorSetup, spec: SearchSpec, spectrum: RecoilSpectrum | None = None) -> SignalTemplates:
    """Fold the signal of ``spec`` through the detector window (templates at α = 1)."""
    check_search_inputs(setup, spec, spectrum)
    w = setup.window(choose_window(setup, spec))
    atomic_model = atomic_model_for(setup, spec)
    par = spec.parametrisation
    powers = np.asarray(par.coupling_powers, dtype=float)
    if par.probe is None:
        probe = spec.reference or par.default_reference
        # every parametrisation without a probe has a fixed default reference (spec.PARAMETRISATIONS)
        assert probe is not None
    else:
        probe = spec.sign * par.probe
    rates = cached_term_rates(w, spec, probe, atomic_model, spectrum)
    folded = np.array([w.response.fold(r) for r in rates.total])
    if spec.reference is not None or par.probe is None:
        reference = spec.reference or probe
    else:
        leading = float(folded[int(np.argmax(powers))].sum())
        if not leading > 0:
            raise InputError(f"signal {spec.key!r} gives no counts in window {w.name!r}")
        reference = probe * (REFERENCE_COUNTS / leading) ** (1.0 / par.alpha_power)
    scale = (reference / probe) ** powers  # positive: reference and probe share the sign of the search
    templates = folded * scale[:, None]
    signal_on_grid = scale @ rates.total
    atomic_scale = setup.atomic.uncertainty_scale if atomic_uncertainty_on(setup, spec) else None
    names, systematics, replaced = window_signal_systematics(
        w, spec.model, signal_on_grid, {s: scale @ r for s, r in rates.by_source.items()} or None, atomic_scale
    )
    atomic: dict[str, Any] = {"model": atomic_model.describe()}
    if atomic_scale is not None:
        row = systematics[names.index(ATOMIC_NUISANCE)]
        atomic["uncertainty"] = {
            "nuisance": ATOMIC_NUISANCE,
            "parameter": f"r_{ATOMIC_NUISANCE}",
            "prior": "unit normal (pull (aux − r)², aux = 0): a signal shape systematic",
            "interaction_type": atomic_uncertainty_type(spec.model),
            "table": "docs/physics.md §18.2",
            "scale": setup.atomic.uncertainty_scale,
            "fraction_per_bin_range": [float(row.min()), float(row.max())] if row.size else None,
            "replaces": replaced,
        }
    else:
        atomic["uncertainty"] = "off (the detector's own signal systematics only)"
    return SignalTemplates(templates, par.signal_powers, reference, names, systematics, atomic)


def build_binned_model(
    setup: DetectorSetup,
    spec: SearchSpec,
    data: ArrayLike | None = None,
    spectrum: RecoilSpectrum | None = None,
    templates: SignalTemplates | None = None,
) -> tuple[BinnedModel, SignalTemplates]:
    """The unitless fit model of Eqs. (4)–(7) for one search.

    ``data`` (counts per bin of the window) defaults to the detector's data, or to the background-only
    Asimov data set when it has none (the XMASS-I reconstruction).
    """
    check_search_inputs(setup, spec, spectrum)
    if templates is not None and not isinstance(templates, SignalTemplates):
        raise InputError(
            f"templates must be SignalTemplates (from signal_templates) or None; got {type(templates).__name__}"
        )
    window = choose_window(setup, spec)
    w = setup.window(window)
    templates = templates or signal_templates(setup, spec, spectrum)
    bkg = w.background
    if data is None:
        data = w.data_counts if w.data_counts is not None else bkg.templates.sum(axis=0)
    data = check_float_array(data, f"data for window {window!r}", lower=0.0, allow_empty=True)
    if data.shape != (w.binning.n_bins,):
        raise InputError(f"data for window {window!r} must have {w.binning.n_bins} bins; got {data.shape}")
    model = BinnedModel(
        data=data,
        background_templates=bkg.templates,
        activity_sigma=bkg.activity_sigma(spec.model),
        background_names=list(bkg.names),
        background_shape_sys=bkg.shape_sys,
        background_sys_names=list(bkg.sys_names),
        signal_templates=templates.templates,
        signal_powers=templates.powers,
        signal_shape_sys=templates.systematics,
        signal_sys_names=list(templates.systematic_names),
        # the atomic nuisance scales the signal by (1 + ε)^r: ε reaches 0.24 in the lowest bins, where a
        # linear 1 + r ε lets a −4σ pull remove the signal (docs/physics.md §18.4)
        signal_sys_response=[ATOMIC_RESPONSE if n == ATOMIC_NUISANCE else "linear" for n in templates.systematic_names],
        poi_name=spec.parametrisation.poi_label(templates.reference),
    )
    return model, templates
