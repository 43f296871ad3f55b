"""One vocabulary from the command line to Python, and nothing ignored or unbounded (issue 24).

Regression tests for the robustness review's D4–D11 reproducers and the new-user review's D1, D15–D18,
D20: each bad input is ONE line ``exonu: error: …`` naming the flag, file or key, with exit status 2,
before any work; legitimate inputs (a byte-order mark, a negative signed parameter) are accepted.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exonu.cli import build_parser, main, report_warnings
from exonu.cli.options import MAX_TOYS, bounded_int, confidence_level, display_unit
from exonu.cli.reference import BEGIN_MARKER, END_MARKER, command_table
from exonu.config import load_detector, read_dataset, write_dataset
from exonu.errors import ConfigError, ExonuError, InputError
from exonu.spectrum import differential_rate

ROOT = Path(__file__).resolve().parents[1]
PACKAGED_DATA = ROOT / "src" / "exonu" / "data"


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line_error(capsys, *argv) -> str:
    """Run ``exonu argv``; it must fail with exactly one ``exonu: error:`` line and exit status 2."""
    try:
        code, _, err = run(capsys, *argv)
    except SystemExit as exc:  # an argparse error
        code, err = exc.code, capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("exonu: error: ") and err.count("\n") == 1, err
    return err


def spectrum_json(capsys, *argv) -> dict:
    code, out, err = run(capsys, "spectrum", *argv, "--energies-kev", "5", "--json")
    assert code == 0, err
    return json.loads(out)


# --- D16/D18: one vocabulary, negative values ------------------------------------------------------------


def test_done_when_spectrum_with_the_python_names(capsys):
    doc = spectrum_json(capsys, "--signal", "magnetic-moment", "--mu-bohr", "1e-11")
    assert doc["signal"] == "magnetic-moment"
    # the same number as the Python call with the same name (differential_rate's docstring: 2.195 at 5 keV)
    assert doc["rate_per_tonne_year_kev"] == pytest.approx([2.195], rel=1e-3)
    assert doc["rate_per_tonne_year_kev"][0] == pytest.approx(
        differential_rate([5], "magnetic-moment", mu_bohr=1e-11)[0]
    )


def test_done_when_negative_charge_radius_is_a_value(capsys):
    doc = spectrum_json(capsys, "--signal", "charge-radius", "--r2-cm2", "-1e-32")
    assert doc["parameters"]["radius2_cm2"] == -1e-32
    # a negative radius lowers the ν_e rate below the SM: destructive interference
    assert doc["rate_per_tonne_year_kev"][0] < 0


@pytest.mark.parametrize(
    ("flag", "signal", "value"),
    [
        ("--eps-l", "nsi", "-1e-1"),
        ("--eps-r", "nsi", "-.2"),
        ("--eps-v", "nsi", "-2E-1"),
        ("--r2-cm2", "charge-radius", "-5e-33"),
    ],
)
def test_negative_signed_parameters_are_values(capsys, flag, signal, value):
    doc = spectrum_json(capsys, "--signal", signal, flag, value)
    assert doc["signal"] == signal


def test_exonu_alone_lists_the_commands(capsys):
    code, out, err = run(capsys)
    assert code == 0 and err == ""
    for name in ("spectrum", "fit", "toys", "scan", "exclusion", "contour", "reproduce"):
        assert name in out


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (("--model", "magnetic-moment", "--mu", "1e-11"), ("--signal", "magnetic-moment", "--mu-bohr", "1e-11")),
        (("--signal", "millicharge", "--q", "5.4e-12"), ("--signal", "millicharge", "--charge-e", "5.4e-12")),
        (
            ("--signal", "nsi", "--eps-l", "0.1", "--nu-flavours", "mu"),
            ("--signal", "nsi", "--eps-l", "0.1", "--flavour", "mu"),
        ),
    ],
)
def test_old_spellings_still_work_and_say_so_once(capsys, old, new):
    code, out_old, err = run(capsys, "spectrum", *old, "--energies-kev", "5", "--json")
    assert code == 0
    notes = err.splitlines()
    assert notes and all(line.startswith("exonu: warning: ") and "old name of" in line for line in notes)
    assert len(notes) == len({line.split()[2] for line in notes})  # each old name once
    assert json.loads(out_old)["rate_per_tonne_year_kev"] == spectrum_json(capsys, *new)["rate_per_tonne_year_kev"]


def test_an_option_and_its_old_name_together_are_refused(capsys):
    err = one_line_error(
        capsys, "spectrum", "--signal", "magnetic-moment", "--mu", "1e-11", "--mu-bohr", "2e-11", "--energies-kev", "5"
    )
    assert "--mu-bohr" in err and "twice" in err


def test_spectrum_without_signal_names_the_flag(capsys):
    assert "--signal" in one_line_error(capsys, "spectrum", "--mu-bohr", "1e-11", "--energies-kev", "5")


def test_python_accepts_the_command_line_names():
    e = [2.0, 5.0]
    assert np.array_equal(
        differential_rate(e, "dark-photon", g=1e-6, mass_mev=1.0),
        differential_rate(e, "dark-photon", coupling=1e-6, mass_mev=1.0),
    )
    assert np.array_equal(
        differential_rate(e, "charge-radius", r2_cm2=-1e-32), differential_rate(e, "charge-radius", radius2_cm2=-1e-32)
    )
    assert np.array_equal(differential_rate(e, "nsi", eps_v=0.2), differential_rate(e, "nsi", eps_l=0.1, eps_r=0.1))
    with pytest.raises(InputError, match="not both"):
        differential_rate(e, "dark-photon", g=1e-6, coupling=1e-6, mass_mev=1.0)


# --- D4: sizes bounded before any work -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["reproduce", "--toys", "0", "--dark-photon-toys", "0", "--no-figures", "--masses", "100000000"], "--masses"),
        (
            ["exclusion", "--detector", "xenon1t-sr1", "--signal", "dark-photon", "--n-masses", "100000000"],
            "--n-masses",
        ),
        (["toys", "--detector", "xmass-i", "--signal", "magnetic-moment", "--n-toys", "10000000000000"], "--n-toys"),
        (
            [
                "toys",
                "--detector",
                "xmass-i",
                "--signal",
                "magnetic-moment",
                "--n-toys",
                "10000000",
                "--chunk-size",
                "1",
            ],
            "--n-toys",
        ),
        (
            [
                "scan",
                "--detector",
                "xmass-i",
                "--signal",
                "magnetic-moment",
                "--n-toys",
                "5",
                "--n-couplings",
                "100000000",
            ],
            "--n-couplings",
        ),
        (
            ["toys", "--detector", "xmass-i", "--signal", "magnetic-moment", "--n-toys", "10", "--jobs", "100000"],
            "--jobs",
        ),
        (["reproduce", "--jobs", "100000"], "--jobs"),
        (
            [
                "fit",
                "--detector",
                "xmass-i",
                "--signal",
                "magnetic-moment",
                "--method",
                "neyman",
                "--belt-toys",
                "1e12",
            ],
            "--belt-toys",
        ),
        (["fit", "--detector", "xmass-i", "--signal", "magnetic-moment", "--toys", "100000000"], "--toys"),
        (
            ["contour", "--detector", "xmass-i", "--signal", "nsi", "--params", "eps_l", "eps_r", "--grid", "100001"],
            "--grid",
        ),
    ],
)
def test_size_options_are_bounded(capsys, tmp_path, argv, flag):
    err = one_line_error(capsys, *argv, "--out", str(tmp_path / "out"))
    assert flag in err
    assert not (tmp_path / "out").exists()  # refused before any work


# --- D5: nothing silently ignored ---------------------------------------------------------------------


def test_belt_toys_with_a_method_without_belt_is_refused(capsys):
    err = one_line_error(
        capsys,
        "fit",
        "--detector",
        "xmass-i",
        "--signal",
        "magnetic-moment",
        "--method",
        "bayesian",
        "--belt-toys",
        "100",
    )
    assert "--belt-toys" in err and "bayesian" in err


def test_exclusion_belt_toys_with_plr_is_refused(capsys, tmp_path):
    err = one_line_error(
        capsys, "exclusion", "--detector", "xenon1t-sr1", "--signal", "dark-photon", "--method", "plr",
        "--belt-toys", "50", "--out", str(tmp_path / "x"),
    )  # fmt: skip
    assert "--belt-toys" in err


def test_scan_n_background_zero_is_refused(capsys, tmp_path):
    err = one_line_error(
        capsys, "scan", "--detector", "xmass-i", "--signal", "magnetic-moment", "--n-toys", "5",
        "--n-background", "0", "--out", str(tmp_path / "s"),
    )  # fmt: skip
    assert "--n-background" in err


@pytest.mark.parametrize(
    "command", [["reproduce"], ["toys", "--detector", "xmass-i", "--signal", "magnetic-moment", "--n-toys", "5"]]
)
def test_empty_out_is_refused(capsys, command):
    assert "--out" in one_line_error(capsys, *command, "--out", "")


def test_reproduce_two_files_for_one_window_is_refused(capsys, tmp_path):
    setup = load_detector("xmass-i")
    window = next(iter(setup.windows.values()))
    counts = np.ones(window.binning.n_bins)
    for name in ("a.txt", "b.txt"):
        write_dataset(tmp_path / name, counts, window.binning.edges_kev, {"simulated": True})
    err = one_line_error(
        capsys, "reproduce", "--toys", "0", "--dark-photon-toys", "0", "--masses", "3", "--no-figures",
        "--data", str(tmp_path / "a.txt"), "--data", str(tmp_path / "b.txt"), "--out", str(tmp_path / "r"),
    )  # fmt: skip
    assert "a.txt" in err and "b.txt" in err and "--data" in err


# --- D6: one CL range ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["scan", "--detector", "xmass-i", "--signal", "magnetic-moment", "--n-toys", "5", "--out", "S"],
        ["fit", "--detector", "xmass-i", "--signal", "magnetic-moment"],
        ["exclusion", "--detector", "xenon1t-sr1", "--signal", "dark-photon", "--out", "X"],
        ["contour", "--detector", "xenon1t-sr1", "--signal", "nsi", "--params", "eps_l", "eps_r", "--out", "C"],
    ],
)
@pytest.mark.parametrize("cl", ["0.3", "0.5", "1", "nan"])
def test_one_cl_range_in_every_command(capsys, argv, cl):
    assert "--cl" in one_line_error(capsys, *argv, "--cl", cl)


# --- D7: counts and exposures beyond physical sense refused at read time -------------------------------


@pytest.mark.parametrize("count", ["1e300", "1e12"])
def test_absurd_count_is_refused_naming_the_file(tmp_path, count):
    path = tmp_path / "huge.txt"
    path.write_text(f"1 2 {count}\n2 3 4\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="huge.txt"):
        read_dataset(path)


def test_export_pyhf_refuses_an_absurd_count(capsys, tmp_path):
    window = load_detector("xenon1t-sr1")
    binning = next(iter(window.windows.values())).binning
    lines = [f"{lo} {hi} 1" for lo, hi in zip(binning.edges_kev[:-1], binning.edges_kev[1:], strict=True)]
    lines[0] = lines[0].rsplit(" ", 1)[0] + " 1e300"
    (tmp_path / "huge.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    err = one_line_error(
        capsys,
        "export-pyhf",
        "--detector",
        "xenon1t-sr1",
        "--data",
        str(tmp_path / "huge.txt"),
        "--out",
        str(tmp_path / "ws.json"),
    )
    assert "huge.txt" in err and not (tmp_path / "ws.json").exists()


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A copy of the packaged data folder (configs with their tables), to mutate."""
    target = tmp_path / "data"
    shutil.copytree(PACKAGED_DATA, target)
    return target


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("e50_kev = 7.8", "e50_kev = -7.8", "e50_kev"),
    ],
)
def test_nonsense_config_values_are_refused_naming_the_key(data_copy, old, new, key):
    toml = data_copy / "detectors" / "xmass_i.toml"
    text = toml.read_text(encoding="utf-8")
    assert old in text
    toml.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(ConfigError, match=key):
        load_detector(toml)


