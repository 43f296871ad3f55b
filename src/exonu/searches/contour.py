"""Two-parameter confidence regions: the profile likelihood of a signal on a grid of two of its parameters.

The excess over the Standard Model of every signal with a region here is a polynomial of degree two in
its parameters (x, y), with no constant term (the SM is in the background):

* contact NSI: the chiral couplings shift, g_L → g_L + ε^{eL}, g_R → g_R + ε^{eR}, and dσ/dT is
  quadratic in the shifts (:mod:`exonu.xsec.chiral`); vector ε^{eV}_{αα} = 2 ε^{eL}_{αα} = 2 ε^{eR}_{αα}
  per flavour α (:mod:`exonu.xsec.nsi`);
* the charge radius ⟨r²_{ν_α}⟩ per flavour: Δg_V^α ∝ ⟨r²⟩, the same quadratic form
  (:mod:`exonu.xsec.charge_radius`);
* the magnetic moment and the millicharge per flavour: dσ/dT ∝ μ_α², q_α² (no interference).

So with u = x/x_s, v = y/y_s (x_s, y_s the parameters' scales) the rate of every window is
R(u, v) = Σ_k m_k(u, v) R_k with the monomials m = (u, u², v, v², uv). The five R_k follow exactly from
the rate at five points, (1, 0), (2, 0), (0, 1), (0, 2), (1, 1), and are checked at a sixth, (2, 1);
every grid point then costs a linear combination, one fold and one profile of the nuisances (no
spectrum is recomputed). At each point the signal's systematics are the detector's own
(``WindowSetup.signal_systematics`` of that point's spectrum), as in a one-parameter search at that
parameter value.

The statistic is q(x, y) = χ²_min(x, y) − χ²_min: the nuisances are profiled at every point and the
global minimum is refined by a local minimisation from the best grid point. The region at confidence
level cl is q ≤ q_c, with q_c from Wilks' theorem for two parameters (the χ²₂ quantile, −2 ln(1 − cl)
= 4.605 at 90 %; S. S. Wilks, Ann. Math. Stat. 9 (1938) 60), or, with ``method="fc"``, the cl quantile
of q in toys drawn at each point of a coarser grid, the nuisances at their values fitted to the data
at that point (the Feldman–Cousins ordering with profiled nuisances: G. J. Feldman, R. D. Cousins,
PRD 57 (1998) 3873; the "profile construction", PDG Review of Particle Physics, Statistics §40.4.2.3).

The grid is set from the data: along each axis a ladder of values (factors of 2 from a sixteenth of
the parameter's scale up to its physical bound) brackets the one-parameter region; a coarse grid over
that box is extended on every side the region touches (an NSI region is an annulus around
ε = −(g_L, g_R), reaching far beyond the one-parameter limits near the SM), and the final grid spans
the region's bounding box with a margin of two coarse cells.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from ..errors import FitError, InputError
from ..spectrum import RecoilSpectrum
from ..stats import BinnedModel, FitProblem, ProfileResult, check_cl, generate_toys, profile
from ..xsec import FLAVOURS, ChargeRadius, ElectronNSI, Interaction, MagneticMoment, Millicharge
from ..xsec.charge_radius import MAX_RADIUS2_CM2
from ..xsec.magnetic_moment import MAX_MAGNETIC_MOMENT_BOHR
from ..xsec.millicharge import MAX_MILLICHARGE_E
from ..xsec.nsi import MAX_NSI
from .joint import build_joint_model, combine_models, statistics_per_detector, with_bin_statistics
from .spec import ATOMIC_MODEL, SearchSpec
from .templates import build_binned_model, choose_window

if TYPE_CHECKING:
    from ..detector import DetectorSetup, WindowSetup

__all__ = [
    "METHODS",
    "REGION_PARAMETERS",
    "ConfidenceRegion",
    "RegionParameter",
    "RegionProblem",
    "ToyUnit",
    "confidence_region",
    "region_problem",
    "region_threshold",
    "run_serially",
    "toy_threshold",
]

#: How the threshold of the region is set: Wilks' χ²₂ quantile, or toys at each point (Feldman–Cousins)
METHODS = ("wilks", "fc")
#: Points per axis of the coarse grid that finds the region's extent
COARSE_POINTS = 21
#: Most extensions of the coarse grid towards a side the region touches
MAX_EXTENSIONS = 8
#: The ladder along each axis starts at scale / 2**LADDER_BELOW
LADDER_BELOW = 4
#: Relative tolerance of the check that the rate is the quadratic form of its five monomials
POLYNOMIAL_RTOL = 1e-6


@dataclass(frozen=True)
class RegionParameter:
    """One parameter a region can be drawn in.

    Attributes
    ----------
    name : str
        The ``--params`` word (e.g. ``"eps_l"``).
    unit : str
    description : str
        What it is, for ``--help`` and the docs.
    scale : float
        A typical value (near present sensitivities); the templates are evaluated at 1 and 2 × it.
    maximum : float
        Largest |value| the interaction accepts; the grid never goes beyond it.
    non_negative : bool
        The parameter is a magnitude (moment, charge): the grid starts at 0.
    """

    name: str
    unit: str
    description: str
    scale: float
    maximum: float
    non_negative: bool = False

    @property
    def lower_bound(self) -> float:
        return 0.0 if self.non_negative else -self.maximum


def _per_flavour(
    prefix: str, unit: str, what: str, scale: float, maximum: float, non_negative: bool
) -> dict[str, RegionParameter]:
    return {
        f"{prefix}_{f}": RegionParameter(f"{prefix}_{f}", unit, f"{what} of ν_{f}", scale, maximum, non_negative)
        for f in FLAVOURS
    }


#: Signal → its parameters that a region can be drawn in (``exonu contour --params``)
REGION_PARAMETERS: Mapping[str, Mapping[str, RegionParameter]] = MappingProxyType(
    {
        "nsi": MappingProxyType(
            {
                "eps_l": RegionParameter(
                    "eps_l", "dimensionless", "ε^{eL}_{αα} for the --flavour flavours (default e)", 0.1, MAX_NSI
                ),
                "eps_r": RegionParameter(
                    "eps_r", "dimensionless", "ε^{eR}_{αα} for the --flavour flavours (default e)", 0.1, MAX_NSI
                ),
                **_per_flavour("eps_v", "dimensionless", "vector NSI ε^{eV} = ε^{eL} + ε^{eR}", 0.1, MAX_NSI, False),
            }
        ),
        "charge-radius": MappingProxyType(
            _per_flavour("r2", "cm2", "charge radius ⟨r²⟩", 1e-32, MAX_RADIUS2_CM2, False)
        ),
        "magnetic-moment": MappingProxyType(
            _per_flavour("mu", "mu_B", "magnetic moment μ", 1e-11, MAX_MAGNETIC_MOMENT_BOHR, True)
        ),
        "millicharge": MappingProxyType(_per_flavour("q", "e", "millicharge q", 1e-12, MAX_MILLICHARGE_E, True)),
    }
)


def region_threshold(cl: float) -> float:
    """Wilks' threshold of a two-parameter region: the χ²₂ quantile at ``cl``, −2 ln(1 − cl) (4.605 at 90 %)."""
    return -2.0 * math.log1p(-check_cl(cl))


