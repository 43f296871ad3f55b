"""`exonu fit`: every output says how its limit was made; no limit from a failed fit."""

import json
import os

import numpy as np
import pytest

from cli_helpers import fit_json
from exonu.cli import main
from exonu.config import load_detector, write_dataset
from exonu.errors import FitError
from exonu.searches import PAPER_SEARCHES, SearchSpec, build_binned_model, choose_window, run_search
from exonu.stats import best_fit_band, upper_limit

PROVENANCE = ("method", "test_statistic", "threshold", "cl", "sided", "statistic", "n_toys")


@pytest.mark.parametrize("method, sided", [("plr", "one"), ("bayesian", "one"), ("cls", "one"), ("pcl", "one")])
def test_fit_json_says_how_the_limit_was_made(capsys, method, sided):
    res = fit_json(capsys, "--detector", "xmass-i", "--signal", "magnetic-moment", "--method", method, "--cl", "0.95")
    for key in PROVENANCE:
        assert key in res, key
    assert res["method"] == method and res["cl"] == 0.95 and res["sided"] == sided and res["n_toys"] == 0
    assert res["expected_toy_median"] is None
    if method == "plr":  # Δχ² = Φ⁻¹(0.95)² = 2.706 for a one-sided 95 % limit
        assert res["threshold"] == pytest.approx(2.7055, rel=1e-4)


def test_fit_reports_the_toy_median_beside_the_asimov_median(capsys):
    assert (
        main(
            ["fit", "--detector", "xmass-i", "--signal", "magnetic-moment", "--method", "plr", "--toys", "40", "--json"]
        )
        == 0
    )
    res = json.loads(capsys.readouterr().out)
    assert res["expected_toy_median"] > 0 and res["expected_n_toys"] == 40
    lo, hi = res["expected_band"]
    assert lo < res["expected_toy_median"] < hi


def test_a_band_from_one_toy_is_refused(capsys):
    assert main(["fit", "--detector", "xmass-i", "--signal", "magnetic-moment", "--toys", "1"]) == 2
    assert "n_toys=1 makes no band" in capsys.readouterr().err


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # 1e300 counts overflow on purpose
def test_no_limit_from_a_failed_fit(tmp_path, capsys):
    setup = load_detector("xmass-i")
    spec = next(s for s in PAPER_SEARCHES if s.key == "magnetic_moment_mub")
    w = setup.window(choose_window(setup, spec))
    model, _ = build_binned_model(setup, spec)
    with pytest.raises(FitError, match="no limit is made"):
        run_search(setup, spec, np.full(model.n_bins, 1e300), n_toys=0)
    path = write_dataset(tmp_path / "huge.csv", np.full(model.n_bins, 1e300), w.binning.edges_kev)
    code = main(
        ["fit", "--detector", "xmass-i", "--signal", "magnetic-moment", "--data", str(path), "--toys", "0", "--json"]
    )
    captured = capsys.readouterr()
    assert code == 2 and captured.out == "" and captured.err.startswith("exonu: error:")
    assert len(captured.err.strip().splitlines()) == 1


def test_run_search_cl_and_provenance():
    setup = load_detector("xmass-i")
    spec = next(s for s in PAPER_SEARCHES if s.key == "magnetic_moment_mub")
    r90 = run_search(setup, spec, method="plr", n_toys=0)
    r95 = run_search(setup, spec, method="plr", n_toys=0, cl=0.95)
    assert r95.observed > r90.observed and r95.cl == 0.95
    d = r95.as_dict()
    assert d["cl"] == 0.95 and d["limit_provenance"]["threshold"] == pytest.approx(2.7055, rel=1e-4)


def test_dark_photon_best_fit_band_lies_inside_the_90cl_signal():
    """Fig. 5 of arXiv:2005.11891: the best fit ± 1σ of the dark-photon signal at 1e-3 MeV, from the profile
    (Δχ² = 1 on α ≥ 0), sits inside the 90 % CL limit; a linearisation through α^½ at α = 0 gave a band
    ~10× wider."""
    setup = load_detector("xmass-i")
    spec = SearchSpec("dark_photon_1e-3", "dark-photon", mass_mev=1e-3)
    model, _ = build_binned_model(setup, spec)  # the packaged XMASS-I reconstruction: Asimov data
    central, lo, hi = best_fit_band(model)
    limit = upper_limit(model, 0.9, method="bayesian", expected=False).alpha_limit
    assert central == 0.0 and lo == 0.0
    assert 0.0 < hi < limit
    # Δχ² = 1 against the 90 % one-sided PLR threshold Φ⁻¹(0.9)² = 1.642 on the same profile
    plr = upper_limit(model, 0.9, method="plr", expected=False).alpha_limit
    assert hi < plr


