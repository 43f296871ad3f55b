"""``exonu inspect DETECTOR``: what a detector config gives a fit, before any fit (like ``pyhf inspect``).

Windows and bins, observed counts and what was left out, each background component's expected counts
before the fit with its prior, every nuisance parameter, each signal's counts at its reference value,
the extrapolated tables, and the checks that need no fit (:func:`exonu.searches.overview.inspect_detector`).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from .options import print_json

if TYPE_CHECKING:
    from . import OneLineArgumentParser


def add_parser(sub: argparse._SubParsersAction[OneLineArgumentParser]) -> None:
    p = sub.add_parser("inspect", help="show a detector's windows, counts, backgrounds, parameters and signals")
    p.add_argument("detector", metavar="DETECTOR", help="packaged detector name (see `exonu detectors`) or TOML path")
    p.add_argument("--window", help="one analysis window (default: every window)")
    p.add_argument("--json", action="store_true", help="print JSON (default: a readable summary)")
    p.set_defaults(func=cmd_inspect)


def _prior(sigma: float | None, status: str) -> str:
    return status if sigma is None else f"1 ± {sigma:.3g}"


def summary(doc: dict[str, Any]) -> str:
    """The readable form of :func:`~exonu.searches.overview.inspect_detector`'s document."""
    lines = [
        f"{doc['detector']}: {doc['description']}",
        f"  exposure {doc['exposure_kg_day']:.6g} kg·day; statistic {doc['statistic']}"
        + ("; RECONSTRUCTION" if doc["is_reconstruction"] else ""),
    ]
    lines += [f"  extrapolated: {e}" for e in doc["extrapolations"]]
    for w in doc["windows"]:
        observed = "no data (Asimov)" if w["observed_total"] is None else f"{w['observed_total']:.6g} observed"
        lines.append(
            f"window {w['name']}: {w['low_kev']:g}–{w['high_kev']:g} keV, {w['n_bins']} bins; {observed}, "
            f"{w['background_total']:.6g} expected from the background before the fit"
        )
        lines.append(f"  data: {w['data']}")
        for key, value in w["dropped"].items():
            lines.append(f"  left out ({key}): {value}")
        lines.append(f"  {'component':<24} {'expected':>10}  prior")
        for c in w["components"]:
            status = next(p["status"] for p in w["parameters"] if p["name"] == f"p_{c['name']}")
            free = f" (free in {', '.join(c['free_in_searches'])})" if c["free_in_searches"] else ""
            lines.append(f"  {c['name']:<24} {c['expected_counts']:>10.4g}  {_prior(c['prior_sigma'], status)}{free}")
        if w["shape_systematics"]:
            lines.append(f"  background shape systematics (0 ± 1): {', '.join(w['shape_systematics'])}")
        for s in w.get("signals", []):
            if s["counts"] is None:
                lines.append(f"  signal {s['signal']}: {s['note']}")
            else:
                lines.append(
                    f"  signal {s['signal']}: {s['counts']:.4g} events at {s['parameter']} = "
                    f"{s['reference_value']:.3g} {s['unit']}"
                )
    lines += [f"warning: [{w['code']}] {w['message']}" for w in doc["warnings"]]
    return "\n".join(lines)


def cmd_inspect(args: argparse.Namespace) -> int:
    from ..config import load_detector
    from ..searches.overview import inspect_detector

    doc = inspect_detector(load_detector(args.detector), args.window)
    for w in doc["warnings"]:
        print(f"exonu: warning: [{w['code']}] {w['message']}", file=sys.stderr)
    if args.json:
        print_json(doc)
    else:
        print(summary(doc))
    return 0
