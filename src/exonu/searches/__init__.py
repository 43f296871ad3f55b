"""A search = signal model + detector window + background + statistic; the paper's searches as data.

A :class:`SearchSpec` says which interaction, which analysis window, which reference value maps to
signal strength α = 1 and how α scales with the physical parameter:

* millicharge q and magnetic moment μ: the rate ∝ q², μ², so α = (x/x_ref)² and x_90 = x_ref √α_90;
* B−L dark photon: the excess is g² I + g⁴ P (interference + pure). With α = (g/g_ref)⁴ the signal
  is α^½ I_ref + α P_ref — fitted exactly, not linearised — and the flat prior of the paper's method
  is flat in g⁴ (docs/physics.md §6, §10).

:func:`build_binned_model` turns a spec and a loaded detector (:func:`exonu.config.load_detector`) into
the unitless :class:`exonu.stats.BinnedModel`; :func:`run_search` computes the fit, the observed
and the expected limit and maps them back to the physical parameter.

Reference: XMASS Collaboration, PLB 809 (2020) 135741, arXiv:2005.11891, §4.

Modules: :mod:`.spec` (what a search is), :mod:`.templates` (signal folding and the fit model),
:mod:`.run` (one search), :mod:`.paper` (the paper's set of searches), :mod:`.joint` (one search on
several detectors at once, shared solar-flux nuisances), :mod:`.mediators` (exclusion curves of the mediator
families), :mod:`.exclusion` (limits versus mediator mass on one or several detectors, ``exonu exclusion``).
"""

from .exclusion import ExclusionScan, MassPoint, run_exclusion
from .joint import (
    JointModel,
    JointResult,
    build_joint_model,
    combine_models,
    run_joint_search,
)
from .paper import (
    PAPER_BEST_FITS,
    PaperResults,
    data_for_windows,
    mu_squared_sigma_from_profile,
    paper_best_fit_check,
    published_value,
    reproduce_paper,
)
from .run import SearchResult, run_search, search_result_from_model
from .spec import (
    ATOMIC_MODEL,
    DEFAULT_REFERENCE,
    PAPER_SEARCHES,
    PARAMETERS,
    PARAMETRISATIONS,
    PREFERRED_WINDOWS,
    SIGNALS,
    SearchSpec,
    SignalParametrisation,
    dark_photon_masses,
    dark_photon_specs,
    search_spec,
)
from .templates import SignalTemplates, build_binned_model, choose_window, signal_templates

__all__ = [
    "ATOMIC_MODEL",
    "DEFAULT_REFERENCE",
    "PAPER_BEST_FITS",
    "PAPER_SEARCHES",
    "PARAMETERS",
    "PARAMETRISATIONS",
    "PREFERRED_WINDOWS",
    "SIGNALS",
    "ExclusionScan",
    "JointModel",
    "JointResult",
    "MassPoint",
    "PaperResults",
    "SearchResult",
    "SearchSpec",
    "SignalParametrisation",
    "SignalTemplates",
    "build_binned_model",
    "build_joint_model",
    "choose_window",
    "combine_models",
    "dark_photon_masses",
    "dark_photon_specs",
    "data_for_windows",
    "mu_squared_sigma_from_profile",
    "paper_best_fit_check",
    "published_value",
    "reproduce_paper",
    "run_exclusion",
    "run_joint_search",
    "run_search",
    "search_result_from_model",
    "search_spec",
    "signal_templates",
]
