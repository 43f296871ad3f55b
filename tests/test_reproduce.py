"""End to end: `exonu reproduce`, `exonu fit`, `exonu simulate` on reduced settings (seconds)."""

import json
import re
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
    # --toys 0 means no toy ensemble at all: the dark-photon scan too (its default of 40 toys per mass
    # applies only when the searches have toys), and every output says that no band was made
    assert res["toys"]["per_search"] == 0 and res["toys"]["per_dark_photon_mass"] == 0
    assert "No toys" in res["toys"]["note"] and "No toys" in (out / "results.md").read_text()
    assert all(r["expected_band"] is None for r in res["dark_photon"])
    command_line = json.loads((out / "manifest.json").read_text())["command_line"]
    assert command_line[command_line.index("--dark-photon-toys") + 1] == "0"


@pytest.mark.parametrize(
    ("argv", "dark_photon_toys"),
    [(["--toys", "0"], 0), ([], 40), (["--toys", "50"], 40), (["--toys", "0", "--dark-photon-toys", "12"], 12)],
)
def test_dark_photon_toys_follow_toys_unless_given(argv, dark_photon_toys):
    from exonu.cli import build_parser
    from exonu.cli.reproduce import resolve_dark_photon_toys

    args = build_parser("reproduce").parse_args(["reproduce", *argv])
    resolve_dark_photon_toys(args)
    assert args.dark_photon_toys == dark_photon_toys


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


def test_pcl_power_threshold_is_the_reported_band_edge_in_every_output():
    """Issue 25 item 2: the PCL power threshold is the −1σ edge of the band reported beside it (one
    computation of the edge, the same as a PLR run's band with the same toys), and the three PCL fields
    reach the fit JSON, results.json entries, results.md and report.html."""
    from exonu.output.fit_document import search_record
    from exonu.output.html import render_report, single_search_results
    from exonu.output.markdown import results_markdown
    from exonu.output.serialize import provenance, search_entry
    from exonu.searches import run_search, search_spec

    setup = load_detector("xenonnt-sr0")
    spec = search_spec("magnetic-moment")
    pcl = run_search(setup, spec, method="pcl", n_toys=40, seed=3, fixed_aux_band=False)
    plr = run_search(setup, spec, method="plr", n_toys=40, seed=3, fixed_aux_band=False)
    details = pcl.limit_result.details
    assert pcl.expected_detail is not None and pcl.expected_detail.band is not None
    assert details["power_threshold"] == pcl.expected_detail.band["-1sigma"]
    assert pcl.expected_band is not None and plr.expected_band is not None
    fields = pcl.result_fields()
    assert fields["power_threshold"] == pytest.approx(pcl.expected_band[0], rel=1e-12)
    assert fields["power_threshold"] == pytest.approx(plr.expected_band[0], rel=1e-12)
    # the limit is the larger of the unconstrained PLR limit and the threshold, and says which
    assert pcl.observed == pytest.approx(max(fields["unconstrained_limit"], fields["power_threshold"]), rel=1e-12)
    assert fields["power_constrained"] == (fields["unconstrained_limit"] < fields["power_threshold"])
    assert fields["unconstrained_limit"] == pytest.approx(plr.observed, rel=0.02)  # the same PLR limit, its own grid
    keys = ("power_constrained", "unconstrained_limit", "power_threshold")
    for document in (search_record(pcl, setup), search_entry(pcl)):
        assert {k: document[k] for k in keys} == {k: fields[k] for k in keys}
    wrapped = single_search_results(pcl, setup)
    text = results_markdown(wrapped)
    assert f"power_threshold = {fields['power_threshold']:.4g}" in text
    assert f"power_constrained = {str(fields['power_constrained']).lower()}" in text
    html = render_report(wrapped, {}, provenance(wrapped))
    assert f'data-field="power_threshold" data-value="{fields["power_threshold"]!r}"' in html
    assert f'data-field="unconstrained_limit" data-value="{fields["unconstrained_limit"]!r}"' in html
    assert 'data-field="power_constrained"' in html


@pytest.fixture(scope="module")
def xmass_no_toys():
    return reproduce_paper(
        load_detector("xmass-i"), n_toys=0, masses_mev=[1e-3, 10.0], dark_photon_toys=0, progress=False
    )


