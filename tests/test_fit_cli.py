"""`exonu fit`: every output says how its limit was made; no limit from a failed fit."""

import json

import numpy as np
import pytest

from exonu.cli import main
from exonu.errors import FitError
from exonu.io import load_detector, write_dataset
from exonu.searches import PAPER_SEARCHES, SearchSpec, build_binned_model, choose_window, run_search
from exonu.stats import best_fit_band, upper_limit

PROVENANCE = ("method", "test_statistic", "threshold", "cl", "sided", "statistic", "n_toys")


@pytest.mark.parametrize("method, sided", [("plr", "one"), ("bayesian", "one"), ("cls", "one"), ("pcl", "one")])
def test_fit_json_says_how_the_limit_was_made(capsys, method, sided):
    assert main(["fit", "--detector", "xmass-i", "--signal", "magnetic-moment", "--method", method, "--toys", "0",
                 "--cl", "0.95", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    for key in PROVENANCE:
        assert key in res, key
    assert res["method"] == method and res["cl"] == 0.95 and res["sided"] == sided and res["n_toys"] == 0
    assert res["expected_asimov_median"] == res["expected_upper_limit"] and res["expected_toy_median"] is None
    if method == "plr":  # Δχ² = Φ⁻¹(0.95)² = 2.706 for a one-sided 95 % limit
        assert res["threshold"] == pytest.approx(2.7055, rel=1e-4)


def test_fit_reports_the_toy_median_beside_the_asimov_median(capsys):
    assert main(["fit", "--detector", "xmass-i", "--signal", "magnetic-moment", "--method", "plr", "--toys", "40",
                 "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["expected_toy_median"] > 0 and res["expected_n_toys"] == 40
    lo, hi = res["expected_band"]
    assert lo < res["expected_toy_median"] < hi


def test_a_band_from_one_toy_is_refused(capsys):
    assert main(["fit", "--detector", "xmass-i", "--signal", "magnetic-moment", "--toys", "1"]) == 2
    assert "n_toys=1 makes no band" in capsys.readouterr().err


def test_no_limit_from_a_failed_fit(tmp_path, capsys):
    setup = load_detector("xmass-i")
    spec = next(s for s in PAPER_SEARCHES if s.key == "magnetic_moment_mub")
    w = setup.window(choose_window(setup, spec))
    model, _ = build_binned_model(setup, spec)
    with pytest.raises(FitError, match="no limit is made"):
        run_search(setup, spec, np.full(model.n_bins, 1e300), n_toys=0)
    path = write_dataset(tmp_path / "huge.csv", np.full(model.n_bins, 1e300), w.binning.edges_kev)
    code = main(["fit", "--detector", "xmass-i", "--signal", "magnetic-moment", "--data", str(path), "--toys", "0",
                 "--json"])
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
