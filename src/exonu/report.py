"""Compatibility shim: the writers moved to :mod:`exonu.output` (use that package in new code)."""

from __future__ import annotations

from .output.figures import profile_band as best_fit_band  # 0.1 name; now the profile-based band
from .output.figures import reproduction_figures
from .output.labels import FLAVOUR_LABELS, HEADLINE
from .output.markdown import results_markdown
from .output.serialize import results_dict, to_jsonable
from .output.writer import write_reproduction

#: Former private name of :func:`exonu.output.to_jsonable`, kept while ``cli/fit.py`` imports it
_clean = to_jsonable

__all__ = [
    "FLAVOUR_LABELS",
    "HEADLINE",
    "best_fit_band",
    "reproduction_figures",
    "results_dict",
    "results_markdown",
    "to_jsonable",
    "write_reproduction",
]
