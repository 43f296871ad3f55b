"""Running one search: fit, observed and expected limits, mapped back to the physical parameter."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from ..errors import FitError, InputError, check_int
from ..spectrum import RecoilSpectrum
from ..stats import (
    METHODS,
    BinnedModel,
    ExpectedLimits,
    FitResult,
    LimitResult,
    Mapper,
    check_cl,
    expected_limits_together,
    fit,
    plr_interval,
    upper_limit,
)
from .diagnostics import Diagnostic, fit_diagnostics, model_diagnostics, setup_diagnostics
from .postfit import PhysicalSignal, PostFit, SignalProfile, postfit, signal_profile
from .spec import SearchSpec
from .templates import SignalTemplates, build_binned_model, choose_window

if TYPE_CHECKING:
    from ..detector import DetectorSetup


@dataclass
class SearchResult:
    """Outcome of one search in physical units (plus the unitless objects it came from)."""

    spec: SearchSpec
    window: str
    reference: float
    observed: float
    expected: float
    expected_band: tuple[float, float] | None
    best_fit: float
    chi2_min: float
    chi2_background_only: float
    ndof: int
    method: str
    seed: int | None
    fit_result: FitResult = field(repr=False)
    limit_result: LimitResult = field(repr=False)
    model: BinnedModel = field(repr=False)
    templates: SignalTemplates = field(repr=False)
    interval: tuple[float, float] | None = None
    expected_toy_median: float | None = None
    expected_band_fixed_aux: tuple[float, float] | None = None
    cl: float = 0.9
    expected_detail: ExpectedLimits | None = field(repr=False, default=None)
    #: warnings found before the fit (data files, counts against the background; :mod:`.diagnostics`)
    checks: list[Diagnostic] = field(default_factory=list)
    #: groups of bins whose goodness of fit is reported apart (default: the one window, every bin)
    bin_groups: dict[str, slice] | None = field(repr=False, default=None)
    #: words for component and systematic names, used in the parameter table
    labels: dict[str, str] = field(repr=False, default_factory=dict)

    @property
    def upper_limit(self) -> float:
        """The observed upper limit (physical units); the same as :attr:`observed`."""
        return self.observed

    @property
    def expected_upper_limit(self) -> float:
        """The expected (Asimov median) upper limit; the same as :attr:`expected`."""
        return self.expected

    @property
    def statistic(self) -> str:
        """The fit statistic the limit was made with."""
        return str(self.limit_result.statistic)

    @cached_property
    def postfit(self) -> PostFit:
        """Post-fit parameters, correlations and goodness of fit of the best fit (:mod:`.postfit`)."""
        groups = self.bin_groups if self.bin_groups is not None else {self.window: slice(0, self.model.n_bins)}
        return postfit(self.model, self.fit_result, self.statistic, windows=groups, labels=self.labels)

    @cached_property
    def profile(self) -> SignalProfile:
        """Δχ²(α) profiled over the nuisances and its Δχ² = 1 interval (one extra profile scan)."""
        return signal_profile(self.model, self.statistic)

    @property
    def best_fit_interval(self) -> tuple[float, float]:
        """The Δχ² = 1 profile interval of the physical parameter (asymmetric; lower end 0 at the boundary)."""
        prof = self.profile
        ends = sorted((self.to_physical(prof.alpha_lower), self.to_physical(prof.alpha_upper)), key=abs)
        return ends[0], ends[1]

    @property
    def physical_signal(self) -> PhysicalSignal:
        """The best fit and its Δχ² = 1 interval in the physical unit (for the parameter table)."""
        return PhysicalSignal(self.spec.parameter, self.spec.unit, self.best_fit, self.best_fit_interval)

    @property
    def nuisances(self) -> list[dict[str, Any]]:
        """Every fitted parameter (signal first): name, label, value, uncertainty, prior, pull.

        The signal's value is the best fit in the physical unit with its Δχ² = 1 ``interval`` (its
        ``uncertainty`` null: the interval is asymmetric); α, the fitted variable, is under ``alpha``
        and ``alpha_uncertainty`` (Hessian).
        """
        signal, *others = [p.as_dict() for p in self.postfit.parameters]
        physical = self.physical_signal
        signal.update(
            label=f"signal: {physical.parameter} in {physical.unit} (fitted as α = {signal['name']})",
            value=physical.best_fit,
            uncertainty=None,
            interval=list(physical.interval),
            unit=physical.unit,
            alpha=signal["value"],
            alpha_uncertainty=signal["uncertainty"],
        )
        return [signal, *others]

    @property
    def correlations(self) -> dict[str, Any]:
        """The correlation matrix of the fitted parameters: ``{"names": [...], "matrix": [[...]]}``."""
        return self.postfit.correlations_dict()

    @property
    def gof(self) -> dict[str, Any]:
        """Goodness of fit: ``statistic``, ``ndof``, ``p_value`` and ``per_window`` (see :mod:`exonu.stats.gof`)."""
        g = self.postfit.gof
        return {
            "statistic": g.statistic,
            "statistic_name": g.statistic_name,
            "ndof": g.ndof,
            "p_value": g.p_value,
            "pull_terms": g.pull_terms,
            "per_window": {
                name: {"statistic": w.statistic, "ndof": w.ndof, "p_value": w.p_value, "n_bins": w.n_bins}
                for name, w in g.per_window.items()
            },
        }

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Every warning of this search: the checks before the fit, after it, and about the expected band."""
        band = [Diagnostic("expected-band", w) for w in self.expected_warnings]
        return [*self.checks, *fit_diagnostics(self.postfit), *band]

    @property
    def warnings(self) -> list[dict[str, str]]:
        """:attr:`diagnostics` as ``{"code", "message"}`` objects."""
        return [d.as_dict() for d in self.diagnostics]

    def result_fields(self) -> dict[str, Any]:
        """The keys every fit result has, single-detector or joint (the result schema's common part)."""
        prov = self.provenance
        out: dict[str, Any] = {
            "upper_limit": self.observed,
            "expected_upper_limit": self.expected,
            "expected_band": list(self.expected_band) if self.expected_band else None,
            "expected_toy_median": self.expected_toy_median,
            "expected_band_fixed_aux": list(self.expected_band_fixed_aux) if self.expected_band_fixed_aux else None,
            "best_fit": self.best_fit,
            "best_fit_interval": list(self.best_fit_interval),
            "interval": list(self.interval) if self.interval else None,
            "unit": self.spec.unit,
            "window": self.window,
            "method": self.method,
            "test_statistic": prov.get("test_statistic"),
            "threshold": prov.get("threshold"),
            "sided": prov.get("sided"),
            "statistic": self.statistic,
            "cl": self.cl,
            "converged": bool(self.limit_result.converged),
            "chi2_min": self.chi2_min,
            "chi2_background_only": self.chi2_background_only,
            "significance_sigma": self.significance_sigma,
            "fit_valid": bool(self.fit_result.valid),
            "fit_message": self.fit_result.message,
            "nuisances": self.nuisances,
            "correlations": self.correlations,
            "gof": self.gof,
            "warnings": self.warnings,
        }
        details = self.limit_result.details
        if "power_constrained" in details:  # --method pcl: what the power constraint did
            out["power_constrained"] = bool(details["power_constrained"])
            out["unconstrained_limit"] = self.to_physical(details["unconstrained_limit"])
            out["power_threshold"] = self.to_physical(details["power_threshold"])
        return out

    @property
    def provenance(self) -> dict[str, Any]:
        """How the observed limit was made (:meth:`~exonu.stats.LimitResult.describe`)."""
        return self.limit_result.describe()

    @property
    def expected_warnings(self) -> list[str]:
        """Warnings about the expected band (too few toys, Asimov median outside the toy ±1σ band)."""
        return list(self.expected_detail.warnings) if self.expected_detail is not None else []

    def to_physical(self, alpha: float) -> float:
        """α → physical parameter, x = x_ref α^(1/power) (α < 0 maps to 0)."""
        return float(self.reference * max(float(alpha), 0.0) ** (1.0 / self.spec.alpha_power))

    @property
    def significance_sigma(self) -> float:
        return float(np.sqrt(max(self.chi2_background_only - self.chi2_min, 0.0)))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: :meth:`result_fields` (the result schema's names) plus the search's own details."""
        d = {
            "published": self.spec.published,
            "ratio_expected_to_published": (self.expected / self.spec.published) if self.spec.published else None,
            "ratio_observed_to_published": (self.observed / self.spec.published) if self.spec.published else None,
            "ndof": self.ndof,
            "flavours": list(self.spec.flavours),
            "reference_value": self.reference,
            "seed": self.seed,
            "limit_provenance": self.provenance,
            "expected_warnings": self.expected_warnings,
        }
        if self.spec.mass_mev is not None:
            d["mass_mev"] = self.spec.mass_mev
        d.update(self.result_fields())
        return d


#: Toys whose limits are computed together (vectorised) in an expected band (the ``chunk_size`` default of
#: :func:`exonu.stats.expected_limits`): a band of n toys is ⌈n / 200⌉ independent pieces for a ``mapper``
BAND_CHUNK_TOYS = 200
#: Limit methods that build a toy belt (one independent piece per grid point for a ``mapper``)
BELT_METHODS = ("neyman", "fc")


def parallel_work(method: str, n_toys: int, fixed_aux_band: bool = True) -> str | None:
    """What of a search's work ``mapper`` can run side by side, in words; None when it is one piece at a time.

    A neyman / fc limit builds a belt, one piece per grid point. The expected band and the band with the
    auxiliary measurements held at nominal (``fixed_aux_band``) are computed together in chunks of
    :data:`BAND_CHUNK_TOYS` toys (the chunks, not the number of workers, fix the numbers); a PCL limit
    needs its band before the other one, so its bands run one after the other.
    """
    if method in BELT_METHODS:
        return f"the grid points of the {method} belt"
    chunks_per_band = -(-n_toys // BAND_CHUNK_TOYS)
    bands_together = 2 if (fixed_aux_band and n_toys and method != "pcl") else 1
    if chunks_per_band * bands_together > 1:
        return f"{chunks_per_band * bands_together} chunks of ≤ {BAND_CHUNK_TOYS} toys at once"
    return None


#: Scan points of the toy limits behind a PCL power threshold: ``expected_limits``' default, so that the
#: threshold of a PCL run equals the −1σ band edge of a PLR run of the same fit and seed (one edge)
PCL_BAND_N_GRID = 48


def _checked_question(method: str, cl: float) -> float:
    """``cl`` validated, after refusing an unknown ``method`` (one line naming the valid ones)."""
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    return check_cl(cl)


def run_search(
    setup: DetectorSetup,
    spec: SearchSpec,
    data: ArrayLike | None = None,
    *,
    method: str = "bayesian",
    n_toys: int = 200,
    seed: int = 0,
    statistic: str | None = None,
    spectrum: RecoilSpectrum | None = None,
    interval: bool = False,
    templates: SignalTemplates | None = None,
    progress: bool | None = False,
    neyman_toys: int = 500,
    fixed_aux_band: bool = True,
    cl: float = 0.9,
    mapper: Mapper = map,
) -> SearchResult:
    """Fit, observed and expected limits at confidence level ``cl`` for one search, in physical units.

    ``method`` (see :func:`exonu.stats.upper_limit`): ``"bayesian"`` (the paper's: flat prior in α,
    exp(−χ²_min/2)), ``"plr"`` (asymptotic one-sided profile likelihood, Δχ² = Φ⁻¹(cl)²), ``"neyman"``
    (the same statistic with critical values from ``neyman_toys`` toys per point of an α grid),
    ``"cls"`` (asymptotic CL_s with q̃_μ), ``"pcl"`` (power-constrained at the −1σ expected limit) or
    ``"fc"`` (Feldman–Cousins interval from ``neyman_toys`` toys per grid point; the limit is its
    upper end and ``interval`` its two ends). ``fixed_aux_band`` also runs the toys with the
    auxiliary measurements held at nominal (a second band; doubles the toy time).
    ``n_toys`` background-only toys give the ±1σ band (0: Asimov median only). ``interval=True`` also
    computes the two-sided profile-likelihood interval at ``cl``. ``statistic`` (``"chi2"``, the
    paper's, or ``"poisson"``) defaults to the one the detector's config names (``setup.statistic``),
    as the command line does, so a script and ``exonu fit`` give the same number. ``mapper``
    (``map(function, items)``, default ``map``: in this process) runs the independent toy work — the
    chunks of the expected bands and the grid points of a neyman/fc belt (see :func:`parallel_work`) —
    e.g. ``executor_for(jobs=2).map`` from :mod:`exonu.parallel`; the result does not depend on it.

    Raises
    ------
    FitError
        If the best fit or the background-only fit failed or is not finite: no limit is made from it.
    """
    cl = _checked_question(method, cl)
    if seed is not None:  # checked even when no toy uses it (n_toys=0), as the command line does
        check_int(seed, "seed", lower=0)
    model, templates = build_binned_model(setup, spec, data, spectrum, templates)
    if statistic is None:
        statistic = setup.statistic
    window = choose_window(setup, spec)
    return search_result_from_model(
        model,
        spec,
        templates,
        window,
        method=method,
        statistic=statistic,
        n_toys=n_toys,
        seed=seed,
        cl=cl,
        interval=interval,
        neyman_toys=neyman_toys,
        fixed_aux_band=fixed_aux_band,
        progress=progress,
        mapper=mapper,
        checks=setup_diagnostics(setup, window) if data is None else [],
        labels=component_labels(setup, window),
    )


def component_labels(setup: DetectorSetup, window: str) -> dict[str, str]:
    """The config's label of each background component of ``window`` (for the parameter table)."""
    bkg = setup.window(window).background
    return dict(zip(bkg.names, bkg.labels, strict=False))


def search_result_from_model(
    model: BinnedModel,
    spec: SearchSpec,
    templates: SignalTemplates,
    window: str,
    *,
    method: str = "bayesian",
    statistic: str = "chi2",
    n_toys: int = 200,
    seed: int = 0,
    cl: float = 0.9,
    interval: bool = False,
    neyman_toys: int = 500,
    fixed_aux_band: bool = True,
    progress: bool | None = False,
    checks: list[Diagnostic] | None = None,
    bin_groups: dict[str, slice] | None = None,
    labels: dict[str, str] | None = None,
    mapper: Mapper = map,
) -> SearchResult:
    """Fit, observed and expected limits of a prebuilt model, in physical units.

    What :func:`run_search` does after building one detector's model, for any :class:`BinnedModel`
    whose α = 1 is ``templates.reference`` (a joint model of several detectors, for one). ``window``
    labels the bins in the result; the other arguments are :func:`run_search`'s, except that a bare
    model names no detector, so ``statistic`` defaults to the paper's ``"chi2"`` (``"per-bin"`` uses
    the model's ``bin_statistic``). ``checks`` are warnings found before the fit (the detector's data
    files), ``bin_groups`` the groups of bins whose goodness of fit is reported apart (default: every
    bin, named ``window``), ``labels`` words for the parameter names, ``mapper`` what runs the toy work.
    The pre-fit comparison of counts and background (:func:`~exonu.searches.diagnostics.model_diagnostics`)
    is added here.

    Raises
    ------
    FitError
        If the best fit or the background-only fit failed or is not finite: no limit is made from it.
    """
    cl = _checked_question(method, cl)
    groups = bin_groups if bin_groups is not None else {window: slice(0, model.n_bins)}
    checks = [*(checks or []), *model_diagnostics(model, groups)]
    best = fit(model, statistic=statistic, ndof_convention="poi")
    null = fit(model, statistic=statistic, fix_alpha=0.0, ndof_convention="poi")
    for name, f in (("best fit", best), ("background-only fit", null)):
        if not (f.converged and np.isfinite(f.chi2)):
            raise FitError(
                f"the {name} failed ({f.message}; statistic {f.chi2}): no limit is made from it — "
                "check the data (counts per bin) and the detector model"
            )
    # the toys of the expected band and of the band with the auxiliary measurements (pull centres) held at
    # nominal — the data's Poisson fluctuations alone, to show how much of the band the constraints
    # contribute — run together, so that a mapper with several workers runs both at once
    toys: dict[str, Any] = {
        "cl": cl,
        "n_toys": n_toys,
        "seed": seed,
        "statistic": statistic,
        "progress": progress,
        "chunk_size": BAND_CHUNK_TOYS,
    }
    band_questions = [dict(toys, method=method)]
    if method in BELT_METHODS:  # the toy belt is built once and reused for the expected limits
        limit = upper_limit(
            model,
            cl,
            method=method,
            statistic=statistic,
            n_toys=neyman_toys,
            seed=seed,
            expected=False,
            mapper=mapper,
        )
        band_questions[0]["belt"] = limit.details["belt"]
    elif method == "pcl":
        # one −1σ edge: the power threshold is the −1σ edge of the band reported beside the limit (the
        # toys' when there are toys, else the asymptotic one), scanned as expected_limits scans a PLR band
        limit = upper_limit(
            model,
            cl,
            method="pcl",
            statistic=statistic,
            n_toys=n_toys,
            seed=seed,
            progress=progress,
            n_grid=PCL_BAND_N_GRID,
            mapper=mapper,
        )
        band_questions = []  # pcl_upper_limit(expected=True) carries its band
    else:
        limit = upper_limit(model, cl, method=method, statistic=statistic, expected=False)
    if not np.isfinite(limit.alpha_limit):
        raise FitError(f"the {method} limit is not finite ({limit.message}): check the data and the model")
    if fixed_aux_band and n_toys:
        band_questions.append(dict(toys, method=method if method not in BELT_METHODS else "plr", fluctuate_aux=False))
    found = expected_limits_together(model, band_questions, mapper=mapper)
    exp = found.pop(0) if method != "pcl" else limit.expected_detail
    assert exp is not None  # pcl_upper_limit(expected=True) carries its band
    fixed = found.pop(0) if found else None
    result = SearchResult(
        spec=spec,
        window=window,
        reference=templates.reference,
        observed=0.0,
        expected=0.0,
        expected_band=None,
        best_fit=0.0,
        chi2_min=float(best.chi2),
        chi2_background_only=float(null.chi2),
        ndof=int(best.ndof),
        method=method,
        seed=seed if (n_toys or method in ("neyman", "fc")) else None,
        fit_result=best,
        limit_result=limit,
        model=model,
        templates=templates,
        cl=cl,
        expected_detail=exp,
        checks=checks,
        bin_groups=bin_groups,
        labels=dict(labels or {}),
    )
    result.observed = result.to_physical(limit.alpha_limit)
    result.expected = result.to_physical(exp.asimov)
    result.best_fit = result.to_physical(best.alpha)
    if exp.band:
        result.expected_band = (result.to_physical(exp.band["-1sigma"]), result.to_physical(exp.band["+1sigma"]))
        result.expected_toy_median = result.to_physical(exp.band["median"])
    if exp.band and fixed is not None and fixed.band:
        result.expected_band_fixed_aux = (
            result.to_physical(fixed.band["-1sigma"]),
            result.to_physical(fixed.band["+1sigma"]),
        )
    if method == "fc":
        result.interval = (result.to_physical(limit.alpha_lower or 0.0), result.to_physical(limit.alpha_limit))
    elif interval:
        iv = plr_interval(model, cl, statistic=statistic)
        result.interval = (result.to_physical(iv.alpha_lower or 0.0), result.to_physical(iv.alpha_limit))
    return result
