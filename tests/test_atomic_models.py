"""Named atomic models, the atomic nuisance and the ab-initio check (docs/physics.md §7 and §18)."""

import json
import re
import shutil

import numpy as np
import pytest

from exonu import atomic
from exonu.ab_initio import (
    millicharge_longitudinal_ratio,
    millicharge_low_q_check,
    photoabsorption_from_k_cm2,
)
from exonu.atomic import AtomicModel, RatioTable, atomic_uncertainty_fraction
from exonu.cli import main
from exonu.config import load_detector, packaged_detector_dir
from exonu.errors import ConfigError, InputError, OutOfRangeError
from exonu.searches import build_binned_model, search_spec
from exonu.spectrum import RecoilSpectrum, differential_rate
from exonu.xsec import MagneticMoment, Millicharge

PACKAGED = packaged_detector_dir()


@pytest.fixture(scope="module")
def rs():
    return RecoilSpectrum()


# -- §18.1 named models ---------------------------------------------------------------------------------


def test_names_and_legacy_names_give_the_same_rates(rs):
    t = [1.0, 2.0, 5.0, 12.0]
    q = Millicharge(1e-12)
    np.testing.assert_array_equal(rs.rate(t, q, atomic_model="steps"), rs.rate(t, q, atomic_model="fea"))
    np.testing.assert_array_equal(rs.rate(t, q, atomic_model="steps+epa"), rs.rate(t, q, atomic_model="rrpa"))
    assert AtomicModel.from_name("steps-dirac-fock+epa") == AtomicModel(binding="dirac-fock", epa=True)
    assert [AtomicModel.from_name(n).name for n in atomic.ATOMIC_MODEL_NAMES[:-1]] == list(
        atomic.ATOMIC_MODEL_NAMES[:-1]
    )


def test_dirac_fock_steps_move_the_rate_only_between_the_two_edges(rs):
    """At 0.68 keV the xraydb M5 edge (676.4 eV) is passed, the Dirac–Fock 3d5/2 (694.9 eV) is not: 26/32."""
    mu = MagneticMoment(1e-11)
    ratio = rs.rate([0.68, 5.0], mu, atomic_model="steps-dirac-fock") / rs.rate([0.68, 5.0], mu, atomic_model="steps")
    assert ratio == pytest.approx([26 / 32, 1.0], rel=1e-12)


def test_the_epa_neutrino_mass_is_a_stated_input_entering_through_its_logarithm(rs):
    t = np.array([1.0, 2.0, 5.0])
    q = Millicharge(1e-12)
    rate = {m: rs.rate(t, q, atomic_model=AtomicModel(epa=True, epa_neutrino_mass_ev=m)) for m in (0.01, 0.1, 1.0)}
    # linear in ln m_ν: a decade up and a decade down move the rate by the same amount
    np.testing.assert_allclose(rate[0.01] - rate[0.1], rate[0.1] - rate[1.0], rtol=1e-9)
    # docs/physics.md §18.2: ±0.144, 0.132, 0.124 at 1, 2, 5 keV
    np.testing.assert_allclose(rate[0.01] / rate[0.1] - 1, [0.144, 0.132, 0.124], atol=0.002)
    # the interaction's own mass is used when the model leaves it open, and the model's wins when given
    own = rs.rate(t, Millicharge(1e-12, epa_neutrino_mass_ev=1.0), atomic_model="steps+epa")
    np.testing.assert_allclose(own, rate[1.0], rtol=1e-12)
    assert AtomicModel(epa=True, epa_neutrino_mass_ev=1.0).describe()["epa_neutrino_mass_ev"] == 1.0


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: AtomicModel.from_name("rpa"), "atomic model must be one of"),
        (lambda: AtomicModel.from_name("ratio-table"), "needs its FILE"),
        (lambda: AtomicModel.from_name("steps", "r.txt"), "needs its FILE"),
        (lambda: AtomicModel(epa_neutrino_mass_ev=0.1), "give it with \\+epa"),
        (lambda: AtomicModel(epa=True, epa_neutrino_mass_ev=-1.0), "epa_neutrino_mass_ev must be"),
        (lambda: differential_rate([5.0], "magnetic-moment", mu_bohr=1e-11, atomic_model="steps+epa"), "millicharge"),
        (lambda: atomic_uncertainty_fraction("millicharge", [1.0], scale=-1.0), "scale must be"),
        (lambda: search_spec("millicharge", atomic_model="free"), "spectrum comparisons only"),
        (lambda: search_spec("millicharge", atomic_uncertainty="on"), "atomic_uncertainty must be"),
    ],
)
def test_bad_atomic_choices_are_one_line_input_errors(call, message):
    with pytest.raises(InputError, match=message) as info:
        call()
    assert "\n" not in str(info.value)


