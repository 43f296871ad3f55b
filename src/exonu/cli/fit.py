"""`exonu fit`: one search on any configured detector (fit, limits, significance)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..stats import METHODS, MIN_BAND_TOYS

#: what each --method computes, with its threshold at the default 90 % CL (shown in --help)
METHOD_HELP = {
    "bayesian": "the paper's Bayesian χ² density: flat prior in α ≥ 0, limit at the posterior's cl quantile",
    "plr": "asymptotic one-sided profile likelihood ratio q̃: Δχ² = Φ⁻¹(cl)² (1.642 at 90 %%)",
    "neyman": "q̃ with critical values from toys at each α of a grid (Neyman construction)",
    "cls": "asymptotic CLs with q̃ (arXiv:1007.1727): excluded where CLs ≤ 1 − cl (0.1 at 90 %%), pyhf's default",
    "pcl": "power-constrained PLR limit (arXiv:1105.3166): Δχ² = 1.642 at 90 %%, never below the −1σ expected limit",
    "fc": "Feldman–Cousins unified interval from toys (t̃ ordering); the limit is its upper end",
}


def add_parser(sub):
    p = sub.add_parser("fit", help="one search on any configured detector: fit, limits, significance (JSON)")
    p.add_argument("--detector", required=True, help="packaged detector name (see `exonu detectors`) or TOML path")
    p.add_argument("--signal", required=True, choices=["millicharge", "magnetic-moment", "dark-photon"])
    p.add_argument("--mass-mev", type=float, help="dark-photon mass in MeV (--signal dark-photon)")
    p.add_argument("--flavour", default="all", choices=["all", "e", "mu", "tau"], help="flavour(s) carrying the millicharge")
    p.add_argument("--window", help="analysis window of the detector (default: the paper's, or the only one)")
    p.add_argument("--data", type=Path, help="binned data file; default the detector's data, else Asimov background-only")
    p.add_argument("--interval", choices=["upper", "two-sided"], default="upper",
                   help="also compute the two-sided profile-likelihood interval, Δχ² = χ²₁(cl) (2.706 at 90 %%)")
    p.add_argument("--method", choices=list(METHODS), default="bayesian",
                   help="upper-limit method (default bayesian): "
                        + "; ".join(f"{k}: {v}" for k, v in METHOD_HELP.items()))
    p.add_argument("--cl", type=float, default=0.9, help="confidence (credibility) level in (0.5, 1); default 0.9")
    p.add_argument("--statistic", choices=["chi2", "poisson"], default="chi2",
                   help="the paper's χ² of Eqs. (4)–(7) (default) or a Poisson likelihood")
    p.add_argument("--toys", type=int, default=200,
                   help=f"toys for the expected ±1σ/±2σ band (default 200; 0: Asimov median only; "
                        f"1 is refused, fewer than {MIN_BAND_TOYS} flagged)")
    p.add_argument("--belt-toys", type=int, default=500, help="toys per grid point of the neyman/fc belt (default 500)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print JSON (default: a short summary)")
    p.set_defaults(func=cmd_fit)


def fit_output(setup, spec, window: str, data_source: str, args, r) -> dict:
    """The JSON record of one `exonu fit` run: results and how each limit was made."""
    prov = r.provenance
    exp = r.expected_detail
    return {
        "detector": setup.name, "is_reconstruction": bool(setup.is_reconstruction), "config_sha256": setup.config_hash,
        "window": window, "data": data_source, "signal": args.signal, "flavours": list(spec.flavours),
        "mass_mev": args.mass_mev, "units": spec.unit,
        "method": args.method, "test_statistic": prov["test_statistic"], "threshold": prov["threshold"],
        "cl": r.cl, "sided": prov["sided"], "statistic": args.statistic, "calculator": prov["calculator"],
        "n_toys": prov["n_toys"],
        "best_fit": r.best_fit, "chi2": r.chi2_min, "ndof": r.ndof, "chi2_background_only": r.chi2_background_only,
        "significance_sigma": r.significance_sigma, "upper_limit": r.observed,
        "interval": list(r.interval) if r.interval else None,
        "expected_upper_limit": r.expected, "expected_asimov_median": r.expected,
        "expected_toy_median": r.expected_toy_median,
        "expected_band": list(r.expected_band) if r.expected_band else None,
        "expected_n_toys": exp.n_toys if exp is not None else 0,
        "expected_warnings": r.expected_warnings,
        "seed": r.seed,
        "fit_valid": bool(r.fit_result.valid), "fit_message": r.fit_result.message,
    }


def cmd_fit(args) -> int:
    from ..io import load_detector
    from ..searches import SearchSpec, choose_window, run_search

    setup = load_detector(args.detector)
    flavours = ("e", "mu", "tau") if args.flavour == "all" else (args.flavour,)
    spec = SearchSpec(f"{args.signal}", args.signal, window=args.window, flavours=flavours, mass_mev=args.mass_mev)
    window = choose_window(setup, spec)
    data, data_source = None, ("the detector's data set" if setup.window(window).data_counts is not None
                               else "Asimov background-only data (SIMULATED)")
    if args.data is not None:
        from ..io import read_dataset

        w = setup.window(window)
        ds = read_dataset(args.data, w.binning)
        data, data_source = ds.counts, f"file {args.data}" + (" (SIMULATED)" if ds.metadata.get("simulated") else "")
    r = run_search(setup, spec, data, method=args.method, statistic=args.statistic, n_toys=args.toys, seed=args.seed,
                   interval=args.interval == "two-sided", cl=args.cl, neyman_toys=args.belt_toys)
    out = fit_output(setup, spec, window, data_source, args, r)
    for w in r.expected_warnings:
        print(f"exonu: warning: {w}", file=sys.stderr)
    if args.json:
        from ..report import _clean

        print(json.dumps(_clean(out), indent=2, ensure_ascii=False))
    else:
        u = spec.unit
        print(f"{setup.name} / {window} / {args.signal}: best fit {r.best_fit:.3g} {u}, chi2/ndof = {r.chi2_min:.2f}/{r.ndof}, "
              f"{r.significance_sigma:.2f} sigma over background-only")
        print(f"  {r.cl:.0%} CL upper limit ({args.method}; {out['test_statistic']}; threshold {out['threshold']}; "
              f"{out['sided']}-sided): {r.observed:.3g} {u}")
        toy = f", toy median {r.expected_toy_median:.3g} {u}" if r.expected_toy_median is not None else ""
        print(f"  expected: Asimov median {r.expected:.3g} {u}{toy}")
        if r.interval:
            print(f"  {r.cl:.0%} CL interval: [{r.interval[0]:.3g}, {r.interval[1]:.3g}] {u}")
        print(f"  data: {data_source}")
    return 0
