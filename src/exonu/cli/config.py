"""``exonu config-schema``: print the JSON Schema of a detector config (``docs/configuration.md`` explains it)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from ..errors import InputError

if TYPE_CHECKING:
    from . import OneLineArgumentParser

#: Widest indentation accepted: enough for any reader, and a mistyped 10⁸ would need gigabytes of spaces
MAX_INDENT = 16


def add_parser(sub: argparse._SubParsersAction[OneLineArgumentParser]) -> None:
    p = sub.add_parser("config-schema")
    p.add_argument("--indent", type=int, default=1, help=f"JSON indentation in spaces, 0–{MAX_INDENT} (default 1)")
    p.set_defaults(func=cmd_config_schema)


def cmd_config_schema(args: argparse.Namespace) -> int:
    from ..config import json_schema

    if not 0 <= args.indent <= MAX_INDENT:
        raise InputError(f"--indent must be an integer from 0 to {MAX_INDENT}; got {args.indent}")
    print(json.dumps(json_schema(), indent=args.indent, ensure_ascii=False, allow_nan=False))
    return 0
