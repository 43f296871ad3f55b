"""The profile likelihood of a mediator signal in its coupling g and mass M: one column of the grid per mass.

A mediator's signal is not a quadratic form in (g, M): at fixed M it is the one-parameter search's
α^{1/2} I + α P with α = (g/g_ref)⁴ (vector-like: interference ∝ g², pure ∝ g⁴) or α P (scalar-like),
and M changes the shape of I and P. So each mass M is one column: the (joint) model of ``exonu fit``
at that mass (:func:`~exonu.searches.templates.build_binned_model` /
:func:`~exonu.searches.joint.build_joint_model`, templates at the reference g_ref of that mass, the
detector's signal systematics), fitted at α(g) with every nuisance profiled. That is the model
``exonu exclusion`` fits at the mass, so the column's one-sided profile-likelihood limit is its
``--method plr`` limit.

Each column is one independent unit of work (:func:`survey_column`, :func:`profile_column`), a pure
function of its inputs, so any ``mapper`` (``map``, local processes, Dask) gives the same numbers. The
toys of ``--method fc`` are units too (:func:`mediator_toy_threshold`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from ...errors import InputError
from ...spectrum import default_spectrum
from ...stats import BinnedModel, FitProblem, ProfileResult, generate_toys, plr_critical_value, profile
from ...xsec.checks import MAX_COUPLING
from ..joint import build_joint_model, statistics_per_detector, with_bin_statistics
from ..spec import MEDIATORS, SearchSpec, search_spec
from ..templates import build_binned_model, choose_window
from .toys import ToyUnit

if TYPE_CHECKING:
    from ...detector import DetectorSetup

__all__ = [
    "COUPLING_LADDER",
    "LOCAL_STEPS",
    "ColumnProfile",
    "ColumnSurvey",
    "MassColumn",
    "MediatorSearch",
    "mediator_toy_threshold",
    "profile_column",
    "survey_column",
]

#: Couplings near a toy point, as factors of its g, over which each toy's minimum is also taken
LOCAL_STEPS = tuple(2.0 ** (k / 8) for k in (-4, -3, -2, -1, 1, 2, 3, 4))
#: The survey of a column: g = g_ref · 2^k for these k (α = 2^{4k}: from 2^-40 to 2^24 of the reference)
COUPLING_LADDER = tuple(range(-10, 7))


@dataclass(frozen=True)
class MediatorSearch:
    """What every column needs: the detectors, the signal, the data and the statistic (picklable).

    Attributes
    ----------
    setups : tuple of DetectorSetup
        One detector, or several for a joint fit (solar-flux normalisations shared).
    signal : str
        One of :data:`~exonu.searches.spec.MEDIATORS`.
    charges : str or None
        The light vector's charge set.
    window : str or None
        One detector's analysis window (None: its default).
    datas : mapping detector name → counts
        Data replacing a detector's own (default: its own, or background-only Asimov where it has none).
    statistic : mapping detector name → statistic
        Default: each detector config's own.
    data_sources : mapping detector name → str
        What each detector's data are, for the result (default: "given", its data set, or Asimov).
    """

    setups: tuple[DetectorSetup, ...]
    signal: str
    charges: str | None = None
    window: str | None = None
    datas: Mapping[str, np.ndarray] = field(default_factory=dict)
    statistic: Mapping[str, str] = field(default_factory=dict)
    data_sources: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.signal not in MEDIATORS:
            raise InputError(f"signal {self.signal!r} has no mediator mass; mediators are {', '.join(MEDIATORS)}")
        if not self.setups:
            raise InputError("a region needs at least one detector")
        names = [s.name for s in self.setups]
        object.__setattr__(
            self,
            "statistic",
            statistics_per_detector(self.statistic or {s.name: s.statistic for s in self.setups}, names),
        )
        unknown = sorted(set(self.datas) - set(names))
        if unknown:
            raise InputError(f"data for unknown detector {unknown[0]!r}; the detectors are {names}")
        windows = self.windows()
        sources = {
            s.name: "given"
            if s.name in self.datas
            else (
                "the detector's data set"
                if s.window(windows[s.name]).data_counts is not None
                else "Asimov background-only (SIMULATED)"
            )
            for s in self.setups
        }
        object.__setattr__(self, "data_sources", {**sources, **self.data_sources})

    def spec_at(self, mass_mev: float) -> SearchSpec:
        return search_spec(self.signal, mass_mev=float(mass_mev), charges=self.charges, window=self.window)

    def column(self, mass_mev: float) -> MassColumn:
        """The (joint) model of the one-parameter search at ``mass_mev`` (templates at its reference g)."""
        spec = self.spec_at(mass_mev)
        spectrum = default_spectrum()
        if len(self.setups) == 1:
            setup = self.setups[0]
            model, templates = build_binned_model(setup, spec, self.datas.get(setup.name), spectrum)
            return MassColumn(float(mass_mev), model, templates.reference, spec.alpha_power, self.statistic[setup.name])
        joint = build_joint_model(self.setups, spec, dict(self.datas), spectrum=spectrum)
        combined, statistic = with_bin_statistics(joint, self.statistic)
        return MassColumn(float(mass_mev), combined, joint.reference, spec.alpha_power, statistic)

    def windows(self) -> dict[str, str]:
        spec = self.spec_at(1.0)
        return {s.name: choose_window(s, spec) for s in self.setups}


@dataclass(frozen=True)
class MassColumn:
    """The one-parameter search at one mass: its model, reference coupling and statistic."""

    mass_mev: float
    model: BinnedModel  # the signal at α = (g / reference)^alpha_power
    reference: float
    alpha_power: int
    statistic: str

    def alpha(self, g: float) -> float:
        return float((g / self.reference) ** self.alpha_power)

    def profile_at(self, g: float, start: ProfileResult | None = None) -> ProfileResult:
        """The nuisances that minimise the statistic at coupling ``g`` (retried from the nominal start)."""
        result = profile(self.model, self.alpha(g), statistic=self.statistic, start=start)
        if start is not None and not (result.converged and np.isfinite(result.chi2)):
            result = profile(self.model, self.alpha(g), statistic=self.statistic)
        return result

    def chi2(self, g: float) -> float:
        """χ²_min(g) (or −2 ln L for the Poisson statistic); +inf where the profile fails."""
        result = self.profile_at(g)
        return float(result.chi2) if result.converged and np.isfinite(result.chi2) else math.inf

    def fixed_model(self, g: float) -> BinnedModel:
        """The model with the signal at ``g`` as one fixed component (fit it at α = 1)."""
        counts = self.model.signal(self.alpha(g))
        return replace(self.model, signal_templates=counts[None, :], signal_powers=[1.0])


@dataclass(frozen=True)
class ColumnSurvey:
    """A column and its χ² on the coarse ladder g_ref · 2^k (:data:`COUPLING_LADDER`) and at g = 0."""

    column: MassColumn
    couplings: np.ndarray
    chi2: np.ndarray
    chi2_no_signal: float


def chi2_along(column: MassColumn, couplings: np.ndarray) -> np.ndarray:
    """χ²_min at each coupling (increasing), each fit warm-started from the previous one."""
    out = np.empty(couplings.size)
    start: ProfileResult | None = None
    for i, g in enumerate(couplings):
        result = column.profile_at(float(g), start)
        good = result.converged and np.isfinite(result.chi2)
        out[i] = result.chi2 if good else math.inf
        start = result if good else None
    return out


def survey_column(search: MediatorSearch, mass_mev: float) -> ColumnSurvey:
    """Build the column at ``mass_mev`` and profile it on the coarse coupling ladder (one unit of work)."""
    column = search.column(mass_mev)
    ladder = column.reference * 2.0 ** np.array(COUPLING_LADDER, dtype=float)
    ladder = ladder[ladder <= MAX_COUPLING]
    return ColumnSurvey(column, ladder, chi2_along(column, ladder), column.chi2(0.0))


@dataclass(frozen=True)
class ColumnProfile:
    """χ²_min of one column on its couplings of the region's grid, and the column's one-parameter limit."""

    mass_mev: float
    couplings: np.ndarray
    chi2: np.ndarray
    best_coupling: float  # ĝ ≥ 0 along the column
    chi2_best: float
    limit: float | None  # one-sided PLR upper limit on g at the cl of the region (None: beyond the grid)


def profile_column(cl: float, task: tuple[MassColumn, np.ndarray]) -> ColumnProfile:
    """χ²_min at the couplings of ``task`` = (column, couplings) and the column's one-sided PLR limit.

    One unit of work; the couplings are increasing.

    The limit is the g > ĝ where χ²(g) − χ²(ĝ) = Φ⁻¹(cl)² (1.642 at 90 %), ĝ ≥ 0 the column's best
    fit: the asymptotic limit of ``exonu exclusion --method plr`` at this mass.
    """
    from scipy.optimize import brentq, minimize_scalar

    column, couplings = task
    chi2 = chi2_along(column, couplings)
    chi2_zero = column.chi2(0.0)
    k = int(np.argmin(chi2))
    best_g, best_f = 0.0, chi2_zero
    if chi2[k] < chi2_zero:  # an excess: refine ĝ between the neighbouring grid couplings (in log g)
        lo, hi = math.log(couplings[max(k - 1, 0)]), math.log(couplings[min(k + 1, couplings.size - 1)])
        found = minimize_scalar(lambda t: column.chi2(math.exp(t)), bounds=(lo, hi), method="bounded")
        best_g, best_f = (math.exp(found.x), float(found.fun)) if found.fun < chi2[k] else (couplings[k], chi2[k])
    critical = plr_critical_value(cl, "one")
    # the crossing, on the grid or (a column far from the region's minimum) on factors of 2 above it
    steps = couplings[-1] * 2.0 ** np.arange(1, 40)
    scan_g = np.concatenate([couplings, steps[steps <= MAX_COUPLING]])
    scan_f = np.concatenate([chi2, np.full(scan_g.size - couplings.size, np.nan)])
    limit = None
    for i, g in enumerate(scan_g):
        if g <= best_g:
            continue
        if np.isnan(scan_f[i]):
            scan_f[i] = column.chi2(float(g))
        if scan_f[i] - best_f > critical:
            inner = scan_g[i - 1] if i > 0 and scan_g[i - 1] > best_g else best_g
            limit = float(brentq(lambda t: column.chi2(t) - best_f - critical, inner, float(g), xtol=1e-7 * g))
            break
    return ColumnProfile(column.mass_mev, couplings, chi2, float(best_g), float(best_f), limit)


def mediator_toy_threshold(
    columns: Mapping[float, MassColumn], candidates: Sequence[tuple[float, float]], cl: float, unit: ToyUnit
) -> float:
    """The ``cl`` quantile of q(M, g) = χ²_min(M, g) − min over the candidates, in toys at (M, g) = (unit.x, unit.y).

    As :func:`~exonu.searches.contour.toys.toy_threshold`: toys drawn at the point with the nuisances
    fitted to the data there (profile construction), auxiliary measurements fluctuated; the minimum
    over the plane is taken over ``candidates`` (mass, g) (couplings along the toy masses and the
    no-signal point g = 0), the point itself and couplings within a factor 2^{±1/2} of it at its mass
    (:data:`LOCAL_STEPS`: where the signal is large, χ² changes much between the candidates), so it is
    resolution-limited.
    """
    column = columns[unit.x]
    model = column.fixed_model(unit.y)
    fitted = profile(model, 1.0, statistic=column.statistic)
    toys = generate_toys(model, unit.n_toys, alpha=1.0, seed=unit.seed, pulls=fitted)
    at_point, theta, _ = FitProblem(model, column.statistic, toys.data, toys.centres).profile(
        np.ones(unit.n_toys), np.tile(fitted.theta, (unit.n_toys, 1))
    )
    lowest = at_point.copy()
    local = [(unit.x, unit.y * step) for step in LOCAL_STEPS] if unit.y > 0 else []
    for mass, g in [*candidates, *local]:
        other = columns[mass]
        f, _, _ = FitProblem(other.fixed_model(g), other.statistic, toys.data, toys.centres).profile(
            np.ones(unit.n_toys), theta
        )
        lowest = np.fmin(lowest, f)
    q = np.maximum(at_point - lowest, 0.0)
    return float(np.quantile(q[np.isfinite(q)], cl))
