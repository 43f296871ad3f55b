"""Options shared by several commands, resolved against the detectors they name."""

from __future__ import annotations

import argparse

STATISTIC_HELP = (
    "fit statistic: the paper's χ² of Eqs. (4)–(7) or the Poisson likelihood (default: the "
    "detector config's `statistic`, chi2 for the XMASS-I reconstruction, poisson for XENON1T/XENONnT)"
)


def add_statistic_argument(p: argparse.ArgumentParser) -> None:
    """``--statistic {chi2,poisson}``, defaulting to the detector's own (see :func:`resolve_statistic`)."""
    p.add_argument("--statistic", choices=["chi2", "poisson"], default=None, help=STATISTIC_HELP)


def resolve_statistic(args: argparse.Namespace, setups) -> str | dict[str, str]:
    """``--statistic`` if given, else the statistic each detector config names.

    Sets ``args.statistic`` and returns it: one name, or for a joint fit of detectors whose configs
    differ a mapping detector name → statistic (each detector's bins then keep their own statistic).
    """
    if args.statistic is None:
        chosen = {s.name: s.statistic for s in setups}
        args.statistic = next(iter(chosen.values())) if len(set(chosen.values())) == 1 else chosen
    return args.statistic
