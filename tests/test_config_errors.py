"""Config mistakes are one-line errors naming the file and the key (robustness review R3, R4, R17, R18).

Each case mutates a copy of the packaged XENON1T config (or its tables) and checks the ConfigError's
message; the CLI turns it into `exonu: error: …` with exit status 2.
"""

import shutil

import pytest

from exonu.cli import main
from exonu.config import load_detector, packaged_detector_dir
from exonu.errors import ConfigError, ExonuError

PACKAGED = packaged_detector_dir()


@pytest.fixture()
def x1t(tmp_path):
    (tmp_path / "detectors").mkdir()
    shutil.copytree(PACKAGED.parent / "xenon1t_sr1", tmp_path / "xenon1t_sr1")
    cfg = tmp_path / "detectors" / "x1t.toml"
    cfg.write_text((PACKAGED / "xenon1t_sr1.toml").read_text(encoding="utf-8"), encoding="utf-8")
    return cfg


def edit(cfg, old: str, new: str):
    text = cfg.read_text(encoding="utf-8")
    assert old in text, old
    cfg.write_text(text.replace(old, new, 1), encoding="utf-8")
    return cfg


def refused(cfg, pattern: str) -> str:
    with pytest.raises(ConfigError, match=pattern) as info:
        load_detector(cfg)
    msg = str(info.value)
    assert "\n" not in msg and str(cfg) in msg
    return msg


FLUX = 'solar_flux = { pp = 0.006, "7Be" = 0.07 }'


@pytest.mark.parametrize(
    "old,new,pattern",
    [
        # R3: negative, NaN or misspelt solar-flux uncertainties
        (
            FLUX,
            'solar_flux = { pp = -0.5, "7Be" = 0.07 }',
            r"signal_systematics\.solar_flux\.pp.*greater than or equal to 0",
        ),
        (FLUX, 'solar_flux = { pp = nan, "7Be" = 0.07 }', r"signal_systematics\.solar_flux\.pp"),
        (
            FLUX,
            'solar_flux = { pp = 0.006, "7be" = 0.07 }',
            r"signal_systematics\.solar_flux\.7be.*unknown solar source.*'7Be'.*'pp'",
        ),
        # R4: free_in_searches names must be signal models
        (
            "activity_sigma = 0.026",
            'activity_sigma = 0.026\nfree_in_searches = ["magnetic_moment"]',
            r"free_in_searches\.0.*'millicharge', 'magnetic-moment' or 'dark-photon'.*magnetic_moment",
        ),
        (
            "activity_sigma = 0.026",
            'activity_sigma = 0.026\nfree_in_searches = ["no_such_search"]',
            r"free_in_searches\.0",
        ),
        # negative / NaN activity uncertainty
        ("activity_sigma = 0.026", "activity_sigma = -0.1", r"activity_sigma.*greater than or equal to 0"),
        ("activity_sigma = 0.026", "activity_sigma = nan", r"activity_sigma"),
        # R18: TOML types are taken as written
        ("is_reconstruction = false", 'is_reconstruction = "no"', r"is_reconstruction.*valid boolean"),
        ("exposure_tonne_year = 0.6473", 'exposure_tonne_year = "0.6473"', r"exposure\.exposure_tonne_year"),
        ("exposure_tonne_year = 0.6473", "exposure_tonne_year = true", r"exposure\.exposure_tonne_year"),
        ("width_kev = 1.0", 'width_kev = "1"', r"windows\.low_er\.width_kev"),
        # R22: a tiny bin width is refused before anything is allocated
        ("width_kev = 1.0", "width_kev = 0.001", r"windows\.low_er\.width_kev.*2\.9e\+04 bins; at most 10000"),
        ("efficiency_column = 3", 'efficiency_column = "3"', r"efficiency_column"),
        # R17: an exposure that can only be a unit mistake
        ("exposure_tonne_year = 0.6473", "exposure_tonne_year = 1e-300", r"key 'exposure'.*below 0\.001 kg·day"),
        (
            "a_sqrt_kev = 0.3171",
            "a_sqrt_kev = 2e104",
            r"response\.resolution\.linear\.a_sqrt_kev.*less than or equal to 10",
        ),
        # names that must exist
        (
            'response = { efficiency = "efficiency"',
            'response = { effciency = "efficiency"',
            r"signal_systematics\.response.*unknown response systematics \['effciency'\].*'energy_scale'",
        ),
        ('shape = "points"', 'shape = "spline"', r"shape.*'points' or 'histogram'"),
        (
            'shape = "points"           # a digitised curve: straight lines between the points\n',
            "",
            r"components\.0\.table\.shape.*required",
        ),
        ("schema_version = 1", "schema_version = 2", r"schema_version.*reads schema_version 1"),
        ("[data.low_er]", "[data.high_er]", r"key 'data'.*unknown windows \['high_er'\].*'low_er'"),
        (
            'rate_unit = "per_tonne_year_kev"\nshape',
            'rate_unit = "per_tonne_yr_kev"\nshape',
            r"components\.0\.table\.rate_unit",
        ),
    ],
)
def test_bad_config_is_one_line_naming_file_and_key(x1t, old, new, pattern):
    refused(edit(x1t, old, new), pattern)


