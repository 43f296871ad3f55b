"""Bit-level snapshot of the statistics layer: proves that a restructure changes no number.

Runs ~60 result sets (fits with both engines, profiles, all six limit methods observed + expected with and
without seeded toys, toy limits with both engines, belts, batched fits, the best-fit band, the pyhf JSON)
on four models (a linear model with a p·q cross term, a dark-photon-like model with signal powers
[0.5, 1], a per-bin statistic model, and one packaged detector), and records the sha256 of ``.tobytes()``
of every array and scalar of every result.

    OPENBLAS_NUM_THREADS=1 python benchmarks/snapshot_stats.py --write snapshot.json   # on the base commit
    OPENBLAS_NUM_THREADS=1 python benchmarks/snapshot_stats.py --check snapshot.json   # after each step

Snapshots kept in ``benchmarks/snapshots/``: ``stats-86e079b.json`` (the commit before the restructure of
``exonu.stats``; every restructuring commit matched it bit for bit) and ``stats-issue20.json`` (after the
deliberate changes of issue 20, each stated in its commit message) and ``stats-e979e17.json`` (the base of the
fast-fit work: the physics changes after ``stats-issue20.json`` — atomic models, the FC belt — moved 17 result sets).

``--values FILE`` also writes the numbers (with ``--write``) or, with ``--check``, states the largest relative
change of every result set that differs (for a deliberate change of the numbers).

BLAS threads are pinned to one below (the thread count changes the bits). ``--check`` prints every result
set whose bits differ, with the fields that differ, and exits with status 1 if any does.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy is imported: partitioning changes the last bits

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from functools import cached_property  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from exonu import stats  # noqa: E402


def _leaf(value: Any) -> bytes:
    if isinstance(value, np.ndarray):
        return str(value.dtype).encode() + str(value.shape).encode() + value.tobytes()
    if isinstance(value, (bool, np.bool_)):
        return b"bool" + bytes([bool(value)])
    if isinstance(value, (int, np.integer)):
        return b"int" + str(int(value)).encode()
    if isinstance(value, (float, np.floating)):
        return b"float" + np.float64(value).tobytes()
    if isinstance(value, str):
        return b"str" + value.encode()
    if value is None:
        return b"None"
    raise TypeError(f"cannot hash {type(value).__name__}")


def attributes(value: Any) -> list[str]:
    """A result dataclass's compared fields and its public cached properties (results computed on first
    access, e.g. a fit's errors), sorted: the same keys whether a result is computed eagerly or lazily."""
    names = {f.name for f in dataclasses.fields(value) if f.compare}
    names |= {n for n, v in vars(type(value)).items() if isinstance(v, cached_property) and not n.startswith("_")}
    return sorted(names)


def flatten(value: Any, prefix: str = "") -> dict[str, bytes]:
    """{dotted path: bytes} of every array/scalar reachable through dataclasses, dicts, tuples and lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, bytes] = {}
        for name in attributes(value):
            out.update(flatten(getattr(value, name), f"{prefix}.{name}"))
        return out
    if isinstance(value, dict):
        out = {}
        for k in sorted(value, key=str):
            out.update(flatten(value[k], f"{prefix}[{k}]"))
        return out
    if isinstance(value, (tuple, list)):
        out = {}
        for i, v in enumerate(value):
            out.update(flatten(v, f"{prefix}[{i}]"))
        return out
    if type(value).__name__ == "BinnedModel":
        return {}
    return {prefix or ".": _leaf(value)}


def digest(value: Any) -> dict[str, str]:
    return {k: hashlib.sha256(v).hexdigest()[:16] for k, v in flatten(value).items()}


def numbers(value: Any, prefix: str = "") -> dict[str, list[float]]:
    """{dotted path: values} of every float array/scalar (for stating the size of a deliberate change)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for name in attributes(value):
            out.update(numbers(getattr(value, name), f"{prefix}.{name}"))
        return out
    if isinstance(value, dict):
        return {k: v for key in value for k, v in numbers(value[key], f"{prefix}[{key}]").items()}
    if isinstance(value, (tuple, list)):
        return {k: v for i, x in enumerate(value) for k, v in numbers(x, f"{prefix}[{i}]").items()}
    if isinstance(value, (float, np.floating)) or (isinstance(value, np.ndarray) and value.dtype.kind == "f"):
        return {prefix or ".": np.asarray(value, dtype=float).ravel().tolist()}
    return {}


