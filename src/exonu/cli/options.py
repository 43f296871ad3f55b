"""Options shared by several commands, resolved against the detectors they name."""

from __future__ import annotations

import argparse

from ..errors import InputError

STATISTIC_HELP = ("fit statistic: the paper's χ² of Eqs. (4)–(7) or the Poisson likelihood (default: the "
                  "detector config's `statistic`, chi2 for the XMASS-I reconstruction, poisson for XENON1T/XENONnT)")


def add_statistic_argument(p: argparse.ArgumentParser) -> None:
    """``--statistic {chi2,poisson}``, defaulting to the detector's own (see :func:`resolve_statistic`)."""
    p.add_argument("--statistic", choices=["chi2", "poisson"], default=None, help=STATISTIC_HELP)


def resolve_statistic(args: argparse.Namespace, setups) -> str:
    """``--statistic`` if given, else the statistic the detector configs name (one for a joint fit).

    Sets ``args.statistic`` and returns it.

    Raises
    ------
    InputError
        Several detectors whose configs name different statistics, and no ``--statistic``.
    """
    if args.statistic is None:
        chosen = {s.name: s.statistic for s in setups}
        if len(set(chosen.values())) > 1:
            raise InputError("the detectors' configs name different statistics ("
                             + ", ".join(f"{k}: {v}" for k, v in chosen.items()) + "); choose one with --statistic")
        args.statistic = next(iter(chosen.values()))
    return args.statistic
