"""The region of a mediator in its coupling g and mass M: the grid, the threshold and the result.

:func:`mediator_region` runs, through the caller's ``mapper`` (one unit per mass column,
:mod:`.mediator`):

1. the survey: each column's model and χ² on the ladder g_ref · 2^k and at g = 0;
2. the coupling axis: log-spaced from a tenth of the lowest coupling inside the region (or the lower
   edge of an island, if lower) to one ladder step above the highest: one axis for all masses, so the
   region is traced on one rectangular grid in (log M, log g);
3. the grid: each column's χ²_min at every coupling, its best fit ĝ ≥ 0 and its one-sided PLR limit
   (``exonu exclusion --method plr`` at that mass);
4. the threshold: Wilks' χ²₂ quantile (4.605 at 90 %), or the toys of ``method="fc"`` on a coarser
   grid (units too), interpolated in (log M, log g).

g = 0 is the no-signal point, the same at every mass, and it is not on a log axis: a region that
contains it reaches the bottom of the grid at every mass where Δχ²(g) stays under the threshold down
to the grid's lowest coupling; the result says so (``touches_no_signal``, an open side "g → 0") and
the figure says that the region continues below the axis. A region cut by the ends of the mass range
is open there too (nothing was computed beyond them).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ...errors import FitError, InputError
from ...stats import plr_critical_value
from .mediator import ColumnProfile, ColumnSurvey, MassColumn, MediatorSearch, mediator_toy_threshold, profile_column
from .mediator import survey_column as survey_unit
from .parameters import REGION_PARAMETERS, region_threshold
from .problem import ProgressBar
from .region import METHODS, ConfidenceRegion, contour_lines
from .toys import ToyUnit, unit_seed

__all__ = ["coupling_axis", "mediator_region", "region_lines"]

#: The coupling axis reaches this factor below the lowest coupling inside the region (open towards g = 0)
BELOW_LOWEST = 10.0


def coupling_axis(surveys: Sequence[ColumnSurvey], floor: float, reach: float, n: int) -> np.ndarray:
    """``n`` log-spaced couplings covering every column's region {χ² − ``floor`` ≤ ``reach``} with margin.

    Upward: one ladder step (a factor 2) beyond each column's highest coupling inside. Downward: the
    ladder step below an island's lower edge, and a factor :data:`BELOW_LOWEST` below the lowest
    coupling inside any column (where the region continues to g = 0 the bottom rows show it).
    """
    tops, bottoms, lowest_inside = [], [], []
    for s in surveys:
        inside = np.flatnonzero(s.chi2 - floor <= reach)
        if inside.size == 0:
            continue
        tops.append(s.couplings[min(int(inside[-1]) + 1, s.couplings.size - 1)])
        lowest_inside.append(s.couplings[int(inside[-1])])
        if s.chi2_no_signal - floor > reach:  # an island: bracket its lower edge too
            bottoms.append(s.couplings[max(int(inside[0]) - 1, 0)])
    if not tops:  # the minimum lies between ladder points of one column: take the ladders' middle
        tops = [s.couplings[-1] for s in surveys]
        lowest_inside = [s.column.reference for s in surveys]
    top = max(tops)
    bottom = min([*bottoms, min(lowest_inside) / BELOW_LOWEST])
    if not bottom < top:
        bottom = top / 2.0**4
    return np.geomspace(bottom, top, n)


def region_lines(log_x: np.ndarray, log_y: np.ndarray, level: np.ndarray) -> list[np.ndarray]:
    """The lines ``level`` = 0 in (x, y), closed along every edge of the grid the region touches.

    One row (column) outside the region is added half a cell beyond each edge; the lines' points there
    are put back on the edge. The lines are traced in (log x, log y) and returned in (x, y).
    """
    outside = float(np.nanmax(np.abs(level[np.isfinite(level)]))) + 1.0
    dx, dy = log_x[1] - log_x[0], log_y[1] - log_y[0]
    xs = np.concatenate([[log_x[0] - 0.5 * dx], log_x, [log_x[-1] + 0.5 * dx]])
    ys = np.concatenate([[log_y[0] - 0.5 * dy], log_y, [log_y[-1] + 0.5 * dy]])
    padded = np.pad(np.where(np.isfinite(level), level, outside), 1, constant_values=outside)
    lines = contour_lines(xs, ys, padded, 0.0)
    low, high = [log_x[0], log_y[0]], [log_x[-1], log_y[-1]]
    return [10.0 ** np.clip(line, low, high) for line in lines]


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
    masses_mev : sequence of float
        The mass axis in MeV, increasing, log-spaced (e.g. ``mediator_masses(n, lo, hi)``), ≥ 3 masses.
    cl, method, n_toys, toy_grid, seed
        As :func:`~exonu.searches.contour.confidence_region`; the toy grid has ``toy_grid`` masses
        (spread over the columns) × ``toy_grid`` couplings.
    n_grid : int
        Couplings on the coupling axis (≥ 11).
    order : the two parameter names ("mass_mev", "g") in the order of the result's x and y.
    mapper : callable
        ``mapper(function, items)`` yields ``function(item)`` in order: ``map`` (default) or an
        executor's ``map``; each mass column (and each toy-grid point) is one item, seeded apiece, so
        the region does not depend on the mapper.
    phase, progress
        As :func:`~exonu.searches.contour.confidence_region` (progress units ``"mass"`` and ``"point"``).

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
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise InputError(f"{name} must be an integer ≥ {low}; got {value!r}")
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
    couplings = coupling_axis(surveys, min([chi2_zero, *finite]), reach, n_grid)

    say(f"profiling the {masses.size}×{n_grid} grid (mass × coupling)")
    columns: list[MassColumn] = [s.column for s in surveys]
    profiles: list[ColumnProfile] = list(
        show(mapper(partial(profile_column, couplings, cl), columns), masses.size, "mass")
    )
    chi2 = np.array([p.chi2 for p in profiles]).T  # (coupling, mass)
    best = min(profiles, key=lambda p: p.chi2_best)
    if best.chi2_best < chi2_zero and best.best_coupling > 0:
        best_fit: dict[str, Any] = {"g": best.best_coupling, "mass_mev": best.mass_mev, "no_signal": False}
        chi2_min = best.chi2_best
    else:
        best_fit, chi2_min = {"g": 0.0, "mass_mev": None, "no_signal": True}, chi2_zero
    delta = np.maximum(chi2 - chi2_min, 0.0)
    n_profiles = sum(s.couplings.size + 1 for s in surveys) + masses.size * (n_grid + 1)

    log_m, log_g = np.log10(masses), np.log10(couplings)
    critical: Callable[[float, float], float] = lambda m, g: threshold  # noqa: E731
    thresholds = np.full(delta.shape, threshold)
    threshold_grid = None
    if method == "fc":
        picked = np.unique(np.round(np.linspace(0, masses.size - 1, toy_grid)).astype(int))
        toy_masses, toy_couplings = masses[picked], np.geomspace(couplings[0], couplings[-1], toy_grid)
        say(f"toys: {n_toys} at each of {toy_masses.size}×{toy_grid} points")
        by_mass = {float(columns[i].mass_mev): columns[i] for i in picked}
        candidates = [(float(m), float(g)) for g in toy_couplings for m in toy_masses]
        units = [ToyUnit(k, m, g, int(n_toys), unit_seed(seed, k)) for k, (m, g) in enumerate(candidates)]
        work = partial(mediator_toy_threshold, by_mass, [*candidates, (float(toy_masses[0]), 0.0)], cl)
        values = np.array(list(show(mapper(work, units), len(units), "point"))).reshape(toy_grid, toy_masses.size)
        n_profiles += len(units) * (len(candidates) + 3)
        from scipy.interpolate import RegularGridInterpolator

        interp = RegularGridInterpolator(
            (np.log10(toy_couplings), np.log10(toy_masses)), values, bounds_error=False, fill_value=None
        )
        mesh_g, mesh_m = np.meshgrid(log_g, log_m, indexing="ij")
        thresholds = interp(np.stack([mesh_g, mesh_m], axis=-1))
        critical = lambda m, g: float(interp([[math.log10(g), math.log10(m)]])[0])  # noqa: E731
        threshold_grid = {
            "mass_mev": toy_masses.tolist(),
            "g": toy_couplings.tolist(),
            "threshold": values.tolist(),
            "n_toys": n_toys,
            "seed": seed,
            "no_signal_threshold": "the mean over masses of the toy grid's lowest-coupling row (a negligible signal)",
        }
        no_signal_critical = float(np.mean(values[0]))
    else:
        no_signal_critical = threshold
    # the line Δχ² = threshold is traced on log((Δχ² + 1)/(threshold + 1)): the same sign at every node, but
    # nearly linear in log g between nodes (Δχ² grows as a power of g), where Δχ² itself changes by a
    # factor of ten or more per cell and its linear interpolation puts the edge inside the region
    level = np.log((delta + 1.0) / (thresholds + 1.0))
    lines = region_lines(log_m, log_g, level)

    inside = level <= 0.0
    no_signal_inside = chi2_zero - chi2_min <= no_signal_critical
    open_sides = []
    if inside[:, 0].any():
        open_sides.append(f"mass_mev = {masses[0]:g} (the end of the mass range)")
    if inside[:, -1].any():
        open_sides.append(f"mass_mev = {masses[-1]:g} (the end of the mass range)")
    if inside[0].any():
        open_sides.append(
            "g → 0 (no signal: the region continues below the grid to g = 0)"
            if no_signal_inside
            else f"g = {couplings[0]:.3g} (the grid's lowest coupling)"
        )
    if inside[-1].any():
        open_sides.append(f"g = {couplings[-1]:.3g} (the grid's highest coupling)")

    points: dict[str, dict[str, Any]] = {
        "no_signal": {
            "value": {"g": 0.0, "mass_mev": None},
            "delta_chi2": max(chi2_zero - chi2_min, 0.0),
            "threshold": no_signal_critical,
            "inside": bool(no_signal_inside),
        }
    }
    if not best_fit["no_signal"]:
        points["best_fit"] = {
            "value": {"g": best_fit["g"], "mass_mev": best_fit["mass_mev"]},
            "delta_chi2": 0.0,
            "threshold": critical(best_fit["mass_mev"], best_fit["g"]),
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
    x, y = (couplings, masses) if swap else (masses, couplings)
    spec = search.spec_at(float(masses[0]))
    extra = {
        "charges": search.charges,
        "axes": {"mass_mev": "log", "g": "log"},
        "mass_range_mev": [float(masses[0]), float(masses[-1])],
        "best_fit": {
            **{k: best_fit[k] for k in order},
            "chi2": chi2_min,
            "no_signal": best_fit["no_signal"],
            "mass_resolution": "the best fit's mass is a grid mass (the couplings are refined, the mass is not)",
        },
        "touches_no_signal": bool(inside[0].any() and no_signal_inside),
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
        x,
        y,
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
