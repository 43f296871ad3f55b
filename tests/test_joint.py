"""Joint fits across detectors (exonu.searches.joint).

References: the fit of each detector is Eqs. (4)–(7) of the XMASS-I paper (arXiv:2005.11891);
combining channels with modifiers shared by name is HistFactory's rule (CERN-OPEN-2012-016, §2).

The closure tests use exact identities of the statistic, not stored numbers:

(a) One detector split into two detectors of half the exposure, each with half the (Asimov) data and
    every nuisance shared, has the same χ²(α) profile as the whole: each bin's term
    (D − E)²/D (or the Poisson deviance) is linear in a common scale of D and E, so the two halves'
    terms add up to the whole's, and a shared pull term is counted once.
(b) Without shared parameters the joint χ² separates into independent sums, so its profile is the
    sum of the single-detector profiles.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from exonu.config import load_detector, packaged_detector_dir
from exonu.errors import InputError
from exonu.searches import SearchSpec, build_binned_model, run_search
from exonu.searches.joint import build_joint_model, combine_models, run_joint_search
from exonu.stats import profile_scan

MU = SearchSpec("magnetic_moment_mub", "magnetic-moment")
DARK_PHOTON = SearchSpec("dark_photon_0.001MeV", "dark-photon", mass_mev=1e-3)
DARK_PHOTON_10 = SearchSpec("dark_photon_10MeV", "dark-photon", mass_mev=10.0)

#: α values of the profile comparisons: 0 to about twice the expected 90 % limits of these models
ALPHAS_MU_XMASS = np.array([0.0, 0.5, 1.0, 2.0, 4.0])


def _copy_xmass(tmp_dir, name: str, *, half: bool = True, pp_uncertainty: str | None = None):
    """A copy of the packaged XMASS-I TOML: another name, optionally half the fiducial mass (half the
    exposure), another pp flux uncertainty, and an extra window far above every pp/⁷Be recoil energy."""
    text = (packaged_detector_dir() / "xmass_i.toml").read_text(encoding="utf-8")
    edits = [('name = "xmass-i"', f'name = "{name}"')]
    if half:
        edits.append(("fiducial_mass_kg = 97.0", "fiducial_mass_kg = 48.5"))
    if pp_uncertainty is not None:
        edits.append(("solar_flux = { pp = 0.006,", f"solar_flux = {{ pp = {pp_uncertainty},"))
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    # pp and 7Be recoils end below 670 keV (7Be: T_max = 665 keV), > 20 resolution σ below 2 MeV
    text += "\n[windows.beyond]\nlow_kev = 2000.0\nhigh_kev = 2100.0\nwidth_kev = 50.0\n"
    path = tmp_dir / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return load_detector(path)


def _copy_xenon1t_half(tmp_dir, name: str):
    """A copy of the packaged XENON1T TOML with half the exposure. Its data file gives rates, so the
    loaded counts (rate × exposure) are half the real counts: non-integer, hence allowed explicitly."""
    text = (packaged_detector_dir() / "xenon1t_sr1.toml").read_text(encoding="utf-8")
    tables = (packaged_detector_dir().parent / "xenon1t_sr1").as_posix()
    edits = [
        ('name = "xenon1t-sr1"', f'name = "{name}"'),
        ("exposure_tonne_year = 0.6473", "exposure_tonne_year = 0.32365"),
        ('format = "binned_rate"', 'format = "binned_rate"\nallow_non_integer_counts = true'),
    ]
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    text = text.replace('"../xenon1t_sr1/', f'"{tables}/')
    path = tmp_dir / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return load_detector(path)


@pytest.fixture(scope="module")
def xmass():
    return load_detector("xmass-i")


@pytest.fixture(scope="module")
def xenon1t():
    return load_detector("xenon1t-sr1")


@pytest.fixture(scope="module")
def halves(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("joint")
    return _copy_xmass(tmp, "xmass-half-a"), _copy_xmass(tmp, "xmass-half-b")


def _asimov(setup, spec):
    """Background-only Asimov counts of one detector's window for ``spec``."""
    model, _ = build_binned_model(setup, spec)
    return model.asimov(0.0)


