"""What the benchmarks that time a whole ``exonu`` command share: one fresh interpreter per run, BLAS pinned
to one thread, exonu's bytecode compiled once (as an installation has it), and the wall and CPU time
(user + system, from ``getrusage`` of the finished child) of each run.

Imported by ``bench_cache.py`` and ``bench_reproduce.py`` (run as scripts: this folder is on their path).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

#: ``python -c RUN_CLI args…`` runs ``exonu args…`` as the console script does
RUN_CLI = "import sys; from exonu.cli import main; sys.exit(main(sys.argv[1:]))"
PINNED = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def compile_bytecode(package_dir: Path) -> None:
    """Compile exonu's bytecode once, as ``pip install`` does, and let the timed runs read it.

    A source tree run with ``PYTHONDONTWRITEBYTECODE=1`` recompiles every imported module in every run
    (≈ 0.2 s of CPU), which an installed exonu never does: that would be timed as exonu's start-up.
    """
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package_dir)], check=True)


def timed_cli_run(
    argv: list[str], *, python: str = sys.executable, env: Mapping[str, str | None] | None = None
) -> tuple[float, float]:
    """(wall s, CPU s = user + system) of one fresh interpreter ``python`` running ``exonu argv``.

    The child gets this process's environment with BLAS pinned, then ``env`` applied (a value None removes
    that variable); its output is discarded.
    """
    child_env = {**os.environ, **PINNED}
    child_env.pop("PYTHONDONTWRITEBYTECODE", None)  # read the compiled bytecode, as an installation does
    for name, value in (env or {}).items():
        if value is None:
            child_env.pop(name, None)
        else:
            child_env[name] = value
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([python, "-c", RUN_CLI, *argv], env=child_env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
