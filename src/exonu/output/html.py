"""``report.html``: one self-contained page (figures embedded as base64 PNG, no network) from Jinja2 templates.

The page holds the results table (observed, expected, band, published where the detector config has it,
method and statistic of each search), every figure, the data-vs-model fits with residuals and the
provenance of the run. Its numbers are the ones of ``results.json`` (checked in a browser by
``tests/test_report_browser.py``).
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import markupsafe

from .. import __version__
from ..errors import InputError
from ..searches.paper import PaperResults
from ..searches.run import SearchResult
from .labels import detector_note, limit_description, search_title, toys_note, window_range
from .markdown import (
    ATOMIC_HEADER,
    DIFFERENCES,
    atomic_note,
    atomic_rows,
    calibration_notes,
    expected_warning_items,
    flavour_note,
    power_constraint_items,
    quick_note,
    table_rows,
)
from .serialize import statistic_of

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..detector import DetectorSetup

#: Captions of the reproduction figures, by file name
CAPTIONS = {
    "fig1_signal_spectra.png": "Fig. 1 analogue: recoil spectra of the paper's models and the Standard Model in xenon "
    "(true deposited energy, no detector response).",
    "fig2_background_model.png": "Fig. 2 analogue: the detector's background model per component after selection, "
    "with the relative systematic band of the total.",
    "fig3_millicharge_fit.png": "Fig. 3 analogue: data and best fit of the common millicharge search, the signal at "
    "the 90 % CL limit and the residuals.",
    "fig4_millicharge_limits.png": "Fig. 4 analogue: millicharge limits per flavour beside earlier limits.",
    "fig5_fits.png": "Fig. 5 analogue: data and best fit of the magnetic-moment and dark-photon searches, "
    "with residuals.",
    "fig6_dark_photon_exclusion.png": "Fig. 6 analogue: 90 % CL exclusion of the B−L dark-photon coupling "
    "versus its mass.",
}

#: Caption of a data-vs-model figure that is not one of the reproduction's (``exonu fit --report``)
FIT_CAPTION = "Data and best fit (signal + background), the signal at the 90 % CL limit, and the residuals."


def figure_caption(name: str, res: PaperResults) -> str:
    """The caption of figure ``name``: the reproduction's, a post-fit figure's, or a fit's, with the method."""
    from .figures_postfit import CAPTIONS as POSTFIT_CAPTIONS

    prefix = name.split("_", 1)[0]
    caption = CAPTIONS.get(name) or POSTFIT_CAPTIONS.get(prefix) or FIT_CAPTION
    if res.quick:
        caption += " Quick look (exonu reproduce --quick): reduced toys and masses."
    methods = sorted({r.method for r in list(res.searches.values()) + list(res.dark_photon)})
    return f"{caption} Limit method: {', '.join(methods)}." if methods else caption


def report_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("exonu.output", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["sci"] = lambda x: "—" if x is None else f"{x:.3e}"
    env.filters["exact"] = lambda x: repr(float(x))  # machine-readable copy of a number (browser test)
    env.filters["inline"] = inline_markup
    return env


def inline_markup(text: str) -> markupsafe.Markup:
    """The inline marks results.md uses (``**bold**``, ``*italic*``, ```code```) as HTML, the rest escaped."""
    html = str(markupsafe.escape(text))
    html = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html)
    html = re.sub(r"\*(\S.*?)\*", r"<em>\1</em>", html)
    html = re.sub(r"`(.+?)`", r"<code>\1</code>", html)
    return markupsafe.Markup(html)


def postfit_entry(result: SearchResult) -> dict[str, Any]:
    """The post-fit parameters, goodness of fit, Δχ² = 1 interval and warnings of one search, for the report."""
    return {
        "key": result.spec.key,
        "title": search_title(result),
        "unit": result.spec.unit,
        "best_fit": result.best_fit,
        "interval": result.best_fit_interval,
        "gof": result.postfit.gof,
        "parameters": result.postfit.parameters,
        "warnings": result.warnings,
    }


def figure_data_uri(figure: Figure, dpi: int = 110) -> str:
    """A matplotlib figure as a ``data:image/png;base64,…`` URI (the figure is not closed)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def png_data_uri(png: bytes) -> str:
    """PNG bytes as a data URI."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def limit_row(result: SearchResult, key: str) -> dict[str, Any]:
    """One row of the results table: the exact numbers of results.json (formatted in the template)."""
    spec = result.spec
    return {
        "key": key,
        "title": search_title(result),
        "window": result.window,
        "observed": result.observed,
        "expected": result.expected,
        "band": list(result.expected_band) if result.expected_band else None,
        "toy_median": result.expected_toy_median,
        "band_fixed_aux": list(result.expected_band_fixed_aux) if result.expected_band_fixed_aux else None,
        "published": spec.published,
        "ratio": (result.expected / spec.published) if spec.published else None,
        "method": result.method,
        "statistic": statistic_of(result),
        "how": limit_description(result),
    }


