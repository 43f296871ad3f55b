"""Toy ensembles as sets of work units: plan, run what is missing, assemble — the machinery every run shares.

:func:`run_toys` (and :func:`exonu.parallel.scans.run_scan`) split a computation into
:class:`~exonu.parallel.units.WorkUnit` s, skip every unit already stored in the output folder (so the
same call resumes a killed run and recomputes nothing), run the rest on an executor
(:func:`~exonu.parallel.executor.executor_for`) with :func:`execute`, store each unit as it finishes,
then assemble the summary from the store alone. Because every unit's toys are seeded by its key, the
summary is bit-identical for any executor and any interruption history. The shared pieces — the
chunks of a toy count (:func:`toy_chunks`), the run's settings (:func:`run_settings`), the expected
band in physical units (:func:`band_summary`, :func:`physical`) and the unit bookkeeping
(:func:`bookkeeping`) — live here.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError, check_count
from ..stats import BAND_PERCENTILES
from .executor import Executor, InProcessExecutor
from .progress import show_progress
from .store import UnitStore, command_settings
from .units import TOY_METHODS, ModelDescription, WorkUnit, load_detector_cached, run_unit


@dataclass(frozen=True)
class RunCounts:
    """How many units a call found stored, computed, and recomputed because their file was not this run's."""

    total: int
    reused: int
    computed: int
    replaced: tuple[str, ...] = field(default=())


def bookkeeping(counts: RunCounts, store: UnitStore) -> dict[str, Any]:
    """The summary's account of the units: how many in all, reused, computed, replaced, partial files removed."""
    return {
        "units_total": counts.total,
        "units_reused": counts.reused,
        "units_computed": counts.computed,
        "units_replaced": list(counts.replaced),
        "partial_files_removed": store.partial_files_removed,
    }


#: The most work units one run may plan (each is a file): more is a typo or needs a larger --chunk-size
MAX_UNITS = 200_000