# ------------------------------------------------------------------------------------------ closure
@pytest.mark.parametrize("statistic", ["chi2", "poisson"])
def test_closure_half_exposures_with_shared_nuisances_equal_the_whole(xmass, halves, statistic):
    a, b = halves
    spec = MU
    whole, _ = build_binned_model(xmass, spec)
    datas = {a.name: _asimov(a, spec), b.name: _asimov(b, spec)}
    # half the exposure is half the counts in every bin (sanity of the split itself)
    np.testing.assert_allclose(2.0 * datas[a.name], whole.data, rtol=1e-12)
    joint = build_joint_model([a, b], spec, datas, shared="all")
    assert joint.model.n_nuisances == whole.n_nuisances
    chi2_whole = profile_scan(whole, ALPHAS_MU_XMASS, statistic=statistic).chi2
    chi2_joint = profile_scan(joint.model, ALPHAS_MU_XMASS, statistic=statistic).chi2
    assert chi2_whole[-1] - chi2_whole[0] > 5.0  # the profile is not flat: the comparison has teeth
    np.testing.assert_allclose(chi2_joint - chi2_joint[0], chi2_whole - chi2_whole[0], rtol=0, atol=1e-6)


@pytest.mark.parametrize("statistic", ["chi2", "poisson"])
def test_closure_half_exposures_on_real_data(xenon1t, tmp_path, statistic):
    """XENON1T's measured spectrum split into two half exposures with half the counts each."""
    a, b = _copy_xenon1t_half(tmp_path, "xenon1t-half-a"), _copy_xenon1t_half(tmp_path, "xenon1t-half-b")
    whole, _ = build_binned_model(xenon1t, MU)
    # the loader rounds the whole detector's rate × exposure to integer counts: halve those exactly
    half = whole.data / 2.0
    np.testing.assert_allclose(a.window("low_er").data_counts, half, rtol=1e-4)
    joint = build_joint_model([a, b], MU, {a.name: half, b.name: half}, shared="all")
    alphas = np.array([0.0, 0.02, 0.05, 0.1])  # the observed 90 % limit is α ≈ 0.065
    chi2_whole = profile_scan(whole, alphas, statistic=statistic).chi2
    chi2_joint = profile_scan(joint.model, alphas, statistic=statistic).chi2
    assert np.ptp(chi2_whole) > 2.0
    np.testing.assert_allclose(chi2_joint - chi2_joint[0], chi2_whole - chi2_whole[0], rtol=0, atol=1e-6)


def test_closure_half_exposures_dark_photon(xmass, halves):
    a, b = halves
    joint = build_joint_model(
        [a, b], DARK_PHOTON, {a.name: _asimov(a, DARK_PHOTON), b.name: _asimov(b, DARK_PHOTON)}, shared="all"
    )
    # the whole detector with the joint's reference coupling, so α is the same parameter
    whole, _ = build_binned_model(xmass, replace(DARK_PHOTON, reference=joint.reference))
    alphas = np.array([0.0, 1.0, 4.0, 10.0])  # the expected limit is α ≈ 6.5
    chi2_whole = profile_scan(whole, alphas).chi2
    chi2_joint = profile_scan(joint.model, alphas).chi2
    assert chi2_whole[-1] - chi2_whole[0] > 5.0
    np.testing.assert_allclose(chi2_joint - chi2_joint[0], chi2_whole - chi2_whole[0], rtol=0, atol=1e-6)


def test_closure_fails_when_the_halves_do_not_share_their_nuisances(xmass, halves):
    """The same split with every nuisance doubled (one set of pulls, i.e. one auxiliary measurement,
    per half) is a different model: the closure test above would see the difference."""
    a, b = halves
    whole, _ = build_binned_model(xmass, MU)
    joint = build_joint_model([a, b], MU, {a.name: _asimov(a, MU), b.name: _asimov(b, MU)}, shared=())
    assert joint.model.n_nuisances == 2 * whole.n_nuisances
    d_whole = np.diff(profile_scan(whole, ALPHAS_MU_XMASS).chi2[[0, -1]])[0]
    d_joint = np.diff(profile_scan(joint.model, ALPHAS_MU_XMASS).chi2[[0, -1]])[0]
    assert abs(d_joint - d_whole) > 1.0


