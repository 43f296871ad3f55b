"""``exonu result-schema``: print the versioned JSON Schema of ``exonu fit --json`` (one or several detectors)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from ..errors import InputError

if TYPE_CHECKING:
    from . import OneLineArgumentParser

#: largest --indent accepted
MAX_INDENT = 8


def add_parser(sub: argparse._SubParsersAction[OneLineArgumentParser]) -> None:
    p = sub.add_parser("result-schema", help="print the JSON Schema of fit results (`exonu fit --json`)")
    p.add_argument("--indent", type=int, default=1, help=f"JSON indentation in spaces, 0–{MAX_INDENT} (default 1)")
    p.set_defaults(func=cmd_result_schema)


def cmd_result_schema(args: argparse.Namespace) -> int:
    from ..output.result_schema import result_schema

    if not 0 <= args.indent <= MAX_INDENT:
        raise InputError(f"--indent must be an integer from 0 to {MAX_INDENT}; got {args.indent}")
    print(json.dumps(result_schema(), indent=args.indent, ensure_ascii=False, allow_nan=False))
    return 0