# --- every signal model, joint fits, published values, reports (`exonu fit`) -----------------------------------


def one_line_error(capsys, argv: list[str]) -> str:
    """Run a command that must fail: exit 2, nothing on stdout, exactly one line on stderr."""
    try:
        code = main(argv)
    except SystemExit as exc:  # an argparse error: the same one line and exit status
        code = exc.code
    out, err = capsys.readouterr()
    assert code == 2, err
    assert out == "" and err.startswith("exonu: error: ") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize(
    "options, parameters",
    [
        (
            ("--signal", "light-vector", "--charges", "Lmu-Ltau", "--mass-mev", "10"),
            {"charges": "Lmu-Ltau", "mass_mev": 10.0},
        ),
        (("--signal", "scalar", "--mass-mev", "10"), {"charges": None, "mass_mev": 10.0}),
        (("--signal", "axial-vector", "--mass-mev", "10"), {"mass_mev": 10.0}),
        (("--signal", "pseudoscalar", "--mass-mev", "10"), {"mass_mev": 10.0}),
        (("--signal", "nsi", "--chirality", "V", "--flavour", "mu"), {"chirality": "V", "flavours": ["mu"]}),
        (("--signal", "charge-radius", "--sign", "negative"), {"sign": "negative", "flavours": ["e"]}),
    ],
)
def test_fit_every_model_gives_the_library_limit(capsys, options, parameters):
    """arXiv:2208.02144-style searches on XENONnT SR0: the CLI's limit is run_search's on the spec of the
    same options (no option dropped on the way), finite, with the model parameters in the JSON."""
    from exonu.searches import search_spec

    res = fit_json(capsys, "--detector", "xenonnt-sr0", *options, "--method", "plr")
    for key, value in parameters.items():
        assert res[key] == value, key
    argv = dict(zip(options[::2], options[1::2], strict=False))
    flavour = argv.get("--flavour")
    spec = search_spec(
        argv["--signal"],
        mass_mev=float(argv["--mass-mev"]) if "--mass-mev" in argv else None,
        charges=argv.get("--charges"),
        flavours=None if flavour is None else (flavour,),
        **{k: argv[f"--{k}"] for k in ("chirality", "sign") if f"--{k}" in argv},
    )
    expected = run_search(load_detector("xenonnt-sr0"), spec, method="plr", n_toys=0, statistic=res["statistic"])
    assert res["upper_limit"] == pytest.approx(expected.observed, rel=1e-9)
    assert np.isfinite(res["upper_limit"]) and res["upper_limit"] != 0 and res["fit_valid"]
    assert (res["upper_limit"] < 0) == (res["sign"] == "negative")  # a negative ⟨r²⟩ limit is negative


def test_library_and_command_line_use_the_detector_statistic(capsys):
    """run_search without a statistic uses the detector config's (Poisson for XENONnT SR0, χ² for the XMASS-I
    reconstruction), so it gives the number `exonu fit` prints; an explicit statistic still wins."""
    from exonu.searches import search_spec

    spec = search_spec("magnetic-moment")
    nt = load_detector("xenonnt-sr0")
    assert nt.statistic == "poisson" and load_detector("xmass-i").statistic == "chi2"
    res = fit_json(capsys, "--detector", "xenonnt-sr0", "--signal", "magnetic-moment", "--method", "plr")
    default = run_search(nt, spec, method="plr", n_toys=0)
    poisson = run_search(nt, spec, method="plr", n_toys=0, statistic="poisson")
    chi2 = run_search(nt, spec, method="plr", n_toys=0, statistic="chi2")
    assert res["statistic"] == "poisson" and default.limit_result.statistic == "poisson"
    assert res["upper_limit"] == pytest.approx(default.observed, rel=1e-9)
    assert default.observed == pytest.approx(poisson.observed, rel=1e-12)
    # the two statistics differ by far more than the tolerance on these counts (≈ 19 %), so the test can fail
    assert abs(chi2.observed / poisson.observed - 1) > 0.05


def test_fit_json_carries_the_published_value_of_the_detector_config(capsys):
    """XENONnT SR0 (arXiv:2207.11330): μ_ν < 6.3e-12 μ_B at 90 % CL from a likelihood fit; exonu's Poisson
    PLR limit is within ±15 % of it."""
    res = fit_json(
        capsys, "--detector", "xenonnt-sr0", "--signal", "magnetic-moment", "--method", "plr", "--statistic", "poisson"
    )
    pub = res["published"]
    assert pub["value"] == 6.3e-12 and pub["unit"] == "mu_B" and pub["cl"] == 0.9
    assert "arXiv:2207.11330" in pub["source"] and pub["method"]
    assert abs(res["upper_limit"] / pub["value"] - 1) < 0.15
    assert res["charges"] is None and res["chirality"] is None and res["sign"] == "positive"


