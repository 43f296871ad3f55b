"""A rate tabulated against reconstructed energy, integrated exactly over analysis bins.

Collaborations publish spectra in two shapes, and they integrate differently:

* ``"points"`` — values at energies, meant to be joined by straight lines (a digitised curve). The
  integral over a bin is that of the piecewise-linear interpolant: the trapezoid rule between nodes
  plus the exact quadratic piece of the partial segments at the bin edges.
* ``"histogram"`` — a step function, constant over each table bin (a binned Monte-Carlo model). The
  integral over an analysis bin is the sum of the overlapping steps, each weighted by its overlap.

Both are exact; there is no sub-bin sampling. A histogram covers its whole first and last table bins (a
table given by 0.1 keV bin centres 0.05 … 29.95 keV covers 0–30 keV). Nothing is extended beyond the
table unless ``extend="flat"`` (the end values are held), which the config loader records as an
extrapolation in the detector setup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InputError, OutOfRangeError, check_float, check_float_array
from .properties import check_extend

__all__ = ["TABLE_SHAPES", "TabulatedSpectrum", "histogram_edges_from_centres"]

#: the shapes a published table can have
TABLE_SHAPES = ("points", "histogram")
# tolerance (relative to the table step) for "regular" centres and for reaching a window edge
_REGULAR_RTOL = 1e-3


def histogram_edges_from_centres(
    centres_kev: np.ndarray, width_kev: float | None = None, source: str = "table"
) -> np.ndarray:
    """Bin edges (keV) of a histogram given by its bin centres.

    Parameters
    ----------
    centres_kev : ndarray
        Strictly increasing bin centres (keV).
    width_kev : float, optional
        Bin width (keV). Without it the centres must be regular and the width is their spacing.
    source : str
        Named in error messages.

    Returns
    -------
    ndarray
        ``len(centres_kev) + 1`` edges (keV).
    """
    c = check_float_array(centres_kev, f"{source}: bin centres (keV)")
    if c.ndim != 1:
        raise InputError(f"{source}: bin centres must be a one-dimensional list; got shape {c.shape}")
    if width_kev is not None:
        width_kev = check_float(width_kev, f"{source}: width_kev", lower=0.0, lower_inclusive=False)
    if width_kev is None:
        if c.size < 2:
            raise InputError(f"{source}: a histogram given by one centre needs its bin width")
        steps = np.diff(c)
        width_kev = float(np.mean(steps))
        if np.max(np.abs(steps - width_kev)) > _REGULAR_RTOL * width_kev:
            raise InputError(
                f"{source}: histogram centres are not regularly spaced (steps "
                f"{steps.min():g}–{steps.max():g} keV); give the bin width or the bin edges"
            )
    if not (np.isfinite(width_kev) and width_kev > 0):
        raise InputError(f"{source}: histogram bin width must be finite and > 0 keV; got {width_kev}")
    edges = np.append(c - 0.5 * width_kev, c[-1] + 0.5 * width_kev)
    if (
        np.any(np.diff(edges) <= 0)
        or np.max(np.abs(edges[1:-1] - (c[:-1] + 0.5 * np.diff(c)))) > _REGULAR_RTOL * width_kev
    ):
        raise InputError(
            f"{source}: histogram bins of width {width_kev:g} keV around these centres overlap or "
            "leave gaps; give the bin edges"
        )
    return edges


@dataclass(frozen=True, eq=False)
class TabulatedSpectrum:
    """A spectrum dR/dE tabulated against energy, with exact integrals over any bins.

    Parameters
    ----------
    energy_kev : ndarray
        ``shape="points"``: the n energies (keV) of the values. ``shape="histogram"``: the n+1 bin
        edges (keV); use :func:`histogram_edges_from_centres` for a table given by its centres.
    values : ndarray
        n values per keV (any unit; the caller converts), ≥ 0 and finite.
    shape : {"points", "histogram"}
    extend : {"none", "flat"}
        ``"flat"`` holds the first/last value beyond the table; ``"none"`` refuses to extrapolate.
    source : str
        The file (and config key) the table came from, named in error messages.
    """

    energy_kev: np.ndarray
    values: np.ndarray
    shape: Literal["points", "histogram"] = "points"
    extend: Literal["none", "flat"] = "none"
    source: str = "table"

    def __post_init__(self) -> None:
        if self.shape not in TABLE_SHAPES:
            raise InputError(f"{self.source}: shape must be one of {TABLE_SHAPES}; got {self.shape!r}")
        check_extend(self.extend, self.source)
        try:
            x = np.array(self.energy_kev, dtype=float).reshape(-1)
            y = np.array(self.values, dtype=float).reshape(-1)
        except (TypeError, ValueError):
            raise InputError(f"{self.source}: energies and values must be numbers") from None
        n_x = y.size + (1 if self.shape == "histogram" else 0)
        if x.size != n_x or y.size < (1 if self.shape == "histogram" else 2):
            need = "n+1 edges for n values" if self.shape == "histogram" else "≥ 2 rows, one value per energy"
            raise InputError(
                f"{self.source}: a {self.shape} table needs {need}; got {x.size} energies and {y.size} values"
            )
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            raise InputError(f"{self.source}: the table contains non-finite values")
        if np.any(np.diff(x) <= 0):
            i = int(np.argmax(np.diff(x) <= 0))
            raise InputError(
                f"{self.source}: energies must be strictly increasing; row {i + 1} ({x[i + 1]:g} keV) "
                f"after {x[i]:g} keV"
            )
        if np.any(y < 0):
            raise InputError(f"{self.source}: negative values in the table (first at {x[np.argmax(y < 0)]:g} keV)")
        for name, arr in (("energy_kev", x), ("values", y)):
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def low_kev(self) -> float:
        """Lowest energy the table covers (keV)."""
        return float(self.energy_kev[0])

    @property
    def high_kev(self) -> float:
        """Highest energy the table covers (keV)."""
        return float(self.energy_kev[-1])

    def _check_range(self, lo_kev: float, hi_kev: float) -> None:
        if self.extend == "flat":
            return
        tol = 1e-9 * max(1.0, abs(self.high_kev))
        if lo_kev < self.low_kev - tol or hi_kev > self.high_kev + tol:
            raise OutOfRangeError(
                f"{self.source}: the table covers {self.low_kev:g}–{self.high_kev:g} keV but "
                f"{lo_kev:g}–{hi_kev:g} keV is needed (no extrapolation): if its rows are histogram bins "
                'given by their centres, set shape = "histogram"; otherwise narrow the window'
            )

    def __call__(self, e_kev: ArrayLike) -> np.ndarray:
        """The tabulated value at energies ``e_kev`` (keV): linear between points, or the step's value."""
        e = check_float_array(e_kev, f"{self.source}: energies (keV)", allow_empty=True)
        if e.size:
            self._check_range(float(np.min(e)), float(np.max(e)))
        if self.shape == "points":
            return np.interp(e, self.energy_kev, self.values)
        i = np.clip(np.searchsorted(self.energy_kev, e, side="right") - 1, 0, self.values.size - 1)
        return self.values[i]

    def cumulative(self, e_kev: ArrayLike) -> np.ndarray:
        """∫ from the first table energy to ``e_kev`` of the tabulated function (value × keV), exact."""
        e = check_float_array(e_kev, f"{self.source}: energies (keV)", allow_empty=True)
        if e.size:
            self._check_range(float(np.min(e)), float(np.max(e)))
        x, y = self.energy_kev, self.values
        if self.shape == "points":
            node_integral = np.concatenate([[0.0], np.cumsum(0.5 * (y[1:] + y[:-1]) * np.diff(x))])
            i = np.clip(np.searchsorted(x, e, side="right") - 1, 0, x.size - 2)
            slope = np.diff(y) / np.diff(x)
            d = e - x[i]
            inside = node_integral[i] + y[i] * d + 0.5 * slope[i] * d * d
            below = y[0] * (e - x[0])  # flat extension (only reached with extend="flat")
            above = node_integral[-1] + y[-1] * (e - x[-1])
            return np.where(e < x[0], below, np.where(e > x[-1], above, inside))
        edge_integral = np.concatenate([[0.0], np.cumsum(y * np.diff(x))])
        i = np.clip(np.searchsorted(x, e, side="right") - 1, 0, y.size - 1)
        inside = edge_integral[i] + y[i] * (e - x[i])
        return np.where(e < x[0], y[0] * (e - x[0]), inside)

    def integrate(self, edges_kev: ArrayLike) -> np.ndarray:
        """Exact integrals of the tabulated function over the bins with ``edges_kev`` (value × keV)."""
        return np.diff(self.cumulative(edges_kev))
