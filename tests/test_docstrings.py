"""The ``>>>`` examples in exonu's docstrings run and show what they print (numpydoc "Examples").

Every module of the package is searched with :class:`doctest.DocTestFinder`; each example is run with
:class:`doctest.DocTestRunner` against the output written under it, so an example cannot rot silently.
An example that is a bare expression must show its value: an example without output would pass whatever
it computed.
"""

from __future__ import annotations

import ast
import doctest
import importlib
import pkgutil
from types import ModuleType

import pytest

import exonu

OPTIONFLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _modules() -> list[str]:
    # ``__main__`` modules run the CLI when imported: they hold no docstring examples
    return sorted(
        info.name
        for info in pkgutil.walk_packages(exonu.__path__, prefix="exonu.")
        if not info.name.endswith(".__main__")
    )


def _doctests(module: ModuleType) -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    return [t for t in finder.find(module, module.__name__) if t.examples]


MODULES_WITH_EXAMPLES = [name for name in _modules() if _doctests(importlib.import_module(name))]


def test_the_physics_modules_carry_examples():
    # these modules' public functions carry examples: losing them (e.g. to a broken docstring) must show
    for name in (
        "exonu.spectrum",
        "exonu.flux",
        "exonu.oscillation",
        "exonu.atomic",
        "exonu.xsec.base",
        "exonu.detector.properties",
        "exonu.detector.response",
        "exonu.config.tables",
        "exonu.config.build",
    ):
        assert name in MODULES_WITH_EXAMPLES, f"{name} lost its docstring examples"


@pytest.mark.parametrize("name", MODULES_WITH_EXAMPLES)
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example that writes a file writes it here
    runner = doctest.DocTestRunner(optionflags=OPTIONFLAGS)
    for test in _doctests(importlib.import_module(name)):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples of {name} failed"


@pytest.mark.parametrize("name", MODULES_WITH_EXAMPLES)
def test_expression_examples_show_their_value(name):
    silent = []
    for test in _doctests(importlib.import_module(name)):
        for example in test.examples:
            tree = ast.parse(example.source)
            is_expression = len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr)
            if is_expression and not example.want.strip():
                silent.append(f"{test.name} line {example.lineno}: {example.source.strip()}")
    assert not silent, "examples that show no output: " + "; ".join(silent)


def test_a_wrong_output_is_caught():
    # the runner above really compares outputs: a deliberately wrong expectation fails
    parser = doctest.DocTestParser()
    test = parser.get_doctest(">>> 1 + 1\n3\n", {}, "wrong", None, 0)
    runner = doctest.DocTestRunner(optionflags=OPTIONFLAGS)
    runner.run(test, out=lambda _text: None)
    assert runner.summarize(verbose=False).failed == 1
