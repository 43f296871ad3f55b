"""`exonu inspect DETECTOR`: windows, counts, backgrounds before the fit, parameters and signals, no fit."""

import json

import numpy as np
import pytest

from exonu.cli import main
from exonu.config import load_detector
from exonu.searches import build_binned_model, search_spec
from test_diagnostics import sr0_with_a_histogram_as_events


def inspect_json(capsys, *argv):
    assert main(["inspect", *argv, "--json"]) == 0
    out, err = capsys.readouterr()
    return json.loads(out), err


def test_inspect_lists_windows_components_counts_and_parameters(capsys):
    doc, err = inspect_json(capsys, "xenonnt-sr0")
    assert err == "" and doc["detector"] == "xenonnt-sr0" and doc["warnings"] == []
    (w,) = doc["windows"]
    assert w["name"] == "low_er" and w["n_bins"] == 29 and (w["low_kev"], w["high_kev"]) == (1.0, 30.0)
    assert w["observed_total"] == 433  # the SR0 event list in 1–30 keV (xenonnt_sr0.toml)
    assert sum(w["observed"]) == 433 and len(w["observed"]) == 29
    (b0,) = w["components"]
    assert b0["name"] == "b0" and b0["prior_sigma"] == pytest.approx(0.082)
    # the expected counts are the fit model's background at nominal normalisation
    model, _ = build_binned_model(load_detector("xenonnt-sr0"), search_spec("magnetic-moment"))
    assert b0["expected_counts"] == pytest.approx(float(np.sum(model.background_templates)), rel=1e-12)
    assert [p["name"] for p in w["parameters"]] == ["p_b0"]
    mu = next(s for s in w["signals"] if s["signal"] == "magnetic-moment")
    assert mu["reference_value"] == 1e-10 and mu["counts"] == pytest.approx(float(np.sum(model.signal_templates)))
    assert "efficiency.txt" in doc["extrapolations"][0]


def test_inspect_one_window_of_the_reconstruction(capsys):
    doc, _ = inspect_json(capsys, "xmass-i", "--window", "millicharge")
    (w,) = doc["windows"]
    assert w["name"] == "millicharge" and w["observed_total"] is None  # no public data: Asimov
    names = {c["name"] for c in w["components"]}
    assert {"surface_pb210", "c14", "solar_nu_sm"} <= names
    assert {p["name"] for p in w["parameters"]} >= {"p_c14", "q_surface_geometry_slope"}


def test_inspect_shows_the_checks_that_need_no_fit(tmp_path, capsys):
    path = sr0_with_a_histogram_as_events(tmp_path)
    doc, err = inspect_json(capsys, str(path))
    assert {w["code"] for w in doc["warnings"]} == {"events-look-binned", "counts-vs-background"}
    assert err.count("exonu: warning: ") == 2


def test_inspect_unknown_window_is_one_line(capsys):
    assert main(["inspect", "xenonnt-sr0", "--window", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no window 'nope'" in err
