"""Configs that point at files in each published form load and fit with no conversion step.

One made-up detector (constant efficiency 1, 1–10 keV in 1 keV bins, 0.5 t·yr) whose background is the
linear spectrum r(E) = 20 + 2E events/(t·yr·keV). Its exact bin integrals are (20 + 2E_c)·1 keV with
E_c the bin centre. The same spectrum is written as points, as a 0.1 keV histogram at bin centres, as a
histogram by edges, as counts per keV for the whole exposure, and as counts per bin; every form must give
the exact integrals (to 1e-12), and the data as an event list or as binned counts with an empty row outside
the window must give the same counts and the same limit.
"""

import json

import numpy as np
import pytest

from cli_helpers import fit_json
from exonu.cli import main
from exonu.config import load_detector, read_dataset, write_dataset
from exonu.errors import ConfigError

EXPOSURE_TY = 0.5
EXPOSURE_KG_DAY = EXPOSURE_TY * 1000 * 365.25
EDGES = np.arange(1.0, 11.0, 1.0)
CENTRES = 0.5 * (EDGES[1:] + EDGES[:-1])


def rate_per_tyk(e):
    return 20.0 + 2.0 * e


EXACT_COUNTS = rate_per_tyk(CENTRES) * 1.0 * EXPOSURE_TY  # linear: the centre value × width is exact

HEAD = f"""schema_version = 1
name = "toy"
description = "toy detector"
is_reconstruction = false
[exposure]
exposure_tonne_year = {EXPOSURE_TY}
[response]
threshold_kev = 0.5
[response.resolution]
model = "linear"
a_sqrt_kev = 0.3
[response.efficiency]
model = "constant"
value = 1.0
[windows.w]
low_kev = 1.0
high_kev = 10.0
width_kev = 1.0
[background]
includes_solar_sm = true
"""


def component(table: str, shape: str, unit: str, extra: str = "") -> str:
    return f"""[[background.components]]
name = "b0"
kind = "table"
table = "{table}"
shape = "{shape}"
rate_unit = "{unit}"
efficiency = "after_efficiency"
activity_sigma = 0.05
{extra}
"""


def write_config(tmp_path, comp: str, data: str = "") -> str:
    path = tmp_path / "toy.toml"
    path.write_text(HEAD + comp + data, encoding="utf-8")
    return path


def test_points_integrate_exactly(tmp_path):
    e = np.array([0.0, 3.7, 10.0])  # nodes that do not fall on bin edges
    np.savetxt(tmp_path / "p.txt", np.c_[e, rate_per_tyk(e)])
    s = load_detector(write_config(tmp_path, component("p.txt", "points", "per_tonne_year_kev")))
    assert np.allclose(s.window("w").background.total, EXACT_COUNTS, rtol=1e-12)


def test_histogram_at_bin_centres_integrates_exactly_and_covers_its_last_half_bin(tmp_path):
    c = np.arange(0.05, 10.0, 0.1)  # 0.1 keV bins at their centres; the last, 9.95, covers 9.9–10.0 keV
    np.savetxt(tmp_path / "h.txt", np.c_[c, rate_per_tyk(c)])
    s = load_detector(write_config(tmp_path, component("h.txt", "histogram", "per_tonne_year_kev")))
    assert np.allclose(s.window("w").background.total, EXACT_COUNTS, rtol=1e-12)
    assert s.extrapolations == ()


def test_histogram_by_edges_in_counts_per_bin(tmp_path):
    lo = np.arange(0.0, 10.0, 0.5)
    counts = rate_per_tyk(lo + 0.25) * 0.5 * EXPOSURE_TY  # events per 0.5 keV bin for the whole exposure
    np.savetxt(tmp_path / "e.txt", np.c_[lo, counts, lo + 0.5])
    comp = component("e.txt", "histogram", "counts_per_bin", "high_edge_column = 2")
    s = load_detector(write_config(tmp_path, comp))
    assert np.allclose(s.window("w").background.total, EXACT_COUNTS, rtol=1e-12)


def test_counts_per_kev_for_the_whole_exposure(tmp_path):
    c = np.arange(0.5, 10.0, 1.0)  # 1 keV centres, with the 0–1 keV row the window does not use
    np.savetxt(tmp_path / "k.txt", np.c_[c, rate_per_tyk(c) * EXPOSURE_TY])
    s = load_detector(write_config(tmp_path, component("k.txt", "histogram", "counts_per_kev")))
    assert np.allclose(s.window("w").background.total, EXACT_COUNTS, rtol=1e-12)


