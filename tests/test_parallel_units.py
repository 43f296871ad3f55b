"""Seeded work units, the run store, resume and the belt arithmetic (in-process, no Dask needed).

References: the one-sided upper limit μ_up = μ̂ + σ Φ⁻¹(cl) of a Gaussian measurement (Cowan, Cranmer,
Gross & Vitells, arXiv:1007.1727, Eq. 57 with q_μ of Eq. 14); the Neyman construction of
``exonu.stats.neyman_upper_limit`` (docs/physics.md) for the full model.
"""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm
from threadpoolctl import threadpool_limits

from exonu.cli import main
from exonu.config import load_detector
from exonu.errors import InputError
from exonu.parallel import (
    ModelDescription,
    WorkUnit,
    belt_limits,
    critical_values,
    execute,
    executor_for,
    run_scan,
    run_toys,
    run_unit,
    unit_seed,
)
from exonu.parallel.store import UnitStore, load_unit, read_units
from exonu.searches import SearchSpec
from exonu.stats import NeymanBelt, belt_statistic, fit, generate_toys, limits_for_toys, neyman_upper_limit

MAGNETIC = ModelDescription(("xmass-i",), SearchSpec("magnetic-moment", "magnetic-moment"))


def stored_bytes(folder) -> dict:
    """Every stored unit's columns as raw bytes (bit-for-bit comparison, NaN payloads included)."""
    out = {}
    for path in sorted((folder / "units").rglob("*.npz")):
        _, columns = load_unit(path)
        out[str(path.relative_to(folder))] = {c: v.tobytes() for c, v in columns.items()}
    return out


# ------------------------------------------------------------------------------------------ seeds
def test_unit_seed_is_a_function_of_the_whole_key():
    base = unit_seed(7, "belt", 1, 2, 3)
    assert base == unit_seed(7, "belt", 1, 2, 3)
    others = {
        unit_seed(8, "belt", 1, 2, 3),
        unit_seed(7, "background", 1, 2, 3),
        unit_seed(7, "belt", 2, 2, 3),
        unit_seed(7, "belt", 1, 3, 3),
        unit_seed(7, "belt", 1, 2, 4),
    }
    assert base not in others and len(others) == 5
    assert 0 <= base < 2**63
    with pytest.raises(InputError, match="non-negative"):
        unit_seed(-1, "toys", 0, 0, 0)


def test_toy_unit_equals_the_public_stats_api_with_its_seed():
    """A unit is generate_toys + limits_for_toys + belt_statistic at α = 0, seeded by unit_seed:
    reproducible bit for bit by anyone with the public API and BLAS on one thread, as the unit runs (a
    multi-threaded BLAS may split its sums differently and move the last bit)."""
    unit = WorkUnit("toys", MAGNETIC, 0, 0, 2, 10, 5, 11)
    out = run_unit(unit)
    model, _ = MAGNETIC.build()
    toys = generate_toys(model, 5, alpha=0.0, seed=unit_seed(11, "toys", 0, 0, 2))
    with threadpool_limits(limits=1):
        limits = limits_for_toys(model, toys, "bayesian", progress=False, engine="newton")
        at_zero = belt_statistic(model, toys, [0.0])
    np.testing.assert_array_equal(out["limit_alpha"], limits)
    np.testing.assert_array_equal(out["alpha_hat"], at_zero.alpha_hat)
    np.testing.assert_array_equal(out["q0"], at_zero.t_fc[:, 0])
    # and they are the per-toy fit's (to its tolerance) and the default limits' (to the grid's accuracy)
    np.testing.assert_allclose(out["alpha_hat"], [fit(toys.model(model, i)).alpha for i in range(5)], atol=1e-5)
    np.testing.assert_allclose(out["limit_alpha"], limits_for_toys(model, toys, "bayesian", progress=False), rtol=1e-3)
    np.testing.assert_array_equal(out["toy"], np.arange(10, 15))
    assert np.all(out["q0"] >= 0) and out["fit_valid"].all()
    # another chunk draws other toys
    assert not np.array_equal(
        run_unit(WorkUnit("toys", MAGNETIC, 0, 0, 3, 15, 5, 11))["limit_alpha"], out["limit_alpha"]
    )


