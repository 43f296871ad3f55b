"""Benchmark: exonu's CLs upper limit against pyhf's, like with like, and how both scale.

Both compute the same thing: the asymptotic CLs upper limit with the q̃_μ test statistic
(arXiv:1007.1727) at 95 % CL (pyhf's default; pyhf 0.7's root-finding ``upper_limit(scan=None)``
uses 95 % whatever ``level`` says), Poisson likelihood, on the same HistFactory model (exported by
``exonu.stats.to_pyhf_model`` with linear ``histosys`` activities, like Eq. 5 of arXiv:2005.11891).
Both run at ONE BLAS thread (threadpoolctl), on the numpy backend for pyhf.

Models: the XMASS-I μ_ν search, then synthetic spectra scaled in bins (30 → 3000, 10 nuisances) and
in nuisances (10 → 100, 99 bins). For each: both limits, their ratio, and both wall times.

Run: ``python benchmarks/bench_vs_pyhf.py [--quick]`` (needs pyhf and threadpoolctl). On machines
where OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE are set for old OpenBLAS builds, unset both in that command
to benchmark a current numpy (the kernel in use is printed).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np


def best_of(fn, repeat: int):
    """(smallest wall time in s, last result) of ``repeat`` calls."""
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def synthetic_model(n_bins: int, n_nuisances: int, seed: int = 1):
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


def compare(name: str, model, repeat: int) -> dict:
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller scans (30/300 bins, 10/30 nuisances)")
    args = ap.parse_args()
    import pyhf
    from threadpoolctl import threadpool_info, threadpool_limits

    from exonu.config import load_detector
    from exonu.searches import PAPER_SEARCHES, build_binned_model

    pyhf.set_backend("numpy")
    warnings.filterwarnings("ignore")
    rows = []
    with threadpool_limits(limits=1):
        for pool in threadpool_info():
            print(
                f"BLAS: {pool.get('internal_api')} {pool.get('version')} {pool.get('architecture')}, "
                f"{pool.get('num_threads')} thread(s)"
            )
        setup = load_detector("xmass-i")
        spec = next(s for s in PAPER_SEARCHES if s.key == "magnetic_moment_mub")
        rows.append(compare("xmass-i mu_nu", build_binned_model(setup, spec)[0], 3))
        bins = (30, 300) if args.quick else (30, 300, 3000)
        nuis = (10, 30) if args.quick else (10, 30, 100)
        for n in bins:
            rows.append(compare(f"bins={n}", synthetic_model(n, 10), 3))
        for k in nuis:
            rows.append(compare(f"nuisances={k}", synthetic_model(99, k), 3))
    head = (
        f"{'model':<16}{'bins':>6}{'nuis':>6}{'exonu CLs95':>13}{'pyhf CLs95':>12}{'ratio':>8}"
        f"{'exonu s':>10}{'pyhf s':>10}{'speed-up':>10}"
    )
    print(head)
    for r in rows:
        print(
            f"{r['model']:<16}{r['bins']:>6}{r['nuisances']:>6}{r['exonu_cls95']:>13.5g}{r['pyhf_cls95']:>12.5g}"
            f"{r['ratio']:>8.4f}{r['exonu_s']:>10.3g}{r['pyhf_s']:>10.3g}{r['speed_up']:>10.1f}"
        )
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
