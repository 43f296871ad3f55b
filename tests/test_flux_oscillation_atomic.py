"""Solar sources (docs/physics.md §8), flavour content (§9) and xenon atomic data (§5.3, §7)."""

import numpy as np
import pytest
from scipy import integrate

from exonu import atomic
from exonu.errors import ConfigError, InputError, OutOfRangeError
from exonu.flux import PEP_LINE_KEV, SOURCES, SolarFlux, SolarSource, allowed_beta_plus_shape
from exonu.oscillation import ConstantFlavourContent, MSWFlavourContent, flavour_content, survival_probability_msw
from exonu.presets import MIXING, SOLAR_MODELS


@pytest.mark.parametrize("name, mean_mev", [("pp", 0.2667), ("13N", 0.7066), ("15O", 0.996), ("17F", 0.999)])
def test_beta_shapes_normalised_and_mean_energy(name, mean_mev):
    """⟨E⟩ of the allowed β⁺ shapes agree with Bahcall's tables (docs/physics.md §8.1)."""
    s = SOURCES[name]
    e = np.linspace(0, s.endpoint_kev, 100001)
    p = s.pdf(e)
    assert integrate.trapezoid(p, e) == pytest.approx(1.0, abs=1e-6)
    assert integrate.trapezoid(p * e, e) / 1e3 == pytest.approx(mean_mev, rel=2e-3)


@pytest.mark.parametrize("name", ["8B", "hep"])
def test_tables_renormalised(name):
    s = SOURCES[name]
    e = np.linspace(0, s.endpoint_kev, 200001)
    assert integrate.trapezoid(s.pdf(e), e) == pytest.approx(1.0, rel=1e-4)


def test_lines_and_presets():
    assert SOURCES["7Be"].lines == ((861.8, 0.897), (384.3, 0.103))
    assert pytest.approx(1442.2, abs=0.1) == PEP_LINE_KEV
    f = SolarFlux()
    assert f.sources == ("pp", "7Be")  # the paper's default
    assert f.flux_per_cm2_s("pp") == 5.98e10 and f.flux_per_cm2_s("7Be") == 5.00e9
    assert f.relative_uncertainty("pp") == 0.006 and f.relative_uncertainty("7Be") == 0.07
    assert SOLAR_MODELS["B16-GS98"].fluxes_per_cm2_s["7Be"] == 4.93e9
    assert SOLAR_MODELS["B16-AGSS09met"].fluxes_per_cm2_s["8B"] == 4.50e6
    for preset in SOLAR_MODELS.values():
        assert "arXiv" in preset.citation


def test_bad_flux_inputs():
    with pytest.raises(InputError, match="unknown solar model"):
        SolarFlux("SSM-2099")
    with pytest.raises(InputError, match="unknown solar source"):
        SolarFlux(sources=("pp", "9Li"))


def test_constant_flavour_content_is_the_papers():
    f = ConstantFlavourContent().fractions(np.array([100.0, 800.0]))
    np.testing.assert_allclose(f[:, 0], [0.54, 0.23, 0.23])
    assert f.shape == (3, 2)


@pytest.mark.parametrize(
    "source, e_kev, pee",
    [
        ("pp", 267.0, 0.546),
        ("pp", 420.0, 0.542),
        ("7Be", 384.3, 0.540),
        ("7Be", 861.8, 0.525),
        ("pep", 1442.0, 0.510),
        ("8B", 10000.0, 0.316),
    ],
)
def test_msw_survival_probability_physics_sheet_section_9(source, e_kev, pee):
    """docs/physics.md §9 table, last column (NuFIT 5.0; n_e 70/90/80/100 N_A for pp/7Be/pep/8B), to ±0.005."""
    f = MSWFlavourContent().fractions(e_kev, source)
    assert f[0] == pytest.approx(pee, abs=0.005)
    assert f.sum() == pytest.approx(1.0)


def test_msw_vacuum_limit():
    from exonu.oscillation import survival_probability_msw
    from exonu.presets import MIXING

    assert survival_probability_msw(1e-3, 70.0, MIXING["NuFIT-5.0-NO"]) == pytest.approx(0.552, abs=0.001)


def test_flavour_content_by_name():
    assert isinstance(flavour_content("msw"), MSWFlavourContent)
    with pytest.raises(InputError, match="flavour-content"):
        flavour_content("sterile")


@pytest.mark.parametrize(
    "t_kev, zeff", [(0.5, 26), (1.0, 40), (2.0, 44), (5.0, 48), (10.0, 52), (34.0, 52), (35.0, 54), (300.0, 54)]
)
def test_zeff_xraydb_physics_sheet_section_7(t_kev, zeff):
    assert atomic.effective_electrons(t_kev) == zeff


