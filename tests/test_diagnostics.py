"""Diagnostics that catch a misread release: each check fires on a mutated packaged config and stays
silent on the correct one (whose limit does not change)."""

from pathlib import Path

import numpy as np
import pytest

import exonu.data
from exonu.cli import main
from exonu.config import load_detector
from exonu.searches import run_joint_search, run_search, search_spec
from exonu.searches.diagnostics import CODES

DATA = Path(exonu.data.__file__).parent
MU = search_spec("magnetic-moment")


def mutated(tmp_path, toml, replacements, name="mutated.toml"):
    """A copy of a packaged detector config with its table paths made absolute and ``replacements`` applied."""
    text = (DATA / "detectors" / toml).read_text(encoding="utf-8").replace('"../', f'"{DATA.as_posix()}/')
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def codes(result):
    return {w["code"] for w in result.warnings}


def histogram_of_the_event_list(tmp_path):
    """The XENONnT SR0 event list as a 0.25-keV histogram: energy (bin centre), integer count."""
    events = np.loadtxt(DATA / "xenonnt_sr0" / "data_unbinned_1to30kev.txt")
    edges = np.arange(1.0, 30.0001, 0.25)
    counts, _ = np.histogram(events, edges)
    path = tmp_path / "histogram.txt"
    np.savetxt(path, np.column_stack([0.5 * (edges[1:] + edges[:-1]), counts]), fmt=["%.4f", "%d"])
    return path


def sr0_with_a_histogram_as_events(tmp_path):
    """The XENONnT SR0 config with its event list replaced by that list's histogram, still declared as events."""
    hist = histogram_of_the_event_list(tmp_path)
    event_list = f'file = "{DATA.as_posix()}/xenonnt_sr0/data_unbinned_1to30kev.txt"'
    return mutated(tmp_path, "xenonnt_sr0.toml", [(event_list, f'file = "{hist.as_posix()}"')])


@pytest.mark.parametrize(
    "detector, spec",
    [
        ("xenonnt-sr0", MU),
        ("xenon1t-sr1", MU),
        ("xmass-i", MU),
        ("xmass-i", search_spec("millicharge")),
        ("xmass-i", search_spec("dark-photon", mass_mev=1.0)),
    ],
)
def test_packaged_configs_raise_no_warning(detector, spec):
    r = run_search(load_detector(detector), spec, method="plr", n_toys=0)
    assert r.warnings == []


def test_a_copied_config_gives_the_packaged_limit_and_no_warning(tmp_path):
    own = run_search(load_detector("xenonnt-sr0"), MU, method="plr", n_toys=0)
    copy = run_search(load_detector(mutated(tmp_path, "xenonnt_sr0.toml", [])), MU, method="plr", n_toys=0)
    assert copy.observed == own.observed and copy.warnings == []


def test_a_histogram_declared_as_an_event_list_is_caught(tmp_path):
    """Each row of the histogram is read as one event: 116 'events' where 433 were observed."""
    path = sr0_with_a_histogram_as_events(tmp_path)
    r = run_search(load_detector(path), MU, method="plr", n_toys=0)
    assert {"events-look-binned", "counts-vs-background", "normalisation-pulled", "poor-fit"} <= codes(r)
    binned = next(w for w in r.warnings if w["code"] == "events-look-binned")["message"]
    assert "[data.low_er]" in binned and 'format = "binned_counts"' in binned and "116 rows" in binned
    assert str(tmp_path) not in binned  # the file's name, not a machine path


def test_a_rate_unit_off_by_orders_of_magnitude_with_a_free_normalisation_is_caught(tmp_path):
    """B0 read in events/(kg·day·keV) instead of /(t·yr·keV) (× 365 250) and freed: the observed limit
    hardly moves (the normalisation absorbs it) but the expected one does, and both checks fire."""
    path = mutated(
        tmp_path,
        "xenonnt_sr0.toml",
        [
            ('rate_unit = "per_tonne_year_kev"', 'rate_unit = "per_kg_day_kev"'),
            ("activity_sigma = 0.082", "activity_sigma = inf"),
        ],
    )
    r = run_search(load_detector(path), MU, method="plr", n_toys=0)
    assert {"counts-vs-background", "normalisation-range"} <= codes(r)
    b0 = next(p for p in r.nuisances if p["name"] == "p_b0")
    assert b0["prior_sigma"] is None and b0["value"] == pytest.approx(1 / 365250, rel=0.2)
    message = next(w for w in r.warnings if w["code"] == "normalisation-range")["message"]
    assert '[[background.components]] name = "b0"' in message and "rate_unit" in message


