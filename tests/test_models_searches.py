"""Searches for the beyond-paper models: parametrisation, templates, limits, exclusion curves and figures.

Physics of the signal terms: interference ∝ g², pure ∝ g⁴ for vector-like mediators (arXiv:1202.6073),
pure ∝ g⁴ only for (pseudo)scalars (arXiv:1604.01025), ∝ ε and ε² for NSI (hep-ph/0302093) and ∝ ⟨r²⟩,
⟨r²⟩² for the charge radius (arXiv:1403.6344).
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from exonu.config import list_detectors, load_detector
from exonu.errors import InputError
from exonu.searches import build_binned_model, run_search
from exonu.searches.mediators import MEDIATOR_FAMILIES, exclusion_curve, family_curves, mediator_masses, spec_factory
from exonu.searches.spec import (
    PARAMETRISATIONS,
    SIGNALS,
    SearchSpec,
    SignalParametrisation,
    dark_photon_masses,
    search_spec,
)
from exonu.spectrum import RecoilSpectrum

#: Detectors with real electron-recoil data; xenonnt-sr0 is tested as soon as it is packaged
DETECTORS = [name for name in ("xenon1t-sr1", "xenonnt-sr0") if name in {n for n, _ in list_detectors()}]
_LOADED: dict = {}


def loaded(name: str):
    if name not in _LOADED:
        _LOADED[name] = load_detector(name)
    return _LOADED[name]


@pytest.fixture(scope="module")
def setup():
    return loaded("xenon1t-sr1")


@pytest.fixture(scope="module")
def spectrum():
    return RecoilSpectrum()


def test_parametrisation_powers_and_mapping():
    vector = PARAMETRISATIONS["light-vector"]
    assert vector.coupling_powers == (2, 4) and vector.alpha_power == 4
    np.testing.assert_array_equal(vector.signal_powers, [0.5, 1.0])
    assert PARAMETRISATIONS["scalar"].alpha_power == 4 and PARAMETRISATIONS["scalar"].coupling_powers == (4,)
    assert PARAMETRISATIONS["nsi"].coupling_powers == (1, 2)
    assert PARAMETRISATIONS["millicharge"].alpha_power == 2
    # to_alpha and to_physical are inverse, with a negative reference for a negative-side search
    cr = PARAMETRISATIONS["charge-radius"]
    assert cr.to_alpha(-3e-32, -1e-32) == pytest.approx(9.0)
    assert cr.to_physical(9.0, -1e-32) == pytest.approx(-3e-32)
    assert vector.poi_label(2e-5) == "(coupling/2e-05)^4"
    with pytest.raises(InputError, match="opposite sign"):
        cr.to_alpha(1e-32, -1e-32)
    with pytest.raises(InputError, match="one part per coupling power"):
        SignalParametrisation("x", "u", (1, 2), (None,))


def test_signals_list_every_model_with_its_required_options():
    assert set(SIGNALS) == set(PARAMETRISATIONS)
    assert SIGNALS["light-vector"].required == ("mass_mev", "charges")
    assert SIGNALS["scalar"].required == ("mass_mev",)
    assert SIGNALS["nsi"].required == ()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: search_spec("light-vector", mass_mev=10, charges="L-B"), "charges, one of"),
        (lambda: search_spec("light-vector", charges="B-L"), "needs mass_mev"),
        (lambda: search_spec("scalar", mass_mev=-1), "mediator mass must be > 0"),
        (lambda: search_spec("magnetic-moment", mass_mev=1), "takes no mass_mev"),
        (lambda: search_spec("scalar", mass_mev=1, charges="B-L"), "takes no charges"),
        (lambda: search_spec("scalar", mass_mev=1, sign="negative"), "takes no sign"),
        (lambda: search_spec("nsi", chirality="A"), "chirality must be one of"),
        (lambda: search_spec("nsi", sign="up"), "sign must be 'positive' or 'negative'"),
        (lambda: search_spec("nsi", coupling=0.1), "unknown search option 'coupling'"),
        (lambda: search_spec("axion"), "unknown signal 'axion'"),
        (lambda: search_spec("charge-radius", flavours=()), "at least one"),
        (lambda: SearchSpec("x", "dark-photon", mass_mev="1"), "real number"),
        (lambda: dark_photon_masses(2.5), "integer number"),
        (lambda: dark_photon_masses(5, low_mev=-1), "mediator mass must be > 0"),
        (lambda: SearchSpec("x", "millicharge", sign=-1), "cannot be negative"),
        (lambda: SearchSpec("x", "light-vector", mass_mev=1.0, charges="B-L", flavours=("mu",)), "takes no flavours"),
        (lambda: SearchSpec("x", "light-vector", mass_mev=1.0, charges="B-L", chirality="L"), "no chirality"),
        (lambda: SearchSpec("x", "nsi", reference=-0.1), "sign of the search"),
    ],
)
def test_search_spec_bad_input_is_one_line(call, message):
    with pytest.raises(InputError, match=message) as info:
        call()
    assert "\n" not in str(info.value)


def test_search_spec_defaults_and_keys():
    s = search_spec("light-vector", mass_mev=10, charges="Lmu-Ltau")
    assert s.key == "light_vector_Lmu-Ltau_10MeV" and s.flavours == ("e", "mu", "tau")
    n = search_spec("nsi", chirality="R", sign="negative")
    assert n.flavours == ("e",) and n.sign == -1 and n.key == "nsi_epsR_nue_negative"
    interaction = n.interaction(-0.2)
    assert (interaction.eps_l, interaction.eps_r) == (0.0, -0.2)
    v = search_spec("nsi", chirality="V").interaction(0.1)
    assert (v.eps_l, v.eps_r) == (0.05, 0.05)


@pytest.mark.parametrize(
    "signal, options",
    [
        ("light-vector", {"mass_mev": 10.0, "charges": "Lmu-Ltau"}),
        ("axial-vector", {"mass_mev": 1.0}),
        ("scalar", {"mass_mev": 10.0}),
        ("nsi", {"sign": "negative"}),
        ("charge-radius", {}),
    ],
)
def test_templates_are_each_term_at_the_reference(setup, spectrum, signal, options):
    """Terms evaluated once at a probe value and scaled by (x_ref/x_probe)^p equal a direct fold at x_ref."""
    spec = search_spec(signal, **options)
    model, tpl = build_binned_model(setup, spec, spectrum=spectrum)
    w = setup.window(next(iter(setup.windows)))
    for template, part in zip(tpl.templates, spec.parametrisation.parts, strict=False):
        direct = w.signal_template(spec.interaction(tpl.reference, part), "fea", spectrum)
        np.testing.assert_allclose(template, direct, rtol=1e-9, atol=1e-12 * np.abs(direct).max())
    # the highest-power term holds ~100 counts at α = 1, whatever the mass or sign
    assert tpl.templates[-1].sum() == pytest.approx(100.0, rel=1e-9)
    assert math.copysign(1, tpl.reference) == spec.sign
    assert model.poi_name.startswith(f"({spec.parameter}/")


def test_lmu_ltau_interference_cancels_in_the_template(setup, spectrum):
    """f_μ = f_τ in the constant flavour content: the L_μ−L_τ interference folds to zero (arXiv:2006.11225)."""
    _, tpl = build_binned_model(
        setup, search_spec("light-vector", mass_mev=10.0, charges="Lmu-Ltau"), spectrum=spectrum
    )
    assert np.all(np.abs(tpl.templates[0]) <= 1e-12 * tpl.templates[1].max())


def test_lmu_ltau_with_msw_flavour_content_is_fitted_with_its_signed_interference(setup):
    """With the MSW-LMA flavour content f_μ ≠ f_τ, so the L_μ−L_τ interference survives with one sign per bin;
    the fit keeps it exactly (α^½ term) and still gives a finite limit."""
    from exonu.oscillation import MSWFlavourContent

    spectrum = RecoilSpectrum(flavour_content=MSWFlavourContent())
    spec = search_spec("light-vector", mass_mev=10.0, charges="Lmu-Ltau")
    r = run_search(setup, spec, n_toys=0, spectrum=spectrum)
    interference = r.templates.templates[0]
    assert np.abs(interference).max() > 1e-6 * r.templates.templates[1].max()
    np.testing.assert_array_equal(r.model.signal_powers, [0.5, 1.0])
    assert math.isfinite(r.observed) and r.observed > 0


def test_b_minus_l_light_vector_search_is_the_dark_photon_search(setup, spectrum):
    a = run_search(setup, search_spec("light-vector", mass_mev=10.0, charges="B-L"), n_toys=0, spectrum=spectrum)
    b = run_search(setup, search_spec("dark-photon", mass_mev=10.0), n_toys=0, spectrum=spectrum)
    assert a.observed == pytest.approx(b.observed, rel=1e-10) and a.expected == pytest.approx(b.expected, rel=1e-10)


@pytest.mark.parametrize("detector", DETECTORS)
@pytest.mark.parametrize(
    "signal, options",
    [
        ("light-vector", {"mass_mev": 10.0, "charges": "Lmu-Ltau"}),
        ("scalar", {"mass_mev": 10.0}),
        ("axial-vector", {"mass_mev": 10.0}),
        ("pseudoscalar", {"mass_mev": 10.0}),
        ("nsi", {}),
        ("nsi", {"chirality": "R"}),
        ("nsi", {"sign": "negative"}),
        ("charge-radius", {}),
        ("charge-radius", {"sign": "negative"}),
    ],
)
def test_every_model_gives_a_valid_limit(detector, spectrum, signal, options):
    """Finite limits on the chosen side, and the mapping α ↔ parameter is the declared power law:
    the signal folded directly at the limit value equals the fit model's signal at α_90."""
    setup = loaded(detector)
    spec = search_spec(signal, **options)
    r = run_search(setup, spec, n_toys=0, spectrum=spectrum)
    assert r.fit_result.valid
    for value in (r.observed, r.expected):
        assert math.isfinite(value) and value != 0 and math.copysign(1, value) == spec.sign
    alpha = r.limit_result.alpha_limit
    w = setup.window(r.window)
    direct = sum(
        w.signal_template(spec.interaction(r.observed, part), "fea", spectrum) for part in spec.parametrisation.parts
    )
    np.testing.assert_allclose(direct, r.model.signal(alpha), rtol=1e-8, atol=1e-10 * np.abs(direct).max())