def test_zeff_steps_at_each_edge_and_dirac_fock_set():
    for binding in ("xraydb", "dirac-fock"):
        shells = atomic.xenon_subshells(binding)
        assert len(shells) == 17 and sum(s.electrons for s in shells) == 54
        counts = [atomic.effective_electrons(s.binding_kev * 1.0001, binding) for s in shells]
        assert counts[-1] == 54 and np.all(np.diff(counts) > 0)
    df = {s.edge: s.binding_kev for s in atomic.xenon_subshells("dirac-fock")}
    assert df["K"] == pytest.approx(34.759) and df["L3"] == pytest.approx(4.8356)
    with pytest.raises(InputError):
        atomic.xenon_subshells("hartree")


def test_photoabsorption_physics_sheet_section_5_3():
    """σ_γ(Xe) from xraydb/Elam: 1.38e5 b at 5 keV, 3.6e4 b at 10 keV, 1.8e3 b at 30 keV."""
    barn = 1e-24
    np.testing.assert_allclose(
        atomic.photoabsorption_cm2_per_atom([5.0, 10.0, 30.0]) / barn, [1.38e5, 3.6e4, 1.8e3], rtol=0.03
    )
    with pytest.raises(OutOfRangeError, match="0.1"):
        atomic.photoabsorption_cm2_per_atom(0.05)


def test_ratio_table_file(tmp_path):
    p = tmp_path / "r.txt"
    p.write_text("# T ratio\n1 3\n10 2\n")
    r = atomic.RatioTable.from_file(p)
    assert r(5.5) == pytest.approx(2.5)
    with pytest.raises(OutOfRangeError, match="1–10 keV"):
        r(20.0)
    bad = tmp_path / "bad.txt"
    bad.write_text("1 3\n0.5 2\n")
    with pytest.raises(ConfigError, match="increasing"):
        atomic.RatioTable.from_file(bad)
    with pytest.raises(ConfigError, match="not found"):
        atomic.RatioTable.from_file(tmp_path / "missing.txt")


@pytest.mark.parametrize(
    "e_kev, p70, p100",
    [
        (267.0, 0.546, 0.543),
        (420.0, 0.542, 0.538),
        (384.0, 0.543, 0.539),
        (862.0, 0.531, 0.522),
        (1442.0, 0.516, 0.499),
        (10000.0, 0.340, 0.316),
    ],
)
def test_msw_full_table_physics_sheet_section_9(e_kev, p70, p100):
    """Every entry of the docs/physics.md §9 table (NuFIT 5.0 NO; n_e = 70 and 100 N_A cm⁻³), ±0.005."""
    from exonu.oscillation import survival_probability_msw
    from exonu.presets import MIXING

    mixing = MIXING["NuFIT-5.0-NO"]
    assert survival_probability_msw(e_kev, 70.0, mixing) == pytest.approx(p70, abs=0.005)
    assert survival_probability_msw(e_kev, 100.0, mixing) == pytest.approx(p100, abs=0.005)


# --- bad API arguments: an InputError naming the argument, never TypeError/ValueError/NaN -------------

