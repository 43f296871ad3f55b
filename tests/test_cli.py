"""The command-line interface, end to end (in-process, through ``exonu.cli.main``)."""

import json

import pytest

from exonu.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_spectrum_json_magnetic_moment(capsys):
    code, out, _ = run(
        capsys,
        "spectrum",
        "--signal",
        "magnetic-moment",
        "--mu-bohr",
        "1e-11",
        "--energies-kev",
        "1",
        "5",
        "10",
        "--json",
    )
    assert code == 0
    d = json.loads(out)
    assert d["energies_kev"] == [1.0, 5.0, 10.0]
    assert d["rate_per_tonne_year_kev"] == pytest.approx([9.318, 2.195, 1.159], rel=0.01)  # docs/physics.md §11.2(a)
    assert d["sm_rate_per_tonne_year_kev"] == pytest.approx([2.467, 2.915, 3.098], rel=0.01)
    assert d["presets"]["solar_model"] == "SFII-GS98" and d["atomic_model"] == "steps"


def test_spectrum_json_dark_photon_and_millicharge_defaults(capsys):
    code, out, _ = run(
        capsys,
        "spectrum",
        "--signal",
        "dark-photon",
        "--g",
        "8.8e-5",
        "--mass-mev",
        "10",
        "--energies-kev",
        "5",
        "--json",
    )
    assert code == 0 and json.loads(out)["rate_per_tonne_year_kev"][0] == pytest.approx(98.87, rel=0.01)
    code, out, _ = run(
        capsys, "spectrum", "--signal", "millicharge", "--charge-e", "5.4e-12", "--energies-kev", "5", "--json"
    )
    d = json.loads(out)
    assert d["atomic_model"] == "steps+epa" and d["atomic"]["epa_neutrino_mass_ev"] == 0.1
    assert 3.5 * 126.8 < d["rate_per_tonne_year_kev"][0] < 6.5 * 126.8
    code, out, _ = run(
        capsys,
        "spectrum",
        "--signal",
        "millicharge",
        "--charge-e",
        "5.4e-12",
        "--atomic",
        "fea",
        "--flavour",
        "e",
        "--energies-kev",
        "5",
        "--json",
    )
    assert json.loads(out)["rate_per_tonne_year_kev"][0] == pytest.approx(0.54 * 126.8, rel=0.01)


def test_spectrum_sm_table(capsys):
    code, out, _ = run(capsys, "spectrum", "--signal", "sm", "--energies-kev", "5")
    assert code == 0 and "2.91" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["spectrum", "--signal", "magnetic-moment", "--energies-kev", "5"], "--mu-bohr"),
        (["spectrum", "--signal", "dark-photon", "--g", "1e-6", "--energies-kev", "5"], "--mass-mev"),
        (["spectrum", "--signal", "sm", "--energies-kev", "-3"], "> 0 keV"),
        (["spectrum", "--signal", "sm", "--energies-kev", "nan"], "finite"),
        (["spectrum", "--signal", "sm", "--solar-model", "nope", "--energies-kev", "5"], "solar model"),
    ],
)
def test_spectrum_bad_input_is_a_message_not_a_traceback(capsys, argv, message):
    code, _out, err = run(capsys, *argv)
    assert code == 2 and message in err and "Traceback" not in err