def test_points_table_ending_short_of_the_edge_needs_extend_flat_and_is_reported(tmp_path):
    e = np.array([0.0, 9.88])  # ends 0.12 keV short of the window edge
    np.savetxt(tmp_path / "p.txt", np.c_[e, rate_per_tyk(e)])
    # the error suggests only fixes that keep the result (never extend = "flat", which changes it)
    with pytest.raises(ConfigError, match=r'toy\.toml.*windows\.w.*b0.*covers 0–9\.88 keV.*shape = "histogram"'):
        load_detector(write_config(tmp_path, component("p.txt", "points", "per_tonne_year_kev")))
    s = load_detector(write_config(tmp_path, component("p.txt", "points", "per_tonne_year_kev", 'extend = "flat"')))
    # exact: the linear part up to 9.88 keV plus the end value held over 9.88–10 keV
    r_end = rate_per_tyk(9.88)
    want = EXACT_COUNTS.copy()
    want[-1] = ((20 * 0.88 + (9.88**2 - 81.0)) + r_end * 0.12) * EXPOSURE_TY
    assert np.allclose(s.window("w").background.total, want, rtol=1e-12)
    assert len(s.extrapolations) == 1 and "p.txt covers 0–9.88 keV" in s.extrapolations[0]


def test_event_list_and_binned_counts_with_an_empty_out_of_window_row(tmp_path, capsys):
    rng = np.random.default_rng(1)
    events = rng.uniform(1.0, 10.0, 60)
    np.savetxt(tmp_path / "events.txt", events)
    counts = np.histogram(events, bins=EDGES)[0]
    # binned counts at 1 keV centres with an empty 0–1 keV row, as some releases publish them
    np.savetxt(tmp_path / "binned.txt", np.c_[np.r_[0.5, CENTRES], np.r_[0, counts]], fmt="%g")
    c = np.arange(0.05, 10.0, 0.1)
    np.savetxt(tmp_path / "h.txt", np.c_[c, rate_per_tyk(c)])
    comp = component("h.txt", "histogram", "per_tonne_year_kev")
    s_ev = load_detector(write_config(tmp_path, comp, '[data.w]\nfile = "events.txt"\nformat = "events"\n'))
    cfg_ev = tmp_path / "events.toml"
    cfg_ev.write_text((tmp_path / "toy.toml").read_text())
    s_bin = load_detector(write_config(tmp_path, comp, '[data.w]\nfile = "binned.txt"\nformat = "binned_counts"\n'))
    assert np.array_equal(s_ev.window("w").data.counts, counts)
    assert np.array_equal(s_bin.window("w").data.counts, counts)
    assert s_bin.window("w").data.metadata["ignored_rows"] == ["0.5 keV: 0"]
    assert any("1 row(s)" in n for n in s_bin.notes)
    limits = []
    for cfg in (cfg_ev, tmp_path / "toy.toml"):
        fitted = fit_json(
            capsys, "--detector", str(cfg), "--signal", "magnetic-moment", "--method", "plr", "--statistic", "poisson"
        )
        limits.append(fitted["upper_limit"])
    assert limits[0] == limits[1] and limits[0] > 0


def test_fit_data_flag_reads_an_event_list(tmp_path, capsys):
    events = np.random.default_rng(2).uniform(1.0, 30.0, 1300)
    np.savetxt(tmp_path / "ev.txt", events)
    s = load_detector("xenon1t-sr1")
    ds = read_dataset(tmp_path / "ev.txt", s.window("low_er").binning)
    assert ds.counts.sum() == 1300 and ds.metadata["format"] == "events"
    assert (
        main(
            [
                "fit",
                "--detector",
                "xenon1t-sr1",
                "--signal",
                "magnetic-moment",
                "--toys",
                "0",
                "--json",
                "--data",
                str(tmp_path / "ev.txt"),
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["upper_limit"] > 0
    with pytest.raises(ConfigError, match=r"ev\.txt.*event list.*needs the analysis window"):
        read_dataset(tmp_path / "ev.txt")


def test_one_bin_data_set_round_trips(tmp_path):
    for name in ("one.txt", "one.json"):
        ds = read_dataset(write_dataset(tmp_path / name, [5], [1.0, 2.0]))
        assert ds.counts.tolist() == [5.0] and ds.edges_kev.tolist() == [1.0, 2.0]


def test_ordinary_comments_in_data_files(tmp_path):
    path = write_dataset(tmp_path / "d.txt", [1, 2], [1.0, 2.0, 3.0], {"seed": 3})
    path.write_text("# source: my own run\n# Run 5: good\n" + path.read_text())
    ds = read_dataset(path)
    assert ds.counts.tolist() == [1.0, 2.0] and ds.metadata == {"seed": 3}
