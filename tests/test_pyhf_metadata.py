"""Exported pyhf workspaces describe themselves: the POI mapping and exonu's provenance travel in the JSON.

pyhf 0.7's workspace schema forbids extra keys, so the export writes them into the measurement's name
(``exonu-metadata: {JSON}``), which ``pyhf inspect`` prints; the workspace still validates.
"""

import json
import warnings

import numpy as np
import pytest

import exonu
from cli_helpers import fit_json
from exonu.cli import main
from exonu.errors import InputError
from exonu.stats import BinnedModel, to_pyhf_workspace
from exonu.stats.pyhf_export import METADATA_MARK, poi_to_physical, workspace_metadata

pyhf = pytest.importorskip("pyhf")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("ws") / "ws.json"
    assert main(["export-pyhf", "--detector", "xmass-i", "--signal", "magnetic-moment", "--out", str(out)]) == 0
    return json.loads(out.read_text())


def test_exported_workspace_carries_the_poi_mapping_and_still_validates(exported):
    ws = pyhf.Workspace(exported)  # validates against pyhf's schema
    meta = workspace_metadata(ws)
    assert meta["poi"] == ws.get_measurement()["config"]["poi"] == "mu"
    assert meta["poi_definition"] == "mu = (mu_bohr/1e-10 mu_B)^2"
    assert (meta["reference"], meta["power"], meta["unit"]) == (1e-10, 2, "mu_B")
    assert meta["exonu_version"] == exonu.__version__ and meta["detector"] == "xmass-i"
    assert meta["signal"] == "magnetic-moment" and meta["statistic"] == "poisson" and meta["data"] == "packaged"
    assert METADATA_MARK in ws.measurement_names[0]  # the name `pyhf inspect` prints


def test_a_pyhf_limit_converts_to_the_exonu_limit_in_bohr_magnetons(exported, capsys):
    """pyhf's asymptotic CLs limit on mu, converted with the workspace's own mapping, is exonu's
    `fit --method cls --statistic poisson` limit in μ_B (measured: 1.9444 in mu from pyhf's toms748 root
    finding, 1.9360 from exonu: 0.4 % in mu, 0.2 % in μ_B)."""
    res = fit_json(
        capsys, "--detector", "xmass-i", "--signal", "magnetic-moment", "--method", "cls", "--statistic", "poisson"
    )
    meta = workspace_metadata(exported)
    pyhf.set_backend("numpy")
    ws = pyhf.Workspace(exported)
    pdf = ws.model()
    # pyhf's CLs on mu at ±2 % (±1 % in μ_B) around exonu's limit, mapped with the workspace's own
    # definition, must bracket 0.1 (a wrong power or reference would miss by far)
    mu_points = (res["upper_limit"] / meta["reference"]) ** meta["power"] * np.array([0.98, 1.02])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cls = np.array([float(pyhf.infer.hypotest(mu, ws.data(pdf), pdf, test_stat="qtilde")) for mu in mu_points])
    assert cls[0] > 0.1 > cls[1], cls
    mu_limit = np.interp(np.log(0.1), np.log(cls[::-1]), mu_points[::-1])  # pyhf's limit on mu
    mu_b = float(poi_to_physical(meta, mu_limit))
    assert mu_b == pytest.approx(res["upper_limit"], rel=0.01)
    assert 1e-11 < mu_b < 1e-9  # a Bohr-magneton-scale number, not the POI


def test_metadata_round_trip_and_refusals():
    m = BinnedModel([5.0, 6.0], [[4.0, 5.0]], [0.1], [1.0, 1.0])
    spec = to_pyhf_workspace(m, "toy", metadata={"reference": 2.0, "power": 4, "unit": "g"})
    pyhf.Workspace(spec)
    assert spec["measurements"][0]["name"].startswith("toy " + METADATA_MARK)
    meta = workspace_metadata(spec)
    assert float(poi_to_physical(meta, 16.0)) == pytest.approx(4.0)  # POI = (x/2)^4
    with pytest.raises(InputError, match="no exonu metadata"):
        workspace_metadata(to_pyhf_workspace(m, "plain"))
    with pytest.raises(InputError, match="JSON-serialisable"):
        to_pyhf_workspace(m, "toy", metadata={"reference": float("nan")})
    with pytest.raises(InputError, match="numeric 'reference' and 'power'"):
        poi_to_physical({"unit": "g"}, 1.0)
    with pytest.raises(InputError, match="POI ≥ 0"):
        poi_to_physical(meta, -1.0)
