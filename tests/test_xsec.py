"""Per-electron cross sections against docs/physics.md §3–§6 (values at E_ν = 0.8618 MeV, T = 1/10/100 keV).

Tolerance 0.1 %: catches any factor of α, 2π, keV/MeV or a wrong coupling.
"""

import numpy as np
import pytest

from exonu.errors import InputError
from exonu.xsec import DarkPhotonBL, MagneticMoment, Millicharge, Weak, electron_min_neutrino_energy_kev, max_recoil_kev

E_BE7 = 861.8  # keV
T = np.array([1.0, 10.0, 100.0])
CM2_PER_MEV = 1e3  # our cross sections are per keV; the sheet's per MeV


def per_mev(x):
    return x * CM2_PER_MEV


@pytest.mark.parametrize(
    "s2w, nue, numu",
    [
        (0.2386, [1.0378e-44, 1.0338e-44, 9.9586e-45], [2.1570e-45, 2.1433e-45, 2.0180e-45]),
        (0.23121, [1.0131e-44, 1.0094e-44, 9.7331e-45], [2.1649e-45, 2.1524e-45, 2.0385e-45]),
    ],
)
def test_weak_against_physics_sheet_table_3(s2w, nue, numu):
    w = Weak(s2w)
    np.testing.assert_allclose(per_mev(w.dsigma_dt(T, E_BE7, "e")), nue, rtol=1e-3)
    np.testing.assert_allclose(per_mev(w.dsigma_dt(T, E_BE7, "mu")), numu, rtol=1e-3)
    np.testing.assert_allclose(w.dsigma_dt(T, E_BE7, "tau"), w.dsigma_dt(T, E_BE7, "mu"))


def test_weak_total_cross_sections_physics_sheet():
    """σ(ν_e, 862 keV) = 6.07e-45 cm², σ(ν_μ) = 1.23e-45; at 384 keV 2.01e-45 and 4.89e-46 (docs/physics.md §3)."""
    from scipy import integrate

    w = Weak()
    for e, ref_e, ref_mu in [(862.0, 6.07e-45, 1.23e-45), (384.0, 2.01e-45, 4.89e-46)]:
        tmax = float(max_recoil_kev(e))
        s_e = integrate.quad(lambda t: w.dsigma_dt(t, e, "e"), 0, tmax)[0]
        s_mu = integrate.quad(lambda t: w.dsigma_dt(t, e, "mu"), 0, tmax)[0]
        assert s_e == pytest.approx(ref_e, rel=5e-3)
        assert s_mu == pytest.approx(ref_mu, rel=5e-3)


def test_magnetic_moment_physics_sheet_section_4():
    ref = [2.4918e-44, 2.4657e-45, 2.2052e-46]
    np.testing.assert_allclose(per_mev(MagneticMoment(1e-11).dsigma_dt(T, E_BE7)), ref, rtol=1e-3)


def test_magnetic_moment_scales_as_mu_squared_and_is_flavour_universal():
    a = MagneticMoment(1e-11).dsigma_dt(T, E_BE7, "e")
    b = MagneticMoment(2e-11).dsigma_dt(T, E_BE7, "tau")
    np.testing.assert_allclose(b, 4 * a, rtol=1e-12)


def test_millicharge_physics_sheet_section_5_1():
    ref = [2.5457e-43, 2.5114e-45, 2.1832e-47]
    np.testing.assert_allclose(per_mev(Millicharge(1e-12).dsigma_dt(T, E_BE7)), ref, rtol=1e-3)
    # leading form 2.5495e-43 (1 keV/T)² per MeV: the α² (not α) coefficient
    lead = per_mev(Millicharge(1e-12).dsigma_dt(np.array([0.1]), 1e6))[0]
    assert lead == pytest.approx(2.5495e-43 * 100, rel=2e-3)


def test_millicharge_only_listed_flavours():
    m = Millicharge(1e-12, flavours=("e",))
    assert np.all(m.dsigma_dt(T, E_BE7, "mu") == 0)
    assert np.all(m.dsigma_dt(T, E_BE7, "e") > 0)


