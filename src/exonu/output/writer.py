"""Writing a whole reproduction: results.json, results.md, the figures and report.html, as one safe run."""

from __future__ import annotations

from pathlib import Path

from ..searches.paper import PaperResults
from .figures_paper import reproduction_figures
from .html import png_data_uri, render_report
from .markdown import results_markdown
from .rundir import RunFolder
from .serialize import dependency_versions, dumps, provenance, results_dict

#: Resolution of the PNG figures written beside the results (dots per inch)
FIGURE_DPI = 120


def write_run_files(
    res: PaperResults,
    run: RunFolder,
    *,
    figures: bool = True,
    command_line: list[str] | None = None,
    data_files: list[str] | None = None,
) -> list[str]:
    """Write every file of a reproduction into an open :class:`RunFolder` (committed when its block ends).

    Returns the names written: ``results.json``, ``results.md``, ``report.html`` and, unless
    ``figures=False``, the PNG figures (also embedded in the report).
    """
    import io

    import matplotlib.pyplot as plt

    prov = provenance(res, command_line, data_files)
    run.record["dependencies"] = dependency_versions()
    run.record["warnings"] = [{**w, "search": key} for key, r in res.searches.items() for w in r.warnings]
    run.write("results.json", dumps(results_dict(res, command_line, data_files)))
    run.write("results.md", results_markdown(res))
    uris = {}
    if figures:
        for name, fig in reproduction_figures(res).items():
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=FIGURE_DPI)
            plt.close(fig)
            run.write(name, buffer.getvalue())
            uris[name] = png_data_uri(buffer.getvalue())
    run.write("report.html", render_report(res, uris, prov))
    return list(run.files)


def write_reproduction(
    res: PaperResults,
    out_dir: Path | str,
    figures: bool = True,
    command_line: list[str] | None = None,
    data_files: list[str] | None = None,
) -> list[Path]:
    """Write a finished reproduction into ``out_dir`` as one complete run (see :mod:`exonu.output.rundir`).

    For the ``--out`` check before the computation, open the :class:`RunFolder` first and call
    :func:`write_run_files` inside it (as ``exonu reproduce`` does).
    """
    with RunFolder(out_dir, seed=res.seed, command_line=command_line) as run:
        write_run_files(res, run, figures=figures, command_line=command_line, data_files=data_files)
    return run.written
