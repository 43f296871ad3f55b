"""Toy ensembles and belt scans as sets of work units: plan, run what is missing, assemble.

:func:`run_toys` and :func:`run_scan` split a computation into :class:`~exonu.parallel.units.WorkUnit`
s, skip every unit already stored in the output folder (so the same call resumes a killed run and
recomputes nothing), run the rest on an executor (:func:`~exonu.parallel.executor.make_executor`),
store each unit as it finishes, then assemble the summary from the store alone. Because every
unit's toys are seeded by its key, the summary is bit-identical for any executor and any
interruption history.

The belt (:func:`run_scan`) is the Neyman construction (J. Neyman, Phil. Trans. R. Soc. A 236 (1937)
333) on a grid α_k of signal strengths: the critical value c_k is the ``cl`` quantile of t(α_k) over
toys drawn at α_k; a data set excludes α_k when t(α_k) > c_k, and its upper limit is the first
excluded α_k above its best fit α̂, interpolated linearly in t − c between grid points. With the
"fc" ordering this is the Feldman–Cousins unified construction (arXiv:physics/9711021, §IV); with
"upper" the one-sided construction of arXiv:1007.1727 §3.3. The expected band comes from
background-only toys, each given its own limit from the same belt.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .. import __version__
from ..errors import InputError
from ..stats import BAND_PERCENTILES
from .executor import DaskExecutor, InProcessExecutor
from .store import UnitStore
from .units import ORDERINGS, ModelDescription, WorkUnit, load_detector_cached, run_unit

#: Limit methods of a toy ensemble (per-toy limits, vectorised by exonu.stats.limits_for_toys)
TOY_METHODS = ("bayesian", "plr")


@dataclass(frozen=True)
class RunCounts:
    """How many units a call found stored and how many it computed."""

    total: int
    reused: int
    computed: int


def _bookkeeping(counts: RunCounts, store: UnitStore) -> dict[str, int]:
    """The summary's account of the units: how many in all, reused, computed, and partial files removed."""
    return {
        "units_total": counts.total,
        "units_reused": counts.reused,
        "units_computed": counts.computed,
        "partial_files_removed": store.partial_files_removed,
    }


