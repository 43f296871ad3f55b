"""Outputs of exonu: results.json, results.md, figures and report.html, written safely.

Modules:

* :mod:`~exonu.output.serialize` — :func:`to_jsonable`, the results.json document and provenance
* :mod:`~exonu.output.markdown` — results.md
* :mod:`~exonu.output.figures` — matplotlib figures (each function takes ``ax=``)
* :mod:`~exonu.output.figures_paper` — the figures of a reproduction (Figs. 1–6 analogues)
* :mod:`~exonu.output.html` — report.html from Jinja2 templates (figures embedded)
* :mod:`~exonu.output.rundir` — atomic files and run folders with a manifest
* :mod:`~exonu.output.writer` — a whole reproduction as one run

The names below are imported on first use (PEP 562): ``exonu fit`` needs the serializer but not Jinja2,
matplotlib's helpers or the spectrum code behind the figures, whose imports cost about 0.5 s.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import figures
    from .html import render_report, write_html_report
    from .markdown import results_markdown
    from .rundir import OutputError, RunFolder, check_writable, read_manifest, recover, verify, write_atomic
    from .serialize import provenance, results_dict, to_jsonable
    from .writer import write_reproduction, write_run_files

#: Each public name and the submodule that defines it (``figures`` is the submodule itself)
LAZY_NAMES = {
    "figures": "",
    "render_report": "html",
    "write_html_report": "html",
    "results_markdown": "markdown",
    "OutputError": "rundir",
    "RunFolder": "rundir",
    "check_writable": "rundir",
    "read_manifest": "rundir",
    "recover": "rundir",
    "verify": "rundir",
    "write_atomic": "rundir",
    "provenance": "serialize",
    "results_dict": "serialize",
    "to_jsonable": "serialize",
    "write_reproduction": "writer",
    "write_run_files": "writer",
}

__all__ = [
    "OutputError",
    "RunFolder",
    "check_writable",
    "figures",
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


def __getattr__(name: str) -> Any:
    """Import the submodule that defines ``name`` on first use, and keep the name (PEP 562)."""
    where = LAZY_NAMES.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = importlib.import_module(f"{__name__}.{where or name}")
    if where:
        value = getattr(value, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