def toy_chunks(n: int, size: int) -> list[tuple[int, int]]:
    """(first toy, count) of each chunk of ``n`` toys: chunk c always starts at c × size, so a larger
    run's first chunks are a smaller run's (only a smaller run's last, partial chunk differs)."""
    if -(-n // size) > MAX_UNITS:
        raise InputError(
            f"{n} toys in chunks of {size} would be {-(-n // size)} work units (at most {MAX_UNITS}); "
            "use fewer toys or a larger --chunk-size"
        )
    return [(start, min(size, n - start)) for start in range(0, n, size)]


def execute(
    units: Sequence[WorkUnit],
    store: UnitStore,
    executor: Executor | None = None,
    progress: bool | None = None,
    label: str = "toys",
) -> RunCounts:
    """Run every unit not reusable from ``store`` and store each one as it finishes.

    A stored file is reused only when :meth:`UnitStore.problem` finds it is this run's intact unit;
    any other file under the unit's name is recomputed and listed in ``RunCounts.replaced`` (a unit
    whose toy count changed because the run grew is recomputed silently: that is an extension).

    Parameters
    ----------
    units : sequence of WorkUnit
    store : UnitStore
    executor : optional
        From :func:`~exonu.parallel.executor.executor_for`; default in-process.
    progress : bool, optional
        Progress bar counting toys (default: only on a terminal, see :func:`show_progress`).
    label : str
        What the bar counts.
    """
    executor = executor or InProcessExecutor()
    todo, replaced = [], []
    for unit in units:
        reason = store.problem(unit.kind, unit)
        if reason is None:
            continue
        todo.append(unit)
        if reason not in ("missing", "resized"):
            replaced.append(f"{store.relative(unit.kind, unit.name)} {reason}: recomputed")
    bar = None
    if show_progress(progress):
        from tqdm.auto import tqdm

        total = sum(u.n_toys for u in units)
        bar = tqdm(total=total, initial=total - sum(u.n_toys for u in todo), desc=label, unit="toy", file=sys.stderr)
    try:
        for unit, columns in executor.as_completed(run_unit, todo):
            store.write(unit.kind, unit, columns)
            if bar is not None:
                bar.update(unit.n_toys)
    finally:
        if bar is not None:
            bar.close()
    return RunCounts(len(units), len(units) - len(todo), len(todo), tuple(replaced))


def band_summary(values: np.ndarray, to_physical: Callable[[float | None], float | None]) -> dict[str, Any]:
    """Median and central 68 % / 95 % intervals in physical units.

    NaN (a failed toy) is left out; +inf (a limit above the grid) takes part, so a percentile that
    falls among those becomes None instead of being biased low.
    """
    good = values[~np.isnan(values)]
    if good.size == 0:
        return {"median": None, "band_1sigma": None, "band_2sigma": None}
    with np.errstate(invalid="ignore"):  # inf − inf between two limits above the grid: None below
        p = {k: to_physical(float(np.percentile(good, q))) for k, q in BAND_PERCENTILES.items()}
    return {
        "median": p["median"],
        "band_1sigma": [p["-1sigma"], p["+1sigma"]],
        "band_2sigma": [p["-2sigma"], p["+2sigma"]],
    }


def physical(reference: float, alpha_power: int) -> Callable[[float | None], float | None]:
    """α → physical parameter x = x_ref α^(1/power) (α ≤ 0 maps to 0; NaN stays NaN)."""

    def convert(alpha: float | None) -> float | None:
        if alpha is None or not np.isfinite(alpha):
            return None
        return float(reference * max(float(alpha), 0.0) ** (1.0 / alpha_power))

    return convert


def run_settings(command: str, description: ModelDescription, **extra: Any) -> dict[str, Any]:
    spec = description.spec
    return {
        **command_settings(command, description.detectors, spec.model, **extra),
        "config_sha256": [load_detector_cached(d).config_hash for d in description.detectors],
        "search": spec.key,
        "window": spec.window,
        "flavours": list(spec.flavours),
        "mass_mev": spec.mass_mev,
        "charges": spec.charges,
        "chirality": spec.chirality,
        "sign": spec.sign,
        "statistic": description.statistic_record,
        "data": None if description.data is None else list(description.data),
    }


# ------------------------------------------------------------------------------------------ toys
def run_toys(
    description: ModelDescription,
    *,
    n_toys: int,
    seed: int,
    out: str | os.PathLike[str],
    alpha: float = 0.0,
    method: str = "bayesian",
    cl: float = 0.9,
    belt_toys: int = 500,
    chunk_size: int = 25,
    fluctuate_aux: bool = True,
    executor: Executor | None = None,
    progress: bool | None = None,
) -> dict[str, Any]:
    """A toy ensemble of one search: every toy's limit and fit, stored as seeded units (resumable).

    Parameters
    ----------
    description : ModelDescription
    n_toys : int
        Number of toys. Rerunning the same folder with more (same seed) extends the ensemble: the
        stored chunks are reused and the result equals a fresh run of the larger size.
    seed : int
        Run seed (≥ 0); chunk c uses ``unit_seed(seed, "toys", 0, 0, c)``.
    out : path
        Run folder (see :mod:`exonu.parallel.store`); an existing run with the same settings resumes.
    alpha : float
        True signal strength of the toys (0: background only; > 0 gives the coverage).
    method : str
        Upper-limit method for each toy, one of :data:`exonu.stats.METHODS` (as ``exonu fit``).
        ``neyman`` and ``fc`` use one toy belt of ``belt_toys`` toys per grid point, built from the run
        seed in every worker (the same belt everywhere).
    cl : float
        Confidence level of the limits (0.5 < cl < 1).
    chunk_size : int
        Toys per work unit (part of the seed key: a resumed run must use the same).
    fluctuate_aux : bool
        Fluctuate the auxiliary measurements (see :func:`exonu.stats.generate_toys`).
    executor, progress
        See :func:`execute`.

    Returns
    -------
    dict
        ``n_toys``, ``n_failed``, ``median``, ``band_1sigma``, ``band_2sigma`` (``cl`` upper limits in
        the parameter's unit), ``coverage`` (fraction of limits ≥ the true value, for ``alpha`` > 0),
        ``best_fit_median`` (parameter unit), ``q0_percentiles`` (the discovery statistic
        χ²_min(0) − χ²_min at 50/90/99 %), the run's settings and the unit counts. Also written to
        ``out/summary.json``.
    """
    n_toys = check_count(n_toys, "n_toys")
    seed = check_count(seed, "seed", 0)
    chunk_size = check_count(chunk_size, "chunk_size")
    belt_toys = check_count(belt_toys, "belt_toys")
    if not isinstance(out, (str, os.PathLike)):
        raise InputError(f"run_toys: out must be a folder path; got {type(out).__name__}")
    if method not in TOY_METHODS:
        raise InputError(f"method for toys must be one of {TOY_METHODS}; got {method!r}")
    if not (isinstance(cl, (int, float)) and 0.5 < cl < 1):
        raise InputError(f"cl must be a number in (0.5, 1); got {cl!r}")
    if not (isinstance(alpha, (int, float)) and math.isfinite(alpha) and alpha >= 0):
        raise InputError(f"the true signal strength alpha must be a finite number ≥ 0; got {alpha!r}")
    chunks = toy_chunks(n_toys, chunk_size)
    settings = run_settings(
        "toys",
        description,
        method=method,
        seed=seed,
        n_toys=n_toys,
        alpha=float(alpha),
        chunk_size=chunk_size,
        fluctuate_aux=bool(fluctuate_aux),
        cl=float(cl),
        belt_toys=belt_toys if method in ("neyman", "fc") else None,
    )
    with UnitStore(out, settings) as store:  # settings checked before the model is built
        _model, reference = description.build()  # validates the search before any unit is sent
        units = [
            WorkUnit(
                "toys",
                description,
                0,
                0,
                c,
                first,
                n,
                seed,
                alpha=float(alpha),
                method=method,
                cl=float(cl),
                belt_toys=belt_toys,
                fluctuate_aux=bool(fluctuate_aux),
            )
            for c, (first, n) in enumerate(chunks)
        ]
        if method in ("neyman", "fc"):
            units[0].toy_belt()  # built once here: forked workers inherit it
        counts = execute(units, store, executor, progress)
        columns = store.read("toys", units)
        limits = columns["limit_alpha"]
        to_x = physical(reference, description.spec.alpha_power)
        good = np.isfinite(limits)
        summary = {
            **store.settings,
            "unit": description.spec.unit,
            "reference": reference,
            "n_toys": n_toys,
            "n_failed": int(np.sum(~good)),
            **band_summary(limits, to_x),
            "coverage": float(np.mean(limits[good] >= alpha)) if alpha > 0 and good.any() else None,
            "fits_valid": int(np.sum(columns["fit_valid"])),
            "best_fit_median": to_x(float(np.median(columns["alpha_hat"]))),
            "q0_percentiles": {str(q): float(np.nanpercentile(columns["q0"], q)) for q in (50, 90, 99)},
            **bookkeeping(counts, store),
            "store": "units/toys/*.npz",
        }
        store.write_summary(summary)
        return summary