_MIXING = "NuFIT-5.0-NO"
BAD_CALLS = {
    "solar model not a string": (lambda: SolarFlux(["SFII-GS98"]), "unknown solar model"),
    "sources given as one string": (lambda: SolarFlux(sources="pp"), "sequence of source names"),
    "sources not iterable": (lambda: SolarFlux(sources=5), "sequence of source names"),
    "empty source list": (lambda: SolarFlux(sources=[]), "at least one source"),
    "source not a string": (lambda: SolarFlux(sources=[["pp"]]), "unknown solar source"),
    "flux of an unknown source": (lambda: SolarFlux().flux_per_cm2_s("9Li"), "unknown solar source '9Li'"),
    "uncertainty of None": (lambda: SolarFlux().relative_uncertainty(None), "unknown solar source None"),
    "source with a negative endpoint": (
        lambda: SolarSource("x", -1.0, lines=((1.0, 1.0),)),
        "endpoint_kev must be > 0",
    ),
    "source line with branching > 1": (lambda: SolarSource("x", 10.0, lines=((5.0, 1.5),)), "branching must be ≤ 1"),
    "continuum source without shape": (lambda: SolarSource("x", 10.0), "callable shape"),
    "pdf at NaN": (lambda: SOURCES["pp"].pdf(np.nan), "e_nu_kev must be finite"),
    "pdf of a string": (lambda: SOURCES["pp"].pdf("100"), "e_nu_kev must be numbers"),
    "beta shape, negative endpoint": (lambda: allowed_beta_plus_shape(1.0, -1.0, 1), "endpoint_kev must be > 0"),
    "beta shape, fractional Z": (lambda: allowed_beta_plus_shape(1.0, 400.0, 1.5), "daughter_z must be an integer"),
    "flavour preset not a string": (lambda: ConstantFlavourContent(["XMASS-2020"]), "unknown flavour-content preset"),
    "constant fractions at NaN": (lambda: ConstantFlavourContent().fractions(np.nan), "finite"),
    "constant fractions at E < 0": (lambda: ConstantFlavourContent().fractions(-1.0), "≥ 0"),
    "MSW even_mu_tau not a bool": (lambda: MSWFlavourContent(even_mu_tau="yes"), "even_mu_tau"),
    "MSW unknown source": (lambda: MSWFlavourContent().fractions(100.0, "9Li"), "unknown solar source"),
    "MSW at infinity": (lambda: MSWFlavourContent().fractions(np.inf), "finite"),
    "P_ee with a mixing name, not a preset": (lambda: survival_probability_msw(100.0, 70.0, _MIXING), "MixingPreset"),
    "P_ee with a negative density": (
        lambda: survival_probability_msw(100.0, -1.0, MIXING[_MIXING]),
        "electron_density_na_cm3 must be ≥ 0",
    ),
    "flavour-content model None": (lambda: flavour_content(None), "unknown flavour-content model"),
    "binding set not a string (cached function)": (lambda: atomic.xenon_subshells(["xraydb"]), "binding-energy set"),
    "Z_eff at NaN": (lambda: atomic.effective_electrons(np.nan), "t_kev must be finite"),
    "Z_eff of a string": (lambda: atomic.effective_electrons("5"), "t_kev must be numbers"),
    "Z_eff at T < 0": (lambda: atomic.effective_electrons(-1.0), "t_kev must be ≥ 0"),
    "photoabsorption at NaN": (lambda: atomic.photoabsorption_cm2_per_atom(np.nan), "photon_kev must be finite"),
    "photoabsorption of None": (lambda: atomic.photoabsorption_cm2_per_atom(None), "photon_kev must be an array"),
    "ratio table with a NaN ratio": (
        lambda: atomic.RatioTable(np.array([1.0, 2.0]), np.array([1.0, np.nan])),
        "ratio column must be finite",
    ),
    "ratio table with T decreasing": (lambda: atomic.RatioTable([2.0, 1.0], [1.0, 1.0]), "strictly increasing"),
    "ratio table with columns of different length": (lambda: atomic.RatioTable([1.0, 2.0], [1.0]), "equal length"),
    "ratio table at NaN": (lambda: atomic.RatioTable([1.0, 2.0], [1.0, 1.0])(np.nan), "t_kev must be finite"),
    "ratio table from None": (lambda: atomic.RatioTable.from_file(None), "expected a file path"),
}


@pytest.mark.parametrize("case", sorted(BAD_CALLS))
def test_bad_api_arguments_raise_input_error(case):
    call, fragment = BAD_CALLS[case]
    with pytest.raises(InputError, match=fragment.replace("(", r"\(")):
        call()


def test_vectorised_helpers_accept_empty_arrays():
    """An empty energy list is a valid (empty) vector, not an error, for the element-wise helpers."""
    assert atomic.effective_electrons([]).shape == (0,)
    assert atomic.photoabsorption_cm2_per_atom(np.array([])).shape == (0,)
    assert ConstantFlavourContent().fractions(np.array([])).shape == (3, 0)


def test_ratio_table_file_formats_and_errors(tmp_path):
    """Comma- or space-separated columns, full-line and trailing comments; every defect names file and line."""
    good = tmp_path / "r.csv"
    good.write_text("# T_keV, ratio\n1, 3  # first point\n\n10,2\n")
    table = atomic.RatioTable.from_file(good)
    assert table(1.0) == 3.0 and table(10.0) == 2.0 and table.source == str(good)
    cases = {
        "1 3\n10 x\n": "line 2",
        "1 3 4\n10 2 1\n": "line 1: expected two columns",
        "1 3\n": "at least two rows",
        "0 3\n10 2\n": "must be > 0",
        "1 -3\n10 2\n": "must be ≥ 0",
    }
    for text, fragment in cases.items():
        path = tmp_path / "bad.txt"
        path.write_text(text)
        with pytest.raises(ConfigError, match=fragment) as err:
            atomic.RatioTable.from_file(path)
        assert str(path) in str(err.value) and "\n" not in str(err.value)
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"1 3\n\xff 2\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        atomic.RatioTable.from_file(binary)
    with pytest.raises(ConfigError, match="is a directory"):
        atomic.RatioTable.from_file(tmp_path)


def test_dirac_fock_3d5_2_is_the_corrected_value_of_docs_physics_section_7():
    """694.9 eV (the copied table's 649.9 eV gave a 58 eV 3d splitting; the X-ray edges give 12.6 eV)."""
    df = {s.edge: s.binding_kev * 1e3 for s in atomic.xenon_subshells("dirac-fock")}
    edges = {s.edge: s.binding_kev * 1e3 for s in atomic.xenon_subshells("xraydb")}
    assert df["M5"] == pytest.approx(694.9)
    assert abs((df["M4"] - df["M5"]) - (edges["M4"] - edges["M5"])) < 1.0