@pytest.mark.parametrize(
    "g, mass, pure, int_e, int_mu",
    [
        (
            1e-6,
            1e-3,
            [3.0214e-41, 2.9859e-43, 2.5961e-45],
            [9.9704e-43, 9.8976e-44, 9.1123e-45],
            [-2.3841e-44, -2.8851e-45, -7.5824e-46],
        ),
        (
            1e-4,
            10.0,
            [3.1619e-43, 3.1187e-43, 2.7061e-43],
            [1.0200e-43, 1.0115e-43, 9.3033e-44],
            [-2.4389e-45, -2.9486e-45, -7.7413e-45],
        ),
    ],
)
def test_dark_photon_physics_sheet_section_6(g, mass, pure, int_e, int_mu):
    np.testing.assert_allclose(per_mev(DarkPhotonBL(g, mass, "pure").dsigma_dt(T, E_BE7)), pure, rtol=1e-3)
    inter = DarkPhotonBL(g, mass, "interference")
    np.testing.assert_allclose(per_mev(inter.dsigma_dt(T, E_BE7, "e")), int_e, rtol=1e-3)
    np.testing.assert_allclose(per_mev(inter.dsigma_dt(T, E_BE7, "mu")), int_mu, rtol=1e-3)
    both = DarkPhotonBL(g, mass).dsigma_dt(T, E_BE7, "e")
    np.testing.assert_allclose(
        both, DarkPhotonBL(g, mass, "pure").dsigma_dt(T, E_BE7, "e") + inter.dsigma_dt(T, E_BE7, "e")
    )


def test_dark_photon_is_a_shift_of_gv():
    """SM(g_V + x) = SM + interference + pure, x = g²/(√2 G_F (2 m_e T + M²)) (HKM 1202.6073)."""
    from exonu.constants import ELECTRON_MASS_MEV, FERMI_CONSTANT_MEV2
    from exonu.xsec import weak

    g, mass, s2w = 3e-5, 0.5, 0.2386
    t = np.array([1.0, 30.0, 200.0])
    x = g**2 / (np.sqrt(2) * FERMI_CONSTANT_MEV2 * (2 * ELECTRON_MASS_MEV * t / 1e3 + mass**2))
    for flavour in ("e", "mu"):
        gv, ga = weak.vector_axial_couplings(flavour, s2w)

        class Shifted(Weak):
            def _dsigma_dt_natural(self, tt, e, f):
                me = ELECTRON_MASS_MEV
                v = gv + x
                return (
                    FERMI_CONSTANT_MEV2**2
                    * me
                    / (2 * np.pi)
                    * ((v + ga) ** 2 + (v - ga) ** 2 * (1 - tt / e) ** 2 - (v**2 - ga**2) * me * tt / e**2)
                )

        total = Shifted(s2w).dsigma_dt(t, E_BE7, flavour)
        parts = Weak(s2w).dsigma_dt(t, E_BE7, flavour) + DarkPhotonBL(g, mass, sin2_theta_w=s2w).dsigma_dt(
            t, E_BE7, flavour
        )
        np.testing.assert_allclose(parts, total, rtol=1e-10)


def test_light_dark_photon_equals_millicharge():
    """Pure B−L term with M → 0 is the millicharge formula with q = g²/(4πα) (docs/physics.md §5.1, §6)."""
    from exonu.constants import ALPHA

    g = 1e-6
    q = g**2 / (4 * np.pi * ALPHA)
    t = np.array([1.0, 5.0, 50.0])
    dp = DarkPhotonBL(g, 1e-9, "pure").dsigma_dt(t, 420.0)
    mc = Millicharge(q).dsigma_dt(t, 420.0)
    np.testing.assert_allclose(dp, mc, rtol=1e-9)


def test_kinematics_physics_sheet_section_2():
    np.testing.assert_allclose(
        max_recoil_kev([423.41, 384.3, 861.8, 1442.0]), [264.06, 230.83, 664.73, 1224.96], atol=0.02
    )
    np.testing.assert_allclose(electron_min_neutrino_energy_kev([1, 5, 10]), [16.5, 38.3, 55.8], atol=0.05)
    assert np.all(Weak().dsigma_dt(700.0, 861.8) == 0)  # above T_max


def test_bad_parameters_raise():
    with pytest.raises(InputError, match="magnetic moment"):
        MagneticMoment(-1)
    with pytest.raises(InputError, match="flavour"):
        Weak().dsigma_dt(1.0, 100.0, "sterile")
    with pytest.raises(InputError, match="mass"):
        DarkPhotonBL(1e-6, 0.0)
    with pytest.raises(InputError, match="millicharge"):
        Millicharge(float("nan"))
    with pytest.raises(InputError, match="sin2_theta_w"):
        Weak(1.5)


