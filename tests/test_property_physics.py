"""Property-based tests (hypothesis, bounded examples) of the cross sections, the spectra and the response.

* every model of :data:`exonu.xsec.MODELS`, at random valid parameters: the SM cross section plus the
  model's excess (pure + interference) is a cross section, so it is ≥ 0, and it vanishes above the
  kinematic limit T_max = 2E²/(m_e + 2E) (docs/physics.md §2; arXiv:2005.11891 Eq. (1)); models without
  interference (magnetic moment, millicharge, scalar, pseudoscalar) have a non-negative excess on their own;
* :meth:`Response.fold` is linear, and a flat true spectrum is folded, for any binning well inside the
  true-energy grid, into rate × exposure × efficiency × bin width (a Gaussian smearing conserves a
  constant: ∫ G(E − T) dT = 1).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exonu.config import load_detector
from exonu.constants import ELECTRON_MASS_MEV, KEV_PER_MEV
from exonu.detector import Binning, ConstantEfficiency, DetectorModel, ParametricResolution
from exonu.xsec import CHARGE_SETS, FLAVOURS, MODELS, Weak

SETTINGS = settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
M_E_KEV = ELECTRON_MASS_MEV * KEV_PER_MEV


def log_uniform(low_exp: float, high_exp: float):
    return st.floats(low_exp, high_exp).map(lambda x: 10.0**x)


signed = st.sampled_from([1.0, -1.0])
masses = log_uniform(-3, 5)  # MeV, up to the 1e5 MeV bound of exonu.xsec.checks
couplings = log_uniform(-9, 0)

#: model name → strategy for its constructor's keyword arguments (valid ranges of exonu.xsec)
PARAMETERS = {
    "sm": st.fixed_dictionaries({"sin2_theta_w": st.floats(0.05, 0.95)}),
    "magnetic-moment": st.fixed_dictionaries({"mu_bohr": log_uniform(-14, -5)}),
    "millicharge": st.fixed_dictionaries(
        {"charge_e": log_uniform(-15, -1), "epa_neutrino_mass_ev": log_uniform(-3, 3)}
    ),
    "dark-photon": st.fixed_dictionaries({"coupling": couplings, "mass_mev": masses}),
    "light-vector": st.fixed_dictionaries(
        {"coupling": couplings, "mass_mev": masses, "charges": st.sampled_from(sorted(CHARGE_SETS))}
    ),
    "axial-vector": st.fixed_dictionaries({"coupling": couplings, "mass_mev": masses}),
    "scalar": st.fixed_dictionaries({"coupling": couplings, "mass_mev": masses}),
    "pseudoscalar": st.fixed_dictionaries({"coupling": couplings, "mass_mev": masses}),
    "nsi": st.fixed_dictionaries({"eps_l": st.floats(-10.0, 10.0), "eps_r": st.floats(-10.0, 10.0)}),
    "charge-radius": st.tuples(log_uniform(-36, -26), signed).map(lambda v: {"radius2_cm2": v[0] * v[1]}),
}
WITHOUT_INTERFERENCE = {"magnetic-moment", "millicharge", "scalar", "pseudoscalar"}


def test_every_model_has_a_parameter_strategy():
    assert set(PARAMETERS) == set(MODELS)


@pytest.mark.parametrize("model", sorted(MODELS))
@SETTINGS
@given(
    data=st.data(),
    e_nu_kev=log_uniform(1, 4.2),
    t_fraction=st.lists(st.floats(1e-6, 2.0), min_size=1, max_size=20),
    flavour=st.sampled_from(FLAVOURS),
)
def test_cross_section_is_non_negative_and_zero_above_t_max(model, data, e_nu_kev, t_fraction, flavour):
    interaction = MODELS[model](**data.draw(PARAMETERS[model]))
    t_max = 2 * e_nu_kev**2 / (M_E_KEV + 2 * e_nu_kev)
    t = np.array(t_fraction) * t_max  # from ~0.4 eV: dσ/dT ∝ 1/T (magnetic moment) diverges at T → 0
    excess = interaction.dsigma_dt(t, e_nu_kev, flavour)
    total = excess if model == "sm" else Weak().dsigma_dt(t, e_nu_kev, flavour) + excess
    assert np.all(np.isfinite(excess))
    above = t > t_max * (1 + 1e-12)
    assert np.all(excess[above] == 0.0)
    scale = np.abs(excess) + (0.0 if model == "sm" else np.abs(Weak().dsigma_dt(t, e_nu_kev, flavour)))
    assert np.all(total >= -1e-9 * scale)  # a cross section; rounding of SM + interference allowed
    if model in WITHOUT_INTERFERENCE:
        assert np.all(excess >= 0.0)


@pytest.fixture(scope="module")
def xmass_response():
    return load_detector("xmass-i").window("full").response


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), a=st.floats(-10.0, 10.0), b=st.floats(-10.0, 10.0), scale=log_uniform(-6, 6))
def test_fold_is_linear(xmass_response, seed, a, b, scale):
    rng = np.random.default_rng(seed)  # rates on the whole response grid (hundreds of nodes)
    r1, r2 = (scale * rng.exponential(size=xmass_response.grid_kev.shape) for _ in range(2))
    combined = xmass_response.fold(a * r1 + b * r2)
    separate = a * xmass_response.fold(r1) + b * xmass_response.fold(r2)
    assert np.allclose(combined, separate, rtol=1e-9, atol=1e-9 * (np.abs(separate).max() + 1.0))


@SETTINGS
@given(
    widths=st.lists(st.floats(0.1, 5.0), min_size=1, max_size=15),
    start_kev=st.floats(20.0, 50.0),
    sigma_kev=st.floats(0.2, 2.0),
    efficiency=st.floats(0.1, 1.0),
    exposure_kg_day=log_uniform(0, 6),
    rate=log_uniform(-4, 2),
)
def test_flat_spectrum_is_conserved_for_any_binning(widths, start_kev, sigma_kev, efficiency, exposure_kg_day, rate):
    edges = start_kev + np.concatenate([[0.0], np.cumsum(widths)])
    binning = Binning(edges)
    detector = DetectorModel(
        exposure_kg_day=exposure_kg_day,
        resolution=ParametricResolution(0.0, c_kev=sigma_kev),
        efficiency=ConstantEfficiency(efficiency),
        threshold_kev=0.0,
    )
    response = detector.response(binning)
    counts = response.fold(np.full(response.grid_kev.shape, rate))
    expected = rate * exposure_kg_day * efficiency * binning.widths_kev
    assert np.allclose(counts, expected, rtol=1e-4)