def test_fit_flavour_of_the_magnetic_moment_is_a_different_search(capsys):
    """--flavour e for the magnetic moment: only ν_e has the moment. With f_e = 0.54 of the flux the rate
    falls by ≈ 0.54 at fixed μ, so the limit on μ_νe is ≈ 1/√0.54 = 1.36× the common one (arXiv:2005.11891
    §4.2 for the same scaling of the millicharge); no published common value is compared with it."""
    common = fit_json(capsys, "--detector", "xmass-i", "--signal", "magnetic-moment", "--method", "plr")
    nue = fit_json(capsys, "--detector", "xmass-i", "--signal", "magnetic-moment", "--method", "plr", "--flavour", "e")
    assert nue["flavours"] == ["e"] and nue["published"] is None and common["published"] is not None
    assert nue["upper_limit"] / common["upper_limit"] == pytest.approx(1 / np.sqrt(0.54), rel=0.03)


def test_joint_fit_gives_the_combined_and_each_detectors_limit(capsys):
    res = fit_json(
        capsys,
        "--detector",
        "xenonnt-sr0",
        "--detector",
        "xenon1t-sr1",
        "--signal",
        "magnetic-moment",
        "--method",
        "plr",
    )
    assert res["detectors"] == ["xenonnt-sr0", "xenon1t-sr1"] and set(res["per_detector"]) == set(res["detectors"])
    assert "r_solar_flux_pp" in res["shared_parameters"]
    assert res["method"] == "plr" and res["threshold"] == pytest.approx(1.6424, rel=1e-4) and res["sided"] == "one"
    single = fit_json(capsys, "--detector", "xenonnt-sr0", "--signal", "magnetic-moment", "--method", "plr")
    assert res["per_detector"]["xenonnt-sr0"]["upper_limit"] == pytest.approx(single["upper_limit"], rel=1e-6)
    # two experiments together are more sensitive than either alone (Asimov medians)
    assert res["expected_upper_limit"] < min(r["expected_upper_limit"] for r in res["per_detector"].values())
    # each detector is compared with its own published limit (XENON1T SR1: 2.9e-11 μ_B, arXiv:2006.09721)
    one_t = res["per_detector"]["xenon1t-sr1"]
    assert one_t["published"]["value"] == 2.9e-11
    assert one_t["ratio_observed_to_published"] == pytest.approx(one_t["upper_limit"] / 2.9e-11, rel=1e-12)
    assert one_t["ratio_expected_to_published"] == pytest.approx(one_t["expected_upper_limit"] / 2.9e-11, rel=1e-12)


def test_joint_fit_data_files_belong_to_the_named_detector(tmp_path, capsys):
    """Background-only Asimov data given to XENONnT only: its observed limit becomes its expected one,
    while XENON1T keeps its own data."""
    setup = load_detector("xenonnt-sr0")
    spec = next(s for s in PAPER_SEARCHES if s.key == "magnetic_moment_mub")
    model, _ = build_binned_model(setup, spec)
    w = setup.window(choose_window(setup, spec))
    path = write_dataset(tmp_path / "asimov.txt", model.asimov(0.0), w.binning.edges_kev, {"asimov": True})
    res = fit_json(
        capsys,
        "--detector",
        "xenonnt-sr0",
        "--detector",
        "xenon1t-sr1",
        "--signal",
        "magnetic-moment",
        "--method",
        "plr",
        "--data",
        f"xenonnt-sr0={path}",
    )
    nt, one_t = res["per_detector"]["xenonnt-sr0"], res["per_detector"]["xenon1t-sr1"]
    assert nt["upper_limit"] == pytest.approx(nt["expected_upper_limit"], rel=1e-4)
    assert one_t["upper_limit"] != pytest.approx(one_t["expected_upper_limit"], rel=1e-2)
    sources = res["data_sources"]
    assert (
        sources["xenonnt-sr0"] == f"file {os.path.relpath(path)}"
        and sources["xenon1t-sr1"] == "the detector's data set"
    )