# ------------------------------------------------------------------------------------------ belt arithmetic
def test_belt_limit_of_a_gaussian_measurement_is_mu_hat_plus_z_sigma():
    """t(α) = ((α − α̂)/σ)² for α > α̂; q_μ is ½δ(0) + ½χ²₁ distributed, so the 90 % CL critical value is
    Φ⁻¹(0.9)² = 1.642 and the limit α̂ + Φ⁻¹(0.9) σ (arXiv:1007.1727, Eqs. 49 and 57)."""
    sigma = 0.7
    alpha_hat = np.array([0.0, 0.4, 1.3])
    grid = np.linspace(0.01, 5.0, 500)
    t = np.where(grid[None, :] > alpha_hat[:, None], ((grid[None, :] - alpha_hat[:, None]) / sigma) ** 2, 0.0)
    crit = np.full(grid.size, norm.ppf(0.9) ** 2)
    limits = belt_limits(grid, t, crit, alpha_hat)
    np.testing.assert_allclose(limits, alpha_hat + norm.ppf(0.9) * sigma, rtol=2e-4)
    # nothing excluded on the grid: +inf (above the grid), never the grid's end; a failed fit: NaN
    assert np.isposinf(belt_limits(grid[:50], t[:, :50], crit[:50], alpha_hat)).all()
    t[1, 7] = np.nan
    assert np.isnan(belt_limits(grid, t, crit, alpha_hat)[1])


def test_critical_values_are_the_cl_quantile_per_grid_point():
    t = np.arange(20.0).reshape(2, 10)
    np.testing.assert_array_equal(critical_values(t, 0.9), [8.1, 18.1])


def test_scan_belt_agrees_with_the_stats_neyman_construction(tmp_path):
    """Given the same critical values, the scan's observed and per-toy limits are those of
    exonu.stats.neyman_upper_limit / limits_for_toys(method="neyman")."""
    grid = [0.6, 1.2, 1.8, 2.4, 3.0, 3.6]
    s = run_scan(
        MAGNETIC,
        masses_mev=[None],
        alpha_grid=grid,
        n_toys=8,
        n_background=6,
        seed=4,
        out=tmp_path,
        chunk_size=8,
        progress=False,
    )
    p = s["points"][0]
    model, _ = MAGNETIC.build()
    belt = NeymanBelt(np.array(grid), np.array(p["critical_values"]), np.zeros((len(grid), 8)), 0.9, "chi2", 8, 4, True)
    ref = neyman_upper_limit(model, 0.9, belt=belt, expected=False)
    assert p["observed_alpha"] == pytest.approx(ref.alpha_limit, rel=1e-5)
    assert p["observed"] == pytest.approx(1e-10 * np.sqrt(ref.alpha_limit), rel=1e-5)  # α = (μ/μ_ref)²
    toys = generate_toys(model, 6, alpha=0.0, seed=unit_seed(4, "background", 0, 0, 0))
    expected = limits_for_toys(model, toys, "neyman", belt=belt, progress=False)
    good = np.isfinite(expected)  # stats marks a limit above the grid NaN, the scan +inf
    assert good.sum() >= 4 and p["background_above_grid"] == int((~good).sum())
    assert p["median"] == pytest.approx(1e-10 * np.sqrt(np.median(np.where(good, expected, np.inf))), rel=1e-4)


# ------------------------------------------------------------------------------------------ store and resume
def test_toys_summary_and_store(tmp_path):
    s = run_toys(MAGNETIC, n_toys=12, seed=2, out=tmp_path, chunk_size=5, progress=False)
    assert (s["n_toys"], s["units_total"], s["units_computed"], s["units_reused"]) == (12, 3, 3, 0)
    table = read_units(tmp_path, "toys")
    assert sorted(table["toy"].tolist()) == list(range(12))
    limits = table["limit_alpha"]
    assert s["median"] == pytest.approx(1e-10 * np.sqrt(np.median(limits)), rel=1e-12)
    lo, hi = s["band_1sigma"]
    assert lo == pytest.approx(1e-10 * np.sqrt(np.percentile(limits, 16)), rel=1e-12) and lo < s["median"] < hi
    assert json.loads((tmp_path / "summary.json").read_text())["median"] == s["median"]
    q0 = table["q0"]
    assert s["q0_percentiles"]["90"] == np.percentile(q0, 90) and np.all(q0 >= 0)
    assert s["best_fit_median"] == pytest.approx(1e-10 * np.sqrt(max(np.median(table["alpha_hat"]), 0)))