def test_an_exposure_beyond_any_detector_is_refused(data_copy):
    toml = data_copy / "detectors" / "xmass_i.toml"
    text = toml.read_text(encoding="utf-8")
    head, sep, rest = text.partition("[exposure]")
    _body, nxt, tail = rest.partition("\n[")
    toml.write_text(f"{head}{sep}\nexposure_tonne_year = 1e300\n{nxt}{tail}", encoding="utf-8")
    with pytest.raises(ConfigError, match="exposure"):
        load_detector(toml)


# --- D8/D9: the API raises ExonuError, and is not lenient -----------------------------------------------


def test_api_bad_arguments_raise_exonu_errors(tmp_path):
    from exonu.parallel import ModelDescription, run_toys
    from exonu.parallel.store import UnitStore
    from exonu.searches import search_spec
    from exonu.stats import upper_limit

    path = tmp_path / "d.txt"
    path.write_text("1 2 3\n", encoding="utf-8")
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000, encoding="utf-8")
    magnetic = ModelDescription(("xmass-i",), search_spec("magnetic-moment"))
    for call in (
        lambda: read_dataset(path, binning="x"),
        lambda: read_dataset(deep),
        lambda: upper_limit("model"),
        lambda: ModelDescription((), search_spec("magnetic-moment")),
        lambda: run_toys(magnetic, n_toys=5, seed=0, out=None),
        lambda: UnitStore(tmp_path / "store", {"x": object()}),
    ):
        with pytest.raises(ExonuError):
            call()


