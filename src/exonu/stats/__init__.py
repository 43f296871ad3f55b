"""Statistics layer: the spectrum fit of the XMASS-I paper (arXiv:2005.11891, Eqs. 4–7) and limits.

Unitless by design: it sees counts per bin, templates and their systematic shifts, never keV or
couplings. The caller (``exonu.searches``) builds a :class:`BinnedModel` and maps the signal
strength α back to a physical parameter.

Modules, in the order a result is produced:

* :mod:`~exonu.stats.model` — :class:`BinnedModel` (data, templates, systematics, validation)
* :mod:`~exonu.stats.chi2` — the χ² of Eqs. (4)–(7), its Poisson variant and a statistic per bin
  (the :class:`~exonu.stats.chi2.Statistic` objects), vectorised
* :mod:`~exonu.stats.profiling` — profiling the nuisances at fixed α (the fast core)
* :mod:`~exonu.stats.fit` — the global fit with iminuit (HESSE errors, χ²/ndof)
* :mod:`~exonu.stats.newton` — :func:`batched_best_fit`, the best fit of many toys in one Newton solve
* :mod:`~exonu.stats.toys` — seeded pseudo-experiments
* :mod:`~exonu.stats.belt` — :func:`belt_statistic`, t(α_k) of a toy ensemble for Neyman and
  Feldman–Cousins belts
* :mod:`~exonu.stats.layout` — :class:`ParameterLayout`, the names/slices/bounds of a fit vector
* :mod:`~exonu.stats.problem` — :class:`FitProblem` (model + statistic + data sets) and the
  profile-likelihood test statistics q̃_μ, t̃_μ
* :mod:`~exonu.stats.calculators` — p-values, asymptotic (CL_s formulas) or from toys; Neyman belts
* :mod:`~exonu.stats.frequentist` — CL_s, power-constrained limits, Feldman–Cousins intervals,
  the best-fit ± Nσ band
* :mod:`~exonu.stats.limits` — Bayesian χ² limit (the paper's), PLR limits/intervals, Neyman
  construction, expected limits and bands, and :func:`upper_limit` for every method
* :mod:`~exonu.stats.pyhf_export` — HistFactory JSON export (pyhf optional)
"""

from .belt import BeltStatistic, belt_statistic
from .chi2 import STATISTICS, chi2_value
from .fit import FitResult, fit
from .frequentist import MIN_BAND_TOYS, best_fit_band, cls_upper_limit, fc_interval, pcl_upper_limit
from .gof import GoodnessOfFit, goodness_of_fit
from .layout import ParameterLayout
from .limits import (
    METHODS,
    ExpectedLimits,
    LimitResult,
    NeymanBelt,
    bayesian_chi2_limit,
    check_cl,
    expected_limits,
    limits_for_toys,
    neyman_belt,
    neyman_upper_limit,
    plr_critical_value,
    plr_interval,
    plr_upper_limit,
    upper_limit,
)
from .model import BinnedModel
from .newton import BatchedFit, batched_best_fit
from .problem import FitProblem
from .profiling import ProfileResult, ProfileScan, profile, profile_scan
from .pyhf_export import to_pyhf_model, to_pyhf_workspace
from .toys import ToyEnsemble, generate_toys

__all__ = [
    "METHODS",
    "MIN_BAND_TOYS",
    "STATISTICS",
    "BatchedFit",
    "BeltStatistic",
    "BinnedModel",
    "ExpectedLimits",
    "FitProblem",
    "FitResult",
    "GoodnessOfFit",
    "LimitResult",
    "NeymanBelt",
    "ParameterLayout",
    "ProfileResult",
    "ProfileScan",
    "ToyEnsemble",
    "batched_best_fit",
    "bayesian_chi2_limit",
    "belt_statistic",
    "best_fit_band",
    "check_cl",
    "chi2_value",
    "cls_upper_limit",
    "expected_limits",
    "fc_interval",
    "fit",
    "generate_toys",
    "goodness_of_fit",
    "limits_for_toys",
    "neyman_belt",
    "neyman_upper_limit",
    "pcl_upper_limit",
    "plr_critical_value",
    "plr_interval",
    "plr_upper_limit",
    "profile",
    "profile_scan",
    "to_pyhf_model",
    "to_pyhf_workspace",
    "upper_limit",
]
