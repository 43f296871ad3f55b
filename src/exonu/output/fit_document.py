"""The result of ``exonu fit``: one search on one or several detectors, as one document shape.

:func:`run_fit` loads the detectors, picks each one's data and window, runs
:func:`exonu.searches.run_search` (one detector) or :func:`exonu.searches.run_joint_search` (several),
and returns a :class:`FitRun`: the result objects, the JSON document (:meth:`FitRun.document`,
described by :data:`exonu.output.result_schema.RESULT_SCHEMA`) and the text summary.

A single-detector fit and a joint fit have the same top-level keys (the limit, the expected limit
and band, the best fit and its Δχ² = 1 interval, the post-fit parameters, correlations, goodness of
fit, warnings, how the limit was made, provenance); a joint fit adds ``per_detector``, one object of
the same search shape for each detector fitted alone.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..errors import InputError
from .serialize import dependency_versions, portable_command_line, portable_path

if TYPE_CHECKING:
    from ..detector import DetectorSetup
    from ..searches import JointResult, SearchResult, SearchSpec

__all__ = [
    "FitRun",
    "assign_data_files",
    "run_fit",
    "search_record",
]

#: version of the fit-result document (bump when a key changes meaning or disappears)
RESULT_SCHEMA_VERSION = 2


@dataclass(frozen=True)
class DataChoice:
    """Which data a detector is fitted to: counts (None: the detector's own) and a description."""

    counts: Any
    source: str


def assign_data_files(
    data_args: Sequence[str] | None, detector_args: Sequence[str], names: list[str]
) -> dict[str, Path]:
    """Map each ``--data`` to its detector: ``NAME=PATH`` (NAME a detector name or its ``--detector`` word).

    A bare PATH is accepted with one detector only; a detector given two files is refused.
    """
    aliases = {**{a: n for a, n in zip(detector_args, names, strict=False)}, **{n: n for n in names}}
    files: dict[str, Path] = {}
    for item in data_args or ():
        head, sep, tail = item.partition("=")
        if sep and head in aliases:
            name, path = aliases[head], Path(tail)
        elif len(names) == 1:
            name, path = names[0], Path(item)
        else:
            raise InputError(
                f"--data {item}: with several detectors write --data DETECTOR=PATH, DETECTOR one of {names}"
            )
        if name in files:
            raise InputError(f"--data gives detector {name!r} two files ({files[name]}, {path}); give one per detector")
        files[name] = path
    return files


def detector_data(setup: DetectorSetup, window: str, path: Path | None) -> DataChoice:
    """The data of one detector's window: the file ``path``, else its own data set, else Asimov."""
    if path is None:
        own = setup.window(window).data_counts is not None
        return DataChoice(None, "the detector's data set" if own else "Asimov background-only data (SIMULATED)")
    from ..config import read_dataset

    ds = read_dataset(path, setup.window(window).binning)
    return DataChoice(
        ds.counts, f"file {portable_path(path)}" + (" (SIMULATED)" if ds.metadata.get("simulated") else "")
    )


def published_record(setup: DetectorSetup | None, spec: SearchSpec) -> dict[str, Any] | None:
    """The detector config's published value for ``spec`` (value, lower, unit, cl, method, source), or None."""
    from ..searches import published_value

    pub = None if setup is None else published_value(setup, spec)
    if pub is None:
        return None
    return {
        "value": pub.value,
        "lower": getattr(pub, "lower", None),
        "unit": pub.unit,
        "cl": pub.cl,
        "method": pub.method,
        "source": pub.source,
    }


def model_parameters(spec: SearchSpec) -> dict[str, Any]:
    """The options that define the signal, as recorded in every output."""
    return {
        "signal": spec.model,
        "parameter": spec.parameter,
        "flavours": list(spec.flavours),
        "mass_mev": spec.mass_mev,
        "charges": spec.charges,
        "chirality": spec.chirality,
        "sign": "positive" if spec.sign > 0 else "negative",
    }


def search_record(result: SearchResult, setup: DetectorSetup | None) -> dict[str, Any]:
    """One search in the result shape (:meth:`SearchResult.as_dict` with the common keys of
    :meth:`SearchResult.result_fields`), its signal options and the config's published value."""
    prov = result.provenance
    exp = result.expected_detail
    published = published_record(setup, result.spec)
    published_limit = published["value"] if published is not None else result.spec.published
    return {
        **result.as_dict(),
        # the published limit is in the search's unit (published_value refuses another)
        "ratio_expected_to_published": result.expected / published_limit if published_limit else None,
        "ratio_observed_to_published": result.observed / published_limit if published_limit else None,
        **model_parameters(result.spec),
        "calculator": prov.get("calculator"),
        "n_toys": prov.get("n_toys"),
        "expected_n_toys": exp.n_toys if exp is not None else 0,
        "published": published,
        "atomic": result.templates.atomic,  # the atomic model (and its nuisance) of this search's signal
    }


@dataclass
class FitRun:
    """One ``exonu fit``: the result(s), the detectors and data they came from, and how long it took."""

    result: SearchResult | JointResult
    setups: list[DetectorSetup]
    windows: dict[str, str]
    data: dict[str, DataChoice]
    seconds: float
    command_line: list[str] = field(default_factory=portable_command_line)

    @property
    def joint(self) -> bool:
        return len(self.setups) > 1

    def provenance(self) -> dict[str, Any]:
        """Versions, each detector's config (portable path, sha256, extrapolations), the command line."""
        return {
            "exonu_version": __version__,
            "dependencies": dependency_versions(),
            "detectors": {
                s.name: {
                    "config": portable_path(s.config_path),
                    "config_sha256": s.config_hash,
                    "is_reconstruction": bool(s.is_reconstruction),
                    "extrapolations": list(s.extrapolations),
                }
                for s in self.setups
            },
            "command_line": list(self.command_line),
            "runtime_seconds": self.seconds,
        }

    def _detector_record(self, setup: DetectorSetup, result: SearchResult) -> dict[str, Any]:
        return {
            **search_record(result, setup),
            "detector": setup.name,
            "data": self.data[setup.name].source,
            "is_reconstruction": bool(setup.is_reconstruction),
            "config_sha256": setup.config_hash,
        }

    def document(self) -> dict[str, Any]:
        """The JSON document (see :mod:`exonu.output.result_schema`): the same top-level keys for one or
        several detectors; several add ``per_detector`` and what the joint model shares."""
        from ..searches import JointResult

        head: dict[str, Any] = {
            "schema": "exonu-fit-result",
            "schema_version": RESULT_SCHEMA_VERSION,
            "exonu_version": __version__,
            "detectors": [s.name for s in self.setups],
            "windows": dict(self.windows),
            "data_sources": {name: choice.source for name, choice in self.data.items()},
            "runtime_seconds": self.seconds,
            "provenance": self.provenance(),
        }
        r = self.result
        if isinstance(r, JointResult):
            return {
                **search_record(r.combined, None),
                **r.to_dict(),  # the library's dict of a joint result, completed by what the run knows
                **head,
                # the one-detector keys, for the combination (each detector's are under per_detector)
                "detector": " + ".join(s.name for s in self.setups),
                "data": "; ".join(f"{name}: {choice.source}" for name, choice in self.data.items()),
                "is_reconstruction": any(bool(s.is_reconstruction) for s in self.setups),
                "config_sha256": None,
                "atomic": {"per_detector": {s.name: r.detectors[s.name].templates.atomic for s in self.setups}},
                "per_detector": {s.name: self._detector_record(s, r.detectors[s.name]) for s in self.setups},
            }
        (setup,) = self.setups
        return {**self._detector_record(setup, r), **head, "joint": False}

    def write_report(self, path: Path | str) -> Path:
        """Write the self-contained ``report.html`` of the fit: one detector's
        (:func:`exonu.output.write_html_report`) or a joint fit's
        (:func:`exonu.output.html_joint.write_joint_html_report`)."""
        from ..searches import JointResult
        from .html import write_html_report
        from .html_joint import write_joint_html_report

        if isinstance(self.result, JointResult):
            return write_joint_html_report(
                self.result,
                path,
                setups=self.setups,
                data_sources={name: choice.source for name, choice in self.data.items()},
                provenance=self.provenance(),
                seconds=self.seconds,
            )
        (setup,) = self.setups
        return write_html_report(
            self.result,
            path,
            setup=setup,
            data_source=self.data[setup.name].source,
            seconds=self.seconds,
        )

    def summary(self) -> str:
        """The text summary: limits, the expected limit and band, the parameter table, the goodness of fit."""
        from ..searches import JointResult

        r = self.result
        if isinstance(r, JointResult):
            return joint_summary(r, self)
        return single_summary(r, self)


def _band(result: SearchResult) -> str:
    if not result.expected_band:
        return ""
    lo, hi = result.expected_band
    return f", ±1σ [{lo:.3g}, {hi:.3g}]"


def _threshold(prov: Mapping[str, Any]) -> str:
    t = prov.get("threshold")
    return f"threshold Δχ² = {t:.3f}" if isinstance(t, (int, float)) else f"threshold {t}"


def _gof_line(result: SearchResult) -> str:
    g = result.postfit.gof
    return f"  goodness of fit: {g.statistic_name} {g.statistic:.4g} / {g.ndof} dof, p = {g.p_value:.3g}"


def single_summary(r: SearchResult, run: FitRun) -> str:
    """The text summary of a one-detector fit."""
    (setup,) = run.setups
    u, prov = r.spec.unit, r.provenance
    lo, hi = r.best_fit_interval
    lines = [
        f"{setup.name} / {r.window} / {r.spec.key}: best fit {r.best_fit:.3g} {u} (Δχ² = 1: [{lo:.3g}, {hi:.3g}]), "
        f"chi2/ndof = {r.chi2_min:.2f}/{r.ndof}, {r.significance_sigma:.2f} sigma over background-only",
        f"  {r.cl:.0%} CL upper limit ({r.method}; {prov.get('test_statistic')}; {_threshold(prov)}; "
        f"{prov.get('sided')}-sided): {r.observed:.3g} {u}",
    ]
    toy = f", toy median {r.expected_toy_median:.3g} {u}" if r.expected_toy_median is not None else ""
    lines.append(f"  expected: Asimov median {r.expected:.3g} {u}{toy}{_band(r)}")
    if r.interval:
        lines.append(f"  {r.cl:.0%} CL interval: [{r.interval[0]:.3g}, {r.interval[1]:.3g}] {u}")
    pub = published_record(setup, r.spec)
    if pub is not None:
        lines.append(
            f"  published: {pub['value']:.3g} {pub['unit']} ({pub['cl']:.0%} CL, {pub['method']}; {pub['source']})"
        )
    lines.append(f"  data: {run.data[setup.name].source}")
    atomic = r.templates.atomic
    nuisance = atomic.get("uncertainty", {}).get("parameter") if isinstance(atomic.get("uncertainty"), dict) else None
    lines.append(f"  atomic model: {atomic['model']['name']}; atomic nuisance: {nuisance or 'none'}")
    lines.append(_gof_line(r))
    lines.append(r.postfit.table(r.physical_signal))
    return "\n".join(lines)


def joint_summary(result: JointResult, run: FitRun) -> str:
    """The text summary of a joint fit: the combined and each detector's limits, the joint parameters."""
    spec, prov = result.joint.spec, result.combined.provenance
    u = spec.unit
    lines = [
        f"joint fit of {', '.join(result.joint.detectors)} / {spec.key}: {result.cl:.0%} CL upper limits "
        f"({result.combined.method}; {prov.get('test_statistic')}; {_threshold(prov)}; {prov.get('sided')}-sided; "
        f"{result.statistic}; shared: {', '.join(result.joint.shared) or 'nothing'})",
        f"  {'':<16} {'observed':>11} {'expected':>11} {'expected ±1σ':>22} {'best fit':>11}  unit",
    ]
    rows = [("combined", result.combined), *result.detectors.items()]
    for label, r in rows:
        band = f"[{r.expected_band[0]:.3g}, {r.expected_band[1]:.3g}]" if r.expected_band else "–"
        lines.append(f"  {label:<16} {r.observed:>11.3g} {r.expected:>11.3g} {band:>22} {r.best_fit:>11.3g}  {u}")
    for name, choice in run.data.items():
        lines.append(f"  data {name}: {choice.source}")
    lines.append(_gof_line(result.combined))
    lines.append(result.combined.postfit.table(result.combined.physical_signal))
    return "\n".join(lines)


def run_fit(
    detectors: Sequence[str],
    spec: SearchSpec,
    *,
    data: Sequence[str] | None = None,
    statistic: str | None = None,
    command_line: Sequence[str] | None = None,
    **search_options: Any,
) -> FitRun:
    """Load ``detectors`` (names or TOML paths), fit ``spec`` on them and return the :class:`FitRun`.

    ``data`` are the ``--data`` arguments (``[DETECTOR=]PATH``); ``statistic`` None takes each detector
    config's own; ``search_options`` go to :func:`exonu.searches.run_search` (one detector) or
    :func:`exonu.searches.run_joint_search` (several): ``method``, ``n_toys``, ``seed``, ``cl``,
    ``interval``, ``neyman_toys``, …
    """
    from ..config import load_detector
    from ..searches import choose_window, run_joint_search, run_search

    start = time.perf_counter()
    setups = [load_detector(d) for d in detectors]
    names = [s.name for s in setups]
    for n in names:
        if names.count(n) > 1:
            raise InputError(f"detector {n!r} is given {names.count(n)} times; give each detector once")
    files = assign_data_files(data, detectors, names)
    windows = {s.name: choose_window(s, spec) for s in setups}
    choices = {s.name: detector_data(s, windows[s.name], files.get(s.name)) for s in setups}
    result: SearchResult | JointResult
    if len(setups) == 1:
        (setup,) = setups
        result = run_search(setup, spec, choices[setup.name].counts, statistic=statistic, **search_options)
    else:
        counts = {name: c.counts for name, c in choices.items() if c.counts is not None}
        result = run_joint_search(setups, spec, counts or None, statistic=statistic, **search_options)
    # the post-fit parameters, the Δχ² = 1 interval and the checks belong to the run (and its run time)
    _ = result.warnings, result.best_fit_interval
    seconds = time.perf_counter() - start
    return FitRun(result, setups, windows, choices, seconds, portable_command_line(command_line))
