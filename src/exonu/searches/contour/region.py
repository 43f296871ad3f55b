"""The region search: the grid, the threshold (Wilks or toys), the contour lines and the result.

:func:`confidence_region` runs the stages of :mod:`.grid` (extent, final grid, minimum), sets the
threshold (Wilks' χ²₂ quantile, or the toys of :mod:`.toys` run through the caller's ``mapper``), traces
the lines q = threshold (contourpy) and returns a :class:`ConfidenceRegion`, whose ``to_dict`` is the
JSON of ``exonu contour``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from ...errors import FitError, InputError, check_count
from ..spec import SearchSpec
from .grid import COARSE_POINTS, extend_box, final_box, initial_box, one_parameter_interval, refine_minimum
from .parameters import RegionParameter, interval_threshold, region_threshold
from .problem import ProgressBar, RegionProblem
from .toys import ToyUnit, profiles_per_unit, toy_threshold, unit_seed

__all__ = [
    "METHODS",
    "ConfidenceRegion",
    "closed_contour_lines",
    "confidence_region",
    "contour_lines",
    "expected_region",
    "method_description",
]

#: Points per axis of the expected region's grid (at most the observed grid's): coarser, to keep its cost
#: near a tenth of the observed region's
EXPECTED_GRID = 21

#: How the threshold of the region is set: Wilks' χ²₂ quantile, or toys at each point (Feldman–Cousins)
METHODS = ("wilks", "fc")


@dataclass
class ConfidenceRegion:
    """A two-parameter region and how it was made (``to_dict`` is the JSON of ``exonu contour``)."""

    spec: SearchSpec
    params: tuple[RegionParameter, RegionParameter]
    cl: float
    method: str
    threshold: float  # Wilks' threshold (the region's for "wilks"; for "fc" the asymptotic reference)
    best_fit: tuple[float, float]
    chi2_min: float
    x: np.ndarray
    y: np.ndarray
    delta_chi2: np.ndarray  # (len(y), len(x))
    contours: list[np.ndarray]
    points: dict[str, dict[str, Any]]  # "best_fit", "standard_model": value, Δχ², inside
    intervals: dict[str, dict[str, Any]]
    open_sides: list[str]
    statistic: str
    data_sources: dict[str, str]
    n_profiles: int
    threshold_grid: dict[str, Any] | None = None  # fc: the toy grid and its thresholds
    #: the expected region: the same threshold on the background-only Asimov data (see :func:`expected_region`)
    expected_contours: list[np.ndarray] = field(default_factory=list)
    expected: dict[str, Any] | None = None
    #: keys that replace or add to the JSON (a mediator's region: its axes, best fit, the no-signal boundary)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def closed(self) -> bool:
        """Every contour line closes on itself inside the grid, and the region reaches no parameter bound."""
        return bool(self.contours) and not self.open_sides and all(np.allclose(c[0], c[-1]) for c in self.contours)

    def to_dict(self) -> dict[str, Any]:
        names = [p.name for p in self.params]
        return {
            "signal": self.spec.model,
            "params": names,
            "units": {p.name: p.unit for p in self.params},
            "flavours": list(self.spec.flavours),
            "cl": self.cl,
            "method": self.method,
            "method_description": method_description(self.method, self.cl, self.threshold),
            "threshold": self.threshold if self.method == "wilks" else None,
            "wilks_threshold": self.threshold,
            "statistic": self.statistic,
            "best_fit": {**dict(zip(names, self.best_fit, strict=True)), "chi2": self.chi2_min},
            "closed": self.closed,
            "open_sides": self.open_sides,
            "extent": {
                n: [float(min(c[:, a].min() for c in self.contours)), float(max(c[:, a].max() for c in self.contours))]
                if self.contours
                else None
                for a, n in enumerate(names)
            },
            "contours": [c.tolist() for c in self.contours],
            "points": self.points,
            "one_parameter_intervals": self.intervals,
            "grid": {"x": self.x.tolist(), "y": self.y.tolist(), "delta_chi2": self.delta_chi2.tolist()},
            "threshold_grid": self.threshold_grid,
            "expected_contours": [c.tolist() for c in self.expected_contours],
            "expected": self.expected,
            "data": self.data_sources,
            "n_profiles": self.n_profiles,
            **self.extra,
        }


def method_description(method: str, cl: float, threshold: float) -> str:
    """One sentence on how the region's threshold was set."""
    if method == "wilks":
        return (
            f"profile likelihood ratio, nuisances profiled at every point; region Δχ² ≤ {threshold:.3f} "
            f"(Wilks, χ² with 2 degrees of freedom at {cl:.0%})"
        )
    return (
        f"profile likelihood ratio with a toy-calibrated threshold per point (Feldman–Cousins ordering, "
        f"nuisances fitted at the point); Wilks' {threshold:.3f} for comparison"
    )


