"""The grid of a region and its widening, and the one-parameter intervals along the axes.

Along each axis a ladder of values (factors of 2 from a sixteenth of the parameter's scale up to its
physical bound) brackets the one-parameter region; a coarse grid over that box is extended on every
side the region touches (an NSI region is an annulus around ε = −(g_L, g_R), reaching far beyond the
one-parameter limits near the SM), and the final grid spans the region's bounding box with a margin of
two coarse cells. The global minimum is refined by a local minimisation from the best grid point.
"""

from __future__ import annotations

import math

import numpy as np

from ...stats import ProfileResult
from .parameters import RegionParameter
from .problem import RegionProblem

__all__ = [
    "COARSE_POINTS",
    "axis_chi2",
    "axis_values",
    "extend_box",
    "final_box",
    "initial_box",
    "one_parameter_interval",
    "refine_minimum",
]

#: Points per axis of the coarse grid that finds the region's extent
COARSE_POINTS = 21
#: Most extensions of the coarse grid towards a side the region touches
MAX_EXTENSIONS = 8
#: The ladder along each axis starts at scale / 2**LADDER_BELOW
LADDER_BELOW = 4


def axis_values(param: RegionParameter) -> np.ndarray:
    """0 and the ladder ±scale·2^k (k ≥ −LADDER_BELOW) up to the parameter's bound, increasing."""
    k_max = math.floor(math.log2(param.maximum / param.scale))
    ladder = param.scale * 2.0 ** np.arange(-LADDER_BELOW, k_max + 1)
    return np.concatenate([[0.0], ladder]) if param.non_negative else np.concatenate([-ladder[::-1], [0.0], ladder])


def axis_chi2(problem: RegionProblem, axis: int, values: np.ndarray, other: float = 0.0) -> np.ndarray:
    """χ²_min along one axis (the other parameter at ``other``), warm-started outward from the middle."""
    out = np.empty(values.size)
    centre = int(np.argmin(np.abs(values)))
    for order in (range(centre, values.size), range(centre - 1, -1, -1)):
        start: ProfileResult | None = None
        for i in order:
            x, y = (values[i], other) if axis == 0 else (other, values[i])
            result = problem.profile_at(float(x), float(y), start)
            if not (result.converged and np.isfinite(result.chi2)):
                result = problem.profile_at(float(x), float(y))
            good = result.converged and np.isfinite(result.chi2)
            out[i] = result.chi2 if good else math.inf
            start = result if good else None
    return out


def initial_box(problem: RegionProblem, threshold: float) -> list[list[float]]:
    """[[x_lo, x_hi], [y_lo, y_hi]]: on each axis, one ladder step beyond the outermost value inside."""
    box = []
    for axis, param in enumerate(problem.params):
        values = axis_values(param)
        delta = axis_chi2(problem, axis, values)
        delta -= np.min(delta)
        inside = np.flatnonzero(delta <= threshold)
        lo = values[max(int(inside[0]) - 1, 0)] if inside.size else values[0]
        hi = values[min(int(inside[-1]) + 1, values.size - 1)] if inside.size else values[-1]
        if lo == hi:
            hi = values[min(int(np.searchsorted(values, hi)) + 1, values.size - 1)]
        box.append([float(lo), float(hi)])
    return box