def interval_threshold(cl: float) -> float:
    """The one-parameter two-sided threshold, the χ²₁ quantile at ``cl`` (2.706 at 90 %)."""
    from scipy.stats import chi2

    return float(chi2.ppf(check_cl(cl), 1))


def check_parameters(signal: str, names: Sequence[str]) -> tuple[RegionParameter, RegionParameter]:
    """The two :class:`RegionParameter` of ``names`` for ``signal``, or one InputError naming the valid ones."""
    if signal not in REGION_PARAMETERS:
        raise InputError(
            f"signal {signal!r} has no two-parameter region; regions exist for {', '.join(REGION_PARAMETERS)}"
        )
    table = REGION_PARAMETERS[signal]
    names = [str(n) for n in names]
    if len(names) != 2 or len(set(names)) != 2 or any(n not in table for n in names):
        raise InputError(
            f"--params for signal {signal!r} must be two different names of {', '.join(table)}; got {' '.join(names)}"
        )
    return table[names[0]], table[names[1]]


def excess_interactions(spec: SearchSpec, values: Mapping[str, float]) -> list[Interaction]:
    """The interactions whose excess rates add up to the signal at the parameter ``values`` (name → value)."""
    if spec.model == "nsi":
        shifts = {f: [0.0, 0.0] for f in FLAVOURS}  # (ε^{eL}, ε^{eR}) per flavour
        for name, value in values.items():
            if name in ("eps_l", "eps_r"):
                for f in spec.flavours:
                    shifts[f][name == "eps_r"] += value
            else:  # eps_v_<flavour>: ε^{eL} = ε^{eR} = ε^{eV}/2
                f = name.removeprefix("eps_v_")
                shifts[f][0] += value / 2
                shifts[f][1] += value / 2
        return [ElectronNSI(lr[0], lr[1], (f,)) for f, lr in shifts.items() if lr[0] or lr[1]]
    kind: Callable[[float, tuple[str, ...]], Interaction] = {
        "charge-radius": ChargeRadius,
        "magnetic-moment": MagneticMoment,
        "millicharge": Millicharge,
    }[spec.model]
    return [kind(value, (name.rsplit("_", 1)[1],)) for name, value in values.items() if value]


def monomials(u: float, v: float) -> np.ndarray:
    """The monomials (u, u², v, v², uv) of the quadratic form of the rate."""
    return np.array([u, u * u, v, v * v, u * v])


#: Probe points (u, v) of the five monomials, and the point that checks the quadratic form
PROBES = ((1.0, 0.0), (2.0, 0.0), (0.0, 1.0), (0.0, 2.0), (1.0, 1.0))
CHECK_PROBE = (2.0, 1.0)