@pytest.mark.parametrize(
    "spec, alphas", [(MU, np.array([0.0, 0.01, 0.03, 0.1])), (DARK_PHOTON, np.array([0.0, 0.01, 0.1, 0.5]))]
)
def test_closure_without_shared_parameters_is_the_sum_of_the_detectors(xmass, xenon1t, spec, alphas):
    datas = {xmass.name: _asimov(xmass, spec), xenon1t.name: _asimov(xenon1t, spec)}
    joint = build_joint_model([xmass, xenon1t], spec, datas, shared=())
    assert joint.shared == ()
    singles = sum(profile_scan(joint.models[d], alphas).chi2 for d in joint.detectors)
    combined = profile_scan(joint.model, alphas).chi2
    assert singles[-1] - singles[0] > 1.0
    np.testing.assert_allclose(combined, singles, rtol=0, atol=1e-6)


# ------------------------------------------------------------------------------------- structure
def test_flux_normalisation_is_one_parameter_across_detectors(xmass, xenon1t):
    joint = build_joint_model([xmass, xenon1t], MU)
    names = joint.model.nuisance_names
    singles = {d: joint.models[d].nuisance_names for d in joint.detectors}
    for source in ("pp", "7Be"):
        assert f"r_solar_flux_{source}" in singles["xmass-i"] and f"r_solar_flux_{source}" in singles["xenon1t-sr1"]
        assert [n for n in names if n.endswith(f"solar_flux_{source}")] == [f"r_solar_flux_{source}"]
    assert set(joint.shared) == {"r_solar_flux_pp", "r_solar_flux_7Be"}
    # everything else is per detector: the joint count is the sum less one per shared parameter
    assert len(names) == sum(len(v) for v in singles.values()) - 2
    assert "r_xenon1t-sr1/efficiency" in names and "r_xmass-i/selection_efficiency" in names


def test_solar_background_component_is_shared_between_detectors_that_have_it(halves):
    a, b = halves
    joint = build_joint_model([a, b], MU)
    names = joint.model.nuisance_names
    assert names.count("p_solar_nu_sm") == 1
    assert "p_xmass-half-a/c14" in names and "p_xmass-half-b/c14" in names
    assert set(joint.shared) == {"p_solar_nu_sm", "r_solar_flux_pp", "r_solar_flux_7Be"}


def test_joint_expectation_is_each_detectors_expectation(xmass, xenon1t):
    """Moving a shared pull moves both detectors as their own pull does; a detector-specific pull
    moves only its own bins."""
    joint = build_joint_model([xmass, xenon1t], MU)
    m = joint.model
    r = np.zeros(m.n_sig_sys)
    r[m.signal_sys_names.index("solar_flux_pp")] = 1.5
    r[m.signal_sys_names.index("xenon1t-sr1/efficiency")] = -0.7
    split = joint.split(m.expected(2.0, r=r))
    for d in joint.detectors:
        own = joint.models[d]
        r_own = np.zeros(own.n_sig_sys)
        r_own[own.signal_sys_names.index("solar_flux_pp")] = 1.5
        if d == "xenon1t-sr1":
            r_own[own.signal_sys_names.index("efficiency")] = -0.7
        np.testing.assert_allclose(split[d], own.expected(2.0, r=r_own), rtol=1e-13)


def test_dark_photon_reference_is_chosen_once_for_all_detectors(xmass, xenon1t):
    """g_ref = (Σ_d g_d⁻⁴)^(−1/4) puts ~100 pure-term events in the detectors together."""
    joint = build_joint_model([xmass, xenon1t], DARK_PHOTON)
    assert all(t.reference == joint.reference for t in joint.templates.values())
    pure = joint.model.signal_templates[list(joint.model.signal_powers).index(1.0)]
    assert pure.sum() == pytest.approx(100.0, rel=1e-9)


