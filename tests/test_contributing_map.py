"""CONTRIBUTING.md's map of the package stays true: every folder and top-level module of ``src/exonu`` has a
row, every row names something that exists, and no import reaches down the map (from a row to a later one)."""

from __future__ import annotations

import re
from pathlib import Path

from test_architecture import GRAPH

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "exonu"
ROW = re.compile(r"^\| (\d+|helper) \| (.+?) \| .+ \|$")


def map_rows() -> dict[str, int]:
    """Folder or module name (``xsec``, ``flux``) → its step in the map (helpers are step 0)."""
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    steps: dict[str, int] = {}
    for line in text.splitlines():
        match = ROW.match(line)
        if match:
            step = 0 if match[1] == "helper" else int(match[1])
            for name in re.findall(r"`([A-Za-z_]+)(?:/|\.py)`", match[2]):
                steps[name] = step
    return steps


def package_contents() -> set[str]:
    """Folders (sub-packages and data) and top-level modules of src/exonu, ``__init__`` aside."""
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    return folders | modules


def test_the_map_has_a_row_for_every_folder_and_module_and_nothing_else():
    steps = map_rows()
    assert len(steps) > 10  # the table was found and read
    contents = package_contents()
    assert contents - set(steps) == set(), "add a row to CONTRIBUTING.md's map for these"
    assert set(steps) - contents == set(), "these rows of CONTRIBUTING.md's map name nothing in src/exonu"


def test_no_import_reaches_down_the_map():
    steps = map_rows()

    def step(module: str) -> int | None:
        parts = module.split(".")
        return steps.get(parts[1]) if len(parts) > 1 else None

    downward = sorted(
        f"{a} (step {step(a)}) imports {b} (step {step(b)})"
        for a, targets in GRAPH.items()
        for b in targets
        if step(a) and step(b) and step(b) > step(a)  # type: ignore[operator]
    )
    assert downward == []