def test_dark_photon_is_the_b_minus_l_light_vector_to_1e10():
    """B−L is one charge set of the light vector; for ν–e it equals the universal Z′ ((−1)(−1) = +1)."""
    from exonu.xsec import LightVector
    from exonu.xsec.dark_photon import DarkPhotonBL as ReExported

    assert ReExported is DarkPhotonBL
    t = np.array([0.5, 5.0, 50.0, 300.0])
    for mass in (1e-3, 1.0, 10.0, 100.0):
        for part in ("both", "pure", "interference"):
            for flavour in ("e", "mu", "tau"):
                dp = DarkPhotonBL(2e-5, mass, part).dsigma_dt(t, E_BE7, flavour)
                np.testing.assert_allclose(
                    LightVector(2e-5, mass, "B-L", part).dsigma_dt(t, E_BE7, flavour), dp, rtol=1e-10
                )
                np.testing.assert_allclose(
                    LightVector(2e-5, mass, "universal", part).dsigma_dt(t, E_BE7, flavour), dp, rtol=1e-10
                )


def test_light_vector_charge_sets_switch_flavours_on_and_off():
    """L_e−L_μ has no ν_τ term, L_e−L_τ no ν_μ term, L_μ−L_τ no ν_e term (charges 0)."""
    from exonu.xsec import LightVector

    for charges, silent in (("Le-Lmu", "tau"), ("Le-Ltau", "mu"), ("Lmu-Ltau", "e")):
        assert np.all(LightVector(1e-4, 1.0, charges).dsigma_dt(T, E_BE7, silent) == 0)


def test_scalar_and_pseudoscalar_have_no_interference():
    from exonu.xsec import Pseudoscalar, Scalar

    for cls in (Scalar, Pseudoscalar):
        with pytest.raises(InputError, match="no interference"):
            cls(1e-5, 1.0, part="interference")
        # g⁴ scaling, flavour universal
        np.testing.assert_allclose(
            cls(2e-5, 1.0).dsigma_dt(T, E_BE7, "mu"), 16 * cls(1e-5, 1.0).dsigma_dt(T, E_BE7, "e"), rtol=1e-12
        )


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: Millicharge(1e-12, epa_neutrino_mass_ev=1e6), "epa_neutrino_mass_ev must be ≤ 1000"),
        (lambda: Millicharge(1e-12, flavours=()), "at least one"),
        (lambda: MagneticMoment(1e-11, flavours=[]), "at least one"),
        (lambda: MagneticMoment(1e200), "magnetic moment must be ≤"),
        (lambda: MagneticMoment("1e-11"), "real number"),
        (lambda: DarkPhotonBL(1e-6, 1.0, sin2_theta_w=float("nan")), "sin2_theta_w must be finite"),
        (lambda: DarkPhotonBL(1e-6, 1.0, sin2_theta_w=5), "sin2_theta_w must be ≤ 1"),
        (lambda: DarkPhotonBL(1e200, 1.0), "coupling g must be ≤"),
        (lambda: DarkPhotonBL(1e-6, 1e300), "mediator mass must be ≤"),
        (lambda: DarkPhotonBL("a", 1.0), "real number"),
        (lambda: Weak(None), "real number"),
        (lambda: Weak(1.0), "sin2_theta_w must be < 1"),
    ],
)
def test_physics_range_checks_raise_one_line_input_errors(build, message):
    """Issue-11 range checks: unphysical or overflowing inputs are InputErrors naming the parameter."""
    with pytest.raises(InputError, match=message) as info:
        build()
    assert "\n" not in str(info.value)


def test_new_model_range_checks():
    from exonu.xsec import AxialVector, ChargeRadius, ElectronNSI, LightVector, Scalar

    with pytest.raises(InputError, match="unknown charge set 'L-B'"):
        LightVector(1e-5, 1.0, "L-B")
    with pytest.raises(InputError, match="mediator mass must be > 0"):
        AxialVector(1e-5, -1.0)
    with pytest.raises(InputError, match="coupling g must be ≥ 0"):
        Scalar(-1e-5, 1.0)
    with pytest.raises(InputError, match="eps_l must be ≤ 10"):
        ElectronNSI(eps_l=1e200)
    with pytest.raises(InputError, match="unknown flavour 'x'"):
        ElectronNSI(eps_l=0.1, flavours=("x",))
    with pytest.raises(InputError, match="charge radius"):
        ChargeRadius(float("inf"))
