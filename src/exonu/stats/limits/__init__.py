"""Upper limits on the signal strength α, one module per method, and their expected limits.

Modules, in dependency order:

* :mod:`~exonu.stats.limits.results` — :class:`LimitResult`, :class:`ExpectedLimits`, band constants
* :mod:`~exonu.stats.limits.method` — the :class:`~exonu.stats.limits.method.LimitMethod` protocol
* :mod:`~exonu.stats.limits.driver` — expected limits and toy limits of any method
* :mod:`~exonu.stats.limits.bayesian` — the paper's Bayesian χ² limit (``"bayesian"``)
* :mod:`~exonu.stats.limits.asymptotic_plr` — the asymptotic PLR threshold and crossings
* :mod:`~exonu.stats.limits.neyman` — the toy Neyman construction of the one-sided PLR (``"neyman"``)
* :mod:`~exonu.stats.limits.plr` — PLR upper limits (``"plr"``), intervals and the best-fit band
* :mod:`~exonu.stats.limits.cls` — CL_s (``"cls"``), asymptotic or with toys
* :mod:`~exonu.stats.limits.pcl` — power-constrained limits (``"pcl"``)
* :mod:`~exonu.stats.limits.fc` — Feldman–Cousins intervals (``"fc"``)

This module maps a method name to its module: :func:`upper_limit` (observed, with the expected limit
beside it), :func:`expected_limits` (:func:`expected_limits_together` for several at once) and
:func:`limits_for_toys`.

Seeds. Toys for an expected band use ``seed``; a Neyman or FC belt built for the expected limits uses
``child_seed(seed, 10**6 + 1)``; the band toys of an observed Neyman or FC limit use
``child_seed(belt seed, 10**6)``; belt grid point k uses ``child_seed(belt seed, k)``; CL_s toys use
``child_seed(seed, 0)`` (background) and ``child_seed(seed, k + 1)`` (grid point k).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ...errors import InputError
from ..belt import NeymanBelt
from ..model import BinnedModel
from ..scan import SCAN_ENGINES
from ..statistic import check_statistic
from ..toys import Mapper, ToyEnsemble, ToyPlan, resolve_seed
from ..validate import check_cl, check_n_grid, check_n_toys
from . import fc, neyman
from .bayesian import Bayesian, bayesian_chi2_limit
from .cls import CLs, cls_upper_limit
from .driver import expected_from, expected_from_many, toy_limits
from .fc import FC, fc_interval
from .method import LimitMethod
from .neyman import Neyman, neyman_upper_limit
from .pcl import PCL, pcl_upper_limit
from .plr import PLR, best_fit_band, plr_interval, plr_upper_limit
from .results import BAND_PERCENTILES, METHODS, MIN_BAND_TOYS, ExpectedLimits, LimitResult

__all__ = [
    "BAND_PERCENTILES",
    "METHODS",
    "MIN_BAND_TOYS",
    "ExpectedLimits",
    "LimitMethod",
    "LimitResult",
    "bayesian_chi2_limit",
    "best_fit_band",
    "cls_upper_limit",
    "expected_limits",
    "expected_limits_together",
    "fc_interval",
    "limits_for_toys",
    "method_for",
    "neyman_upper_limit",
    "pcl_upper_limit",
    "plr_interval",
    "plr_upper_limit",
    "upper_limit",
]


def method_for(
    method: str,
    model: BinnedModel,
    *,
    cl: float,
    statistic: str,
    n_grid: int = 48,
    delta_chi2_max: float = 30.0,
    belt: NeymanBelt | dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    engine: str = "ladder",
) -> LimitMethod:
    """The :class:`~exonu.stats.limits.method.LimitMethod` of a method name, calibrated for ``model``.

    ``belt`` is required by ``"neyman"`` (a :class:`~exonu.stats.belt.NeymanBelt`) and ``"fc"`` (the
    dict of :func:`~exonu.stats.belt.fc_belt`). ``context`` may carry what was computed before:
    ``"cls_grid"`` (u grid, q_A) for CL_s, ``"pcl_threshold"`` for PCL.
    """
    context = {} if context is None else context
    if method == "bayesian":
        return Bayesian(model, statistic, cl, n_grid, delta_chi2_max, engine)
    if method == "plr":
        return PLR(model, statistic, cl, n_grid, engine)
    if method == "pcl":
        if "pcl_threshold" in context:
            return PCL(model, statistic, cl, context["pcl_threshold"], None, n_grid, engine)
        return PCL.calibrate(model, statistic, cl, n_grid, engine)
    if method == "cls":
        if "cls_grid" in context:
            return CLs(model, statistic, cl, None, given_grid=context["cls_grid"])
        return CLs.calibrate(model, statistic, cl)
    if method == "neyman":
        if not isinstance(belt, NeymanBelt):
            raise InputError(f"method='neyman' needs a NeymanBelt (see neyman_belt); got {type(belt).__name__}")
        return Neyman(model, statistic, cl, belt)
    if method == "fc":
        if not isinstance(belt, dict):
            raise InputError(f"method='fc' needs the belt dict of fc_belt; got {type(belt).__name__}")
        return FC(model, statistic, cl, belt)
    raise InputError(f"method must be one of {METHODS}; got {method!r}")


def expected_limits(
    model: BinnedModel,
    method: str = "bayesian",
    *,
    cl: float = 0.9,
    n_toys: int = 1000,
    seed: int | None = None,
    statistic: str = "chi2",
    fluctuate_aux: bool = True,
    progress: bool | None = None,
    chunk_size: int = 200,
    n_grid: int = 48,
    delta_chi2_max: float = 30.0,
    belt: NeymanBelt | dict[str, Any] | None = None,
    belt_toys: int = 1000,
    mapper: Mapper = map,
) -> ExpectedLimits:
    """Expected limits under the background-only hypothesis: Asimov median and toy band side by side.

    Parameters
    ----------
    model : BinnedModel
        Its data are ignored.
    method : {"bayesian", "plr", "neyman", "cls", "pcl", "fc"}
        ``"cls"`` and ``"pcl"`` also carry their asymptotic band (``asymptotic_band``); the toys of
        ``"cls"`` are evaluated with the asymptotic formulas (q_A of the nominal Asimov data set);
        the toy band of ``"pcl"`` is the PLR band with everything below its own −1σ edge at −1σ.
    cl : float
    n_toys : int
        Toys for the ±1σ/±2σ band: 0 gives the Asimov median only; 1 is refused; fewer than
        ``MIN_BAND_TOYS`` is flagged in ``warnings``.
    seed : int, optional
        Seed of the toys (``generate_toys(model, n_toys, seed=seed)`` reproduces them); a fresh
        seed is drawn and recorded if None.
    statistic : {"chi2", "poisson"}
    fluctuate_aux : bool
        Fluctuate the auxiliary measurements of the pulled nuisances in the toys.
    progress : bool, optional
        tqdm progress bar (default: only when stderr is a terminal).
    chunk_size : int
        Toys processed together (vectorised).
    n_grid, delta_chi2_max
        Scan settings (Bayesian / PLR).
    belt : NeymanBelt or dict, optional
        For ``method="neyman"`` (a :class:`NeymanBelt`) or ``"fc"`` (from
        :func:`~exonu.stats.belt.fc_belt`); built with ``belt_toys`` toys per point if missing.
    mapper : callable
        ``map(function, items)`` that runs the toys' chunks and the belt's grid points (default
        ``map``: in this process; an executor's ``map`` runs them in worker processes or on a cluster;
        see :class:`~exonu.stats.toys.Mapper`). The limits do not depend on it.

    Returns
    -------
    ExpectedLimits
    """
    return expected_from(
        *expected_question(
            model,
            method,
            cl=cl,
            n_toys=n_toys,
            seed=seed,
            statistic=statistic,
            fluctuate_aux=fluctuate_aux,
            progress=progress,
            chunk_size=chunk_size,
            n_grid=n_grid,
            delta_chi2_max=delta_chi2_max,
            belt=belt,
            belt_toys=belt_toys,
            mapper=mapper,
        )
    )


def expected_question(
    model: BinnedModel,
    method: str = "bayesian",
    *,
    cl: float = 0.9,
    n_toys: int = 1000,
    seed: int | None = None,
    statistic: str = "chi2",
    fluctuate_aux: bool = True,
    progress: bool | None = None,
    chunk_size: int = 200,
    n_grid: int = 48,
    delta_chi2_max: float = 30.0,
    belt: NeymanBelt | dict[str, Any] | None = None,
    belt_toys: int = 1000,
    mapper: Mapper = map,
) -> tuple[LimitMethod, ToyPlan]:
    """What :func:`expected_limits` with the same arguments computes, up to its toys: the method (calibrated;
    a neyman/fc belt built if none is given) and the plan of its band's toys."""
    check_statistic(statistic)
    check_cl(cl)
    check_n_grid(n_grid)
    if method not in METHODS:
        raise InputError(f"method must be one of {METHODS}; got {method!r}")
    if check_n_toys(n_toys) == 1:
        raise InputError(f"n_toys=1 makes no band: use 0 (Asimov median only) or at least {MIN_BAND_TOYS}")
    plan = ToyPlan(n_toys, seed, fluctuate_aux, progress, chunk_size, mapper)
    if method in ("neyman", "fc") and belt is None:
        plan = replace(plan, seed=resolve_seed(seed))  # the band's seed, and the parent of the belt's
        build = neyman.expected_belt if method == "neyman" else fc.expected_belt
        belt = build(model, statistic, cl, replace(plan, n_toys=belt_toys))
    limit_method = method_for(
        method, model, cl=cl, statistic=statistic, n_grid=n_grid, delta_chi2_max=delta_chi2_max, belt=belt
    )
    return limit_method, plan