def test_booleans_are_not_numbers(tmp_path):
    with pytest.raises(InputError):
        differential_rate([True])
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"edges_kev": [1, 2, 3], "counts": [True, 2]}), encoding="utf-8")
    with pytest.raises(ConfigError, match="b.json"):
        read_dataset(path)


def test_negative_event_energy_is_refused(tmp_path):
    binning = next(iter(load_detector("xmass-i").windows.values())).binning
    path = tmp_path / "events.txt"
    path.write_text("5.0\n-3.0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="events.txt"):
        read_dataset(path, binning)


# --- D10: a UTF-8 byte-order mark is not an error ------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "folder"), [("xenon1t_sr1.toml", "xenon1t_sr1"), ("xenonnt_sr0.toml", "xenonnt_sr0")]
)
def test_bom_copies_of_packaged_files_give_the_same_detector(data_copy, config, folder):
    toml = data_copy / "detectors" / config
    original = load_detector(toml)
    tables = sorted((data_copy / folder).glob("*.txt")) + sorted((data_copy / folder).glob("*.dat"))
    for path in (toml, *tables):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    with_bom = load_detector(toml)
    for name, window in original.windows.items():
        assert np.array_equal(window.data_counts, with_bom.window(name).data_counts)
        assert np.array_equal(window.binning.edges_kev, with_bom.window(name).binning.edges_kev)
        assert window.data_counts is not None and window.data_counts.sum() > 0