def _check_count(value: object, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(f"{name} must be an integer ≥ {minimum}; got {value!r}")
    return int(value)


def _chunks(n: int, size: int) -> list[tuple[int, int]]:
    """(first toy, count) of each chunk of ``n`` toys."""
    return [(start, min(size, n - start)) for start in range(0, n, size)]


def execute(
    units: Sequence[WorkUnit],
    store: UnitStore,
    executor: InProcessExecutor | DaskExecutor | None = None,
    progress: bool | None = None,
) -> RunCounts:
    """Run every unit not yet in ``store`` and store each one as it finishes.

    Parameters
    ----------
    units : sequence of WorkUnit
    store : UnitStore
    executor : optional
        From :func:`~exonu.parallel.executor.make_executor`; default in-process.
    progress : bool, optional
        tqdm bar counting toys (default: only when stderr is a terminal).
    """
    executor = executor or InProcessExecutor()
    todo = [u for u in units if not store.has(u.kind, u.name)]
    show = sys.stderr.isatty() if progress is None else bool(progress)
    bar = None
    if show:
        from tqdm.auto import tqdm

        bar = tqdm(
            total=sum(u.n_toys for u in units),
            initial=sum(u.n_toys for u in units) - sum(u.n_toys for u in todo),
            desc="toys",
            unit="toy",
        )
    try:
        for unit, columns in executor.run(run_unit, todo):
            store.write(unit.kind, unit.name, columns)
            if bar is not None:
                bar.update(unit.n_toys)
    finally:
        if bar is not None:
            bar.close()
    return RunCounts(len(units), len(units) - len(todo), len(todo))


def _band(values: np.ndarray, to_physical: Callable[[float | None], float | None]) -> dict[str, Any]:
    """Median and central 68 % / 95 % intervals in physical units.

    NaN (a failed toy) is left out; +inf (a limit above the grid) takes part, so a percentile that
    falls among those becomes None instead of being biased low.
    """
    good = values[~np.isnan(values)]
    if good.size == 0:
        return {"median": None, "band_1sigma": None, "band_2sigma": None}
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


def _settings(command: str, description: ModelDescription, **extra: Any) -> dict[str, Any]:
    spec = description.spec
    return {
        "command": command,
        "exonu_version": __version__,
        "detectors": list(description.detectors),
        "config_sha256": [load_detector_cached(d).config_hash for d in description.detectors],
        "signal": spec.model,
        "window": spec.window,
        "flavours": list(spec.flavours),
        "mass_mev": spec.mass_mev,
        "statistic": description.statistic_record,
        "data": None if description.data is None else list(description.data),
        **extra,
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
    chunk_size: int = 25,
    fluctuate_aux: bool = True,
    executor: InProcessExecutor | DaskExecutor | None = None,
    progress: bool | None = None,
) -> dict[str, Any]:
    """A toy ensemble of one search: every toy's limit, best fit and q₀, stored in ``out``.

    Parameters
    ----------
    description : ModelDescription
    n_toys : int
        Number of toys.
    seed : int
        Run seed (≥ 0); chunk c uses ``unit_seed(seed, "toys", 0, 0, c)``.
    out : path
        Run folder (see :mod:`exonu.parallel.store`); an existing run with the same settings resumes.
    alpha : float
        True signal strength of the toys (0: background only; > 0 gives the coverage).
    method : {"bayesian", "plr"}
        Upper-limit method for each toy (90 % CL).
    chunk_size : int
        Toys per work unit (part of the seed key: a resumed run must use the same).
    fluctuate_aux : bool
        Fluctuate the auxiliary measurements (see :func:`exonu.stats.generate_toys`).
    executor, progress
        See :func:`execute`.

    Returns
    -------
    dict
        ``n_toys``, ``n_failed``, ``median``, ``band_1sigma``, ``band_2sigma`` (90 % CL upper limits in
        the parameter's unit), ``coverage`` (fraction of limits ≥ the true value, for ``alpha`` > 0),
        ``best_fit_median`` (parameter unit), ``q0_percentiles`` (the discovery statistic
        χ²_min(0) − χ²_min at 50/90/99 %), the run's settings and the unit counts. Also written to
        ``out/summary.json``.
    """
    n_toys = _check_count(n_toys, "n_toys")
    seed = _check_count(seed, "seed", 0)
    chunk_size = _check_count(chunk_size, "chunk_size")
    if method not in TOY_METHODS:
        raise InputError(f"method for toys must be one of {TOY_METHODS}; got {method!r}")
    if not (isinstance(alpha, (int, float)) and math.isfinite(alpha) and alpha >= 0):
        raise InputError(f"the true signal strength alpha must be a finite number ≥ 0; got {alpha!r}")
    _model, reference = description.build()  # validates the search before any unit is sent
    with UnitStore(
        out,
        _settings(
            "toys",
            description,
            method=method,
            seed=seed,
            n_toys=n_toys,
            alpha=float(alpha),
            chunk_size=chunk_size,
            fluctuate_aux=bool(fluctuate_aux),
            cl=0.9,
        ),
    ) as store:  # the folder is this run's until the summary is written
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
                fluctuate_aux=bool(fluctuate_aux),
            )
            for c, (first, n) in enumerate(_chunks(n_toys, chunk_size))
        ]
        counts = execute(units, store, executor, progress)
        columns = store.read("toys", [u.name for u in units])
        limits = columns["limit_alpha"]
        to_x = physical(reference, description.spec.alpha_power)
        good = np.isfinite(limits)
        summary = {
            **store.settings,
            "unit": description.spec.unit,
            "reference": reference,
            "n_toys": n_toys,
            "n_failed": int(np.sum(~good)),
            **_band(limits, to_x),
            "coverage": float(np.mean(limits[good] >= alpha)) if alpha > 0 and good.any() else None,
            "fits_valid": int(np.sum(columns["fit_valid"])),
            "best_fit_median": to_x(float(np.median(columns["alpha_hat"]))),
            "q0_percentiles": {str(q): float(np.nanpercentile(columns["q0"], q)) for q in (50, 90, 99)},
            **_bookkeeping(counts, store),
            "store": "units/toys/*.parquet",
        }
        store.write_summary(summary)
        return summary


# ------------------------------------------------------------------------------------------ scan
def critical_values(t: np.ndarray, cl: float) -> np.ndarray:
    """The ``cl`` quantile of t over toys for each grid point; ``t`` has shape (G, n_toys)."""
    return np.nanquantile(t, cl, axis=1)


