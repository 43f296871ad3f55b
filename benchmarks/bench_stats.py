"""Timing of the exonu statistics layer on a 99-bin, 12-component, 10-bkg-sys, 3-sig-sys random model.

Both fit engines are timed (``fast``: profiled minimum + exact Hessian; ``minuit``: MIGRAD + HESSE).
"""

import time

import numpy as np

from exonu.stats import (
    BinnedModel,
    bayesian_chi2_limit,
    cls_upper_limit,
    expected_limits,
    fc_interval,
    fit,
    pcl_upper_limit,
    plr_upper_limit,
    profile,
)


def random_model(n_bins=99, n_comp=12, n_bsys=10, n_ssys=3, seed=1, n_free=4):
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 1, n_bins)
    bkg = np.array(
        [
            rng.uniform(5, 200) * np.exp(-x * rng.uniform(0, 5))
            + rng.uniform(0, 20) * np.exp(-0.5 * ((x - rng.uniform()) / 0.05) ** 2)
            for _ in range(n_comp)
        ]
    )
    sigma = np.concatenate([np.full(n_free, np.inf), rng.uniform(0.05, 0.3, n_comp - n_free)])
    bsys = rng.normal(0, 0.03, (n_bsys, n_comp, n_bins)) * bkg[None]
    tmpl = 300 * np.exp(-8 * x)
    m = BinnedModel(
        np.zeros(n_bins),
        bkg,
        sigma,
        tmpl,
        background_shape_sys=bsys,
        signal_shape_sys=rng.uniform(0.01, 0.08, (n_ssys, n_bins)),
        background_mc_stat_var=0.01 * bkg.sum(0),
        signal_mc_stat_var=0.01 * tmpl,
    )
    return m.with_data(rng.poisson(m.asimov(0.3)).astype(float))


def best_of(fn, n):
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t)
    return min(ts), float(np.median(ts)), out


m = random_model()
for stat in ("chi2", "poisson"):
    print(f"--- statistic = {stat}")
    t, med, pr = best_of(lambda: profile(m, 0.3, statistic=stat), 200)
    print(f"profile (cold start)      : best {t * 1e3:.3f} ms, median {med * 1e3:.3f} ms, {pr.n_iter} iterations")
    warm = profile(m, 0.32, statistic=stat)
    t, med, pr = best_of(lambda: profile(m, 0.3, statistic=stat, start=warm), 200)
    print(f"profile (warm start)      : best {t * 1e3:.3f} ms, median {med * 1e3:.3f} ms, {pr.n_iter} iterations")
    t, med, fr = best_of(lambda: fit(m, statistic=stat), 20)
    print(
        f"full fit (fast, Hessian)  : best {t * 1e3:.1f} ms  alpha = {fr.alpha:.4f} ± {fr.alpha_error:.4f}, "
        f"chi2/ndof = {fr.chi2:.2f}/{fr.ndof}, valid={fr.valid}"
    )
    t, med, fm = best_of(lambda: fit(m, statistic=stat, engine="minuit"), 5)
    print(
        f"full fit (Minuit+HESSE)   : best {t * 1e3:.1f} ms  alpha = {fm.alpha:.4f} ± {fm.alpha_error:.4f}, "
        f"chi2/ndof = {fm.chi2:.2f}/{fm.ndof}, valid={fm.valid}"
    )
    ok = np.diag(fm.covariance) > 0  # fixed components have no error
    sig_f, sig_m = np.sqrt(np.diag(fr.covariance))[ok], np.sqrt(np.diag(fm.covariance))[ok]
    print(
        f"  engines: |d chi2| = {abs(fr.chi2 - fm.chi2):.1e}, max |d value|/error = "
        f"{np.max(np.abs(fr.values - fm.values)[ok] / sig_f):.1e}, "
        f"max |d error|/error = {np.max(np.abs(sig_f / sig_m - 1)):.1e}"
    )
    t, med, lr = best_of(lambda: bayesian_chi2_limit(m, statistic=stat, expected=False), 5)
    print(
        f"Bayesian limit (observed) : best {t * 1e3:.1f} ms  alpha_90 = {lr.alpha_limit:.4f} "
        f"({lr.details['n_points']} profiled points)"
    )
    t, med, lr = best_of(lambda: plr_upper_limit(m, statistic=stat, expected=False), 5)
    print(f"PLR limit (observed)      : best {t * 1e3:.1f} ms  alpha_90 = {lr.alpha_limit:.4f}")
    t, med, lr = best_of(lambda: cls_upper_limit(m, statistic=stat, expected=False), 5)
    print(f"CLs limit (asymptotic)    : best {t * 1e3:.1f} ms  alpha_90 = {lr.alpha_limit:.4f}")
    t, med, lr = best_of(lambda: pcl_upper_limit(m, statistic=stat), 5)
    print(
        f"PCL limit (asymptotic)    : best {t * 1e3:.1f} ms  alpha_90 = {lr.alpha_limit:.4f} "
        f"(constrained: {lr.details['power_constrained']})"
    )
    t, med, lr = best_of(lambda: fc_interval(m, statistic=stat, n_toys=500, seed=1, expected=False), 1)
    print(f"FC interval (500 toys/pt) : {t:.2f} s  [{lr.alpha_lower:.4f}, {lr.alpha_limit:.4f}]")
    t0 = time.perf_counter()
    e = expected_limits(m, "bayesian", n_toys=1000, seed=2020, statistic=stat, progress=False)
    print(f"1000-toy expected Bayesian: {time.perf_counter() - t0:.2f} s  {e}")
    t0 = time.perf_counter()
    e = expected_limits(m, "plr", n_toys=1000, seed=2020, statistic=stat, progress=False)
    print(f"1000-toy expected PLR     : {time.perf_counter() - t0:.2f} s  {e}")
    t0 = time.perf_counter()
    e = expected_limits(m, "cls", n_toys=1000, seed=2020, statistic=stat, progress=False)
    print(f"1000-toy expected CLs     : {time.perf_counter() - t0:.2f} s  {e}")
