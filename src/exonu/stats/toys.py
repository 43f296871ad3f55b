"""Pseudo-experiments (toys): seeded Poisson data sets and fluctuated auxiliary measurements.

A toy is what a repetition of the experiment would give if the model were true:

* the counts in every bin are Poisson-distributed around the Asimov expectation at the chosen α
  and nuisance values (default: nominal, p = 1, q = r = 0);
* with ``fluctuate_aux=True`` (the default) the centre of every pull term — the auxiliary
  measurement that constrains that nuisance — is drawn as well: aux_j ~ N(1, σ_j) for a
  constrained activity, aux_k ~ N(0, 1) for each q_k and r_l. This is the frequentist
  "unconditional ensemble" (the same as pyhf's toys), and it lets the systematics contribute to the
  spread of toy limits. Free components have no auxiliary measurement. ``fluctuate_aux=False``
  keeps the centres at their nominal values (only the counts fluctuate).

Everything is drawn from one ``numpy.random.Generator`` seeded with ``seed``; the same seed gives
the same toys. If no seed is given one is drawn from fresh OS entropy and recorded, so every result
can be reproduced.

Where toy work runs. The expensive part of a toy computation (the limits of an expected band, chunk by
chunk; a Neyman or Feldman–Cousins belt, grid point by grid point) is a list of independent pieces run
through a :class:`Mapper`: ``map`` (the default: one after the other in this process) or a caller's
``map(function, items)`` that runs them elsewhere, e.g. the ``map`` of an executor of
:mod:`exonu.parallel` (local worker processes or a Dask cluster). The pieces are fixed by the toy
counts, the seeds and the chunk size, never by the mapper, and each piece pins BLAS to one thread
itself (:func:`one_blas_thread`), so every mapper gives the same bits.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import numpy as np

from ..errors import InputError
from .model import BinnedModel, Pulls, check_alpha

__all__ = [
    "MAX_TOY_BYTES",
    "Mapper",
    "ToyEnsemble",
    "ToyPlan",
    "child_seed",
    "generate_toys",
    "one_blas_thread",
    "resolve_seed",
]

#: the most memory one ensemble may take (counts and auxiliary values, float64): 4 GiB. Larger
#: ensembles are refused with the estimate; draw them in seeded pieces (``child_seed``) instead.
MAX_TOY_BYTES = 4 * 2**30
#: toys drawn per call of the generator, so that no integer copy of the whole ensemble is made
_DRAW_ROWS = 4096

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


class Mapper(Protocol):
    """``map(function, items)``: the results of ``function`` on every item, in the order of ``items``.

    The builtin ``map`` is one; so is the ``map`` of every executor of :mod:`exonu.parallel`.
    ``function`` is a module-level function and ``items`` plain, picklable data (see the module docstring).
    """

    def __call__(self, function: Callable[[_Item], _Result], items: list[_Item], /) -> Iterable[_Result]: ...


@dataclass(frozen=True)
class ToyPlan:
    """The toys of one computation and how they run: one record where six arguments travelled together.

    Attributes
    ----------
    n_toys : int
        Number of toys (0: none).
    seed : int or None
        Seed of the toys; None: a fresh one is drawn and recorded by the computation.
    fluctuate_aux : bool
        Fluctuate the auxiliary measurements too (see the module docstring).
    progress : bool or None
        Progress bar (None: only when stderr is a terminal).
    chunk_size : int
        Toys evaluated together (vectorised; default: an expected band's 200). With the seed it fixes the
        bits (a batched fit stops at its batch's convergence), so it never depends on the mapper.
    mapper : Mapper
        Runs the independent pieces (default ``map``: in this process).
    """

    n_toys: int
    seed: int | None = None
    fluctuate_aux: bool = True
    progress: bool | None = None
    chunk_size: int = 200
    mapper: Mapper = map


def one_blas_thread() -> contextlib.AbstractContextManager[object]:
    """A context that runs BLAS/OpenMP on one thread (threadpoolctl).

    A piece of toy work pins itself: the thread count is part of the numbers (a multi-threaded BLAS splits
    its sums differently), so this process and any worker process compute the same bits.
    """
    from threadpoolctl import threadpool_limits

    pinned: contextlib.AbstractContextManager[object] = threadpool_limits(limits=1)  # threadpoolctl ships no types
    return pinned


def resolve_seed(seed: int | np.integer[Any] | None) -> int:
    """Return ``seed`` as an int, or a fresh random one (recorded by the caller) if it is None."""
    if seed is None:
        entropy = np.random.SeedSequence().entropy
        assert isinstance(entropy, int)  # drawn from OS entropy when none is given: always an int
        return int(entropy % (2**63))
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be a non-negative integer or None; got {seed!r}")
    return int(seed)


@dataclass(frozen=True)
class ToyEnsemble:
    """A set of pseudo-experiments for one model.

    Attributes
    ----------
    data : ndarray, shape (n_toys, n_bins)
        Poisson counts.
    centres : ndarray, shape (n_toys, n_nuisances)
        Pull-term centres (auxiliary measurements) in the internal nuisance order
        [p (non-fixed), q, r]; entries of free components are unused.
    alpha : float
        Signal strength the toys were generated at.
    seed : int
        Seed of the generator.
    fluctuate_aux : bool
    """

    data: np.ndarray
    centres: np.ndarray
    alpha: float
    seed: int
    fluctuate_aux: bool

    @property
    def n_toys(self) -> int:
        return int(self.data.shape[0])

    @classmethod
    def observed(cls, model: BinnedModel) -> ToyEnsemble:
        """The model's own data and auxiliary values as an ensemble of one (seed 0, nothing drawn)."""
        cm = model.compiled
        return cls(np.asarray(model.data, dtype=float)[None, :].copy(), cm.centres[None, :].copy(), 0.0, 0, False)

    def model(self, model: BinnedModel, i: int) -> BinnedModel:
        """The model with toy ``i``'s data and auxiliary values (for inspection and debugging)."""
        cm = model.compiled
        aux_act = model.aux_activity.copy()
        aux_act[cm.free] = self.centres[i, : cm.n_p]
        return model.with_data(self.data[i]).with_aux(
            aux_act, self.centres[i, cm.n_p : cm.n_p + cm.n_q], self.centres[i, cm.n_p + cm.n_q :]
        )


def generate_toys(
    model: BinnedModel,
    n_toys: int,
    *,
    alpha: float = 0.0,
    seed: int | None = None,
    fluctuate_aux: bool = True,
    pulls: Pulls | None = None,
) -> ToyEnsemble:
    """Draw ``n_toys`` pseudo-experiments from the model.

    Parameters
    ----------
    model : BinnedModel
    n_toys : int
        Number of toys (≥ 1).
    alpha : float
        True signal strength.
    seed : int, optional
        Seed of ``numpy.random.default_rng``; None draws (and records) a fresh one.
    fluctuate_aux : bool
        Fluctuate the pull-term centres as well as the counts (see the module docstring).
    pulls : mapping or fit result, optional
        True nuisance values (see :meth:`BinnedModel.asimov`); default nominal.

    Returns
    -------
    ToyEnsemble
    """
    if isinstance(n_toys, bool) or not isinstance(n_toys, (int, np.integer)) or n_toys < 1:
        raise InputError(f"n_toys must be a positive integer; got {n_toys!r}")
    cm = model.compiled
    need = int(n_toys) * (model.n_bins + cm.n_par) * 8
    if need > MAX_TOY_BYTES:
        raise InputError(
            f"n_toys={int(n_toys)} would need {need / 2**30:.3g} GiB for the toys of this model "
            f"({model.n_bins} bins + {cm.n_par} auxiliary values each); use at most "
            f"{MAX_TOY_BYTES // ((model.n_bins + cm.n_par) * 8)} per ensemble"
        )
    alpha = check_alpha(model, alpha)
    seed = resolve_seed(seed)
    mean = model.asimov(alpha, pulls)
    if np.any(mean < 0):
        raise InputError(f"the expectation at alpha = {alpha} is negative in some bins: cannot draw Poisson toys")
    rng = np.random.default_rng(seed)
    # drawn in row blocks into one float array: the same stream as one draw, without an int64 copy
    data = np.empty((int(n_toys), model.n_bins))
    for start in range(0, int(n_toys), _DRAW_ROWS):
        rows = min(_DRAW_ROWS, int(n_toys) - start)
        data[start : start + rows] = rng.poisson(mean, size=(rows, model.n_bins))
    # The auxiliary measurements are centred on the true nuisance values (nominal unless given).
    p, q, r = model.nuisance_values(pulls)
    truth = np.concatenate([p[cm.free], q, r])
    centres = np.tile(truth, (int(n_toys), 1))
    if fluctuate_aux:
        pulled = np.isfinite(cm.pull_sigma)
        noise = rng.standard_normal(size=centres.shape)
        centres[:, pulled] += noise[:, pulled] * cm.pull_sigma[pulled]
    return ToyEnsemble(data, centres, alpha, seed, bool(fluctuate_aux))


#: Child of a belt's seed that draws the toys of the expected band of a Neyman or FC limit (belt grid
#: point k uses child k, so this index lies far above any grid)
BAND_TOYS_CHILD = 10**6
#: Child of a limit's seed that builds the belt of its expected limits when the caller gave none
EXPECTED_BELT_CHILD = 10**6 + 1


def child_seed(seed: int, k: int) -> int:
    """A reproducible independent seed for sub-task ``k`` of a computation seeded with ``seed``."""
    return int(np.random.SeedSequence([seed, k]).generate_state(1, np.uint64)[0] % (2**63))