def test_a_constrained_normalisation_far_from_its_prior_is_caught(tmp_path):
    """B0 in the wrong unit but still constrained (8.2 %): the fit pulls it by far more than 3σ."""
    path = mutated(tmp_path, "xenonnt_sr0.toml", [('rate_unit = "per_tonne_year_kev"', 'rate_unit = "per_kg_day_kev"')])
    r = run_search(load_detector(path), MU, method="plr", n_toys=0)
    assert "normalisation-pulled" in codes(r)


def test_non_integer_counts_are_caught(tmp_path):
    """XENON1T's binned rates turned into counts with a wrong exposure, allowed by allow_non_integer_counts."""
    path = mutated(
        tmp_path,
        "xenon1t_sr1.toml",
        [
            ("exposure_tonne_year = 0.6473", "exposure_tonne_year = 0.6"),
            (
                'rate_unit = "per_tonne_year_kev"\ndescription = "SR1',
                'rate_unit = "per_tonne_year_kev"\nallow_non_integer_counts = true\ndescription = "SR1',
            ),
        ],
    )
    r = run_search(load_detector(path), MU, method="plr", n_toys=0)
    assert "counts-not-integer" in codes(r)
    assert "[data.low_er]" in next(w for w in r.warnings if w["code"] == "counts-not-integer")["message"]


def test_the_joint_fit_names_the_detector_of_each_warning(tmp_path):
    path = sr0_with_a_histogram_as_events(tmp_path)
    r = run_joint_search([load_detector("xenon1t-sr1"), load_detector(path)], MU, method="plr", n_toys=0)
    found = {w["code"]: w["message"] for w in r.warnings}
    assert found["events-look-binned"].startswith("xenonnt-sr0: ")
    assert found["counts-vs-background"].startswith("xenonnt-sr0: ")
    clean = run_joint_search([load_detector("xenon1t-sr1"), load_detector("xenonnt-sr0")], MU, method="plr", n_toys=0)
    assert clean.warnings == []


def test_warnings_reach_stderr_and_the_json(tmp_path, capsys):
    import json

    path = sr0_with_a_histogram_as_events(tmp_path)
    assert (
        main(
            ["fit", "--detector", str(path), "--signal", "magnetic-moment", "--method", "plr", "--toys", "0", "--json"]
        )
        == 0
    )
    out, err = capsys.readouterr()
    doc = json.loads(out)
    stderr_lines = [line for line in err.splitlines() if line.startswith("exonu: warning: ")]
    assert len(stderr_lines) == len(doc["warnings"]) >= 3
    assert all(w["code"] in CODES for w in doc["warnings"])


def test_a_bin_centre_table_read_as_points_is_told_to_use_histogram(tmp_path):
    """B0 of XENONnT is a histogram given by its bin centres (0.05 … 29.95 keV). Read as points it does not
    reach the window's edge; the error must suggest the form that keeps the result (shape = "histogram"),
    never one that changes it (extend = "flat")."""
    from exonu.errors import ConfigError

    path = mutated(tmp_path, "xenonnt_sr0.toml", [('shape = "histogram"', 'shape = "points"')])
    with pytest.raises(ConfigError, match='set shape = "histogram"') as err:
        load_detector(path)
    assert "extend" not in str(err.value)


def test_a_background_rate_ten_percent_off_shows_in_the_pull(tmp_path):
    """B0 read 10 % high under a 5 % prior: no check fires, but the pull moves. The fit combines the data's
    measurement of B0's scale (1/1.1, to √433/433 = 4.8 %) with the prior (1 ± 5 %): weight
    w = 4.8⁻²/(4.8⁻² + 5⁻²) = 0.52 on the data, so p̂ moves by −0.091 w = −0.047, the pull by −0.047/0.05 ≈ −0.95,
    and the fit's statistic rises (the goodness of fit gets worse)."""
    table = np.loadtxt(DATA / "xenonnt_sr0" / "bkg_model.txt")
    table[:, 1] *= 1.1
    np.savetxt(tmp_path / "b0_high.txt", table)
    original = f'"{DATA.as_posix()}/xenonnt_sr0/bkg_model.txt"'
    right = mutated(tmp_path, "xenonnt_sr0.toml", [("activity_sigma = 0.082", "activity_sigma = 0.05")], "right.toml")
    high = mutated(
        tmp_path,
        "xenonnt_sr0.toml",
        [("activity_sigma = 0.082", "activity_sigma = 0.05"), (original, f'"{(tmp_path / "b0_high.txt").as_posix()}"')],
        "high.toml",
    )
    fits = [run_search(load_detector(p), MU, method="plr", n_toys=0) for p in (right, high)]
    pulls = [next(p["pull"] for p in r.nuisances if p["name"] == "p_b0") for r in fits]
    assert pulls[1] - pulls[0] == pytest.approx(-0.95, abs=0.25)
    assert fits[1].gof["statistic"] > fits[0].gof["statistic"] + 0.5
