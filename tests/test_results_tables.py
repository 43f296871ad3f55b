"""The committed results tables (docs/results/) agree with the code that generates them.

``docs/results/make_tables.py`` writes ``results.json`` and ``tables.md``; the README quotes them. These
tests recompute a few entries with the public API — the magnetic moment on XENONnT SR0 alone (both
methods), the combined XENON1T + XENONnT magnetic moment, one B−L dark-photon point on XENON1T SR1,
one point of the combined dark-photon scan and two further models on XENONnT SR0 (skipped while
results.json records that the library refused them) — and require agreement to 1e-6, so that the README cannot
drift silently from the code. When one fails, rerun ``python docs/results/make_tables.py`` and commit.

The published values the tables quote are checked against the detector configs (XENONnT SR0:
arXiv:2207.11330; XENON1T SR1: arXiv:2006.09721), and ``tables.md`` must record the hash of the
``results.json`` it was generated with.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from exonu.config import load_detector
from exonu.searches import run_joint_search, run_search
from exonu.searches.spec import search_spec

RESULTS = Path(__file__).resolve().parents[1] / "docs" / "results"
DETECTORS = ("xenon1t-sr1", "xenonnt-sr0")
#: The tables' statistic and options (docs/results/make_tables.py)
OPTIONS = {"statistic": "poisson", "n_toys": 0}
REL = 1e-6


@pytest.fixture(scope="module")
def doc() -> dict:
    return json.loads((RESULTS / "results.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def setups():
    return [load_detector(name) for name in DETECTORS]


def entry(doc: dict, key: str, method: str) -> dict:
    values = doc["entries"][key]["methods"][method]
    assert "error" not in values, values.get("error")
    return values


@pytest.mark.parametrize("method", ["bayesian", "plr"])
def test_magnetic_moment_on_xenonnt_alone(doc, setups, method):
    spec = search_spec("magnetic-moment")
    result = run_search(setups[1], spec, method=method, interval=(method == "plr"), **OPTIONS)
    stored = entry(doc, spec.key, method)["xenonnt-sr0"]
    assert stored["observed"] == pytest.approx(result.observed, rel=REL, abs=0)
    assert stored["expected"] == pytest.approx(result.expected, rel=REL, abs=0)


def test_combined_magnetic_moment(doc, setups):
    spec = search_spec("magnetic-moment")
    result = run_joint_search(setups, spec, method="plr", interval=True, **OPTIONS)
    stored = entry(doc, spec.key, "plr")
    assert stored["combined"]["observed"] == pytest.approx(result.combined.observed, rel=REL, abs=0)
    assert stored["combined"]["expected"] == pytest.approx(result.combined.expected, rel=REL, abs=0)
    # the XENON1T two-sided interval the tables quote beside the published (1.4, 2.9)e-11 μ_B
    assert stored["xenon1t-sr1"]["interval"] == pytest.approx(
        list(result.detectors["xenon1t-sr1"].interval), rel=REL, abs=0
    )


def test_dark_photon_point_on_xenon1t(doc, setups):
    spec = search_spec("dark-photon", mass_mev=10.0)
    result = run_search(setups[0], spec, method="bayesian", **OPTIONS)
    stored = entry(doc, spec.key, "bayesian")["xenon1t-sr1"]
    assert stored["observed"] == pytest.approx(result.observed, rel=REL, abs=0)
    assert stored["expected"] == pytest.approx(result.expected, rel=REL, abs=0)


def test_one_point_of_the_combined_dark_photon_scan(doc, setups):
    scan = doc["dark_photon_scan"]
    index = len(scan["masses_mev"]) // 3
    mass = scan["masses_mev"][index]
    result = run_joint_search(setups, search_spec("dark-photon", mass_mev=mass), method="plr", **OPTIONS)
    stored = scan["methods"]["plr"]["combined"]
    assert stored["observed"][index] == pytest.approx(result.combined.observed, rel=REL, abs=0)
    assert stored["expected"][index] == pytest.approx(result.combined.expected, rel=REL, abs=0)


@pytest.mark.parametrize(
    "signal, options",
    [
        ("nsi", {"chirality": "R", "sign": "negative"}),
        ("light-vector", {"charges": "Lmu-Ltau", "mass_mev": 10.0}),
    ],
)
def test_a_further_model_on_xenonnt_alone(doc, setups, signal, options):
    spec = search_spec(signal, **options)
    values = doc["entries"][spec.key]["methods"]["plr"]
    if "error" in values:  # the library refused the search when the tables were generated
        pytest.skip(f"{spec.key} was not computed in results.json: {values['error']}")
    result = run_search(setups[1], spec, method="plr", interval=True, **OPTIONS)
    assert values["xenonnt-sr0"]["observed"] == pytest.approx(result.observed, rel=REL, abs=0)
    assert values["xenonnt-sr0"]["expected"] == pytest.approx(result.expected, rel=REL, abs=0)


def test_paper_masses_are_on_the_scan_grid(doc):
    masses = doc["dark_photon_scan"]["masses_mev"]
    assert 1e-3 in masses and 10.0 in masses  # exactly, not approximately (arXiv:2005.11891 Fig. 6)
    assert doc["dark_photon_scan"]["paper_masses_on_grid"] is True


def test_published_values_are_those_of_the_detector_configs(doc, setups):
    stated = {(p.search, p.value, p.lower) for s in setups for p in s.published}
    quoted = {(p["search"], p["value"], p["lower"]) for p in doc["published"]}
    assert quoted == stated
    # XENONnT SR0: μ_ν < 6.3e-12 μ_B (arXiv:2207.11330); XENON1T SR1: (1.4, 2.9)e-11 μ_B (arXiv:2006.09721)
    assert ("magnetic_moment_mub", 6.3e-12, None) in quoted
    assert ("magnetic_moment_mub", 2.9e-11, 1.4e-11) in quoted


def test_tables_md_was_generated_with_this_results_json(doc):
    text = (RESULTS / "tables.md").read_text(encoding="utf-8")
    recorded = re.search(r"sha256 `([0-9a-f]{64})`", text)
    assert recorded, "tables.md does not record the hash of results.json"
    # the hash is of results.json as the script wrote it
    assert recorded.group(1) == hashlib.sha256((RESULTS / "results.json").read_bytes()).hexdigest()
    assert "python docs/results/make_tables.py" in text
    assert (RESULTS / "dark_photon_combined.png").stat().st_size > 10_000