def test_unknown_model_is_rejected_by_argparse_in_one_line(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["spectrum", "--signal", "axion", "--energies-kev", "5"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("exonu: error: spectrum: argument --signal: invalid choice: 'axion'")


def test_plot_spectra(tmp_path, capsys):
    out = tmp_path / "fig1.png"
    code, _, _ = run(capsys, "plot", "spectra", "--out", str(out))
    assert code == 0 and out.stat().st_size > 20_000


def test_spectrum_user_rrpa_ratio_table(tmp_path, capsys):
    """A user RRPA/FEA table replaces the built-in treatment: FEA × R(T), no extrapolation."""
    table = tmp_path / "ratio.txt"
    table.write_text("# T_keV  RRPA/FEA\n1 6\n20 1\n")
    code, out, _ = run(
        capsys,
        "spectrum",
        "--signal",
        "millicharge",
        "--charge-e",
        "5.4e-12",
        "--rrpa-ratio-file",
        str(table),
        "--energies-kev",
        "5",
        "--json",
    )
    assert code == 0
    ratio_at_5 = 6 + (1 - 6) * (5 - 1) / 19
    assert json.loads(out)["rate_per_tonne_year_kev"][0] == pytest.approx(126.8 * ratio_at_5, rel=0.01)
    code, _, err = run(
        capsys,
        "spectrum",
        "--signal",
        "millicharge",
        "--charge-e",
        "5.4e-12",
        "--rrpa-ratio-file",
        str(table),
        "--energies-kev",
        "30",
    )
    assert code == 2 and "1–20 keV" in err


def test_energies_from_an_at_file(tmp_path, capsys):
    """`--energies-kev @FILE`: one or more energies per line, '#' comments, blank lines; same rates as inline."""
    energies = tmp_path / "energies.txt"
    energies.write_text("# T in keV\n1 5\n\n10  # last\n")
    code, out, _ = run(
        capsys,
        "spectrum",
        "--signal",
        "magnetic-moment",
        "--mu-bohr",
        "1e-11",
        "--energies-kev",
        f"@{energies}",
        "--json",
    )
    assert code == 0
    d = json.loads(out)
    assert d["energies_kev"] == [1.0, 5.0, 10.0]
    assert d["rate_per_tonne_year_kev"] == pytest.approx([9.318, 2.195, 1.159], rel=0.01)  # as in the inline test above


def test_missing_at_file_is_one_line(tmp_path, capsys):
    code = main(["spectrum", "--signal", "sm", "--energies-kev", f"@{tmp_path / 'missing.txt'}"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "missing.txt" in err


def test_binary_at_file_is_one_line(tmp_path, capsys):
    binary = tmp_path / "energies.bin"
    binary.write_bytes(b"5\n\xff\xfe\x00\n")
    code = main(["spectrum", "--signal", "sm", "--energies-kev", f"@{binary}"])
    err = capsys.readouterr().err
    # "not UTF-8" under a UTF-8 locale; a Latin-1 locale decodes the bytes and the float conversion refuses them
    assert code == 2 and err.count("\n") == 1 and ("not UTF-8" in err or "invalid float value" in err)


# --- plot --out (R10), spectrum help units, reproduce --seed --------------------------------------------------


def one_line_error(capsys, *argv) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "", err
    assert err.startswith("exonu: error: ") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize("name", ["fig.xyz", "fig", "fig.PNG.gz"])
def test_plot_refuses_an_unsupported_suffix_before_computing(tmp_path, capsys, name):
    err = one_line_error(capsys, "plot", "spectra", "--out", str(tmp_path / name))
    assert "cannot write a figure as" in err and ".png" in err
    assert list(tmp_path.iterdir()) == []


def test_plot_checks_out_before_the_spectra(tmp_path, capsys, monkeypatch):
    import exonu.output.figures

    def no_spectra(*args, **kwargs):
        raise AssertionError("the spectra were computed before --out was checked")

    monkeypatch.setattr(exonu.output.figures, "plot_signal_spectra", no_spectra)
    (tmp_path / "dir.png").mkdir()
    err = one_line_error(capsys, "plot", "spectra", "--out", str(tmp_path / "dir.png"))
    assert "is a directory" in err


def test_plot_writes_the_format_of_the_suffix_atomically(tmp_path, capsys):
    out = tmp_path / "new" / "fig2.svg"
    code, _, err = run(capsys, "plot", "background", "--detector", "xenonnt-sr0", "--out", str(out))
    assert code == 0, err
    assert out.read_text(encoding="utf-8").lstrip().startswith("<?xml") and "<svg" in out.read_text(encoding="utf-8")
    assert [p.name for p in out.parent.iterdir()] == ["fig2.svg"]  # no temporary file left


def test_spectrum_help_states_units(capsys):
    with pytest.raises(SystemExit):
        main(["spectrum", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for option, unit in (
        ("--mu-bohr", "Bohr magnetons"),
        ("--charge-e", "units of e"),
        ("--g", "dimensionless"),
        ("--mass-mev", "MeV"),
        ("--r2-cm2", "cm²"),
        ("--energies-kev", "keV"),
        ("--eps-l", "dimensionless"),
        ("--sin2w", "dimensionless"),
    ):
        start = text.index(f"{option} ", text.index("options:"))
        assert unit in text[start : start + 200], option


def test_reproduce_refuses_a_negative_seed(tmp_path, capsys):
    err = one_line_error(capsys, "reproduce", "--out", str(tmp_path / "out"), "--seed", "-1")
    assert "--seed must be an integer ≥ 0" in err
    assert not (tmp_path / "out").exists()


def test_fit_help_lists_every_signal(capsys):
    from exonu.searches import SIGNALS

    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    text = capsys.readouterr().out
    for signal in SIGNALS:
        assert signal in text


@pytest.fixture(scope="module")
def small_reproduction():
    """The paper's searches on the XMASS-I reconstruction, Asimov data, no toys, two dark-photon masses."""
    from exonu.config import load_detector
    from exonu.searches import dark_photon_masses, reproduce_paper

    return reproduce_paper(
        load_detector("xmass-i"),
        [],
        seed=0,
        n_toys=0,
        masses_mev=dark_photon_masses(2),
        statistic="chi2",
        dark_photon_toys=0,
    )


def test_results_md_says_how_each_limit_was_made(small_reproduction):
    from exonu.output import results_markdown
    from exonu.output.labels import limit_description

    text = results_markdown(small_reproduction)
    section = text.split("How each limit was made:")[1].split("\n\n", 2)[1]
    for result in small_reproduction.searches.values():
        prov = result.provenance
        line = next(row for row in section.splitlines() if limit_description(result) in row)
        for key in ("method", "test_statistic", "sided", "statistic"):
            assert str(prov[key]) in line, key
        assert "90 % CL" in line and "threshold" in line and "no toys" in line


def test_limit_description_states_the_plr_threshold():
    """One-sided PLR at 95 % CL: Δχ² = Φ⁻¹(0.95)² = 2.706 (arXiv:1007.1727 Eq. 59) is stated with the CL."""
    from exonu.config import load_detector
    from exonu.output.labels import limit_description
    from exonu.searches import run_search, search_spec

    r = run_search(load_detector("xmass-i"), search_spec("magnetic-moment"), method="plr", n_toys=0, cl=0.95)
    text = limit_description(r)
    assert text.startswith("plr: ") and "threshold 2.706;" in text and "95 % CL" in text and "one-sided" in text


def test_fit_figures_carry_the_limit_description(small_reproduction):
    import matplotlib.pyplot as plt

    from exonu.output.figures import plot_search_fit, wrapped
    from exonu.output.labels import limit_description

    result = small_reproduction.searches["magnetic_moment_mub"]
    fig = plot_search_fit(small_reproduction, result, "magnetic moment")
    title = fig.axes[0].get_title()
    footer = [t.get_text() for ax in fig.axes for t in ax.texts]
    plt.close(fig)
    # the title names the search and the method (the detector note wrapped below it, nothing cut off);
    # how the limit was made in a footer under the axes
    assert title.startswith("magnetic moment") and result.method in title
    assert wrapped(limit_description(result), 130) in footer
