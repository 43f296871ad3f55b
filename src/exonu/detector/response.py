"""Eq. (3) of the XMASS-I paper: from deposited energy T to counts per reconstructed-energy bin.

    N_i = exposure · ∫ dT  dR/dT(T) · ∫_{bin i} dE  S(T, E)

The kernel S(T, E) is built from four detector properties: the energy scale, the resolution and the
efficiency (typed objects of :mod:`.properties`, re-exported here), and the **threshold** (zero response
for T below ``threshold_kev``; the paper takes the scintillation efficiency as zero below 1 keV). The
efficiency acts on reconstructed energy (default: cuts act on reconstructed quantities) or on true energy.

:class:`DetectorModel` holds those plus the exposure; :meth:`DetectorModel.response` turns them, for one
:class:`Binning`, into a :class:`Response`: a matrix from a fine true-energy grid to the analysis bins,
built once and cached (in memory, and its kernels on disk through :mod:`exonu.cache`). Folding any
spectrum is then one matrix–vector product.

References
----------
XMASS Collaboration, K. Abe et al., Phys. Lett. B 809 (2020) 135741, arXiv:2005.11891, Eq. (3) and §3.1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtr

from ..cache import cached_arrays
from ..errors import InputError, check_float, check_float_array
from .binning import Binning
from .properties import (
    EXTEND_MODES,
    ConstantEfficiency,
    Efficiency,
    EnergyScale,
    LogisticEfficiency,
    ParametricResolution,
    Resolution,
    TableEfficiency,
    TableResolution,
)

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
        """The (cached) response matrix for ``binning``.

        Examples
        --------
        A flat rate of 1 event/(kg·day·keV) far above threshold: what smears out of a bin smears in,
        so a 10 keV bin of a 100 kg·day exposure gets 1000 events.

        >>> model = DetectorModel(100.0, ParametricResolution(a_sqrt_kev=0.5))
        >>> response = model.response(Binning([10.0, 20.0]))
        >>> response.fold(np.ones_like(response.grid_kev)).round(1)
        array([1000.])
        """
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


def kernel_matrix(
    model: DetectorModel,
    binning: Binning,
    t_kev: np.ndarray,
    *,
    scale_shift: float = 0.0,
    efficiency: Efficiency | None = None,
    resolution: Resolution | None = None,
) -> np.ndarray:
    """:func:`_kernel_matrix` through the on-disk cache (:mod:`exonu.cache`): every argument is the key.

    Worth it for wide windows (XMASS-I: 99 bins × 0.2 keV efficiency sub-bins × a few thousand grid
    points, ≈ 0.05 s per matrix, seven matrices per window).
    """
    options = {"scale_shift": scale_shift, "efficiency": efficiency, "resolution": resolution}

    def compute() -> dict[str, np.ndarray]:
        k = _kernel_matrix(model, binning, t_kev, scale_shift=scale_shift, efficiency=efficiency, resolution=resolution)
        return {"kernel": k}

    inputs = {"model": model, "binning": binning, "t_kev": t_kev, **options}
    return cached_arrays("response-kernel", inputs, compute)["kernel"]


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
        self.kernel = kernel_matrix(model, binning, self.grid_kev)
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
                k = kernel_matrix(m, self.binning, self.grid_kev, scale_shift=float(sign))
            elif name == "efficiency":
                k = kernel_matrix(m, self.binning, self.grid_kev, efficiency=m.efficiency.shifted(sign))
            else:
                k = kernel_matrix(
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