def contour_lines(x: np.ndarray, y: np.ndarray, z: np.ndarray, level: float) -> list[np.ndarray]:
    """The level-``level`` lines of z on the grid (contourpy), each an (n, 2) array of (x, y)."""
    import contourpy

    gen = contourpy.contour_generator(x, y, np.where(np.isfinite(z), z, np.nanmax(z[np.isfinite(z)]) + 1.0))
    return [np.asarray(line, dtype=float) for line in gen.lines(level)]


def closed_contour_lines(
    params: tuple[RegionParameter, RegionParameter], xs: np.ndarray, ys: np.ndarray, level: np.ndarray
) -> list[np.ndarray]:
    """The lines level = 0, closed along a magnitude's physical boundary at 0 (μ, q ≥ 0).

    Where the grid starts at the boundary, one row (column) outside the region is added half a cell
    beyond it, and the lines' points there are put back on the boundary.
    """
    outside = float(np.nanmax(np.abs(level[np.isfinite(level)]))) + 1.0
    if params[0].non_negative and xs[0] == 0.0:
        xs = np.concatenate([[-0.5 * (xs[1] - xs[0])], xs])
        level = np.hstack([np.full((level.shape[0], 1), outside), level])
    if params[1].non_negative and ys[0] == 0.0:
        ys = np.concatenate([[-0.5 * (ys[1] - ys[0])], ys])
        level = np.vstack([np.full((1, level.shape[1]), outside), level])
    return [
        np.maximum(line, [params[0].lower_bound, params[1].lower_bound]) for line in contour_lines(xs, ys, level, 0.0)
    ]