def belt_limits(alpha_grid: np.ndarray, t: np.ndarray, crit: np.ndarray, alpha_hat: np.ndarray) -> np.ndarray:
    """Upper limits from a belt: the first α_k > α̂ with t(α_k) > c_k, interpolated in t − c.

    Parameters
    ----------
    alpha_grid : ndarray (G,)
        Increasing signal strengths of the belt.
    t : ndarray (N, G)
        Test statistic of N data sets on the grid.
    crit : ndarray (G,)
        Critical values.
    alpha_hat : ndarray (N,)
        Best fits (t = 0 there).

    Returns
    -------
    ndarray (N,)
        Limits; +inf where no grid point is excluded (the limit lies above the grid), NaN where t
        has a NaN (a failed fit).
    """
    a = np.asarray(alpha_grid, dtype=float)
    diff = t - crit[None, :]
    excluded = (diff > 0) & (a[None, :] > alpha_hat[:, None])
    complete = np.all(np.isfinite(t), axis=1)
    found = excluded.any(axis=1) & complete
    k = np.argmax(excluded, axis=1)
    rows = np.arange(t.shape[0])
    below = np.maximum(k - 1, 0)
    # the segment starts at the previous grid point, or at α̂ (where t = 0) if that is higher
    a0 = np.maximum(np.where(k > 0, a[below], 0.0), alpha_hat)
    d0 = np.where(k > 0, diff[rows, below], -crit[0])
    d1 = diff[rows, k]
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(d1 > d0, -d0 / (d1 - d0), 0.5)
    limits = a0 + np.clip(w, 0.0, 1.0) * (a[k] - a0)
    return np.where(found, limits, np.where(complete, np.inf, np.nan))


