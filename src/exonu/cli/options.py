"""Options shared by several commands, resolved against the detectors they name."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..detector import DetectorSetup

#: what each --method computes, with its threshold at the default 90 % CL (shown in --help)
METHOD_HELP = {
    "bayesian": "the paper's Bayesian χ² density: flat prior in α ≥ 0, limit at the posterior's cl quantile",
    "plr": "asymptotic one-sided profile likelihood ratio q̃: Δχ² = Φ⁻¹(cl)² (1.642 at 90 %%)",
    "neyman": "q̃ with critical values from toys at each α of a grid (Neyman construction)",
    "cls": "asymptotic CLs with q̃ (arXiv:1007.1727): excluded where CLs ≤ 1 − cl (0.1 at 90 %%), pyhf's default",
    "pcl": "power-constrained PLR limit (arXiv:1105.3166): Δχ² = 1.642 at 90 %%, never below the −1σ expected limit",
    "fc": "Feldman–Cousins unified interval from toys (t̃ ordering); the limit is its upper end",
}

STATISTIC_HELP = (
    "fit statistic: the paper's χ² of Eqs. (4)–(7) or the Poisson likelihood (default: the "
    "detector config's `statistic`, chi2 for the XMASS-I reconstruction, poisson for XENON1T/XENONnT)"
)


def add_limit_arguments(p: argparse.ArgumentParser) -> None:
    """``--method`` (every limit method of :mod:`exonu.stats`, thresholds in the help) and ``--cl``."""
    from ..stats import METHODS

    p.add_argument(
        "--method",
        choices=list(METHODS),
        default="bayesian",
        help="upper-limit method (default bayesian): " + "; ".join(f"{k}: {v}" for k, v in METHOD_HELP.items()),
    )
    p.add_argument("--cl", type=float, default=0.9, help="confidence (credibility) level in (0.5, 1); default 0.9")


def add_statistic_argument(p: argparse.ArgumentParser) -> None:
    """``--statistic {chi2,poisson}``, defaulting to the detector's own (see :func:`resolve_statistic`)."""
    p.add_argument("--statistic", choices=["chi2", "poisson"], default=None, help=STATISTIC_HELP)


def resolve_statistic(args: argparse.Namespace, setups: Iterable[DetectorSetup]) -> str | dict[str, str]:
    """``--statistic`` if given, else the statistic each detector config names.

    Sets ``args.statistic`` and returns it: one name, or for a joint fit of detectors whose configs
    differ a mapping detector name → statistic (each detector's bins then keep their own statistic).
    """
    if args.statistic is None:
        chosen = {s.name: s.statistic for s in setups}
        args.statistic = next(iter(chosen.values())) if len(set(chosen.values())) == 1 else chosen
    return args.statistic


def print_json(document: dict[str, Any]) -> None:
    """A command's result document on standard output, as JSON (NumPy values made plain)."""
    from ..output import to_jsonable

    print(json.dumps(to_jsonable(document), indent=2, ensure_ascii=False))
