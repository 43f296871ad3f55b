"""Command-line interface: parse, load, call one library function, write output.

One module per command family; each registers its sub-parser. Every :class:`~exonu.errors.ExonuError`
becomes a one-line message on stderr and exit status 2, with no traceback.
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..errors import ExonuError
from . import data, fit, plot, reproduce, scan, spectrum, toys

#: Functions that add one sub-command each, in the order `exonu --help` lists them
SUBCOMMANDS = (
    spectrum.add_parser,
    plot.add_parser,
    reproduce.add_parser,
    fit.add_parser,
    data.add_simulate_parser,
    data.add_detectors_parser,
    data.add_export_parser,
    toys.add_parser,
    scan.add_parser,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="exonu", description="Exotic neutrino-electron interactions with solar neutrinos in liquid xenon.")
    parser.add_argument("--version", action="version", version=f"exonu {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ExonuError as exc:
        print(f"exonu: error: {exc}", file=sys.stderr)
        return 2