def confidence_region(
    problem: RegionProblem,
    *,
    cl: float = 0.9,
    method: str = "wilks",
    n_grid: int = 61,
    n_toys: int = 100,
    toy_grid: int = 9,
    seed: int = 0,
    n_coarse: int = COARSE_POINTS,
    mapper: Callable[[Callable[[ToyUnit], float], list[ToyUnit]], Iterable[float]] = map,
    phase: Callable[[str], None] | None = None,
    progress: ProgressBar | None = None,
    expected_grid: int = EXPECTED_GRID,
) -> ConfidenceRegion:
    """The ``cl`` region of ``problem``'s two parameters (see the module docstring).

    Parameters
    ----------
    problem : RegionProblem
    cl : float
        Confidence level in (0, 1).
    method : {"wilks", "fc"}
        Wilks' χ²₂ threshold, or toys at each point of a ``toy_grid`` × ``toy_grid`` grid over the
        region's box (``n_toys`` each), interpolated onto the fine grid.
    n_grid : int
        Points per axis of the final grid (≥ 11).
    seed : int
        Seed of the toys (each toy-grid point gets its own stream).
    n_coarse : int
        Points per axis of the coarse grid that finds the region's extent (≥ 7).
    mapper : callable
        ``mapper(function, units)`` runs :func:`~exonu.searches.contour.toys.toy_threshold` on every
        toy-grid point and yields the thresholds in the order of ``units``: the built-in ``map`` (default,
        in this process) or an executor's ``map`` (``exonu.parallel.executor_for(jobs=...).map``, local
        processes or Dask). Each unit is seeded apiece, so the region does not depend on the mapper.
    phase : callable, optional
        Called with a one-line description at the start of each phase (the CLI prints it on a terminal).
    progress : callable, optional
        ``progress(items, total, unit)`` wraps the rows of the final grid (unit ``"row"``) and the
        thresholds of the toy grid as they arrive (unit ``"point"``), e.g. a tqdm bar; default none.
    expected_grid : int
        Points per axis of the expected region's grid (:func:`expected_region`; at most ``n_grid``,
        ≥ 7), or 0 for no expected region.

    Raises
    ------
    InputError
        A bad method, level or grid size.
    FitError
        No point of the grid could be fitted.
    """
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    threshold = region_threshold(cl)
    for name, value, low in (
        ("n_grid", n_grid, 11),
        ("n_toys", n_toys, 10),
        ("toy_grid", toy_grid, 3),
        ("n_coarse", n_coarse, 7),
        *([("expected_grid", expected_grid, 7)] if expected_grid != 0 else []),
    ):
        check_count(value, name, low)
    # the toy threshold may exceed Wilks': find the extent with some margin
    reach = threshold * (1.5 if method == "fc" else 1.0)
    say = phase or (lambda text: None)
    say("finding the region's extent (axis ladders, coarse grid)")
    box = initial_box(problem, reach)
    box, cx, cy, coarse, open_sides = extend_box(problem, box, reach, n_coarse)
    if not np.any(np.isfinite(coarse)):
        raise FitError("no point of the grid could be fitted: check the data and the detector model")
    box = final_box(problem, cx, cy, coarse, reach)
    xs, ys = np.linspace(box[0][0], box[0][1], n_grid), np.linspace(box[1][0], box[1][1], n_grid)
    say(f"profiling the {n_grid}×{n_grid} grid")
    chi2 = problem.chi2_grid(xs, ys, progress=progress)
    bx, by, chi2_min = refine_minimum(problem, xs, ys, chi2)
    chi2_sm = problem.chi2(0.0, 0.0)
    if chi2_sm < chi2_min:  # the SM point may be off the grid's nodes; the minimum is the lowest point seen
        bx, by, chi2_min = 0.0, 0.0, chi2_sm
    delta = np.maximum(chi2 - chi2_min, 0.0)

    threshold_grid = None
    level = delta - threshold
    critical: Callable[[float, float], float] = lambda x, y: threshold  # noqa: E731
    if method == "fc":
        say(f"toys: {n_toys} at each of {toy_grid}×{toy_grid} points")
        tx, ty = np.linspace(box[0][0], box[0][1], toy_grid), np.linspace(box[1][0], box[1][1], toy_grid)
        candidates = [(float(a), float(b)) for b in ty for a in tx]
        units = [ToyUnit(k, a, b, int(n_toys), unit_seed(seed, k)) for k, (a, b) in enumerate(candidates)]
        finished = mapper(partial(toy_threshold, problem, candidates, cl), units)
        if progress is not None:
            finished = progress(finished, len(units), "point")
        values = np.array(list(finished)).reshape(toy_grid, toy_grid)
        problem.n_profiles += len(units) * profiles_per_unit(len(candidates))
        from scipy.interpolate import RegularGridInterpolator

        interp = RegularGridInterpolator((ty, tx), values, bounds_error=False, fill_value=None)
        mesh_y, mesh_x = np.meshgrid(ys, xs, indexing="ij")
        level = delta - interp(np.stack([mesh_y, mesh_x], axis=-1))
        critical = lambda x, y: float(interp([[y, x]])[0])  # noqa: E731
        threshold_grid = {
            "x": tx.tolist(),
            "y": ty.tolist(),
            "threshold": values.tolist(),
            "n_toys": n_toys,
            "seed": seed,
        }
    contours = closed_contour_lines(problem.params, xs, ys, level)

    points: dict[str, dict[str, Any]] = {}
    marked: list[tuple[str, float, float, float]] = [
        ("best_fit", bx, by, chi2_min),
        ("standard_model", 0.0, 0.0, chi2_sm),
    ]
    for label, px, py, chi2_point in marked:
        q_point = max(chi2_point - chi2_min, 0.0)
        points[label] = {
            "value": [px, py],
            "delta_chi2": q_point,
            "threshold": critical(px, py),
            "inside": q_point <= critical(px, py),
        }
    expected_contours: list[np.ndarray] = []
    expected = None
    if expected_grid:
        n_expected = min(int(expected_grid), n_grid)
        say(f"expected region: background-only Asimov data on a {n_expected}×{n_expected} grid")
        expected_contours, expected = expected_region(problem, box, n_expected, critical, (bx, by), progress)
    say("one-parameter intervals")
    one = interval_threshold(cl)
    intervals = {}
    for axis, param in enumerate(problem.params):
        lo, hi, best = one_parameter_interval(problem, axis, one)
        other = problem.params[1 - axis].name
        intervals[param.name] = {
            "interval": [lo, hi],
            "best_fit": best,
            "threshold": one,
            "note": f"{other} fixed at 0; Δχ² against the minimum along that line (χ²₁ at {cl:.0%}), "
            "as `exonu fit --interval two-sided`",
        }
    return ConfidenceRegion(
        problem.spec,
        problem.params,
        cl,
        method,
        threshold,
        (bx, by),
        chi2_min,
        xs,
        ys,
        delta,
        contours,
        points,
        intervals,
        open_sides,
        problem.statistic,
        dict(problem.data_sources),
        problem.n_profiles,
        threshold_grid,
        expected_contours,
        expected,
    )


