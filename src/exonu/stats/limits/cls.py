"""CL_s upper limits with the one-sided q̃_μ (arXiv:1007.1727; A. L. Read, J. Phys. G 28 (2002) 2693).

CL_s = p_{s+b} / (1 − p_b) falls below 1 − CL at the limit. ``calculator="asymptotic"``: the
p-values from q̃_μ and q̃_μ of the Asimov data set (conditional on the observed nuisances at α = 0);
``"toys"``: from toy ensembles at each α of a grid and under the background-only hypothesis.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import ArrayLike

from ...errors import FitError, InputError
from ..calculators import asymptotic_cls, asymptotic_cls_band_sqrt_qa, crossing, toy_cls
from ..minimum import FitVariableMinimum, evaluate_u
from ..model import BinnedModel
from ..objective import FitBatch
from ..problem import FitProblem
from ..progress import progress_iter
from ..scan import solve_crossings, u_scale
from ..toys import Mapper, ToyPlan, child_seed, generate_toys, resolve_seed
from ..validate import check_cl, check_n_toys
from .driver import expected_from
from .results import BAND_SIGMAS, MIN_BAND_TOYS, ExpectedLimits, LimitResult, percentile_band

__all__ = ["CALCULATORS", "CLs", "cls_expected", "cls_limits_for_problem", "cls_upper_limit"]


#: how p-values are computed
CALCULATORS = ("asymptotic", "toys")


def _check_calculator(calculator: str) -> str:
    if calculator not in CALCULATORS:
        raise InputError(f"calculator must be one of {CALCULATORS}; got {calculator!r}")
    return calculator


def _asymptotic_cls_limit(model: BinnedModel, statistic: str, cl: float) -> tuple[float, float, FitVariableMinimum]:
    """Observed asymptotic CL_s limit in u, its CL_b there, and the best fits of [observed, Asimov].

    h(u) = ln CL_s(q̃(u), q̃_A(u)) − ln(1 − CL) is solved by a safeguarded Newton iteration: the two
    profiles (observed and conditional Asimov data) of each step are one batch, and dh/du follows
    from their envelope derivatives dχ²_min/du (analytic) and the partial derivatives of ln CL_s in
    q̃ and q̃_A (central differences of the closed form). A step that leaves the bracket is replaced
    by bisection (or doubling while no upper end is known).
    """
    obs = FitProblem(model, statistic)
    asimov = obs.conditional_asimov(0.0)
    # FitProblem.__post_init__ sets data and centres
    assert obs.data is not None and obs.centres is not None
    assert asimov.data is not None and asimov.centres is not None
    both = FitProblem(model, statistic, np.vstack([obs.data, asimov.data]), np.vstack([obs.centres, asimov.centres]))
    um = both.minimum()
    log_level = float(np.log(1.0 - cl))
    theta = um.theta.copy()

    def evaluate(u: float) -> tuple[float, float, float]:
        """(h, dh/du, CL_b) at u, warm-starting the profiles from the previous point."""
        th, f, g, conv = evaluate_u(both.batch, np.full(2, u), theta, 1e-9)
        above = um.u <= u  # q̃ is 0 (and flat) below the best fit
        q = np.where(above, np.maximum(f - um.f, 0.0), 0.0)
        dq = np.where(above & (f - um.f > 0.0), g, 0.0)
        if not (np.all(np.isfinite(q)) and np.all(conv) and np.all(um.converged)):
            raise FitError(f"a profile failed at u = {u:.4g} while solving for the CLs limit")
        theta[:] = th
        step = 1e-6 * np.maximum(q, 1e-4)
        q_obs = q[0] + np.array([0.0, step[0], -min(step[0], q[0]), 0.0, 0.0])
        q_a = q[1] + np.array([0.0, 0.0, 0.0, step[1], -min(step[1], q[1])])
        cls_k, _, clb_k = asymptotic_cls(q_obs, q_a)
        log_cls = np.log(np.maximum(cls_k, 1e-300))
        d_obs = (log_cls[1] - log_cls[2]) / (q_obs[1] - q_obs[2])
        d_a = (log_cls[3] - log_cls[4]) / (q_a[3] - q_a[4])
        return float(log_cls[0] - log_level), float(d_obs * dq[0] + d_a * dq[1]), float(clb_k[0])

    u_hat = max(float(um.u[0]), 0.0)
    scale = max(u_scale(both, row=0), u_hat, 1e-300)  # the observed row's best fit
    lo, hi = 0.0, np.inf
    x = u_hat + scale
    for _ in range(200):
        h, dh, cl_b = evaluate(x)
        if h < 0:
            hi = x
        else:
            lo = x
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = x - h / dh
        if np.isfinite(newton) and lo < newton < hi:
            if abs(newton - x) <= 1e-10 * x:
                return x, cl_b, um
            x = newton
        elif np.isfinite(hi):
            if hi - lo <= 1e-12 * hi:
                return x, cl_b, um
            x = 0.5 * (lo + hi)
        else:
            x = 2.0 * x
        if x > 2.0**60 * scale:
            break
    raise FitError("CLs never fell below 1 − CL: the signal strength is not constrained")


@lru_cache(maxsize=16)
def _band_targets(cl: float) -> tuple[float, ...]:
    """q̃_A of each band edge ("-2sigma" … "+2sigma") at confidence level ``cl``."""
    return tuple(asymptotic_cls_band_sqrt_qa(cl, n) ** 2 for n in BAND_SIGMAS.values())


def cls_expected(model: BinnedModel, statistic: str, cl: float, asimov: FitProblem | None = None) -> dict[str, float]:
    """Asymptotic expected CL_s limits in α (median and ±1σ, ±2σ) from the nominal Asimov data set.

    The five edges solve q̃_A(u) = (√q_A of the edge)² together (:func:`~exonu.stats.scan.solve_crossings`);
    ``asimov`` (``FitProblem(model, statistic).nominal_asimov(0.0)``) may be passed to share its best fit.
    """
    cm = model.compiled
    if asimov is None:
        asimov = FitProblem(model, statistic).nominal_asimov(0.0)
    targets = _band_targets(cl)
    u = solve_crossings(asimov, targets, u_scale(asimov))
    return {k: float(cm.u_to_alpha(u_k)) for k, u_k in zip(BAND_SIGMAS, u, strict=True)}


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
    mapper: Mapper = map,
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
    mapper : callable
        Runs the chunks of the expected band's toys (``"asymptotic"``; see :class:`~exonu.stats.toys.Mapper`).
        The toy calculator's grid runs in this process.

    Returns
    -------
    LimitResult
    """
    cl = check_cl(cl)
    _check_calculator(calculator)
    n_toys = check_n_toys(n_toys)
    cm = model.compiled
    u_asym, cl_b, um = _asymptotic_cls_limit(model, statistic, cl)  # um row 0: the observed best fit
    details: dict[str, Any] = {"cl_b": cl_b}
    if calculator == "asymptotic":
        alpha_limit, used_toys, seed_used, ok = float(cm.u_to_alpha(u_asym)), 0, None, bool(um.converged[0])
        exp = (
            expected_from(
                CLs.calibrate(model, statistic, cl),
                ToyPlan(n_toys, seed, fluctuate_aux, progress, mapper=mapper),
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
            from scipy.stats import norm  # only here: scipy.stats costs ~1 s to import

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


@dataclass(frozen=True)
class CLs:
    """The asymptotic CL_s limit as a :class:`~exonu.stats.limits.method.LimitMethod`.

    Data sets are evaluated on a grid of u with q_A of the nominal Asimov data set shared
    (:attr:`grid`: 60 points up to 3× the +2σ edge, built on first use, i.e. only for toys); the
    median and asymptotic band come from :func:`cls_expected` on the same Asimov data set.
    """

    model: BinnedModel
    statistic: str
    cl: float
    asymptotic_band: dict[str, float] | None
    asimov: FitProblem | None = None
    given_grid: tuple[np.ndarray, np.ndarray] | None = None
    name: ClassVar[str] = "cls"
    calculator: ClassVar[str] = "asymptotic"

    @classmethod
    def calibrate(cls, model: BinnedModel, statistic: str, cl: float) -> CLs:
        """The asymptotic band of the nominal Asimov data set (its best fit kept for the q_A grid)."""
        asimov = FitProblem(model, statistic).nominal_asimov(0.0)
        return cls(model, statistic, cl, cls_expected(model, statistic, cl, asimov), asimov)

    @cached_property
    def grid(self) -> tuple[np.ndarray, np.ndarray]:
        """(u grid, q_A on it) shared by every data set."""
        if self.given_grid is not None:
            return self.given_grid
        assert self.asimov is not None and self.asymptotic_band is not None  # calibrate() sets both
        u_grid = np.linspace(0.0, 3.0 * float(self.model.compiled.alpha_to_u(self.asymptotic_band["+2sigma"])), 61)[1:]
        return u_grid, self.asimov.test_statistic(u_grid, "one")[0][0]

    @property
    def band_method(self) -> CLs:
        return self

    def limits(self, batch: FitBatch) -> tuple[np.ndarray, np.ndarray]:
        u_grid, q_asimov = self.grid
        problem = FitProblem(self.model, batch.statistic, batch.data, batch.centres)
        u_lim = cls_limits_for_problem(problem, self.cl, u_grid, q_asimov)
        return batch.cm.u_to_alpha(u_lim), np.isfinite(u_lim)

    def band_of(self, toy_limits: np.ndarray) -> tuple[np.ndarray, dict[str, float] | None]:
        return toy_limits, percentile_band(toy_limits)
