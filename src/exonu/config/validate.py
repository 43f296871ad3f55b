"""Finding a detector config and validating it: packaged names, TOML reading, the schema, and every name
the config uses checked against what it must name (solar sources, components, windows, systematics).

Every error is a one-line :class:`ConfigError` naming the file and the key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..detector import (
    RESPONSE_SYSTEMATICS,
)
from ..errors import ConfigError, InputError
from ..flux import SOURCES as SOLAR_SOURCES
from .schema import SCHEMA_VERSION, DetectorCfg

__all__ = ["list_detectors", "packaged_detector_dir", "read_config_toml", "resolve_config", "validate_config"]


# ------------------------------------------------------------------------------------------------
# finding and validating a config
# ------------------------------------------------------------------------------------------------
def packaged_detector_dir() -> Path:
    """Folder of the packaged detector configs (``exonu/data/detectors``)."""
    return Path(str(files("exonu").joinpath("data", "detectors")))


def read_config_toml(path: Path) -> tuple[bytes, dict[str, Any]]:
    """The raw bytes (for the config hash) and the parsed TOML of ``path``; one-line ConfigError otherwise."""
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
        _, raw = read_config_toml(path)
        out.append((str(raw.get("name", path.stem)), str(raw.get("description", "")).strip().splitlines()[0]))
    return out


def resolve_config(name_or_path: str | Path) -> Path:
    """The config file of a packaged detector name (file stem or ``name`` key) or of a TOML path."""
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
        if str(read_config_toml(path)[1].get("name", "")).lower() == str(name_or_path).lower():
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
