"""``exonu config-schema``: print the JSON Schema of a detector config (``docs/configuration.md`` explains it)."""

from __future__ import annotations

import argparse
import json


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config-schema", help="print the JSON Schema of detector configs (TOML)")
    p.add_argument("--indent", type=int, default=1, help="JSON indentation (default 1)")
    p.set_defaults(func=cmd_config_schema)


def cmd_config_schema(args: argparse.Namespace) -> int:
    from ..config import json_schema

    print(json.dumps(json_schema(), indent=max(args.indent, 0), ensure_ascii=False, allow_nan=False))
    return 0
