"""``results.json``: every number of a reproduction, with what produced it (method, statistic, provenance).

The schema is tested in ``tests/test_reproduce.py`` and ``tests/test_output_serialize.py``.
"""

from __future__ import annotations

import json
import math
import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import asdict, is_dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..detector import DetectorSetup, PublishedValue
from ..searches.paper import PaperResults
from ..searches.run import SearchResult
from .labels import band_toys, toys_note

#: the distributions whose versions every output records
RUNTIME_DEPENDENCIES = ("numpy", "scipy", "iminuit", "xraydb", "pydantic", "matplotlib", "jinja2", "tqdm")


def dependency_versions() -> dict[str, str | None]:
    """The installed version of Python and every runtime dependency (None if one is missing)."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in RUNTIME_DEPENDENCIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def portable_path(path: str | os.PathLike[str]) -> str:
    """A path as outputs show it: ``exonu:detectors/xmass_i.toml`` for a packaged file, else relative to
    the working directory (never an absolute machine path)."""
    from .. import data as packaged

    p = Path(path).resolve()
    root = Path(packaged.__file__).resolve().parent
    if p.is_relative_to(root):
        return f"exonu:{p.relative_to(root).as_posix()}"
    return Path(os.path.relpath(p)).as_posix()


def portable_command_line(argv: Sequence[str] | None = None) -> list[str]:
    """The command line with ``argv[0]`` written as ``exonu`` (not the machine's path to the script)."""
    args = list(sys.argv if argv is None else argv)
    return ["exonu", *args[1:]] if args else ["exonu"]


def to_jsonable(value: Any) -> Any:
    """A JSON-safe copy of ``value``: numpy scalars and arrays to Python numbers and lists, NaN/±inf to None,
    tuples to lists, paths to strings, dataclasses to dicts.

    Non-finite numbers become ``null`` rather than the non-standard ``NaN`` token that strict JSON readers
    (browsers, ``jq``) refuse.
    """
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Path):
        return str(value)
    if is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(asdict(value))
    return value


