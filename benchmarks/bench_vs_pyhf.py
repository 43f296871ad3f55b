"""Benchmark: exonu against pyhf, like with like, on every packaged detector (and how both scale).

Per packaged detector (``exonu.config.list_detectors``), on the magnetic-moment search (the paper's
window; the detector's data, or the background-only Asimov data of the XMASS-I reconstruction), the
same HistFactory model for both (``exonu.stats.to_pyhf_model``: Poisson; POI ``mu`` = exonu's α):

* **fit**: one maximum-likelihood fit — ``exonu.stats.fit(model, statistic="poisson")`` against
  ``pyhf.infer.mle.fit(data, pdf)``;
* **limit**: the 90 % CL asymptotic CL_s upper limit with q̃_μ (arXiv:1007.1727), observed *and*
  expected band — ``exonu.stats.cls_upper_limit(model, 0.9, statistic="poisson")`` against pyhf's
  ``upper_limit(data, pdf, scan=linspace(0, 2.5·L, 26), level=0.1)`` (its scan always yields the
  band), L = exonu's larger of the observed and median expected limits. exonu's asymptotic CL_s gives
  the median expected limit (Asimov) but no asymptotic ±1σ/±2σ band (``exonu_expected_band`` is null),
  so the limit comparison asks pyhf for three more numbers than exonu.

NumPy back end for pyhf, ONE BLAS thread (threadpoolctl), repeats interleaved (exonu fit, pyhf fit,
exonu limit, pyhf limit, again), medians. One repeat of a call that takes less than ``BLOCK_S`` is the
mean of as many back-to-back calls as fill it (a 1 ms fit timed once is at the mercy of the scheduler
on a shared machine). ``--backend jax`` also times pyhf on JAX after one compiling call (if jax is
installed; the output says when it is not), interleaved with exonu in the same way.

What the timed exonu fit computes: ``fit`` returns the best fit (α and every nuisance) and χ²_min, like
``pyhf.infer.mle.fit``; its error block (Hessian, covariance, errors, validity) is computed on the first
access of one of those attributes, so it is not in the fit time.

    python benchmarks/bench_vs_pyhf.py [--repeats 3] [--json] [--backend jax] [--detector NAME] [--scaling [--quick]]

With ``--json`` the last line is a JSON list, one object per detector: ``detector``, ``fit_speed_up``
(pyhf time ÷ exonu time), ``limit_speed_up``, ``limit_ratio`` (exonu ÷ pyhf observed limit),
``expected_ratio`` (exonu's Asimov median ÷ pyhf's median expected limit) and the medians behind
them (with ``--backend jax`` also ``*_jax`` fields). ``--scaling`` instead runs the synthetic scaling
study (bins 30 → 3000, nuisances 10 → 100; 95 % CL, pyhf's root-finding).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before numpy is imported; threadpoolctl enforces it below

import argparse  # noqa: E402 - after the BLAS pinning above
import importlib.util  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

SCAN_POINTS = 26
SCAN_REACH = 2.5  # the scan runs to 2.5 × exonu's limit
BLOCK_S = 0.05  # one repeat of a call shorter than this is the mean of a block of calls that fills it


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(wall time in s per call, result): one call, or the mean of a block of calls if one is short."""
    t0 = time.perf_counter()
    out = fn()
    elapsed = time.perf_counter() - t0
    if elapsed >= BLOCK_S:
        return elapsed, out
    n = max(1, int(BLOCK_S / max(elapsed, 1e-6)))
    t0 = time.perf_counter()
    for _ in range(n):
        out = fn()
    return (time.perf_counter() - t0) / n, out


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """(smallest wall time in s, last result) of ``repeat`` calls."""
    best, out = np.inf, None
    for _ in range(repeat):
        t, out = timed(fn)
        best = min(best, t)
    return best, out