def test_bom_data_file_reads_as_the_original(tmp_path):
    path = tmp_path / "d.txt"
    write_dataset(path, np.array([3.0, 4.0]), np.array([1.0, 2.0, 3.0]), {"simulated": True})
    bom = tmp_path / "bom.txt"
    bom.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    a, b = read_dataset(path), read_dataset(bom)
    assert np.array_equal(a.counts, b.counts) and np.array_equal(a.edges_kev, b.edges_kev)


# --- D11: messages name the file or flag ---------------------------------------------------------------


def test_non_utf8_argument_file_is_named(capsys, tmp_path):
    binary = tmp_path / "energies.bin"
    binary.write_bytes(b"5\n\xff\xfe\n")
    assert "energies.bin" in one_line_error(capsys, "spectrum", "--signal", "sm", "--energies-kev", f"@{binary}")


def test_bom_argument_file_is_read(capsys, tmp_path):
    energies = tmp_path / "e.txt"
    energies.write_bytes(b"\xef\xbb\xbf5 10\n")
    code, out, _err = run(capsys, "spectrum", "--signal", "sm", "--energies-kev", f"@{energies}", "--json")
    assert code == 0 and json.loads(out)["energies_kev"] == [5.0, 10.0]


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (
            ["exclusion", "--detector", "xenon1t-sr1", "--signal", "dark-photon", "--mass-range", "10", "1"],
            "--mass-range",
        ),
        (["exclusion", "--detector", "xenon1t-sr1", "--signal", "dark-photon", "--n-masses", "1"], "--n-masses"),
        (
            ["scan", "--detector", "xmass-i", "--signal", "dark-photon", "--n-toys", "5", "--n-masses", "1"],
            "--n-masses",
        ),
    ],
)
def test_mass_options_are_named(capsys, tmp_path, argv, flag):
    assert flag in one_line_error(capsys, *argv, "--out", str(tmp_path / "o"))


def test_minus_infinity_energy_is_a_value_refused_by_its_check(capsys):
    err = one_line_error(capsys, "spectrum", "--signal", "sm", "--energies-kev", "-inf")
    assert "energies" in err and "finite" in err


# --- numerical warnings never reach the user as Python warnings -----------------------------------------


def test_numerical_warnings_are_dropped_after_an_error_and_summarised_otherwise(capsys):
    def overflow() -> list[warnings.WarningMessage]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with np.errstate(over="warn"):
                np.exp(np.array([1000.0, 2000.0]))
                np.exp(np.array([1000.0]))
        return caught

    report_warnings(overflow(), failed=True)
    assert capsys.readouterr().err == ""
    report_warnings(overflow(), failed=False)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("exonu: warning: numerical: overflow")


# --- D15: human summaries ------------------------------------------------------------------------------


def test_fit_summary_rounds_the_threshold_and_prints_the_band(capsys):
    code, out, err = run(
        capsys, "fit", "--detector", "xmass-i", "--signal", "magnetic-moment", "--method", "plr", "--toys", "20"
    )
    assert code == 0, err
    assert "threshold Δχ² = 1.642;" in out
    assert "±1σ [" in out and "μ_B" in out