def dumps(document: dict[str, Any]) -> str:
    """``document`` as indented JSON text (UTF-8 characters kept, NaN refused)."""
    return json.dumps(to_jsonable(document), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def statistic_of(result: SearchResult) -> str:
    """The test statistic a search actually used (from its limit or fit result, never a default)."""
    for source in (result, result.limit_result, result.fit_result):
        value = getattr(source, "statistic", None)
        if value:
            return str(value)
    raise ValueError("search result records no statistic")  # pragma: no cover - every run_search sets one


def limit_provenance(result: SearchResult) -> dict[str, Any]:
    """How the observed limit of one search was computed: method, statistic, CL and, if the stats layer
    describes its limits (``LimitResult.describe()``), everything it reports."""
    lr = result.limit_result
    describe = getattr(lr, "describe", None)
    info = dict(describe()) if callable(describe) else {}
    info.setdefault("method", result.method)
    info.setdefault("statistic", statistic_of(result))
    info.setdefault("cl", getattr(lr, "cl", None))
    return info


def search_entry(result: SearchResult, published: PublishedValue | None = None) -> dict[str, Any]:
    """One search of ``results.json``: :meth:`SearchResult.as_dict` plus the statistic and the limit's
    provenance, and the published reference (value, unit, method, source) when the config has one."""
    entry = result.as_dict()
    entry["method"] = result.method
    entry["statistic"] = statistic_of(result)
    entry["limit"] = limit_provenance(result)
    entry["published_reference"] = to_jsonable(published) if published is not None else None
    return entry


def provenance(
    res: PaperResults, command_line: list[str] | None = None, data_files: list[str] | None = None
) -> dict[str, Any]:
    """Who and what produced a run: versions of exonu and every runtime dependency, detector config
    (a portable path) and hash, extrapolations, seed, command line (``argv[0]`` as ``exonu``), data files."""
    setup = res.setup
    config = getattr(setup, "config_path", None)
    return {
        "exonu_version": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "dependencies": dependency_versions(),
        "detector": setup.name,
        "config_path": portable_path(config) if config else "",
        "config_sha256": setup.config_hash,
        "extrapolations": list(getattr(setup, "extrapolations", ())),
        "seed": res.seed,
        "quick": res.quick,
        "statistic": res.statistic,
        "command_line": portable_command_line(command_line),
        "data_files": [portable_path(f) for f in data_files or []],
    }


def _presets(setup: DetectorSetup) -> dict[str, Any]:
    from ..spectrum import RecoilSpectrum

    d = RecoilSpectrum().describe()
    d.update(
        {
            "sin2_theta_w": 0.2386,
            # the atomic model of each signal of the paper on this detector (its config's [atomic], else the
            # default); atomic_comparison has each search's model and the nuisance on and off
            "atomic_models": {
                m: setup.atomic.model_for(m).describe() for m in ("millicharge", "magnetic-moment", "dark-photon")
            },
        }
    )
    return d


def results_dict(
    res: PaperResults, command_line: list[str] | None = None, data_files: list[str] | None = None
) -> dict[str, Any]:
    """The ``results.json`` document of a reproduction (JSON-safe)."""
    setup = res.setup
    methods = sorted({r.method for r in res.searches.values()} | {r.method for r in res.dark_photon})
    out = {
        "exonu_version": __version__,
        "detector": {
            "name": setup.name,
            "description": setup.description,
            "config_sha256": setup.config_hash,
            "is_reconstruction": bool(setup.is_reconstruction),
        },
        "data": res.data_source,
        "quick": res.quick,  # exonu reproduce --quick: reduced toys, masses and figures (a first look)
        "toys": {  # toys of the expected bands (0: Asimov medians only, no band); note: what is not shown
            "per_search": band_toys(list(res.searches.values())),
            "per_dark_photon_mass": band_toys(res.dark_photon),
            "note": toys_note(res),
        },
        "seed": res.seed,
        "presets": _presets(setup),
        "statistic": res.statistic,
        "method": methods[0] if len(methods) == 1 else methods,
        "method_description": {
            "bayesian": "P(α) ∝ exp(−χ²_min(α)/2), flat prior in α ≥ 0 (α ∝ q², μ², g⁴), 90 % of the integral "
            "(arXiv:2005.11891 §4)",
            "plr": "one-sided profile-likelihood ratio, asymptotic critical value",
            "neyman": "profile-likelihood ratio with critical values from toys",
        },
        "expected_definition": "expected = limit on the Asimov background-only data (median); band = 16/84 % of toys",
        "runtime_seconds": res.seconds,
        "calibration_check": res.calibration,
        "provenance": provenance(res, command_line, data_files),
    }
    for key, r in res.searches.items():
        out[key] = search_entry(r, res.published.get(key))
    out["dark_photon"] = [
        {
            "mass_mev": r.spec.mass_mev,
            "upper_limit": r.observed,
            "expected_upper_limit": r.expected,
            "expected_band": list(r.expected_band) if r.expected_band else None,
            "best_fit": r.best_fit,
            "published": r.spec.published,
            "method": r.method,
            "statistic": statistic_of(r),
            "window": r.window,
        }
        for r in res.dark_photon
    ]
    # the limits with the atomic nuisance on and off, and each search's atomic model (issue 23)
    out["atomic_comparison"] = {key: c.as_dict() for key, c in res.atomic.items()}
    out["published_dark_photon"] = [
        {"mass_mev": p.mass_mev, "limit": p.value, "source": p.source}
        for p in res.published.values()
        if p.mass_mev is not None
    ]
    return to_jsonable(out)


def render_png(figure: Any, dpi: int = 130, **savefig_options: Any) -> bytes:
    """A matplotlib figure as PNG bytes, rendered in memory; the figure is closed, drawn or not.

    ``savefig_options`` go to ``Figure.savefig`` (e.g. ``bbox_inches="tight"``). Rendering before writing
    means a failure while drawing leaves no half-written file.
    """
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format="png", dpi=dpi, **savefig_options)
    finally:
        plt.close(figure)
    return buffer.getvalue()


def write_json_and_png(folder: Path, json_name: str, document: Any, png_name: str, figure: Any, dpi: int = 130) -> None:
    """Write a command's JSON document and its figure (PNG) into ``folder``, each atomically.

    The figure is rendered in memory first and closed (:func:`render_png`), so a failure while drawing leaves
    neither file half-written (the previous run's files stay as they were).
    """
    from ..fileio import atomic_write_bytes, atomic_write_text

    png = render_png(figure, dpi)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / json_name, dumps(document))
    atomic_write_bytes(folder / png_name, png)
