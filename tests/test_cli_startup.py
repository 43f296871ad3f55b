"""Start-up of the command line: what building the parser imports, `exonu` alone, the command table.

What is imported is tested, not how long it takes (speed is measured by ``benchmarks/bench_startup.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from exonu.cli import COMMANDS, build_parser, main
from exonu.cli.data import packaged_detectors
from exonu.config import list_detectors

#: Modules a light start must not import (each costs 50–450 ms: NumPy, SciPy, matplotlib, xraydb's SQLAlchemy,
#: pydantic) and the heavy layers of exonu itself
HEAVY = ("numpy", "scipy", "matplotlib", "xraydb", "pydantic", "exonu.stats", "exonu.searches", "exonu.config")


def heavy_modules_after(code: str) -> list[str]:
    """The HEAVY modules imported by running ``code`` in a fresh interpreter."""
    probe = f"import sys, json\n{code}\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_building_the_parser_imports_nothing_heavy():
    assert heavy_modules_after("import exonu.cli\nexonu.cli.build_parser()") == []


def test_import_exonu_is_light():
    assert heavy_modules_after("import exonu") == []


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_builds_its_parser_without_the_library(command):
    """`exonu fit --help` and the like: the signal, charge-set and method names come from
    exonu.cli.vocabulary (checked against the library in test_cli_vocabulary.py)."""
    assert heavy_modules_after(f"import exonu.cli\nexonu.cli.build_parser({command!r})") == []


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_of_the_table_has_its_module_parser(command):
    """Each line of COMMANDS points at a module function that registers that very command."""
    parser = build_parser(command)
    sub = next(a for a in parser._actions if a.dest == "command")
    full = sub.choices[command]
    assert full.add_help  # the module's parser, not the light stand-in
    assert full.description  # `exonu COMMAND --help` says what the command does


def test_exonu_alone_lists_the_commands_and_exits_zero(capsys):
    assert main([]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    for name, entry in COMMANDS.items():
        assert name in out
        assert entry.summary.split()[0] in out


def test_unknown_top_level_option_is_one_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--bogus"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unrecognized arguments: --bogus" in err


def test_detectors_lists_what_the_config_layer_lists(capsys):
    assert packaged_detectors() == list_detectors()
    assert main(["detectors"]) == 0
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines()] == [name for name, _ in list_detectors()]


def test_the_statistics_layer_leaves_the_heavy_scipy_subpackages_to_the_methods_that_use_them():
    """scipy.optimize, .interpolate and .integrate (~0.3 s together) are imported by the limit methods
    that need them (Bayesian, PLR, FC), not by ``import exonu.searches`` — a fit with a CLs limit or a
    command that only builds models does not pay for them."""
    probe = (
        "import sys, json\nimport exonu.searches, exonu.output.fit_document\n"
        "print(json.dumps([m for m in ('scipy.optimize', 'scipy.interpolate', 'scipy.integrate') if m in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
