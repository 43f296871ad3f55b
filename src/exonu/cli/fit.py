"""`exonu fit`: one search on one or several detectors (fit, limits, significance).

With one ``--detector`` the search is :func:`exonu.searches.run_search`; with several it is
:func:`exonu.searches.run_joint_search` (one signal parameter, shared solar-flux normalisations) and the
output shows the combined result beside each detector's own.

Which options apply to which signal is decided by :func:`exonu.searches.search_spec` (its
:data:`~exonu.searches.SIGNALS` table): ``--mass-mev`` for the mediators, ``--charges`` for the light
vector, ``--chirality`` for NSI, ``--sign`` for NSI and the charge radius, ``--flavour`` for the millicharge,
the magnetic moment, NSI and the charge radius. Any other combination is a one-line error.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..stats import MIN_BAND_TOYS
from .options import (
    add_belt_toys_argument,
    add_limit_arguments,
    add_statistic_argument,
    display_text,
    display_unit,
    print_json,
    resolve_belt_toys,
    resolve_statistic,
)
from .signals import add_signal_arguments, spec_from_args

if TYPE_CHECKING:
    from ..detector import DetectorSetup
    from ..searches import JointResult, SearchResult, SearchSpec
    from . import OneLineArgumentParser


def add_parser(sub: argparse._SubParsersAction[OneLineArgumentParser]) -> None:
    p = sub.add_parser("fit", help="one search on one or several detectors: fit, limits, significance (JSON)")
    p.add_argument(
        "--detector",
        required=True,
        action="append",
        help="packaged detector name (see `exonu detectors`) or TOML path; repeat for a joint fit of "
        "several detectors (shared solar-flux normalisations)",
    )
    add_signal_arguments(p)
    p.add_argument(
        "--window", help="analysis window of the detector (default: the paper's, or the only one; one detector only)"
    )
    p.add_argument(
        "--data",
        action="append",
        metavar="[DETECTOR=]PATH",
        help="binned data file; default the detector's data, else Asimov background-only. With several "
        "detectors write DETECTOR=PATH (repeatable, once per detector)",
    )
    p.add_argument(
        "--interval",
        choices=["upper", "two-sided"],
        default="upper",
        help="also compute the two-sided profile-likelihood interval, Δχ² = χ²₁(cl) (2.706 at 90 %%)",
    )
    add_limit_arguments(p)
    add_statistic_argument(p)
    p.add_argument(
        "--toys",
        type=int,
        default=200,
        help=f"toys for the expected ±1σ/±2σ band (default 200; 0: Asimov median only; "
        f"1 is refused, fewer than {MIN_BAND_TOYS} flagged)",
    )
    add_belt_toys_argument(p)
    p.add_argument("--seed", type=int, default=0, help="seed of the toys (integer ≥ 0; default 0)")
    p.add_argument(
        "--report",
        type=Path,
        metavar="PATH",
        help="also write a self-contained report.html of the fit to PATH (one detector only)",
    )
    p.add_argument("--json", action="store_true", help="print JSON (default: a short summary)")
    p.set_defaults(func=cmd_fit)


@dataclass(frozen=True)
class DataChoice:
    """Which data a detector is fitted to: counts (None: the detector's own) and a description."""

    counts: Any
    source: str


def assign_data_files(data_args: list[str] | None, detector_args: list[str], names: list[str]) -> dict[str, Path]:
    """Map each ``--data`` to its detector: ``NAME=PATH`` (NAME a detector name or its ``--detector`` word).

    A bare PATH is accepted with one detector only; a detector given two files is refused.
    """
    aliases = {**{a: n for a, n in zip(detector_args, names, strict=False)}, **{n: n for n in names}}
    files: dict[str, Path] = {}
    for item in data_args or ():
        head, sep, tail = item.partition("=")
        if sep and head in aliases:
            name, path = aliases[head], Path(tail)
        elif len(names) == 1:
            name, path = names[0], Path(item)
        else:
            raise InputError(
                f"--data {item}: with several detectors write --data DETECTOR=PATH, DETECTOR one of {names}"
            )
        if name in files:
            raise InputError(f"--data gives detector {name!r} two files ({files[name]}, {path}); give one per detector")
        files[name] = path
    return files


def detector_data(setup: DetectorSetup, window: str, path: Path | None) -> DataChoice:
    """The data of one detector's window: the file ``path``, else its own data set, else Asimov."""
    if path is None:
        own = setup.window(window).data_counts is not None
        return DataChoice(None, "the detector's data set" if own else "Asimov background-only data (SIMULATED)")
    from ..config import read_dataset

    ds = read_dataset(path, setup.window(window).binning)
    return DataChoice(ds.counts, f"file {path}" + (" (SIMULATED)" if ds.metadata.get("simulated") else ""))


def published_record(setup: DetectorSetup, spec: SearchSpec) -> dict[str, Any] | None:
    """The detector config's published value for ``spec`` (value, unit, cl, method, source), or None."""
    from ..searches import published_value

    pub = published_value(setup, spec)
    if pub is None:
        return None
    return {"value": pub.value, "unit": pub.unit, "cl": pub.cl, "method": pub.method, "source": pub.source}


def model_parameters(spec: SearchSpec) -> dict[str, Any]:
    """The options that define the signal, as recorded in every output."""
    return {
        "signal": spec.model,
        "parameter": spec.parameter,
        "flavours": list(spec.flavours),
        "mass_mev": spec.mass_mev,
        "charges": spec.charges,
        "chirality": spec.chirality,
        "sign": "positive" if spec.sign > 0 else "negative",
        "units": spec.unit,
    }


def fit_output(
    setup: DetectorSetup, spec: SearchSpec, window: str, data_source: str, args: argparse.Namespace, r: SearchResult
) -> dict[str, Any]:
    """The JSON record of one single-detector `exonu fit` run: results and how each limit was made."""
    prov = r.provenance
    exp = r.expected_detail
    return {
        "detector": setup.name,
        "is_reconstruction": bool(setup.is_reconstruction),
        "config_sha256": setup.config_hash,
        "window": window,
        "data": data_source,
        **model_parameters(spec),
        "method": args.method,
        "test_statistic": prov["test_statistic"],
        "threshold": prov["threshold"],
        "cl": r.cl,
        "sided": prov["sided"],
        "statistic": args.statistic,
        "calculator": prov["calculator"],
        "n_toys": prov["n_toys"],
        "best_fit": r.best_fit,
        "chi2": r.chi2_min,
        "ndof": r.ndof,
        "chi2_background_only": r.chi2_background_only,
        "significance_sigma": r.significance_sigma,
        "upper_limit": r.observed,
        "interval": list(r.interval) if r.interval else None,
        "expected_upper_limit": r.expected,
        "expected_asimov_median": r.expected,
        "expected_toy_median": r.expected_toy_median,
        "expected_band": list(r.expected_band) if r.expected_band else None,
        "expected_n_toys": exp.n_toys if exp is not None else 0,
        "expected_warnings": r.expected_warnings,
        "published": published_record(setup, spec),
        "seed": r.seed,
        "fit_valid": bool(r.fit_result.valid),
        "fit_message": r.fit_result.message,
    }


def check_toy_options(args: argparse.Namespace) -> None:
    """``--seed`` ≥ 0 and ``--belt-toys`` ≥ 1 (shared by `exonu fit` and `exonu exclusion`)."""
    if args.seed < 0:
        raise InputError(f"--seed must be an integer ≥ 0; got {args.seed}")
    resolve_belt_toys(args)


def check_fit_options(args: argparse.Namespace) -> None:
    """Refuse option values no search can use, before loading anything."""
    check_toy_options(args)
    if len(args.detector) > 1:
        if args.window is not None:
            raise InputError(
                "--window names a window of one detector; a joint fit uses each detector's default "
                "window (drop --window)"
            )
        if args.report is not None:
            raise InputError(
                "--report writes the report of one detector's fit; a joint fit has none yet (drop "
                "--report, or fit one --detector)"
            )
    if args.report is not None:
        from ..fileio import check_output_file

        check_output_file(args.report)  # before the (slow) fit


def threshold_text(threshold: Any) -> str:
    """A limit's threshold for a human summary: ``Δχ² = 1.642`` (rounded), or the method's own wording."""
    if isinstance(threshold, (int, float)) and not isinstance(threshold, bool):
        return f"threshold Δχ² = {threshold:.3f}"
    return f"threshold {threshold}"


def cmd_fit(args: argparse.Namespace) -> int:
    from ..config import load_detector
    from ..searches import choose_window

    check_fit_options(args)
    spec = spec_from_args(args)
    setups = [load_detector(d) for d in args.detector]
    resolve_statistic(args, setups)
    names = [s.name for s in setups]
    for n in names:
        if names.count(n) > 1:
            raise InputError(f"detector {n!r} is given {names.count(n)} times; give each detector once")
    files = assign_data_files(args.data, args.detector, names)
    windows = {s.name: choose_window(s, spec) for s in setups}
    data = {s.name: detector_data(s, windows[s.name], files.get(s.name)) for s in setups}
    if len(setups) > 1:
        return joint_fit(setups, spec, data, args)
    return single_fit(setups[0], spec, windows[names[0]], data[names[0]], args)


def single_fit(setup: DetectorSetup, spec: SearchSpec, window: str, data: DataChoice, args: argparse.Namespace) -> int:
    from ..searches import run_search

    r = run_search(
        setup,
        spec,
        data.counts,
        method=args.method,
        statistic=args.statistic,
        n_toys=args.toys,
        seed=args.seed,
        interval=args.interval == "two-sided",
        cl=args.cl,
        neyman_toys=args.belt_toys,
    )
    out = fit_output(setup, spec, window, data.source, args, r)
    for w in r.expected_warnings:
        print(f"exonu: warning: {w}", file=sys.stderr)
    if args.report is not None:
        from ..output import write_html_report

        write_html_report(r, args.report, setup=setup, data_source=data.source)
    if args.json:
        print_json(out)
    else:
        u = display_unit(spec.unit)
        print(
            display_text(
                f"{setup.name} / {window} / {spec.key}: best fit {r.best_fit:.3g} {u}, "
                f"χ²/ndof = {r.chi2_min:.2f}/{r.ndof}, "
                f"{r.significance_sigma:.2f} σ over background-only"
            )
        )
        print(
            display_text(
                f"  {r.cl:.0%} CL upper limit ({args.method}; {out['test_statistic']}; "
                f"{threshold_text(out['threshold'])}; {out['sided']}-sided): {r.observed:.3g} {u}"
            )
        )
        toy = f", toy median {r.expected_toy_median:.3g} {u}" if r.expected_toy_median is not None else ""
        band = r.expected_band
        one_sigma = f", ±1σ [{band[0]:.3g}, {band[1]:.3g}] {u}" if band else " (no band: --toys 0)"
        print(display_text(f"  expected: Asimov median {r.expected:.3g} {u}{toy}{one_sigma}"))
        if r.interval:
            print(f"  {r.cl:.0%} CL interval: [{r.interval[0]:.3g}, {r.interval[1]:.3g}] {u}")
        if out["published"] is not None:
            pub = out["published"]
            print(
                f"  published: {pub['value']:.3g} {pub['unit']} ({pub['cl']:.0%} CL, {pub['method']}; {pub['source']})"
            )
        print(f"  data: {data.source}")
        if args.report is not None:
            print(f"  wrote {args.report}")
    return 0


def joint_output(result: JointResult, data: dict[str, DataChoice], args: argparse.Namespace) -> dict[str, Any]:
    """The JSON record of a joint fit: :meth:`JointResult.to_dict` plus how it was made and on which data."""
    spec = result.joint.spec
    prov = result.combined.provenance
    return {
        **result.to_dict(),
        **model_parameters(spec),
        "method": args.method,
        "test_statistic": prov.get("test_statistic"),
        "threshold": prov.get("threshold"),
        "sided": prov.get("sided"),
        "n_toys": prov.get("n_toys"),
        "expected_n_toys": args.toys,
        "seed": args.seed,
        "data": {name: choice.source for name, choice in data.items()},
    }


def joint_fit(
    setups: list[DetectorSetup], spec: SearchSpec, data: dict[str, DataChoice], args: argparse.Namespace
) -> int:
    from ..searches import run_joint_search

    datas = {name: choice.counts for name, choice in data.items() if choice.counts is not None}
    result = run_joint_search(
        setups,
        spec,
        datas or None,
        method=args.method,
        statistic=args.statistic,
        n_toys=args.toys,
        seed=args.seed,
        cl=args.cl,
        interval=args.interval == "two-sided",
        neyman_toys=args.belt_toys,
    )
    rows = [("combined", result.combined), *result.detectors.items()]
    for label, r in rows:
        for w in r.expected_warnings:
            print(f"exonu: warning: {label}: {w}", file=sys.stderr)
    if args.json:
        print_json(joint_output(result, data, args))
        return 0
    u = spec.unit
    prov = result.combined.provenance
    print(
        f"joint fit of {', '.join(result.joint.detectors)} / {spec.key}: {result.cl:.0%} CL upper limits "
        f"({args.method}; {prov.get('test_statistic')}; threshold {prov.get('threshold')}; {prov.get('sided')}-sided; "
        f"{result.statistic}; shared: {', '.join(result.joint.shared) or 'nothing'})"
    )
    print(f"  {'':<16} {'observed':>11} {'expected':>11} {'best fit':>11}  unit")
    for label, r in rows:
        print(f"  {label:<16} {r.observed:>11.3g} {r.expected:>11.3g} {r.best_fit:>11.3g}  {u}")
    for name, choice in data.items():
        print(f"  data {name}: {choice.source}")
    return 0