def run_scan(
    description: ModelDescription,
    *,
    masses_mev: Sequence[float | None],
    alpha_grid: Sequence[float],
    n_toys: int,
    n_background: int,
    seed: int,
    out: str | os.PathLike[str],
    cl: float = 0.9,
    ordering: str = "upper",
    chunk_size: int = 25,
    fluctuate_aux: bool = True,
    executor: InProcessExecutor | DaskExecutor | None = None,
    progress: bool | None = None,
) -> dict[str, Any]:
    """A Neyman / Feldman–Cousins belt over a mass × coupling grid: exclusion curve and expected band.

    Parameters
    ----------
    description : ModelDescription
        The search (its mass, if any, is replaced by each of ``masses_mev``).
    masses_mev : sequence of float or [None]
        Dark-photon masses in MeV; ``[None]`` for searches without a mass.
    alpha_grid : sequence of float
        Strictly increasing positive signal strengths α_k (α = (x/x_ref)^power, x_ref chosen per
        mass so that α = O(1) near the sensitivity).
    n_toys : int
        Toys per grid point of the belt.
    n_background : int
        Background-only toys per mass for the expected band.
    seed : int
        Run seed: the belt units of grid point (i, k) use ``unit_seed(seed, "belt", i, k, chunk)``,
        the background units ``unit_seed(seed, "background", i, 0, chunk)``.
    out : path
        Run folder; an existing run with the same settings resumes.
    cl : float
        Confidence level of the belt (0 < cl < 1).
    ordering : {"upper", "fc"}
        One-sided q_μ or Feldman–Cousins likelihood-ratio ordering (see :mod:`exonu.parallel.units`).
    chunk_size, fluctuate_aux, executor, progress
        As in :func:`run_toys`.

    Returns
    -------
    dict
        ``points``: one entry per mass with ``observed``, ``median``, ``band_1sigma``,
        ``band_2sigma`` (in the parameter's unit), the α grid, critical values and observed t; plus
        the run's settings and the unit counts. Also written to ``out/summary.json``.
    """
    n_toys = _check_count(n_toys, "n_toys")
    n_background = _check_count(n_background, "n_background")
    seed = _check_count(seed, "seed", 0)
    chunk_size = _check_count(chunk_size, "chunk_size")
    if ordering not in ORDERINGS:
        raise InputError(f"ordering must be one of {ORDERINGS}; got {ordering!r}")
    if not (isinstance(cl, float) and 0 < cl < 1):
        raise InputError(f"cl must be a number in (0, 1); got {cl!r}")
    grid = np.asarray(alpha_grid, dtype=float)
    if (
        grid.ndim != 1
        or grid.size < 2
        or not np.all(np.isfinite(grid))
        or np.any(grid <= 0)
        or np.any(np.diff(grid) <= 0)
    ):
        raise InputError("the coupling grid must be at least 2 strictly increasing positive signal strengths")
    masses = list(masses_mev)
    if not masses:
        raise InputError("the scan needs at least one mass")
    needs_mass = description.spec.model == "dark-photon"
    if needs_mass and any(m is None or not m > 0 for m in masses):
        raise InputError("the dark-photon scan needs masses in MeV > 0 (--masses-mev)")
    if not needs_mass and masses != [None]:
        raise InputError(f"signal {description.spec.model!r} has no mass: leave out --masses-mev")
    descriptions = [description.with_mass(m) for m in masses]
    for d in descriptions:  # validate every model before any unit is sent
        d.build()
    with UnitStore(
        out,
        _settings(
            "scan",
            description,
            masses_mev=masses,
            alpha_grid=grid.tolist(),
            seed=seed,
            n_toys=n_toys,
            n_background=n_background,
            cl=cl,
            ordering=ordering,
            chunk_size=chunk_size,
            fluctuate_aux=bool(fluctuate_aux),
        ),
    ) as store:  # the folder is this run's until the summary is written
        base = WorkUnit(
            "belt",
            description,
            0,
            0,
            0,
            0,
            0,
            seed,
            alpha_grid=tuple(grid.tolist()),
            ordering=ordering,
            fluctuate_aux=bool(fluctuate_aux),
        )
        units: list[WorkUnit] = []
        for i, d in enumerate(descriptions):
            units.append(replace(base, kind="observed", description=d, mass_index=i, n_toys=1))
            units += [
                replace(base, description=d, mass_index=i, coupling_index=k, chunk=c, first_toy=first, n_toys=n)
                for k in range(grid.size)
                for c, (first, n) in enumerate(_chunks(n_toys, chunk_size))
            ]
            units += [
                replace(base, kind="background", description=d, mass_index=i, chunk=c, first_toy=first, n_toys=n)
                for c, (first, n) in enumerate(_chunks(n_background, chunk_size))
            ]
        counts = execute(units, store, executor, progress)

        points = []
        for i, d in enumerate(descriptions):
            mine = [u for u in units if u.mass_index == i]
            belt = store.read("belt", [u.name for u in mine if u.kind == "belt"])["t"].reshape(grid.size, n_toys)
            crit = critical_values(belt, cl)
            obs = store.read("observed", [u.name for u in mine if u.kind == "observed"])
            bkg = store.read("background", [u.name for u in mine if u.kind == "background"])
            reference = float(obs["reference"][0])
            to_x = physical(reference, d.spec.alpha_power)
            obs_limit = belt_limits(grid, obs["t"][None, :], crit, obs["alpha_hat"][:1])[0]
            bkg_limits = belt_limits(
                grid,
                bkg["t"].reshape(n_background, grid.size),
                crit,
                bkg["alpha_hat"].reshape(n_background, grid.size)[:, 0],
            )
            points.append(
                {
                    "mass_mev": d.spec.mass_mev,
                    "reference": reference,
                    "alpha_grid": grid.tolist(),
                    "coupling_grid": [to_x(a) for a in grid],
                    "critical_values": crit.tolist(),
                    "belt_failed_toys": int(np.sum(~np.isfinite(belt))),
                    "t_observed": obs["t"].tolist(),
                    "alpha_hat_observed": float(obs["alpha_hat"][0]),
                    "observed_alpha": float(obs_limit) if np.isfinite(obs_limit) else None,
                    "observed": to_x(obs_limit),
                    "background_toys": n_background,
                    "background_above_grid": int(np.sum(np.isinf(bkg_limits))),
                    "background_failed": int(np.sum(np.isnan(bkg_limits))),
                    **_band(bkg_limits, to_x),
                }
            )
        summary = {
            **store.settings,
            "unit": description.spec.unit,
            "points": points,
            **_bookkeeping(counts, store),
            "store": "units/{belt,background,observed}/*.parquet",
        }
        store.write_summary(summary)
        return summary
