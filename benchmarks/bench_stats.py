"""Timing of the exonu statistics layer.

Default: a 99-bin, 12-component, 10-bkg-sys, 3-sig-sys random model; both fit engines are timed
(``fast``: profiled minimum + exact Hessian; ``minuit``: MIGRAD + HESSE), then every limit method.

``--detectors``: one fit (``fit``: best fit and χ²_min; ``fit_errors``: the same fit and its error block,
computed on the first read of an error), and the 90 % CL limits with their expected limit (CL_s asymptotic with its
band, the Bayesian limit, PLR) of the magnetic-moment search on every packaged detector, with the
detector's own statistic; medians of ``--repeat`` calls after one warm-up call, printed as JSON.

``--against SRC``: the ``--detectors`` timing of another exonu source tree (e.g. an export of an older
commit: ``git archive 86e079b src | tar -x -C /tmp/base``, then ``--against /tmp/base/src``) and of this
one, interleaved A B A B … in fresh processes (``--rounds``), one BLAS thread; prints the median of each
figure over the rounds and the ratio A/B (a speed-up when > 1), and the limits of both side by side.
Each figure is timed as wall time (``_ms``) and as CPU time of the process (``_cpu_ms``): on a loaded
machine the wall time of a few-millisecond call is bimodal (the scheduler), its CPU time is not.

``--reproduce EXONU``: ``exonu reproduce --toys 0`` of another install (the path of its ``exonu``
script, e.g. a venv of an older commit) against this source tree's, interleaved A B A B in fresh
processes (``--rounds``), one BLAS thread; prints wall and CPU seconds of each and the ratios.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from exonu.stats import (  # noqa: E402
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

DETECTORS = ("xmass-i", "xenon1t-sr1", "xenonnt-sr0")


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


def random_model_report() -> None:
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


def detector_timings(repeat: int) -> dict[str, dict[str, float]]:
    """{detector: {figure: median seconds or limit}} for the magnetic-moment search of each detector."""
    from exonu.config import load_detector
    from exonu.searches import PAPER_SEARCHES, build_binned_model

    spec = next(s for s in PAPER_SEARCHES if s.key == "magnetic_moment_mub")
    out: dict[str, dict[str, float]] = {}
    for name in DETECTORS:
        setup = load_detector(name)
        model, _ = build_binned_model(setup, spec)
        stat = setup.statistic
        calls = {
            "fit": lambda m=model, s=stat: fit(m, statistic=s),
            # the fit and its error block (computed on first access since the fast-fit work: read one error)
            "fit_errors": lambda m=model, s=stat: fit(m, statistic=s).errors,
            "cls_obs_exp": lambda m=model, s=stat: cls_upper_limit(m, statistic=s),
            "bayesian_obs_exp": lambda m=model, s=stat: bayesian_chi2_limit(m, statistic=s),
            "plr_obs_exp": lambda m=model, s=stat: plr_upper_limit(m, statistic=s),
        }
        row: dict[str, float] = {}
        for key, call in calls.items():
            result = call()  # warm-up (caches, imports)
            times, cpu = [], []
            for _ in range(repeat):
                t0, c0 = time.perf_counter(), time.process_time()
                result = call()
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
            row[f"{key}_ms"] = 1e3 * float(np.median(times))
            row[f"{key}_cpu_ms"] = 1e3 * float(np.median(cpu))
            if key == "fit":
                row["fit_alpha"], row["fit_chi2"] = result.alpha, result.chi2
            elif key == "fit_errors":
                row["fit_alpha_error"] = float(result[0])
            else:
                row[f"{key}_limit"], row[f"{key}_expected"] = result.alpha_limit, result.expected
        row["statistic"] = stat  # type: ignore[assignment]
        out[name] = row
    return out


def against(src: str, rounds: int, repeat: int) -> None:
    here = str(Path(__file__).resolve().parents[1] / "src")
    runs: dict[str, list[dict[str, dict[str, float]]]] = {"A": [], "B": []}
    for r in range(rounds):
        for label, path in (("A", src), ("B", here)):
            env = {**os.environ, "PYTHONPATH": path}
            cmd = [sys.executable, __file__, "--detectors", "--repeat", str(repeat)]
            out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
            runs[label].append(json.loads(out.strip().splitlines()[-1]))
            print(f"round {r + 1}/{rounds} {label} done", file=sys.stderr)
    print(f"A = {src}\nB = {here}\nmedians over {rounds} interleaved rounds ({repeat} calls each), one BLAS thread")
    for det in DETECTORS:
        print(f"--- {det} ({runs['B'][0][det]['statistic']})")
        for key in runs["A"][0][det]:
            if key == "statistic":
                continue
            a = float(np.median([run[det][key] for run in runs["A"]]))
            b = float(np.median([run[det][key] for run in runs["B"]]))
            if key.endswith("_ms"):
                print(f"  {key[:-3]:<18} A {a:9.2f} ms   B {b:9.2f} ms   A/B {a / b:6.2f}")
            else:
                print(f"  {key:<26} A {a:.9g}   B {b:.9g}   B/A - 1 = {b / a - 1 if a else float('nan'):.2e}")


def reproduce_against(exonu_a: str, rounds: int) -> None:
    """``exonu reproduce --toys 0`` of the install ``exonu_a`` (A) against this source tree (B), interleaved."""
    here = str(Path(__file__).resolve().parents[1] / "src")
    cli_b = [sys.executable, "-c", "import sys; from exonu.cli import main; sys.exit(main())"]
    wall: dict[str, list[float]] = {"A": [], "B": []}
    cpu: dict[str, list[float]] = {"A": [], "B": []}
    work = Path(tempfile.mkdtemp(prefix="bench-reproduce-"))
    try:
        for r in range(rounds):
            for label, cmd, env in (
                ("A", [exonu_a], {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}),
                ("B", cli_b, {**os.environ, "PYTHONPATH": here}),
            ):
                out = work / f"{label}{r}"
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                t0 = time.perf_counter()
                subprocess.run([*cmd, "reproduce", "--toys", "0", "--out", str(out)], env=env, check=True,
                               capture_output=True)  # fmt: skip
                wall[label].append(time.perf_counter() - t0)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu[label].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
                print(f"round {r + 1}/{rounds} {label}: {wall[label][-1]:.1f} s", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"A = {exonu_a}\nB = {here}\nexonu reproduce --toys 0, medians over {rounds} interleaved rounds")
    for name, d in (("wall", wall), ("CPU", cpu)):
        a, b = float(np.median(d["A"])), float(np.median(d["B"]))
        print(f"  {name:<5} A {a:7.2f} s   B {b:7.2f} s   A/B {a / b:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detectors", action="store_true", help="time the packaged detectors, print JSON")
    parser.add_argument("--against", metavar="SRC", help="interleaved A/B against another exonu source tree")
    parser.add_argument("--reproduce", metavar="EXONU", help="time `exonu reproduce --toys 0` against this install")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.reproduce:
        reproduce_against(args.reproduce, args.rounds)
    elif args.against:
        against(args.against, args.rounds, args.repeat)
    elif args.detectors:
        print(json.dumps(detector_timings(args.repeat)))
    else:
        random_model_report()


if __name__ == "__main__":
    main()
