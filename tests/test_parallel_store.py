"""Verified stores, extension of an ensemble, and the local process back end (no optional dependency)."""

import json
import shutil

import numpy as np
import pytest

from exonu.cli import main
from exonu.errors import InputError
from exonu.parallel import ModelDescription, executor_for, run_toys
from exonu.parallel.store import load_unit
from exonu.searches import SearchSpec
from test_parallel_units import stored_bytes

MAGNETIC = ModelDescription(("xmass-i",), SearchSpec("magnetic-moment", "magnetic-moment"))
BANDS = ("median", "band_1sigma", "band_2sigma", "q0_percentiles", "best_fit_median", "n_failed")


def toys(out, n_toys=8, seed=3, **kw):
    return run_toys(MAGNETIC, n_toys=n_toys, seed=seed, out=out, chunk_size=4, progress=False, **kw)


def unit_path(out, chunk):
    return out / "units" / "toys" / f"toys-m0000-a0000-c{chunk:06d}.npz"


def test_more_toys_with_the_same_seed_extend_the_ensemble_bit_for_bit(tmp_path):
    """10 → 18 toys (chunks of 4): the two full chunks are reused, the partial third (2 toys) is recomputed
    with 4, and everything equals a fresh 18-toy run."""
    toys(tmp_path / "grown", n_toys=10)
    grown = toys(tmp_path / "grown", n_toys=18)
    fresh = toys(tmp_path / "fresh", n_toys=18)
    assert (grown["units_reused"], grown["units_computed"], grown["units_replaced"]) == (2, 3, [])
    assert stored_bytes(tmp_path / "grown") == stored_bytes(tmp_path / "fresh")
    assert {k: grown[k] for k in BANDS} == {k: fresh[k] for k in BANDS}
    assert json.loads((tmp_path / "grown" / "run.json").read_text())["settings"]["n_toys"] == 18


