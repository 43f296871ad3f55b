"""End to end: `exonu reproduce`, `exonu fit`, `exonu simulate` on reduced settings (seconds)."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from exonu.cli import main
from exonu.config import load_detector
from exonu.errors import InputError
from exonu.searches import PAPER_SEARCHES, dark_photon_masses, reproduce_paper


@pytest.fixture(scope="module")
def quick_reproduction(tmp_path_factory):
    out = tmp_path_factory.mktemp("repro")
    code = main(["reproduce", "--out", str(out), "--toys", "20", "--masses", "5", "--seed", "7"])
    assert code == 0
    return out, json.loads((out / "results.json").read_text())


def test_results_json_schema(quick_reproduction):
    out, res = quick_reproduction
    for key in (
        "millicharge_common_e",
        "millicharge_nue_e",
        "millicharge_numu_e",
        "millicharge_nutau_e",
        "magnetic_moment_mub",
    ):
        r = res[key]
        for field in ("upper_limit", "expected_upper_limit", "expected_band", "published", "method"):
            assert field in r, (key, field)
        assert r["upper_limit"] > 0 and r["expected_upper_limit"] > 0 and len(r["expected_band"]) == 2
        assert r["expected_band"][0] < r["expected_band"][1]
    assert [p["mass_mev"] for p in res["published_dark_photon"]] == [1e-3, 10.0]
    masses = [d["mass_mev"] for d in res["dark_photon"]]
    assert 1e-3 in masses and 10.0 in masses and len(masses) == 5
    for d in res["dark_photon"]:
        assert set(d) >= {"mass_mev", "upper_limit", "expected_upper_limit"}
    assert res["detector"]["is_reconstruction"] is True and len(res["detector"]["config_sha256"]) == 64
    assert res["seed"] == 7 and res["exonu_version"]
    assert "Asimov" in res["data"]["full"]
    for name in (
        "results.md",
        "report.html",
        "fig1_signal_spectra.png",
        "fig2_background_model.png",
        "fig3_millicharge_fit.png",
        "fig4_millicharge_limits.png",
        "fig5_fits.png",
        "fig6_dark_photon_exclusion.png",
    ):
        assert (out / name).stat().st_size > 1000, name
    assert "Reconstruction" in (out / "results.md").read_text()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 7 and "results.json" in manifest["files"] and "report.html" in manifest["files"]


def test_results_json_records_the_method_and_statistic_used(quick_reproduction):
    """Review §5.3-2: the method string was a constant; now each search names what computed its limit."""
    _, res = quick_reproduction
    assert res["statistic"] == "chi2" and res["method"] == "bayesian"
    for key in ("millicharge_common_e", "magnetic_moment_mub"):
        assert res[key]["statistic"] == "chi2" and res[key]["method"] == "bayesian"
        assert res[key]["limit"]["cl"] == 0.9
    assert all(d["statistic"] == "chi2" for d in res["dark_photon"])
    # the published values shown come from one place, with their source
    ref = res["magnetic_moment_mub"]["published_reference"]
    assert ref["value"] == 1.8e-10 and "2005.11891" in ref["source"]


def test_flavour_limits_are_common_over_sqrt_fraction(quick_reproduction):
    """Paper §4.2 / docs/physics.md §11.1 P3: a pure-q² signal gives q_α = q_common/√f_α exactly."""
    _, res = quick_reproduction
    common = res["millicharge_common_e"]["upper_limit"]
    for key, f in (("millicharge_nue_e", 0.54), ("millicharge_numu_e", 0.23), ("millicharge_nutau_e", 0.23)):
        assert res[key]["upper_limit"] == pytest.approx(common / np.sqrt(f), rel=1e-3)
        expected_common = res["millicharge_common_e"]["expected_upper_limit"]
        assert res[key]["expected_upper_limit"] == pytest.approx(expected_common / np.sqrt(f), rel=1e-3)


def test_expected_limits_within_factor_1p5_of_published(quick_reproduction):
    """The reconstruction's expected limits lie within a factor 1.5 of the paper's (arXiv:2005.11891 §4)."""
    _, res = quick_reproduction
    for spec in PAPER_SEARCHES:
        ratio = res[spec.key]["expected_upper_limit"] / res[spec.key]["published"]  # the paper's, from xmass_i.toml
        assert 1 / 1.5 < ratio < 1.5, (spec.key, ratio)
    for d in res["dark_photon"]:
        if d["published"]:
            assert 1 / 1.5 < d["expected_upper_limit"] / d["published"] < 1.5, d


def test_same_seed_same_results(tmp_path):
    setup = load_detector("xmass-i")
    a = reproduce_paper(setup, seed=3, n_toys=10, masses_mev=[1e-3, 10.0], progress=False)
    b = reproduce_paper(setup, seed=3, n_toys=10, masses_mev=[1e-3, 10.0], progress=False)
    for key in a.searches:
        assert a.searches[key].expected_band == b.searches[key].expected_band
        assert a.searches[key].observed == b.searches[key].observed
    assert [r.observed for r in a.dark_photon] == [r.observed for r in b.dark_photon]


def test_mass_grid_has_published_points():
    m = dark_photon_masses()
    assert len(m) >= 40 and 1e-3 in m and 10.0 in m and m[-1] == pytest.approx(1e3)
    assert np.all(np.diff(np.log(m)) > 0)


def test_simulate_then_reproduce_with_data(tmp_path, capsys):
    sim = tmp_path / "sim.json"
    assert main(["simulate", "--detector", "xmass-i", "--seed", "5", "--window", "full", "--out", str(sim)]) == 0
    doc = json.loads(sim.read_text())
    assert doc["metadata"]["simulated"] is True and doc["metadata"]["seed"] == 5
    counts = np.array(doc["counts"])
    assert len(counts) == 99 and np.all(counts == np.round(counts))
    out = tmp_path / "r"
    assert (
        main(["reproduce", "--out", str(out), "--data", str(sim), "--toys", "0", "--masses", "2", "--no-figures"]) == 0
    )
    res = json.loads((out / "results.json").read_text())
    assert "SIMULATED" in res["data"]["full"] and "Asimov" in res["data"]["millicharge"]


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"edges_kev": [2, 4, 6], "counts": [1, -2]}', "≥ 0|negative|non-negative"),
        ('{"edges_kev": [2, 4, 6], "counts": [1, 2]}', "match no window"),
        ("this is not data", "data|parse|expected|column"),
    ],
)
def test_reproduce_bad_data_is_a_clear_error(tmp_path, capsys, content, message):
    bad = tmp_path / ("bad.json" if content.startswith("{") else "bad.txt")
    bad.write_text(content)
    code = main(
        ["reproduce", "--out", str(tmp_path / "o"), "--data", str(bad), "--toys", "0", "--masses", "2", "--no-figures"]
    )
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    import re

    assert re.search(message, err), err


def test_fit_xenon1t_json_keys(capsys):
    code = main(
        [
            "fit",
            "--detector",
            "xenon1t-sr1",
            "--signal",
            "magnetic-moment",
            "--interval",
            "two-sided",
            "--statistic",
            "poisson",
            "--toys",
            "0",
            "--json",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    for key in (
        "best_fit",
        "chi2_min",
        "ndof",
        "upper_limit",
        "interval",
        "expected_upper_limit",
        "significance_sigma",
        "unit",
    ):
        assert key in out
    assert out["unit"] == "mu_B" and out["ndof"] == 28
    # published: (1.4, 2.9)e-11 μ_B at 90 % CL, 3.2σ over background-only (arXiv:2006.09721)
    lo, hi = out["interval"]
    assert 1.0e-11 < lo < 1.9e-11 and 2.3e-11 < hi < 3.4e-11
    assert 2.5 < out["significance_sigma"] < 3.8


def test_fit_bad_flags(capsys):
    assert main(["fit", "--detector", "xmass-i", "--signal", "dark-photon", "--toys", "0"]) == 2
    assert "mass" in capsys.readouterr().err
    assert main(["fit", "--detector", "no-such-detector", "--signal", "millicharge"]) == 2
    assert main(["fit", "--detector", "xmass-i", "--signal", "millicharge", "--window", "nope", "--toys", "0"]) == 2
    assert "window" in capsys.readouterr().err


def test_detectors_and_simulate_errors(capsys):
    assert main(["detectors"]) == 0
    out = capsys.readouterr().out
    assert "xmass-i" in out and "RECONSTRUCTION" in out and "xenon1t-sr1" in out
    assert main(["simulate", "--detector", "xmass-i", "--out", "/tmp/x.json"]) == 2
    assert "--seed" in capsys.readouterr().err


def test_search_spec_validation():
    from exonu.searches import SearchSpec

    with pytest.raises(InputError, match="mass"):
        SearchSpec("x", "dark-photon")
    with pytest.raises(InputError, match="unknown signal model"):
        SearchSpec("x", "axion")


def test_fit_neyman_agrees_with_asymptotic_plr_on_xenon1t(capsys):
    """With tens of counts per bin Wilks holds: the toy Neyman limit ≈ the asymptotic PLR one."""
    limits = {}
    for method in ("plr", "neyman"):
        assert (
            main(
                [
                    "fit",
                    "--detector",
                    "xenon1t-sr1",
                    "--signal",
                    "magnetic-moment",
                    "--statistic",
                    "poisson",
                    "--method",
                    method,
                    "--toys",
                    "0",
                    "--seed",
                    "2",
                    "--json",
                ]
            )
            == 0
        )
        limits[method] = json.loads(capsys.readouterr().out)["upper_limit"]
    assert limits["neyman"] == pytest.approx(limits["plr"], rel=0.08)


def _packaged_detector_names(capsys) -> list[str]:
    assert main(["detectors"]) == 0
    return [line.split()[0] for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_reproduce_runs_on_every_packaged_detector(tmp_path, capsys):
    """Issue: `exonu reproduce` must run on every detector `exonu detectors` lists, titles from its config."""
    names = _packaged_detector_names(capsys)
    assert len(names) >= 2
    for name in names:
        out = tmp_path / name
        assert (
            main(
                [
                    "reproduce",
                    "--detector",
                    name,
                    "--out",
                    str(out),
                    "--toys",
                    "0",
                    "--masses",
                    "3",
                    "--dark-photon-toys",
                    "0",
                    "--statistic",
                    "poisson",
                ]
            )
            == 0
        ), name
        res = json.loads((out / "results.json").read_text())
        assert res["detector"]["name"] == name
        # the statistic actually used is recorded, not the default
        assert res["statistic"] == "poisson" and res["magnetic_moment_mub"]["statistic"] == "poisson"
        assert all(d["statistic"] == "poisson" for d in res["dark_photon"])
        assert (out / "report.html").stat().st_size > 10_000
        text = (out / "results.md").read_text()
        assert f"`{name}`" in text
        if res["magnetic_moment_mub"]["published"] is None:  # no published values: none shown, no paper prose
            assert "What the differences mean" not in text and res["published_dark_photon"] == []
    capsys.readouterr()


def fixed_component_detector(tmp_path: Path) -> Path:
    """A copy of the packaged XENON1T SR1 config with an extra background component held fixed
    (``activity_sigma = 0``), the case whose fit vector has fewer normalisations than components."""
    from importlib.resources import files

    data = Path(str(files("exonu") / "data"))
    shutil.copytree(data / "xenon1t_sr1", tmp_path / "xenon1t_sr1")
    (tmp_path / "detectors").mkdir()
    text = (data / "detectors" / "xenon1t_sr1.toml").read_text(encoding="utf-8")
    text = text.replace('name = "xenon1t-sr1"', 'name = "xenon1t-sr1-fixed"', 1)
    signal_sys = text.index("[signal_systematics]")
    fixed = (
        '[[background.components]]\nname = "fixed_flat"\nlabel = "fixed flat component"\nkind = "empirical"\n'
        'decay_kev = 1e6\nrate_per_kg_day_kev = 2e-6\nactivity_sigma = 0.0\ngroup = "other"\n\n'
    )
    path = tmp_path / "detectors" / "fixed.toml"
    path.write_text(text[:signal_sys] + fixed + text[signal_sys:], encoding="utf-8")
    return path


def test_reproduce_with_a_fixed_background_component(tmp_path, capsys):
    """Issue: reproduce crashed ("r must have shape (4,); got (3,)") when a component is fixed."""
    config = fixed_component_detector(tmp_path)
    setup = load_detector(config)
    assert "fixed_flat" in setup.window("low_er").background.names
    out = tmp_path / "out"
    assert (
        main(
            [
                "reproduce",
                "--detector",
                str(config),
                "--out",
                str(out),
                "--toys",
                "0",
                "--masses",
                "3",
                "--dark-photon-toys",
                "0",
            ]
        )
        == 0
    )
    res = json.loads((out / "results.json").read_text())
    assert res["detector"]["name"] == "xenon1t-sr1-fixed" and res["magnetic_moment_mub"]["upper_limit"] > 0
    assert (out / "fig5_fits.png").stat().st_size > 10_000
