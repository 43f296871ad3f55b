"""Expected limits and toy limits of any :class:`~exonu.stats.limits.method.LimitMethod`.

The median is the limit on the background-only Asimov data set (α = 0, nuisances and auxiliary
values nominal), or the method's asymptotic median where it has one (CL_s, PCL); the ±1σ/±2σ band
is the 16/84 and 2.5/97.5 percentiles of the limits on seeded Poisson toys at α = 0 whose auxiliary
measurements are fluctuated too (see :mod:`exonu.stats.toys`); the toys' own median is also
reported. Toys are processed in chunks of ``chunk_size``, vectorised within a chunk; each chunk is a
:class:`ToyChunk` run by :func:`chunk_limits` through the caller's ``mapper`` (default ``map``: in this
process; see :class:`~exonu.stats.toys.Mapper`). The chunks depend on the toys and ``chunk_size``
only, so any mapper gives the same limits. The toy limits of a band are kept in the on-disk cache
(:mod:`exonu.cache`, kind ``toy-limits``, keyed by the band's method with its model and calibration, the
toys' arrays and the chunk size) when the caller gave the seed, so repeating a search with the same seed
does not redo its toys.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ...cache import read_cached, store_cached
from ...errors import InputError
from ..model import BinnedModel
from ..objective import FitBatch
from ..toys import Mapper, ToyEnsemble, ToyPlan, generate_toys, one_blas_thread, resolve_seed
from ..validate import check_n_toys
from .method import LimitMethod
from .results import MIN_BAND_TOYS, ExpectedLimits

__all__ = [
    "TOY_LIMITS_KIND",
    "BandDraft",
    "ToyChunk",
    "background_asimov",
    "chunk_limits",
    "draft_band",
    "expected_from",
    "expected_from_many",
    "toy_chunks",
    "toy_limits",
]


#: the cache's folder for the toy limits of expected bands
TOY_LIMITS_KIND = "toy-limits"


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


def toy_chunks(method: LimitMethod, toys: ToyEnsemble, chunk_size: int) -> list[ToyChunk]:
    """The toys of ``toys`` cut in chunks of ``chunk_size`` (the last one shorter), each to run with ``method``."""
    return [
        ToyChunk(method, toys.data[start : start + chunk_size], toys.centres[start : start + chunk_size])
        for start in range(0, toys.n_toys, chunk_size)
    ]


def toy_limits(
    method: LimitMethod,
    toys: ToyEnsemble,
    *,
    progress: bool | None = None,
    chunk_size: int = 200,
    mapper: Mapper = map,
) -> np.ndarray:
    """The upper limit of every toy of ``toys`` with ``method`` (NaN where it failed), in chunks run by ``mapper``."""
    pieces = toy_chunks(method, toys, chunk_size)
    results = list(with_toy_bar(mapper(chunk_limits, pieces), pieces, progress, f"{method.name} limits"))
    return np.concatenate(results) if results else np.full(0, np.nan)


@dataclass(frozen=True)
class BandDraft:
    """An expected band up to its toys' limits: the method, its plan (seed resolved), the median, the chunks.

    :func:`draft_band` makes it; :meth:`finish` turns the chunks' limits (in the order of :attr:`pieces`)
    into the :class:`ExpectedLimits`.
    """

    method: LimitMethod
    plan: ToyPlan
    asimov_limit: float
    pieces: tuple[ToyChunk, ...]

    def cache_inputs(self) -> dict[str, object]:
        """What the toys' limits depend on besides the code: the band's method (model and calibration
        included), the toys' counts and auxiliary values, and the chunk size (it moves the last bits)."""
        return {
            "method": self.method.band_method,
            "data": np.concatenate([piece.data for piece in self.pieces]),
            "centres": np.concatenate([piece.centres for piece in self.pieces]),
            "chunk_size": self.plan.chunk_size,
        }

    def finish(self, chunk_results: list[np.ndarray]) -> ExpectedLimits:
        """The expected limits, from the limits of every chunk of :attr:`pieces` (NaN: a failed toy)."""
        method, plan = self.method, self.plan
        band_of_toys = np.concatenate(chunk_results) if chunk_results else None
        limits, band = (None, None) if band_of_toys is None else method.band_of(band_of_toys)
        return ExpectedLimits(
            method.name,
            method.cl,
            method.statistic,
            self.asimov_limit,
            band,
            limits,
            int(plan.n_toys),
            0 if limits is None else int(np.sum(~np.isfinite(limits))),
            None if limits is None else plan.seed,
            plan.fluctuate_aux,
            method.calculator,
            method.asymptotic_band,
        )


