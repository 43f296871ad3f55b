"""Outputs of exonu: results.json, results.md, figures and report.html, written safely.

Modules:

* :mod:`~exonu.output.serialize` — :func:`to_jsonable`, the results.json document and provenance
* :mod:`~exonu.output.markdown` — results.md
* :mod:`~exonu.output.figures` — matplotlib figures (each function takes ``ax=``)
* :mod:`~exonu.output.figures_paper` — the figures of a reproduction (Figs. 1–6 analogues)
* :mod:`~exonu.output.html` — report.html from Jinja2 templates (figures embedded)
* :mod:`~exonu.output.rundir` — atomic files and run folders with a manifest
* :mod:`~exonu.output.writer` — a whole reproduction as one run
"""

from . import figures  # noqa: F401 - exonu.output.figures is part of the package's public API
from .html import render_report, write_html_report
from .markdown import results_markdown
from .rundir import OutputError, RunFolder, check_writable, read_manifest, recover, verify, write_atomic
from .serialize import provenance, results_dict, to_jsonable
from .writer import write_reproduction, write_run_files

__all__ = [
    "OutputError",
    "RunFolder",
    "check_writable",
    "provenance",
    "read_manifest",
    "recover",
    "render_report",
    "results_dict",
    "results_markdown",
    "to_jsonable",
    "verify",
    "write_atomic",
    "write_html_report",
    "write_reproduction",
    "write_run_files",
]