def test_resume_recomputes_only_missing_units_and_gives_identical_results(tmp_path):
    full = run_toys(MAGNETIC, n_toys=12, seed=5, out=tmp_path / "a", chunk_size=4, progress=False)
    part = tmp_path / "b"
    run_toys(MAGNETIC, n_toys=12, seed=5, out=part, chunk_size=4, progress=False)
    victim = sorted((part / "units" / "toys").glob("*.npz"))[1]
    victim.unlink()  # as if the run had been killed before this unit finished
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (part / "units").rglob("*.npz")}
    resumed = run_toys(MAGNETIC, n_toys=12, seed=5, out=part, chunk_size=4, progress=False)
    assert (resumed["units_computed"], resumed["units_reused"]) == (1, 2)
    assert all((p.stat().st_ino, p.stat().st_mtime_ns) == v for p, v in before.items())
    assert stored_bytes(part) == stored_bytes(tmp_path / "a")
    assert {k: resumed[k] for k in ("median", "band_1sigma", "band_2sigma")} == {
        k: full[k] for k in ("median", "band_1sigma", "band_2sigma")
    }


def test_resume_removes_what_a_writer_killed_mid_write_left(tmp_path):
    """A kill during a unit's write leaves its hidden temporary (never the unit): the run that resumes the folder
    removes it, says so in the summary, and recomputes that unit."""
    run_toys(MAGNETIC, n_toys=8, seed=5, out=tmp_path / "a", chunk_size=4, progress=False)
    victim = sorted((tmp_path / "a" / "units" / "toys").glob("*.npz"))[0]
    partial = victim.with_name(f".{victim.name}.k1ll3d.tmp.npz")
    partial.write_bytes(victim.read_bytes()[:100])  # the first bytes of a write that never finished
    victim.unlink()
    resumed = run_toys(MAGNETIC, n_toys=8, seed=5, out=tmp_path / "a", chunk_size=4, progress=False)
    assert resumed["partial_files_removed"] == 1 and not partial.exists()
    assert (resumed["units_computed"], resumed["units_reused"]) == (1, 1)
    fresh = run_toys(MAGNETIC, n_toys=8, seed=5, out=tmp_path / "b", chunk_size=4, progress=False)
    assert fresh["partial_files_removed"] == 0
    assert stored_bytes(tmp_path / "a") == stored_bytes(tmp_path / "b")


class ReversedExecutor:
    """Runs units last-first: the results must not depend on the order."""

    description = "reversed"

    def as_completed(self, function, units):
        for u in reversed(list(units)):
            yield u, function(u)


def test_results_do_not_depend_on_unit_order(tmp_path):
    run_toys(MAGNETIC, n_toys=9, seed=1, out=tmp_path / "a", chunk_size=3, progress=False)
    run_toys(MAGNETIC, n_toys=9, seed=1, out=tmp_path / "b", chunk_size=3, progress=False, executor=ReversedExecutor())
    assert stored_bytes(tmp_path / "a") == stored_bytes(tmp_path / "b")


def test_a_folder_with_other_settings_is_refused(tmp_path):
    run_toys(MAGNETIC, n_toys=3, seed=1, out=tmp_path, chunk_size=3, progress=False)
    with pytest.raises(InputError, match=r"other settings \(chunk_size: stored 3, now 2, seed: stored 1, now 2\)"):
        run_toys(MAGNETIC, n_toys=3, seed=2, out=tmp_path, chunk_size=2, progress=False)


def test_store_writes_are_atomic_files(tmp_path):
    store = UnitStore(tmp_path, {"seed": 1})
    u1, u2 = (WorkUnit("toys", MAGNETIC, 0, 0, c, 3 * c, 3, 1) for c in range(2))
    store.write("toys", u1, {"toy": np.arange(3), "v": np.array([1.0, np.nan, 2.0])})
    assert store.problem("toys", u1) is None and store.problem("toys", u2) == "missing"
    assert not [p for p in tmp_path.rglob("*") if ".tmp" in p.name]
    np.testing.assert_array_equal(store.read("toys", [u1])["v"], [1.0, np.nan, 2.0])