def draft_band(method: LimitMethod, plan: ToyPlan) -> BandDraft:
    """The median of ``method`` and, with ``plan.n_toys`` ≥ 2, its toys cut in chunks (``n_toys=1`` is refused).

    The median is the limit on the background-only Asimov data set, or the asymptotic one where the method
    has it; the toys are ``generate_toys(model, n_toys, seed=seed)`` (a fresh seed is drawn and recorded
    if None) cut in chunks of ``plan.chunk_size``, each made to run through the band's method.
    """
    n_toys = check_n_toys(plan.n_toys)
    if n_toys == 1:
        raise InputError(f"n_toys=1 makes no band: use 0 (Asimov median only) or at least {MIN_BAND_TOYS}")
    model, asym_band = method.model, method.asymptotic_band
    if asym_band is not None:
        asimov_limit = asym_band["median"]
    else:
        cm = model.compiled
        a_batch = FitBatch.of(cm, method.statistic, background_asimov(model).data[None, :], cm.nominal[None, :])
        asimov_limit = float(method.limits(a_batch)[0][0])
    if n_toys == 0:
        return BandDraft(method, replace(plan, n_toys=0), asimov_limit, ())
    seed = resolve_seed(plan.seed)
    toys = generate_toys(model, int(n_toys), alpha=0.0, seed=seed, fluctuate_aux=plan.fluctuate_aux)
    pieces = tuple(toy_chunks(method.band_method, toys, plan.chunk_size))
    return BandDraft(method, replace(plan, n_toys=int(n_toys), seed=seed), asimov_limit, pieces)


def expected_from(method: LimitMethod, plan: ToyPlan) -> ExpectedLimits:
    """Expected limits of ``method``: the Asimov (or asymptotic) median and, with ``plan.n_toys``, the toy band.

    ``n_toys=0`` gives the median only; 1 is refused; the toys are ``generate_toys(model, n_toys,
    seed=seed)`` (a fresh seed is drawn and recorded if None); their limits run through ``plan.mapper`` in
    chunks of ``plan.chunk_size``.
    """
    return expected_from_many([(method, plan)], plan.mapper)[0]


def expected_from_many(questions: Sequence[tuple[LimitMethod, ToyPlan]], mapper: Mapper) -> list[ExpectedLimits]:
    """:func:`expected_from` of several (method, plan) pairs, the toy chunks of all of them in one ``mapper`` call.

    Each band's numbers are those of its own :func:`expected_from` (the same chunks and seeds); running them
    together lets a mapper with several workers keep them all busy (e.g. a fit's two bands of 200 toys).
    The progress bar is the first plan's choice.
    """
    drafts = [draft_band(method, plan) for method, plan in questions]
    # toys seeded by the caller make a band that can come again: one already in the on-disk cache is read,
    # not recomputed; a band of freshly drawn seeds is neither looked up nor kept (it would never be read).
    # Each band's cache inputs are built once (its toys concatenated) for both the read and the store.
    inputs = [
        draft.cache_inputs() if draft.pieces and plan.seed is not None else None
        for draft, (_, plan) in zip(drafts, questions, strict=True)
    ]
    stored = [None if given is None else read_cached(TOY_LIMITS_KIND, given) for given in inputs]
    to_run = [draft for draft, hit in zip(drafts, stored, strict=True) if hit is None]
    pieces = [piece for draft in to_run for piece in draft.pieces]
    names = ", ".join(dict.fromkeys(draft.method.name for draft in to_run))
    progress = questions[0][1].progress if questions else False
    results = iter(with_toy_bar(mapper(chunk_limits, pieces), pieces, progress, f"{names} limits"))
    out = []
    for draft, given, hit in zip(drafts, inputs, stored, strict=True):
        if hit is not None:
            out.append(draft.finish([hit["limits"]]))
            continue
        chunk_results = list(itertools.islice(results, len(draft.pieces)))
        if given is not None:
            store_cached(TOY_LIMITS_KIND, given, {"limits": np.concatenate(chunk_results)})
        out.append(draft.finish(chunk_results))
    return out


def with_toy_bar(
    results: Iterable[np.ndarray], pieces: Sequence[ToyChunk], progress: bool | None, desc: str
) -> Iterator[np.ndarray]:
    """``results`` (one per piece, in order), moving a per-toy progress bar as each piece's limits arrive.

    ``progress=None`` shows the bar only when stderr is a terminal (as :func:`~exonu.stats.progress.progress_iter`).
    """
    sizes = [piece.data.shape[0] for piece in pieces]
    if not (sys.stderr.isatty() if progress is None else bool(progress)):
        yield from results
        return
    from tqdm.auto import tqdm

    bar = tqdm(total=sum(sizes), desc=desc, unit="toy")
    try:
        for size, result in zip(sizes, results, strict=True):
            bar.update(size)
            yield result
    finally:
        bar.close()