def largest_change(old: dict[str, list[float]], new: dict[str, list[float]]) -> tuple[float, str]:
    """The largest relative difference between matching values, and where."""
    worst, where = 0.0, ""
    for key in set(old) & set(new):
        a, b = np.asarray(old[key], dtype=float), np.asarray(new[key], dtype=float)
        if a.shape != b.shape:
            return float("inf"), f"{key} (shape)"
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.where(a == b, 0.0, np.abs(b - a) / np.maximum(np.abs(a), 1e-300))
        rel = np.where(np.isnan(a) & np.isnan(b), 0.0, rel)
        if rel.size and np.nanmax(rel) > worst:
            worst, where = float(np.nanmax(rel)), key
    return worst, where


# -- models ---------------------------------------------------------------------------------------------


def linear_model() -> stats.BinnedModel:
    """40 bins, two backgrounds (pulled at σ = 0.1 and free), one background shape systematic (p·q)."""
    rng = np.random.default_rng(11)
    x = np.linspace(0.0, 1.0, 40)
    bkg = np.array([80.0 * np.exp(-2.0 * x) + 5.0, 20.0 + 10.0 * x])
    m = stats.BinnedModel(
        np.zeros(40),
        bkg,
        [0.1, np.inf],
        30.0 * np.exp(-((x - 0.3) ** 2) / 0.02),
        background_shape_sys=(0.05 * bkg * (x - 0.5))[None],
        signal_shape_sys=0.05 * x[None],
        background_mc_stat_var=0.01 * bkg.sum(0),
        signal_mc_stat_var=0.02 * np.ones(40),
        poi_name="mu",
    )
    return m.with_data(rng.poisson(m.asimov(0.2)).astype(float))


def powers_model() -> stats.BinnedModel:
    """A dark-photon-like signal α^0.5 T₁ + α T₂ (interference term first), one pulled background."""
    rng = np.random.default_rng(12)
    x = np.linspace(0.0, 1.0, 30)
    bkg = np.array([50.0 * np.exp(-1.5 * x) + 3.0])
    m = stats.BinnedModel(
        np.zeros(30),
        bkg,
        [0.2],
        np.array([4.0 * np.exp(-4.0 * x), 25.0 * np.exp(-6.0 * x)]),
        signal_powers=[0.5, 1.0],
        background_shape_sys=(0.03 * bkg)[None],
    )
    return m.with_data(rng.poisson(m.asimov(0.05)).astype(float))


def per_bin_model() -> stats.BinnedModel:
    """A joint-fit-like model: the first 15 bins take the χ², the last 15 the Poisson likelihood."""
    rng = np.random.default_rng(13)
    x = np.linspace(0.0, 1.0, 30)
    bkg = np.array([np.r_[np.full(15, 60.0), np.full(15, 3.0)] * np.exp(-x), np.full(30, 2.0)])
    m = stats.BinnedModel(
        np.zeros(30),
        bkg,
        [0.1, np.inf],
        10.0 * np.exp(-3.0 * x),
        background_shape_sys=(0.04 * bkg * x)[None],
        bin_statistic=("chi2",) * 15 + ("poisson",) * 15,
    )
    return m.with_data(rng.poisson(m.asimov(0.1)).astype(float))