#: The keyword arguments of one question of :func:`expected_limits_together` (those of :func:`expected_limits`)
EXPECTED_OPTIONS = frozenset(inspect.signature(expected_question).parameters) - {"model", "mapper"}


def expected_limits_together(
    model: BinnedModel, questions: Sequence[Mapping[str, Any]], *, mapper: Mapper = map
) -> list[ExpectedLimits]:
    """``[expected_limits(model, **question, mapper=mapper) for question in questions]``, the toys of every
    question in one ``mapper`` call.

    The numbers are those of one :func:`expected_limits` call per question (the same chunks and seeds); run
    together, a mapper with several workers keeps them all busy (e.g. a fit's band and its band with the
    auxiliary measurements held at nominal, 200 toys each). A neyman/fc question without a ``belt`` builds
    its belt first, in a ``mapper`` call of its own.
    """
    prepared = []
    for question in questions:
        unknown = sorted(set(question) - EXPECTED_OPTIONS)
        if unknown:
            raise InputError(f"expected_limits_together: unknown option(s) {unknown}; use {sorted(EXPECTED_OPTIONS)}")
        prepared.append(expected_question(model, **question, mapper=mapper))
    return expected_from_many(prepared, mapper)


def limits_for_toys(
    model: BinnedModel,
    toys: ToyEnsemble,
    method: str = "bayesian",
    *,
    cl: float = 0.9,
    statistic: str = "chi2",
    progress: bool | None = None,
    chunk_size: int = 200,
    n_grid: int = 48,
    delta_chi2_max: float = 30.0,
    belt: NeymanBelt | dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    engine: str = "ladder",
    mapper: Mapper = map,
) -> np.ndarray:
    """Upper limit of every toy in a :class:`~exonu.stats.toys.ToyEnsemble` (vectorised in chunks).

    Useful for coverage studies (toys generated at a true α ≠ 0). ``method="neyman"`` needs a
    ``belt``. Returns an array with NaN where a toy's computation failed.

    ``engine="newton"`` finds each toy's best fit with one batched Newton solve
    (:func:`~exonu.stats.minimum.batched_best_fit`) and sets the scan range from one probe profile
    instead of the ladder of :func:`~exonu.stats.minimum.minimise_fit_variable` (Bayesian and PLR
    limits of linear signals; otherwise, and for toys it cannot certify, the ladder is used). With
    ``n_grid=16`` it is about 2× cheaper than the default and within a few 1e-3 of it (see
    ``benchmarks/bench_toys.py``). ``mapper`` runs the chunks (see :class:`~exonu.stats.toys.Mapper`).
    """
    if engine not in SCAN_ENGINES:
        raise InputError(f"engine must be one of {SCAN_ENGINES}; got {engine!r}")
    check_statistic(statistic)
    check_cl(cl)
    check_n_grid(n_grid)
    if method not in METHODS:
        raise InputError(f"method must be one of {METHODS}; got {method!r}")
    if method in ("neyman", "fc") and belt is None:
        raise InputError(f"method={method!r} needs a belt (see neyman_belt / fc_belt)")
    limit_method = method_for(
        method,
        model,
        cl=cl,
        statistic=statistic,
        n_grid=n_grid,
        delta_chi2_max=delta_chi2_max,
        belt=belt,
        context=context,
        engine=engine,
    )
    return toy_limits(limit_method, toys, progress=progress, chunk_size=chunk_size, mapper=mapper)


