"""The one protocol every limit method implements, as seen by the expected-limit driver.

A method object is built once per question (model, statistic, confidence level and the method's own
settings, with everything it precomputes: the Neyman or Feldman–Cousins belt, the CL_s q̃_A grid,
the PCL power threshold) and then answers, vectorised over data sets:

* :meth:`LimitMethod.limits` — the upper limit of every data set of a batch (the Asimov data set,
  toys); the observed limit of each method is its public function (``bayesian_chi2_limit``, …),
  which refines the crossing on the observed data and records how the limit was made;
* :attr:`LimitMethod.asymptotic_band` — the expected limits from asymptotic formulas, where the
  method has them (CL_s, PCL), else None: then the median is the limit on the Asimov data set;
* :attr:`LimitMethod.band_method` and :meth:`LimitMethod.band_of` — whose toy limits make the
  expected band, and how (PCL: the PLR band with everything below its −1σ edge at −1σ);
* :attr:`LimitMethod.name`, :attr:`LimitMethod.calculator` — provenance of the expected limits.
"""

from __future__ import annotations

from typing import Protocol, Self

import numpy as np

from ..model import BinnedModel
from ..objective import FitBatch
from .results import percentile_band

__all__ = ["LimitMethod", "OwnToyBand"]


class LimitMethod(Protocol):
    """A limit method with its settings and calibration (see the module docstring)."""

    @property
    def name(self) -> str:
        """One of ``METHODS``."""
        ...

    @property
    def model(self) -> BinnedModel: ...

    @property
    def statistic(self) -> str: ...

    @property
    def cl(self) -> float: ...

    @property
    def calculator(self) -> str:
        """How the expected limits are computed: "asymptotic", "toys" or "bayesian integral"."""
        ...

    @property
    def asymptotic_band(self) -> dict[str, float] | None:
        """Asymptotic expected limits in α by band edge ("-2sigma" … "+2sigma"), or None."""
        ...

    @property
    def band_method(self) -> LimitMethod:
        """The method whose toy limits make the expected band (usually this one)."""
        ...

    def limits(self, batch: FitBatch) -> tuple[np.ndarray, np.ndarray]:
        """Upper limits in α (N,) and their success flags (N,) for the data sets of ``batch``."""
        ...

    def band_of(self, toy_limits: np.ndarray) -> tuple[np.ndarray, dict[str, float] | None]:
        """This method's toy limits and band from the toy limits of :attr:`band_method` (NaN: failed)."""
        ...


class OwnToyBand:
    """The band part of :class:`LimitMethod` for a method whose expected band is the percentiles of its own
    toy limits and which has no asymptotic formulas (Bayesian, PLR, Neyman, Feldman–Cousins)."""

    @property
    def asymptotic_band(self) -> None:
        return None

    @property
    def band_method(self) -> Self:
        return self

    def band_of(self, toy_limits: np.ndarray) -> tuple[np.ndarray, dict[str, float] | None]:
        return toy_limits, percentile_band(toy_limits)