def expected_region(
    problem: RegionProblem,
    box: Sequence[Sequence[float]],
    n_grid: int,
    critical: Callable[[float, float], float],
    best_fit: tuple[float, float],
    progress: ProgressBar | None = None,
) -> tuple[list[np.ndarray], dict[str, Any]]:
    """The region the background-only Asimov data give with the observed region's threshold.

    The Asimov data are each detector's expectation with no signal and every nuisance at its prior
    centre (:meth:`RegionProblem.asimov` at (0, 0)); Δχ² is profiled on an ``n_grid`` × ``n_grid`` grid
    over the observed region's ``box`` and compared with ``critical(x, y)``, the observed region's
    threshold at each point (Wilks' constant, or the toy thresholds of ``--method fc``).

    Returns the closed lines and the JSON record: data, grid, whether it closes, and the Asimov Δχ² at
    the Standard-Model point (0 by construction: those data are the SM expectation) and at the
    observed best fit (how strongly background-only data of this sensitivity would disfavour it).
    """
    asimov = problem.with_data(problem.asimov(0.0, 0.0), source="Asimov background-only (SIMULATED)")
    xs, ys = np.linspace(box[0][0], box[0][1], n_grid), np.linspace(box[1][0], box[1][1], n_grid)
    chi2 = asimov.chi2_grid(xs, ys, progress=progress)
    finite = chi2[np.isfinite(chi2)]
    if finite.size == 0:
        raise FitError("no point of the expected region's grid could be fitted on the Asimov data")
    chi2_sm = asimov.chi2(0.0, 0.0)
    chi2_min = min(float(finite.min()), chi2_sm)
    delta = np.maximum(chi2 - chi2_min, 0.0)
    mesh_y, mesh_x = np.meshgrid(ys, xs, indexing="ij")
    thresholds = np.vectorize(critical)(mesh_x, mesh_y)
    lines = closed_contour_lines(problem.params, xs, ys, delta - thresholds)
    problem.n_profiles += asimov.n_profiles
    record = {
        "data": "Asimov background-only: each detector's expectation with no signal, nuisances at their priors",
        "threshold": "the observed region's (the same Δχ² threshold at each point)",
        "grid": {"x": xs.tolist(), "y": ys.tolist(), "delta_chi2": delta.tolist()},
        "grid_note": f"{n_grid}×{n_grid} points over the observed region's box (coarser than the observed grid)",
        "closed": bool(lines) and all(np.allclose(c[0], c[-1]) for c in lines),
        "delta_chi2_at_standard_model": max(chi2_sm - chi2_min, 0.0),
        "delta_chi2_at_best_fit": max(asimov.chi2(*best_fit) - chi2_min, 0.0),
        "n_profiles": asimov.n_profiles,
    }
    return lines, record
