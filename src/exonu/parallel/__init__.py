"""Toy ensembles and frequentist belt scans as seeded, resumable work units, on Dask or in-process.

Install with ``pip install "exonu[distributed]"`` (Dask, pyarrow, threadpoolctl); ``jobs=1`` needs
only pyarrow. Modules, in the order a run uses them:

* :mod:`~exonu.parallel.units` — :class:`ModelDescription` (a picklable description of the model a
  worker rebuilds and caches), :class:`WorkUnit`, :func:`unit_seed`, :func:`run_unit`
* :mod:`~exonu.parallel.executor` — in-process, ``LocalCluster`` (``--jobs N``) or an existing
  scheduler (``--scheduler ADDRESS`` / ``EXONU_SCHEDULER``)
* :mod:`~exonu.parallel.store` — the run folder: one Parquet file per finished unit
* :mod:`~exonu.parallel.runs` — :func:`run_toys`, :func:`run_scan`: plan, resume, assemble
* :mod:`~exonu.parallel.figures` — the exclusion curve / belt figure
"""

from .executor import SCHEDULER_ENV, DaskExecutor, InProcessExecutor, make_executor
from .runs import RunCounts, belt_limits, critical_values, execute, run_scan, run_toys
from .store import UnitStore
from .units import ORDERINGS, ModelDescription, WorkUnit, resolve_detector, run_unit, unit_seed

__all__ = [
    "ORDERINGS",
    "SCHEDULER_ENV",
    "DaskExecutor",
    "InProcessExecutor",
    "ModelDescription",
    "RunCounts",
    "UnitStore",
    "WorkUnit",
    "belt_limits",
    "critical_values",
    "execute",
    "make_executor",
    "resolve_detector",
    "run_scan",
    "run_toys",
    "run_unit",
    "unit_seed",
]
