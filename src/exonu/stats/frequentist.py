"""Frequentist questions on a model: CL_s and power-constrained upper limits, Feldman–Cousins intervals,
and the best fit ± Nσ band of the signal strength.

Methods (each :class:`~exonu.stats.limits.LimitResult` records them, see ``describe()``):

``"cls"`` — CL_s upper limit (Read, J. Phys. G 28 (2002) 2693) with the one-sided q̃_μ of Cowan,
Cranmer, Gross, Vitells (arXiv:1007.1727, Eq. 16): α is excluded where CL_s = p_{s+b}/CL_b ≤ 1 − CL.
``calculator="asymptotic"`` uses the formulas of :mod:`exonu.stats.calculators` with q_A from the
background-only Asimov data set whose nuisances are fitted to the observed data at α = 0 (the
convention of arXiv:1007.1727 §5 and of pyhf); ``calculator="toys"`` takes p_{s+b} and CL_b from
seeded toys on a grid of α (nuisances nominal, auxiliary measurements fluctuated) and interpolates
log CL_s.

``"pcl"`` — power-constrained limit (Cowan, Cranmer, Gross, Vitells, arXiv:1105.3166): the one-sided
profile-likelihood limit (Δχ² = Φ⁻¹(CL)², i.e. p_{s+b} = 1 − CL), but never below the −1σ edge of
its expected background-only distribution (power threshold M_min = Φ(−1) = 0.159, the convention
of XENON). Asymptotically that edge is where q_A = (Φ⁻¹(CL) − 1)² on the nominal background-only
Asimov data set; with ``n_toys`` it is the 15.87 % quantile of the toys' limits.

``"fc"`` — Feldman–Cousins unified interval (Feldman & Cousins, PRD 57 (1998) 3873) with the
likelihood-ratio ordering t̃_μ (arXiv:1007.1727 Eq. 11, α̂ clipped at 0): the critical value at each
grid α is the CL quantile of t̃ over toys generated there; the interval is where t̃_obs ≤ c.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq
from scipy.stats import norm

from ..errors import FitError, InputError
from .calculators import (
    asymptotic_cls,
    asymptotic_cls_band_sqrt_qa,
    belt_critical_values,
    belt_interval,
    crossing,
    toy_cls,
)
from .fc_exact import exact_fc_belt, exact_fc_limits  # issue 25 hook: exact FC for one Poisson count
from .model import BinnedModel
from .problem import FitProblem
from .toys import child_seed, generate_toys, progress_iter, resolve_seed

if TYPE_CHECKING:
    from .fit import FitResult
    from .limits import LimitResult

__all__ = [
    "BAND_SIGMAS",
    "CALCULATORS",
    "MIN_BAND_TOYS",
    "best_fit_band",
    "cls_expected",
    "cls_upper_limit",
    "fc_expected",
    "fc_interval",
    "pcl_expected",
    "pcl_upper_limit",
    "solve_asimov",
]

#: how p-values are computed
CALCULATORS = ("asymptotic", "toys")
#: fewest toys for a trusted ±2σ band (2.5 % of 40 toys is one toy): fewer are flagged, 1 is refused
MIN_BAND_TOYS = 40
#: the expected-band edges in standard deviations, by name
BAND_SIGMAS = {"-2sigma": -2.0, "-1sigma": -1.0, "median": 0.0, "+1sigma": 1.0, "+2sigma": 2.0}


def _check_calculator(calculator: str) -> str:
    if calculator not in CALCULATORS:
        raise InputError(f"calculator must be one of {CALCULATORS}; got {calculator!r}")
    return calculator


def solve_asimov(problem: FitProblem, target_q: float, u_start: float) -> float:
    """u where q̃ on the (single) data set of ``problem`` equals ``target_q`` (Brent's method).

    ``u_start`` is any positive guess of the scale; the bracket grows from it.
    """

    def g(u: float) -> float:
        return float(problem.test_statistic([u], "one")[0][0, 0]) - target_q

    lo, hi = 0.0, max(u_start, 1e-300)
    for _ in range(60):
        if g(hi) > 0:
            break
        lo, hi = hi, 2.0 * hi
    else:
        raise FitError(f"q on the Asimov data never reached {target_q:.4g}: the signal is not constrained")
    return float(brentq(g, lo, hi, xtol=1e-12 * hi, rtol=1e-10))


def _u_scale(problem: FitProblem) -> float:
    """A rough 1σ scale of u from the curvature of the profile at the best fit (or a ladder step)."""
    um = problem.minimum()
    curv = float(um.curvature[0]) if np.isfinite(um.curvature[0]) and um.curvature[0] > 0 else float("nan")
    if np.isfinite(curv):
        return float(np.sqrt(2.0 / curv))
    lu = um.ladder_u[0][np.isfinite(um.ladder_u[0]) & (um.ladder_u[0] > 0)]
    return float(lu[0]) if lu.size else 1.0


# ----------------------------------------------------------------------------------------- CLs
def _asymptotic_cls_limit(model: BinnedModel, statistic: str, cl: float) -> tuple[float, float]:
    """Observed asymptotic CL_s limit in u and its CL_b there."""
    obs = FitProblem(model, statistic)
    asimov = obs.conditional_asimov(0.0)
    # FitProblem.__post_init__ sets data and centres
    assert obs.data is not None and obs.centres is not None
    assert asimov.data is not None and asimov.centres is not None
    both = FitProblem(model, statistic, np.vstack([obs.data, asimov.data]), np.vstack([obs.centres, asimov.centres]))
    level = 1.0 - cl

    def log_cls(u: float) -> float:
        q, _ = both.test_statistic([u], "one")
        if not np.all(np.isfinite(q)):
            raise FitError(f"a profile failed at u = {u:.4g} while solving for the CLs limit")
        return float(np.log(max(float(asymptotic_cls(q[0, 0], q[1, 0])[0]), 1e-300)) - np.log(level))

    scale = max(_u_scale(both.subset([0])), float(both.minimum().u[0]), 1e-300)
    lo, hi = 0.0, float(both.minimum().u[0]) + scale
    for _ in range(60):
        if log_cls(hi) < 0:
            break
        lo, hi = hi, 2.0 * hi
    else:
        raise FitError("CLs never fell below 1 − CL: the signal strength is not constrained")
    u = float(brentq(lambda x: log_cls(x) if x > 0 else 1.0, lo, hi, xtol=1e-12 * hi, rtol=1e-10))
    q, _ = both.test_statistic([u], "one")
    return u, float(asymptotic_cls(q[0, 0], q[1, 0])[2])


def cls_expected(model: BinnedModel, statistic: str, cl: float) -> dict[str, float]:
    """Asymptotic expected CL_s limits in α (median and ±1σ, ±2σ) from the nominal Asimov data set."""
    cm = model.compiled
    asimov = FitProblem(model, statistic).nominal_asimov(0.0)
    scale = _u_scale(asimov)
    return {
        k: float(cm.u_to_alpha(solve_asimov(asimov, asymptotic_cls_band_sqrt_qa(cl, n) ** 2, scale)))
        for k, n in BAND_SIGMAS.items()
    }


def cls_limits_for_problem(problem: FitProblem, cl: float, u_grid: np.ndarray, q_asimov: np.ndarray) -> np.ndarray:
    """Asymptotic CL_s limits in u of every data set of ``problem`` on a grid (q_A shared, per grid u)."""
    q, _ = problem.test_statistic(u_grid, "one")
    cls = asymptotic_cls(q, q_asimov[None, :])[0]
    cls = np.where(np.isfinite(q), cls, np.nan)
    return np.asarray(crossing(u_grid, cls, 1.0 - cl, log=True), dtype=float)  # one limit per data set (cls is 2-D)


def _toy_cls_scan(
    model: BinnedModel,
    statistic: str,
    cl: float,
    alpha_grid: np.ndarray,
    n_toys: int,
    seed: int,
    fluctuate_aux: bool,
    progress: bool | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cm = model.compiled
    u_grid = cm.alpha_to_u(alpha_grid)
    obs = FitProblem(model, statistic)
    q_obs = obs.test_statistic(u_grid, "one")[0][0]
    b = generate_toys(model, n_toys, alpha=0.0, seed=child_seed(seed, 0), fluctuate_aux=fluctuate_aux)
    q_b = FitProblem(model, statistic, b.data, b.centres).test_statistic(u_grid, "one")[0].T  # (G, n)
    q_sb = np.empty((alpha_grid.size, n_toys))
    for k in progress_iter(range(alpha_grid.size), progress, "CLs toys", unit="alpha"):
        sb = generate_toys(
            model, n_toys, alpha=float(alpha_grid[k]), seed=child_seed(seed, k + 1), fluctuate_aux=fluctuate_aux
        )
        q_sb[k] = FitProblem(model, statistic, sb.data, sb.centres).test_statistic([u_grid[k]], "one")[0][:, 0]
    return q_obs, q_sb, q_b


def cls_upper_limit(
    model: BinnedModel,
    cl: float = 0.9,
    *,
    statistic: str = "chi2",
    calculator: Literal["asymptotic", "toys"] = "asymptotic",
    n_toys: int = 0,
    seed: int | None = None,
    alpha_grid: ArrayLike | None = None,
    n_alpha: int = 16,
    expected: bool = True,
    fluctuate_aux: bool = True,
    progress: bool | None = None,
) -> LimitResult:
    """CL_s upper limit on α with the one-sided q̃_μ (arXiv:1007.1727; Read 2002).

    Parameters
    ----------
    model : BinnedModel
    cl : float
        Confidence level (0.9: CL_s = 0.1 at the limit).
    statistic : {"chi2", "poisson"}
    calculator : {"asymptotic", "toys"}
    n_toys : int
        ``"toys"``: toys per grid point (and background-only toys). ``"asymptotic"``: toys for the
        expected band (0: asymptotic band only).
    seed : int, optional
    alpha_grid : array_like, optional
        Grid of α for the toy calculator (default ``n_alpha`` points uniform in u up to 2.5× the
        asymptotic limit).
    expected : bool
        Also compute the expected limits.

    Returns
    -------
    LimitResult
    """
    from .limits import ExpectedLimits, LimitResult, check_cl, check_n_toys, expected_limits

    cl = check_cl(cl)
    _check_calculator(calculator)
    n_toys = check_n_toys(n_toys)
    cm = model.compiled
    u_asym, cl_b = _asymptotic_cls_limit(model, statistic, cl)
    problem = FitProblem(model, statistic)
    um = problem.minimum()
    details: dict[str, Any] = {"cl_b": cl_b}
    if calculator == "asymptotic":
        alpha_limit, used_toys, seed_used, ok = float(cm.u_to_alpha(u_asym)), 0, None, bool(um.converged[0])
        exp = (
            expected_limits(
                model,
                "cls",
                cl=cl,
                statistic=statistic,
                n_toys=n_toys,
                seed=seed,
                fluctuate_aux=fluctuate_aux,
                progress=progress,
            )
            if (expected or n_toys)
            else None
        )
        grid, curve = np.array([]), np.array([])
    else:
        if n_toys < MIN_BAND_TOYS:
            raise InputError(f"calculator='toys' needs n_toys ≥ {MIN_BAND_TOYS}; got {n_toys}")
        seed_used = resolve_seed(seed)
        if alpha_grid is None:
            grid = cm.u_to_alpha(np.linspace(0.0, 2.5 * u_asym, n_alpha + 1)[1:])
        else:
            grid = np.asarray(alpha_grid, dtype=float)
            if grid.ndim != 1 or grid.size < 2 or np.any(grid <= 0) or np.any(np.diff(grid) <= 0):
                raise InputError("alpha_grid must be a strictly increasing 1-D array of at least 2 positive values")
        q_obs, q_sb, q_b = _toy_cls_scan(model, statistic, cl, grid, n_toys, seed_used, fluctuate_aux, progress)
        curve, p_sb, clb = toy_cls(q_obs, q_sb, q_b)
        alpha_limit = float(crossing(grid, curve, 1.0 - cl, log=True))
        ok = bool(np.isfinite(alpha_limit) and um.converged[0])
        used_toys = n_toys
        details.update({"p_sb": p_sb, "cl_b_toys": clb, "q_observed": q_obs})
        exp = None
        if expected:
            band = {}
            for key, n_sig in BAND_SIGMAS.items():
                q_n = np.nanquantile(q_b, norm.cdf(-n_sig), axis=1)  # a stronger limit ↔ a larger q̃
                band[key] = float(crossing(grid, toy_cls(q_n, q_sb, q_b)[0], 1.0 - cl, log=True))
            asym = cls_expected(model, statistic, cl)
            exp = ExpectedLimits(
                "cls",
                cl,
                statistic,
                asym["median"],
                band,
                None,
                n_toys,
                0,
                seed_used,
                fluctuate_aux,
                calculator="toys",
                asymptotic_band=asym,
            )
    if not np.isfinite(alpha_limit):
        raise FitError("the CLs limit lies outside the toy grid: pass a wider alpha_grid")
    return LimitResult.from_fit(
        model,
        statistic,
        um,
        seed=seed_used if calculator == "toys" else (None if exp is None else exp.seed),
        expected_detail=exp,
        alpha_limit=alpha_limit,
        method="cls",
        cl=cl,
        alpha_grid=grid,
        chi2_profile=curve,
        converged=ok,
        message="" if ok else "the best fit did not converge",
        details=details,
        test_statistic="q̃_μ (one-sided profile likelihood ratio, arXiv:1007.1727 Eq. 16)",
        threshold=f"CLs = {1 - cl:.3g}",
        sided="one",
        n_toys=used_toys,
        calculator=calculator,
    )


# ----------------------------------------------------------------------------------------- PCL
def pcl_threshold(model: BinnedModel, statistic: str, cl: float) -> float:
    """Asymptotic −1σ expected one-sided PLR limit in α: q_A = (Φ⁻¹(cl) − 1)² on the nominal Asimov data."""
    cm = model.compiled
    asimov = FitProblem(model, statistic).nominal_asimov(0.0)
    z = float(norm.ppf(cl))
    if z <= 1.0:
        raise InputError(f"a −1σ power constraint needs cl > Φ(1) = 0.841; got {cl}")
    return float(cm.u_to_alpha(solve_asimov(asimov, (z - 1.0) ** 2, _u_scale(asimov))))


def pcl_upper_limit(
    model: BinnedModel,
    cl: float = 0.9,
    *,
    statistic: str = "chi2",
    n_toys: int = 0,
    seed: int | None = None,
    expected: bool = True,
    fluctuate_aux: bool = True,
    progress: bool | None = None,
) -> LimitResult:
    """Power-constrained limit (arXiv:1105.3166): max(one-sided PLR limit, its −1σ expected limit).

    The −1σ edge is asymptotic (``n_toys=0``) or the 15.87 % quantile of ``n_toys`` toy PLR limits.
    ``details["power_constrained"]`` says whether the constraint was applied.
    """
    from .limits import check_n_toys, expected_limits, plr_upper_limit

    n_toys = check_n_toys(n_toys)
    plr = plr_upper_limit(model, cl, statistic=statistic, expected=False)
    exp = expected_limits(
        model,
        "pcl",
        cl=cl,
        statistic=statistic,
        n_toys=n_toys,
        seed=seed,
        fluctuate_aux=fluctuate_aux,
        progress=progress,
    )
    if exp.band:
        threshold = exp.band["-1sigma"]
    else:
        assert exp.asymptotic_band is not None  # expected_limits always sets it for "pcl"
        threshold = exp.asymptotic_band["-1sigma"]
    constrained = plr.alpha_limit < threshold
    from dataclasses import replace

    return replace(
        plr,
        alpha_limit=float(max(plr.alpha_limit, threshold)),
        method="pcl",
        expected=exp.asimov if expected else None,
        expected_band=exp.band if expected else None,
        expected_detail=exp if expected else None,
        seed=exp.seed,
        details={
            **plr.details,
            "power_constrained": bool(constrained),
            "unconstrained_limit": plr.alpha_limit,
            "power_threshold": threshold,
        },
        threshold=f"Δχ² = {plr.critical_value:.4g} (p_s+b = {1 - cl:.3g}), power constraint at the −1σ expected limit",
        n_toys=n_toys,
        calculator="toys" if n_toys else "asymptotic",
    )


def pcl_expected(model: BinnedModel, statistic: str, cl: float) -> dict[str, float]:
    """Asymptotic expected PCL limits: the PLR band z + N (in units of σ), with everything below −1σ at −1σ."""
    cm = model.compiled
    asimov = FitProblem(model, statistic).nominal_asimov(0.0)
    z = float(norm.ppf(cl))
    scale = _u_scale(asimov)
    out = {}
    for key, n_sig in BAND_SIGMAS.items():
        out[key] = float(cm.u_to_alpha(solve_asimov(asimov, (z + max(n_sig, -1.0)) ** 2, scale)))
    return out


# ----------------------------------------------------------------------------------------- FC
def fc_belt(
    model: BinnedModel,
    alpha_grid: np.ndarray,
    *,
    cl: float,
    statistic: str,
    n_toys: int,
    seed: int,
    fluctuate_aux: bool = True,
    progress: bool | None = None,
) -> dict[str, Any]:
    """Critical values of t̃ (two-sided, α̂ ≥ 0) from ``n_toys`` toys at each grid α."""
    cm = model.compiled
    u_grid = cm.alpha_to_u(alpha_grid)
    t_toys = np.empty((alpha_grid.size, n_toys))
    for k in progress_iter(range(alpha_grid.size), progress, "Feldman–Cousins belt", unit="alpha"):
        ens = generate_toys(
            model, n_toys, alpha=float(alpha_grid[k]), seed=child_seed(seed, k), fluctuate_aux=fluctuate_aux
        )
        t_toys[k] = FitProblem(model, statistic, ens.data, ens.centres).test_statistic([u_grid[k]], "two")[0][:, 0]
    return {
        "alpha_grid": alpha_grid,
        "critical_values": belt_critical_values(t_toys, cl),
        "t_toys": t_toys,
        "cl": cl,
        "statistic": statistic,
        "n_toys": n_toys,
        "seed": seed,
    }


def fc_limits_for_problem(problem: FitProblem, belt: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lower, upper, ok) in α of every data set of ``problem`` from a belt."""
    if belt.get("exact") is not None:  # issue 25 hook: a belt of exact_fc_belt
        return exact_fc_limits(belt, problem.batch.data)
    cm = problem.compiled
    grid = belt["alpha_grid"]
    t, _ = problem.test_statistic(cm.alpha_to_u(grid), "two")
    return belt_interval(grid, t, belt["critical_values"], cm.u_to_alpha(problem.minimum().u))


def default_fc_grid(model: BinnedModel, statistic: str, cl: float, n_alpha: int) -> np.ndarray:
    """n_alpha points uniform in u up to 2.5× the larger of the observed and Asimov two-sided PLR upper ends."""
    from .limits import plr_interval

    cm = model.compiled
    obs = plr_interval(model, cl, statistic=statistic).alpha_limit
    asi = plr_interval(model.with_data(model.asimov(0.0)), cl, statistic=statistic).alpha_limit
    u_max = 2.5 * float(cm.alpha_to_u(max(obs, asi)))
    return cm.u_to_alpha(np.linspace(0.0, u_max, n_alpha + 1)[1:])


def fc_interval(
    model: BinnedModel,
    cl: float = 0.9,
    *,
    statistic: str = "chi2",
    n_toys: int = 1000,
    seed: int | None = None,
    alpha_grid: ArrayLike | None = None,
    n_alpha: int = 16,
    belt: dict[str, Any] | None = None,
    expected: bool = True,
    n_toys_expected: int = 0,
    fluctuate_aux: bool = True,
    progress: bool | None = None,
) -> LimitResult:
    """Feldman–Cousins unified interval on α ≥ 0 from a toy belt of t̃ (PRD 57 (1998) 3873).

    A model that is one Poisson count with fixed nuisances gets the exact construction of
    :mod:`exonu.stats.fc_exact` instead (``n_toys`` and ``alpha_grid`` unused; ``calculator`` says so).

    Returns
    -------
    LimitResult
        ``alpha_lower`` (0 when the first grid point is accepted) and ``alpha_limit`` (upper end);
        ``details["belt"]`` holds the belt.
    """
    from .limits import ExpectedLimits, LimitResult, check_cl, check_n_toys, expected_limits

    cl = check_cl(cl)
    n_toys = check_n_toys(n_toys)
    if belt is None:  # issue 25 hook: one Poisson count with fixed nuisances → the exact construction
        belt = exact_fc_belt(model, statistic, cl, resolve_seed(seed))
    if belt is None:
        if n_toys < MIN_BAND_TOYS:
            raise InputError(f"a Feldman–Cousins belt needs n_toys ≥ {MIN_BAND_TOYS} per point; got {n_toys}")
        seed = resolve_seed(seed)
        grid = default_fc_grid(model, statistic, cl, n_alpha) if alpha_grid is None else np.asarray(alpha_grid, float)
        if grid.ndim != 1 or grid.size < 2 or np.any(grid <= 0) or np.any(np.diff(grid) <= 0):
            raise InputError("alpha_grid must be a strictly increasing 1-D array of at least 2 positive values")
        belt = fc_belt(
            model,
            grid,
            cl=cl,
            statistic=statistic,
            n_toys=n_toys,
            seed=seed,
            fluctuate_aux=fluctuate_aux,
            progress=progress,
        )
    problem = FitProblem(model, statistic)
    lo, up, ok = fc_limits_for_problem(problem, belt)
    if not np.isfinite(up[0]):
        raise FitError("the Feldman–Cousins upper end lies outside the belt grid: pass a wider alpha_grid")
    um = problem.minimum()
    exp: ExpectedLimits | None = None
    if expected or n_toys_expected:
        exp = expected_limits(
            model,
            "fc",
            cl=cl,
            statistic=statistic,
            n_toys=n_toys_expected,
            seed=child_seed(belt["seed"], 10**6),
            fluctuate_aux=fluctuate_aux,
            progress=progress,
            belt=belt,
        )
    return LimitResult.from_fit(
        model,
        statistic,
        um,
        seed=belt["seed"],
        expected_detail=exp,
        alpha_limit=float(up[0]),
        alpha_lower=float(lo[0]),
        method="fc",
        cl=cl,
        alpha_grid=belt["alpha_grid"],
        chi2_profile=belt["critical_values"],
        converged=bool(ok[0]),
        message="" if ok[0] else "a profile failed or the interval reaches the end of the belt grid",
        details={"belt": belt},
        test_statistic="t̃_μ (two-sided profile likelihood ratio, α̂ ≥ 0; arXiv:1007.1727 Eq. 11)",
        threshold=belt.get("threshold", f"toy {cl:.3g} quantile of t̃ at each of {belt['alpha_grid'].size} grid points"),
        sided="two",
        n_toys=int(belt["n_toys"]),
        calculator=belt.get("calculator", "toys"),  # issue 25 hook: "exact (Poisson enumeration)"
    )


def fc_expected(model: BinnedModel, statistic: str, belt: dict[str, Any]) -> float:
    """The FC upper end on the nominal background-only Asimov data set."""
    asimov = FitProblem(model, statistic).nominal_asimov(0.0)
    return float(fc_limits_for_problem(asimov, belt)[1][0])


# ----------------------------------------------------------------------------------------- best fit band
def best_fit_band(
    model: BinnedModel, fit_result: FitResult | None = None, *, statistic: str = "chi2", cl_sigma: float = 1.0
) -> tuple[float, float, float]:
    """Best fit of α and its ±Nσ interval from the profile likelihood: Δχ²(α) ≤ N² on α ≥ 0.

    The interval is found on the profile itself (Brent's method on χ²_min(α) − χ²_min(α̂) − N²), so
    it is correct at the α = 0 boundary and for a non-linear signal (α^{1/2} has no useful
    linearisation there). The lower end is 0 when Δχ²(0) ≤ N².

    Parameters
    ----------
    model : BinnedModel
    fit_result : FitResult, optional
        Only checked for validity (an invalid fit has no band).
    statistic : {"chi2", "poisson"}
    cl_sigma : float
        N (1 for ±1σ).

    Returns
    -------
    (central, lower, upper) : tuple of float
        In units of α.
    """
    if not (isinstance(cl_sigma, (int, float)) and cl_sigma > 0):
        raise InputError(f"cl_sigma must be a positive number; got {cl_sigma!r}")
    if fit_result is not None and not getattr(fit_result, "valid", True):
        raise FitError(f"no band from an invalid fit ({fit_result.message})")
    cm = model.compiled
    problem = FitProblem(model, statistic)
    um = problem.minimum()
    if not um.converged[0]:
        raise FitError("the profile minimum did not converge: no band")
    u_hat, target = float(um.u[0]), float(cl_sigma) ** 2

    def g(u: float) -> float:
        t = problem.test_statistic([u], "two")[0][0, 0]
        if not np.isfinite(t):
            raise FitError(f"a profile failed at u = {u:.4g}")
        return float(t) - target

    step = _u_scale(problem)
    lo_u, hi_u = u_hat, u_hat + step
    for _ in range(60):
        if g(hi_u) > 0:
            break
        lo_u, hi_u = hi_u, hi_u + 2.0 * (hi_u - u_hat)
    upper = brentq(g, lo_u, hi_u, xtol=1e-12 * hi_u, rtol=1e-10)
    lower = 0.0 if u_hat <= 0.0 or g(0.0) <= 0 else brentq(g, 0.0, u_hat, xtol=1e-12 * u_hat, rtol=1e-10)
    return float(cm.u_to_alpha(u_hat)), float(cm.u_to_alpha(lower)), float(cm.u_to_alpha(upper))