def render_report(res: PaperResults, figures: dict[str, str], provenance: dict[str, Any]) -> str:
    """The HTML text of the report.

    Parameters
    ----------
    res : PaperResults
    figures : dict
        ``{file name: data URI}`` of the figures to embed, in display order.
    provenance : dict
        As written to results.json (:func:`exonu.output.serialize.provenance`).
    """
    rows = [limit_row(r, r.spec.key) for r in table_rows(res)]
    # how each limit was made: listed once under the table, each row points at its entry
    methods = list(dict.fromkeys(row["how"] for row in rows))
    for row in rows:
        row["how_ref"] = methods.index(row["how"]) + 1
    titles = {r.spec.key: search_title(r) for r in list(res.searches.values()) + list(res.dark_photon)}
    published = [
        {
            "title": titles.get(key, key),
            "value": p.value,
            "unit": p.unit,
            "cl": p.cl,
            "method": p.method,
            "source": p.source,
        }
        for key, p in res.published.items()
    ]
    windows = [{"name": w, "range": window_range(res, w), "data": s} for w, s in res.data_source.items()]
    return (
        report_environment()
        .get_template("report.html.j2")
        .render(
            version=__version__,
            setup=res.setup,
            note=detector_note(res),
            rows=rows,
            methods=methods,
            published=published,
            show_published=any(row["published"] is not None for row in rows),
            windows=windows,
            figures=[{"name": n, "uri": u, "caption": figure_caption(n, res)} for n, u in figures.items()],
            provenance=provenance,
            calibration=res.calibration,
            seconds=res.seconds,
            statistic=res.statistic,
            seed=res.seed,
            methods_used=sorted({r.method for r in list(res.searches.values()) + list(res.dark_photon)}),
            expected_warnings=expected_warning_items(res),
            power_constraints=power_constraint_items(res),
            quick_note=quick_note(res),
            toys_note=toys_note(res),
            atomic_header=ATOMIC_HEADER,
            atomic_rows=atomic_rows(res),
            atomic_keys=list(res.atomic),
            atomic_note=atomic_note(res) if res.atomic else "",
            flavour_note=flavour_note(res),
            calibration_notes=calibration_notes(res) if res.has_paper_check else [],
            differences=DIFFERENCES if res.has_paper_check else (),
            postfit=[postfit_entry(r) for r in res.searches.values()],
        )
    )


def single_search_results(
    result: SearchResult, setup: DetectorSetup, data_source: str = "", seconds: float = 0.0
) -> PaperResults:
    """Wrap one search (``exonu fit``) as results the report can show: one table row, its fit figure, the
    config's published value for it (whatever its method) and the run time."""
    from ..searches import published_value

    pub = published_value(setup, result.spec)
    return PaperResults(
        searches={result.spec.key: result},
        dark_photon=[],
        setup=setup,
        data_source={result.window: data_source or "as given to the fit"},
        seed=result.seed or 0,
        seconds=seconds,
        statistic=statistic_of(result),
        published={result.spec.key: pub} if pub is not None else {},
    )


def write_html_report(
    results: PaperResults | SearchResult,
    path: Path | str,
    figures: Mapping[str, Figure | bytes | bytearray] | None = None,
    provenance: dict[str, Any] | None = None,
    *,
    setup: DetectorSetup | None = None,
    data_source: str = "",
    seconds: float = 0.0,
) -> Path:
    """Write ``report.html`` for ``results`` to ``path`` (atomically).

    Parameters
    ----------
    results : PaperResults or SearchResult
        A reproduction, or one search (then ``setup``, the detector it ran on, is required).
    path : path
        The HTML file to write.
    figures : dict, optional
        ``{file name: matplotlib Figure or PNG bytes}``; default: the reproduction's figures 1–6, or the
        data-vs-model fit of the one search.
    provenance : dict, optional
        Default: :func:`exonu.output.serialize.provenance` of ``results``.
    setup : DetectorSetup, optional
        The detector of a single ``SearchResult``.
    data_source : str, optional
        What data a single search was fitted to (shown in the report).
    seconds : float, optional
        Run time of a single search (a reproduction carries its own).
    """
    import matplotlib.pyplot as plt

    from .figures import plot_search_fit
    from .figures_paper import reproduction_figures
    from .figures_postfit import postfit_figures
    from .rundir import write_atomic
    from .serialize import provenance as make_provenance

    if isinstance(results, SearchResult):
        if setup is None:
            raise InputError("write_html_report(SearchResult, …) needs setup=, the detector the search ran on")
        results = single_search_results(results, setup, data_source, seconds)
        if figures is None:
            key, result = next(iter(results.searches.items()))
            figures = {f"fit_{key}.png": plot_search_fit(results, result, search_title(result))}
            figures.update(postfit_figures(result))
    if figures is None:
        figures = reproduction_figures(results)
    uris = {}
    for name, fig in figures.items():
        if isinstance(fig, (bytes, bytearray)):
            uris[name] = png_data_uri(bytes(fig))
        else:
            uris[name] = figure_data_uri(fig)
            plt.close(fig)
    text = render_report(results, uris, provenance or make_provenance(results))
    return write_atomic(Path(path), text)
