"""Writing a whole reproduction: results.json, results.md, the figures and report.html, as one safe run."""

from __future__ import annotations

from pathlib import Path

from ..searches.paper import PaperResults, phase_line, terminal_progress
from .figures_paper import figure_builders
from .html import png_data_uri, render_report
from .markdown import results_markdown
from .rundir import RunFolder
from .serialize import dependency_versions, dumps, provenance, render_png, results_dict

#: Resolution of the PNG figures written beside the results (dots per inch)
FIGURE_DPI = 120


def write_run_files(
    res: PaperResults,
    run: RunFolder,
    *,
    figures: bool = True,
    command_line: list[str] | None = None,
    data_files: list[str] | None = None,
    progress: bool | None = None,
) -> list[str]:
    """Write every file of a reproduction into an open :class:`RunFolder` (committed when its block ends).

    Returns the names written: ``results.json``, ``results.md``, ``report.html`` and, unless
    ``figures=False``, the PNG figures (also embedded in the report; a quick look draws only
    :data:`~exonu.output.figures_paper.QUICK_FIGURES`). ``progress``: a phase line per step and a bar over
    the figures on stderr (None: only when stdout and stderr are terminals).
    """
    from tqdm.auto import tqdm

    show = terminal_progress(progress)
    phase_line("writing results.json and results.md (post-fit parameters, goodness of fit)", show)
    prov = provenance(res, command_line, data_files)
    run.record["dependencies"] = dependency_versions()
    run.record["warnings"] = [{**w, "search": key} for key, r in res.searches.items() for w in r.warnings]
    run.write("results.json", dumps(results_dict(res, command_line, data_files)))
    run.write("results.md", results_markdown(res))
    uris = {}
    if figures:
        builders = figure_builders(res)
        phase_line(f"drawing {len(builders)} figures{' (quick look: the limits only)' if res.quick else ''}", show)
        for name, build in tqdm(builders.items(), desc="figures", unit="figure", disable=not show):
            png = render_png(build(), FIGURE_DPI)
            run.write(name, png)
            uris[name] = png_data_uri(png)
    phase_line("writing report.html", show)
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