def test_fit_report_writes_html(tmp_path, capsys):
    report = tmp_path / "fit.html"
    res = fit_json(capsys, "--detector", "xmass-i", "--signal", "magnetic-moment", "--report", str(report))
    html = report.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") or "<html" in html[:200]
    assert "xmass-i" in html and "data:image/png;base64," in html
    assert f'data-value="{res["upper_limit"]!r}"' in html  # the table holds the fit's limit


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--signal", "magnetic-moment", "--seed", "-1"], "--seed must be an integer ≥ 0"),
        (["--signal", "magnetic-moment", "--method", "neyman", "--belt-toys", "-1"], "--belt-toys"),
        (["--signal", "magnetic-moment", "--method", "cls", "--belt-toys", "100"], "--belt-toys applies"),
        (["--signal", "scalar", "--mass-mev", "10", "--charges", "B-L"], "takes no charges"),
        (["--signal", "light-vector", "--mass-mev", "10"], "needs charges"),
        (["--signal", "light-vector", "--charges", "B-L", "--mass-mev", "-3"], "mass"),
        (["--signal", "dark-photon", "--mass-mev", "10", "--flavour", "e"], "takes no flavours"),
        (["--signal", "magnetic-moment", "--chirality", "R"], "takes no chirality"),
        (["--signal", "magnetic-moment", "--sign", "negative"], "takes no sign"),
        (["--signal", "nsi", "--mass-mev", "1"], "takes no mass_mev"),
        (["--signal", "magnetic-moment", "--detector", "xenonnt-sr0"], "given 2 times"),
        (["--signal", "magnetic-moment", "--detector", "xenon1t-sr1", "--data", "x.txt"], "write --data DETECTOR=PATH"),
        (["--signal", "magnetic-moment", "--data", "xenonnt-sr0=a.txt", "--data", "xenonnt-sr0=b.txt"], "two files"),
        (["--signal", "magnetic-moment", "--detector", "xenon1t-sr1", "--window", "low_er"], "--window"),
    ],
)
def test_fit_bad_input_is_one_line(capsys, argv, message):
    err = one_line_error(capsys, ["fit", "--detector", "xenonnt-sr0", *argv, "--toys", "0"])
    assert message in err


def test_fit_unknown_charge_set_is_one_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["fit", "--detector", "xenonnt-sr0", "--signal", "light-vector", "--charges", "B-L-X", "--mass-mev", "3"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1 and "invalid choice: 'B-L-X'" in err


def test_fit_report_path_is_checked_before_the_fit(tmp_path, capsys, monkeypatch):
    import exonu.searches

    def no_fit(*args, **kwargs):
        raise AssertionError("the fit ran before --report was checked")

    monkeypatch.setattr(exonu.searches, "run_search", no_fit)
    err = one_line_error(
        capsys, ["fit", "--detector", "xmass-i", "--signal", "magnetic-moment", "--report", str(tmp_path)]
    )
    assert "is a directory" in err


def test_fig5_band_is_the_profile_band_inside_the_90cl_signal():
    """Fig. 5 of arXiv:2005.11891 (dark photon, 1e-3 MeV, Asimov data of the XMASS-I reconstruction): the
    ±1σ band of the best fit comes from the profile (exonu.stats.best_fit_band), so its excess over the best
    fit lies inside the 90 % CL signal in every bin (the covariance linearised through α^½ was > 3× wider)."""
    from exonu.output.figures import profile_band
    from exonu.searches import search_spec

    setup = load_detector("xmass-i")
    result = run_search(setup, search_spec("dark-photon", mass_mev=1e-3), n_toys=0)
    central, low, high = profile_band(result)
    alpha90 = (result.observed / result.reference) ** result.spec.alpha_power
    signal90 = result.model.signal(alpha90)
    np.testing.assert_allclose(central, result.model.data, rtol=1e-6)  # Asimov data: the fit is the data
    assert np.all(low <= central) and np.all(central <= high)
    excess = high - central
    assert np.max(excess) > 0 and np.all(excess <= signal90) and np.all(central - low <= signal90)


def test_joint_fit_summary_says_how_the_limits_were_made(capsys):
    code = main(
        [
            "fit",
            "--detector",
            "xenonnt-sr0",
            "--detector",
            "xenon1t-sr1",
            "--signal",
            "magnetic-moment",
            "--method",
            "plr",
            "--toys",
            "0",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    header, *rows = out.splitlines()
    assert "90% CL" in header and "plr" in header and "threshold Δχ² = 1.642" in header and "one-sided" in header
    assert [r.split()[0] for r in rows[1:4]] == ["combined", "xenonnt-sr0", "xenon1t-sr1"]
    # the column of the expected ±1σ band of each limit; --toys 0 gives none, and the table says so
    assert "expected ±1σ" in rows[0]
    assert [r.split()[3] for r in rows[1:4]] == ["–"] * 3


def test_joint_fit_summary_shows_each_expected_band(capsys):
    argv = ["fit", "--detector", "xenonnt-sr0", "--detector", "xenon1t-sr1", "--signal", "magnetic-moment"]
    assert main(argv) == 0
    rows = capsys.readouterr().out.splitlines()[2:5]
    assert main([*argv, "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    bands = [res["expected_band"], *(res["per_detector"][n]["expected_band"] for n in ("xenonnt-sr0", "xenon1t-sr1"))]
    assert all(band is not None for band in bands)
    for row, (lo, hi) in zip(rows, bands, strict=True):
        assert f"[{lo:.3g}, {hi:.3g}]" in row