def test_combine_models_keeps_pull_centres_and_refuses_clashing_ones(xmass, xenon1t):
    mu_x, _ = build_binned_model(xmass, MU)
    mu_1t, _ = build_binned_model(xenon1t, MU)
    pp = mu_1t.signal_sys_names.index("solar_flux_pp")
    shifted = mu_1t.with_aux(aux_sig_sys=np.where(np.arange(mu_1t.n_sig_sys) == pp, 0.5, 0.0))
    joint, _ = combine_models(
        {
            "x": mu_x.with_aux(aux_sig_sys=np.where(np.array(mu_x.signal_sys_names) == "solar_flux_pp", 0.5, 0.0)),
            "1t": shifted,
        },
        ["r_solar_flux_pp"],
    )
    assert joint.aux_sig_sys[joint.signal_sys_names.index("solar_flux_pp")] == 0.5
    with pytest.raises(InputError, match="'solar_flux_pp' has auxiliary value 0.5") as exc:
        combine_models({"x": mu_x, "1t": shifted}, ["r_solar_flux_pp"])
    _one_line(exc)


def test_combine_models_rejects_different_signal_models(xmass):
    mu, _ = build_binned_model(xmass, MU)
    dp, _ = build_binned_model(xmass, DARK_PHOTON)
    with pytest.raises(InputError, match="signal powers"):
        combine_models({"a": mu, "b": dp})


# ------------------------------------------------------------------------------------ bad input
def _one_line(exc_info) -> str:
    msg = str(exc_info.value)
    assert "\n" not in msg and msg
    return msg


def test_two_detectors_with_the_same_name_are_refused(xmass):
    with pytest.raises(InputError, match="'xmass-i' appears 2 times") as exc:
        build_joint_model([xmass, xmass], MU)
    _one_line(exc)


def test_data_must_say_which_detector_they_belong_to(xmass, xenon1t):
    counts = _asimov(xenon1t, MU)
    with pytest.raises(InputError, match="mapping detector name") as exc:
        run_joint_search([xmass, xenon1t], MU, [counts], n_toys=0)
    _one_line(exc)
    with pytest.raises(InputError, match=r"unknown detectors \['xenon1t'\]") as exc:
        build_joint_model([xmass, xenon1t], MU, {"xenon1t": counts})
    _one_line(exc)
    with pytest.raises(InputError, match="'xmass-i'.*99 bins") as exc:  # XENON1T's counts given to XMASS-I
        build_joint_model([xmass, xenon1t], MU, {"xmass-i": counts})
    _one_line(exc)


def test_signal_a_detector_cannot_compute_is_refused(xmass, xenon1t, halves):
    with pytest.raises(InputError, match="'xenon1t-sr1' cannot compute the magnetic-moment signal") as exc:
        build_joint_model([xmass, xenon1t], SearchSpec("mm", "magnetic-moment", window="full"))
    _one_line(exc)
    a, _ = halves
    with pytest.raises(InputError, match="'xmass-half-a' cannot compute.*zero in every bin") as exc:
        build_joint_model([a, xenon1t], MU, windows={a.name: "beyond"})
    _one_line(exc)


def test_unknown_sharing_policy_and_window_mapping_are_refused(xmass, xenon1t):
    with pytest.raises(InputError, match="shared must be 'physical', 'all' or a collection") as exc:
        build_joint_model([xmass, xenon1t], MU, shared="flux")
    _one_line(exc)
    with pytest.raises(InputError, match="windows must be a mapping detector name") as exc:
        build_joint_model([xmass, xenon1t], MU, windows="full")
    _one_line(exc)


