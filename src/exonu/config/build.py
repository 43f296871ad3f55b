"""Config → objects: the one place where a validated :class:`DetectorCfg` becomes a :class:`DetectorSetup`.

:func:`load_detector` reads and validates the TOML file, checks every name against what it must name
(solar sources, signal models, components, response systematics, windows), reads the tables it points
to, builds the response, one typed background component per ``[[background.components]]`` entry, the
per-window background models and data sets, and returns the plain containers of :mod:`exonu.detector`.
Every error is a one-line :class:`ConfigError` naming the file and the key.

The stages, in order: :mod:`.validate` (find, read, validate, check names), :mod:`.detector_parts`
(response model, background components, region corrections), :mod:`.backgrounds` (anchored amplitudes
and the per-binning background model), then this module (windows, data sets, the setup).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import AtomicSettings
from ..detector import (
    Binning,
    Dataset,
    DetectorSetup,
    PublishedValue,
    RegionSystematic,
    SignalSystematics,
    WindowSetup,
)
from ..errors import ConfigError
from ..xsec import MODELS
from .backgrounds import BackgroundBuilder, anchored_components
from .datasets import dataset_from_binned, dataset_from_events, read_dataset
from .detector_parts import build_components, build_corrections, build_detector_model, with_config_key
from .schema import DataCfg, DetectorCfg, WindowCfg
from .tables import read_table
from .validate import list_detectors, packaged_detector_dir, read_config_toml, resolve_config, validate_config

if TYPE_CHECKING:  # annotations only: the spectrum layer is imported lazily where it is used
    from ..spectrum import RecoilSpectrum


__all__ = ["MAX_BINS_PER_WINDOW", "list_detectors", "load_detector", "packaged_detector_dir", "validate_config"]

#: most analysis bins a window may have (robustness review R22: a tiny width_kev tried to allocate 216 GiB)
MAX_BINS_PER_WINDOW = 10_000


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
        with_config_key(
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
    return with_config_key(
        "signal_systematics", path, SignalSystematics, dict(ssys.response), dict(ssys.solar_flux), regions
    )


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
    path = resolve_config(name_or_path)
    raw_bytes, raw = read_config_toml(path)
    cfg = validate_config(raw, path)
    extrapolations: list[str] = []
    detector = build_detector_model(cfg, path, extrapolations)
    signal_sys = _signal_systematics(cfg, path)
    corrections = build_corrections(cfg, path)
    components = build_components(cfg, path, detector.exposure_kg_day, extrapolations)
    components, notes = anchored_components(cfg, path, detector, components, corrections, spectrum)

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
            with_config_key("response", path, detector.response, binning),
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
        atomic=with_config_key(
            "atomic",
            path,
            AtomicSettings.from_config,
            cfg.atomic.models,
            {signal: path.parent / file for signal, file in cfg.atomic.ratio_tables.items()},
            cfg.atomic.uncertainty,
            cfg.atomic.uncertainty_scale,
            sorted(MODELS),
        ),
    )