@pytest.mark.parametrize(
    "damage, reason",
    [
        ("other-seed", "belongs to a run with seed 4 (this run: 3)"),
        ("neighbour", "holds unit 'toys-m0000-a0000-c000000', not 'toys-m0000-a0000-c000001'"),
        ("truncated", "damaged or not a unit file"),
        ("empty", "damaged or not a unit file"),
        ("bit-flip", "damaged"),
    ],
)
def test_a_unit_that_is_not_this_runs_is_recomputed_and_reported(tmp_path, damage, reason):
    toys(tmp_path / "A")
    intact = stored_bytes(tmp_path / "A")
    target = unit_path(tmp_path / "A", 1)
    if damage == "other-seed":
        toys(tmp_path / "B", seed=4)
        shutil.copy(unit_path(tmp_path / "B", 1), target)
    elif damage == "neighbour":
        shutil.copy(unit_path(tmp_path / "A", 0), target)
    elif damage == "truncated":
        target.write_bytes(target.read_bytes()[:200])
    elif damage == "empty":
        target.write_bytes(b"")
    else:
        data = bytearray(target.read_bytes())
        data[len(data) // 3] ^= 0x10  # inside a column's bytes
        target.write_bytes(bytes(data))
    resumed = toys(tmp_path / "A")
    assert (resumed["units_reused"], resumed["units_computed"]) == (1, 1)
    assert len(resumed["units_replaced"]) == 1 and reason in resumed["units_replaced"][0]
    assert stored_bytes(tmp_path / "A") == intact


def test_the_cli_warns_about_each_replaced_unit(tmp_path, capsys):
    argv = ["toys", "--detector", "xmass-i", "--signal", "magnetic-moment", "--n-toys", "4", "--chunk-size", "2"]
    assert main([*argv, "--seed", "4", "--out", str(tmp_path / "B")]) == 0
    assert main([*argv, "--seed", "3", "--out", str(tmp_path / "A")]) == 0
    capsys.readouterr()
    shutil.copy(tmp_path / "B/units/toys/toys-m0000-a0000-c000001.npz", tmp_path / "A/units/toys/")
    assert main([*argv, "--seed", "3", "--out", str(tmp_path / "A")]) == 0
    out, err = capsys.readouterr()
    assert err.count("exonu: warning: units/toys/toys-m0000-a0000-c000001.npz belongs to a run with seed 4") == 1
    assert "1 computed, 1 reused (1 stored file(s) not of this run recomputed)" in out


@pytest.mark.parametrize("text", ["{not json", "[]", '{"settings": {}}'])
def test_a_damaged_run_json_is_one_line(tmp_path, capsys, text):
    (tmp_path / "T").mkdir()
    (tmp_path / "T" / "run.json").write_text(text)
    argv = [
        "toys",
        "--detector",
        "xmass-i",
        "--signal",
        "magnetic-moment",
        "--n-toys",
        "4",
        "--out",
        str(tmp_path / "T"),
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("exonu: error: ") and "run.json" in err and err.count("\n") == 1


def test_a_unit_file_is_checked_against_its_checksum(tmp_path):
    toys(tmp_path, n_toys=4)
    record, columns = load_unit(unit_path(tmp_path, 0))
    assert record["run_seed"] == 3 and record["n_toys"] == 4 and set(columns) >= {"toy", "limit_alpha"}
    np.savez(unit_path(tmp_path, 0), **{**columns, "__record__": np.array(json.dumps(record))}, toy2=columns["toy"])
    with pytest.raises(InputError, match="do not match their checksum"):
        load_unit(unit_path(tmp_path, 0))


def square(x):
    return x * x


def test_local_processes_map_in_order_and_equal_in_process(tmp_path):
    with executor_for(jobs=2) as ex:
        assert list(ex.map(square, range(7))) == [x * x for x in range(7)]
        assert ex.description.startswith("local processes (2 workers")
    one = toys(tmp_path / "one", executor=executor_for(jobs=1))
    with executor_for(jobs=2) as ex:
        two = toys(tmp_path / "two", executor=ex)
    assert stored_bytes(tmp_path / "one") == stored_bytes(tmp_path / "two")
    assert {k: one[k] for k in BANDS} == {k: two[k] for k in BANDS}


def test_toys_take_every_signal_and_method_of_fit(tmp_path, capsys):
    argv = ["toys", "--detector", "xenonnt-sr0", "--signal", "nsi", "--chirality", "R", "--sign", "negative"]
    assert main([*argv, "--method", "cls", "--n-toys", "4", "--out", str(tmp_path / "nsi"), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert (s["signal"], s["chirality"], s["sign"], s["method"], s["n_failed"]) == ("nsi", "R", -1, "cls", 0)
    assert s["median"] < 0  # a limit on the negative side of ε^{eR}
    argv = ["toys", "--detector", "xenonnt-sr0", "--signal", "light-vector", "--charges", "B-L", "--mass-mev", "10"]
    assert main([*argv, "--method", "plr", "--n-toys", "4", "--out", str(tmp_path / "lv"), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert (s["charges"], s["mass_mev"], s["n_failed"]) == ("B-L", 10.0, 0) and s["median"] > 0


def test_the_folder_is_checked_before_the_detector_is_loaded(tmp_path, capsys, monkeypatch):
    toys(tmp_path / "T", n_toys=4)

    def refuse(*args, **kwargs):
        raise AssertionError("the detector was loaded before the folder's settings were checked")

    monkeypatch.setattr("exonu.parallel.units.load_detector_cached", refuse)
    argv = ["toys", "--detector", "xmass-i", "--signal", "magnetic-moment", "--n-toys", "4", "--chunk-size", "4"]
    assert main([*argv, "--seed", "5", "--out", str(tmp_path / "T")]) == 2
    assert "seed: stored 3, now 5" in capsys.readouterr().err


def test_ctrl_c_with_local_workers_is_one_line_and_leaves_no_process(tmp_path):
    """The terminal sends SIGINT to the whole process group: the workers ignore it, the command stops them
    and prints one line (exit 130); the stored units stay valid for a resume."""
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "T"
    argv = ["toys", "--detector", "xmass-i", "--signal", "magnetic-moment", "--n-toys", "4000", "--chunk-size", "20"]
    run = subprocess.Popen(
        [sys.executable, "-m", "exonu.cli", *argv, "--jobs", "2", "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while len([p for p in out.glob("units/toys/*.npz") if not p.name.startswith(".")]) < 2:
        assert run.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    os.killpg(run.pid, signal.SIGINT)
    _, err = run.communicate(timeout=60)
    assert (run.returncode, err) == (130, "exonu: interrupted\n")
    with pytest.raises(ProcessLookupError):  # the group is gone: no worker left behind
        os.killpg(run.pid, 0)


# ------------------------------------------------------------------------------------------ scan grids
def test_the_automatic_grid_reaches_four_times_the_asimov_expected_limit(tmp_path):
    """Per mass the coupling grid ends at 4× the Asimov expected PLR limit (the +2σ edge of a Gaussian
    one-sided 90 % limit is 2.56× the median, arXiv:1007.1727 Eq. 89), uniform in α from its first step."""
    from exonu.parallel.scans import run_scan
    from exonu.stats import expected_limits

    s = run_scan(MAGNETIC, masses_mev=[None], n_toys=4, n_background=4, seed=0, out=tmp_path, n_couplings=4)
    model, _ = MAGNETIC.build()
    asimov = expected_limits(model, "plr", n_toys=0, statistic="chi2").asimov
    grid = s["points"][0]["alpha_grid"]
    assert grid[-1] == pytest.approx(4 * asimov, rel=1e-12) and np.allclose(np.diff(grid), grid[0])
    assert grid[0] > asimov / 2  # a grid in α of the right size: not 2π or α-squared off


def test_a_grid_the_limit_lies_above_is_extended(tmp_path, monkeypatch):
    """With the grid set to 0.5× the expected limit, the observed limit lies above it: the grid grows by
    blocks of the same points until it holds the limit, and a fresh run grows the same way."""
    from exonu.parallel import scans

    monkeypatch.setattr(scans, "AUTO_GRID_FACTOR", 0.5)
    args = dict(masses_mev=[None], n_toys=6, n_background=6, seed=0, n_couplings=3)
    s = scans.run_scan(MAGNETIC, out=tmp_path / "a", **args)
    point = s["points"][0]
    assert len(point["alpha_grid"]) in (6, 9, 12) and point["observed"] is not None
    assert point["observed_alpha"] <= point["alpha_grid"][-1]
    again = scans.run_scan(MAGNETIC, out=tmp_path / "b", **args)
    assert again["points"] == s["points"] and stored_bytes(tmp_path / "a") == stored_bytes(tmp_path / "b")


def test_scan_with_a_non_belt_method_gives_each_mass_its_limit_and_band(tmp_path, capsys):
    argv = ["scan", "--detector", "xenonnt-sr0", "--signal", "scalar", "--masses-mev", "0.1", "10", "--method", "plr"]
    assert main([*argv, "--n-toys", "4", "--out", str(tmp_path), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert [p["mass_mev"] for p in s["points"]] == [0.1, 10.0] and s["method"] == "plr"
    assert all(p["observed"] > 0 and p["median"] > 0 for p in s["points"])
    assert (tmp_path / "exclusion.png").stat().st_size > 0