def extend_box(
    problem: RegionProblem, box: list[list[float]], threshold: float, n: int = COARSE_POINTS
) -> tuple[list[list[float]], np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Extend the box on every side the region touches on a coarse grid (up to the parameter bounds).

    Returns the box, the coarse grid (x, y, χ²) and the sides the region still touches (open sides).
    """
    open_sides: list[str] = []
    for _ in range(MAX_EXTENSIONS + 1):
        xs, ys = np.linspace(box[0][0], box[0][1], n), np.linspace(box[1][0], box[1][1], n)
        chi2 = problem.chi2_grid(xs, ys)
        inside = chi2 - np.min(chi2) <= threshold
        touches = {
            (0, 0): inside[:, 0].any(),
            (0, 1): inside[:, -1].any(),
            (1, 0): inside[0, :].any(),
            (1, 1): inside[-1, :].any(),
        }
        extended, open_sides = False, []
        for (axis, side), touched in touches.items():
            if not touched:
                continue
            param = problem.params[axis]
            width = box[axis][1] - box[axis][0]
            bound = param.maximum if side else param.lower_bound
            new = box[axis][side] + (0.5 * width if side else -0.5 * width)
            new = min(new, bound) if side else max(new, bound)
            if new != box[axis][side]:
                box[axis][side], extended = new, True
            elif not (param.non_negative and side == 0):  # 0 of a magnitude is a physical boundary, not an open side
                open_sides.append(f"{param.name} = {bound:g}")
        if not extended:
            return box, xs, ys, chi2, open_sides
    return box, xs, ys, chi2, [*open_sides, "the coarse grid's extension limit"]


def final_box(
    problem: RegionProblem, xs: np.ndarray, ys: np.ndarray, chi2: np.ndarray, threshold: float
) -> list[list[float]]:
    """The bounding box of the coarse region with two coarse cells of margin (within the bounds)."""
    inside = chi2 - np.min(chi2) <= threshold
    rows, cols = np.nonzero(inside)
    box = []
    for axis, (grid, idx) in enumerate(((xs, cols), (ys, rows))):
        step = grid[1] - grid[0]
        param = problem.params[axis]
        lo = max(grid[int(idx.min())] - 2 * step, param.lower_bound)
        hi = min(grid[int(idx.max())] + 2 * step, param.maximum)
        box.append([float(lo), float(hi)])
    return box


def refine_minimum(
    problem: RegionProblem, xs: np.ndarray, ys: np.ndarray, chi2: np.ndarray
) -> tuple[float, float, float]:
    """The global minimum (x, y, χ²): Nelder–Mead from the best grid point, in units of one grid cell."""
    from scipy.optimize import minimize

    j, i = np.unravel_index(int(np.argmin(chi2)), chi2.shape)
    x0, y0 = float(xs[i]), float(ys[j])
    dx, dy = float(xs[1] - xs[0]), float(ys[1] - ys[0])
    bounds = [
        ((p.lower_bound - c) / d, (p.maximum - c) / d)
        for p, c, d in zip(problem.params, (x0, y0), (dx, dy), strict=True)
    ]

    def objective(uv: np.ndarray) -> float:
        return problem.chi2(x0 + float(uv[0]) * dx, y0 + float(uv[1]) * dy)

    best = minimize(
        objective,
        np.zeros(2),
        method="Nelder-Mead",
        bounds=bounds,
        options={"xatol": 1e-4, "fatol": 1e-8, "maxfev": 400, "initial_simplex": [[0, 0], [0.5, 0], [0, 0.5]]},
    )
    if best.fun < chi2[j, i]:
        return x0 + float(best.x[0]) * dx, y0 + float(best.x[1]) * dy, float(best.fun)
    return x0, y0, float(chi2[j, i])


def one_parameter_interval(
    problem: RegionProblem, axis: int, threshold: float
) -> tuple[float | None, float | None, float]:
    """The two-sided interval of one parameter with the other at 0 (its SM value): Δχ² ≤ ``threshold``.

    The Δχ² is taken against the minimum along that axis; the interval is the connected piece around
    it. Returns (lower, upper, best) with None for an end beyond the parameter's bound.
    """
    from scipy.optimize import brentq, minimize_scalar

    param = problem.params[axis]
    values = axis_values(param)
    chi2 = axis_chi2(problem, axis, values)
    k = int(np.argmin(chi2))

    def along(t: float) -> float:
        return problem.chi2(t, 0.0) if axis == 0 else problem.chi2(0.0, t)

    lo_v, hi_v = values[max(k - 1, 0)], values[min(k + 1, values.size - 1)]
    best = minimize_scalar(along, bounds=(lo_v, hi_v), method="bounded", options={"xatol": 1e-6 * param.scale})
    t_best, f_best = (float(best.x), float(best.fun)) if best.fun < chi2[k] else (float(values[k]), float(chi2[k]))
    ends: list[float | None] = []
    for direction in (-1, 1):
        inner = t_best
        end: float | None = None
        for t in values[::direction]:
            if (t - t_best) * direction <= 0:
                continue
            if along(float(t)) - f_best > threshold:
                end = brentq(lambda s: along(s) - f_best - threshold, inner, float(t), xtol=1e-6 * param.scale)
                break
            inner = float(t)
        if end is None and param.non_negative and direction < 0:
            end = 0.0
        ends.append(end)
    return ends[0], ends[1], t_best