# ------------------------------------------------------------------------------------------------
# packaged detectors: fit and CLs limit with its expected band
# ------------------------------------------------------------------------------------------------
def detector_model(name: str) -> Any:
    from exonu.config import load_detector
    from exonu.searches import build_binned_model, search_spec

    return build_binned_model(load_detector(name), search_spec("magnetic-moment"))[0]


def pyhf_limit(data: Any, pdf: Any, scan: np.ndarray) -> tuple[float, list[float]]:
    import pyhf

    obs, exp = pyhf.infer.intervals.upper_limits.upper_limit(data, pdf, scan=scan, level=0.1)
    return float(obs), [float(x) for x in exp]


def compare_detector(name: str, repeats: int, jax: bool) -> dict[str, Any]:
    import pyhf

    from exonu.stats import cls_upper_limit, fit, to_pyhf_model

    model = detector_model(name)
    pyhf.set_backend("numpy")
    pdf, data, _ = to_pyhf_model(model, name)

    def exonu_fit() -> Any:
        return fit(model, statistic="poisson")

    def exonu_limit() -> Any:
        return cls_upper_limit(model, 0.9, statistic="poisson", expected=True)

    first = exonu_limit()  # also sets the scan range, untimed
    reach = max(first.alpha_limit, first.expected or 0.0)
    scan = np.linspace(0.0, SCAN_REACH * reach, SCAN_POINTS)
    pyhf.infer.mle.fit(data, pdf)  # untimed: the first call builds pyhf's caches
    times: dict[str, list[float]] = {"exonu_fit": [], "pyhf_fit": [], "exonu_limit": [], "pyhf_limit": []}
    for _ in range(repeats):  # interleaved
        t, ex_fit = timed(exonu_fit)
        times["exonu_fit"].append(t)
        t, py_fit = timed(lambda: pyhf.infer.mle.fit(data, pdf))
        times["pyhf_fit"].append(t)
        t, ex = timed(exonu_limit)
        times["exonu_limit"].append(t)
        t, (py_obs, py_exp) = timed(lambda: pyhf_limit(data, pdf, scan))
        times["pyhf_limit"].append(t)
    med = {k: statistics.median(v) for k, v in times.items()}
    row: dict[str, Any] = {
        "detector": name,
        "bins": model.n_bins,
        "pyhf_parameters": len(pdf.config.par_order),
        "fit_speed_up": round(med["pyhf_fit"] / med["exonu_fit"], 2),
        "limit_speed_up": round(med["pyhf_limit"] / med["exonu_limit"], 2),
        "fit_alpha_exonu": ex_fit.alpha,  # the same maximum: α̂ and pyhf's μ̂ (POI mu = α)
        "fit_alpha_pyhf": float(py_fit[pdf.config.poi_index]),
        "limit_ratio": round(ex.alpha_limit / py_obs, 5),
        "expected_ratio": round(ex.expected / py_exp[2], 5) if ex.expected is not None else None,
        "exonu_limit": ex.alpha_limit,
        "exonu_expected": ex.expected,
        "exonu_expected_band": ex.expected_band,  # None: the asymptotic limit gives the median only
        "pyhf_limit": py_obs,
        "pyhf_expected_band": py_exp,  # −2σ, −1σ, median, +1σ, +2σ
        "scan_max": float(scan[-1]),
        **{f"{k}_s": round(v, 6) for k, v in med.items()},
        "repeats": repeats,
    }
    if jax:
        row.update(compare_jax(scan, repeats, name, exonu_fit, exonu_limit))
    return row