def test_ratio_table_states_its_interaction_and_is_refused_outside_unless_told(tmp_path, rs):
    path = tmp_path / "rrpa.txt"
    path.write_text("# interaction: millicharge\n1.0 2.0\n10.0 4.0\n", encoding="utf-8")
    model = AtomicModel.from_name("ratio-table", path)
    q = Millicharge(1e-12)
    steps = rs.rate([1.0, 5.5, 10.0], q, atomic_model="steps")
    np.testing.assert_allclose(rs.rate([1.0, 5.5, 10.0], q, atomic_model=model), steps * [2.0, 3.0, 4.0])
    with pytest.raises(OutOfRangeError, match="covers 1–10 keV"):
        rs.rate([20.0], q, atomic_model=model)
    lenient = AtomicModel.from_name("ratio-table", path, outside_table="steps")
    np.testing.assert_allclose(rs.rate([20.0], q, atomic_model=lenient), rs.rate([20.0], q, atomic_model="steps"))
    assert lenient.describe()["outside_table"].startswith("plain steps")
    with pytest.raises(InputError, match="for the 'millicharge' interaction, not 'magnetic-moment'"):
        rs.rate([5.0], MagneticMoment(1e-11), atomic_model=model)
    assert RatioTable.from_file(path).interaction == "millicharge"


# -- §18.2 the uncertainty table and the nuisance ----------------------------------------------------------


def test_uncertainty_table_matches_docs_physics_section_18_2():
    t = [0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0]
    np.testing.assert_allclose(
        atomic_uncertainty_fraction("millicharge", t), [0.30, 0.25, 0.20, 0.15, 0.15, 0.15, 0.20]
    )
    np.testing.assert_allclose(atomic_uncertainty_fraction("magnetic-moment", t), [0.14] * 5 + [0.19] * 2)
    np.testing.assert_allclose(atomic_uncertainty_fraction("nsi", t), [0.14] * 5 + [0.19] * 2)
    # linear between nodes, end values held outside, scaled on request
    assert atomic_uncertainty_fraction("contact", [7.5, 0.1, 100.0]).tolist() == pytest.approx([0.165, 0.14, 0.19])
    assert atomic_uncertainty_fraction("millicharge", [1.5], scale=2.0)[0] == pytest.approx(0.45)


@pytest.fixture(scope="module")
def xnt():
    return load_detector("xenonnt-sr0")


def test_every_xenon_fit_carries_the_named_atomic_nuisance(xnt):
    model, tpl = build_binned_model(xnt, search_spec("magnetic-moment"))
    assert "r_atomic" in model.nuisance_names and "atomic" in model.signal_sys_names
    row = model.signal_shape_sys[list(model.signal_sys_names).index("atomic")]
    centres = 0.5 * (xnt.window("low_er").binning.edges_kev[1:] + xnt.window("low_er").binning.edges_kev[:-1])
    # bins well inside a flat part of the table carry its value; the 5–10 keV ramp lies between
    assert row[centres > 12].tolist() == pytest.approx([0.19] * int(np.sum(centres > 12)), abs=0.003)
    assert np.all((row > 0.139) & (row < 0.191))
    assert tpl.atomic["model"]["name"] == "steps"
    assert tpl.atomic["uncertainty"]["parameter"] == "r_atomic"
    off, tpl_off = build_binned_model(xnt, search_spec("magnetic-moment", atomic_uncertainty="off"))
    assert "r_atomic" not in off.nuisance_names and tpl_off.atomic["uncertainty"].startswith("off")


