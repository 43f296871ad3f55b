"""One result shape: `exonu fit --json` on one detector and on several, checked against `exonu result-schema`."""

import json

import jsonschema
import pytest

from cli_helpers import fit_json
from exonu.cli import main

#: the keys of a whole run (not of one search): at the top level only
RUN_KEYS = {
    "schema",
    "schema_version",
    "exonu_version",
    "joint",
    "detectors",
    "windows",
    "data_sources",
    "runtime_seconds",
    "provenance",
}


@pytest.fixture(scope="module")
def schema():
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["result-schema"]) == 0
    doc = json.loads(buf.getvalue())
    jsonschema.Draft202012Validator.check_schema(doc)
    return doc


def validate(schema, document):
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, [(list(e.path), e.message[:200]) for e in errors[:5]]


def test_single_detector_fit_has_every_parameter_gof_and_warnings(schema, capsys):
    doc = fit_json(capsys, "--detector", "xenonnt-sr0", "--signal", "magnetic-moment", "--method", "plr")
    validate(schema, doc)
    names = [p["name"] for p in doc["nuisances"]]
    assert names == doc["correlations"]["names"] == ["(mu_bohr/1e-10)^2", "p_b0", "r_resolution", *names[3:]]
    assert all(p["value"] is not None and p["uncertainty"] is not None for p in doc["nuisances"][1:])
    assert doc["nuisances"][0]["value"] == doc["best_fit"] and doc["nuisances"][0]["unit"] == "mu_B"
    assert all(p["pull"] is not None for p in doc["nuisances"][1:])  # every XENONnT nuisance is constrained
    assert 0 < doc["gof"]["p_value"] < 1 and doc["gof"]["ndof"] == 28 and doc["warnings"] == []
    lo, hi = doc["best_fit_interval"]
    assert lo <= doc["best_fit"] <= hi < doc["upper_limit"]
    prov = doc["provenance"]
    assert prov["detectors"]["xenonnt-sr0"]["config"] == "exonu:detectors/xenonnt_sr0.toml"
    assert prov["command_line"][0] == "exonu" and prov["dependencies"]["xraydb"]


def test_joint_fit_has_the_same_keys_and_per_detector_entries(schema, capsys):
    single = fit_json(capsys, "--detector", "xenonnt-sr0", "--signal", "magnetic-moment", "--method", "plr")
    joint = fit_json(
        capsys,
        "--detector",
        "xenon1t-sr1",
        "--detector",
        "xenonnt-sr0",
        "--signal",
        "magnetic-moment",
        "--method",
        "plr",
    )
    validate(schema, joint)
    assert joint["joint"] is True and single["joint"] is False
    assert set(single) <= set(joint)  # the joint fit adds per_detector and what its model shares
    assert set(joint) - set(single) == {"per_detector", "shared_parameters", "statistics"}
    assert joint["upper_limit"] > 0 and joint["expected_upper_limit"] > 0
    for name, entry in joint["per_detector"].items():
        assert set(entry) == set(single) - RUN_KEYS
        assert entry["detector"] == name
    alone = joint["per_detector"]["xenonnt-sr0"]
    assert alone["upper_limit"] == pytest.approx(single["upper_limit"], rel=1e-6)
    assert {p["name"] for p in alone["nuisances"]} == {p["name"] for p in single["nuisances"]}
    # the shared solar fluxes are one parameter of the joint model, the B0s one per detector
    joint_names = {p["name"] for p in joint["nuisances"]}
    assert {"r_solar_flux_pp", "p_xenon1t-sr1/b0", "p_xenonnt-sr0/b0"} <= joint_names


def test_pcl_records_what_the_power_constraint_did(schema, capsys):
    doc = fit_json(capsys, "--detector", "xenon1t-sr1", "--signal", "magnetic-moment", "--method", "pcl")
    validate(schema, doc)
    assert isinstance(doc["power_constrained"], bool)
    assert doc["upper_limit"] == pytest.approx(max(doc["unconstrained_limit"], doc["power_threshold"]), rel=1e-6)


def test_the_schema_refuses_a_document_without_post_fit_parameters(schema, capsys):
    doc = fit_json(capsys, "--detector", "xmass-i", "--signal", "magnetic-moment", "--method", "plr")
    validate(schema, doc)
    del doc["nuisances"]
    with pytest.raises(jsonschema.ValidationError, match="nuisances"):
        jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)


#: second names of one number, gone in schema version 2 (and the joint dict's nested "combined" object)
ALIASES = {"observed", "expected", "units", "chi2", "expected_asimov_median", "combined"}


def test_one_name_per_number_and_the_library_dict_has_the_cli_shape(schema, capsys):
    from exonu.config import load_detector
    from exonu.searches import run_joint_search, search_spec

    argv = ("--detector", "xenon1t-sr1", "--detector", "xenonnt-sr0", "--signal", "magnetic-moment", "--method", "plr")
    doc = fit_json(capsys, *argv)
    assert doc["schema_version"] == schema["properties"]["schema_version"]["const"] == 2
    assert not ALIASES & set(doc)
    assert not any(ALIASES & set(entry) for entry in doc["per_detector"].values())
    setups = [load_detector("xenon1t-sr1"), load_detector("xenonnt-sr0")]
    library = run_joint_search(setups, search_spec("magnetic-moment"), method="plr", n_toys=0).to_dict()
    assert set(library) <= set(doc) and set(library["per_detector"]) == set(doc["per_detector"])
    for name, entry in library["per_detector"].items():
        assert set(entry) <= set(doc["per_detector"][name])
        assert entry["upper_limit"] == pytest.approx(doc["per_detector"][name]["upper_limit"], rel=1e-9)
    for key in ("upper_limit", "expected_upper_limit", "chi2_min", "best_fit"):
        assert library[key] == pytest.approx(doc[key], rel=1e-9), key
    assert library["converged"] is doc["converged"] is True