def once(fn: Callable[[], Any]) -> float:
    """Wall time in s of exactly one call (a first, compiling call)."""
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def compare_jax(
    scan: np.ndarray, repeats: int, name: str, exonu_fit: Callable[[], Any], exonu_limit: Callable[[], Any]
) -> dict[str, Any]:
    """pyhf on JAX, timed after one compiling call of each, interleaved with exonu's fit and limit again."""
    import pyhf

    from exonu.stats import to_pyhf_model

    pyhf.set_backend("jax")
    try:
        model = detector_model(name)
        pdf, data, _ = to_pyhf_model(model, name)  # rebuilt on the JAX back end
        compile_fit = once(lambda: pyhf.infer.mle.fit(data, pdf))
        compile_limit = once(lambda: pyhf_limit(data, pdf, scan))
        times: dict[str, list[float]] = {"exonu_fit": [], "jax_fit": [], "exonu_limit": [], "jax_limit": []}
        for _ in range(repeats):  # interleaved, as for the NumPy back end
            times["exonu_fit"].append(timed(exonu_fit)[0])
            times["jax_fit"].append(timed(lambda: pyhf.infer.mle.fit(data, pdf))[0])
            times["exonu_limit"].append(timed(exonu_limit)[0])
            times["jax_limit"].append(timed(lambda: pyhf_limit(data, pdf, scan))[0])
    finally:
        pyhf.set_backend("numpy")
    med = {k: statistics.median(v) for k, v in times.items()}
    return {
        "pyhf_jax_fit_s": round(med["jax_fit"], 6),
        "pyhf_jax_limit_s": round(med["jax_limit"], 5),
        "exonu_fit_s_jax_run": round(med["exonu_fit"], 6),
        "exonu_limit_s_jax_run": round(med["exonu_limit"], 5),
        "pyhf_jax_first_call_s": round(compile_fit + compile_limit, 3),
        "fit_speed_up_jax": round(med["jax_fit"] / med["exonu_fit"], 2),
        "limit_speed_up_jax": round(med["jax_limit"] / med["exonu_limit"], 2),
    }


def run_detectors(repeats: int, backend: str, only: list[str] | None = None) -> list[dict[str, Any]]:
    from exonu.config import list_detectors

    jax = backend == "jax" and importlib.util.find_spec("jax") is not None
    if backend == "jax" and not jax:
        print("--backend jax: jax is not installed; pyhf is timed on the NumPy back end only")
    rows = []
    for name, _ in list_detectors():
        if only and name not in only:
            continue
        row = compare_detector(name, repeats, jax)
        rows.append(row)
        line = (
            f"{name:<13} {row['bins']:>3} bins {row['pyhf_parameters']:>2} pars | fit exonu "
            f"{1e3 * row['exonu_fit_s']:.2f} ms, pyhf {1e3 * row['pyhf_fit_s']:.2f} ms -> x{row['fit_speed_up']} | "
            f"CLs90 obs+exp exonu {1e3 * row['exonu_limit_s']:.1f} ms, pyhf {1e3 * row['pyhf_limit_s']:.0f} ms "
            f"-> x{row['limit_speed_up']} | L exonu/pyhf {row['exonu_limit']:.5g}/{row['pyhf_limit']:.5g} "
            f"= {row['limit_ratio']}"
        )
        if jax:
            line += f" | pyhf-jax fit x{row['fit_speed_up_jax']}, limit x{row['limit_speed_up_jax']}"
        print(line, flush=True)
    return rows


