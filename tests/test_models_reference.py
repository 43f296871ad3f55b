"""Every beyond-SM model against independent reference values (tests/reference/REFERENCE.md).

Per free electron: dσ/dT at E_ν = 420 and 861.8 keV, T = 1–30 keV, for each flavour, split into
interference, pure, excess and total (reference routes: formulas of arXiv:1202.6073, arXiv:1604.01025,
arXiv:2006.11225, hep-ph/0302093, arXiv:1403.6344 re-derived, a Dirac-spinor amplitude calculation,
pyCEvNS and SNuDD, agreeing to ≤ 2e-7). Xenon rates: FEA with Dirac–Fock steps, 54/23/23 flavour content,
SFII-GS98 pp + ⁷Be; ⁷Be to 1e-5, pp and pp+⁷Be to 0.3 % (the reference uses Bahcall's tabulated pp
shape, exonu the analytic allowed β shape) and the pp part to 1e-5 against the reference's own
allowed-shape values.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from exonu.flux import SolarFlux
from exonu.spectrum import RecoilSpectrum
from exonu.xsec import (
    LMU_LTAU_MIXING_PER_G,
    AxialVector,
    ChargeRadius,
    ElectronNSI,
    LightVector,
    Pseudoscalar,
    Scalar,
    Weak,
    delta_gv,
)

REFERENCE = json.loads((Path(__file__).parent / "reference" / "reference_rates.json").read_text(encoding="utf-8"))
RECORDS = REFERENCE["records"]
FLAVOUR = {"nu_e": "e", "nu_mu": "mu", "nu_tau": "tau"}
CHARGES = {"Zprime_universal": "universal", "Le-Lmu": "Le-Lmu", "Le-Ltau": "Le-Ltau", "Lmu-Ltau": "Lmu-Ltau"}


def interaction(model: str, parameters: dict, part: str = "both"):
    """The exonu interaction for one reference model point (record ``model`` and ``parameters``)."""
    family = model.rsplit("_M", 1)[0]
    if family in CHARGES:
        g = parameters.get("g", parameters.get("g_nu"))
        return LightVector(g, parameters["M_MeV"], CHARGES[family], part=part)
    if family == "axial":
        return AxialVector(parameters["g_nu"], parameters["M_MeV"], part=part)
    if family in ("scalar", "pseudoscalar"):
        cls = Scalar if family == "scalar" else Pseudoscalar
        return cls(parameters["g_nu"], parameters["M_MeV"]) if part != "interference" else None
    if model.startswith("NSI"):
        (fl,) = {k.rsplit("_", 1)[1] for k in parameters}
        flavour = {"ee": "e", "mumu": "mu", "tautau": "tau"}[fl]
        return ElectronNSI(parameters[f"eps_eL_{fl}"], parameters[f"eps_eR_{fl}"], flavours=(flavour,), part=part)
    if model.startswith("chargeradius"):
        key = next(k for k in parameters if k.startswith("r2_"))
        flavour = {"r2_nue_cm2": "e", "r2_numu_cm2": "mu"}[key]
        return ChargeRadius(parameters[key], flavours=(flavour,), part=part)
    raise KeyError(model)


PART = {"excess": "both", "interference": "interference", "pure": "pure", "total": "both"}
PER_ELECTRON = [
    r
    for r in RECORDS
    if r["quantity"] == "dsigma_dT_per_free_electron" and r["kind"] != "sm" and r["component"] in PART
]


def _per_electron_value(record) -> float:
    inter = interaction(record["model"], record["parameters"], PART[record["component"]])
    flavour = FLAVOUR[record["flavour"]]
    value = 0.0 if inter is None else float(inter.dsigma_dt(record["T_keV"], record["E_nu_keV"], flavour))
    if record["component"] == "total":
        value += float(Weak().dsigma_dt(record["T_keV"], record["E_nu_keV"], flavour))
    return value


@pytest.mark.parametrize("model", sorted({r["model"] for r in PER_ELECTRON}))
def test_per_electron_cross_sections(model):
    """Interference, pure, excess and total per flavour to 1e-6 of the SM scale (reference routes agree to 2e-7)."""
    for r in (r for r in PER_ELECTRON if r["model"] == model):
        sm = float(Weak().dsigma_dt(r["T_keV"], r["E_nu_keV"], FLAVOUR[r["flavour"]]))
        got = _per_electron_value(r)
        assert got == pytest.approx(r["value"], rel=1e-6, abs=1e-9 * sm), (r["component"], r["flavour"], r["T_keV"])


def test_reference_couplings_are_the_documented_ones():
    """ε/g of L_μ−L_τ = 0.0144329 and Δg_V(10⁻³² cm²) = 0.0237956 (arXiv:2006.11225; arXiv:1403.6344)."""
    lmt = next(r for r in RECORDS if r["model"] == "Lmu-Ltau_M10")
    assert LMU_LTAU_MIXING_PER_G * lmt["parameters"]["g"] == pytest.approx(lmt["parameters"]["eps"], rel=1e-9)
    assert pytest.approx(0.0144329, rel=1e-5) == LMU_LTAU_MIXING_PER_G
    assert delta_gv(1e-32) == pytest.approx(0.02379558712857168, rel=1e-9)


# ---------------------------------------------------------------------------------------------------------
# xenon rates (FEA, Dirac–Fock steps)
RATES = [r for r in RECORDS if r["quantity"] == "rate_Xe_FEA" and r["kind"] != "sm"]
SOURCES = {"pp": ("pp",), "7Be": ("7Be",), "pp+7Be": ("pp", "7Be")}
RATE_PART = {
    "excess": ("both", "all"),
    "interference": ("interference", "all"),
    "pure": ("pure", "all"),
    "excess_from_nu_e": ("both", "e"),
    "excess_from_nu_mu": ("both", "mu"),
    "excess_from_nu_tau": ("both", "tau"),
    "excess_pp_allowed_shape": ("both", "all"),
}


@pytest.fixture(scope="module")
def spectra():
    return {key: RecoilSpectrum(flux=SolarFlux("SFII-GS98", src), binding="dirac-fock") for key, src in SOURCES.items()}


def _rate(spectra, record, component) -> float:
    part, flavour = RATE_PART[component]
    inter = interaction(record["model"], record["parameters"], part)
    if inter is None:
        return 0.0
    source = "pp" if component == "excess_pp_allowed_shape" else record["source"]
    return float(spectra[source].rate([record["T_keV"]], inter, flavour=flavour)[0])


def _sm(spectra, record) -> float:
    return float(spectra[record["source"] or "pp"].rate([record["T_keV"]], Weak())[0])


@pytest.mark.parametrize("model", sorted({r["model"] for r in RATES}))
def test_xenon_rates(model, spectra):
    """Every rate component of every model point against the reference.

    * ⁷Be (lines: no spectral shape involved) and the pp excess with the allowed β shape (the shape
      exonu uses): to 1e-5 relative (the reference routes agree to 2e-5);
    * pp and pp+⁷Be with Bahcall's tabulated pp shape: to 0.3 % of the value plus 1e-4 of the SM rate,
      the shape difference (reference §5.1); the absolute term only matters where a per-flavour or
      interference piece nearly cancels (e.g. ν_τ of L_μ−L_τ, ε^V_μμ).
    """
    for r in (r for r in RATES if r["model"] == model and r["component"] in RATE_PART):
        got = _rate(spectra, r, r["component"])
        if r["component"] == "excess_pp_allowed_shape" or r["source"] == "7Be":
            assert got == pytest.approx(r["value"], rel=1e-5, abs=1e-30), (r["component"], r["source"], r["T_keV"])
        else:
            sm = _sm(spectra, r)
            assert abs(got - r["value"]) <= 3e-3 * abs(r["value"]) + 1e-4 * sm, (
                r["component"],
                r["source"],
                r["T_keV"],
                got,
                r["value"],
            )


def test_total_rates_with_the_allowed_pp_shape(spectra):
    """SM + excess equals the reference total with the same (allowed) pp shape to 1e-5, for every model point."""
    for r in RATES:
        if r["component"] == "total_pp_allowed_shape":
            inter = interaction(r["model"], r["parameters"])
            got = float(spectra["pp"].rate([r["T_keV"]], inter)[0] + spectra["pp"].rate([r["T_keV"]], Weak())[0])
            assert got == pytest.approx(r["value"], rel=1e-5), (r["model"], r["T_keV"])


SIGN_CASES = [  # (model, flavour, expected sign of its interference rate) — REFERENCE.md §2
    ("Zprime_universal_M10", "e", +1),
    ("Zprime_universal_M10", "mu", -1),
    ("Le-Lmu_M10", "e", +1),
    ("Le-Lmu_M10", "mu", +1),
    ("Le-Lmu_M10", "tau", 0),
    ("Le-Ltau_M10", "e", +1),
    ("Le-Ltau_M10", "mu", 0),
    ("Le-Ltau_M10", "tau", +1),
    ("Lmu-Ltau_M10", "e", 0),
    ("Lmu-Ltau_M10", "mu", +1),
    ("Lmu-Ltau_M10", "tau", -1),
    ("axial_M10", "e", -1),
    ("axial_M10", "mu", +1),
    ("axial_M10", "tau", +1),
]


@pytest.mark.parametrize("model, flavour, sign", SIGN_CASES)
def test_interference_sign_per_flavour(model, flavour, sign, spectra):
    """Signs of the interference per flavour, and the per-flavour excess against the reference."""
    params = next(r for r in RATES if r["model"] == model)["parameters"]
    t = np.array([1.0, 5.0, 10.0, 30.0])
    inter = spectra["pp+7Be"].rate(t, interaction(model, params, "interference"), flavour=flavour)
    if sign == 0:
        assert np.all(inter == 0.0)
    else:
        assert np.all(np.sign(inter) == sign)
    flavour_key = {"e": "nu_e", "mu": "nu_mu", "tau": "nu_tau"}[flavour]
    for r in RATES:
        if r["model"] == model and r["component"] == f"excess_from_{flavour_key}" and r["source"] == "7Be":
            assert _rate(spectra, r, r["component"]) == pytest.approx(r["value"], rel=1e-5, abs=1e-30)


def test_lmu_ltau_interference_cancels_in_the_flavour_sum(spectra):
    """f_μ = f_τ: the ν_μ and ν_τ interference terms cancel exactly; the excess is the g⁴ term alone."""
    params = next(r for r in RATES if r["model"] == "Lmu-Ltau_M10")["parameters"]
    t = np.array([1.0, 10.0, 100.0])
    inter = spectra["pp+7Be"].rate(t, interaction("Lmu-Ltau_M10", params, "interference"))
    mu_only = spectra["pp+7Be"].rate(t, interaction("Lmu-Ltau_M10", params, "interference"), flavour="mu")
    assert np.all(np.abs(inter) <= 1e-12 * np.abs(mu_only))


def test_scalar_is_the_exact_form_not_the_small_T_limit():
    """The exact scalar exceeds the T ≪ m_e form by (1 + T/2m_e): +0.98 % at 10 keV (reference §2.6)."""
    r = next(
        r
        for r in RECORDS
        if r["model"] == "scalar_M10"
        and r["component"] == "excess_Tllme_approx"
        and r["quantity"] == "dsigma_dT_per_free_electron"
        and r["T_keV"] == 10.0
    )
    exact = float(Scalar(8e-5, 10.0).dsigma_dt(10.0, r["E_nu_keV"]))
    assert exact / r["value"] == pytest.approx(1 + 10.0 / (2 * 510.99895), rel=1e-9)
    assert not math.isclose(exact, r["value"], rel_tol=5e-3)
