"""Safe outputs (robustness review R1/R2): atomic files, whole runs with a manifest, nothing mixed or lost."""

from __future__ import annotations

import errno
import json
import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from exonu.cli import main
from exonu.output import OutputError, RunFolder, read_manifest, recover, rundir, verify, write_atomic

QUICK = ["--toys", "0", "--masses", "3", "--dark-photon-toys", "0"]


def _run(out: Path, seed: int, *extra: str) -> int:
    return main(["reproduce", "--out", str(out), "--seed", str(seed), *QUICK, *extra])


def test_write_atomic_keeps_the_old_file_on_a_full_disk(tmp_path, fill_disk):
    target = tmp_path / "results.json"
    write_atomic(target, "old")
    fill_disk()
    with pytest.raises(OutputError, match="cannot write .*results.json: No space left on device"):
        write_atomic(target, "new content that does not fit")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]  # no temporary file left behind


def test_run_folder_replaces_its_own_files_only(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")  # a user's file: never touched
    with RunFolder(out, seed=1, command_line=["x"]) as run:
        run.write("a.txt", "first a")
        run.write("b.txt", "first b")
    assert verify(out) and read_manifest(out)["seed"] == 1
    with RunFolder(out, seed=2, command_line=["x"]) as run:
        run.write("a.txt", "second a")
    assert verify(out) and read_manifest(out)["seed"] == 2
    assert sorted(p.name for p in out.iterdir()) == ["a.txt", "manifest.json", "notes.txt"]  # stale b.txt removed
    assert (out / "a.txt").read_text() == "second a" and (out / "notes.txt").read_text() == "mine"


def test_failed_run_leaves_the_previous_run(tmp_path):
    out = tmp_path / "out"
    with RunFolder(out, seed=1) as run:
        run.write("a.txt", "first")
    with pytest.raises(RuntimeError), RunFolder(out, seed=2) as run:
        run.write("a.txt", "second")
        raise RuntimeError("computation failed")
    assert verify(out) and read_manifest(out)["seed"] == 1 and (out / "a.txt").read_text() == "first"
    assert sorted(p.name for p in out.iterdir()) == ["a.txt", "manifest.json"]  # staging folder removed


def test_commit_interrupted_half_way_is_completed_by_recover(tmp_path, monkeypatch):
    out = tmp_path / "out"
    with RunFolder(out, seed=1) as run:
        for name in "abc":
            run.write(f"{name}.txt", f"old {name}")
    real_replace, calls = os.replace, []

    def replace_then_crash(src, dst):
        calls.append(dst)
        if len(calls) == 3:  # journal written, one file moved: the process dies here
            raise OSError(errno.EIO, "Input/output error")
        return real_replace(src, dst)

    with pytest.raises(OutputError, match="cannot move the run into"), RunFolder(out, seed=2) as run:
        for name in "abc":
            run.write(f"{name}.txt", f"new {name}")
        monkeypatch.setattr(rundir.os, "replace", replace_then_crash)  # journal, a.txt, then the crash
    monkeypatch.setattr(rundir.os, "replace", real_replace)
    assert not verify(out)  # half moved: the journal says so
    recover(out)
    assert verify(out) and read_manifest(out)["seed"] == 2
    assert [(out / f"{n}.txt").read_text() for n in "abc"] == ["new a", "new b", "new c"]


def test_no_figures_rerun_removes_the_previous_figures(tmp_path, capsys):
    """R2(a): a --no-figures rerun left the old figures beside the new results."""
    out = tmp_path / "out"
    (tmp_path / "out").mkdir()
    (out / "my_plot.png").write_bytes(b"user file")
    assert _run(out, 0) == 0
    assert (out / "fig1_signal_spectra.png").exists()
    assert _run(out, 5, "--no-figures") == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["manifest.json", "my_plot.png", "report.html", "results.json", "results.md"]
    assert verify(out) and read_manifest(out)["seed"] == 5
    assert json.loads((out / "results.json").read_text())["seed"] == 5


def test_full_disk_during_reproduce_keeps_the_previous_result(tmp_path, capsys, monkeypatch):
    """R1: a full disk destroyed the previous results.json; now one line, exit 2, previous run intact."""
    out = tmp_path / "out"
    assert _run(out, 0) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real_write, calls = RunFolder.write, []

    def write_until_full(self, name, data):
        calls.append(name)
        if len(calls) == 4:
            raise OutputError(f"cannot write {self.staging / name}: No space left on device")
        return real_write(self, name, data)

    monkeypatch.setattr(RunFolder, "write", write_until_full)
    capsys.readouterr()
    assert _run(out, 1) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [line for line in err if line.startswith("exonu")] and "No space left on device" in err[-1]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before and verify(out)


def _limit_file_size(limit_bytes: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return apply


def _cli(out: Path, seed: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "exonu.cli", "reproduce", "--out", str(out), "--seed", str(seed), *QUICK, *extra]


def test_file_size_limit_in_a_subprocess_keeps_the_previous_result(tmp_path):
    """R1 reproducer: `ulimit -f` during a rerun left a truncated results.json; now exit 2, one line."""
    out = tmp_path / "out"
    assert subprocess.run(_cli(out, 0), capture_output=True).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    # 150 kB: results and small figures fit, report.html (all figures embedded) does not
    proc = subprocess.run(_cli(out, 1), capture_output=True, text=True, preexec_fn=_limit_file_size(150_000))
    assert proc.returncode == 2, proc.stderr
    assert (
        proc.stderr.strip().splitlines()[-1].startswith("exonu: error: cannot write") and "Traceback" not in proc.stderr
    )
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before and verify(out)


def test_unwritable_out_fails_before_any_computation(tmp_path, capsys, monkeypatch):
    """R10: a bad --out failed only after the computation."""
    import exonu.searches

    def must_not_run(*args, **kwargs):
        raise AssertionError("computation started before --out was checked")

    monkeypatch.setattr(exonu.searches, "reproduce_paper", must_not_run)
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    for out in (blocker, blocker / "sub"):
        assert _run(out, 0) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and err.startswith("exonu: error:") and str(blocker) in err


def _kill_at_random_moments(tmp_path: Path, n_kills: int, seed: int) -> None:
    out = tmp_path / "out"
    start = time.perf_counter()
    assert subprocess.run(_cli(out, 0), capture_output=True).returncode == 0
    duration = time.perf_counter() - start  # kill moments spread over a whole run, commit included
    rng = random.Random(seed)
    for i in range(n_kills):
        proc = subprocess.Popen(_cli(out, i + 1), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.0, 1.1 * duration))
        sig = rng.choice([signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
        proc.send_signal(sig)
        proc.wait()
        recover(out)  # what the next run does first (completes a commit cut by SIGKILL)
        assert verify(out), (i, sig)
        seed_now = read_manifest(out)["seed"]
        assert seed_now <= i + 1, (i, seed_now)  # the previous complete run or this one
        assert json.loads((out / "results.json").read_text())["seed"] == seed_now
        if proc.returncode == 0:
            assert seed_now == i + 1
        if sig != signal.SIGKILL:  # a polite kill cleans up its staging folder
            assert not list(out.glob(".exonu-*")), (i, sig)


def test_kill_at_random_moments_leaves_a_complete_run(tmp_path):
    """R2(b): a run killed half way left a folder mixing two runs; now always one complete run."""
    _kill_at_random_moments(tmp_path, n_kills=2, seed=11)


@pytest.mark.slow
def test_kill_at_many_random_moments_leaves_a_complete_run(tmp_path):
    _kill_at_random_moments(tmp_path, n_kills=20, seed=12)


def test_plot_writes_atomically_and_checks_its_folder_first(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    assert main(["plot", "spectra", "--out", str(blocker / "fig.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("exonu: error: cannot write to output folder")
    out = tmp_path / "background.png"
    assert main(["plot", "background", "--detector", "xenon1t-sr1", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and sorted(p.name for p in tmp_path.iterdir()) == [
        "a_file",
        "background.png",
    ]


def test_manifest_records_extra_entries_and_no_machine_path(tmp_path):
    """What `exonu reproduce` adds (dependency versions, warnings) is in the manifest; argv[0] is `exonu`."""
    with RunFolder(tmp_path / "run", seed=3, command_line=["/some/venv/bin/exonu", "reproduce"]) as run:
        run.record["warnings"] = [{"code": "poor-fit", "message": "m", "search": "s"}]
        run.write("a.txt", "x")
    manifest = read_manifest(tmp_path / "run")
    assert manifest["command_line"] == ["exonu", "reproduce"]
    assert manifest["warnings"][0]["code"] == "poor-fit" and manifest["complete"] is True
