"""Fail CI when a module of src/exonu is exercised by no test (coverage JSON from pytest-cov).

Usage: python .ci/check_coverage.py coverage.json
"""

import json
import sys
from pathlib import Path

#: Modules only ever run in a child process (coverage of the test process cannot see them), with the test
#: that runs them
RUN_IN_SUBPROCESS = {
    "src/exonu/cli/__main__.py": "tests/test_robustness.py runs `python -m exonu.cli` (signals, pipes)",
}


def main(path: str) -> int:
    measured = json.loads(Path(path).read_text(encoding="utf-8"))["files"]
    # the suite runs the installed package (site-packages/exonu/…) or the source tree: key by the path inside it
    files = {"src/exonu/" + k.replace("\\", "/").rsplit("exonu/", 1)[1]: v for k, v in measured.items() if "exonu/" in k}
    root = Path("src/exonu")
    untested = []
    for module in sorted(root.rglob("*.py")):
        key = module.as_posix()
        if key in RUN_IN_SUBPROCESS:
            continue
        entry = files.get(key)
        if entry is None or (entry["summary"]["num_statements"] and entry["summary"]["covered_lines"] == 0):
            untested.append(key)
    total = sum(f["summary"]["covered_lines"] for f in files.values())
    statements = sum(f["summary"]["num_statements"] for f in files.values())
    print(f"coverage: {total}/{statements} statements = {100 * total / max(statements, 1):.1f} %; "
          f"{len(untested)} module(s) of src/exonu exercised by no test")
    for key in untested:
        print(f"  untested: {key}")
    return 1 if untested else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