# ------------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_toys": 0}, "n_toys must be an integer ≥ 1"),
        ({"seed": -1}, "seed must be an integer ≥ 0"),
        ({"chunk_size": 0}, "chunk_size must be an integer ≥ 1"),
        ({"method": "central"}, "method for toys must be one of"),
        ({"alpha": -1.0}, "true signal strength alpha"),
    ],
)
def test_run_toys_rejects_bad_arguments(tmp_path, kwargs, message):
    args = {"n_toys": 3, "seed": 0, "out": tmp_path, **kwargs}
    with pytest.raises(InputError, match=message):
        run_toys(MAGNETIC, **args)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"alpha_grid": [1.0, 1.0]}, "strictly increasing positive"),
        ({"alpha_grid": [1.0]}, "at least 2"),
        ({"masses_mev": [1.0]}, "has no mass"),
        ({"ordering": "central"}, "ordering must be one of"),
        ({"cl": 1.5}, r"cl must be a number in \(0.5, 1\)"),
    ],
)
def test_run_scan_rejects_bad_arguments(tmp_path, kwargs, message):
    args = {
        "masses_mev": [None],
        "alpha_grid": [1.0, 2.0],
        "n_toys": 2,
        "n_background": 2,
        "seed": 0,
        "out": tmp_path,
        **kwargs,
    }
    with pytest.raises(InputError, match=message):
        run_scan(MAGNETIC, **args)


def test_dark_photon_scan_needs_positive_masses(tmp_path):
    dp = ModelDescription(("xmass-i",), SearchSpec("dp", "dark-photon", mass_mev=1.0))
    with pytest.raises(InputError, match="masses in MeV > 0"):
        run_scan(dp, masses_mev=[None], alpha_grid=[1.0, 2.0], n_toys=2, n_background=2, seed=0, out=tmp_path)


def test_executor_arguments_are_checked(monkeypatch):
    monkeypatch.delenv("EXONU_SCHEDULER", raising=False)
    with pytest.raises(InputError, match="--jobs must be a positive integer"):
        executor_for(0)
    with pytest.raises(InputError, match="either --jobs N .* or --scheduler"):
        executor_for(2, "tcp://127.0.0.1:1")
    assert executor_for(1).description.startswith("in-process")


