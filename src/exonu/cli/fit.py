"""`exonu fit`: one search on any configured detector (fit, limits, significance)."""

from __future__ import annotations

import json
from pathlib import Path


def add_parser(sub):
    p = sub.add_parser("fit", help="one search on any configured detector: fit, limits, significance (JSON)")
    p.add_argument("--detector", required=True, help="packaged detector name (see `exonu detectors`) or TOML path")
    p.add_argument("--signal", required=True, choices=["millicharge", "magnetic-moment", "dark-photon"])
    p.add_argument("--mass-mev", type=float, help="dark-photon mass in MeV (--signal dark-photon)")
    p.add_argument("--flavour", default="all", choices=["all", "e", "mu", "tau"], help="flavour(s) carrying the millicharge")
    p.add_argument("--window", help="analysis window of the detector (default: the paper's, or the only one)")
    p.add_argument("--data", type=Path, help="binned data file; default the detector's data, else Asimov background-only")
    p.add_argument("--interval", choices=["upper", "two-sided"], default="upper",
                   help="also compute the two-sided 90 %% profile-likelihood interval (two-sided)")
    p.add_argument("--method", choices=["bayesian", "plr", "neyman"], default="bayesian",
                   help="upper-limit method: the paper's Bayesian χ² density (default), the asymptotic "
                        "profile-likelihood ratio, or its Neyman construction from toys")
    p.add_argument("--statistic", choices=["chi2", "poisson"], default="chi2",
                   help="the paper's χ² of Eqs. (4)–(7) (default) or a Poisson likelihood")
    p.add_argument("--toys", type=int, default=200, help="toys for the expected ±1σ band (default 200; 0: Asimov only)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print JSON (default: a short summary)")
    p.set_defaults(func=cmd_fit)


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
                   interval=args.interval == "two-sided")
    out = {
        "detector": setup.name, "is_reconstruction": bool(setup.is_reconstruction), "config_sha256": setup.config_hash,
        "window": window, "data": data_source, "signal": args.signal, "flavours": list(flavours),
        "mass_mev": args.mass_mev, "units": spec.unit, "method": args.method, "statistic": args.statistic, "cl": 0.9,
        "best_fit": r.best_fit, "chi2": r.chi2_min, "ndof": r.ndof, "chi2_background_only": r.chi2_background_only,
        "significance_sigma": r.significance_sigma, "upper_limit": r.observed,
        "interval": list(r.interval) if r.interval else None, "expected_upper_limit": r.expected,
        "expected_band": list(r.expected_band) if r.expected_band else None, "seed": args.seed if args.toys else None,
        "fit_valid": bool(r.fit_result.valid), "fit_message": r.fit_result.message,
    }
    if args.json:
        from ..report import _clean

        print(json.dumps(_clean(out), indent=2, ensure_ascii=False))
    else:
        u = spec.unit
        print(f"{setup.name} / {window} / {args.signal}: best fit {r.best_fit:.3g} {u}, chi2/ndof = {r.chi2_min:.2f}/{r.ndof}, "
              f"{r.significance_sigma:.2f} sigma over background-only")
        print(f"  90 % CL upper limit ({args.method}): {r.observed:.3g} {u}; expected {r.expected:.3g} {u}")
        if r.interval:
            print(f"  90 % CL interval (profile likelihood): [{r.interval[0]:.3g}, {r.interval[1]:.3g}] {u}")
        print(f"  data: {data_source}")
    return 0