@dataclass(frozen=True)
class WindowTemplates:
    """The excess of one detector window as Σ_k m_k(u, v) R_k (see the module docstring)."""

    window: WindowSetup
    rates: np.ndarray  # (5, n_grid) events/(kg·day·keV) on the response grid
    rates_by_source: Mapping[str, np.ndarray]  # solar source → (5, n_grid), for the flux systematics
    counts: np.ndarray  # (5, n_bins) folded

    def signal(self, m: np.ndarray) -> tuple[np.ndarray, tuple[str, ...], np.ndarray]:
        """Counts per bin, systematic names and fractional shifts of the signal with monomials ``m``."""
        by_source = {s: m @ r for s, r in self.rates_by_source.items()}
        names, shifts = self.window.signal_systematics(rate_on_grid=m @ self.rates, rate_by_source=by_source or None)
        return m @ self.counts, names, np.asarray(shifts).reshape(-1, self.counts.shape[1])


def window_templates(
    window: WindowSetup,
    spec: SearchSpec,
    params: tuple[RegionParameter, RegionParameter],
    spectrum: RecoilSpectrum,
) -> WindowTemplates:
    """The five monomial rates of one window, from the rate at the probe points (exact for a quadratic form).

    Raises
    ------
    InputError
        If the rate at the check point differs from the quadratic form (a signal that is not one).
    """
    grid = window.response.grid_kev
    atomic_model = spec.atomic_model or ATOMIC_MODEL[spec.model]
    sources = [s for s in window.signal_sys.solar_flux if s in spectrum.flux.sources]
    restricted = {s: spectrum.restricted((s,)) for s in sources}

    def rates_at(uv: tuple[float, float]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        values = {params[0].name: uv[0] * params[0].scale, params[1].name: uv[1] * params[1].scale}
        parts = excess_interactions(spec, values)

        def rate(sp: RecoilSpectrum) -> np.ndarray:
            return sum((sp.rate(grid, i, atomic_model=atomic_model, per="kg-day") for i in parts), np.zeros_like(grid))

        return rate(spectrum), {s: rate(sp) for s, sp in restricted.items()}

    probed = [rates_at(uv) for uv in PROBES]
    # solve f(1,0) = a + b, f(2,0) = 2a + 4b (and the same for v), then e from f(1,1)
    to_monomials = np.linalg.inv(np.array([monomials(u, v) for u, v in PROBES]))

    def solve(values: list[np.ndarray]) -> np.ndarray:
        return np.asarray(to_monomials @ np.array(values))

    rates = solve([p[0] for p in probed])
    by_source = {s: solve([p[1][s] for p in probed]) for s in sources}
    check, _ = rates_at(CHECK_PROBE)
    predicted = monomials(*CHECK_PROBE) @ rates
    scale = max(float(np.max(np.abs(check))), float(np.max(np.abs(rates))), 1e-300)
    if not np.allclose(predicted, check, rtol=0.0, atol=POLYNOMIAL_RTOL * scale):
        raise InputError(
            f"the {spec.model} rate is not a quadratic form in ({params[0].name}, {params[1].name}); no region is made"
        )
    counts = np.array([window.response.fold(r) for r in rates])
    return WindowTemplates(window, rates, by_source, counts)  # a plain dict: the problem is pickled to workers


@dataclass
class RegionProblem:
    """The profile likelihood of one signal in two of its parameters, on one or several detectors.

    Build it with :func:`region_problem`. ``chi2(x, y)`` profiles every nuisance at the point.
    """

    spec: SearchSpec
    params: tuple[RegionParameter, RegionParameter]
    models: dict[str, BinnedModel]  # each detector's model (its data, background, nuisances)
    templates: dict[str, WindowTemplates]
    statistic: str
    shared: tuple[str, ...] | None = None  # None: one detector
    bin_statistic: tuple[str, ...] | None = None
    data_sources: dict[str, str] = field(default_factory=dict)
    n_profiles: int = 0

    @property
    def detectors(self) -> tuple[str, ...]:
        return tuple(self.models)

    def detector_model(self, name: str, x: float, y: float) -> BinnedModel:
        """Detector ``name``'s model with the signal at (x, y) as a fixed component (α = 1)."""
        m = monomials(x / self.params[0].scale, y / self.params[1].scale)
        counts, names, shifts = self.templates[name].signal(m)
        model = self.models[name]
        if tuple(names) != tuple(model.signal_sys_names or ()):
            raise InputError(f"detector {name!r}: the signal systematics changed between points ({names})")
        return replace(model, signal_templates=counts[None, :], signal_powers=[1.0], signal_shape_sys=shifts)

    def model_at(self, x: float, y: float) -> BinnedModel:
        """The (joint) model with the signal at (x, y); fit it at α = 1."""
        models = {name: self.detector_model(name, x, y) for name in self.models}
        if self.shared is None:
            return next(iter(models.values()))
        joint, _ = combine_models(models, self.shared)
        return joint if self.bin_statistic is None else replace(joint, bin_statistic=self.bin_statistic)

    def profile_at(self, x: float, y: float, start: ProfileResult | None = None) -> ProfileResult:
        """The nuisances that minimise the statistic with the signal at (x, y)."""
        self.n_profiles += 1
        return profile(self.model_at(x, y), 1.0, statistic=self.statistic, start=start)

    def chi2(self, x: float, y: float) -> float:
        """χ²_min(x, y) (or −2 ln L ratio for the Poisson statistic); +inf where the profile fails."""
        result = self.profile_at(x, y)
        return float(result.chi2) if result.converged and np.isfinite(result.chi2) else math.inf

    def chi2_grid(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """χ²_min on the grid, shape (len(ys), len(xs)); each point warm-started from its neighbour."""
        out = np.empty((ys.size, xs.size))
        start: ProfileResult | None = None
        for j, y in enumerate(ys):
            columns = range(xs.size) if j % 2 == 0 else range(xs.size - 1, -1, -1)  # a snake keeps neighbours
            for i in columns:
                result = self.profile_at(float(xs[i]), float(y), start)
                if not (result.converged and np.isfinite(result.chi2)):
                    result = self.profile_at(float(xs[i]), float(y))  # retry from the nominal start
                good = result.converged and np.isfinite(result.chi2)
                out[j, i] = result.chi2 if good else math.inf
                start = result if good else None
        return out

    def asimov(self, x: float, y: float) -> dict[str, np.ndarray]:
        """Each detector's Asimov data with the signal at (x, y) and nominal nuisances."""
        return {name: self.detector_model(name, x, y).asimov(1.0) for name in self.models}

    def with_data(self, datas: Mapping[str, ArrayLike], source: str = "given") -> RegionProblem:
        """The same problem on other data (detector name → counts per bin; detectors not named keep theirs)."""
        unknown = sorted(set(datas) - set(self.models))
        if unknown:
            raise InputError(f"data for unknown detector {unknown[0]!r}; the detectors are {list(self.models)}")
        models = {n: (m.with_data(datas[n]) if n in datas else m) for n, m in self.models.items()}
        sources = {n: (source if n in datas else s) for n, s in self.data_sources.items()}
        return replace(self, models=models, data_sources=sources, n_profiles=0)


def region_problem(
    setups: Sequence[DetectorSetup],
    spec: SearchSpec,
    params: Sequence[str],
    *,
    datas: Mapping[str, ArrayLike] | None = None,
    statistic: str | Mapping[str, str] | None = None,
    spectrum: RecoilSpectrum | None = None,
) -> RegionProblem:
    """The :class:`RegionProblem` of ``spec``'s signal in the two parameters ``params``.

    Parameters
    ----------
    setups : sequence of DetectorSetup
        Loaded detectors (``exonu.config.load_detector``); several give a joint fit with the solar-flux
        normalisations shared (:func:`~exonu.searches.build_joint_model`).
    spec : SearchSpec
        The signal (``search_spec(signal, flavours=...)``); its window, flavours and atomic model apply.
    params : two names of :data:`REGION_PARAMETERS` for the signal.
    datas : mapping detector name → counts, optional
        Default: each detector's own data, or the background-only Asimov data where it has none.
    statistic : str or mapping, optional
        Default: each detector config's own.
    spectrum : RecoilSpectrum, optional

    Raises
    ------
    InputError
        Unknown parameter names (one line naming the valid ones), a detector given twice, bad data.
    """
    pair = check_parameters(spec.model, params)
    setups = list(setups)
    if not setups:
        raise InputError("a region needs at least one detector")
    spectrum = spectrum or RecoilSpectrum()
    names = [s.name for s in setups]
    datas = dict(datas or {})
    chosen = statistics_per_detector(
        statistic if statistic is not None else {s.name: s.statistic for s in setups}, names
    )
    shared: tuple[str, ...] | None = None
    bin_statistic: tuple[str, ...] | None = None
    if len(setups) == 1:
        model, _ = build_binned_model(setups[0], spec, datas.get(names[0]), spectrum)
        models, windows, stat = {names[0]: model}, {names[0]: choose_window(setups[0], spec)}, chosen[names[0]]
    else:
        joint = build_joint_model(setups, spec, datas, spectrum=spectrum)
        models, windows, shared = dict(joint.models), dict(joint.windows), tuple(joint.shared)
        combined, stat = with_bin_statistics(joint, chosen)
        bin_statistic = None if combined.bin_statistic is None else tuple(combined.bin_statistic)
    templates = {s.name: window_templates(s.window(windows[s.name]), spec, pair, spectrum) for s in setups}
    sources = {}
    for s in setups:
        own = s.window(windows[s.name]).data_counts is not None
        sources[s.name] = (
            "given" if s.name in datas else ("the detector's data set" if own else "Asimov background-only (SIMULATED)")
        )
    return RegionProblem(spec, pair, models, templates, stat, shared, bin_statistic, sources)


# ----------------------------------------------------------------------------------------- the grid
def axis_values(param: RegionParameter) -> np.ndarray:
    """0 and the ladder ±scale·2^k (k ≥ −LADDER_BELOW) up to the parameter's bound, increasing."""
    k_max = math.floor(math.log2(param.maximum / param.scale))
    ladder = param.scale * 2.0 ** np.arange(-LADDER_BELOW, k_max + 1)
    return np.concatenate([[0.0], ladder]) if param.non_negative else np.concatenate([-ladder[::-1], [0.0], ladder])


def axis_chi2(problem: RegionProblem, axis: int, values: np.ndarray, other: float = 0.0) -> np.ndarray:
    """χ²_min along one axis (the other parameter at ``other``), warm-started outward from the middle."""
    out = np.empty(values.size)
    centre = int(np.argmin(np.abs(values)))
    for order in (range(centre, values.size), range(centre - 1, -1, -1)):
        start: ProfileResult | None = None
        for i in order:
            x, y = (values[i], other) if axis == 0 else (other, values[i])
            result = problem.profile_at(float(x), float(y), start)
            if not (result.converged and np.isfinite(result.chi2)):
                result = problem.profile_at(float(x), float(y))
            good = result.converged and np.isfinite(result.chi2)
            out[i] = result.chi2 if good else math.inf
            start = result if good else None
    return out


def initial_box(problem: RegionProblem, threshold: float) -> list[list[float]]:
    """[[x_lo, x_hi], [y_lo, y_hi]]: on each axis, one ladder step beyond the outermost value inside."""
    box = []
    for axis, param in enumerate(problem.params):
        values = axis_values(param)
        delta = axis_chi2(problem, axis, values)
        delta -= np.min(delta)
        inside = np.flatnonzero(delta <= threshold)
        lo = values[max(int(inside[0]) - 1, 0)] if inside.size else values[0]
        hi = values[min(int(inside[-1]) + 1, values.size - 1)] if inside.size else values[-1]
        if lo == hi:
            hi = values[min(int(np.searchsorted(values, hi)) + 1, values.size - 1)]
        box.append([float(lo), float(hi)])
    return box


def extend_box(
    problem: RegionProblem, box: list[list[float]], threshold: float, n: int = COARSE_POINTS
) -> tuple[list[list[float]], np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Extend the box on every side the region touches on a coarse grid (up to the parameter bounds).

    Returns the box, the coarse grid (x, y, χ²) and the sides the region still touches (open sides).
    """
    open_sides: list[str] = []
    for _ in range(MAX_EXTENSIONS + 1):
        xs, ys = np.linspace(box[0][0], box[0][1], n), np.linspace(box[1][0], box[1][1], n)
        chi2 = problem.chi2_grid(xs, ys)
        inside = chi2 - np.min(chi2) <= threshold
        touches = {
            (0, 0): inside[:, 0].any(),
            (0, 1): inside[:, -1].any(),
            (1, 0): inside[0, :].any(),
            (1, 1): inside[-1, :].any(),
        }
        extended, open_sides = False, []
        for (axis, side), touched in touches.items():
            if not touched:
                continue
            param = problem.params[axis]
            width = box[axis][1] - box[axis][0]
            bound = param.maximum if side else param.lower_bound
            new = box[axis][side] + (0.5 * width if side else -0.5 * width)
            new = min(new, bound) if side else max(new, bound)
            if new != box[axis][side]:
                box[axis][side], extended = new, True
            elif not (param.non_negative and side == 0):  # 0 of a magnitude is a physical boundary, not an open side
                open_sides.append(f"{param.name} = {bound:g}")
        if not extended:
            return box, xs, ys, chi2, open_sides
    return box, xs, ys, chi2, [*open_sides, "the coarse grid's extension limit"]


def final_box(
    problem: RegionProblem, xs: np.ndarray, ys: np.ndarray, chi2: np.ndarray, threshold: float
) -> list[list[float]]:
    """The bounding box of the coarse region with two coarse cells of margin (within the bounds)."""
    inside = chi2 - np.min(chi2) <= threshold
    rows, cols = np.nonzero(inside)
    box = []
    for axis, (grid, idx) in enumerate(((xs, cols), (ys, rows))):
        step = grid[1] - grid[0]
        param = problem.params[axis]
        lo = max(grid[int(idx.min())] - 2 * step, param.lower_bound)
        hi = min(grid[int(idx.max())] + 2 * step, param.maximum)
        box.append([float(lo), float(hi)])
    return box


def refine_minimum(
    problem: RegionProblem, xs: np.ndarray, ys: np.ndarray, chi2: np.ndarray
) -> tuple[float, float, float]:
    """The global minimum (x, y, χ²): Nelder–Mead from the best grid point, in units of one grid cell."""
    from scipy.optimize import minimize

    j, i = np.unravel_index(int(np.argmin(chi2)), chi2.shape)
    x0, y0 = float(xs[i]), float(ys[j])
    dx, dy = float(xs[1] - xs[0]), float(ys[1] - ys[0])
    bounds = [
        ((p.lower_bound - c) / d, (p.maximum - c) / d)
        for p, c, d in zip(problem.params, (x0, y0), (dx, dy), strict=True)
    ]

    def objective(uv: np.ndarray) -> float:
        return problem.chi2(x0 + float(uv[0]) * dx, y0 + float(uv[1]) * dy)

    best = minimize(
        objective,
        np.zeros(2),
        method="Nelder-Mead",
        bounds=bounds,
        options={"xatol": 1e-4, "fatol": 1e-8, "maxfev": 400, "initial_simplex": [[0, 0], [0.5, 0], [0, 0.5]]},
    )
    if best.fun < chi2[j, i]:
        return x0 + float(best.x[0]) * dx, y0 + float(best.x[1]) * dy, float(best.fun)
    return x0, y0, float(chi2[j, i])


def one_parameter_interval(
    problem: RegionProblem, axis: int, threshold: float
) -> tuple[float | None, float | None, float]:
    """The two-sided interval of one parameter with the other at 0 (its SM value): Δχ² ≤ ``threshold``.

    The Δχ² is taken against the minimum along that axis; the interval is the connected piece around
    it. Returns (lower, upper, best) with None for an end beyond the parameter's bound.
    """
    from scipy.optimize import brentq, minimize_scalar

    param = problem.params[axis]
    values = axis_values(param)
    chi2 = axis_chi2(problem, axis, values)
    k = int(np.argmin(chi2))

    def along(t: float) -> float:
        return problem.chi2(t, 0.0) if axis == 0 else problem.chi2(0.0, t)

    lo_v, hi_v = values[max(k - 1, 0)], values[min(k + 1, values.size - 1)]
    best = minimize_scalar(along, bounds=(lo_v, hi_v), method="bounded", options={"xatol": 1e-6 * param.scale})
    t_best, f_best = (float(best.x), float(best.fun)) if best.fun < chi2[k] else (float(values[k]), float(chi2[k]))
    ends: list[float | None] = []
    for direction in (-1, 1):
        inner = t_best
        end: float | None = None
        for t in values[::direction]:
            if (t - t_best) * direction <= 0:
                continue
            if along(float(t)) - f_best > threshold:
                end = brentq(lambda s: along(s) - f_best - threshold, inner, float(t), xtol=1e-6 * param.scale)
                break
            inner = float(t)
        if end is None and param.non_negative and direction < 0:
            end = 0.0
        ends.append(end)
    return ends[0], ends[1], t_best


# ----------------------------------------------------------------------------------------- toys
@dataclass(frozen=True)
class ToyUnit:
    """Toys at one point of the toy grid: one independent unit of work for an executor."""

    index: int
    x: float
    y: float
    n_toys: int
    seed: int


def toy_threshold(problem: RegionProblem, candidates: Sequence[tuple[float, float]], cl: float, unit: ToyUnit) -> float:
    """The ``cl`` quantile of q(x, y) = χ²_min(x, y) − min over the candidate points, in toys at (x, y).

    The toys are drawn at the point with the nuisances fitted to the data there (profile construction),
    auxiliary measurements fluctuated. The minimum over the plane is taken over ``candidates`` (the
    toy grid) and the point itself, so it is resolution-limited: q, and the threshold, come out
    slightly low where the grid is coarse.
    """
    fitted = problem.profile_at(unit.x, unit.y)
    model = problem.model_at(unit.x, unit.y)
    toys = generate_toys(model, unit.n_toys, alpha=1.0, seed=unit.seed, pulls=fitted)
    at_point, theta, _ = FitProblem(model, problem.statistic, toys.data, toys.centres).profile(
        np.ones(unit.n_toys), np.tile(fitted.theta, (unit.n_toys, 1))
    )
    lowest = at_point.copy()
    for cx, cy in candidates:
        f, _, _ = FitProblem(problem.model_at(cx, cy), problem.statistic, toys.data, toys.centres).profile(
            np.ones(unit.n_toys), theta
        )
        lowest = np.fmin(lowest, f)
    problem.n_profiles += len(candidates) + 1
    q = np.maximum(at_point - lowest, 0.0)
    return float(np.quantile(q[np.isfinite(q)], cl))


def run_serially(work: Callable[[ToyUnit], float], units: Sequence[ToyUnit]) -> list[float]:
    """Run the toy units one after the other, in order.

    EXECUTOR PLUG POINT (issue 22 item 3): ``work`` is a pure function of one :class:`ToyUnit`
    (a :func:`functools.partial` of :func:`toy_threshold`, picklable) and the units are independent and
    seeded apiece, so the local process back end (``--jobs N``) or Dask (``--scheduler``) replaces this
    function by their ``map`` with bit-identical results.
    """
    return [work(u) for u in units]


def unit_seed(seed: int, index: int) -> int:
    """An independent, reproducible seed for the toys of toy-grid point ``index``."""
    return int(np.random.SeedSequence([int(seed), int(index)]).generate_state(1, np.uint64)[0] % (2**63))


# ----------------------------------------------------------------------------------------- the region
@dataclass
class ConfidenceRegion:
    """A two-parameter region and how it was made (``to_dict`` is the JSON of ``exonu contour``)."""

    spec: SearchSpec
    params: tuple[RegionParameter, RegionParameter]
    cl: float
    method: str
    threshold: float  # Wilks' threshold (the region's for "wilks"; for "fc" the asymptotic reference)
    best_fit: tuple[float, float]
    chi2_min: float
    x: np.ndarray
    y: np.ndarray
    delta_chi2: np.ndarray  # (len(y), len(x))
    contours: list[np.ndarray]
    points: dict[str, dict[str, Any]]  # "best_fit", "standard_model": value, Δχ², inside
    intervals: dict[str, dict[str, Any]]
    open_sides: list[str]
    statistic: str
    data_sources: dict[str, str]
    n_profiles: int
    threshold_grid: dict[str, Any] | None = None  # fc: the toy grid and its thresholds

    @property
    def closed(self) -> bool:
        """Every contour line closes on itself inside the grid, and the region reaches no parameter bound."""
        return bool(self.contours) and not self.open_sides and all(np.allclose(c[0], c[-1]) for c in self.contours)

    def to_dict(self) -> dict[str, Any]:
        names = [p.name for p in self.params]
        return {
            "signal": self.spec.model,
            "params": names,
            "units": {p.name: p.unit for p in self.params},
            "flavours": list(self.spec.flavours),
            "cl": self.cl,
            "method": self.method,
            "method_description": method_description(self.method, self.cl, self.threshold),
            "threshold": self.threshold if self.method == "wilks" else None,
            "wilks_threshold": self.threshold,
            "statistic": self.statistic,
            "best_fit": {**dict(zip(names, self.best_fit, strict=True)), "chi2": self.chi2_min},
            "closed": self.closed,
            "open_sides": self.open_sides,
            "extent": {
                n: [float(min(c[:, a].min() for c in self.contours)), float(max(c[:, a].max() for c in self.contours))]
                if self.contours
                else None
                for a, n in enumerate(names)
            },
            "contours": [c.tolist() for c in self.contours],
            "points": self.points,
            "one_parameter_intervals": self.intervals,
            "grid": {"x": self.x.tolist(), "y": self.y.tolist(), "delta_chi2": self.delta_chi2.tolist()},
            "threshold_grid": self.threshold_grid,
            "data": self.data_sources,
            "n_profiles": self.n_profiles,
        }


def method_description(method: str, cl: float, threshold: float) -> str:
    """One sentence on how the region's threshold was set."""
    if method == "wilks":
        return (
            f"profile likelihood ratio, nuisances profiled at every point; region Δχ² ≤ {threshold:.3f} "
            f"(Wilks, χ² with 2 degrees of freedom at {cl:.0%})"
        )
    return (
        f"profile likelihood ratio with a toy-calibrated threshold per point (Feldman–Cousins ordering, "
        f"nuisances fitted at the point); Wilks' {threshold:.3f} for comparison"
    )


def contour_lines(x: np.ndarray, y: np.ndarray, z: np.ndarray, level: float) -> list[np.ndarray]:
    """The level-``level`` lines of z on the grid (contourpy), each an (n, 2) array of (x, y)."""
    import contourpy

    gen = contourpy.contour_generator(x, y, np.where(np.isfinite(z), z, np.nanmax(z[np.isfinite(z)]) + 1.0))
    return [np.asarray(line, dtype=float) for line in gen.lines(level)]


def closed_contour_lines(
    params: tuple[RegionParameter, RegionParameter], xs: np.ndarray, ys: np.ndarray, level: np.ndarray
) -> list[np.ndarray]:
    """The lines level = 0, closed along a magnitude's physical boundary at 0 (μ, q ≥ 0).

    Where the grid starts at the boundary, one row (column) outside the region is added half a cell
    beyond it, and the lines' points there are put back on the boundary.
    """
    outside = float(np.nanmax(np.abs(level[np.isfinite(level)]))) + 1.0
    if params[0].non_negative and xs[0] == 0.0:
        xs = np.concatenate([[-0.5 * (xs[1] - xs[0])], xs])
        level = np.hstack([np.full((level.shape[0], 1), outside), level])
    if params[1].non_negative and ys[0] == 0.0:
        ys = np.concatenate([[-0.5 * (ys[1] - ys[0])], ys])
        level = np.vstack([np.full((1, level.shape[1]), outside), level])
    return [
        np.maximum(line, [params[0].lower_bound, params[1].lower_bound]) for line in contour_lines(xs, ys, level, 0.0)
    ]


def confidence_region(
    problem: RegionProblem,
    *,
    cl: float = 0.9,
    method: str = "wilks",
    n_grid: int = 61,
    n_toys: int = 100,
    toy_grid: int = 9,
    seed: int = 0,
    n_coarse: int = COARSE_POINTS,
    run_units: Callable[[Callable[[ToyUnit], float], Sequence[ToyUnit]], list[float]] = run_serially,
    phase: Callable[[str], None] | None = None,
) -> ConfidenceRegion:
    """The ``cl`` region of ``problem``'s two parameters (see the module docstring).

    Parameters
    ----------
    problem : RegionProblem
    cl : float
        Confidence level in (0, 1).
    method : {"wilks", "fc"}
        Wilks' χ²₂ threshold, or toys at each point of a ``toy_grid`` × ``toy_grid`` grid over the
        region's box (``n_toys`` each), interpolated onto the fine grid.
    n_grid : int
        Points per axis of the final grid (≥ 11).
    seed : int
        Seed of the toys (each toy-grid point gets its own stream).
    n_coarse : int
        Points per axis of the coarse grid that finds the region's extent (≥ 7).
    run_units : callable
        How the toy units are run (default serially; the executor plug point).
    phase : callable, optional
        Called with a one-line description at the start of each phase (the CLI prints it on a terminal).

    Raises
    ------
    InputError
        A bad method, level or grid size.
    FitError
        No point of the grid could be fitted.
    """
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    threshold = region_threshold(cl)
    for name, value, low in (
        ("n_grid", n_grid, 11),
        ("n_toys", n_toys, 10),
        ("toy_grid", toy_grid, 3),
        ("n_coarse", n_coarse, 7),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise InputError(f"{name} must be an integer ≥ {low}; got {value!r}")
    # the toy threshold may exceed Wilks': find the extent with some margin
    reach = threshold * (1.5 if method == "fc" else 1.0)
    say = phase or (lambda text: None)
    say("finding the region's extent (axis ladders, coarse grid)")
    box = initial_box(problem, reach)
    box, cx, cy, coarse, open_sides = extend_box(problem, box, reach, n_coarse)
    if not np.any(np.isfinite(coarse)):
        raise FitError("no point of the grid could be fitted: check the data and the detector model")
    box = final_box(problem, cx, cy, coarse, reach)
    xs, ys = np.linspace(box[0][0], box[0][1], n_grid), np.linspace(box[1][0], box[1][1], n_grid)
    say(f"profiling the {n_grid}×{n_grid} grid")
    chi2 = problem.chi2_grid(xs, ys)
    bx, by, chi2_min = refine_minimum(problem, xs, ys, chi2)
    chi2_sm = problem.chi2(0.0, 0.0)
    if chi2_sm < chi2_min:  # the SM point may be off the grid's nodes; the minimum is the lowest point seen
        bx, by, chi2_min = 0.0, 0.0, chi2_sm
    delta = np.maximum(chi2 - chi2_min, 0.0)

    threshold_grid = None
    level = delta - threshold
    critical: Callable[[float, float], float] = lambda x, y: threshold  # noqa: E731
    if method == "fc":
        say(f"toys: {n_toys} at each of {toy_grid}×{toy_grid} points")
        tx, ty = np.linspace(box[0][0], box[0][1], toy_grid), np.linspace(box[1][0], box[1][1], toy_grid)
        candidates = [(float(a), float(b)) for b in ty for a in tx]
        units = [ToyUnit(k, a, b, int(n_toys), unit_seed(seed, k)) for k, (a, b) in enumerate(candidates)]
        values = np.array(run_units(partial(toy_threshold, problem, candidates, cl), units)).reshape(toy_grid, toy_grid)
        from scipy.interpolate import RegularGridInterpolator

        interp = RegularGridInterpolator((ty, tx), values, bounds_error=False, fill_value=None)
        mesh_y, mesh_x = np.meshgrid(ys, xs, indexing="ij")
        level = delta - interp(np.stack([mesh_y, mesh_x], axis=-1))
        critical = lambda x, y: float(interp([[y, x]])[0])  # noqa: E731
        threshold_grid = {
            "x": tx.tolist(),
            "y": ty.tolist(),
            "threshold": values.tolist(),
            "n_toys": n_toys,
            "seed": seed,
        }
    contours = closed_contour_lines(problem.params, xs, ys, level)

    points: dict[str, dict[str, Any]] = {}
    marked: list[tuple[str, float, float, float]] = [
        ("best_fit", bx, by, chi2_min),
        ("standard_model", 0.0, 0.0, chi2_sm),
    ]
    for label, px, py, chi2_point in marked:
        q_point = max(chi2_point - chi2_min, 0.0)
        points[label] = {
            "value": [px, py],
            "delta_chi2": q_point,
            "threshold": critical(px, py),
            "inside": q_point <= critical(px, py),
        }
    say("one-parameter intervals")
    one = interval_threshold(cl)
    intervals = {}
    for axis, param in enumerate(problem.params):
        lo, hi, best = one_parameter_interval(problem, axis, one)
        other = problem.params[1 - axis].name
        intervals[param.name] = {
            "interval": [lo, hi],
            "best_fit": best,
            "threshold": one,
            "note": f"{other} fixed at 0; Δχ² against the minimum along that line (χ²₁ at {cl:.0%}), "
            "as `exonu fit --interval two-sided`",
        }
    return ConfidenceRegion(
        problem.spec,
        problem.params,
        cl,
        method,
        threshold,
        (bx, by),
        chi2_min,
        xs,
        ys,
        delta,
        contours,
        points,
        intervals,
        open_sides,
        problem.statistic,
        dict(problem.data_sources),
        problem.n_profiles,
        threshold_grid,
    )
