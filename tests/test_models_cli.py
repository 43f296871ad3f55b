"""`exonu spectrum` for the beyond-paper models, end to end, against tests/reference/reference_rates.json.

The JSON ``rate_per_tonne_year_kev`` is the excess over the SM (pure + interference). Reference values are
pp+⁷Be xenon rates with Dirac–Fock steps (tests/reference/REFERENCE.md); the CLI uses the analytic pp
shape, so they agree to the 0.3 % of the pp-shape difference.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exonu.cli import main

RECORDS = json.loads((Path(__file__).parent / "reference" / "reference_rates.json").read_text(encoding="utf-8"))[
    "records"
]
T_KEV = (1.0, 5.0, 10.0, 30.0, 100.0)


def reference(model: str, component: str = "excess") -> list[float]:
    rows = {
        r["T_keV"]: r["value"]
        for r in RECORDS
        if r["model"] == model
        and r["quantity"] == "rate_Xe_FEA"
        and r["component"] == component
        and r["source"] == "pp+7Be"
    }
    return [rows[t] for t in T_KEV]


def spectrum_json(capsys, *argv) -> dict:
    code = main(["spectrum", *argv, "--binding", "dirac-fock", "--energies-kev", *map(str, T_KEV), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize(
    "argv, model",
    [
        (
            ("--signal", "light-vector", "--charges", "universal", "--g", "1e-5", "--mass-mev", "10"),
            "Zprime_universal_M10",
        ),
        (("--signal", "light-vector", "--charges", "Le-Lmu", "--g", "3e-6", "--mass-mev", "1"), "Le-Lmu_M1"),
        (("--signal", "light-vector", "--charges", "Le-Ltau", "--g", "1e-4", "--mass-mev", "100"), "Le-Ltau_M100"),
        (("--signal", "light-vector", "--charges", "Lmu-Ltau", "--g", "5e-4", "--mass-mev", "10"), "Lmu-Ltau_M10"),
        (("--signal", "scalar", "--g", "8e-5", "--mass-mev", "10"), "scalar_M10"),
        (("--signal", "axial-vector", "--g", "3e-5", "--mass-mev", "10"), "axial_M10"),
        (("--signal", "pseudoscalar", "--g", "2.5e-4", "--mass-mev", "10"), "pseudoscalar_M10"),
        (("--signal", "nsi", "--eps-v", "0.1"), "NSI_V_ee_0.1"),
        (("--signal", "nsi", "--eps-r", "0.1", "--flavour", "mu"), "NSI_R_mumu_0.1"),
        (("--signal", "charge-radius", "--r2-cm2=-1e-32"), "chargeradius_nue_-1e-32"),
    ],
)
def test_spectrum_excess_matches_reference(capsys, argv, model):
    d = spectrum_json(capsys, *argv)
    sm = d["sm_rate_per_tonne_year_kev"]
    for got, want, s in zip(d["rate_per_tonne_year_kev"], reference(model), sm, strict=False):
        assert abs(got - want) <= 3e-3 * abs(want) + 1e-4 * s
    if "interference_rate_per_tonne_year_kev" in d:
        total = [
            i + p
            for i, p in zip(d["interference_rate_per_tonne_year_kev"], d["pure_rate_per_tonne_year_kev"], strict=False)
        ]
        assert total == pytest.approx(d["rate_per_tonne_year_kev"], rel=1e-12)
    assert sm == pytest.approx(reference(model, "sm"), rel=3e-3)


@pytest.mark.parametrize(
    "argv, message",
    [
        (("--signal", "light-vector", "--g", "1e-5", "--mass-mev", "1"), "needs --charges"),
        (
            ("--signal", "scalar", "--g", "1e-5", "--mass-mev", "1", "--charges", "B-L"),
            "--charges does not apply to --signal scalar",
        ),
        (("--signal", "sm", "--g", "1e-5"), "--g does not apply to --signal sm"),
        (("--signal", "axial-vector", "--g", "1e-5", "--mass-mev", "-2"), "mediator mass must be > 0"),
        (
            (
                "--signal",
                "nsi",
            ),
            "needs --eps-l",
        ),
        (("--signal", "nsi", "--eps-v", "0.1", "--eps-l", "0.1"), "either --eps-v or"),
        (("--signal", "magnetic-moment", "--mu-bohr", "1e200"), "magnetic moment must be ≤"),
        (("--signal", "dark-photon", "--g", "1e200", "--mass-mev", "1"), "coupling g must be ≤"),
        (("--signal", "sm", "--rrpa-ratio-file", "ratio.txt"), "--rrpa-ratio-file does not apply to --signal sm"),
        (
            ("--signal", "millicharge", "--charge-e", "1e-12", "--atomic", "fea", "--rrpa-ratio-file", "r.txt"),
            "give one of --atomic",
        ),
        (
            ("--signal", "magnetic-moment", "--mu-bohr", "1e-11", "--charge-e", "1e-12"),
            "--charge-e does not apply to --signal magnetic-moment",
        ),
    ],
)
def test_spectrum_bad_input_is_one_line(capsys, argv, message):
    code = main(["spectrum", *argv, "--energies-kev", "5"])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.startswith("exonu: error: ") and message in err and err.count("\n") == 1
