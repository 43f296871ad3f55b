"""Post-fit parameters of a search: best values, Hessian uncertainties, priors, pulls, correlations,
the goodness of fit, and the signal's profile interval at Δχ² = 1.

What a physicist looks at first after a limit (``pyhf fit --value``, iminuit's parameter table,
cabinetry's pull plots). Everything here reads the public objects of :mod:`exonu.stats`: the
:class:`~exonu.stats.FitResult` (values, errors from the Hessian, covariance) and the
:class:`~exonu.stats.BinnedModel` (names, activity constraints, pull centres, templates).

Conventions (the model's, :mod:`exonu.stats.model`):

* a component normalisation ``p_<component>`` has prior centre aux_j (1 for the real data) and prior σ
  ``activity_sigma_j`` (relative); a free one (σ = ∞) has no prior and no pull;
* a background shape pull ``q_<name>`` and a signal shape pull ``r_<name>`` have prior centre aux (0)
  and σ = 1;
* pull = (θ̂ − θ₀)/σ; the post-fit uncertainty divided by σ (the "constraint") says how much the data
  narrowed the prior.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import chdtr

from ..atomic import ATOMIC_NUISANCE
from ..stats import BinnedModel, FitResult, GoodnessOfFit, goodness_of_fit, plr_interval
from .combine import SEPARATOR

__all__ = [
    "DELTA_CHI2_ONE_SIGMA_CL",
    "FitParameter",
    "PhysicalSignal",
    "PostFit",
    "SignalProfile",
    "postfit",
    "signal_profile",
]

#: the CL whose two-sided χ²₁ threshold is Δχ² = 1 (0.6827): the ±1σ profile interval
DELTA_CHI2_ONE_SIGMA_CL = float(chdtr(1, 1.0))  # scipy.stats.chi2.cdf(1, 1), without importing scipy.stats

_KIND = {"p_": "normalisation", "q_": "background shape", "r_": "signal shape"}


@dataclass(frozen=True)
class FitParameter:
    """One fitted parameter (the signal strength first, then every nuisance).

    Attributes
    ----------
    name : str
        As in :attr:`exonu.stats.FitResult.parameter_names` (``p_<component>``, ``q_…``, ``r_…``).
    label : str
        What it is, in words.
    kind : str
        ``"signal"``, ``"normalisation"``, ``"background shape"`` or ``"signal shape"``.
    value, uncertainty : float
        Best fit and its Hessian error (0 for a parameter held at a bound).
    prior_center, prior_sigma : float or None
        The pull term's centre and σ; None for a parameter without one (signal, free normalisation).
    pull : float or None
        (value − prior_center)/prior_sigma.
    """

    name: str
    label: str
    kind: str
    value: float
    uncertainty: float
    prior_center: float | None
    prior_sigma: float | None
    pull: float | None

    @property
    def constrained(self) -> bool:
        """True when the parameter has a pull term."""
        return self.prior_sigma is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "kind": self.kind,
            "value": self.value,
            "uncertainty": self.uncertainty,
            "prior_center": self.prior_center,
            "prior_sigma": self.prior_sigma,
            "pull": self.pull,
        }


@dataclass(frozen=True)
class PhysicalSignal:
    """The fitted signal in the search's physical parameter, for the parameter table.

    Attributes
    ----------
    parameter, unit : str
        The physical parameter (``"mu_nu"``) and its unit (``"mu_B"``).
    best_fit : float
        Best fit in ``unit``.
    interval : (float, float)
        Its Δχ² = 1 profile interval in ``unit`` (lower end 0 at the boundary).
    """

    parameter: str
    unit: str
    best_fit: float
    interval: tuple[float, float]


@dataclass(frozen=True)
class PostFit:
    """The post-fit parameters, their correlations and the goodness of fit of one best fit.

    Attributes
    ----------
    parameters : tuple of FitParameter
        In the order of the fit vector: the signal strength, then the nuisances.
    correlation : ndarray, shape (n, n)
        Correlation matrix of :attr:`parameters` (NaN rows for parameters held at a bound or fixed).
    gof : GoodnessOfFit
    """

    parameters: tuple[FitParameter, ...]
    correlation: np.ndarray
    gof: GoodnessOfFit

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    def parameter(self, name: str) -> FitParameter:
        """The parameter called ``name`` (KeyError if there is none)."""
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(name)

    def correlations_dict(self) -> dict[str, Any]:
        """``{"names": [...], "matrix": [[...]]}`` (NaN entries become null in JSON)."""
        return {"names": self.names, "matrix": self.correlation.tolist()}

    def table(self, signal: PhysicalSignal | None = None) -> str:
        """A compact parameter table (name, value ± uncertainty, prior, pull, what it is).

        With ``signal`` the signal strength is one line above the table in the physical unit, with its
        Δχ² = 1 interval (α, the fitted variable, beside it); without it, it is the table's first row in α.
        """
        rows = self.parameters[1:] if signal is not None else self.parameters
        width = max([len(p.name) for p in rows] + [9])
        lines = []
        if signal is not None:
            alpha = self.parameters[0]
            lo, hi = signal.interval
            lines.append(
                f"  signal {signal.parameter} = {signal.best_fit:.3g} {signal.unit}, Δχ² = 1 interval "
                f"[{lo:.3g}, {hi:.3g}] {signal.unit} (fitted as α = {alpha.name} = {alpha.value:.4g} "
                f"± {alpha.uncertainty:.3g})"
            )
        lines.append(f"  {'parameter':<{width}} {'value':>11} {'± unc.':>9} {'prior':>13} {'pull':>6}  what")
        for p in rows:
            prior = f"{p.prior_center:.3g} ± {p.prior_sigma:.3g}" if p.prior_sigma is not None else "free"
            pull = f"{p.pull:+6.2f}" if p.pull is not None else "     –"
            lines.append(f"  {p.name:<{width}} {p.value:11.4g} {p.uncertainty:9.3g} {prior:>13} {pull}  {p.label}")
        return "\n".join(lines)


def _prior(model: BinnedModel, name: str) -> tuple[float | None, float | None]:
    """(centre, σ) of the pull term of nuisance ``name``; (None, None) for a free normalisation."""
    kind, local = name[:2], name[2:]
    if kind == "p_":
        j = list(model.background_names or ()).index(local)
        sigma = float(model.activity_sigma[j])
        return (None, None) if not np.isfinite(sigma) else (float(model.aux_activity[j]), sigma)
    if kind == "q_":
        return float(model.aux_bkg_sys[list(model.background_sys_names or ()).index(local)]), 1.0
    return float(model.aux_sig_sys[list(model.signal_sys_names or ()).index(local)]), 1.0


def _label(name: str, labels: Mapping[str, str]) -> str:
    kind = _KIND.get(name[:2])
    if kind is None:
        return labels.get(name, f"signal strength {name}")
    local = name[2:]
    what = labels.get(local, local)
    if local.split(SEPARATOR)[-1] == ATOMIC_NUISANCE:  # the one signal systematic not the detector's own
        return f"atomic model uncertainty ({name})"
    return {"normalisation": f"normalisation of {what}", "background shape": f"background shape systematic {what}"}.get(
        kind, f"signal systematic {what}"
    )


def _correlation(cov: np.ndarray | None, n: int) -> np.ndarray:
    if cov is None:
        return np.full((n, n), np.nan)
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov / np.outer(sd, sd)
    corr[sd == 0, :] = np.nan
    corr[:, sd == 0] = np.nan
    return np.asarray(np.clip(corr, -1.0, 1.0), dtype=float)


def _free_parameter_supports(model: BinnedModel, result: FitResult) -> list[np.ndarray]:
    """The bins each parameter without a pull term acts on: α (when fitted) and the free normalisations."""
    supports = []
    if not result.alpha_fixed:
        supports.append(np.any(np.atleast_2d(model.signal_templates) != 0, axis=0))
    for j, sigma in enumerate(np.asarray(model.activity_sigma)):
        if not np.isfinite(sigma):
            supports.append(model.background_templates[j] != 0)
    return supports


def postfit(
    model: BinnedModel,
    result: FitResult,
    statistic: str,
    *,
    windows: Mapping[str, slice] | None = None,
    labels: Mapping[str, str] | None = None,
) -> PostFit:
    """The post-fit parameters, correlations and goodness of fit of ``result``, a best fit of ``model``.

    Parameters
    ----------
    model : BinnedModel
    result : FitResult
        The best fit (:func:`exonu.stats.fit`) of ``model`` with ``statistic``.
    statistic : str
        "chi2", "poisson" or "per-bin" (then each bin's from ``model.bin_statistic``).
    windows : mapping name → slice of bins, optional
        Groups of bins whose goodness of fit is reported apart (the windows of a joint fit).
    labels : mapping, optional
        Words for component or systematic names (``{"b0": "B0 (XENONnT background model)"}``) and
        for the signal strength's name.
    """
    labels = labels or {}
    params = []
    for i, name in enumerate(result.parameter_names):
        value, unc = float(result.values[i]), float(result.errors[i])
        if i == 0:
            params.append(FitParameter(name, _label(name, labels), "signal", value, unc, None, None, None))
            continue
        centre, sigma = _prior(model, name)
        pull = None if centre is None or sigma is None or sigma == 0 else (value - centre) / sigma
        params.append(FitParameter(name, _label(name, labels), _KIND[name[:2]], value, unc, centre, sigma, pull))

    alpha = float(result.alpha)
    expected = model.expected(alpha, result.p, result.q, result.r)
    variance = model.data + model.background_mc_stat_var + alpha**2 * model.signal_mc_stat_var
    bin_statistic = list(model.bin_statistic or ()) if statistic == "per-bin" else statistic
    supports = _free_parameter_supports(model, result)
    groups = {}
    for wname, bins in (windows or {}).items():
        inside = np.zeros(model.n_bins, dtype=bool)
        inside[bins] = True
        groups[wname] = (bins, sum(1 for s in supports if np.any(s) and not np.any(s & ~inside)))
    gof = goodness_of_fit(
        model.data,
        expected,
        bin_statistic,
        n_free=len(supports),
        variance=variance,
        pulls=[p.pull for p in params if p.pull is not None],
        windows=groups,
    )
    return PostFit(tuple(params), _correlation(result.covariance, len(params)), gof)


@dataclass(frozen=True)
class SignalProfile:
    """Δχ²(α) of the signal strength, profiled over the nuisances, and its Δχ² = 1 interval.

    Attributes
    ----------
    alpha_grid, delta_chi2 : ndarray
        The scan (α, statistic − its minimum).
    alpha_lower, alpha_upper : float
        Ends of the Δχ² = 1 interval in α (``alpha_lower`` 0 when the interval reaches the boundary).
    """

    alpha_grid: np.ndarray
    delta_chi2: np.ndarray
    alpha_lower: float
    alpha_upper: float


def signal_profile(model: BinnedModel, statistic: str) -> SignalProfile:
    """The profile of α and its Δχ² = 1 (68.27 % two-sided) interval (:func:`exonu.stats.plr_interval`)."""
    iv = plr_interval(model, DELTA_CHI2_ONE_SIGMA_CL, statistic=statistic)
    grid = np.asarray(iv.alpha_grid, dtype=float)
    chi2 = np.asarray(iv.chi2_profile, dtype=float)
    return SignalProfile(grid, chi2 - float(iv.chi2_min), float(iv.alpha_lower or 0.0), float(iv.alpha_limit))
