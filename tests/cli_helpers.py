"""Helpers the CLI tests share (not a test module: pytest collects only ``test_*.py``)."""

import json

from exonu.cli import main


def fit_json(capsys, *argv: str) -> dict:
    """``exonu fit ARGV --toys 0 --json`` in-process (Asimov medians only): it must exit 0; its JSON document."""
    code = main(["fit", *argv, "--toys", "0", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)