# ------------------------------------------------------------------------------------------------
# scaling study on synthetic spectra (95 % CL, pyhf's root-finding)
# ------------------------------------------------------------------------------------------------
def synthetic_model(n_bins: int, n_nuisances: int, seed: int = 1) -> Any:
    """A falling background of n_nuisances // 2 pulled components plus as many shape systematics."""
    from exonu.stats import BinnedModel

    rng = np.random.default_rng(seed)
    n_comp = max(n_nuisances // 2, 1)
    n_sys = n_nuisances - n_comp
    x = np.linspace(0.0, 1.0, n_bins)
    scale = 99.0 / n_bins  # the same total counts at every binning
    bkg = scale * np.array([rng.uniform(20, 200) * np.exp(-x * rng.uniform(0, 4)) for _ in range(n_comp)])
    sigma = rng.uniform(0.05, 0.3, n_comp)
    bsys = rng.normal(0.0, 0.02, (n_sys, n_comp, n_bins)) * bkg[None]
    signal = scale * 30.0 * np.exp(-6.0 * x)
    model = BinnedModel(np.zeros(n_bins), bkg, sigma, signal, background_shape_sys=bsys)
    return model.with_data(np.round(model.asimov(0.0)))


def compare_scaling(name: str, model: Any, repeat: int) -> dict[str, Any]:
    import pyhf

    from exonu.stats import cls_upper_limit, to_pyhf_model

    pdf, data, _ = to_pyhf_model(model, name, activity_modifier="histosys")
    t_exonu, ex = best_of(lambda: cls_upper_limit(model, 0.95, statistic="poisson", expected=False), repeat)
    t_pyhf, py = best_of(lambda: pyhf.infer.intervals.upper_limits.upper_limit(data, pdf), 1)
    mu_pyhf = float(py[0])
    return {
        "model": name,
        "bins": model.n_bins,
        "nuisances": model.n_nuisances,
        "exonu_cls95": ex.alpha_limit,
        "pyhf_cls95": mu_pyhf,
        "ratio": ex.alpha_limit / mu_pyhf,
        "exonu_s": t_exonu,
        "pyhf_s": t_pyhf,
        "speed_up": t_pyhf / t_exonu,
    }


def run_scaling(quick: bool) -> list[dict[str, Any]]:
    rows = [compare_scaling("xmass-i mu_nu", detector_model("xmass-i"), 3)]
    for n in (30, 300) if quick else (30, 300, 3000):
        rows.append(compare_scaling(f"bins={n}", synthetic_model(n, 10), 3))
    for k in (10, 30) if quick else (10, 30, 100):
        rows.append(compare_scaling(f"nuisances={k}", synthetic_model(99, k), 3))
    print(
        f"{'model':<16}{'bins':>6}{'nuis':>6}{'exonu CLs95':>13}{'pyhf CLs95':>12}{'ratio':>8}"
        f"{'exonu s':>10}{'pyhf s':>10}{'speed-up':>10}"
    )
    for r in rows:
        print(
            f"{r['model']:<16}{r['bins']:>6}{r['nuisances']:>6}{r['exonu_cls95']:>13.5g}{r['pyhf_cls95']:>12.5g}"
            f"{r['ratio']:>8.4f}{r['exonu_s']:>10.3g}{r['pyhf_s']:>10.3g}{r['speed_up']:>10.1f}"
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="interleaved repeats per detector (medians)")
    ap.add_argument("--backend", choices=["numpy", "jax"], default="numpy", help="jax: also pyhf on JAX")
    ap.add_argument("--json", action="store_true", help="last line: the results as a JSON list")
    ap.add_argument("--detector", action="append", help="only this packaged detector (repeatable; default: all)")
    ap.add_argument("--scaling", action="store_true", help="the synthetic scaling study instead")
    ap.add_argument("--quick", action="store_true", help="with --scaling: 30/300 bins, 10/30 nuisances")
    args = ap.parse_args()
    import pyhf
    from threadpoolctl import threadpool_info, threadpool_limits

    pyhf.set_backend("numpy")
    warnings.filterwarnings("ignore")
    with threadpool_limits(limits=1):
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(
            f"machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} CPUs, load average "
            f"{load:.1f}; python {platform.python_version()}, numpy {np.__version__}, pyhf {pyhf.__version__}"
        )
        for pool in threadpool_info():
            print(f"BLAS: {pool.get('internal_api')} {pool.get('version')}, {pool.get('num_threads')} thread(s)")
        rows = run_scaling(args.quick) if args.scaling else run_detectors(args.repeats, args.backend, args.detector)
    if args.json:
        print(json.dumps(rows))


if __name__ == "__main__":
    main()
