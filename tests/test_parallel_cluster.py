"""A real Dask cluster: `dask scheduler` and `dask worker` as separate processes on 127.0.0.1.

`exonu toys` and `exonu scan` through ``--scheduler`` must store exactly the bytes that ``--jobs 1``
stores, and a worker killed mid-run must cost nothing but time (Dask reschedules its tasks).
"""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from exonu.cli import main
from test_parallel_units import stored_bytes

pytest.importorskip("distributed")

STARTUP_TIMEOUT_S = 90
TOYS = [
    "toys",
    "--detector",
    "xmass-i",
    "--signal",
    "magnetic-moment",
    "--n-toys",
    "8",
    "--seed",
    "9",
    "--chunk-size",
    "2",
    "--no-progress",
    "--json",
]
SCAN = [
    "scan",
    "--detector",
    "xmass-i",
    "--signal",
    "dark-photon",
    "--masses-mev",
    "0.1",
    "10",
    "--n-couplings",
    "3",
    "--alpha-max",
    "15",
    "--n-toys",
    "2",
    "--n-background",
    "2",
    "--seed",
    "3",
    "--chunk-size",
    "2",
    "--no-progress",
    "--no-figure",
    "--json",
]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def start_worker(scheduler_file: Path) -> subprocess.Popen:
    """One single-threaded worker without a nanny (so killing it loses it for good).

    Bounded in time even if this test process dies: a worker whose scheduler is gone for 60 s exits,
    and the scheduler exits after 300 s without clients or tasks.
    """
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dask",
            "worker",
            "--scheduler-file",
            str(scheduler_file),
            "--nthreads",
            "1",
            "--no-nanny",
            "--no-dashboard",
            "--host",
            "127.0.0.1",
            "--death-timeout",
            "60",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for_workers(address: str, n: int) -> None:
    from distributed import Client

    with Client(address, timeout="30s") as client:
        client.wait_for_workers(n, timeout=STARTUP_TIMEOUT_S)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """(address, scheduler file) of a scheduler with two workers; everything stopped afterwards."""
    folder = tmp_path_factory.mktemp("dask")
    scheduler_file = folder / "scheduler.json"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dask",
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(scheduler_file),
                "--idle-timeout",
                "300",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not scheduler_file.exists():
            if time.monotonic() > deadline or procs[0].poll() is not None:
                pytest.fail("the dask scheduler did not start")
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        procs += [start_worker(scheduler_file) for _ in range(2)]
        wait_for_workers(address, 2)
        yield address, scheduler_file
    finally:
        for p in reversed(procs):
            _stop(p)


def run_cli(capsys, argv) -> dict:
    code = main(argv)
    out = capsys.readouterr().out
    assert code == 0
    return json.loads(out)


def test_toys_through_a_scheduler_equal_jobs_1_bit_for_bit(cluster, capsys, tmp_path):
    address, _ = cluster
    local = run_cli(capsys, [*TOYS, "--out", str(tmp_path / "local"), "--jobs", "1"])
    remote = run_cli(capsys, [*TOYS, "--out", str(tmp_path / "remote"), "--scheduler", address])
    assert remote["executor"].startswith(f"Dask scheduler {address}")
    assert stored_bytes(tmp_path / "remote") == stored_bytes(tmp_path / "local")
    assert len(stored_bytes(tmp_path / "local")) == 4
    assert {k: remote[k] for k in ("median", "band_1sigma", "band_2sigma")} == {
        k: local[k] for k in ("median", "band_1sigma", "band_2sigma")
    }


def test_scan_through_the_environment_scheduler_equals_jobs_1(cluster, capsys, tmp_path, monkeypatch):
    address, _ = cluster
    local = run_cli(capsys, [*SCAN, "--out", str(tmp_path / "local")])
    monkeypatch.setenv("EXONU_SCHEDULER", address)
    remote = run_cli(capsys, [*SCAN, "--out", str(tmp_path / "remote")])
    assert remote["executor"].startswith("Dask scheduler")
    assert stored_bytes(tmp_path / "remote") == stored_bytes(tmp_path / "local")
    assert remote["points"] == local["points"]


@pytest.mark.slow
def test_toys_on_a_local_cluster_equal_jobs_1(capsys, tmp_path):
    """--jobs 2: two local worker processes (no Dask) started and stopped by the command."""
    local = run_cli(capsys, [*TOYS, "--out", str(tmp_path / "local")])
    cluster = run_cli(capsys, [*TOYS, "--out", str(tmp_path / "cluster"), "--jobs", "2"])
    assert cluster["executor"].startswith("local processes (2 workers")
    assert stored_bytes(tmp_path / "cluster") == stored_bytes(tmp_path / "local")
    assert cluster["median"] == local["median"]


@pytest.mark.slow
def test_a_killed_worker_costs_nothing_but_time(cluster, capsys, tmp_path):
    """A third worker is killed (SIGKILL) while it is processing a unit; Dask reschedules the unit and
    the stored results are those of an uninterrupted --jobs 1 run."""
    from distributed import Client

    address, scheduler_file = cluster
    with Client(address, timeout="30s") as client:
        before = set(client.scheduler_info()["workers"])
        victim = start_worker(scheduler_file)
        try:
            client.wait_for_workers(3, timeout=STARTUP_TIMEOUT_S)
            (victim_address,) = set(client.scheduler_info()["workers"]) - before
            out = tmp_path / "remote"
            argv = [*TOYS, "--n-toys", "24", "--out", str(out), "--scheduler", address]
            run = subprocess.Popen(
                [sys.executable, "-m", "exonu.cli", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            try:
                deadline = time.monotonic() + STARTUP_TIMEOUT_S
                while not client.processing(workers=[victim_address]).get(victim_address):
                    assert run.poll() is None, run.stderr.read()
                    assert time.monotonic() < deadline, "the victim worker never received a unit"
                    time.sleep(0.02)
                victim.send_signal(signal.SIGKILL)  # mid-unit: its task is lost
                victim.wait(timeout=15)
                stdout, stderr = run.communicate(timeout=STARTUP_TIMEOUT_S)
            finally:
                _stop(run)
            assert run.returncode == 0, stderr
            remote = json.loads(stdout)
            assert remote["units_computed"] == 12
        finally:
            _stop(victim)
    again = run_cli(capsys, argv)  # the same command afterwards finds everything stored
    assert (again["units_reused"], again["units_computed"]) == (12, 0)
    local = run_cli(capsys, [*TOYS, "--n-toys", "24", "--out", str(tmp_path / "local")])
    assert stored_bytes(out) == stored_bytes(tmp_path / "local")
    assert remote["median"] == local["median"]
