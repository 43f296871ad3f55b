"""Expected limits and toy limits of any :class:`~exonu.stats.limits.method.LimitMethod`.

The median is the limit on the background-only Asimov data set (α = 0, nuisances and auxiliary
values nominal), or the method's asymptotic median where it has one (CL_s, PCL); the ±1σ/±2σ band
is the 16/84 and 2.5/97.5 percentiles of the limits on seeded Poisson toys at α = 0 whose auxiliary
measurements are fluctuated too (see :mod:`exonu.stats.toys`); the toys' own median is also
reported. Toys are processed in chunks of ``chunk_size``, vectorised within a chunk; each chunk is a
:class:`ToyChunk` run by :func:`chunk_limits` through the caller's ``mapper`` (default ``map``: in this
process; see :class:`~exonu.stats.toys.Mapper`). The chunks depend on the toys and ``chunk_size``
only, so any mapper gives the same limits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import InputError
from ..model import BinnedModel
from ..objective import FitBatch
from ..progress import chunks
from ..toys import Mapper, ToyEnsemble, ToyPlan, generate_toys, one_blas_thread, resolve_seed
from ..validate import check_n_toys
from .method import LimitMethod
from .results import MIN_BAND_TOYS, ExpectedLimits

__all__ = ["ToyChunk", "background_asimov", "chunk_limits", "expected_from", "toy_limits"]


def background_asimov(model: BinnedModel) -> BinnedModel:
    """``model`` with the background-only Asimov data and nominal auxiliary values (the expected median's data)."""
    cm = model.compiled
    return model.with_data(model.asimov(0.0)).with_aux(np.ones(model.n_components), np.zeros(cm.n_q), np.zeros(cm.n_r))


@dataclass(frozen=True)
class ToyChunk:
    """Toys whose limits are computed together: the method (with its model and calibration) and their data.

    Attributes
    ----------
    method : LimitMethod
    data : ndarray (n, n_bins)
    centres : ndarray (n, n_nuisances)
        The toys' counts and auxiliary measurements (rows of a :class:`~exonu.stats.toys.ToyEnsemble`).
    """

    method: LimitMethod
    data: np.ndarray
    centres: np.ndarray


def chunk_limits(chunk: ToyChunk) -> np.ndarray:
    """The upper limits of one chunk of toys (NaN where a toy failed), on one BLAS thread."""
    with one_blas_thread():
        method = chunk.method
        lim, ok = method.limits(FitBatch.of(method.model.compiled, method.statistic, chunk.data, chunk.centres))
        limits: np.ndarray = np.where(ok, lim, np.nan)
        return limits


def toy_limits(
    method: LimitMethod,
    toys: ToyEnsemble,
    *,
    progress: bool | None = None,
    chunk_size: int = 200,
    mapper: Mapper = map,
) -> np.ndarray:
    """The upper limit of every toy of ``toys`` with ``method`` (NaN where it failed), in chunks run by ``mapper``."""
    limits = np.full(toys.n_toys, np.nan)
    slices = [slice(start, min(start + chunk_size, toys.n_toys)) for start in range(0, toys.n_toys, chunk_size)]
    pieces = [ToyChunk(method, toys.data[sl], toys.centres[sl]) for sl in slices]
    # chunks() yields the slices again and moves the per-toy bar as each chunk's limits arrive
    for sl, chunk_result in zip(
        chunks(toys.n_toys, chunk_size, progress, f"{method.name} limits"), mapper(chunk_limits, pieces), strict=True
    ):
        limits[sl] = chunk_result
    return limits


def expected_from(method: LimitMethod, plan: ToyPlan) -> ExpectedLimits:
    """Expected limits of ``method``: the Asimov (or asymptotic) median and, with ``plan.n_toys``, the toy band.

    ``n_toys=0`` gives the median only; 1 is refused; the toys are ``generate_toys(model, n_toys,
    seed=seed)`` (a fresh seed is drawn and recorded if None); their limits run through ``plan.mapper`` in
    chunks of ``plan.chunk_size`` (:func:`toy_limits`).
    """
    n_toys = check_n_toys(plan.n_toys)
    fluctuate_aux = plan.fluctuate_aux
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
    seed = resolve_seed(plan.seed)
    toys = generate_toys(model, int(n_toys), alpha=0.0, seed=seed, fluctuate_aux=fluctuate_aux)
    limits, band = method.band_of(
        toy_limits(method.band_method, toys, progress=plan.progress, chunk_size=plan.chunk_size, mapper=plan.mapper)
    )
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