def test_the_xmass_reproduction_keeps_the_papers_own_atomic_systematic():
    xmass = load_detector("xmass-i")
    model, tpl = build_binned_model(xmass, search_spec("millicharge"))
    assert "atomic_model" in model.signal_sys_names and "atomic" not in model.signal_sys_names
    assert tpl.atomic["model"] == {**tpl.atomic["model"], "name": "steps+epa", "epa_neutrino_mass_ev": 0.1}
    on, tpl_on = build_binned_model(xmass, search_spec("millicharge", atomic_uncertainty="default"))
    assert "atomic" in on.signal_sys_names and "atomic_model" not in on.signal_sys_names
    assert tpl_on.atomic["uncertainty"]["replaces"] == ["atomic_model"]


def test_the_atomic_model_comes_from_the_config_unless_the_search_names_one(tmp_path):
    (tmp_path / "detectors").mkdir()
    shutil.copytree(PACKAGED.parent / "xenon1t_sr1", tmp_path / "xenon1t_sr1")
    cfg = tmp_path / "detectors" / "x1t.toml"
    text = (PACKAGED / "xenon1t_sr1.toml").read_text(encoding="utf-8")
    cfg.write_text(
        text.replace(
            '[atomic]\nuncertainty = "default"',
            '[atomic]\nuncertainty = "off"\nmodels = { magnetic-moment = "steps-dirac-fock" }',
        ),
        encoding="utf-8",
    )
    setup = load_detector(cfg)
    model, tpl = build_binned_model(setup, search_spec("magnetic-moment"))
    assert tpl.atomic["model"]["name"] == "steps-dirac-fock" and "atomic" not in model.signal_sys_names
    _, tpl = build_binned_model(setup, search_spec("magnetic-moment", atomic_model="steps"))
    assert tpl.atomic["model"]["name"] == "steps"
    cfg.write_text(
        text.replace('[atomic]\nuncertainty = "default"', '[atomic]\nmodels = { axion = "steps" }'), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="key 'atomic': unknown signal model 'axion'"):
        load_detector(cfg)
    cfg.write_text(text.replace('[atomic]\nuncertainty = "default"', '[atomic]\nuncertainty = "on"'), encoding="utf-8")
    with pytest.raises(ConfigError, match="atomic.uncertainty"):
        load_detector(cfg)


# -- §18.3 the ab-initio K table -------------------------------------------------------------------------


def test_k_table_dipole_limit_is_the_photoabsorption_cross_section():
    """docs/physics.md §18.3: within 10 % of xraydb at 1, 2, 5, 8 keV (an α or 2π slip would be far off)."""
    for t_kev in (1.01, 2.0, 5.04, 8.12):
        ratio = photoabsorption_from_k_cm2(t_kev) / atomic.photoabsorption_cm2_per_atom(t_kev)
        assert 0.9 < ratio < 1.1, t_kev


def test_millicharge_low_q_check_numbers_of_docs_physics_section_18_3():
    r = millicharge_longitudinal_ratio([1.0, 2.0, 3.0])
    np.testing.assert_allclose(r.ratio_to_steps, [3.37, 1.81, 1.28], rtol=0.01)
    np.testing.assert_allclose(r.share_unconverged_q, [0.20, 0.47, 0.65], atol=0.01)
    check = millicharge_low_q_check([1.0, 1.5, 2.0, 2.5, 3.0])
    np.testing.assert_allclose(check.check_over_default, [1.168, 1.146, 1.122, 1.096, 1.067], atol=0.003)
    np.testing.assert_allclose(check.epa / check.steps, [13.18, 8.27, 5.64, 4.10, 3.16], rtol=0.01)


def test_the_check_and_the_neutrino_mass_set_the_millicharge_uncertainty():
    """The table of §18.2 covers (check − 1) ⊕ the m_ν spread at 1–3 keV, without more than 0.05 to spare."""
    t = np.array([1.0, 2.0, 3.0])
    check = millicharge_low_q_check(t)
    spread = millicharge_low_q_check(t, neutrino_mass_ev=0.01)
    default = check.steps + check.epa
    mass_term = (spread.steps + spread.epa) / default - 1
    needed = np.hypot(check.check_over_default - 1, mass_term)
    table = atomic_uncertainty_fraction("millicharge", t)
    assert np.all(table >= needed) and np.all(table - needed < 0.05)


