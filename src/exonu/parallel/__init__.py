"""Toy ensembles, belt scans and any independent work: seeded, verified, resumable units on one back end.

Runs on the base install: ``jobs=1`` runs in this process, ``jobs=N`` on N local worker processes;
a Dask cluster (``scheduler=ADDRESS``) needs ``pip install "exonu[distributed]"``. Modules, in the
order a run uses them:

* :mod:`~exonu.parallel.units` — :class:`ModelDescription` (a picklable description of the model a
  worker rebuilds and caches), :class:`WorkUnit`, :func:`unit_seed`, :func:`run_unit`
* :mod:`~exonu.parallel.executor` — :func:`executor_for`: in-process, local processes (``--jobs N``)
  or an existing Dask scheduler (``--scheduler ADDRESS`` / ``EXONU_SCHEDULER``), all with
  ``map(function, items)``
* :mod:`~exonu.parallel.store` — the run folder: one verified ``.npz`` file per finished unit
* :mod:`~exonu.parallel.runs` — :func:`run_toys` and :func:`execute`: plan, resume, assemble
* :mod:`~exonu.parallel.scans` — :func:`run_scan`: belt scans over coupling grids, per mass
* :mod:`~exonu.parallel.figures` — the exclusion curve / belt figure

Names are imported on first use, so ``exonu.parallel.store`` and ``executor_for`` load neither the
statistics nor the detector code.
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name → module that defines it
_WHERE = {
    "SCHEDULER_ENV": "executor",
    "DaskExecutor": "executor",
    "Executor": "executor",
    "InProcessExecutor": "executor",
    "ProcessExecutor": "executor",
    "TlsFiles": "executor",
    "executor_for": "executor",
    "RunCounts": "runs",
    "belt_limits": "scans",
    "critical_values": "scans",
    "execute": "runs",
    "run_scan": "scans",
    "run_toys": "runs",
    "UnitStore": "store",
    "read_units": "store",
    "ORDERINGS": "units",
    "TOY_METHODS": "units",
    "ModelDescription": "units",
    "WorkUnit": "units",
    "resolve_detector": "store",
    "run_unit": "units",
    "unit_seed": "units",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'exonu.parallel' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
