"""One fit problem: a model, a statistic and a batch of data sets, with the profiled test statistics.

:class:`FitProblem` replaces the ``(compiled model, statistic, data, variance base, centres)``
arguments that every calculator would otherwise thread through (the internal fit functions take
the same five as one :class:`~exonu.stats.objective.FitBatch`, its ``batch``). It is vectorised over
the data sets (observed data, Asimov data or toys) and answers:

* the profiled minimum over α ≥ 0 (:meth:`FitProblem.minimum`),
* χ²_min at given values of the fit variable u = α^c (:meth:`FitProblem.profile`),
* the profile-likelihood test statistics of Cowan, Cranmer, Gross, Vitells (arXiv:1007.1727):
  q̃_μ, Eq. (16) (one-sided, α̂ clipped at 0, zero above α̂) and t̃_μ, Eq. (11) (two-sided, α̂
  clipped at 0), both as Δχ² (= −2 ln λ; both statistics of this package are −2 ln L-like).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ..errors import InputError
from .compiled import CompiledModel
from .minimum import FitVariableMinimum, batched_newton_applies, best_fit_of_batch, minimise_fit_variable
from .model import BinnedModel
from .objective import FitBatch, expectation
from .solver import profile_batch
from .statistic import check_statistic

__all__ = ["SIDED", "FitProblem"]

#: the two test statistics: "one" = q̃_μ (upper limits, CLs), "two" = t̃_μ (unified intervals)
SIDED = ("one", "two")


@dataclass
class FitProblem:
    """A model, a statistic and N data sets with their auxiliary measurements.

    Parameters
    ----------
    model : BinnedModel
    statistic : {"chi2", "poisson"}
    data : ndarray, shape (N, n_bins), optional
        Default: the model's data (N = 1).
    centres : ndarray, shape (N, n_nuisances), optional
        Pull-term centres (auxiliary measurements) in the internal nuisance order. Default: the
        model's.
    """

    model: BinnedModel
    statistic: str
    data: np.ndarray | None = None
    centres: np.ndarray | None = None
    _minima: dict[float, FitVariableMinimum] = field(default_factory=dict, init=False, repr=False)
    #: the data sets as the internal fit functions take them (built once, with the variance base)
    batch: FitBatch = field(init=False, repr=False)

    def __post_init__(self) -> None:
        check_statistic(self.statistic)
        cm = self.model.compiled
        self.data = np.atleast_2d(self.model.data if self.data is None else np.asarray(self.data, dtype=float))
        n = self.data.shape[0]
        if self.centres is None:
            self.centres = np.tile(cm.centres, (n, 1))
        self.centres = np.atleast_2d(np.asarray(self.centres, dtype=float))
        if self.data.shape[1] != cm.n_bins or self.centres.shape != (n, cm.n_par):
            raise InputError(
                f"data must have shape (N, {cm.n_bins}) and centres (N, {cm.n_par}); "
                f"got {self.data.shape} and {self.centres.shape}"
            )
        self.batch = FitBatch.of(cm, self.statistic, self.data, self.centres)

    @property
    def base(self) -> np.ndarray:
        """The α-independent part of the χ² denominator of every data set (N, n_bins)."""
        return self.batch.base

    @property
    def compiled(self) -> CompiledModel:
        return self.model.compiled

    @property
    def n_sets(self) -> int:
        assert self.data is not None  # set by __post_init__
        return int(self.data.shape[0])

    def subset(self, rows: Sequence[int] | np.ndarray) -> FitProblem:
        """The same problem for some of the data sets."""
        assert self.data is not None and self.centres is not None  # set by __post_init__
        return FitProblem(self.model, self.statistic, self.data[rows], self.centres[rows])

    def minimum(self, stop_delta: float = 10.0) -> FitVariableMinimum:
        """The best fit on u ≥ 0 of every data set (cached).

        For a signal linear in u without signal MC variance it is the joint Newton solve of
        :func:`~exonu.stats.minimum.best_fit_of_batch` (ladder fallback where it does not certify), with
        the profile curvature from the Schur complement and the minimum as the only "ladder" point;
        otherwise the ladder search, which climbs until χ²_min has risen ``stop_delta``.
        """
        key = 0.0 if self._joint else float(stop_delta)
        if key not in self._minima:
            if self._joint:
                best = best_fit_of_batch(self.model, self.batch)
                assert best.curvature is not None  # best_fit_of_batch gives it wherever the joint solve applies
                self._minima[key] = FitVariableMinimum(
                    best.u, best.f, best.theta, best.curvature, best.converged,
                    best.u[:, None], best.f[:, None], best.theta[:, None, :],
                )  # fmt: skip
            else:
                self._minima[key] = minimise_fit_variable(
                    self.batch, np.tile(self.compiled.nominal, (self.n_sets, 1)), stop_delta=stop_delta
                )
        return self._minima[key]

    @property
    def _joint(self) -> bool:
        return batched_newton_applies(self.model)

    def profile(self, u: np.ndarray, theta0: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """χ²_min at one u per data set: ``u`` (N,) → (f (N,), θ (N, P), converged (N,))."""
        u = np.broadcast_to(np.asarray(u, dtype=float), (self.n_sets,)).copy()
        if theta0 is None:
            theta0 = self.minimum().theta
        th, f, ok, _ = profile_batch(self.batch, u, theta0, newton=True)
        return f, th, ok | ~np.isfinite(f)

    def test_statistic(self, u_values: npt.ArrayLike, sided: str = "one") -> tuple[np.ndarray, np.ndarray]:
        """q̃ (``sided="one"``) or t̃ (``"two"``) at every u of ``u_values`` for every data set.

        Returns
        -------
        values : ndarray, shape (N, G)
            Δχ² = χ²_min(u) − χ²_min(û) (û ≥ 0); for q̃ it is 0 where û > u. NaN where a profile failed.
        ok : ndarray of bool, shape (N, G)
        """
        if sided not in SIDED:
            raise InputError(f"sided must be one of {SIDED}; got {sided!r}")
        um = self.minimum()
        u_values = np.atleast_1d(np.asarray(u_values, dtype=float))
        f = np.empty((self.n_sets, u_values.size))
        ok = np.empty(f.shape, dtype=bool)
        theta = um.theta
        order = np.argsort(u_values)  # warm-start along increasing u
        for k in order:
            f[:, k], th, ok[:, k] = self.profile(np.full(self.n_sets, u_values[k]), theta)
            theta = np.where(np.isfinite(f[:, k])[:, None], th, theta)
        delta = np.maximum(f - um.f[:, None], 0.0)
        if sided == "one":
            delta = np.where(um.u[:, None] <= u_values[None, :], delta, 0.0)
        ok &= um.converged[:, None]
        return np.where(ok, delta, np.nan), ok

    def conditional_asimov(self, u: float = 0.0) -> FitProblem:
        """The Asimov data set of each data set at fit variable ``u``, its nuisances fitted at that u.

        The nuisances are profiled at u on each data set; the Asimov counts are the expectation
        there and the auxiliary measurements are set to the fitted values (the construction of
        Cowan et al., arXiv:1007.1727 §5, and pyhf's ``generate_asimov_data``).
        """
        cm = self.compiled
        u_arr = np.full(self.n_sets, float(u))
        f, th, _ok = self.profile(u_arr, np.tile(cm.nominal, (self.n_sets, 1)))
        if not np.all(np.isfinite(f)):
            raise InputError("the background-only fit to the data failed: no Asimov data set can be built")
        expected = expectation(cm, u_arr, th).expected
        return FitProblem(self.model, self.statistic, expected, th.copy())

    def nominal_asimov(self, alpha: float = 0.0) -> FitProblem:
        """The Asimov data set at ``alpha`` with nominal nuisances and auxiliary measurements."""
        cm = self.compiled
        return FitProblem(self.model, self.statistic, self.model.asimov(alpha)[None, :], cm.nominal[None, :].copy())
