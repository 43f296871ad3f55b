"""Exceptions raised by exonu, and the argument checks that raise them.

Every error a user can trigger derives from :class:`ExonuError`, so a caller (and the CLI) can catch
one type. Messages say what was wrong and what was expected, naming the file, key or flag involved,
on one line.

The ``check_*`` helpers turn an argument of a public function into a clean value or raise
:class:`InputError` naming the argument: wrong type, NaN/inf, out of range. They exist so that no public
function lets a ``TypeError``, ``ValueError`` or ``AttributeError`` from numpy or Python escape for a
bad argument, and so that no NaN input silently becomes a NaN result.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # NumPy is imported where it is used: `import exonu` and the CLI's parser stay light
    import numpy as np


class ExonuError(Exception):
    """Base class of every error exonu raises on bad input or a failed computation."""


class InputError(ExonuError, ValueError):
    """A value passed to a function is invalid (negative energy, unknown name, missing parameter)."""


class OutOfRangeError(InputError):
    """A value lies outside the range where a table or model is defined (no silent extrapolation)."""


class ConfigError(ExonuError):
    """A configuration or data file is malformed: the message names the file and the key."""


class FitError(ExonuError):
    """A fit or limit computation did not converge or is otherwise not trustworthy."""


class OutputError(ExonuError):
    """An output file or folder cannot be written (not writable, a directory, disk full); nothing was replaced."""


def _describe(value: object) -> str:
    """A short, one-line rendering of a bad value for an error message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_float(
    value: object,
    name: str,
    *,
    lower: float | None = None,
    upper: float | None = None,
    lower_inclusive: bool = True,
    upper_inclusive: bool = True,
) -> float:
    """Return ``value`` as a finite float inside the given bounds, else raise :class:`InputError`.

    Parameters
    ----------
    value : real number
        The argument to check. Booleans and strings are refused (``"1e-11"`` is a quoting mistake,
        not a number).
    name : str
        Argument name used in the message, with its unit, e.g. ``"endpoint_kev"``.
    lower, upper : float, optional
        Bounds; inclusive unless ``lower_inclusive``/``upper_inclusive`` is False.

    Returns
    -------
    float
    """
    import numpy as np

    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InputError(f"{name} must be a real number; got {_describe(value)}")
    try:
        x = float(value)
    except (OverflowError, ValueError):  # e.g. a Python int beyond the float range
        raise InputError(f"{name} is too large for a float; got {_describe(value)}") from None
    if not math.isfinite(x):
        raise InputError(f"{name} must be finite; got {x}")
    if lower is not None and (x < lower or (x == lower and not lower_inclusive)):
        raise InputError(f"{name} must be {'≥' if lower_inclusive else '>'} {lower:g}; got {x:g}")
    if upper is not None and (x > upper or (x == upper and not upper_inclusive)):
        raise InputError(f"{name} must be {'≤' if upper_inclusive else '<'} {upper:g}; got {x:g}")
    return x


def check_int(value: object, name: str, *, lower: int | None = None, upper: int | None = None) -> int:
    """Return ``value`` as an int inside [lower, upper], else raise :class:`InputError`.

    Integral floats (``3.0``) are refused as well as booleans: a count or an order is an integer.
    """
    import numpy as np

    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise InputError(f"{name} must be an integer; got {_describe(value)}")
    n = int(value)
    if lower is not None and n < lower:
        raise InputError(f"{name} must be ≥ {lower}; got {n}")
    if upper is not None and n > upper:
        raise InputError(f"{name} must be ≤ {upper}; got {n}")
    return n


def check_count(value: object, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an int ≥ ``minimum`` (a count, a grid size, a seed), else raise :class:`InputError`.

    Booleans and floats are refused; the message reads "``name`` must be an integer ≥ ``minimum``".
    """
    import numpy as np

    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(f"{name} must be an integer ≥ {minimum}; got {value!r}")
    return int(value)


def check_float_array(
    values: object,
    name: str,
    *,
    lower: float | None = None,
    upper: float | None = None,
    lower_inclusive: bool = True,
    allow_empty: bool = False,
) -> np.ndarray:
    """Return ``values`` as a float ndarray with every element finite and inside the bounds.

    Parameters
    ----------
    values : array_like of real numbers
        Scalars give a 0-d array. Strings, objects and ragged lists are refused.
    name : str
        Argument name (with its unit) used in the message.
    lower, upper : float, optional
        Bounds on every element; ``lower`` is exclusive if ``lower_inclusive`` is False.
    allow_empty : bool
        Whether an empty array is acceptable.

    Returns
    -------
    ndarray of float
    """
    import numpy as np

    if isinstance(values, (str, bytes)):
        raise InputError(f"{name} must be numbers; got the string {_describe(values)}")
    try:
        arr = np.asarray(values)
        if arr.dtype.kind not in "biuf":
            raise TypeError
        arr = arr.astype(float)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"{name} must be an array of real numbers; got {_describe(values)}") from None
    if arr.size == 0 and not allow_empty:
        raise InputError(f"{name}: no values given")
    bad = ~np.isfinite(arr)
    if np.any(bad):
        raise InputError(f"{name} must be finite; got {arr[bad][:3].tolist()}")
    if lower is not None:
        below = arr < lower if lower_inclusive else arr <= lower
        if np.any(below):
            raise InputError(
                f"{name} must be {'≥' if lower_inclusive else '>'} {lower:g}; got {arr[below][:3].tolist()}"
            )
    if upper is not None and np.any(arr > upper):
        raise InputError(f"{name} must be ≤ {upper:g}; got {arr[arr > upper][:3].tolist()}")
    return arr


def check_choice(value: object, name: str, choices: Collection[str]) -> str:
    """Return ``value`` if it is one of the string ``choices``, else raise :class:`InputError` listing them."""
    if not isinstance(value, str) or value not in choices:
        raise InputError(f"unknown {name} {_describe(value)}; expected one of {list(choices)}")
    return value