def test_published_dark_photon_needs_a_mass(x1t):
    edit(x1t, 'search = "magnetic_moment_mub"', 'search = "dark_photon"')
    refused(x1t, r"published\[0\]\.mass_mev")


def test_empty_component_list_is_named(x1t):
    text = x1t.read_text()
    start = text.index("[[background.components]]")
    end = text.index("[signal_systematics]")
    x1t.write_text(text[:start] + "components = []\n" + text[end:])
    refused(x1t, r"background\.components.*at least 1")


def test_unreadable_or_malformed_tables(x1t, tmp_path):
    table = tmp_path / "xenon1t_sr1" / "xenon1t_bkg_model_fig4.dat"
    table.write_bytes(b"\xff\xfe not text")
    refused(x1t, r"background\.components\[0\]\.table.*not UTF-8")
    table.write_text("1.0 2.0\n3.0\n")
    refused(x1t, r"background\.components\[0\]\.table.*line 2 has 1 columns but the first row has 2")
    table.write_text("1.0 abc\n")
    refused(x1t, r"line 1 is not numeric")


def test_histogram_with_irregular_centres_needs_a_width(x1t):
    edit(x1t, 'shape = "points"', 'shape = "histogram"')
    refused(x1t, r"components\[0\]\.table.*not regularly spaced.*give the bin width or the bin edges")


def test_cli_prints_one_line_and_exits_2(x1t, capsys):
    edit(x1t, FLUX, 'solar_flux = { pp = 0.006, "7be" = 0.07 }')
    assert main(["fit", "--detector", str(x1t), "--signal", "magnetic-moment", "--toys", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("exonu: error: ") and err.count("\n") == 1 and "7be" in err


def test_api_arguments_of_the_wrong_type_raise_exonu_errors():
    from exonu.config import read_dataset

    with pytest.raises(ExonuError):
        load_detector(None)
    with pytest.raises(ExonuError):
        read_dataset(None)


def test_special_files_and_long_garbage_are_named_briefly(x1t, tmp_path):
    import os

    if os.path.exists("/dev/zero"):
        edit(x1t, 'table = "../xenon1t_sr1/xenon1t_bkg_model_fig4.dat"', 'table = "/dev/zero"')
        refused(x1t, r"components\[0\]\.table.*/dev/zero not found or not a regular file")
        edit(x1t, 'table = "/dev/zero"', 'table = "../xenon1t_sr1/xenon1t_bkg_model_fig4.dat"')
    data = tmp_path / "xenon1t_sr1" / "data_below_30kev.txt"
    data.write_text("x" * 5000 + "\n")
    msg = refused(x1t, r"data\.low_er\.file.*line 1 is not numeric")
    assert len(msg) < 400


def test_tabulated_spectrum_with_text_is_an_input_error():
    from exonu.detector import TabulatedSpectrum
    from exonu.errors import InputError

    with pytest.raises(InputError, match="must be numbers"):
        TabulatedSpectrum(["a", "b"], [1.0, 2.0])
