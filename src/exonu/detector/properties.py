"""The four detector properties behind the response of Eq. (3) of arXiv:2005.11891, each a small typed object.

* **energy scale** (:class:`EnergyScale`): mean reconstructed energy E_rec(T) = r(T)·T (scintillation
  non-linearity, default r = 1) and its fractional uncertainty δ(T) (the ±1σ "scale" templates);
* **resolution** (:class:`ParametricResolution` or :class:`TableResolution`): Gaussian smearing with
  σ(E) evaluated at the mean reconstructed energy;
* **efficiency** (:class:`LogisticEfficiency`, :class:`TableEfficiency`, :class:`ConstantEfficiency`);
* the table helpers they share (linear interpolation that refuses to extrapolate unless ``extend="flat"``).

The threshold, the exposure and the folding matrix built from these are in :mod:`.response`.

References
----------
XMASS Collaboration, K. Abe et al., Phys. Lett. B 809 (2020) 135741, arXiv:2005.11891, Eq. (3) and §3.1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike

from ..errors import ConfigError, InputError, OutOfRangeError, check_float
from .binning import raise_bad_input

__all__ = [
    "EXTEND_MODES",
    "ConstantEfficiency",
    "Efficiency",
    "EnergyScale",
    "LogisticEfficiency",
    "ParametricResolution",
    "Resolution",
    "TableEfficiency",
    "TableResolution",
    "check_extend",
]

# Largest resolution coefficient accepted (a in keV^½, b, c in keV): σ is then ≥ 10⁶ keV, nothing is resolved
_MAX_RESOLUTION_TERM = 1e6


# ------------------------------------------------------------------------------------------------
# small table helper: interpolation that refuses to extrapolate
# ------------------------------------------------------------------------------------------------
def _checked_table(
    x: ArrayLike | None, y: ArrayLike | None, what: str, key: str, error: type[Exception] = ConfigError
) -> tuple[np.ndarray, np.ndarray]:
    try:
        x, y = np.asarray(x, dtype=float).reshape(-1), np.asarray(y, dtype=float).reshape(-1)
    except (TypeError, ValueError, OverflowError):
        raise_bad_input(f"{what} table must be numbers (keV and values); got {x!r:.40}, {y!r:.40}", key, error)
    if x.size < 2 or x.size != y.size:
        raise_bad_input(
            f"{what} table needs ≥ 2 rows with one value per energy; got {x.size} energies, {y.size} values", key, error
        )
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise_bad_input(f"{what} table contains non-finite values", key, error)
    if np.any(np.diff(x) <= 0):
        i = int(np.argmax(np.diff(x) <= 0))
        raise_bad_input(
            f"{what} table energies must be strictly increasing; row {i + 1} ({x[i + 1]} keV) after {x[i]} keV",
            key,
            error,
        )
    return x, y


#: how a table may be continued beyond its first and last rows
EXTEND_MODES = ("none", "flat")


def check_extend(extend: str, source: str) -> None:
    """Refuse an unknown ``extend`` mode (``"none"``: no extrapolation; ``"flat"``: hold the end values)."""
    if extend not in EXTEND_MODES:
        raise InputError(f"{source}: extend must be one of {EXTEND_MODES}; got {extend!r}")


def _interp_in_range(
    e: ArrayLike, x: np.ndarray, y: np.ndarray, what: str, source: str, extend: str = "none"
) -> np.ndarray:
    e = np.asarray(e, dtype=float)
    if extend == "flat":  # the config asked for it; the loader records it in the setup's extrapolations
        return np.interp(e, x, y)
    tol = 1e-9 * max(1.0, abs(x[-1]))
    if e.size and (np.min(e) < x[0] - tol or np.max(e) > x[-1] + tol):
        raise OutOfRangeError(
            f"{source}: {what} is tabulated for {x[0]:g}–{x[-1]:g} keV but is needed at "
            f"{np.min(e):g}–{np.max(e):g} keV; extend the table or narrow the window (no extrapolation)"
        )
    return np.interp(e, x, y)


# ------------------------------------------------------------------------------------------------
# what a resolution and an efficiency are (the classes below implement these; a user may add more)
# ------------------------------------------------------------------------------------------------
class Resolution(Protocol):
    """A Gaussian energy resolution σ(E), as :class:`DetectorModel` uses it.

    Implemented by :class:`ParametricResolution` and :class:`TableResolution`.
    """

    def sigma_kev(self, e_kev: ArrayLike) -> np.ndarray:
        """σ in keV at reconstructed energy ``e_kev`` (keV), same shape as ``e_kev``."""
        ...

    def scaled(self, factor: float) -> Resolution:
        """The same resolution with σ multiplied by ``factor`` (the ±1σ resolution templates)."""
        ...

    def describe(self) -> str:
        """One line with the formula or table and its parameters, for reports."""
        ...


class Efficiency(Protocol):
    """A detection efficiency ε(E) in [0, 1], as :class:`DetectorModel` uses it.

    Implemented by :class:`ConstantEfficiency`, :class:`LogisticEfficiency` and :class:`TableEfficiency`.
    """

    def __call__(self, e_kev: ArrayLike) -> np.ndarray:
        """ε at energy ``e_kev`` (keV), same shape as ``e_kev``."""
        ...

    def shifted(self, n_sigma: float) -> Efficiency:
        """The efficiency moved by ``n_sigma`` of its own uncertainty (the ±1σ efficiency templates)."""
        ...

    def describe(self) -> str:
        """One line with the curve or table and its parameters, for reports."""
        ...


# ------------------------------------------------------------------------------------------------
# resolution
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ParametricResolution:
    """Gaussian energy resolution from a photostatistics formula.

    ``combine="quadrature"``: σ(E) = √(a²E + b²E² + c²)  (σ/E = √(a²/E + b²) for c = 0);
    ``combine="linear"``:     σ(E) = a√E + bE + c      (σ/E = a/√E + b, the XENON1T form).

    Parameters
    ----------
    a_sqrt_kev : float
        Stochastic term a in keV^½ (≥ 0).
    b : float
        Constant term b (dimensionless, ≥ 0).
    c_kev : float
        Noise term c in keV (≥ 0), default 0.
    combine : {"quadrature", "linear"}
    scale : float
        Multiplies σ (used for the ±1σ resolution templates).

    Examples
    --------
    >>> ParametricResolution(a_sqrt_kev=0.5).sigma_kev([4.0, 16.0])   # σ = a√E
    array([1., 2.])
    """

    a_sqrt_kev: float
    b: float = 0.0
    c_kev: float = 0.0
    combine: str = "quadrature"
    scale: float = 1.0

    def __post_init__(self) -> None:
        for name in ("a_sqrt_kev", "b", "c_kev", "scale"):
            check_float(getattr(self, name), f"resolution {name}", lower=0.0)
        if self.combine not in ("quadrature", "linear"):
            raise InputError(f"resolution combine must be 'quadrature' or 'linear'; got {self.combine!r}")
        if max(self.a_sqrt_kev, self.b, self.c_kev) > _MAX_RESOLUTION_TERM:
            raise InputError(
                f"resolution terms above {_MAX_RESOLUTION_TERM:g} resolve nothing (and overflow); got "
                f"a = {self.a_sqrt_kev}, b = {self.b}, c = {self.c_kev}"
            )
        if self.a_sqrt_kev == 0 and self.b == 0 and self.c_kev == 0:
            raise InputError("resolution: a, b and c are all zero (σ = 0 cannot be folded)")

    def sigma_kev(self, e_kev: ArrayLike) -> np.ndarray:
        """σ in keV at reconstructed energy ``e_kev`` (keV)."""
        e = np.clip(np.asarray(e_kev, dtype=float), 0.0, None)
        if self.combine == "quadrature":
            s = np.sqrt(self.a_sqrt_kev**2 * e + (self.b * e) ** 2 + self.c_kev**2)
        else:
            s = self.a_sqrt_kev * np.sqrt(e) + self.b * e + self.c_kev
        return self.scale * s

    def scaled(self, factor: float) -> ParametricResolution:
        return ParametricResolution(self.a_sqrt_kev, self.b, self.c_kev, self.combine, self.scale * factor)

    def describe(self) -> str:
        form = "√(a²E + b²E² + c²)" if self.combine == "quadrature" else "a√E + bE + c"
        return f"σ(E) = {form}, a = {self.a_sqrt_kev} keV^½, b = {self.b}, c = {self.c_kev} keV"


@dataclass(frozen=True)
class TableResolution:
    """Gaussian resolution σ(E) interpolated linearly in a table (keV → keV).

    Outside the table: an :class:`OutOfRangeError` (``extend="none"``) or the end value (``"flat"``).
    """

    energy_kev: tuple[float, ...]
    sigma_kev_values: tuple[float, ...]
    source: str = "resolution table"
    scale: float = 1.0
    extend: str = "none"

    def __post_init__(self) -> None:
        check_extend(self.extend, self.source)
        x, y = _checked_table(self.energy_kev, self.sigma_kev_values, "resolution", self.source)
        if np.any(y <= 0):
            raise ConfigError(f"{self.source}: resolution σ must be > 0 keV; found {y[y <= 0][:3]}")
        object.__setattr__(self, "energy_kev", tuple(x))
        object.__setattr__(self, "sigma_kev_values", tuple(y))

    def sigma_kev(self, e_kev: ArrayLike) -> np.ndarray:
        return self.scale * _interp_in_range(
            e_kev,
            np.array(self.energy_kev),
            np.array(self.sigma_kev_values),
            "the resolution",
            self.source,
            self.extend,
        )

    def scaled(self, factor: float) -> TableResolution:
        return TableResolution(self.energy_kev, self.sigma_kev_values, self.source, self.scale * factor, self.extend)

    def describe(self) -> str:
        return f"σ(E) from table {self.source}"


# ------------------------------------------------------------------------------------------------
# efficiency
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConstantEfficiency:
    """Energy-independent efficiency (0 < value ≤ 1); mostly for tests and idealised detectors."""

    value: float = 1.0
    uncertainty: float = 0.0

    def __post_init__(self) -> None:
        check_float(self.value, "efficiency", lower=0.0, upper=1.0)
        check_float(self.uncertainty, "efficiency uncertainty", lower=0.0)

    def __call__(self, e_kev: ArrayLike) -> np.ndarray:
        return np.full(np.shape(e_kev), self.value)

    def shifted(self, n_sigma: float) -> ConstantEfficiency:
        return ConstantEfficiency(float(np.clip(self.value + n_sigma * self.uncertainty, 0.0, 1.0)), 0.0)

    def describe(self) -> str:
        return f"constant efficiency {self.value}"


@dataclass(frozen=True)
class LogisticEfficiency:
    """ε(E) = plateau / (1 + exp(−(E − E50)/w)).

    Parameters
    ----------
    plateau : float
        High-energy efficiency (0 < plateau ≤ 1).
    e50_kev : float
        Energy (keV) where ε reaches half the plateau.
    width_kev : float
        Logistic width w in keV (> 0).
    e50_uncertainty_kev : float
        1σ shift of E50 used for the ±1σ efficiency band (keV).
    """

    plateau: float
    e50_kev: float
    width_kev: float
    e50_uncertainty_kev: float = 0.0

    def __post_init__(self) -> None:
        for name in ("plateau", "e50_kev", "width_kev", "e50_uncertainty_kev"):
            check_float(getattr(self, name), f"logistic efficiency {name}")
        if not (0.0 < self.plateau <= 1.0):
            raise InputError(f"efficiency plateau must lie in (0, 1]; got {self.plateau}")
        if not (self.width_kev > 0 and np.isfinite(self.e50_kev)):
            raise InputError(
                f"logistic efficiency needs width_kev > 0 and a finite e50_kev; got {self.width_kev}, {self.e50_kev}"
            )
        if self.e50_uncertainty_kev < 0:
            raise InputError(f"e50_uncertainty_kev must be ≥ 0; got {self.e50_uncertainty_kev}")

    def __call__(self, e_kev: ArrayLike) -> np.ndarray:
        z = (np.asarray(e_kev, dtype=float) - self.e50_kev) / self.width_kev
        return self.plateau * 0.5 * (1.0 + np.tanh(0.5 * z))  # = plateau·logistic(z), overflow-safe

    def shifted(self, n_sigma: float) -> LogisticEfficiency:
        # a higher efficiency is a *lower* E50: "+1σ" means more efficient
        return LogisticEfficiency(self.plateau, self.e50_kev - n_sigma * self.e50_uncertainty_kev, self.width_kev, 0.0)

    def describe(self) -> str:
        return (
            f"logistic efficiency, plateau {self.plateau}, E50 = {self.e50_kev} ± "
            f"{self.e50_uncertainty_kev} keV, width {self.width_kev} keV"
        )


@dataclass(frozen=True)
class TableEfficiency:
    """Efficiency interpolated linearly in a table; optional upper/lower 1σ band.

    Outside the table: an :class:`OutOfRangeError` (``extend="none"``) or the end value (``"flat"``).
    """

    energy_kev: tuple[float, ...]
    values: tuple[float, ...]
    upper: tuple[float, ...] | None = None
    lower: tuple[float, ...] | None = None
    source: str = "efficiency table"
    extend: str = "none"

    def __post_init__(self) -> None:
        check_extend(self.extend, self.source)
        x, y = _checked_table(self.energy_kev, self.values, "efficiency", self.source)
        if np.any(y < 0):
            raise ConfigError(f"{self.source}: efficiency must be ≥ 0; found {y[y < 0][0]} at {x[y < 0][0]} keV")
        if np.any(y > 1):
            raise ConfigError(f"{self.source}: efficiency must be ≤ 1; found {y[y > 1][0]} at {x[y > 1][0]} keV")
        object.__setattr__(self, "energy_kev", tuple(x))
        object.__setattr__(self, "values", tuple(y))
        for name in ("upper", "lower"):
            band = getattr(self, name)
            if band is not None:
                b = np.asarray(band, dtype=float)
                if b.shape != y.shape or np.any(b < 0) or not np.all(np.isfinite(b)):
                    raise ConfigError(
                        f"{self.source}: {name} efficiency uncertainty must be finite, ≥ 0 "
                        f"and have one value per energy"
                    )
                object.__setattr__(self, name, tuple(b))

    def __call__(self, e_kev: ArrayLike) -> np.ndarray:
        return _interp_in_range(
            e_kev, np.array(self.energy_kev), np.array(self.values), "the efficiency", self.source, self.extend
        )

    def shifted(self, n_sigma: float) -> TableEfficiency:
        y = np.array(self.values)
        band = self.upper if n_sigma >= 0 else self.lower
        if band is not None:
            y = np.clip(y + n_sigma * np.array(band), 0.0, 1.0)
        return TableEfficiency(self.energy_kev, tuple(y), None, None, self.source, self.extend)

    def describe(self) -> str:
        return f"efficiency from table {self.source}"


# ------------------------------------------------------------------------------------------------
# energy scale (non-linearity and its uncertainty)
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EnergyScale:
    """Mean reconstructed energy E_rec(T) = r(T)·T·(1 + s·δ_s(T)) for a scale shift s ∈ {−1, 0, +1}.

    Parameters
    ----------
    ratio_energy_kev, ratio : sequence of float, optional
        Scintillation non-linearity r(T) = ⟨E_rec⟩/T tabulated against T (keV); default r = 1. Raises
        :class:`OutOfRangeError` outside the table.
    uncertainty_energy_kev, uncertainty_up, uncertainty_down : sequence of float, optional
        Fractional 1σ scale uncertainty δ_up(T), δ_down(T), linearly interpolated and held constant
        beyond the first and last points (a documented choice: calibration sources bracket the range).
    """

    ratio_energy_kev: tuple[float, ...] | None = None
    ratio: tuple[float, ...] | None = None
    uncertainty_energy_kev: tuple[float, ...] | None = None
    uncertainty_up: tuple[float, ...] | None = None
    uncertainty_down: tuple[float, ...] | None = None
    source: str = "energy scale"

    def __post_init__(self) -> None:
        if (self.ratio_energy_kev is None) != (self.ratio is None):
            raise ConfigError(f"{self.source}: give both ratio_energy_kev and ratio, or neither")
        if self.ratio is not None:
            x, y = _checked_table(self.ratio_energy_kev, self.ratio, "non-linearity", self.source)
            if np.any(y <= 0):
                raise ConfigError(f"{self.source}: the non-linearity ratio must be > 0")
            object.__setattr__(self, "ratio_energy_kev", tuple(x))
            object.__setattr__(self, "ratio", tuple(y))
        if self.uncertainty_energy_kev is not None:
            x, up = _checked_table(self.uncertainty_energy_kev, self.uncertainty_up, "scale uncertainty", self.source)
            _, dn = _checked_table(self.uncertainty_energy_kev, self.uncertainty_down, "scale uncertainty", self.source)
            if np.any(up < 0) or np.any(dn < 0) or np.any(dn >= 1):
                raise ConfigError(f"{self.source}: scale uncertainties must be ≥ 0 (and < 1 downwards)")
            object.__setattr__(self, "uncertainty_energy_kev", tuple(x))
            object.__setattr__(self, "uncertainty_up", tuple(up))
            object.__setattr__(self, "uncertainty_down", tuple(dn))

    def mean_reconstructed_kev(self, t_kev: ArrayLike, shift: float = 0.0) -> np.ndarray:
        """Mean reconstructed energy (keV) for true energy ``t_kev`` and scale shift ``shift`` (σ units)."""
        t = np.asarray(t_kev, dtype=float)
        e = (
            t
            if self.ratio is None
            else t
            * _interp_in_range(
                t, np.array(self.ratio_energy_kev), np.array(self.ratio), "the non-linearity", self.source
            )
        )
        if shift and self.uncertainty_energy_kev is not None:
            x = np.array(self.uncertainty_energy_kev)
            band = self.uncertainty_up if shift > 0 else self.uncertainty_down
            e = e * (1.0 + shift * np.interp(t, x, np.array(band)))
        return e