def test_heavy_mediator_limit_scales_with_mass(setup, spectrum):
    """For M² ≫ 2 m_e T the excess is ∝ (g/M)⁴ (L_μ−L_τ: interference cancels), so g_90 ∝ M exactly."""
    results = exclusion_curve(
        setup, spec_factory("light-vector", charges="Lmu-Ltau"), [100.0, 1000.0], spectrum=spectrum
    )
    assert results[1].observed / results[0].observed == pytest.approx(10.0, rel=1e-4)
    assert [r.spec.mass_mev for r in results] == [100.0, 1000.0]


def test_exclusion_curve_input_errors(setup):
    with pytest.raises(InputError, match="has no mediator mass"):
        spec_factory("nsi")
    with pytest.raises(InputError, match="non-empty"):
        exclusion_curve(setup, spec_factory("scalar"), [])
    with pytest.raises(InputError, match="integer number"):
        mediator_masses(1)


def test_exclusion_figure_per_mediator_family(setup, spectrum, tmp_path):
    """One PNG per family with finite curves; the plotted numbers are the scan's limits."""
    import matplotlib.pyplot as plt

    from exonu.output.figures_models import exclusion_curves_figure

    masses = mediator_masses(3, 1e-2, 1e2)
    for family in MEDIATOR_FAMILIES:
        charge_sets = ("B-L", "Lmu-Ltau") if family == "light-vector" else None
        curves = family_curves(setup, family, masses, charge_sets=charge_sets, spectrum=spectrum)
        assert list(curves) == list(charge_sets or (family,))
        fig, ax = plt.subplots()
        exclusion_curves_figure(curves, ax=ax, title=family)
        path = tmp_path / f"exclusion_{family}.png"
        fig.savefig(path)
        plt.close(fig)
        assert path.stat().st_size > 1000
        first = ax.get_lines()[0]
        label = next(iter(curves))
        np.testing.assert_allclose(first.get_xdata(), masses)
        np.testing.assert_allclose(first.get_ydata(), [r.observed for r in curves[label]])
        assert np.all(np.isfinite(first.get_ydata())) and np.all(np.asarray(first.get_ydata()) > 0)
    with pytest.raises(InputError, match="at least one curve"):
        exclusion_curves_figure({})
    with pytest.raises(InputError, match="light-vector family only"):
        family_curves(setup, "scalar", masses, charge_sets=("B-L",))
    with pytest.raises(InputError, match="unknown mediator family"):
        family_curves(setup, "tensor", masses)
