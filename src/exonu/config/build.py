"""Config → objects: the one place where a validated :class:`DetectorCfg` becomes a :class:`DetectorSetup`.

:func:`load_detector` reads and validates the TOML file, checks every name against what it must name
(solar sources, signal models, components, response systematics, windows), reads the tables it points
to, builds the response, one typed background component per ``[[background.components]]`` entry, the
per-window background models and data sets, and returns the plain containers of :mod:`exonu.detector`.
Every error is a one-line :class:`ConfigError` naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tomllib
from collections.abc import Callable, Iterable, Sequence
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import numpy as np
from pydantic import ValidationError

from ..detector import (
    RESPONSE_SYSTEMATICS,
    BackgroundComponent,
    BackgroundModel,
    BetaComponent,
    Binning,
    ConstantEfficiency,
    Dataset,
    DetectorModel,
    DetectorSetup,
    DoubleBetaComponent,
    Efficiency,
    EmpiricalComponent,
    EnergyScale,
    LineComponent,
    LogisticEfficiency,
    ParametricResolution,
    PublishedValue,
    RegionCorrection,
    RegionSystematic,
    Resolution,
    SignalSystematics,
    SolarSMComponent,
    TableComponent,
    TableEfficiency,
    TableResolution,
    WindowSetup,
    overlap_fractions,
)
from ..errors import ConfigError, ExonuError, InputError
from ..flux import SOURCES as SOLAR_SOURCES
from .datasets import dataset_from_binned, dataset_from_events, read_dataset
from .schema import SCHEMA_VERSION, DataCfg, DetectorCfg, EmpiricalCfg, WindowCfg
from .tables import read_table, read_tabulated_spectrum

if TYPE_CHECKING:  # annotations only: the spectrum layer is imported lazily where it is used
    from ..spectrum import RecoilSpectrum

__all__ = ["MAX_BINS_PER_WINDOW", "list_detectors", "load_detector", "packaged_detector_dir", "validate_config"]

#: most analysis bins a window may have (robustness review R22: a tiny width_kev tried to allocate 216 GiB)
MAX_BINS_PER_WINDOW = 10_000

_P = ParamSpec("_P")
_T = TypeVar("_T")


# ------------------------------------------------------------------------------------------------
# finding and validating a config
# ------------------------------------------------------------------------------------------------
def packaged_detector_dir() -> Path:
    """Folder of the packaged detector configs (``exonu/data/detectors``)."""
    return Path(str(files("exonu").joinpath("data", "detectors")))


def _read_toml(path: Path) -> tuple[bytes, dict[str, Any]]:
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        return raw_bytes, tomllib.loads(raw_bytes.decode("utf-8-sig"))  # a byte-order mark is dropped
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: detector config is not UTF-8 text (byte 0x{raw_bytes[exc.start]:02x} at offset {exc.start})"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except RecursionError:  # tomllib recurses once per nesting level
        raise ConfigError(f"{path}: not valid TOML (nested too deeply)") from None


def list_detectors() -> list[tuple[str, str]]:
    """(name, one-line description) of every packaged detector config."""
    out = []
    for path in sorted(packaged_detector_dir().glob("*.toml")):
        _, raw = _read_toml(path)
        out.append((str(raw.get("name", path.stem)), str(raw.get("description", "")).strip().splitlines()[0]))
    return out


def _resolve(name_or_path: str | Path) -> Path:
    if not isinstance(name_or_path, (str, Path)):
        raise InputError(
            f"load_detector: give a packaged detector name or a TOML path; got {type(name_or_path).__name__}"
        )
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists():
        if p.is_dir():
            raise ConfigError(f"{p}: detector config is a directory, not a file")
        if not p.is_file():
            raise ConfigError(f"{p}: detector config file not found")
        return p
    key = str(name_or_path).lower().replace("-", "_")
    for path in packaged_detector_dir().glob("*.toml"):
        if path.stem.lower() == key:
            return path
    for path in packaged_detector_dir().glob("*.toml"):
        if str(_read_toml(path)[1].get("name", "")).lower() == str(name_or_path).lower():
            return path
    names = [n for n, _ in list_detectors()]
    raise ConfigError(f"unknown detector {name_or_path!r}: not a file and not a packaged detector (packaged: {names})")


def _short(value: object, n: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= n else text[:n] + "…"


def _format_validation_error(path: Path, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"])
        if err["type"] == "extra_forbidden":
            lines.append(f"unknown key '{loc}' (not part of the detector schema; check the spelling)")
        elif err["type"] == "missing":
            lines.append(f"key '{loc}' is required but missing")
        else:
            got = err.get("input")
            got = "" if isinstance(got, (dict, list)) else f" (got {_short(got)})"
            lines.append(f"key '{loc}': {err['msg']}{got}")
    return f"{path}: invalid detector config: " + "; ".join(lines)


def validate_config(raw: dict[str, Any], path: Path) -> DetectorCfg:
    """Validate a parsed TOML document against the schema and check every name it uses.

    Raises
    ------
    ConfigError
        One line naming ``path`` and the offending key.
    """
    version = raw.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise ConfigError(
            f"{path}: key 'schema_version': this exonu reads schema_version {SCHEMA_VERSION}; got {_short(version)}"
        )
    try:
        cfg = DetectorCfg.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(path, exc)) from None
    _check_names(cfg, path)
    return cfg


def _unknown(path: Path, key: str, what: str, names: Iterable[str], valid: Iterable[str]) -> None:
    bad = [n for n in names if n not in valid]
    if bad:
        raise ConfigError(f"{path}: key '{key}': unknown {what} {bad}; expected one of {sorted(valid)}")


def _check_names(cfg: DetectorCfg, path: Path) -> None:
    """Every name in the config must name something that exists (R3/R4 of the robustness review)."""
    _unknown(path, "data", "windows", cfg.data, cfg.windows)
    ssys = cfg.signal_systematics
    _unknown(path, "signal_systematics.response", "response systematics", ssys.response, RESPONSE_SYSTEMATICS)
    for source in ssys.solar_flux:
        _unknown(path, f"signal_systematics.solar_flux.{source}", "solar source", [source], SOLAR_SOURCES)
    names: list[str] = []
    for i, c in enumerate(cfg.background.components):
        key = f"background.components[{i}]"
        if c.name in names:
            raise ConfigError(f"{path}: key '{key}.name': component name {c.name!r} used twice")
        names.append(c.name)
        if c.kind == "solar_sm":
            for source in c.flux_relative_uncertainty:
                _unknown(path, f"{key}.flux_relative_uncertainty.{source}", "solar source", [source], SOLAR_SOURCES)
    for i, corr in enumerate(cfg.background.corrections):
        _unknown(path, f"background.corrections[{i}].applies_to", "components", corr.applies_to, names)
    for i, s in enumerate(cfg.background.shape_systematics):
        _unknown(path, f"background.shape_systematics[{i}].applies_to", "components", s.applies_to, names)
    fit_names = (
        list(ssys.response.values()) + [f"solar_flux_{s}" for s in ssys.solar_flux] + [r.name for r in ssys.regions]
    )
    twice = sorted({n for n in fit_names if fit_names.count(n) > 1})
    if twice:
        raise ConfigError(f"{path}: key 'signal_systematics': systematic names {twice} are used twice")
    sys_names = [s.name for s in cfg.background.shape_systematics] + [c.name for c in cfg.background.corrections]
    twice = sorted({n for n in sys_names if sys_names.count(n) > 1})
    if twice:
        raise ConfigError(f"{path}: key 'background': shape-systematic/correction names {twice} are used twice")
    for i, p in enumerate(cfg.published):
        if (p.search == "dark_photon") != (p.mass_mev is not None):
            raise ConfigError(
                f"{path}: key 'published[{i}].mass_mev': give a mass for search 'dark_photon' and only for it"
            )
        if p.lower is not None and p.lower >= p.value:
            raise ConfigError(f"{path}: key 'published[{i}].lower': the lower end must be below value")


# ------------------------------------------------------------------------------------------------
# building objects
# ------------------------------------------------------------------------------------------------
def _wrap(key: str, path: Path, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """Call a constructor and re-raise its ExonuError as ConfigError naming the file and key."""
    try:
        return fn(*args, **kwargs)
    except ExonuError as exc:
        msg = str(exc)
        raise ConfigError(msg if msg.startswith(str(path)) else f"{path}: key '{key}': {msg}") from None


def _extend_note(key: str, file: Path, e: np.ndarray, y: np.ndarray) -> str:
    return (
        f'{key}: {file.name} covers {e[0]:g}–{e[-1]:g} keV; held flat beyond it (extend = "flat": '
        f"{y[0]:g} below, {y[-1]:g} above)"
    )


def _build_detector(cfg: DetectorCfg, path: Path, extrapolations: list[str]) -> DetectorModel:
    base = path.parent
    r = cfg.response
    res = r.resolution
    resolution: Resolution
    if res.model == "table":
        key = "response.resolution.table"
        e, s = read_table(base / res.table, f"{path}: key '{key}'", [res.energy_column, res.sigma_kev_column])
        resolution = _wrap(
            "response.resolution", path, TableResolution, tuple(e), tuple(s), str(base / res.table), extend=res.extend
        )
        if res.extend == "flat":
            extrapolations.append(_extend_note(key, base / res.table, e, s))
    else:
        resolution = _wrap(
            "response.resolution", path, ParametricResolution, res.a_sqrt_kev, res.b, res.c_kev, res.model
        )
    eff = r.efficiency
    efficiency: Efficiency
    if eff.model == "table":
        key = "response.efficiency.table"
        cols = [eff.energy_column, eff.efficiency_column]
        upper_col, lower_col = eff.upper_uncertainty_column, eff.lower_uncertainty_column
        has_band = upper_col is not None and lower_col is not None
        if (upper_col is None) != (lower_col is None):
            raise ConfigError(
                f"{path}: key 'response.efficiency': give both upper_uncertainty_column and "
                "lower_uncertainty_column, or neither"
            )
        if upper_col is not None and lower_col is not None:
            cols += [upper_col, lower_col]
        arrs = read_table(base / eff.table, f"{path}: key '{key}'", cols)
        upper, lower = (tuple(arrs[2]), tuple(arrs[3])) if has_band else (None, None)
        efficiency = _wrap(
            key,
            path,
            TableEfficiency,
            tuple(arrs[0]),
            tuple(arrs[1]),
            upper,
            lower,
            source=str(base / eff.table),
            extend=eff.extend,
        )
        if eff.extend == "flat":
            extrapolations.append(_extend_note(key, base / eff.table, arrs[0], arrs[1]))
    elif eff.model == "logistic":
        efficiency = _wrap(
            "response.efficiency",
            path,
            LogisticEfficiency,
            eff.plateau,
            eff.e50_kev,
            eff.width_kev,
            eff.e50_uncertainty_kev,
        )
    else:
        efficiency = _wrap("response.efficiency", path, ConstantEfficiency, eff.value, eff.uncertainty)
    es = r.energy_scale

    def as_tuple(v: Sequence[float] | None) -> tuple[float, ...] | None:
        return None if v is None else tuple(v)

    scale = _wrap(
        "response.energy_scale",
        path,
        EnergyScale,
        as_tuple(es.nonlinearity_energy_kev),
        as_tuple(es.nonlinearity_ratio),
        as_tuple(es.uncertainty_energy_kev),
        as_tuple(es.uncertainty_up_fraction),
        as_tuple(es.uncertainty_down_fraction),
        source=f"{path}: response.energy_scale",
    )
    return _wrap(
        "response",
        path,
        DetectorModel,
        cfg.exposure.kg_day(),
        resolution,
        efficiency,
        scale,
        threshold_kev=r.threshold_kev,
        efficiency_on=r.efficiency_on,
        grid_step_kev=r.grid_step_kev,
        resolution_uncertainty=r.resolution_uncertainty_fraction,
        description=cfg.description,
    )


def _build_components(
    cfg: DetectorCfg, path: Path, exposure_kg_day: float, extrapolations: list[str]
) -> list[BackgroundComponent]:
    """One typed component per config entry (tables read, units converted; anchored amplitudes = 1)."""
    out: list[BackgroundComponent] = []
    for i, c in enumerate(cfg.background.components):
        key = f"background.components[{i}]"
        comp: BackgroundComponent
        common: dict[str, Any] = dict(
            name=c.name,
            activity_sigma=float(c.activity_sigma),
            label=c.label or c.name,
            free_in_searches=tuple(c.free_in_searches),
            group=c.group,
            description=c.description,
        )
        if c.kind == "beta":
            comp = _wrap(
                key,
                path,
                BetaComponent,
                q_kev=c.q_kev,
                daughter_z=c.daughter_z,
                mass_number=c.mass_number,
                decays_per_kg_day=c.decays_per_kg_day,
                forbiddenness=c.forbiddenness,
                branching=c.branching,
                shift_kev=c.shift_kev,
                **common,
            )
        elif c.kind == "double_beta":
            comp = _wrap(key, path, DoubleBetaComponent, q_kev=c.q_kev, decays_per_kg_day=c.decays_per_kg_day, **common)
        elif c.kind == "line":
            comp = _wrap(
                key,
                path,
                LineComponent,
                energy_kev=c.energy_kev,
                decays_per_kg_day=c.decays_per_kg_day,
                branching=c.branching,
                **common,
            )
        elif c.kind == "empirical":
            # an anchored amplitude starts at 1 and is fixed by the anchor (see _anchored_components)
            # (the schema requires exactly one of rate_per_kg_day_kev and anchor_share)
            amplitude = c.rate_per_kg_day_kev if c.rate_per_kg_day_kev is not None else 1.0
            comp = _wrap(
                key,
                path,
                EmpiricalComponent,
                decay_kev=c.decay_kev,
                rate_per_kg_day_kev=amplitude,
                pivot_kev=c.pivot_kev,
                flat_rate_per_kg_day_kev=c.flat_rate_per_kg_day_kev,
                multiply_by_efficiency=c.multiply_by_efficiency,
                **common,
            )
        elif c.kind == "table":
            file = path.parent / c.table
            table = read_tabulated_spectrum(
                file,
                f"{path}: key '{key}.table'",
                c.shape,
                c.energy_column,
                c.rate_column,
                c.rate_unit,
                exposure_kg_day,
                c.high_edge_column,
                c.bin_width_kev,
                c.extend,
            )
            if c.extend == "flat":
                extrapolations.append(
                    f"{key}.table: {file.name} covers {table.low_kev:g}–{table.high_kev:g} keV; "
                    'held flat beyond it (extend = "flat")'
                )
            comp = _wrap(
                key,
                path,
                TableComponent,
                spectrum_table=table,
                efficiency_applied=(c.efficiency == "after_efficiency"),
                contains_solar_sm=c.includes_solar_sm,
                **common,
            )
        else:
            comp = _wrap(
                key, path, SolarSMComponent, flux_relative_uncertainty=dict(c.flux_relative_uncertainty), **common
            )
        out.append(comp)
    return out


def _corrections(cfg: DetectorCfg, path: Path) -> list[RegionCorrection]:
    return [
        _wrap(
            f"background.corrections[{i}]",
            path,
            RegionCorrection,
            c.name,
            tuple(c.region_edges_kev),
            tuple(c.factors),
            tuple(c.uncertainties),
            tuple(c.applies_to),
            c.description,
        )
        for i, c in enumerate(cfg.background.corrections)
    ]


def _corrected(
    templates: np.ndarray, edges_kev: np.ndarray, names: list[str], corrections: list[RegionCorrection]
) -> np.ndarray:
    out = templates.copy()
    for corr in corrections:
        mult = corr.multiplier(edges_kev)
        for n in corr.applies_to:
            out[names.index(n)] *= mult
    return out


def _anchored_components(
    cfg: DetectorCfg,
    path: Path,
    detector: DetectorModel,
    components: list[BackgroundComponent],
    corrections: list[RegionCorrection],
    spectrum: RecoilSpectrum | None = None,
) -> tuple[list[BackgroundComponent], dict[str, dict[str, float]]]:
    """Compute the anchored amplitudes, then construct the final components with them (no mutation)."""
    # only empirical components have an anchor_share
    share_of = {
        i: c.anchor_share
        for i, c in enumerate(cfg.background.components)
        if isinstance(c, EmpiricalCfg) and c.anchor_share is not None
    }
    anchored = list(share_of)
    if not anchored:
        return components, {}
    anchor = cfg.background.anchor
    if anchor is None:
        raise ConfigError(f"{path}: key 'background.anchor' is required when a component has anchor_share")
    shares = sum(share_of.values())
    if abs(shares - 1.0) > 1e-6:
        raise ConfigError(f"{path}: key 'background.components[].anchor_share': shares must add up to 1; got {shares}")
    names = [c.name for c in components]
    ab = Binning([anchor.energy_kev - anchor.half_width_kev, anchor.energy_kev + anchor.half_width_kev])
    a_resp = _wrap("background.anchor", path, detector.response, ab)
    raw = np.array(
        [
            _wrap(f"background.components[{j}]", path, c.expected_counts, a_resp, spectrum)
            for j, c in enumerate(components)
        ]
    )
    a_counts = _corrected(raw, ab.edges_kev, names, corrections)[:, 0] / (a_resp.exposure_kg_day * ab.widths_kev[0])
    fixed = sum(a_counts[j] for j in range(len(components)) if j not in anchored)
    remainder = anchor.rate_per_kg_day_kev - fixed
    if remainder <= 0:
        raise ConfigError(
            f"{path}: key 'background.anchor.rate_per_kg_day_kev': the other components already give "
            f"{fixed:.3g} /(kg·day·keV) at {anchor.energy_kev} keV, more than the anchor "
            f"{anchor.rate_per_kg_day_kev:.3g}"
        )
    out = list(components)
    amplitudes: dict[str, float] = {}
    for i in anchored:
        if not a_counts[i] > 0:
            raise ConfigError(
                f"{path}: key 'background.components[{i}]': the anchored component gives no events "
                f"at the anchor energy {anchor.energy_kev} keV"
            )
        amp = float(share_of[i] * remainder / a_counts[i])
        anchored_component = components[i]
        assert isinstance(anchored_component, EmpiricalComponent)  # built from the EmpiricalCfg at index i
        out[i] = dataclasses.replace(anchored_component, rate_per_kg_day_kev=amp)
        amplitudes[names[i]] = amp
    return out, {"anchored_amplitude_per_kg_day_kev_at_pivot": amplitudes}


@dataclasses.dataclass(frozen=True)
class BackgroundBuilder:
    """What a detector's background model is built from; :meth:`model` builds it for any binning.

    Attributes
    ----------
    cfg : DetectorCfg
        The validated config (shape systematics, description, ``includes_solar_sm``).
    path : Path
        The config file, named in errors.
    detector : DetectorModel
    components : list of BackgroundComponent
        The final components (anchored amplitudes already set).
    corrections : list of RegionCorrection
    notes : dict
        Derived numbers recorded with every model (the anchored amplitudes).
    spectrum : RecoilSpectrum or None
        Spectrum of the SM solar-ν component (None: the paper's default).
    """

    cfg: DetectorCfg
    path: Path
    detector: DetectorModel
    components: list[BackgroundComponent]
    corrections: list[RegionCorrection]
    notes: dict[str, dict[str, float]]
    spectrum: RecoilSpectrum | None = None

    def model(self, binning: Binning, where: str = "background") -> BackgroundModel:
        """Templates, shape systematics and activity σ's of every component in ``binning`` (``where``:
        the config key of the window, named in errors)."""
        cfg, path, components, spectrum = self.cfg, self.path, self.components, self.spectrum
        names = [c.name for c in components]
        response = _wrap(where, path, self.detector.response, binning)
        raw = np.array(
            [_wrap(f"{where} (component {c.name})", path, c.expected_counts, response, spectrum) for c in components]
        )
        edges = binning.edges_kev
        templates = _corrected(raw, edges, names, self.corrections)
        sys_names, shape_sys = self.shape_systematics(binning, templates)
        # activity σ's (the SM solar-ν σ follows from the flux shares in this window)
        sigma = [
            c.flux_weighted_sigma(response, spectrum) if isinstance(c, SolarSMComponent) else c.activity_sigma
            for c in components
        ]
        includes_sm = cfg.background.includes_solar_sm or any(c.includes_solar_sm for c in components)
        return _wrap(
            where,
            path,
            BackgroundModel,
            binning=binning,
            names=tuple(names),
            labels=tuple(c.label for c in components),
            groups=tuple(c.group for c in components),
            templates=templates,
            sigma_nominal=np.array(sigma),
            free_in_searches=tuple(c.free_in_searches for c in components),
            shape_sys=shape_sys,
            sys_names=tuple(sys_names),
            includes_solar_sm=includes_sm,
            description=cfg.description,
            notes=dict(self.notes),
        )

    def shape_systematics(self, binning: Binning, templates: np.ndarray) -> tuple[list[str], np.ndarray]:
        """Shape systematics in ``binning``: one per region of each data-driven correction, then the
        configured ones; absolute count shifts per +1σ, shape (n_sys, n_comp, n_bins)."""
        names = [c.name for c in self.components]
        edges = binning.edges_kev
        sys_rows, sys_names = [], []
        for corr in self.corrections:
            frac = overlap_fractions(edges, corr.region_edges_kev)
            for r, label in enumerate(corr.region_labels()):
                if not np.any(frac[r] > 0):
                    continue
                row = np.zeros_like(templates)
                for n in corr.applies_to:
                    j = names.index(n)
                    # the uncertainty is a fraction of the *uncorrected* MC, like the correction itself
                    row[j] = corr.uncertainties[r] * frac[r] * templates[j] / (1.0 + corr.factors[r] * frac[r])
                sys_rows.append(row)
                sys_names.append(label)
        centres = binning.centres_kev
        for s in self.cfg.background.shape_systematics:
            if s.form == "log_slope":
                delta = s.fraction * np.log10(centres / s.pivot_kev)
            else:
                high = s.high_kev if np.isfinite(s.high_kev) else max(s.low_kev, edges[-1]) + 1.0
                delta = (
                    s.fraction * overlap_fractions(edges, [s.low_kev, high])[0]
                    if high > s.low_kev
                    else np.zeros_like(centres)
                )
            if not np.any(delta != 0):
                continue
            row = np.zeros_like(templates)
            for n in s.applies_to:
                row[names.index(n)] = delta * templates[names.index(n)]
            sys_rows.append(row)
            sys_names.append(s.name)
        shape_sys = np.array(sys_rows) if sys_rows else np.zeros((0, *templates.shape))
        return sys_names, shape_sys


def _window_binning(name: str, w: WindowCfg, path: Path) -> Binning:
    if w.edges_kev is not None:
        return Binning(w.edges_kev, key=f"{path}: key 'windows.{name}.edges_kev'", error=ConfigError)
    # WindowCfg guarantees all three are given when edges_kev is not
    assert w.low_kev is not None and w.high_kev is not None and w.width_kev is not None
    n_bins = (w.high_kev - w.low_kev) / w.width_kev
    if n_bins > MAX_BINS_PER_WINDOW:
        raise ConfigError(
            f"{path}: key 'windows.{name}.width_kev': {n_bins:.3g} bins; at most "
            f"{MAX_BINS_PER_WINDOW} per window (the response matrix grows with them)"
        )
    return Binning.from_range(
        w.low_kev, w.high_kev, w.width_kev, key=f"{path}: key 'windows.{name}'", error=ConfigError
    )


def _load_data(name: str, d: DataCfg, path: Path, binning: Binning, exposure_kg_day: float) -> Dataset:
    def key(sub: str) -> str:
        return f"{path}: key 'data.{name}.{sub}'"

    file = path.parent / d.file
    if d.format == "exonu":
        return read_dataset(file, binning)
    if d.format in ("events", "unbinned"):
        (energies,) = read_table(file, key("file"), [d.energy_column])
        return dataset_from_events(energies, binning, str(file))
    if d.format == "binned_rate" and d.rate_unit is None:
        raise ConfigError(f"{key('rate_unit')}: required for format 'binned_rate'")
    if d.format == "binned_counts" and d.rate_unit is not None:
        raise ConfigError(f"{key('rate_unit')}: binned_counts are event counts; use format 'binned_rate' for rates")
    cols = [d.energy_column, d.value_column] + ([d.uncertainty_column] if d.uncertainty_column is not None else [])
    arrs = read_table(file, key("file"), cols)
    ds = dataset_from_binned(
        arrs[0],
        arrs[1],
        binning,
        key("file"),
        str(file),
        rate_unit=d.rate_unit if d.format == "binned_rate" else None,
        exposure_kg_day=exposure_kg_day,
        allow_non_integer_counts=d.allow_non_integer_counts,
    )
    if d.uncertainty_column is not None and d.format == "binned_rate":
        ds.metadata["rate_uncertainty"] = arrs[2].tolist()
    return ds


def _signal_systematics(cfg: DetectorCfg, path: Path) -> SignalSystematics:
    ssys = cfg.signal_systematics
    regions = tuple(
        _wrap(
            f"signal_systematics.regions[{i}]",
            path,
            RegionSystematic,
            r.name,
            tuple(r.region_edges_kev),
            tuple(r.fractions),
            r.description,
        )
        for i, r in enumerate(ssys.regions)
    )
    return _wrap("signal_systematics", path, SignalSystematics, dict(ssys.response), dict(ssys.solar_flux), regions)


def load_detector(name_or_path: str | Path, spectrum: RecoilSpectrum | None = None) -> DetectorSetup:
    """Load, validate and build a detector: a packaged name (``"xmass-i"``, ``"xenon1t-sr1"``,
    ``"xenonnt-sr0"``) or a TOML path.

    Parameters
    ----------
    name_or_path : str or Path
    spectrum : exonu.spectrum.RecoilSpectrum, optional
        The recoil spectrum (solar model, flavour content, binding energies) of the SM solar-ν
        background component; give the one the signal uses so both share it. Default: the paper's
        ``RecoilSpectrum()``.

    Raises
    ------
    ConfigError
        On any problem with the file or the tables it points to; the message names the file and key.

    Examples
    --------
    >>> setup = load_detector("xmass-i")
    >>> setup.window("full").binning
    Binning(99 bins, 2–200 keV)
    >>> round(setup.detector.exposure_kg_day)   # 97 kg × 711 live days (arXiv:2005.11891 §3.2)
    68967
    """
    path = _resolve(name_or_path)
    raw_bytes, raw = _read_toml(path)
    cfg = validate_config(raw, path)
    extrapolations: list[str] = []
    detector = _build_detector(cfg, path, extrapolations)
    signal_sys = _signal_systematics(cfg, path)
    corrections = _corrections(cfg, path)
    components = _build_components(cfg, path, detector.exposure_kg_day, extrapolations)
    components, notes = _anchored_components(cfg, path, detector, components, corrections, spectrum)

    background_for = BackgroundBuilder(cfg, path, detector, components, corrections, notes, spectrum).model

    windows, load_notes = {}, []
    for wname, wcfg in cfg.windows.items():
        binning = _window_binning(wname, wcfg, path)
        if cfg.response.threshold_kev >= binning.high_kev:
            raise ConfigError(
                f"{path}: key 'response.threshold_kev' = {cfg.response.threshold_kev:g} keV is not below "
                f"the upper edge of window '{wname}' ({binning.high_kev:g} keV): no signal could be seen"
            )
        background = background_for(binning, f"windows.{wname}")
        data = (
            _load_data(wname, cfg.data[wname], path, binning, detector.exposure_kg_day) if wname in cfg.data else None
        )
        if data is not None and "note" in data.metadata:
            load_notes.append(f"data.{wname}: {data.metadata['note']}")
        windows[wname] = WindowSetup(
            wname,
            binning,
            _wrap("response", path, detector.response, binning),
            background,
            data,
            signal_sys,
            wcfg.description,
        )
    published = tuple(
        PublishedValue(
            search=p.search,
            value=p.value,
            unit=p.unit,
            cl=p.cl,
            method=p.method,
            source=p.source,
            mass_mev=p.mass_mev,
            lower=p.lower,
        )
        for p in cfg.published
    )
    return DetectorSetup(
        name=cfg.name,
        description=cfg.description,
        is_reconstruction=cfg.is_reconstruction,
        detector=detector,
        windows=windows,
        background_includes_solar_sm=windows[next(iter(windows))].background.includes_solar_sm,
        config_path=path,
        config_hash=hashlib.sha256(raw_bytes).hexdigest(),
        config=cfg,
        references=tuple(cfg.references),
        published=published,
        statistic=cfg.statistic,
        extrapolations=tuple(extrapolations),
        notes=tuple(load_notes),
        background_builder=background_for,
        schema_version=cfg.schema_version,
    )
