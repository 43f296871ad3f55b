"""Detector configs, the packaged detectors, XENON1T SR1 numbers, data-set files, and bad-config errors.

XENON1T reference: 76 ± 2 events/(t·yr·keV) in 1–30 keV and 0.65 t·yr, arXiv:2006.09721 abstract.
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from exonu.config import Dataset, list_detectors, load_detector, packaged_detector_dir, read_dataset, write_dataset
from exonu.errors import ConfigError

PACKAGED = packaged_detector_dir()
X1T_DATA = PACKAGED.parent / "xenon1t_sr1"


def test_list_detectors_names_and_descriptions():
    d = dict(list_detectors())
    assert {"xmass-i", "xenon1t-sr1"} <= set(d)
    assert "RECONSTRUCTION" in d["xmass-i"]


def test_xmass_setup_shape(tmp_path):
    s = load_detector("xmass-i")
    assert s.is_reconstruction and "RECONSTRUCTION" in s.description
    assert len(s.config_hash) == 64
    assert s.exposure_kg_day == pytest.approx(97 * 711)
    full = s.window("full")
    assert full.binning.n_bins == 99 and full.binning.low_kev == 2 and full.binning.high_kev == 200
    assert full.background.templates.shape == (full.background.n_components, 99)
    assert s.window("millicharge").binning.n_bins == 13
    assert full.data is None
    assert load_detector(PACKAGED / "xmass_i.toml").config_hash == s.config_hash


def test_xmass_signal_systematics_named_as_in_paper():
    from exonu.xsec import Millicharge

    w = load_detector("xmass-i").window("millicharge")
    names, frac = w.signal_systematics(Millicharge(5e-12), atomic_model="rrpa")
    assert {
        "scintillation_efficiency",
        "solar_flux_pp",
        "solar_flux_7Be",
        "atomic_model",
        "fiducial_volume",
        "decay_time",
        "optical_properties",
    } <= set(names)
    assert frac.shape == (len(names), 13)
    row = dict(zip(names, frac, strict=False))
    assert np.allclose(row["atomic_model"], 0.05)
    assert np.allclose(row["fiducial_volume"], 0.0)  # only above 30 keV
    assert np.allclose(row["optical_properties"][:8], 0.04) and np.allclose(row["optical_properties"][8:], 0.01)
    assert np.all(row["solar_flux_7Be"] < 0.07) and np.all(row["solar_flux_7Be"] > 0)


def test_xenon1t_background_reproduces_published_76_per_tonne_year_kev():
    s = load_detector("xenon1t-sr1")
    assert not s.is_reconstruction and s.background_includes_solar_sm
    w = s.window("low_er")
    assert np.allclose(w.binning.centres_kev, np.arange(1.5, 30, 1.0))
    per_tyk = w.background.total / (w.exposure_kg_day * w.binning.widths_kev) * 1000 * 365.25
    before_eff = per_tyk / s.detector.efficiency(w.binning.centres_kev)
    assert before_eff.mean() == pytest.approx(76.0, rel=0.05)  # we get 76.2
    assert w.background.activity_sigma()[0] == pytest.approx(2 / 76, rel=0.02)  # published 76 ± 2


def test_xenon1t_data_loads_to_integer_counts():
    s = load_detector("xenon1t-sr1")
    d = s.window("low_er").data
    assert d.counts.sum() == 1261 and d.counts[0] == 26 and d.counts[1] == 61
    assert d.metadata["max_deviation_from_integer"] < 1e-3
    raw = np.loadtxt(X1T_DATA / "data_below_30kev.txt", delimiter=",")
    # with the published (rounded) 0.65 t·yr the counts are within 0.5 % of the integers
    assert np.allclose(raw[:, 1] * 0.65, d.counts, rtol=5e-3)
    assert np.allclose((raw[:, 1] / raw[:, 2]) ** 2, d.counts)


def test_dataset_roundtrip_json_and_text(tmp_path):
    edges = np.arange(2.0, 16.0, 1.0)
    counts = np.arange(13)
    for name in ("d.json", "d.txt"):
        p = write_dataset(tmp_path / name, counts, edges, {"simulated": True, "seed": 3})
        ds = read_dataset(p, load_detector("xmass-i").window("millicharge").binning)
        assert isinstance(ds, Dataset)
        assert np.array_equal(ds.counts, counts) and np.allclose(ds.edges_kev, edges)
        assert ds.metadata["simulated"] is True and ds.metadata["seed"] == 3
    with pytest.raises(ConfigError, match="do not match"):
        read_dataset(tmp_path / "d.json", load_detector("xmass-i").window("full").binning)
    bad = tmp_path / "neg.json"
    bad.write_text(json.dumps({"edges_kev": [1, 2, 3], "counts": [1, -1]}))
    with pytest.raises(ConfigError, match="≥ 0"):
        read_dataset(bad)


# ------------------------------------------------------------------------------------------------
# bad configs: each raises ConfigError naming the file and the key
# ------------------------------------------------------------------------------------------------
@pytest.fixture
def x1t_copy(tmp_path):
    """A copy of the XENON1T config and its tables in a temporary folder, for mutation."""
    det = tmp_path / "detectors"
    det.mkdir()
    shutil.copytree(X1T_DATA, tmp_path / "xenon1t_sr1")
    cfg = det / "x1t.toml"
    cfg.write_text((PACKAGED / "xenon1t_sr1.toml").read_text(encoding="utf-8"), encoding="utf-8")
    return cfg


def _edit(cfg: Path, old: str, new: str) -> Path:
    text = cfg.read_text(encoding="utf-8")
    assert old in text
    cfg.write_text(text.replace(old, new, 1), encoding="utf-8")
    return cfg


def test_copy_loads(x1t_copy):
    assert load_detector(x1t_copy).window("low_er").data.counts.sum() == 1261


def test_missing_table_file(x1t_copy):
    _edit(x1t_copy, 'table = "../xenon1t_sr1/efficiency.txt"', 'table = "../xenon1t_sr1/nope.txt"')
    with pytest.raises(ConfigError, match=r"(?s)x1t\.toml.*response\.efficiency\.table.*not found"):
        load_detector(x1t_copy)


def test_non_monotonic_edges(x1t_copy):
    _edit(x1t_copy, "low_kev = 1.0\nhigh_kev = 30.0\nwidth_kev = 1.0", "edges_kev = [1.0, 3.0, 2.0]")
    with pytest.raises(ConfigError, match=r"(?s)x1t\.toml.*windows\.low_er\.edges_kev.*strictly increasing"):
        load_detector(x1t_copy)


def _rewrite_efficiency(cfg: Path, fn):
    eff = cfg.parent.parent / "xenon1t_sr1" / "efficiency.txt"
    arr = np.loadtxt(eff, delimiter=",")
    fn(arr)
    np.savetxt(eff, arr, delimiter=",")


def test_negative_efficiency(x1t_copy):
    _rewrite_efficiency(x1t_copy, lambda a: a.__setitem__((50, 3), -0.1))
    with pytest.raises(ConfigError, match=r"(?s)x1t\.toml.*response\.efficiency\.table.*efficiency must be ≥ 0"):
        load_detector(x1t_copy)


def test_efficiency_above_one(x1t_copy):
    _rewrite_efficiency(x1t_copy, lambda a: a.__setitem__((50, 3), 1.2))
    with pytest.raises(ConfigError, match=r"(?s)x1t\.toml.*response\.efficiency\.table.*efficiency must be ≤ 1"):
        load_detector(x1t_copy)


def test_unknown_key(x1t_copy):
    _edit(x1t_copy, "grid_step_kev = 0.05", "grid_step_kev = 0.05\ngrid_stepp_kev = 0.1")
    with pytest.raises(ConfigError, match=r"(?s)x1t\.toml.*unknown key 'response\.grid_stepp_kev'"):
        load_detector(x1t_copy)


def test_window_outside_tables(x1t_copy):
    _edit(x1t_copy, "high_kev = 30.0", "high_kev = 40.0")
    with pytest.raises(ConfigError, match=r"(?s)x1t\.toml.*windows\.low_er.*b0.*covers.*30.*keV.*no extrapolation"):
        load_detector(x1t_copy)


def test_wrong_number_of_data_bins(x1t_copy, tmp_path):
    # a data file that lacks a bin of the window: 28 rows inside a 29-bin window is an error naming both
    data = tmp_path / "xenon1t_sr1" / "data_below_30kev.txt"
    data.write_text("\n".join(ln for ln in data.read_text().splitlines() if not ln.startswith("29.5,")) + "\n")
    with pytest.raises(ConfigError, match=r"(?s)x1t\.toml.*data\.low_er.*28 bins inside the window.*has 29"):
        load_detector(x1t_copy)


def test_data_rows_outside_the_window_are_ignored_with_a_note(x1t_copy):
    # a narrower window keeps the 28 rows inside it; the 29.5 keV row is listed, not silently dropped
    _edit(x1t_copy, "high_kev = 30.0", "high_kev = 29.0")
    s = load_detector(x1t_copy)
    d = s.window("low_er").data
    assert d.counts.size == 28 and d.counts[0] == 26 and d.counts[1] == 61
    assert [r.split(" keV")[0] for r in d.metadata["ignored_rows"]] == ["29.5"]
    assert any("data.low_er" in n and "1 row(s)" in n for n in s.notes)
    assert s.provenance()["notes"] == list(s.notes)


def test_negative_counts(x1t_copy, tmp_path):
    data = tmp_path / "xenon1t_sr1" / "data_below_30kev.txt"
    data.write_text(data.read_text().replace("1.5,40.16625653788144", "1.5,-40.16625653788144"))
    with pytest.raises(ConfigError, match=r"(?s)x1t\.toml.*data\.low_er.*negative"):
        load_detector(x1t_copy)


def test_missing_required_key_and_unknown_detector(x1t_copy):
    _edit(x1t_copy, "is_reconstruction = false\n", "")
    with pytest.raises(ConfigError, match=r"(?s)x1t\.toml.*'is_reconstruction' is required"):
        load_detector(x1t_copy)
    with pytest.raises(ConfigError, match="unknown detector"):
        load_detector("no-such-detector")


def test_unbinned_event_list(x1t_copy, tmp_path):
    events = tmp_path / "xenon1t_sr1" / "events.txt"
    events.write_text("# energy_kev\n1.2\n1.7\n5.5\n29.99\n35.0\n0.5\n")
    _edit(
        x1t_copy,
        'file = "../xenon1t_sr1/data_below_30kev.txt"\nformat = "binned_rate"',
        'file = "../xenon1t_sr1/events.txt"\nformat = "unbinned"',
    )
    _edit(x1t_copy, 'value_column = 1\nuncertainty_column = 2\nrate_unit = "per_tonne_year_kev"\n', "")
    d = load_detector(x1t_copy).window("low_er").data
    assert d.counts.sum() == 4 and d.counts[0] == 2 and d.counts[4] == 1 and d.counts[-1] == 1
    assert d.metadata["unbinned_events"] == 6


# ------------------------------------------------------------------------------------------------
# findings of the review: threshold, exposure, one-line messages, non-integer counts
# ------------------------------------------------------------------------------------------------
def test_threshold_above_window_is_rejected(x1t_copy):
    _edit(x1t_copy, "threshold_kev = 0.2", "threshold_kev = 50.0")
    with pytest.raises(ConfigError, match=r"x1t\.toml.*response\.threshold_kev.*low_er"):
        load_detector(x1t_copy)


def test_infinite_exposure_names_the_exposure_key(x1t_copy):
    _edit(x1t_copy, "exposure_tonne_year = 0.6473", "exposure_tonne_year = inf")
    with pytest.raises(ConfigError, match=r"x1t\.toml.*exposure\.exposure_tonne_year.*finite"):
        load_detector(x1t_copy)


def test_validation_errors_are_one_line(x1t_copy):
    _edit(x1t_copy, "grid_step_kev = 0.05", "grid_step_kev = 0.05\ncolour = 'blue'\nflavour = 3")
    with pytest.raises(ConfigError) as exc:
        load_detector(x1t_copy)
    assert "\n" not in str(exc.value) and "colour" in str(exc.value) and "flavour" in str(exc.value)


def test_non_integer_counts_from_rates_are_refused(x1t_copy, tmp_path):
    """A rate that is not an integer count / exposure means a wrong exposure or a damaged file."""
    data = tmp_path / "xenon1t_sr1" / "data_below_30kev.txt"
    data.write_text(data.read_text().replace("1.5,40.16625653788144", "1.5,40.5"))
    with pytest.raises(ConfigError, match=r"data\.low_er.*non-integer.*exposure"):
        load_detector(x1t_copy)
    _edit(x1t_copy, 'format = "binned_rate"', 'format = "binned_rate"\nallow_non_integer_counts = true')
    assert load_detector(x1t_copy).window("low_er").data.counts[0] == pytest.approx(40.5 * 0.6473)


def test_non_integer_counts_in_a_data_file(tmp_path):
    p = tmp_path / "d.json"
    p.write_text(json.dumps({"edges_kev": [2, 4, 6], "counts": [3, 13.6]}))
    with pytest.raises(ConfigError, match="integers"):
        read_dataset(p)
    p.write_text(json.dumps({"edges_kev": [2, 4, 6], "counts": [3, 13.6], "metadata": {"asimov": True}}))
    assert read_dataset(p).counts[1] == 13.6


@pytest.mark.parametrize(
    "detector,search,mass_mev,value,unit",
    [
        # arXiv:2005.11891 §4.2–4.4: 90 % CL upper limits of XMASS-I
        ("xmass-i", "millicharge_common_e", None, 5.4e-12, "e"),
        ("xmass-i", "millicharge_nue_e", None, 7.3e-12, "e"),
        ("xmass-i", "millicharge_numu_e", None, 1.1e-11, "e"),
        ("xmass-i", "millicharge_nutau_e", None, 1.1e-11, "e"),
        ("xmass-i", "magnetic_moment_mub", None, 1.8e-10, "mu_B"),
        ("xmass-i", "dark_photon", 1e-3, 1.3e-6, "dimensionless"),
        ("xmass-i", "dark_photon", 10.0, 8.8e-5, "dimensionless"),
        # arXiv:2006.09721 abstract: μ_ν ∈ (1.4, 2.9)e-11 μ_B at 90 % CL
        ("xenon1t-sr1", "magnetic_moment_mub", None, 2.9e-11, "mu_B"),
        # arXiv:2207.11330: μ_ν < 6.3e-12 μ_B at 90 % CL
        ("xenonnt-sr0", "magnetic_moment_mub", None, 6.3e-12, "mu_B"),
    ],
)
def test_published_values_come_from_the_configs(detector, search, mass_mev, value, unit):
    p = load_detector(detector).published_for(search, mass_mev=mass_mev)
    assert (p.value, p.unit, p.cl, p.mass_mev) == (value, unit, 0.9, mass_mev)
    assert "arXiv:" in p.source and p.method


def test_published_lookup_is_exact_about_the_mass():
    s = load_detector("xmass-i")
    assert s.published_for("dark_photon") is None and s.published_for("dark_photon", 1.0) is None
    assert s.published_for("dark_photon", 10.0 * (1 + 1e-12)).value == 8.8e-5
    assert load_detector("xenon1t-sr1").published_for("magnetic_moment_mub").lower == 1.4e-11
    assert len(s.published) == 7
