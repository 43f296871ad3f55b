"""The region of a mediator in its coupling g and mass M: the grid, the threshold and the result.

:func:`mediator_region` runs, through the caller's ``mapper`` (one unit per mass column,
:mod:`.mediator`):

1. the survey: each column's model and χ² on the ladder g_ref · 2^k and at g = 0;
2. each column's couplings (:func:`coupling_axes`), log-spaced over what the survey found: from one
   ladder step (a factor 2) below an island's lower edge, or a factor :data:`BELOW_EDGE` below the
   edge of a column whose region reaches g = 0, to one ladder step above its upper edge. The limits
   move by decades with the mass (g ∝ M for a heavy mediator), so one coupling axis for all masses
   would leave an island of a few per cent in g between two grid points: the grid is curvilinear,
   n couplings per column, and the lines are traced on it in (log M, log g);
3. the grid: each column's χ²_min at its couplings, its best fit ĝ ≥ 0 and its one-sided PLR limit
   (``exonu exclusion --method plr`` at that mass);
4. the threshold: Wilks' χ²₂ quantile (4.605 at 90 %), or the toys of ``method="fc"`` at a subset of
   columns and couplings (units too), interpolated along and across the columns; the no-signal point
   has toys of its own.

g = 0 is the no-signal point, the same at every mass, and it is not on a log axis. Where a column's
region reaches down to g = 0 (every ladder point below its edge and g = 0 itself inside), the grid
stops a factor :data:`BELOW_EDGE` below the edge and the result says that the region continues to
g = 0 there (``touches_no_signal``, an open side "g → 0", ``open_to_no_signal`` per mass); the figure
fills it down to the axis and says so. A region cut by the ends of the mass range is open there too
(nothing was computed beyond them).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ...errors import FitError, InputError, check_count
from ...stats import plr_critical_value
from .mediator import (
    LOCAL_STEPS,
    ColumnProfile,
    ColumnSurvey,
    MassColumn,
    MediatorSearch,
    mediator_toy_threshold,
    profile_column,
)
from .mediator import survey_column as survey_unit
from .parameters import REGION_PARAMETERS, region_threshold
from .problem import ProgressBar
from .region import METHODS, ConfidenceRegion, contour_lines
from .toys import ToyUnit, unit_seed

__all__ = ["ColumnAxis", "coupling_axes", "mediator_region", "region_lines"]

#: A column whose region reaches g = 0 is gridded down to this factor below its edge
BELOW_EDGE = 10.0
#: Couplings per toy mass over which a toy's minimum over the plane is taken (``method="fc"``): the toy grid
#: alone is too coarse in g (a factor 5 or more between its rows), and a toy far from every candidate
#: gets q = 0 there
FC_CANDIDATES = 25
#: ε of the traced level log((Δχ² + ε)/(threshold + ε)) (keeps Δχ² = 0 finite)
LOG_OFFSET = 1e-3
#: The pad rows and columns that close the lines along the grid's edges lie this fraction of a cell outside
PAD = 1e-3

#: One column's couplings and whether its region continues below them to g = 0
ColumnAxis = tuple[np.ndarray, bool]


def coupling_axes(surveys: Sequence[ColumnSurvey], floor: float, reach: float, n: int) -> list[ColumnAxis]:
    """Each column's ``n`` log-spaced couplings, covering its part of {χ² − ``floor`` ≤ ``reach``} with margin.

    A column whose region reaches g = 0 (g = 0 and every ladder point up to its edge inside) is
    gridded from a factor :data:`BELOW_EDGE` below its edge; an island from one ladder step below its
    lower edge; every column up to one ladder step above its upper edge. A column with no ladder
    point inside is gridded one step either side of its lowest ladder point.
    """
    axes = []
    for s in surveys:
        ladder, inside = s.couplings, s.chi2 - floor <= reach
        last = ladder.size - 1
        if inside.any():
            lo_i, hi_i = int(np.flatnonzero(inside)[0]), int(np.flatnonzero(inside)[-1])
            open_to_zero = lo_i == 0 and bool(inside[: hi_i + 1].all()) and s.chi2_no_signal - floor <= reach
            top = ladder[min(hi_i + 1, last)]
            bottom = ladder[hi_i] / BELOW_EDGE if open_to_zero else ladder[max(lo_i - 1, 0)]
        else:
            k = int(np.argmin(s.chi2))
            open_to_zero, bottom, top = False, ladder[max(k - 1, 0)], ladder[min(k + 1, last)]
        if not bottom < top:
            bottom = top / 2.0**4
        axes.append((np.geomspace(bottom, top, n), open_to_zero))
    return axes


def region_lines(log_x: np.ndarray, log_y: np.ndarray, level: np.ndarray) -> list[np.ndarray]:
    """The lines ``level`` = 0 in (x, y), closed along every edge of the grid the region touches.

    ``log_x`` (n_x,) are the columns' log x; ``log_y`` (n_y, n_x) each column's increasing log y (a
    curvilinear grid); ``level`` (n_y, n_x) is negative inside. A row or column outside the region is
    added a small fraction (:data:`PAD`) of a cell beyond each edge, so the lines run along the edges
    the region touches; they are traced in (log x, log y) and returned in (x, y).
    """
    level = np.where(np.isfinite(level), level, np.nan)
    outside = float(np.nanmax(np.abs(level))) + 1.0
    padded = np.pad(np.nan_to_num(level, nan=outside), 1, constant_values=outside)
    dx = PAD * (log_x[1] - log_x[0])
    x_row = np.concatenate([[log_x[0] - dx], log_x, [log_x[-1] + dx]])
    dy = PAD * (log_y[1] - log_y[0])  # per column
    ys = np.vstack([log_y[0] - dy, log_y, log_y[-1] + dy])
    ys = np.hstack([ys[:, :1], ys, ys[:, -1:]])
    xs = np.broadcast_to(x_row, ys.shape)
    lines = contour_lines(xs, ys, padded, 0.0)
    return [10.0 ** np.column_stack([np.clip(line[:, 0], log_x[0], log_x[-1]), line[:, 1]]) for line in lines]


def mediator_region(
    search: MediatorSearch,
    masses_mev: ArrayLike,
    *,
    cl: float = 0.9,
    method: str = "wilks",
    n_grid: int = 61,
    n_toys: int = 100,
    toy_grid: int = 9,
    seed: int = 0,
    order: Sequence[str] = ("mass_mev", "g"),
    mapper: Callable[[Callable[[Any], Any], list[Any]], Iterable[Any]] = map,
    phase: Callable[[str], None] | None = None,
    progress: ProgressBar | None = None,
) -> ConfidenceRegion:
    """The ``cl`` region of a mediator in (M, g) over the masses ``masses_mev`` (see the module docstring).

    Parameters
    ----------
    search : MediatorSearch
    masses_mev : array_like of float
        The mass axis in MeV, increasing, log-spaced (e.g. ``mediator_masses(n, lo, hi)``), ≥ 3 masses.
    cl, method, n_toys, toy_grid, seed
        As :func:`~exonu.searches.contour.confidence_region`; the toy grid has ``toy_grid`` masses
        (spread over the columns) × ``toy_grid`` couplings, and one point at g = 0.
    n_grid : int
        Couplings per mass column (≥ 11).
    order : the two parameter names ("mass_mev", "g") in the order of the result's x and y.
    mapper : callable
        ``mapper(function, items)`` yields ``function(item)`` in order: ``map`` (default) or an
        executor's ``map``; each mass column (and each toy-grid point) is one item, seeded apiece, so
        the region does not depend on the mapper.
    phase, progress
        As :func:`~exonu.searches.contour.confidence_region` (progress units ``"mass"`` and ``"point"``).

    Returns
    -------
    ConfidenceRegion
        Its ``x`` and ``y`` follow ``order``: the masses (n_masses,) and each column's couplings
        (n_grid, n_masses), or transposed; ``delta_chi2`` has the couplings' shape.

    Raises
    ------
    InputError
        A bad method, level, grid or mass axis.
    FitError
        No point of the grid could be fitted.
    """
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    table = REGION_PARAMETERS[search.signal]
    if sorted(order) != sorted(table):
        raise InputError(f"the {search.signal} region is drawn in {' and '.join(table)}; got {list(order)}")
    masses = np.asarray(masses_mev, dtype=float)
    if masses.ndim != 1 or masses.size < 3 or not np.all(np.diff(masses) > 0) or masses[0] <= 0:
        raise InputError("the mass axis needs at least 3 increasing masses in MeV > 0")
    for name, value, low in (("n_grid", n_grid, 11), ("n_toys", n_toys, 10), ("toy_grid", toy_grid, 3)):
        check_count(value, name, low)
    threshold = region_threshold(cl)
    reach = threshold * (1.5 if method == "fc" else 1.0)  # the toy threshold may exceed Wilks'
    say = phase or (lambda text: None)
    show: ProgressBar = progress or (lambda items, total, unit: items)

    say(f"surveying {masses.size} mass columns (coupling ladder)")
    surveys: list[ColumnSurvey] = list(
        show(mapper(partial(survey_unit, search), [float(m) for m in masses]), masses.size, "mass")
    )
    chi2_zero = min(s.chi2_no_signal for s in surveys)
    finite = [float(np.min(s.chi2[np.isfinite(s.chi2)])) for s in surveys if np.any(np.isfinite(s.chi2))]
    if not finite and not np.isfinite(chi2_zero):
        raise FitError("no point of the grid could be fitted: check the data and the detector model")
    axes = coupling_axes(surveys, min([chi2_zero, *finite]), reach, n_grid)

    say(f"profiling the {masses.size}×{n_grid} grid (mass × coupling)")
    columns: list[MassColumn] = [s.column for s in surveys]
    tasks = [(c, a[0]) for c, a in zip(columns, axes, strict=True)]
    profiles: list[ColumnProfile] = list(show(mapper(partial(profile_column, cl), tasks), masses.size, "mass"))
    couplings = np.array([p.couplings for p in profiles]).T  # (coupling, mass)
    chi2 = np.array([p.chi2 for p in profiles]).T
    best = min(profiles, key=lambda p: p.chi2_best)
    if best.chi2_best < chi2_zero and best.best_coupling > 0:
        best_fit: dict[str, Any] = {"g": best.best_coupling, "mass_mev": best.mass_mev, "no_signal": False}
        chi2_min = best.chi2_best
    else:
        best_fit, chi2_min = {"g": 0.0, "mass_mev": None, "no_signal": True}, chi2_zero
    delta = np.maximum(chi2 - chi2_min, 0.0)
    n_profiles = sum(s.couplings.size + 1 for s in surveys) + masses.size * (n_grid + 1)

    log_m, log_g = np.log10(masses), np.log10(couplings)
    # position along each column's couplings, 0 at its lowest and 1 at its highest (the toys' coordinate)
    along = (log_g - log_g[0]) / (log_g[-1] - log_g[0])
    thresholds = np.full(delta.shape, threshold)
    no_signal_critical = threshold
    threshold_grid = None
    if method == "fc":
        picked = np.unique(np.round(np.linspace(0, masses.size - 1, toy_grid)).astype(int))
        steps = np.linspace(0.0, 1.0, toy_grid)
        toy_g = 10.0 ** (log_g[0, picked][None, :] + steps[:, None] * (log_g[-1, picked] - log_g[0, picked]))
        say(f"toys: {n_toys} at each of {picked.size}×{toy_grid} points and at g = 0")
        by_mass = {float(masses[i]): columns[i] for i in picked}
        points_fc = [(float(masses[i]), float(toy_g[r, c])) for r in range(toy_grid) for c, i in enumerate(picked)]
        points_fc.append((float(masses[picked[0]]), 0.0))  # the no-signal point
        units = [ToyUnit(k, m, g, int(n_toys), unit_seed(seed, k)) for k, (m, g) in enumerate(points_fc)]
        # the minimum over the plane of each toy: over FC_CANDIDATES couplings along each toy mass, and g = 0
        candidates = [
            (float(masses[i]), float(g))
            for i in picked
            for g in np.geomspace(couplings[0, i], couplings[-1, i], FC_CANDIDATES)
        ]
        work = partial(mediator_toy_threshold, by_mass, [*candidates, points_fc[-1]], cl)
        values = np.array(list(show(mapper(work, units), len(units), "point")))
        no_signal_critical, values = float(values[-1]), values[:-1].reshape(toy_grid, picked.size)
        n_profiles += len(units) * (len(candidates) + len(LOCAL_STEPS) + 3)
        from scipy.interpolate import RegularGridInterpolator

        interp = RegularGridInterpolator((steps, log_m[picked]), values, bounds_error=False, fill_value=None)
        thresholds = interp(np.stack([along, np.broadcast_to(log_m, along.shape)], axis=-1))
        threshold_grid = {
            "mass_mev": masses[picked].tolist(),
            "g": toy_g.tolist(),
            "threshold": values.tolist(),
            "no_signal_threshold": no_signal_critical,
            "n_toys": n_toys,
            "seed": seed,
            "note": "toy couplings per toy mass (rows: position along the column); thresholds interpolated "
            "along and across the columns; the no-signal point (g = 0) has its own toys; each toy's minimum "
            f"over the plane is taken over {FC_CANDIDATES} couplings along each toy mass and g = 0 "
            "(resolution-limited: q, and the threshold, come out slightly low)",
        }
    # the line Δχ² = threshold is traced on log((Δχ² + ε)/(threshold + ε)): the same sign at every node, and
    # linear in log g between nodes where Δχ² grows as a power of g, while Δχ² itself changes by a factor of
    # ten or more per cell and its linear interpolation would put the edge well inside the region
    level = np.log((delta + LOG_OFFSET) / (thresholds + LOG_OFFSET))
    lines = region_lines(log_m, log_g, level)

    inside = level <= 0.0
    no_signal_inside = bool(chi2_zero - chi2_min <= no_signal_critical)
    open_below = [bool(a[1] and inside[0, j] and no_signal_inside) for j, a in enumerate(axes)]
    open_sides = []
    if inside[:, 0].any():
        open_sides.append(f"mass_mev = {masses[0]:g} (the end of the mass range)")
    if inside[:, -1].any():
        open_sides.append(f"mass_mev = {masses[-1]:g} (the end of the mass range)")
    if any(open_below):
        open_sides.append("g → 0 (no signal: below the grid the region continues to g = 0)")
    if any(inside[0, j] and not open_below[j] for j in range(masses.size)):
        open_sides.append("g = the lowest coupling of a column (the grid ends inside the region)")
    if inside[-1].any():
        open_sides.append("g = the highest coupling of a column (the grid ends inside the region)")

    points: dict[str, dict[str, Any]] = {
        "no_signal": {
            "value": {"g": 0.0, "mass_mev": None},
            "delta_chi2": max(chi2_zero - chi2_min, 0.0),
            "threshold": no_signal_critical,
            "inside": no_signal_inside,
        }
    }
    if not best_fit["no_signal"]:
        j = int(np.flatnonzero(masses == best_fit["mass_mev"])[0])
        t = (math.log10(best_fit["g"]) - log_g[0, j]) / (log_g[-1, j] - log_g[0, j])
        points["best_fit"] = {
            "value": {"g": best_fit["g"], "mass_mev": best_fit["mass_mev"]},
            "delta_chi2": 0.0,
            "threshold": float(np.interp(t, along[:, j], thresholds[:, j])),
            "inside": True,
        }
    one_sided = plr_critical_value(cl, "one")
    limits = {
        "g": {
            "kind": "one-sided profile-likelihood-ratio upper limit on g at each mass",
            "threshold": one_sided,
            "cl": cl,
            "note": f"Δχ² = {one_sided:.3f} above the column's best fit ĝ ≥ 0 (Φ⁻¹({cl:g})², the α ≥ 0 boundary), "
            "as `exonu exclusion --method plr`; the region's edge at a mass lies at Δχ² = "
            f"{threshold:.3f} from the global minimum, so above it",
            "mass_mev": masses.tolist(),
            "limit": [p.limit for p in profiles],
            "best_fit": [p.best_coupling for p in profiles],
        }
    }
    swap = list(order) == ["g", "mass_mev"]
    spec = search.spec_at(float(masses[0]))
    extra = {
        "charges": search.charges,
        "axes": {"mass_mev": "log", "g": "log"},
        "mass_range_mev": [float(masses[0]), float(masses[-1])],
        "grid_note": "curvilinear: each mass has its own log-spaced couplings (the g array has one column per mass"
        + (", transposed to rows per mass" if swap else "")
        + "); delta_chi2 has the shape of the g array",
        "best_fit": {
            **{k: best_fit[k] for k in order},
            "chi2": chi2_min,
            "no_signal": best_fit["no_signal"],
            "mass_resolution": "the best fit's mass is a grid mass (the couplings are refined, the mass is not)",
        },
        "touches_no_signal": any(open_below),
        "open_to_no_signal": {"mass_mev": masses.tolist(), "open": open_below},
        "expected": None,
        "expected_note": "no expected region is drawn for mediators; the one-parameter limits are the comparison",
    }
    return ConfidenceRegion(
        spec,
        (table[order[0]], table[order[1]]),
        cl,
        method,
        threshold,
        tuple(math.nan if best_fit[k] is None else float(best_fit[k]) for k in order),  # type: ignore[arg-type]
        chi2_min,
        couplings.T if swap else masses,
        masses if swap else couplings,
        delta.T if swap else delta,
        [line[:, ::-1] for line in lines] if swap else lines,
        points,
        limits,
        open_sides,
        columns[0].statistic,
        dict(search.data_sources),
        n_profiles,
        threshold_grid,
        extra=extra,
    )