def test_atomic_on_off_table_equals_separate_searches(xmass_no_toys):
    """Issue 23 item 2: each limit with the atomic nuisance on and off, equal to separate run_search calls;
    XMASS-I keeps the paper's treatment (off) in the run and says so."""
    from dataclasses import replace

    from exonu.output.html import render_report
    from exonu.output.markdown import results_markdown
    from exonu.output.serialize import provenance, results_dict
    from exonu.searches import run_search

    res = xmass_no_toys
    setup = res.setup
    assert list(res.atomic) == [*res.searches, "dark_photon_0.001MeV", "dark_photon_10MeV"]
    for key in ("magnetic_moment_mub", "millicharge_common_e", "dark_photon_10MeV"):
        c = res.atomic[key]
        run = res.searches.get(key) or next(r for r in res.dark_photon if r.spec.key == key)
        assert c.in_run is False  # the paper's own treatment
        assert (c.observed_off, c.expected_off) == (run.observed, run.expected)
        on = run_search(setup, replace(run.spec, atomic_uncertainty="default"), run.model.data, n_toys=0)
        off = run_search(setup, replace(run.spec, atomic_uncertainty="off"), run.model.data, n_toys=0)
        assert (c.observed_on, c.expected_on) == pytest.approx((on.observed, on.expected), rel=1e-9)
        assert (c.observed_off, c.expected_off) == pytest.approx((off.observed, off.expected), rel=1e-9)
        assert c.observed_change == pytest.approx(on.observed / off.observed - 1, rel=1e-9)
        assert "atomic" in on.model.signal_sys_names and "atomic" not in off.model.signal_sys_names
    assert res.atomic["millicharge_common_e"].atomic_model == "steps+epa"
    assert res.atomic["magnetic_moment_mub"].atomic_model == "steps"
    # the nuisance moves the limits: a table of zeros would hide a switch that does nothing
    assert abs(res.atomic["millicharge_common_e"].observed_change) > 0.01
    text = results_markdown(res)
    assert "## Atomic nuisance on and off" in text and "paper's own treatment" in text
    c = res.atomic["magnetic_moment_mub"]
    cells = f"{c.observed_on:.3e} | {c.observed_off:.3e} | {c.observed_change:+.1%}"
    row = f"| magnetic moment [μ_B] | steps | off | {cells} |"
    assert row in text
    html = render_report(res, {}, provenance(res))
    assert 'id="atomic-table"' in html and f"<td>{c.observed_on:.3e}</td>" in html and "paper" in html
    doc = results_dict(res)
    assert doc["atomic_comparison"]["magnetic_moment_mub"]["observed_on"] == c.observed_on
    assert doc["atomic_comparison"]["magnetic_moment_mub"]["nuisance_in_run"] == "off"


@pytest.fixture(scope="module")
def quick_cli_run(tmp_path_factory):
    """`exonu reproduce --quick` with stdout and stderr captured (not terminals)."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp("quick")
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["reproduce", "--quick", "--out", str(out), "--seed", "3"])
    assert code == 0
    return out, stdout.getvalue(), stderr.getvalue()


def test_quick_is_labelled_in_every_output(quick_cli_run):
    """Issue 22 item 6: results.json, results.md, report.html and the figures' captions and footers say quick."""
    from exonu.output.figures_paper import FIGURE_FILES, QUICK_FIGURES

    out, _, _ = quick_cli_run
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert doc["quick"] is True and doc["provenance"]["quick"] is True
    assert doc["magnetic_moment_mub"]["expected_band_fixed_aux"] is None  # not run in a quick look, and shown as —
    assert doc["magnetic_moment_mub"]["expected_band"] and doc["millicharge_common_e"]["expected_band"]
    assert doc["millicharge_nue_e"]["expected_band"] is None  # the flavour bands are cut, and it says so
    assert doc["millicharge_nue_e"]["expected_upper_limit"] > 0 and len(doc["dark_photon"]) == 8
    text = (out / "results.md").read_text(encoding="utf-8")
    assert "**Quick look**" in text and "toy band (40 toys) is made only for millicharge, all flavours" in text
    assert "8 dark-photon masses, the Asimov median only" in text
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="quick-note"' in html
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", html, flags=re.S)
    assert len(captions) == len(QUICK_FIGURES) and all("Quick look" in c for c in captions)
    written = {p.name for p in out.glob("*.png")}
    assert written == set(QUICK_FIGURES) and set(QUICK_FIGURES) < set(FIGURE_FILES)


def test_no_progress_bar_or_phase_line_when_not_a_terminal(quick_cli_run):
    """Phase lines and bars go to stderr only when stdout and stderr are terminals."""
    _, stdout, stderr = quick_cli_run
    for text in (stdout, stderr):
        assert "%|" not in text and "exonu: 5 searches" not in text and "dark-photon mass scan:" not in text
    assert "Warning" not in stderr  # no raw NumPy/Python warning reaches the user


def test_progress_forced_on_shows_a_phase_line_and_a_bar_per_phase(capsys):
    """The same run with progress=True: each phase announces itself and draws its bar (the quiet test's twin)."""
    reproduce_paper(load_detector("xmass-i"), n_toys=0, masses_mev=[1e-3, 10.0], dark_photon_toys=0, progress=True)
    err = capsys.readouterr().err
    for line in ("exonu: 5 searches", "exonu: dark-photon mass scan: 2 masses", "exonu: atomic nuisance on and off"):
        assert line in err
    for bar in ("searches: 100%|", "dark-photon mass scan: 100%|", "atomic on/off: 100%|"):
        assert bar in err


def test_numpy_warnings_become_diagnostics_not_raw_output(recwarn):
    """A floating-point RuntimeWarning inside a search is kept as a `numerical-warning` diagnostic."""
    from exonu.searches.diagnostics import CODES
    from exonu.searches.paper import numerical_warnings

    found = []
    with numerical_warnings(found), np.errstate(divide="warn"):
        np.log(np.zeros(2))
        np.log(np.zeros(2))
    assert [d.code for d in found] == ["numerical-warning"] and "divide by zero" in found[0].message
    assert "numerical-warning" in CODES
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
