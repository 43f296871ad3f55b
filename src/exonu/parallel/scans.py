"""Belt scans as sets of work units: a coupling grid per mass, toys at each grid point, limits from the belt.

:func:`run_scan` plans the units of every mass (toys at each α_k of the grid, and background-only
toys for the expected band), runs what is missing and assembles the summary from the store alone,
with the machinery of :mod:`exonu.parallel.runs` (resumable, verified, bit-identical for any executor).

The belt is the Neyman construction (J. Neyman, Phil. Trans. R. Soc. A 236 (1937) 333) on a grid α_k
of signal strengths: the critical value c_k is the ``cl`` quantile of t(α_k) over toys drawn at α_k;
a data set excludes α_k when t(α_k) > c_k, and its upper limit is the first excluded α_k above its best
fit α̂, interpolated linearly in t − c between grid points. With the "fc" ordering this is the
Feldman–Cousins unified construction (arXiv:physics/9711021, §IV); with "upper" the one-sided
construction of arXiv:1007.1727 §3.3. The expected band comes from background-only toys, each given
its own limit from the same belt. Methods without a belt get each mass's limit and band from toys.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ..errors import InputError, check_count
from .executor import Executor
from .runs import (
    RunCounts,
    band_summary,
    bookkeeping,
    execute,
    physical,
    run_settings,
    toy_chunks,
)
from .store import UnitStore
from .units import ORDERINGS, TOY_METHODS, ModelDescription, WorkUnit


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


#: The automatic coupling grid of a mass reaches this many times its Asimov expected PLR limit (in α):
#: the +2σ expected limit of a Gaussian one-sided 90 % limit is (1.2816 + 2)/1.2816 = 2.56× the median
#: (arXiv:1007.1727, Eq. 89), so 4× leaves a margin of 1.5×
AUTO_GRID_FACTOR = 4.0
#: Grid blocks a mass may grow to when a limit lies above its grid (each adds the same number of points)
MAX_GRID_BLOCKS = 4
#: Fraction of background-only limits above the grid that extends it (the +2σ edge must be on the grid)
ABOVE_GRID_TOLERANCE = 0.025
#: Methods of ``exonu scan`` that build a toy belt over the grid, with the ordering each uses
BELT_METHODS = {"neyman": "upper", "fc": "fc"}


def asimov_step(description: ModelDescription, n_couplings: int) -> float:
    """Grid step in α of the automatic grid: ``AUTO_GRID_FACTOR`` × the Asimov expected PLR limit / n."""
    from ..stats import expected_limits

    model, _ = description.build()
    expected = expected_limits(model, "plr", n_toys=0, statistic=description.fit_statistic).asimov
    if not (np.isfinite(expected) and expected > 0):
        raise InputError(
            f"the Asimov expected limit of {description.spec.key} is {expected}: give the grid with --alpha-max"
        )
    return AUTO_GRID_FACTOR * float(expected) / n_couplings


def run_scan(
    description: ModelDescription,
    *,
    masses_mev: Sequence[float | None],
    n_toys: int,
    n_background: int,
    seed: int,
    out: str | os.PathLike[str],
    alpha_grid: Sequence[float] | None = None,
    n_couplings: int = 12,
    cl: float = 0.9,
    ordering: str = "upper",
    method: str | None = None,
    chunk_size: int = 25,
    fluctuate_aux: bool = True,
    belt_toys: int = 500,
    executor: Executor | None = None,
    progress: bool | None = None,
) -> dict[str, Any]:
    """An exclusion curve over masses (or one point): toy belts with an expected band, or any limit method.

    Parameters
    ----------
    description : ModelDescription
        The search (its mass, if any, is replaced by each of ``masses_mev``).
    masses_mev : sequence of float or [None]
        Mediator masses in MeV; ``[None]`` for searches without a mass.
    n_toys : int
        Toys per grid point of the belt (belt methods).
    n_background : int
        Background-only toys per mass for the expected band.
    seed : int
        Run seed: the belt units of grid point (i, k) use ``unit_seed(seed, "belt", i, k, chunk)``,
        the background units ``unit_seed(seed, "background", i, block, chunk)``.
    out : path
        Run folder; an existing run with the same settings resumes.
    alpha_grid : sequence of float, optional
        Strictly increasing positive signal strengths α_k for every mass. Default: per mass,
        ``n_couplings`` points up to :data:`AUTO_GRID_FACTOR` × its Asimov expected limit, extended by
        blocks of as many points (up to :data:`MAX_GRID_BLOCKS`) while the observed limit or more than
        2.5 % of the background-only limits lie above it.
    n_couplings : int
        Points of the automatic grid (per block).
    cl : float
        Confidence level (0.5 < cl < 1).
    ordering : {"upper", "fc"}
        Belt ordering when ``method`` is None: one-sided q_μ or Feldman–Cousins (see :mod:`exonu.parallel.units`).
    method : str, optional
        Any method of ``exonu fit``: ``neyman`` (the "upper" belt) or ``fc`` (the "fc" belt) build the
        belt on the grid; the others give each mass the method's limit on the data and a band from
        ``n_background`` background-only toys (no grid).
    chunk_size, fluctuate_aux, executor, progress
        As in :func:`run_toys`; ``belt_toys`` as there (the toy band of a non-belt method needs none).

    Returns
    -------
    dict
        ``points``: one entry per mass with ``observed``, ``median``, ``band_1sigma``,
        ``band_2sigma`` (in the parameter's unit; None for a limit above the grid), the grid, critical
        values and observed t; plus the run's settings and the unit counts. Also written to
        ``out/summary.json``.
    """
    n_toys = check_count(n_toys, "n_toys")
    n_background = check_count(n_background, "n_background")
    seed = check_count(seed, "seed", 0)
    chunk_size = check_count(chunk_size, "chunk_size")
    if not isinstance(out, (str, os.PathLike)):
        raise InputError(f"run_scan: out must be a folder path; got {type(out).__name__}")
    n_couplings = check_count(n_couplings, "n_couplings", 2)
    if method is not None:
        if method not in TOY_METHODS:
            raise InputError(f"method must be one of {TOY_METHODS}; got {method!r}")
        ordering = BELT_METHODS.get(method, ordering)
    if ordering not in ORDERINGS:
        raise InputError(f"ordering must be one of {ORDERINGS}; got {ordering!r}")
    if not (isinstance(cl, float) and 0.5 < cl < 1):
        raise InputError(f"cl must be a number in (0.5, 1); got {cl!r}")
    grid: np.ndarray | None = None
    if alpha_grid is not None:
        grid = np.asarray(alpha_grid, dtype=float)
        if (
            grid.ndim != 1
            or grid.size < 2
            or not np.all(np.isfinite(grid))
            or np.any(grid <= 0)
            or np.any(np.diff(grid) <= 0)
        ):
            raise InputError("the coupling grid must be at least 2 strictly increasing positive signal strengths")
        n_couplings = grid.size
    masses = list(masses_mev)
    if not masses:
        raise InputError("the scan needs at least one mass")
    needs_mass = description.spec.mass_mev is not None
    if needs_mass and any(m is None or not m > 0 for m in masses):
        raise InputError(f"the {description.spec.model} scan needs masses in MeV > 0 (--masses-mev)")
    if not needs_mass and masses != [None]:
        raise InputError(f"signal {description.spec.model!r} has no mass: leave out --masses-mev")
    toy_chunks(n_toys * n_couplings * MAX_GRID_BLOCKS * len(masses), chunk_size)  # bounded before planning
    belt_method = method is None or method in BELT_METHODS
    settings = run_settings(
        "scan",
        description,
        masses_mev=masses,
        alpha_grid=None if grid is None else grid.tolist(),
        n_couplings=n_couplings,
        seed=seed,
        n_toys=n_toys,
        n_background=n_background,
        cl=cl,
        method=method,
        ordering=ordering if belt_method else None,
        chunk_size=chunk_size,
        fluctuate_aux=bool(fluctuate_aux),
        belt_toys=None if belt_method or method not in ("neyman", "fc") else belt_toys,
    )
    with UnitStore(out, settings) as store:  # settings checked before any model is built
        descriptions = [description.with_mass(m) for m in masses]
        for d in descriptions:  # validate every model before any unit is sent
            d.build()
        if not belt_method:
            assert method is not None
            points, counts = _limit_scan(
                descriptions, store, method, cl, n_background, seed, chunk_size, bool(fluctuate_aux), executor, progress
            )
        else:
            steps = [None if grid is not None else asimov_step(d, n_couplings) for d in descriptions]
            blocks = [1] * len(descriptions)
            while True:
                grids: list[np.ndarray] = [
                    step * np.arange(1, b * n_couplings + 1) if step is not None else np.asarray(grid)
                    for step, b in zip(steps, blocks, strict=True)
                ]
                units = _belt_units(
                    descriptions,
                    grids,
                    n_couplings,
                    seed,
                    n_toys,
                    n_background,
                    chunk_size,
                    ordering,
                    bool(fluctuate_aux),
                )
                counts = execute(units, store, executor, progress, label="belt toys")
                points = [
                    _belt_point(store, units, i, d, g, n_toys, n_background, cl)
                    for i, (d, g) in enumerate(zip(descriptions, grids, strict=True))
                ]
                grow = [
                    i
                    for i, p in enumerate(points)
                    if steps[i] is not None
                    and blocks[i] < MAX_GRID_BLOCKS
                    and (p["observed"] is None or p["background_above_grid"] > ABOVE_GRID_TOLERANCE * n_background)
                ]
                if not grow:
                    break
                for i in grow:
                    blocks[i] += 1
        summary = {
            **store.settings,
            "unit": description.spec.unit,
            "points": points,
            **bookkeeping(counts, store),
            "store": "units/*/*.npz",
        }
        store.write_summary(summary)
        return summary


def _belt_units(
    descriptions: list[ModelDescription],
    grids: list[np.ndarray],
    block_size: int,
    seed: int,
    n_toys: int,
    n_background: int,
    chunk_size: int,
    ordering: str,
    fluctuate_aux: bool,
) -> list[WorkUnit]:
    """Every unit of a belt scan: per mass, per block of the grid, the observed data and the background
    toys on the block's points, and the belt toys of each grid point."""
    units: list[WorkUnit] = []
    for i, (d, g) in enumerate(zip(descriptions, grids, strict=True)):
        base = WorkUnit(
            "belt", d, i, 0, 0, 0, 0, seed, alpha_grid=tuple(g.tolist()), ordering=ordering, fluctuate_aux=fluctuate_aux
        )
        for b in range(-(-g.size // block_size)):
            block = tuple(g[b * block_size : (b + 1) * block_size].tolist())
            units.append(replace(base, kind="observed", coupling_index=b, n_toys=1, alpha_grid=block))
            units += [
                replace(base, kind="background", coupling_index=b, chunk=c, first_toy=first, n_toys=n, alpha_grid=block)
                for c, (first, n) in enumerate(toy_chunks(n_background, chunk_size))
            ]
            units += [
                replace(base, coupling_index=k, chunk=c, first_toy=first, n_toys=n, alpha_grid=(float(g[k]),))
                for k in range(b * block_size, min((b + 1) * block_size, g.size))
                for c, (first, n) in enumerate(toy_chunks(n_toys, chunk_size))
            ]
    return units


def _belt_point(
    store: UnitStore,
    units: list[WorkUnit],
    i: int,
    d: ModelDescription,
    grid: np.ndarray,
    n_toys: int,
    n_background: int,
    cl: float,
) -> dict[str, Any]:
    """The result of mass ``i`` of a belt scan, read back from the store."""
    mine = [u for u in units if u.mass_index == i]
    belt = store.read("belt", [u for u in mine if u.kind == "belt"])["t"].reshape(grid.size, n_toys)
    crit = critical_values(belt, cl)
    obs_units = [u for u in mine if u.kind == "observed"]
    obs = store.read("observed", obs_units)
    bkg_parts = [
        store.read("background", [u for u in mine if u.kind == "background" and u.coupling_index == b])
        for b in range(len(obs_units))
    ]
    # long format per block (toy-major): back to (toys, grid) and blocks side by side
    bkg_t = np.concatenate([p["t"].reshape(n_background, -1) for p in bkg_parts], axis=1)
    bkg_alpha_hat = bkg_parts[0]["alpha_hat"].reshape(n_background, -1)[:, 0]
    reference = float(obs["reference"][0])
    to_x = physical(reference, d.spec.alpha_power)
    obs_limit = belt_limits(grid, obs["t"][None, :], crit, obs["alpha_hat"][:1])[0]
    bkg_limits = belt_limits(grid, bkg_t, crit, bkg_alpha_hat)
    return {
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
        "observed_above_grid": bool(np.isinf(obs_limit)),
        "background_toys": n_background,
        "background_above_grid": int(np.sum(np.isinf(bkg_limits))),
        "background_failed": int(np.sum(np.isnan(bkg_limits))),
        **band_summary(bkg_limits, to_x),
    }


def _limit_scan(
    descriptions: list[ModelDescription],
    store: UnitStore,
    method: str,
    cl: float,
    n_background: int,
    seed: int,
    chunk_size: int,
    fluctuate_aux: bool,
    executor: Executor | None,
    progress: bool | None,
) -> tuple[list[dict[str, Any]], RunCounts]:
    """Per mass: the method's limit on the data and its band from background-only toys (no grid)."""
    units: list[WorkUnit] = []
    for i, d in enumerate(descriptions):
        base = WorkUnit("toys", d, i, 0, 0, 0, 0, seed, method=method, cl=cl, fluctuate_aux=fluctuate_aux)
        units.append(replace(base, kind="limit", n_toys=1))
        units += [
            replace(base, chunk=c, first_toy=first, n_toys=n)
            for c, (first, n) in enumerate(toy_chunks(n_background, chunk_size))
        ]
    counts = execute(units, store, executor, progress, label=f"{method} toys")
    points = []
    for i, d in enumerate(descriptions):
        mine = [u for u in units if u.mass_index == i]
        obs = store.read("limit", [u for u in mine if u.kind == "limit"])
        bkg = store.read("toys", [u for u in mine if u.kind == "toys"])
        _, reference = d.build()
        to_x = physical(reference, d.spec.alpha_power)
        observed = float(obs["limit_alpha"][0])
        points.append(
            {
                "mass_mev": d.spec.mass_mev,
                "reference": reference,
                "alpha_hat_observed": float(obs["alpha_hat"][0]),
                "observed_alpha": observed if np.isfinite(observed) else None,
                "observed": to_x(observed),
                "observed_above_grid": False,
                "background_toys": n_background,
                "background_above_grid": 0,
                "background_failed": int(np.sum(np.isnan(bkg["limit_alpha"]))),
                **band_summary(bkg["limit_alpha"], to_x),
            }
        )
    return points, counts
