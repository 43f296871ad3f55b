"""Expected limits and toy limits of any :class:`~exonu.stats.limits.method.LimitMethod`.

The median is the limit on the background-only Asimov data set (α = 0, nuisances and auxiliary
values nominal), or the method's asymptotic median where it has one (CL_s, PCL); the ±1σ/±2σ band
is the 16/84 and 2.5/97.5 percentiles of the limits on seeded Poisson toys at α = 0 whose auxiliary
measurements are fluctuated too (see :mod:`exonu.stats.toys`); the toys' own median is also
reported. Toys are processed in chunks, vectorised within a chunk. The toy limits of a band are kept in
the on-disk cache (:mod:`exonu.cache`, kind ``toy-limits``, keyed by the method with its model and
calibration and by the toys' arrays), so repeating a search with the same seed does not redo its toys.
"""

from __future__ import annotations

import numpy as np

from ...cache import cached_arrays
from ...errors import InputError
from ..model import BinnedModel
from ..objective import FitBatch
from ..progress import chunks
from ..toys import ToyEnsemble, generate_toys, resolve_seed
from ..validate import check_n_toys
from .method import LimitMethod
from .results import MIN_BAND_TOYS, ExpectedLimits

__all__ = ["background_asimov", "expected_from", "toy_limits"]


def background_asimov(model: BinnedModel) -> BinnedModel:
    """``model`` with the background-only Asimov data and nominal auxiliary values (the expected median's data)."""
    cm = model.compiled
    return model.with_data(model.asimov(0.0)).with_aux(np.ones(model.n_components), np.zeros(cm.n_q), np.zeros(cm.n_r))


def toy_limits(
    method: LimitMethod, toys: ToyEnsemble, *, progress: bool | None = None, chunk_size: int = 200
) -> np.ndarray:
    """The upper limit of every toy of ``toys`` with ``method`` (NaN where it failed), in chunks."""
    limits = np.full(toys.n_toys, np.nan)
    cm = method.model.compiled
    for sl in chunks(toys.n_toys, chunk_size, progress, f"{method.name} limits"):
        lim, ok = method.limits(FitBatch.of(cm, method.statistic, toys.data[sl], toys.centres[sl]))
        limits[sl] = np.where(ok, lim, np.nan)
    return limits


def expected_from(
    method: LimitMethod,
    *,
    n_toys: int,
    seed: int | None,
    fluctuate_aux: bool = True,
    progress: bool | None = None,
    chunk_size: int = 200,
) -> ExpectedLimits:
    """Expected limits of ``method``: the Asimov (or asymptotic) median and, with ``n_toys``, the toy band.

    ``n_toys=0`` gives the median only; 1 is refused; the toys are ``generate_toys(model, n_toys,
    seed=seed)`` (a fresh seed is drawn and recorded if None).
    """
    n_toys = check_n_toys(n_toys)
    if n_toys == 1:
        raise InputError(f"n_toys=1 makes no band: use 0 (Asimov median only) or at least {MIN_BAND_TOYS}")
    model, statistic, cl = method.model, method.statistic, method.cl
    asym_band = method.asymptotic_band
    if asym_band is not None:
        asimov_limit = asym_band["median"]
    else:
        cm = model.compiled
        a_batch = FitBatch.of(cm, statistic, background_asimov(model).data[None, :], cm.nominal[None, :])
        asimov_limit = float(method.limits(a_batch)[0][0])
    if n_toys == 0:
        return ExpectedLimits(
            method.name,
            cl,
            statistic,
            asimov_limit,
            None,
            None,
            0,
            0,
            None,
            fluctuate_aux,
            method.calculator,
            asym_band,
        )
    seed = resolve_seed(seed)
    toys = generate_toys(model, int(n_toys), alpha=0.0, seed=seed, fluctuate_aux=fluctuate_aux)
    # seeded toys make a deterministic band: a second identical search reads it from the on-disk cache
    band_inputs = {"method": method.band_method, "toys": toys, "chunk_size": chunk_size}
    raw = cached_arrays(
        "toy-limits",
        band_inputs,
        lambda: {"limits": toy_limits(method.band_method, toys, progress=progress, chunk_size=chunk_size)},
    )
    limits, band = method.band_of(raw["limits"])
    good = np.isfinite(limits)
    return ExpectedLimits(
        method.name,
        cl,
        statistic,
        asimov_limit,
        band,
        limits,
        int(n_toys),
        int(np.sum(~good)),
        seed,
        fluctuate_aux,
        method.calculator,
        asym_band,
    )
