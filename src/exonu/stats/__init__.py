"""Statistics layer: the spectrum fit of the XMASS-I paper (arXiv:2005.11891, Eqs. 4–7) and limits.

Unitless by design: it sees counts per bin, templates and their systematic shifts, never keV or
couplings. The caller (``exonu.searches``) builds a :class:`BinnedModel` and maps the signal
strength α back to a physical parameter.

Modules, in the order a result is produced (each imports only modules above it):

* :mod:`~exonu.stats.validate`, :mod:`~exonu.stats.progress`, :mod:`~exonu.stats.calculators` — input
  checks, progress bars, p-values and belt arithmetic on plain numbers
* :mod:`~exonu.stats.compiled` — :class:`~exonu.stats.compiled.CompiledModel`, a model's arrays laid out
  for the vectorised objective, and u = α^c ↔ α
* :mod:`~exonu.stats.layout` — :class:`ParameterLayout`, the names/slices/bounds of a fit vector
* :mod:`~exonu.stats.statistic` — the χ² of Eqs. (4)–(7), its Poisson variant and a statistic per bin
  (the :class:`~exonu.stats.statistic.Statistic` objects)
* :mod:`~exonu.stats.model` — :class:`BinnedModel` (data, templates, systematics, validation)
* :mod:`~exonu.stats.objective` — expected counts, the statistic with its pull terms and their analytic
  derivatives, vectorised over data sets
* :mod:`~exonu.stats.toys` — seeded pseudo-experiments
* :mod:`~exonu.stats.solver` — the damped Newton solver: profiles at fixed α and joint (α, nuisances) fits
* :mod:`~exonu.stats.minimum` — the best fit over α: the ladder search, and :func:`batched_best_fit`
* :mod:`~exonu.stats.profiles` — :func:`profile` and :func:`profile_scan`
* :mod:`~exonu.stats.hessian` — a fit's error block: the exact Hessian at the minimum, covariance, checks
* :mod:`~exonu.stats.fitting` — :func:`fit`, the global fit (Hessian errors, or iminuit MIGRAD/HESSE)
* :mod:`~exonu.stats.problem` — :class:`FitProblem` (model + statistic + data sets) and the
  profile-likelihood test statistics q̃_μ, t̃_μ
* :mod:`~exonu.stats.scan` — scans of χ²_min(α) for limits: range, grid, crossings
* :mod:`~exonu.stats.belt` — :func:`belt_statistic`, Neyman and Feldman–Cousins belts from toys
* :mod:`~exonu.stats.limits` — one module per limit method (Bayesian, PLR, Neyman, CL_s, PCL, FC) behind
  one protocol, expected limits and bands, and :func:`upper_limit` for every method
* :mod:`~exonu.stats.pyhf_export` — HistFactory JSON export (pyhf optional)
"""

from .belt import BeltStatistic, NeymanBelt, belt_statistic, neyman_belt
from .fc_exact import fc_poisson_interval
from .fitting import FitResult, fit
from .gof import GoodnessOfFit, goodness_of_fit
from .layout import ParameterLayout
from .limits import (
    BAND_PERCENTILES,
    METHODS,
    MIN_BAND_TOYS,
    ExpectedLimits,
    LimitResult,
    bayesian_chi2_limit,
    best_fit_band,
    cls_upper_limit,
    expected_limits,
    expected_limits_together,
    fc_interval,
    limits_for_toys,
    neyman_upper_limit,
    pcl_upper_limit,
    plr_interval,
    plr_upper_limit,
    upper_limit,
)
from .limits.asymptotic_plr import plr_critical_value
from .minimum import BatchedFit, batched_best_fit
from .model import BinnedModel
from .objective import chi2_value
from .problem import FitProblem
from .profiles import ProfileResult, ProfileScan, profile, profile_scan
from .pyhf_export import poi_to_physical, to_pyhf_model, to_pyhf_workspace, workspace_metadata
from .statistic import PER_BIN, STATISTICS
from .toys import Mapper, ToyEnsemble, generate_toys
from .validate import check_cl

__all__ = [
    "BAND_PERCENTILES",
    "METHODS",
    "MIN_BAND_TOYS",
    "PER_BIN",
    "STATISTICS",
    "BatchedFit",
    "BeltStatistic",
    "BinnedModel",
    "ExpectedLimits",
    "FitProblem",
    "FitResult",
    "GoodnessOfFit",
    "LimitResult",
    "Mapper",
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
    "expected_limits_together",
    "fc_interval",
    "fc_poisson_interval",
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
    "poi_to_physical",
    "profile",
    "profile_scan",
    "to_pyhf_model",
    "to_pyhf_workspace",
    "upper_limit",
    "workspace_metadata",
]
