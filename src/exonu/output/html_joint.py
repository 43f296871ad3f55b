"""``report.html`` of a joint fit (``exonu fit --detector A --detector B --report PATH``).

One self-contained page, like the one-detector report (:mod:`exonu.output.html`, same templates and CSS,
figures inline as PNG data URIs): the combined limit with its method, statistic, expected median and band,
the joint fit's parameters and goodness of fit, then one section per detector holding what a one-detector
report shows (limit row, data-vs-model figure, post-fit table with pulls, goodness of fit, warnings, data
source, reconstruction flag), and the provenance of the run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from .html import (
    figure_caption,
    figure_data_uri,
    limit_row,
    postfit_entry,
    report_environment,
    single_search_results,
)
from .labels import detector_note, search_title, toys_note, window_range
from .markdown import expected_warning_items, power_constraint_items

if TYPE_CHECKING:
    from ..detector import DetectorSetup
    from ..searches import JointResult
    from ..searches.run import SearchResult


def numbered_rows(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Point each row at its "how the limit was made" entry; return the rows and the entries, each listed once."""
    methods = list(dict.fromkeys(row["how"] for row in rows))
    for row in rows:
        row["how_ref"] = methods.index(row["how"]) + 1
    return rows, methods


def figure_entries(figures: Mapping[str, Any], captions: Mapping[str, str], prefix: str) -> list[dict[str, str]]:
    """Figures as the template's entries (name made unique on the page by ``prefix``, data URI, caption);
    each matplotlib figure is closed once drawn."""
    import matplotlib.pyplot as plt

    entries = []
    for name, fig in figures.items():
        entries.append({"name": f"{prefix}{name}", "uri": figure_data_uri(fig), "caption": captions[name]})
        plt.close(fig)
    return entries


def detector_section(result: SearchResult, setup: DetectorSetup, data_source: str, seconds: float) -> dict[str, Any]:
    """What the one-detector report shows for ``setup`` fitted alone, as one section of the joint page."""
    from .figures import plot_search_fit
    from .figures_postfit import postfit_figures

    res = single_search_results(result, setup, data_source, seconds)
    key = result.spec.key
    figures = {f"fit_{key}.png": plot_search_fit(res, result, search_title(result)), **postfit_figures(result)}
    captions = {name: figure_caption(name, res) for name in figures}
    rows, methods = numbered_rows([limit_row(result, key)])
    return {
        "name": setup.name,
        "anchor": f"detector-{setup.name}",
        "setup": setup,
        "note": detector_note(res),
        "rows": rows,
        "methods": methods,
        "show_published": rows[0]["published"] is not None,
        "expected_warnings": expected_warning_items(res),
        "power_constraints": power_constraint_items(res),
        "toys_note": toys_note(res),
        "windows": [{"name": w, "range": window_range(res, w), "data": s} for w, s in res.data_source.items()],
        "postfit": [postfit_entry(result)],
        "figures": figure_entries(figures, captions, f"{setup.name}_"),
    }


def render_joint_report(
    result: JointResult,
    setups: Sequence[DetectorSetup],
    data_sources: Mapping[str, str],
    provenance: Mapping[str, Any],
    seconds: float,
) -> str:
    """The HTML text of a joint fit's report (see :func:`write_joint_html_report`)."""
    from .figures_postfit import postfit_figures

    combined = result.combined
    rows, methods = numbered_rows([limit_row(combined, combined.spec.key)])
    figures = postfit_figures(combined)
    captions = {name: figure_caption(name, single_search_results(combined, setups[0])) for name in figures}
    return (
        report_environment()
        .get_template("report_joint.html.j2")
        .render(
            version=__version__,
            names=[s.name for s in setups],
            any_reconstruction=any(s.is_reconstruction for s in setups),
            seed=combined.seed or 0,
            statistic=result.statistic,
            statistics=result.statistics,
            cl=result.cl,
            seconds=seconds,
            rows=rows,
            methods=methods,
            combined_postfit=[postfit_entry(combined)],
            combined_figures=figure_entries(figures, captions, "joint_"),
            combined_warnings=list(combined.warnings),
            detectors=[
                detector_section(result.detectors[s.name], s, data_sources.get(s.name, ""), seconds) for s in setups
            ],
            provenance=provenance,
        )
    )


def write_joint_html_report(
    result: JointResult,
    path: Path | str,
    *,
    setups: Sequence[DetectorSetup],
    data_sources: Mapping[str, str],
    provenance: Mapping[str, Any],
    seconds: float = 0.0,
) -> Path:
    """Write the ``report.html`` of a joint fit to ``path`` (atomically).

    Parameters
    ----------
    result : JointResult
        The joint fit (:func:`exonu.searches.run_joint_search`).
    path : path
        The HTML file to write.
    setups : sequence of DetectorSetup
        The detectors of the fit, in the order of the command line.
    data_sources : dict
        ``{detector name: what data it was fitted to}``.
    provenance : dict
        As in the fit's JSON document (``FitRun.provenance()``): versions, each detector's config and hash,
        the command line.
    seconds : float, optional
        Run time of the fit.
    """
    from .rundir import write_atomic

    text = render_joint_report(result, setups, data_sources, provenance, seconds)
    return write_atomic(Path(path), text)
