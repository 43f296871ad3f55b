"""Reconstructed-energy bin edges (keV) of an analysis window.

A :class:`Binning` is the one description of "which bins" that the response, the background
templates, the data sets and the fit share.
"""

from __future__ import annotations

from typing import NoReturn

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InputError

__all__ = ["MAX_RANGE_BINS", "Binning", "raise_bad_input"]

#: Most bins :meth:`Binning.from_range` makes: a response matrix of 10⁵ reconstructed bins is already
#: gigabytes, and a mistyped width (1e-9 keV) would otherwise try to allocate hundreds of GiB.
MAX_RANGE_BINS = 100_000


def raise_bad_input(message: str, key: str | None, error: type[Exception] = InputError) -> NoReturn:
    """Raise ``error`` with ``message`` prefixed by ``key`` (the file/key or argument being checked)."""
    raise error(f"{key}: {message}" if key else message)


# ------------------------------------------------------------------------------------------------
# binning
# ------------------------------------------------------------------------------------------------
class Binning:
    """Reconstructed-energy bin edges in keV.

    Parameters
    ----------
    edges_kev : array_like
        At least two finite, strictly increasing edges (keV).
    key : str
        Name used in error messages (e.g. ``"windows.full.edges_kev"`` of a config file).
    error : type
        Exception class raised on bad edges (:class:`InputError` for API use, :class:`ConfigError`
        when the edges come from a file).
    """

    __slots__ = ("edges_kev",)

    def __init__(self, edges_kev: ArrayLike, key: str = "edges_kev", error: type[Exception] = InputError) -> None:
        try:
            edges = np.array(edges_kev, dtype=float).reshape(-1)
        except (TypeError, ValueError):
            raise_bad_input(f"bin edges must be numbers in keV; got {edges_kev!r}", key, error)
        if edges.size < 2:
            raise_bad_input(f"need at least 2 bin edges; got {edges.size}", key, error)
        if not np.all(np.isfinite(edges)):
            raise_bad_input(f"bin edges must be finite; got {edges[~np.isfinite(edges)][:3]}", key, error)
        if np.any(np.diff(edges) <= 0):
            i = int(np.argmax(np.diff(edges) <= 0))
            raise_bad_input(
                f"bin edges must be strictly increasing; edge {i + 1} ({edges[i + 1]} keV) does not "
                f"exceed edge {i} ({edges[i]} keV)",
                key,
                error,
            )
        if edges[0] < 0:
            raise_bad_input(f"bin edges must be ≥ 0 keV; got {edges[0]}", key, error)
        edges.setflags(write=False)
        self.edges_kev = edges

    def cache_description(self) -> dict[str, np.ndarray]:
        """What defines this binning, for :func:`exonu.cache.canonical`."""
        return {"edges_kev": self.edges_kev}

    @classmethod
    def from_range(
        cls,
        start_kev: float,
        stop_kev: float,
        width_kev: float,
        key: str = "binning",
        error: type[Exception] = InputError,
    ) -> Binning:
        """Equal-width bins from ``start_kev`` to ``stop_kev`` (keV); the range must hold a whole number
        of bins of ``width_kev`` (to 1e-6 relative)."""
        try:
            start, stop, width = float(start_kev), float(stop_kev), float(width_kev)
        except (TypeError, ValueError):
            raise_bad_input(
                f"start, stop and width must be numbers (keV); got {start_kev!r}, {stop_kev!r}, {width_kev!r}",
                key,
                error,
            )
        if not (np.isfinite(start) and np.isfinite(stop) and np.isfinite(width)) or width <= 0 or stop <= start:
            raise_bad_input(f"need finite start < stop and width > 0 (keV); got {start}, {stop}, {width}", key, error)
        n = (stop - start) / width
        if abs(n - round(n)) > 1e-6 * max(1.0, n):
            raise_bad_input(f"the range {start}–{stop} keV is not a whole number of {width} keV bins", key, error)
        if n > MAX_RANGE_BINS:
            raise_bad_input(
                f"{start}–{stop} keV in {width:g} keV bins is {n:.3g} bins; at most {MAX_RANGE_BINS}", key, error
            )
        return cls(np.linspace(start, stop, round(n) + 1), key=key, error=error)

    @property
    def n_bins(self) -> int:
        return self.edges_kev.size - 1

    @property
    def centres_kev(self) -> np.ndarray:
        return 0.5 * (self.edges_kev[1:] + self.edges_kev[:-1])

    @property
    def widths_kev(self) -> np.ndarray:
        return np.diff(self.edges_kev)

    @property
    def low_kev(self) -> float:
        return float(self.edges_kev[0])

    @property
    def high_kev(self) -> float:
        return float(self.edges_kev[-1])

    def key(self) -> bytes:
        """Hashable identity (the edges' bytes), used to cache responses."""
        return self.edges_kev.tobytes()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Binning) and np.array_equal(self.edges_kev, other.edges_kev)

    def __hash__(self) -> int:
        return hash(self.key())

    def __repr__(self) -> str:
        return f"Binning({self.n_bins} bins, {self.low_kev:g}–{self.high_kev:g} keV)"