def test_each_detector_keeps_its_own_statistic(xmass, xenon1t):
    """χ² for XMASS-I, Poisson for XENON1T in one fit: with nothing shared, the joint profile is the sum of the
    χ² profile of one and the Poisson profile of the other; the result records the per-bin statistic."""
    from exonu.searches.joint import with_bin_statistics

    alphas = np.array([0.0, 0.01, 0.03, 0.1])
    chosen = {"xmass-i": "chi2", "xenon1t-sr1": "poisson"}
    joint = build_joint_model(
        [xmass, xenon1t], MU, {xmass.name: _asimov(xmass, MU), xenon1t.name: _asimov(xenon1t, MU)}, shared=()
    )
    model, statistic = with_bin_statistics(joint, chosen)
    assert statistic == "per-bin"
    singles = sum(profile_scan(joint.models[d], alphas, statistic=chosen[d]).chi2 for d in joint.detectors)
    np.testing.assert_allclose(profile_scan(model, alphas, statistic="per-bin").chi2, singles, rtol=0, atol=1e-6)
    res = run_joint_search([xmass, xenon1t], MU, statistic=chosen, n_toys=0)
    assert res.statistic == "per-bin" and np.isfinite(res.combined.observed)
    assert res.detectors["xenon1t-sr1"].limit_result.statistic == "poisson"
    with pytest.raises(InputError, match="statistic must be one of") as exc:
        run_joint_search([xmass, xenon1t], MU, statistic={"xmass-i": "chi2", "xenon1t-sr1": "gauss"}, n_toys=0)
    _one_line(exc)
    # no statistic given: each detector's config names its own (χ² for XMASS-I, Poisson for XENON1T), as
    # `exonu fit` does; the numbers are those of the explicit mapping
    default = run_joint_search([xmass, xenon1t], MU, n_toys=0)
    assert default.statistics == chosen and default.statistic == "per-bin"
    assert default.combined.observed == pytest.approx(res.combined.observed, rel=1e-12)


def test_shared_parameters_must_mean_the_same_thing(tmp_path, xmass, halves):
    other_pp = _copy_xmass(tmp_path, "xmass-other-pp", pp_uncertainty="0.01")
    with pytest.raises(InputError, match="pp solar flux uncertainty") as exc:
        build_joint_model([xmass, other_pp], MU)
    _one_line(exc)
    whole_named = _copy_xmass(tmp_path, "xmass-whole", half=False)
    with pytest.raises(InputError, match="'p_surface_pb210'.*in 1 of the detectors") as exc:
        build_joint_model([whole_named, load_detector("xenon1t-sr1")], MU, shared=["p_surface_pb210"])
    _one_line(exc)
    a, _ = halves
    millicharge = SearchSpec("mc", "millicharge")  # the solar SM σ is share-weighted per window
    with pytest.raises(InputError, match="shared parameter 'solar_nu_sm' has activity σ") as exc:
        build_joint_model([a, whole_named], millicharge, windows={a.name: "full"})
    _one_line(exc)


# ---------------------------------------------------------------------------------------- limits
@pytest.mark.parametrize("spec", [MU, DARK_PHOTON, DARK_PHOTON_10], ids=["magnetic-moment", "dark-photon", "dp-10MeV"])
@pytest.mark.parametrize("method", ["bayesian", "plr"])
def test_xmass_xenon1t_joint_limit_at_least_as_strong_as_the_better_detector(xmass, xenon1t, spec, method):
    datas = {xmass.name: _asimov(xmass, spec), xenon1t.name: _asimov(xenon1t, spec)}
    result = run_joint_search([xmass, xenon1t], spec, datas, method=method, n_toys=0, interval=True)
    combined = result.combined
    assert combined.limit_result.converged and combined.fit_result.valid
    better = min(r.expected for r in result.detectors.values())
    assert 0 < combined.expected <= better * (1 + 1e-6)
    # on Asimov data the observed limit is the expected one
    assert combined.observed == pytest.approx(combined.expected, rel=1e-4)
    assert combined.interval[0] <= combined.observed * (1 + 1e-6)
    d = json.loads(json.dumps(result.to_dict()))
    assert set(d["per_detector"]) == {"xmass-i", "xenon1t-sr1"}
    assert d["ndof"] == 99 + 29 - 1 and "combined" not in d
    assert d["upper_limit"] == combined.observed and d["expected_upper_limit"] == combined.expected
    assert d["shared_parameters"] == ["r_solar_flux_pp", "r_solar_flux_7Be"]


