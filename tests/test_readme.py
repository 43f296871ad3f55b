"""README and CI agree: .ci/run runs the README's test command verbatim."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_command():
    readme_lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    # the README's test command: the one line of its "Two commands" that installs the test extra
    test_commands = [line.strip() for line in readme_lines if '".[test]"' in line and "pytest" in line]
    assert len(test_commands) == 1, test_commands
    assert test_commands[0] in ci_lines
