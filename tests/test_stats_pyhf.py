"""HistFactory export: pyhf's maximum-likelihood fit agrees with exonu's Poisson-statistic fit."""

import json

import numpy as np
import pytest

from exonu.errors import InputError
from exonu.stats import BinnedModel, fit, to_pyhf_workspace

pyhf = pytest.importorskip("pyhf")


def small_model():
    x = np.linspace(0.0, 1.0, 8)
    bkg = np.array([200 * np.exp(-2 * x), 80 + 0 * x, 50 * np.exp(-0.5 * ((x - 0.6) / 0.15) ** 2)])
    bsys = np.array([0.02 * bkg * np.linspace(-1, 1, 8)])  # small systematics: interpolations agree
    m = BinnedModel(
        np.ones(8),
        bkg,
        [0.05, np.inf, 0.1],
        60 * np.exp(-4 * x),
        background_shape_sys=bsys,
        signal_shape_sys=[0.03 + 0 * x],
        background_names=["surface", "internal", "peak"],
    )
    rng = np.random.default_rng(3)
    return m.with_data(np.round(m.asimov(0.8) * (1 + 0.03 * rng.standard_normal(8))))


@pytest.mark.parametrize("activity_modifier", ["normsys", "histosys"])
def test_pyhf_mle_agrees_with_exonu_poisson_fit(activity_modifier):
    m = small_model()
    ours = fit(m, statistic="poisson")
    spec = to_pyhf_workspace(m, activity_modifier=activity_modifier)
    json.dumps(spec)  # plain JSON
    ws = pyhf.Workspace(spec)  # validates against the HistFactory schema
    pdf = ws.model()
    pars = pyhf.infer.mle.fit(ws.data(pdf), pdf)
    par = lambda name: float(pars[pdf.config.par_slice(name)][0])  # noqa: E731
    assert par("mu") == pytest.approx(ours.alpha, rel=0.01)
    assert par("norm_internal") == pytest.approx(ours.p[1], rel=0.01)  # free normalisation
    # constrained activities: pyhf's θ is our pull (p − 1)/σ
    assert par("norm_surface") == pytest.approx(ours.pulls["p_surface"], abs=0.02)
    assert par("norm_peak") == pytest.approx(ours.pulls["p_peak"], abs=0.02)
    assert par("bsys_bsys0") == pytest.approx(ours.q[0], abs=0.02)
    assert par("ssys_ssys0") == pytest.approx(ours.r[0], abs=0.02)


def test_staterror_only_with_mc_statistics():
    m = small_model()
    kinds = {mod["type"] for s in to_pyhf_workspace(m)["channels"][0]["samples"] for mod in s["modifiers"]}
    assert "staterror" not in kinds
    m2 = BinnedModel(
        m.data, m.background_templates, m.activity_sigma, m.signal_templates, background_mc_stat_var=np.full(8, 4.0)
    )
    spec = to_pyhf_workspace(m2)
    kinds = {mod["type"] for s in spec["channels"][0]["samples"] for mod in s["modifiers"]}
    assert "staterror" in kinds
    pyhf.Workspace(spec).model()  # builds


def test_nonlinear_signal_cannot_be_exported():
    m = BinnedModel([5.0], [[4.0]], [0.1], [[-1.0], [2.0]], signal_powers=[0.5, 1.0])
    with pytest.raises(InputError, match="needs a linear signal"):
        to_pyhf_workspace(m)
    with pytest.raises(InputError, match="activity_sigma of 'bkg0' is 1.5 >= 1"):
        to_pyhf_workspace(BinnedModel([5.0], [[4.0]], [1.5], [1.0]))