def test_one_detector_joint_search_is_run_search(xenon1t):
    """With one detector the joint machinery reproduces exonu.searches.run_search exactly."""
    joint = run_joint_search([xenon1t], MU, method="plr", n_toys=0, interval=True)
    single = run_search(xenon1t, MU, method="plr", n_toys=0, interval=True)
    for r in (joint.combined, joint.detectors["xenon1t-sr1"]):
        assert r.observed == pytest.approx(single.observed, rel=1e-12)
        assert r.expected == pytest.approx(single.expected, rel=1e-12)
        assert r.interval == pytest.approx(single.interval, rel=1e-12)
        assert r.chi2_min == pytest.approx(single.chi2_min, rel=1e-12)


@pytest.mark.parametrize(
    "spec",
    [MU, DARK_PHOTON_10, SearchSpec("nsi_epsL_nue_positive", "nsi", flavours=("e",), chirality="L")],
    ids=["magnetic-moment", "dark-photon-10MeV", "nsi"],
)
def test_each_detectors_result_is_its_single_detector_fit(xmass, xenon1t, spec):
    joint = run_joint_search([xmass, xenon1t], spec, method="plr", n_toys=0)
    for setup in (xmass, xenon1t):
        single = run_search(setup, spec, method="plr", n_toys=0)
        alone = joint.detectors[setup.name]
        assert alone.reference == single.reference
        assert alone.observed == pytest.approx(single.observed, rel=1e-12)
        assert alone.expected == pytest.approx(single.expected, rel=1e-12)
    summary = joint.to_dict()
    assert summary["converged"] and all(d["converged"] for d in summary["per_detector"].values())


def test_joint_toy_band(xmass, xenon1t):
    result = run_joint_search(
        [xmass, xenon1t], MU, method="plr", n_toys=10, seed=3, statistic={"xmass-i": "chi2", "xenon1t-sr1": "chi2"}
    )
    for r in (result.combined, *result.detectors.values()):
        lo, hi = r.expected_band
        assert 0 < lo <= r.expected_toy_median <= hi and r.seed == 3
        assert r.expected_band_fixed_aux is not None


@pytest.mark.slow
def test_joint_neyman(xmass, xenon1t):
    result = run_joint_search([xmass, xenon1t], MU, method="neyman", n_toys=10, neyman_toys=40, seed=3)
    lo, hi = result.combined.expected_band
    assert 0 < lo <= hi and result.combined.seed == 3
    assert result.combined.observed > 0 and np.isfinite(result.combined.observed)


def test_models_without_a_fixed_reference_get_one_common_reference():
    """NSI (α-power 2 in ε): the joint reference follows x_ref = (Σ_d |x_d|^−2)^(−1/2) of the detectors' own."""
    from exonu.searches import signal_templates
    from exonu.searches.joint import build_joint_model
    from exonu.searches.spec import search_spec

    setups = [load_detector("xenon1t-sr1"), load_detector("xmass-i")]
    spec = search_spec("nsi")
    own = np.array([signal_templates(s, spec).reference for s in setups])
    joint = build_joint_model(setups, spec)
    assert joint.reference == pytest.approx(np.sum(own**-2.0) ** -0.5, rel=1e-12)
    assert joint.reference < own.min()


def test_an_entry_that_is_not_a_loaded_detector_is_refused_in_one_line(xmass):
    """A look-alike with a name (or a detector's name) is refused by name before anything is read from it."""
    from types import SimpleNamespace

    for bad in (SimpleNamespace(name="a"), "xenon1t-sr1"):
        with pytest.raises(InputError, match="setup must be a loaded detector") as exc:
            run_joint_search([xmass, bad], MU, n_toys=0)
        _one_line(exc)


def test_a_statistic_mapping_must_name_every_detector(xmass, xenon1t):
    """A detector left out of the mapping would silently get the other's statistic: refused, in one line."""
    with pytest.raises(InputError, match="must name exactly the detectors") as exc:
        run_joint_search([xmass, xenon1t], MU, statistic={"xmass-i": "chi2"}, n_toys=0)
    _one_line(exc)
