"""Eq. (3) of the XMASS-I paper: from deposited energy T to counts per reconstructed-energy bin.

    N_i = exposure · ∫ dT  dR/dT(T) · ∫_{bin i} dE  S(T, E)

The kernel S(T, E) is built from four detector properties, each a small typed object:

* **energy scale** (:class:`EnergyScale`): mean reconstructed energy E_rec(T) = r(T)·T (scintillation
  non-linearity, default r = 1) and its fractional uncertainty δ(T) (the ±1σ "scale" templates);
* **threshold**: zero response for T below ``threshold_kev`` (the paper takes the scintillation
  efficiency as zero below 1 keV);
* **resolution** (:class:`ParametricResolution` or :class:`TableResolution`): Gaussian smearing with
  σ(E) evaluated at the mean reconstructed energy;
* **efficiency** (:class:`LogisticEfficiency`, :class:`TableEfficiency`, :class:`ConstantEfficiency`),
  applied as a function of reconstructed energy (default: cuts act on reconstructed quantities) or of
  true energy.

:class:`DetectorModel` holds those plus the exposure; :meth:`DetectorModel.response` turns them, for one
:class:`Binning`, into a :class:`Response`: a matrix from a fine true-energy grid to the analysis bins,
built once and cached. Folding any spectrum is then one matrix–vector product.

References
----------
XMASS Collaboration, K. Abe et al., Phys. Lett. B 809 (2020) 135741, arXiv:2005.11891, Eq. (3) and §3.1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtr

from ..errors import ConfigError, InputError, OutOfRangeError, check_float, check_float_array
from .binning import Binning, raise_bad_input

__all__ = [
    "EXTEND_MODES",
    "RESPONSE_SYSTEMATICS",
    "Binning",
    "ConstantEfficiency",
    "DetectorModel",
    "Efficiency",
    "EnergyScale",
    "LogisticEfficiency",
    "ParametricResolution",
    "Resolution",
    "Response",
    "TableEfficiency",
    "TableResolution",
]

#: names of the ±1σ response variations that :meth:`Response.systematic_shifts` returns, in order
RESPONSE_SYSTEMATICS = ("energy_scale", "efficiency", "resolution")

# Width of the sub-bins on which a reconstructed-energy efficiency is sampled inside each analysis bin.
# The exact Gaussian CDF is used across each sub-bin, so only ε's variation over 0.2 keV is neglected
# (≤ 0.1 % for the logistic curves used here, whose width is ≳ 1 keV).
_SUB_BIN_KEV = 0.2
# True-energy grid reaches this many σ beyond the top of the window, so events that smear down into
# the last bin are included.
_GRID_SIGMAS = 6.0
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


# ------------------------------------------------------------------------------------------------
# the detector and its response matrix
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class DetectorModel:
    """Exposure and response properties of one detector (binning-independent).

    Parameters
    ----------
    exposure_kg_day : float
        Fiducial mass × live time in kg·day.
    resolution : Resolution
        e.g. :class:`ParametricResolution` or :class:`TableResolution`.
    efficiency : Efficiency
        e.g. :class:`ConstantEfficiency`, :class:`LogisticEfficiency` or :class:`TableEfficiency`.
    energy_scale : EnergyScale
        Non-linearity and its uncertainty (default: identity, no uncertainty).
    threshold_kev : float
        No response for deposited energies T < threshold (keV). The XMASS-I paper sets the scintillation
        efficiency to zero below 1 keV.
    efficiency_on : {"reconstructed", "true"}
        Whether ε is a function of reconstructed energy (cuts act on reconstructed quantities) or of T.
    grid_step_kev : float
        Smallest true-energy grid spacing (keV); the spacing grows smoothly to ≈ σ/8 (see :meth:`true_grid`).
    resolution_uncertainty : float
        Fractional 1σ uncertainty on σ(E) for the resolution template (e.g. 0.1 for ±10 %).
    description : str
    """

    exposure_kg_day: float
    resolution: Resolution
    efficiency: Efficiency = field(default_factory=ConstantEfficiency)
    energy_scale: EnergyScale = field(default_factory=EnergyScale)
    threshold_kev: float = 1.0
    efficiency_on: str = "reconstructed"
    grid_step_kev: float = 0.05
    resolution_uncertainty: float = 0.10
    description: str = ""
    _cache: dict[bytes, Response] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        check_float(self.exposure_kg_day, "exposure_kg_day", lower=0.0, lower_inclusive=False)
        check_float(self.threshold_kev, "threshold_kev", lower=0.0)
        check_float(self.grid_step_kev, "grid_step_kev")
        check_float(self.resolution_uncertainty, "resolution_uncertainty")
        if not isinstance(self.resolution, (ParametricResolution, TableResolution)):
            raise InputError(
                f"resolution must be a ParametricResolution or TableResolution; got {self.resolution!r:.60}"
            )
        if not isinstance(self.efficiency, (ConstantEfficiency, LogisticEfficiency, TableEfficiency)):
            raise InputError(
                "efficiency must be a ConstantEfficiency, LogisticEfficiency or TableEfficiency; "
                f"got {self.efficiency!r:.60}"
            )
        if not isinstance(self.energy_scale, EnergyScale):
            raise InputError(f"energy_scale must be an EnergyScale; got {self.energy_scale!r:.60}")
        if self.efficiency_on not in ("reconstructed", "true"):
            raise InputError(f"efficiency_on must be 'reconstructed' or 'true'; got {self.efficiency_on!r}")
        if not (0 < self.grid_step_kev <= 1.0):
            raise InputError(f"grid_step_kev must lie in (0, 1] keV; got {self.grid_step_kev}")
        if not (0 <= self.resolution_uncertainty < 1):
            raise InputError(f"resolution_uncertainty must lie in [0, 1); got {self.resolution_uncertainty}")

    def response(self, binning: Binning) -> Response:
        """The (cached) response matrix for ``binning``."""
        if not isinstance(binning, Binning):
            binning = Binning(binning)
        key = binning.key()
        if key not in self._cache:
            self._cache[key] = Response(self, binning)
        return self._cache[key]

    def true_grid(self, binning: Binning) -> tuple[np.ndarray, np.ndarray]:
        """Nodes (keV) and weights (keV) of the true-energy quadrature used for ``binning``.

        The grid runs from the threshold (or 0) to ``6σ`` above the window. Its spacing varies smoothly,
        h(T) = √(h₀² + (σ(T)/8)²) with h₀ = ``grid_step_kev``: fine where the resolution is narrow, about
        σ/8 where it is wide. Nodes are the midpoints of a uniform grid in u = ∫ dT/h(T), weights
        h(T_k); because the map is smooth, this midpoint rule keeps the accuracy of a uniform grid for
        the smooth Gaussian kernel (an abrupt change of step would leave a ~1e-3 ripple).
        """
        top = binning.high_kev
        top = top + _GRID_SIGMAS * float(self.resolution.sigma_kev(top)) + 1.0
        lo = max(self.threshold_kev, 0.0)
        dense = np.linspace(lo, top, 20001)
        h_dense = self._grid_step(dense)
        u = np.concatenate([[0.0], np.cumsum(0.5 * (1.0 / h_dense[1:] + 1.0 / h_dense[:-1]) * np.diff(dense))])
        n = max(int(np.ceil(u[-1])), 2)
        u_nodes = (np.arange(n) + 0.5) * (u[-1] / n)
        t = np.interp(u_nodes, u, dense)
        return t, self._grid_step(t) * (u[-1] / n)

    def _grid_step(self, t_kev: np.ndarray) -> np.ndarray:
        sigma = self.resolution.sigma_kev(self.energy_scale.mean_reconstructed_kev(t_kev))
        return np.sqrt(self.grid_step_kev**2 + (sigma / 8.0) ** 2)

    def describe(self) -> dict[str, Any]:
        return {
            "exposure_kg_day": self.exposure_kg_day,
            "threshold_kev": self.threshold_kev,
            "efficiency_on": self.efficiency_on,
            "resolution": self.resolution.describe(),
            "efficiency": self.efficiency.describe(),
        }


def _kernel_matrix(
    model: DetectorModel,
    binning: Binning,
    t_kev: np.ndarray,
    *,
    scale_shift: float = 0.0,
    efficiency: Efficiency | None = None,
    resolution: Resolution | None = None,
) -> np.ndarray:
    """Probability (incl. efficiency) that an event at true energy T_k lands in bin i; shape (n_bins, n_T)."""
    efficiency = model.efficiency if efficiency is None else efficiency
    resolution = model.resolution if resolution is None else resolution
    mu = model.energy_scale.mean_reconstructed_kev(t_kev, scale_shift)
    sigma = resolution.sigma_kev(mu)
    if np.any(sigma <= 0):
        raise InputError("the resolution is zero at some energy of the grid; give a noise term c_kev > 0")
    if model.efficiency_on == "true":
        cdf = ndtr((binning.edges_kev[:, None] - mu[None, :]) / sigma[None, :])
        k = np.diff(cdf, axis=0) * efficiency(t_kev)[None, :]
    else:
        # sub-divide every bin so ε(E) can be sampled inside it; reduce back with add.reduceat
        n_sub = np.maximum(1, np.ceil(binning.widths_kev / _SUB_BIN_KEV).astype(int))
        frac = [np.arange(n) / n for n in np.unique(n_sub)]
        frac_of = {int(n): f for n, f in zip(np.unique(n_sub), frac, strict=False)}
        sub_lo = np.concatenate(
            [
                lo + w * frac_of[int(n)]
                for lo, w, n in zip(binning.edges_kev[:-1], binning.widths_kev, n_sub, strict=False)
            ]
        )
        sub_edges = np.append(sub_lo, binning.high_kev)
        sub_mid = 0.5 * (sub_edges[1:] + sub_edges[:-1])
        cdf = ndtr((sub_edges[:, None] - mu[None, :]) / sigma[None, :])
        p = np.diff(cdf, axis=0) * efficiency(sub_mid)[:, None]
        starts = np.concatenate([[0], np.cumsum(n_sub)[:-1]])
        k = np.add.reduceat(p, starts, axis=0)
    # threshold: nothing below it is seen (the grid already starts there; this guards user grids)
    k[:, t_kev < model.threshold_kev] = 0.0
    return k


class Response:
    """Response of one detector for one binning: folding matrix from the true-energy grid to bins.

    Attributes
    ----------
    binning : Binning
    grid_kev : ndarray, shape (n_T,)
        True-energy grid (keV) on which spectra must be given to :meth:`fold`.
    matrix : ndarray, shape (n_bins, n_T)
        Counts in each bin per unit rate (events/(kg·day·keV)) at each grid point: exposure × ΔT ×
        P(bin | T) × ε. ``counts = matrix @ rate``.
    exposure_kg_day : float
    """

    def __init__(self, model: DetectorModel, binning: Binning):
        self.model = model
        self.binning = binning
        self.grid_kev, self.grid_widths_kev = model.true_grid(binning)
        self.exposure_kg_day = float(model.exposure_kg_day)
        self._weights = self.exposure_kg_day * self.grid_widths_kev
        self.kernel = _kernel_matrix(model, binning, self.grid_kev)
        self.matrix = self.kernel * self._weights[None, :]
        if not np.all(np.isfinite(self.matrix)):
            raise InputError(
                f"the response for {binning!r} is not finite: check the resolution "
                f"({model.resolution.describe()}) and the exposure"
            )
        self._variants: dict[tuple[str, int], np.ndarray] = {}

    def cache_description(self) -> dict[str, object]:
        """What defines this response, for :func:`exonu.cache.canonical` (not its memo of shifted matrices)."""
        return {"model": self.model, "binning": self.binning}

    # -- folding ---------------------------------------------------------------------------------
    def _check_rate(self, rate: ArrayLike) -> np.ndarray:
        if isinstance(rate, (str, bytes)):
            raise InputError(f"rate must be numbers (events/(kg·day·keV)) on the response grid; got {rate!r}"[:200])
        try:
            r = np.asarray(rate, dtype=float)
        except (TypeError, ValueError, OverflowError):
            raise InputError(
                f"rate must be numbers (events/(kg·day·keV)) on the response grid; got {type(rate).__name__}"
            ) from None
        if r.shape != self.grid_kev.shape:
            raise InputError(
                f"rate must be given on the response grid (shape {self.grid_kev.shape}); got shape {r.shape}"
            )
        if not np.all(np.isfinite(r)):
            raise InputError("rate contains non-finite values")
        return r

    def fold(self, rate_per_kg_day_kev: ArrayLike) -> np.ndarray:
        """Expected counts per bin for a differential rate dR/dT (events/(kg·day·keV)) on ``grid_kev``."""
        return self.matrix @ self._check_rate(rate_per_kg_day_kev)

    def fold_rate_function(self, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """Expected counts per bin for ``fn(T_keV) -> events/(kg·day·keV)``, evaluated once on the grid."""
        if not callable(fn):
            raise InputError(f"the rate must be a function of T (keV) -> events/(kg·day·keV); got {fn!r}"[:200])
        return self.fold(fn(self.grid_kev))

    def fold_lines(self, energies_kev: ArrayLike, rates_per_kg_day: ArrayLike) -> np.ndarray:
        """Expected counts per bin for mono-energetic deposits (keV) with rates in events/(kg·day)."""
        e = np.atleast_1d(check_float_array(energies_kev, "fold_lines: energies_kev", lower=0.0))
        r = np.atleast_1d(check_float_array(rates_per_kg_day, "fold_lines: rates_per_kg_day"))
        if e.shape != r.shape:
            raise InputError("fold_lines: one rate per line energy")
        return (_kernel_matrix(self.model, self.binning, e) @ r) * self.exposure_kg_day

    def rate_density(self, rate_per_kg_day_kev: ArrayLike) -> np.ndarray:
        """Folded spectrum as events/(kg·day·keV) of reconstructed energy (counts / exposure / width)."""
        return self.fold(rate_per_kg_day_kev) / (self.exposure_kg_day * self.binning.widths_kev)

    # -- systematics ----------------------------------------------------------------------------
    def variant_matrix(self, name: str, sign: int) -> np.ndarray:
        """Folding matrix with the response systematic ``name`` shifted by ``sign`` (±1) σ (cached)."""
        if name not in RESPONSE_SYSTEMATICS or sign not in (-1, 1):
            raise InputError(
                f"unknown response variation {name!r}/{sign}; expected one of {RESPONSE_SYSTEMATICS} with sign ±1"
            )
        key = (name, sign)
        if key not in self._variants:
            m = self.model
            if name == "energy_scale":
                k = _kernel_matrix(m, self.binning, self.grid_kev, scale_shift=float(sign))
            elif name == "efficiency":
                k = _kernel_matrix(m, self.binning, self.grid_kev, efficiency=m.efficiency.shifted(sign))
            else:
                k = _kernel_matrix(
                    m,
                    self.binning,
                    self.grid_kev,
                    resolution=m.resolution.scaled(1.0 + sign * m.resolution_uncertainty),
                )
            self._variants[key] = k * self._weights[None, :]
        return self._variants[key]

    def systematic_shifts(
        self, rate_per_kg_day_kev: ArrayLike, names: Sequence[str] = RESPONSE_SYSTEMATICS
    ) -> tuple[tuple[str, ...], np.ndarray]:
        """Fractional per-bin changes of a folded spectrum for +1σ of each response systematic.

        Symmetrised: ε_i = (N_i(+1σ) − N_i(−1σ)) / 2 / N_i(nominal); 0 where N_i(nominal) = 0.

        Returns
        -------
        names : tuple of str
        shifts : ndarray, shape (n_sys, n_bins)
        """
        r = self._check_rate(rate_per_kg_day_kev)
        nominal = self.matrix @ r
        out = np.zeros((len(names), self.binning.n_bins))
        for i, name in enumerate(names):
            up = self.variant_matrix(name, +1) @ r
            down = self.variant_matrix(name, -1) @ r
            out[i] = np.divide(0.5 * (up - down), nominal, out=np.zeros_like(nominal), where=nominal > 0)
        return tuple(names), out

    def __repr__(self) -> str:
        return f"Response({self.binning!r}, {self.grid_kev.size} true-energy points, {self.exposure_kg_day:g} kg·day)"
