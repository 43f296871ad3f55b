"""The public layout of a fit vector: which entry is which parameter, and their bounds.

A :class:`~exonu.stats.fitting.FitResult` vector is ``[u, θ]``: the fit variable u = α^c of the
signal strength (c = min(1, smallest signal power); u = α for a linear signal), then the profiled
nuisances θ = [p (non-fixed components), q (background shape pulls), r (signal shape pulls)].
Fixed components (σ(B_RI) = 0) are not in θ; :meth:`ParameterLayout.split` fills them in at 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..errors import InputError
from .compiled import CompiledModel

__all__ = ["ParameterLayout"]


@dataclass(frozen=True)
class ParameterLayout:
    """Names, slices and bounds of the fit vector ``[u, p_free…, q…, r…]``.

    Attributes
    ----------
    names : tuple of str
        One name per entry: the signal strength (``alpha`` or ``alpha^c``), ``p_<component>``,
        ``q_<systematic>``, ``r_<systematic>``.
    slices : dict of str to slice
        ``"poi"``, ``"p"``, ``"q"``, ``"r"`` and ``"nuisances"`` (everything after the POI).
    bounds : ndarray, shape (n, 2)
        Lower and upper bound of every entry (−inf/inf where unbounded; u ≥ 0 as in the default
        fit; every p ≥ 0).
    n_components : int
        Number of background components (fixed ones included).
    free_components : ndarray of int
        Indices of the components whose normalisation p is fitted.
    """

    names: tuple[str, ...]
    slices: dict[str, slice]
    bounds: np.ndarray
    n_components: int
    free_components: np.ndarray

    @classmethod
    def from_compiled(
        cls, cm: CompiledModel, poi_name: str, nuisance_names: Sequence[str], n_components: int
    ) -> ParameterLayout:
        """The layout of a compiled model (``BinnedModel.layout`` passes its names and component count)."""
        poi = poi_name if cm.c == 1.0 else f"{poi_name}^{cm.c:g}"
        n_p, n_q, n_r = cm.n_p, cm.n_q, cm.n_r
        slices = {
            "poi": slice(0, 1),
            "p": slice(1, 1 + n_p),
            "q": slice(1 + n_p, 1 + n_p + n_q),
            "r": slice(1 + n_p + n_q, 1 + n_p + n_q + n_r),
            "nuisances": slice(1, 1 + cm.n_par),
        }
        bounds = np.full((1 + cm.n_par, 2), [-np.inf, np.inf])
        bounds[0, 0] = 0.0  # the default fit; fit(allow_negative=True) lifts it for integer signal powers
        bounds[slices["p"], 0] = 0.0
        return cls(tuple([poi, *list(nuisance_names)]), slices, bounds, n_components, cm.free.copy())

    @property
    def size(self) -> int:
        """Length of the fit vector."""
        return len(self.names)

    def par_slice(self, name: str) -> slice:
        """Slice of one parameter (by name) or one block (``"poi"``, ``"p"``, ``"q"``, ``"r"``, ``"nuisances"``)."""
        if name in self.slices:
            return self.slices[name]
        if name in self.names:
            i = self.names.index(name)
            return slice(i, i + 1)
        raise InputError(f"unknown parameter {name!r}; known: {list(self.names)} or blocks {list(self.slices)}")

    def _check(self, vector: npt.ArrayLike) -> np.ndarray:
        v = np.asarray(vector, dtype=float)
        if v.shape[-1] != self.size:
            raise InputError(
                f"a fit vector of this model has {self.size} entries ({', '.join(self.names)}); got shape {v.shape}"
            )
        return v

    def split(self, vector: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(p, q, r) of a fit vector, with p for EVERY component (fixed ones at 1).

        Works on one vector (n,) or a batch (N, n).
        """
        v = self._check(vector)
        p = np.ones((*v.shape[:-1], self.n_components))
        p[..., self.free_components] = v[..., self.slices["p"]]
        return p, v[..., self.slices["q"]].copy(), v[..., self.slices["r"]].copy()

    def join(self, u: npt.ArrayLike, p: npt.ArrayLike, q: npt.ArrayLike, r: npt.ArrayLike) -> np.ndarray:
        """The fit vector from u and (p for every component, q, r); fixed components are dropped."""
        p = np.asarray(p, dtype=float)
        if p.shape[-1] != self.n_components:
            raise InputError(f"p must have {self.n_components} entries (one per component); got shape {p.shape}")
        u = np.asarray(u, dtype=float)[..., None]
        out = np.concatenate(
            [u, p[..., self.free_components], np.asarray(q, dtype=float), np.asarray(r, dtype=float)], axis=-1
        )
        return self._check(out)

    def within_bounds(self, vector: npt.ArrayLike) -> np.bool_ | np.ndarray:
        """True where every entry of the vector lies within its bounds.

        One numpy bool for one vector (n,), a bool array (N,) for a batch (N, n).
        """
        v = self._check(vector)
        inside: np.bool_ | np.ndarray = np.all((v >= self.bounds[:, 0]) & (v <= self.bounds[:, 1]), axis=-1)
        return inside
