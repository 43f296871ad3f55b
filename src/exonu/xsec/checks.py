"""Range checks shared by the interaction classes: every bad physics argument is an :class:`InputError`.

The bounds are physical, not numerical conveniences: a coupling above √(4π) is non-perturbative (and its
fourth power would overflow the cross section for absurd inputs such as 1e200), a mediator heavier than
10⁵ MeV is a contact interaction (use the NSI model), sin²θ_W must lie in (0, 1).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Real

from ..errors import InputError

#: Largest dimensionless coupling accepted: the perturbative bound g²/4π ≤ 1
MAX_COUPLING = math.sqrt(4.0 * math.pi)
#: Largest mediator mass in MeV; heavier mediators act as contact (NSI) interactions at Q² ≤ 0.1 MeV²
MAX_MEDIATOR_MASS_MEV = 1.0e5


def real_number(
    name: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    unit: str = "",
) -> float:
    """``value`` as a float, or :class:`InputError` if it is not a finite real number in [low, high].

    Parameters
    ----------
    name : str
        Parameter name used in the message (e.g. ``"coupling g"``).
    value : object
        The argument to check (bool and strings are refused).
    low, high : float, optional
        Inclusive bounds; ``low_open=True`` makes the lower bound exclusive.
    unit : str
        Unit shown in the message.
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InputError(f"{name} must be a real number{' in ' + unit if unit else ''}; got {value!r}")
    x = float(value)
    suffix = f" {unit}" if unit else ""
    if not math.isfinite(x):
        raise InputError(f"{name} must be finite; got {value!r}")
    if low is not None and (x < low or (low_open and x == low)):
        relation = ">" if low_open else "≥"
        raise InputError(f"{name} must be {relation} {low:g}{suffix}; got {x:g}")
    if high is not None and x > high:
        raise InputError(f"{name} must be ≤ {high:g}{suffix}; got {x:g}")
    return x


def coupling(name: str, value: object) -> float:
    """A non-negative dimensionless coupling within the perturbative bound √(4π)."""
    return real_number(name, value, low=0.0, high=MAX_COUPLING)


def mediator_mass_mev(value: object) -> float:
    """A mediator mass in MeV, 0 < M ≤ 10⁵ MeV."""
    return real_number("mediator mass", value, low=0.0, low_open=True, high=MAX_MEDIATOR_MASS_MEV, unit="MeV")


def sin2_theta_w(value: object) -> float:
    """The weak mixing angle sin²θ_W, strictly inside (0, 1)."""
    x = real_number("sin2_theta_w", value, low=0.0, low_open=True, high=1.0)
    if x == 1.0:
        raise InputError("sin2_theta_w must be < 1; got 1")
    return x


def flavour_tuple(value: object, flavours_known: tuple[str, ...]) -> tuple[str, ...]:
    """A non-empty tuple of known, distinct neutrino flavours."""
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, Iterable):
        raise InputError(f"flavours must be a sequence of {flavours_known}; got {value!r}")
    out = tuple(value)
    if not out:
        raise InputError(f"flavours must name at least one of {flavours_known}; got an empty list")
    unknown = [f for f in out if f not in flavours_known]
    if unknown:
        raise InputError(f"unknown flavour {unknown[0]!r}; expected one of {flavours_known}")
    if len(set(out)) != len(out):
        raise InputError(f"flavours must be distinct; got {out}")
    return out
