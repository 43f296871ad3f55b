"""A run killed part-way resumes with the same command, recomputes nothing stored and ends identical."""

import json
import signal
import subprocess
import sys
import time

from exonu.cli import main
from test_parallel_units import stored_bytes

TIMEOUT_S = 120
N_UNITS = 12
TOYS = [
    "toys",
    "--detector",
    "xmass-i",
    "--signal",
    "magnetic-moment",
    "--n-toys",
    str(2 * N_UNITS),
    "--seed",
    "21",
    "--chunk-size",
    "2",
    "--no-progress",
    "--json",
]


def stored_units(out):
    """The completed unit files: a writer killed mid-write leaves only a hidden temporary (".NAME.…tmp.npz"),
    which pathlib's glob matches but which is no unit (the resumed run removes it)."""
    return [p for p in out.glob("units/toys/*.npz") if not p.name.startswith(".")]


def test_a_killed_run_resumes_without_recomputing_stored_units(capsys, tmp_path):
    out = tmp_path / "killed"
    run = subprocess.Popen(
        [sys.executable, "-m", "exonu.cli", *TOYS, "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while len(stored_units(out)) < 2:
            assert run.poll() is None, f"the run ended before it could be killed: {run.stderr.read()}"
            assert time.monotonic() < deadline, "no unit was stored in time"
            time.sleep(0.02)
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(timeout=30)
    assert run.returncode == -signal.SIGKILL
    stored = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in stored_units(out)}
    assert 2 <= len(stored) < N_UNITS, "the kill must leave the run part-way"
    partial = list(out.glob("units/toys/.*.tmp.npz"))  # 0 or 1, depending on where the kill fell

    assert main([*TOYS, "--out", str(out)]) == 0  # the same command resumes
    resumed = json.loads(capsys.readouterr().out)
    assert (resumed["units_reused"], resumed["units_computed"]) == (len(stored), N_UNITS - len(stored))
    assert resumed["partial_files_removed"] == len(partial) and not list(out.glob("units/toys/.*"))
    assert all((p.stat().st_ino, p.stat().st_mtime_ns) == v for p, v in stored.items())  # not rewritten

    assert main([*TOYS, "--out", str(tmp_path / "whole")]) == 0
    whole = json.loads(capsys.readouterr().out)
    assert stored_bytes(out) == stored_bytes(tmp_path / "whole")
    assert {k: resumed[k] for k in ("median", "band_1sigma", "band_2sigma", "n_failed")} == {
        k: whole[k] for k in ("median", "band_1sigma", "band_2sigma", "n_failed")
    }
