"""Input checks shared by the statistics layer: arrays, confidence levels, toy and grid counts.

Every check raises :class:`~exonu.errors.InputError` with one line naming the argument to fix.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError

__all__ = ["as_array", "check_cl", "check_n_grid", "check_n_toys", "require_finite", "require_nonnegative"]


def as_array(value: object, name: str, ndim: int, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Convert ``value`` to a read-only float array of the given rank and shape, or raise InputError."""
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be numeric array-like; got {type(value).__name__}: {exc}") from None
    if arr.ndim != ndim:
        raise InputError(f"{name} must be {ndim}-dimensional; got shape {arr.shape}")
    if shape is not None and arr.shape != shape:
        raise InputError(f"{name} must have shape {shape}; got {arr.shape}")
    arr.setflags(write=False)
    return arr


def require_finite(arr: np.ndarray, name: str) -> None:
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise InputError(f"{name} must be finite; found {arr[tuple(bad)]} at index {tuple(int(b) for b in bad)}")


def require_nonnegative(arr: np.ndarray, name: str) -> None:
    if np.any(arr < 0):
        bad = np.argwhere(arr < 0)[0]
        raise InputError(f"{name} must be non-negative; found {arr[tuple(bad)]} at index {tuple(int(b) for b in bad)}")


def check_n_toys(n_toys: object) -> int:
    """``n_toys`` must be a non-negative integer."""
    if isinstance(n_toys, bool) or not isinstance(n_toys, (int, np.integer)) or n_toys < 0:
        raise InputError(f"n_toys must be a non-negative integer; got {n_toys!r}")
    return int(n_toys)


def check_n_grid(n_grid: object) -> int:
    """``n_grid`` (points of a profile scan) must be an integer ≥ 8: the spline through them needs a few."""
    if isinstance(n_grid, bool) or not isinstance(n_grid, (int, np.integer)) or n_grid < 8:
        raise InputError(f"n_grid must be an integer >= 8 (points of the profile scan); got {n_grid!r}")
    return int(n_grid)


def check_cl(cl: object) -> float:
    """``cl`` must be a number in (0.5, 1)."""
    if not (isinstance(cl, (float, int)) and 0.5 < float(cl) < 1.0):
        raise InputError(f"cl must be a number in (0.5, 1); got {cl!r}")
    return float(cl)