def test_units_fall_back_to_ascii():
    assert display_unit("mu_B", io.TextIOWrapper(io.BytesIO(), encoding="utf-8")) == "μ_B"
    assert display_unit("mu_B", io.TextIOWrapper(io.BytesIO(), encoding="ascii")) == "mu_B"
    assert display_unit("e", io.TextIOWrapper(io.BytesIO(), encoding="ascii")) == "e"


# --- D17 / ux D1: the README ---------------------------------------------------------------------------


def test_readme_command_table_is_the_parsers():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split(BEGIN_MARKER, 1)[1].split(END_MARKER, 1)[0].strip()
    assert block == command_table(), "regenerate it: python -m exonu.cli.reference --write README.md"
    for flag in ("--masses", "--dark-photon-toys", "--no-figures", "--mu-bohr", "--r2-cm2", "--belt-toys"):
        assert f"`[{flag} " in block or f"`[{flag}]`" in block or f"`{flag} " in block, flag


def test_readme_has_no_duplicated_paragraph():
    paragraphs = [" ".join(p.split()) for p in (ROOT / "README.md").read_text(encoding="utf-8").split("\n\n")]
    first_lines = [p[:80] for p in paragraphs if len(p) > 80 and not p.startswith(("|", "```", "<!--"))]
    assert len(first_lines) == len(set(first_lines))


# --- properties of the new entry points ---------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(value=st.floats(allow_nan=False, allow_infinity=False, min_value=-1e-28, max_value=1e-28))
def test_any_signed_float_is_parsed_as_a_value(value):
    parser = build_parser("spectrum")
    args = parser.parse_args(["spectrum", "--signal", "charge-radius", "--r2-cm2", repr(value), "--energies-kev", "5"])
    assert args.r2_cm2 == value


@settings(max_examples=60, deadline=None)
@given(low=st.integers(0, 1000), span=st.integers(0, 1000), value=st.integers(-10_000, 10_000))
def test_bounded_int_accepts_exactly_its_range(low, span, value):
    parse = bounded_int(low, low + span)
    if low <= value <= low + span:
        assert parse(str(value)) == value
    else:
        with pytest.raises(argparse.ArgumentTypeError, match=rf"\[{low}, {low + span}\]"):
            parse(str(value))


@settings(max_examples=60, deadline=None)
@given(cl=st.floats(allow_nan=True, allow_infinity=True))
def test_confidence_level_is_open_half_to_one(cl):
    if 0.5 < cl < 1:
        assert confidence_level(repr(cl)) == cl
    else:
        with pytest.raises(argparse.ArgumentTypeError):
            confidence_level(repr(cl))


@settings(max_examples=30, deadline=None)
@given(g=st.floats(1e-8, 1e-3), mass=st.floats(1e-3, 1e3))
def test_python_alias_g_is_coupling(g, mass):
    assert np.array_equal(
        differential_rate([3.0], "scalar", g=g, mass_mev=mass),
        differential_rate([3.0], "scalar", coupling=g, mass_mev=mass),
    )


def test_toy_bound_is_documented_in_help(capsys):
    with pytest.raises(SystemExit):
        main(["toys", "--help"])
    assert "≤ 1e7" in capsys.readouterr().out and MAX_TOYS == 10_000_000


def test_run_search_refuses_a_negative_seed_even_without_toys():
    from exonu.searches import run_search, search_spec

    with pytest.raises(InputError, match="seed"):
        run_search(load_detector("xmass-i"), search_spec("magnetic-moment"), n_toys=0, seed=-1)


def test_contour_signal_choices_are_the_region_table():
    from exonu.cli.contour import REGION_SIGNALS
    from exonu.searches.contour import REGION_PARAMETERS

    assert set(REGION_SIGNALS) == set(REGION_PARAMETERS)


@settings(max_examples=40, deadline=None)
@given(
    words=st.lists(st.from_regex(r"[A-Za-z0-9.+-]{1,12}", fullmatch=True), min_size=1, max_size=20),
    bom=st.booleans(),
)
def test_argument_files_give_their_words_with_or_without_bom(tmp_path_factory, words, bom):
    from exonu.cli import expand_argument_files

    path = tmp_path_factory.mktemp("at") / "args.txt"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + ("\n".join(words) + "  # a comment\n").encode())
    assert expand_argument_files(["spectrum", f"@{path}", "--json"]) == ["spectrum", *words, "--json"]
