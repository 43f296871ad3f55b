"""Every ```python block of README.md runs, in order, in one namespace, in a fresh working directory.

The README is the first code a reader copies; this keeps it true whatever blocks it holds. A block fails
the test by raising; its printed output is not compared (the README shows values in comments).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
#: a fenced block opened by ```python (or ```py) on its own line, up to the closing fence
PYTHON_BLOCK = re.compile(r"^```(?:python|py)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def python_blocks(markdown: str) -> list[str]:
    """The source of each ```python block of ``markdown``, in order."""
    return [m.group(1) for m in PYTHON_BLOCK.finditer(markdown)]


def test_block_extraction():
    text = "intro\n```python\nx = 1\n```\n```bash\nls\n```\n```python\ny = x + 1\n```\n"
    assert python_blocks(text) == ["x = 1\n", "y = x + 1\n"]


def test_readme_has_python_snippets():
    assert python_blocks(README.read_text(encoding="utf-8")), "README.md has no ```python block to test"


def test_readme_snippets_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # files a snippet writes land in a temporary folder
    monkeypatch.setenv("MPLBACKEND", "Agg")  # a snippet that plots needs no display
    namespace: dict[str, object] = {"__name__": "__readme__"}
    for number, source in enumerate(python_blocks(README.read_text(encoding="utf-8")), start=1):
        code = compile(source, f"README.md python block {number}", "exec")
        try:
            exec(code, namespace)
        except Exception as exc:  # name the block in the failure, whatever it raised
            pytest.fail(f"README.md python block {number} raised {type(exc).__name__}: {exc}")