def upper_limit(model: BinnedModel, cl: float = 0.9, *, method: str = "bayesian", **kwargs: Any) -> LimitResult:
    """The upper limit on α with one method; every result says how it was made (``describe()``).

    ``"bayesian"`` → :func:`bayesian_chi2_limit`, ``"plr"`` → :func:`plr_upper_limit`, ``"neyman"`` →
    :func:`neyman_upper_limit`, ``"cls"`` → :func:`~exonu.stats.limits.cls.cls_upper_limit`,
    ``"pcl"`` → :func:`~exonu.stats.limits.pcl.pcl_upper_limit`, ``"fc"`` →
    :func:`~exonu.stats.limits.fc.fc_interval` (whose ``alpha_limit`` is the upper end).
    """
    dispatch: dict[str, Callable[..., LimitResult]] = {
        "bayesian": bayesian_chi2_limit,
        "plr": plr_upper_limit,
        "neyman": neyman_upper_limit,
        "cls": cls_upper_limit,
        "pcl": pcl_upper_limit,
        "fc": fc_interval,
    }
    if method not in dispatch:
        raise InputError(f"method must be one of {METHODS}; got {method!r}")
    if not isinstance(model, BinnedModel):
        raise InputError(f"upper_limit: model must be a BinnedModel; got {type(model).__name__}")
    return dispatch[method](model, cl, **kwargs)