def detector_model() -> stats.BinnedModel:
    """XENONnT SR0, magnetic-moment search, its real data (29 bins)."""
    from exonu.config import load_detector
    from exonu.searches import PAPER_SEARCHES, build_binned_model

    spec = next(s for s in PAPER_SEARCHES if s.key == "magnetic_moment_mub")
    model, _ = build_binned_model(load_detector("xenonnt-sr0"), spec)
    return model


# -- result sets ----------------------------------------------------------------------------------------


def result_sets() -> dict[str, Callable[[], Any]]:
    lin, pw, pb, det = linear_model(), powers_model(), per_bin_model(), detector_model()
    sets: dict[str, Callable[[], Any]] = {}

    def add(name: str, fn: Callable[[], Any]) -> None:
        sets[name] = fn

    for tag, m, stat in (("lin", lin, "chi2"), ("lin-pois", lin, "poisson"), ("pw", pw, "chi2"),
                         ("pb", pb, "per-bin"), ("det", det, "poisson")):  # fmt: skip
        add(f"{tag}/fit-fast", lambda m=m, s=stat: stats.fit(m, statistic=s))
        add(f"{tag}/profile", lambda m=m, s=stat: stats.profile(m, 0.1, statistic=s))
        add(f"{tag}/profile_scan", lambda m=m, s=stat: stats.profile_scan(m, [0.0, 0.05, 0.2, 0.5], statistic=s))
        add(f"{tag}/chi2_value", lambda m=m, s=stat: stats.chi2_value(m, 0.1, statistic=s))
        add(f"{tag}/bayesian", lambda m=m, s=stat: stats.upper_limit(m, method="bayesian", statistic=s))
        add(f"{tag}/plr", lambda m=m, s=stat: stats.upper_limit(m, method="plr", statistic=s))
        add(f"{tag}/cls", lambda m=m, s=stat: stats.upper_limit(m, method="cls", statistic=s))
        add(f"{tag}/pcl", lambda m=m, s=stat: stats.upper_limit(m, method="pcl", statistic=s))
        add(f"{tag}/best_fit_band", lambda m=m, s=stat: stats.best_fit_band(m, statistic=s))
    add("lin/fit-minuit", lambda: stats.fit(lin, engine="minuit"))
    add("lin/fit-neg", lambda: stats.fit(lin, allow_negative=True))
    add("lin/fit-fixed", lambda: stats.fit(lin, fix_alpha=0.3))
    add("det/fit-minuit", lambda: stats.fit(det, statistic="poisson", engine="minuit"))
    add("pw/plr-interval", lambda: stats.plr_interval(pw))
    add("pw/plr-two-sided-chi2", lambda: stats.plr_critical_value(0.9, "two"))
    # toys: a few seeded ones with every method that takes them
    add("lin/bayesian-toys", lambda: stats.bayesian_chi2_limit(lin, n_toys=12, seed=3))
    add("lin/plr-toys", lambda: stats.plr_upper_limit(lin, n_toys=12, seed=3))
    add("lin/plr-neyman-calibrated", lambda: stats.plr_upper_limit(lin, method="neyman", belt_toys=60, seed=4))
    add("lin/cls-toys-expected", lambda: stats.cls_upper_limit(lin, n_toys=12, seed=3))
    add(
        "lin/cls-toy-calculator",
        lambda: stats.cls_upper_limit(lin, calculator="toys", n_toys=40, seed=5, n_alpha=5),
    )
    add("lin/pcl-toys", lambda: stats.pcl_upper_limit(lin, n_toys=12, seed=3))
    add("lin/neyman", lambda: stats.neyman_upper_limit(lin, n_toys=60, seed=6, n_alpha=5))
    add(
        "lin/neyman-exp-toys",
        lambda: stats.neyman_upper_limit(lin, n_toys=60, seed=6, n_alpha=5, n_toys_expected=8),
    )
    add("lin/fc", lambda: stats.fc_interval(lin, n_toys=60, seed=7, n_alpha=5))
    add("lin/fc-exp-toys", lambda: stats.fc_interval(lin, n_toys=60, seed=7, n_alpha=5, n_toys_expected=8))
    add("det/neyman", lambda: stats.neyman_upper_limit(det, statistic="poisson", n_toys=40, seed=8, n_alpha=4))
    add("pw/fc", lambda: stats.fc_interval(pw, n_toys=40, seed=9, n_alpha=4))
    for method in stats.METHODS:
        kw: dict[str, Any] = {"belt_toys": 40, "seed": 1} if method in ("neyman", "fc") else {}
        add(
            f"pw/expected-{method}",
            lambda method=method, kw=kw: stats.expected_limits(pw, method, n_toys=10, **{"seed": 2, **kw}),
        )
        add(f"lin/expected0-{method}", lambda method=method, kw=kw: stats.expected_limits(lin, method, n_toys=0, **kw))
    toys = stats.generate_toys(lin, 16, seed=21)
    for engine in ("ladder", "newton"):
        for method in ("bayesian", "plr", "cls", "pcl"):
            add(
                f"lin/limits_for_toys-{method}-{engine}",
                lambda method=method, engine=engine: stats.limits_for_toys(lin, toys, method, engine=engine),
            )
    add("lin/belt_statistic", lambda: stats.belt_statistic(lin, toys, [0.0, 0.1, 0.3, 0.6]))
    ptoys = stats.generate_toys(pb, 10, seed=22)
    add("pb/belt_statistic", lambda: stats.belt_statistic(pb, ptoys, [0.0, 0.2], statistic="per-bin"))
    add("lin/batched_best_fit", lambda: stats.batched_best_fit(lin, "chi2", toys.data, toys.centres))
    add(
        "det/batched_best_fit",
        lambda: stats.batched_best_fit(
            det, "poisson", *(lambda t: (t.data, t.centres))(stats.generate_toys(det, 8, seed=23))
        ),
    )
    add("lin/toys", lambda: stats.generate_toys(lin, 5, seed=24, pulls=stats.fit(lin)))
    add("lin/pyhf", lambda: json.dumps(stats.to_pyhf_workspace(lin), sort_keys=True))
    add("det/pyhf", lambda: json.dumps(stats.to_pyhf_workspace(det, activity_modifier="histosys"), sort_keys=True))
    return sets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", metavar="FILE", type=Path)
    mode.add_argument("--check", metavar="FILE", type=Path)
    parser.add_argument("-k", default="", help="only result sets whose name contains this")
    parser.add_argument("--values", type=Path, help="also write (--write) or compare with (--check) the numbers")
    args = parser.parse_args()
    t0 = time.perf_counter()
    got: dict[str, dict[str, str]] = {}
    values: dict[str, dict[str, list[float]]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, fn in result_sets().items():
            if args.k in name:
                result = fn()
                got[name], values[name] = digest(result), numbers(result)
    elapsed = time.perf_counter() - t0
    if args.write:
        args.write.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        if args.values:
            args.values.write_text(json.dumps(values), encoding="utf-8")
        print(f"wrote {len(got)} result sets ({sum(map(len, got.values()))} arrays/scalars) in {elapsed:.0f} s")
        return 0
    want = json.loads(args.check.read_text(encoding="utf-8"))
    old_values = json.loads(args.values.read_text(encoding="utf-8")) if args.values else {}
    bad = 0
    for name, fields in got.items():
        ref = want.get(name)
        if ref != fields:
            bad += 1
            diff = sorted(k for k in set(fields) | set(ref or {}) if (ref or {}).get(k) != fields.get(k))
            change = ""
            if name in old_values:
                worst, where = largest_change(old_values[name], values[name])
                change = f" [largest relative change {worst:.1e} in {where}]"
            print(f"DIFFERS {name}{change}: {', '.join(diff[:6])}{' …' if len(diff) > 6 else ''}")
    n = sum(map(len, got.values()))
    print(f"{len(got) - bad}/{len(got)} result sets ({n} arrays/scalars) bit-identical ({elapsed:.0f} s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