def test_an_unreachable_scheduler_is_a_one_line_error(monkeypatch, capsys, tmp_path):
    pytest.importorskip("distributed")
    monkeypatch.setattr("exonu.parallel.executor.CONNECT_TIMEOUT", "0.5s")
    code = main(
        [
            "toys",
            "--detector",
            "xmass-i",
            "--signal",
            "magnetic-moment",
            "--n-toys",
            "2",
            "--out",
            str(tmp_path),
            "--scheduler",
            "tcp://127.0.0.1:1",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "cannot reach the Dask scheduler at 'tcp://127.0.0.1:1'" in err and err.count("\n") == 1


def test_several_detectors_build_the_joint_model():
    """Toys and scans of several detectors run on exonu.searches.joint's model (shared solar-flux nuisances)."""
    from exonu.searches import build_joint_model

    joint = ModelDescription(("xmass-i", "xenon1t-sr1"), SearchSpec("m", "magnetic-moment"))
    model, reference = joint.build()
    direct = build_joint_model(
        [load_detector("xmass-i"), load_detector("xenon1t-sr1")], SearchSpec("m", "magnetic-moment")
    )
    assert model.data.shape == direct.model.data.shape and reference == direct.reference
    assert np.array_equal(model.asimov(1.0), direct.model.asimov(1.0))
    with pytest.raises(InputError, match="joint toy run or scan"):
        ModelDescription(("xmass-i", "xenon1t-sr1"), SearchSpec("m", "magnetic-moment"), data=(1.0,)).build()


def test_statistic_defaults_to_each_detector_config_and_joint_detectors_keep_their_own():
    """Like run_search: no statistic means the config's (Poisson for XENONnT SR0, χ² for XMASS-I); joint detectors
    that differ fit with each detector's statistic on its bins — the toys' fit equals the joint search's."""
    from exonu.searches import build_joint_model
    from exonu.searches.joint import with_bin_statistics

    spec = SearchSpec("m", "magnetic-moment")
    assert ModelDescription(("xenonnt-sr0",), spec).statistic == "poisson"
    assert MAGNETIC.statistic == "chi2" and MAGNETIC.fit_statistic == "chi2"
    assert ModelDescription(("xenonnt-sr0",), spec, "chi2").statistic == "chi2"  # an explicit one wins
    joint = ModelDescription(("xmass-i", "xenon1t-sr1"), spec)
    assert joint.statistic == (("xenon1t-sr1", "poisson"), ("xmass-i", "chi2")) and joint.fit_statistic == "per-bin"
    assert joint.statistic_record == {"xmass-i": "chi2", "xenon1t-sr1": "poisson"}
    assert ModelDescription(("xmass-i", "xenon1t-sr1"), spec, {"xmass-i": "chi2", "xenon1t-sr1": "chi2"}).statistic == (
        "chi2"
    )
    model, _ = joint.build()
    chosen = {"xmass-i": "chi2", "xenon1t-sr1": "poisson"}
    direct, statistic = with_bin_statistics(
        build_joint_model([load_detector("xmass-i"), load_detector("xenon1t-sr1")], spec), chosen
    )
    assert statistic == "per-bin" and list(model.bin_statistic) == list(direct.bin_statistic)
    assert fit(model, statistic="per-bin").chi2 == pytest.approx(fit(direct, statistic="per-bin").chi2, rel=1e-12)


@pytest.mark.parametrize(
    "statistic, message",
    [
        ("gauss", "statistic must be one of"),
        ({"xmass-i": "chi2"}, "exactly the detectors"),
        ({"xmass-i": "chi2", "xenon1t-sr1": "gauss"}, "statistic must be one of"),
    ],
)
def test_a_bad_statistic_is_refused_in_one_line(statistic, message):
    with pytest.raises(InputError, match=message) as exc:
        ModelDescription(("xmass-i", "xenon1t-sr1"), SearchSpec("m", "magnetic-moment"), statistic)
    assert "\n" not in str(exc.value)


def test_joint_toys_of_detectors_with_different_statistics_run(capsys, tmp_path):
    """`exonu toys` on two detectors whose configs name different statistics (it crashed: a dict is unhashable)."""
    detectors = ["--detector", "xmass-i", "--detector", "xenon1t-sr1"]
    options = ["--n-toys", "4", "--chunk-size", "2", "--out", str(tmp_path / "j"), "--no-progress", "--json"]
    code = main(["toys", *detectors, "--signal", "magnetic-moment", *options])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["statistic"] == {"xmass-i": "chi2", "xenon1t-sr1": "poisson"}
    assert summary["n_failed"] == 0 and summary["median"] > 0


def test_execute_skips_stored_units(tmp_path):
    store = UnitStore(tmp_path, {"seed": 0})
    units = [WorkUnit("toys", MAGNETIC, 0, 0, c, 2 * c, 2, 0) for c in range(2)]
    assert execute(units, store, progress=False).computed == 2
    assert execute(units, store, progress=False) == type(execute(units, store, progress=False))(2, 2, 0)


def test_a_folder_in_use_by_another_run_is_refused_and_freed_when_it_ends(tmp_path):
    """Two runs on one folder would remove each other's files in flight: the second is refused in one line, and
    the folder is free again once the first has closed it (a killed run's lock dies with its process)."""
    first = UnitStore(tmp_path, {"x": 1})
    partial = tmp_path / "units" / "toys" / ".toys-000000.npz.abc.tmp.npz"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"PAR1")  # the first run's write in flight
    with pytest.raises(InputError, match="another exonu run is using") as exc:
        UnitStore(tmp_path, {"x": 1})
    assert "\n" not in str(exc.value) and partial.exists()  # refused before touching anything
    first.close()
    with UnitStore(tmp_path, {"x": 1}) as second:
        assert second.partial_files_removed == 1 and not partial.exists()
    UnitStore(tmp_path, {"x": 1}).close()  # closed again: free


# ------------------------------------------------------------------------------------------ CLI
def test_cli_toys_json(capsys, tmp_path):
    code = main(
        [
            "toys",
            "--detector",
            "xmass-i",
            "--signal",
            "magnetic-moment",
            "--n-toys",
            "6",
            "--seed",
            "3",
            "--out",
            str(tmp_path),
            "--chunk-size",
            "3",
            "--no-progress",
            "--json",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (
        out["n_toys"] == 6 and out["unit"] == "mu_B" and len(out["band_1sigma"]) == 2 and len(out["band_2sigma"]) == 2
    )
    assert (
        out["band_2sigma"][0]
        <= out["band_1sigma"][0]
        <= out["median"]
        <= out["band_1sigma"][1]
        <= out["band_2sigma"][1]
    )
    assert out["executor"].startswith("in-process")


def test_cli_scan_writes_summary_and_figure(capsys, tmp_path):
    code = main(
        [
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
            "3",
            "--n-background",
            "3",
            "--seed",
            "1",
            "--out",
            str(tmp_path),
            "--no-progress",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "M = 0.1 MeV" in out and "M = 10 MeV" in out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [p["mass_mev"] for p in summary["points"]] == [0.1, 10.0]
    assert (tmp_path / "exclusion.png").stat().st_size > 10_000


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["toys", "--detector", "xmass-i", "--signal", "magnetic-moment", "--n-toys", "0", "--out", "{tmp}"],
            "--n-toys",
        ),
        (
            ["toys", "--detector", "xmass-i", "--signal", "dark-photon", "--n-toys", "2", "--out", "{tmp}"],
            "needs mass_mev (--mass-mev)",
        ),
        (
            ["scan", "--detector", "xmass-i", "--signal", "dark-photon", "--n-toys", "2", "--out", "{tmp}"],
            "needs --masses-mev",
        ),
        (
            [
                "scan",
                "--detector",
                "xmass-i",
                "--signal",
                "millicharge",
                "--masses-mev",
                "1",
                "--n-toys",
                "2",
                "--out",
                "{tmp}",
            ],
            "has no mass",
        ),
        (
            [
                "scan",
                "--detector",
                "xmass-i",
                "--signal",
                "millicharge",
                "--n-couplings",
                "1",
                "--n-toys",
                "2",
                "--out",
                "{tmp}",
            ],
            "--n-couplings",
        ),
        (
            [
                "toys",
                "--detector",
                "xmass-i",
                "--signal",
                "magnetic-moment",
                "--n-toys",
                "2",
                "--jobs",
                "0",
                "--out",
                "{tmp}",
            ],
            "--jobs",
        ),
    ],
)
def test_cli_errors_are_one_line_exit_2(capsys, tmp_path, argv, message):
    try:
        code = main([a.replace("{tmp}", str(tmp_path / "run")) for a in argv])
    except SystemExit as exc:  # an argparse error (a bound checked by the parser): the same one line
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("exonu: error: ") and message in err and err.count("\n") == 1


def test_coverage_of_toys_drawn_with_signal(tmp_path, capsys):
    s = run_toys(MAGNETIC, n_toys=6, seed=8, out=tmp_path, alpha=1.0, chunk_size=6, progress=True)
    assert "toys" in capsys.readouterr().err  # the progress bar
    limits = read_units(tmp_path, "toys")["limit_alpha"]
    assert s["coverage"] == np.mean(limits >= 1.0) and s["alpha"] == 1.0


@pytest.mark.slow
@pytest.mark.parametrize("ordering, asymptotic", [("upper", norm.ppf(0.9) ** 2), ("fc", norm.ppf(0.95) ** 2)])
def test_belt_critical_values_approach_the_asymptotic_ones(ordering, asymptotic):
    """Far from the α = 0 boundary the one-sided q_μ is ½δ(0) + ½χ²₁ distributed (90 % quantile
    Φ⁻¹(0.9)² = 1.642) and the likelihood ratio of the FC ordering χ²₁ (Φ⁻¹(0.95)² = 2.706)
    (arXiv:1007.1727, Eqs. 49 and 38). 1500 toys give the quantile to ≈ 0.1 (0.2 for FC)."""
    unit = WorkUnit("belt", MAGNETIC, 0, 0, 0, 0, 1500, 17, alpha_grid=(3.0,), ordering=ordering)
    t = run_unit(unit)["t"]
    assert np.isfinite(t).all()
    assert critical_values(t[None, :], 0.9)[0] == pytest.approx(asymptotic, abs=0.3 if ordering == "upper" else 0.45)


@settings(max_examples=60, deadline=None)
@given(alpha_hat=st.floats(0.0, 3.0), sigma=st.floats(0.05, 1.0), n_grid=st.integers(2, 60))
def test_belt_limit_lies_on_the_first_excluded_segment(alpha_hat, sigma, n_grid):
    """For a Gaussian t on any grid, the limit lies between the last allowed point (or α̂) and the first
    excluded one, and is exact (α̂ + 1.2816 σ) up to the linear interpolation of a parabola."""
    grid = np.linspace(0.1, 8.0, n_grid)
    t = np.where(grid > alpha_hat, ((grid - alpha_hat) / sigma) ** 2, 0.0)[None, :]
    crit = np.full(n_grid, norm.ppf(0.9) ** 2)
    limit = belt_limits(grid, t, crit, np.array([alpha_hat]))[0]
    exact = alpha_hat + norm.ppf(0.9) * sigma
    if exact >= grid[-1]:
        assert np.isposinf(limit)
        return
    k = int(np.argmax((t[0] > crit) & (grid > alpha_hat)))
    low = max(grid[k - 1] if k > 0 else 0.0, alpha_hat)
    assert low <= limit <= grid[k]
    assert abs(limit - exact) <= grid[k] - low
    assert limit <= exact + 1e-12  # the chord of a convex t lies above it: the interpolation errs low