def test_dirac_fock_3d5_2_agrees_with_the_hartree_fock_threshold_of_the_k_table():
    """docs/physics.md §7: the corrected 694.9 eV is within 0.1 % of the K table's 695 eV (its REFERENCE.md)."""
    df = {s.edge: s.binding_kev * 1e3 for s in atomic.xenon_subshells("dirac-fock")}
    assert df["M5"] == pytest.approx(695.0, rel=1e-3) and df["M4"] == pytest.approx(708.0, rel=1e-3)


# -- command line ------------------------------------------------------------------------------------------


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_spectrum_atomic_model_option(capsys, tmp_path):
    base = ("spectrum", "--signal", "millicharge", "--charge-e", "1e-12", "--energies-kev", "1", "2", "5", "--json")
    code, out, _ = run(capsys, *base)
    default = json.loads(out)
    code, out, _ = run(capsys, *base, "--atomic-model", "steps-dirac-fock")
    df = json.loads(out)
    assert code == 0 and default["atomic_model"] == "steps+epa" and df["atomic_model"] == "steps-dirac-fock"
    assert np.all(np.array(default["rate_per_tonne_year_kev"]) > 4 * np.array(df["rate_per_tonne_year_kev"]))
    table = tmp_path / "r.txt"
    table.write_text("0.5 2\n30 2\n", encoding="utf-8")
    code, out, _ = run(capsys, *base, "--atomic-model", "ratio-table", str(table))
    assert np.allclose(json.loads(out)["rate_per_tonne_year_kev"], 2 * np.array(df["rate_per_tonne_year_kev"]))
    code, out, _ = run(capsys, *base, "--atomic-model", "steps+epa", "--epa-neutrino-mass-ev", "1")
    assert json.loads(out)["atomic"]["epa_neutrino_mass_ev"] == 1.0
    for extra, message in [
        (("--atomic-model", "steps", "--epa-neutrino-mass-ev", "1"), "use a \\+epa model"),
        (("--atomic-model", "ratio-table"), "a FILE after 'ratio-table' only"),
        (("--atomic-model", "steps", "--atomic", "fea"), "--atomic-model replaces"),
        (("--ratio-table-outside", "steps"), "needs --atomic-model ratio-table"),
    ]:
        code, _, err = run(capsys, *base, *extra)
        assert code == 2 and err.count("\n") == 1, extra
        assert re.search(message, err), err


def test_fit_names_the_atomic_model_and_nuisance_and_switches_it_off(capsys):
    base = ("fit", "--detector", "xenonnt-sr0", "--signal", "millicharge", "--method", "plr", "--toys", "0", "--json")
    code, out, _ = run(capsys, *base)
    on = json.loads(out)
    code_off, out, _ = run(capsys, *base, "--atomic-uncertainty", "off")
    off = json.loads(out)
    assert code == code_off == 0
    assert on["atomic"]["model"]["name"] == "steps+epa" and "r_atomic" in [n["name"] for n in on["nuisances"]]
    assert not any("atomic" in n for n in off["nuisances"])
    # a 15–25 % signal systematic widens the limits (docs/physics.md §18.4: +2.0 % expected here)
    assert on["expected_upper_limit"] > 1.01 * off["expected_upper_limit"]
    assert on["upper_limit"] > off["upper_limit"]


def test_atomic_row_of_a_sign_changing_excess_stays_within_the_table():
    """An interference excess that changes sign inside a bin (NSI, light mediators) folds to ≈ 0 there;
    the atomic row is the |S|-weighted mean of σ(T), so it stays within the documented table (§18.2)
    instead of blowing up (the log-normal factor (1 + ε)^r needs ε > −1)."""
    from exonu.searches.templates import atomic_uncertainty_row

    window = load_detector("xenonnt-sr0").window("low_er")
    grid = window.response.grid_kev
    excess = np.cos(2 * np.pi * grid / 3.0)  # changes sign every 1.5 keV: some bins fold to ≈ 0
    row = atomic_uncertainty_row(window, "nsi", excess, 1.0)
    table = atomic_uncertainty_fraction("nsi", grid, 1.0)
    assert np.all(row >= table.min() - 1e-12) and np.all(row <= table.max() + 1e-12)
    # a signal of one sign keeps fold(σS)/fold(S)
    positive = np.exp(-grid / 5.0)
    want = window.response.fold(table * positive) / window.response.fold(positive)
    np.testing.assert_allclose(atomic_uncertainty_row(window, "nsi", positive, 1.0), want, rtol=1e-12)
