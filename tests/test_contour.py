"""Two-parameter regions (`exonu contour`, exonu.searches.contour).

Checked: Wilks' two-parameter threshold against SciPy's χ²₂ quantile; the five monomial templates
against the rate computed directly from the interaction at an arbitrary point; closure (Asimov data
made by the one-parameter search machinery at an injected point: the region contains it and the
statistic vanishes there); the one-parameter intervals against `exonu fit --interval two-sided`'s
library call; one-line errors for bad --params.
"""

from __future__ import annotations

import json
import pickle
from functools import partial

import numpy as np
import pytest
from scipy.stats import chi2

from exonu.cli import main
from exonu.cli.contour import PARAMS_HELP
from exonu.config import load_detector
from exonu.errors import InputError
from exonu.searches import build_binned_model, choose_window, contour, run_search, search_spec
from exonu.searches.contour import (
    REGION_PARAMETERS,
    ToyUnit,
    confidence_region,
    interval_threshold,
    one_parameter_interval,
    region_problem,
    region_threshold,
    toy_threshold,
    window_templates,
)
from exonu.spectrum import RecoilSpectrum
from exonu.xsec import ElectronNSI

DETECTOR = "xenonnt-sr0"


@pytest.fixture(scope="module")
def setup():
    return load_detector(DETECTOR)


@pytest.fixture(scope="module")
def nsi_problem(setup):
    return region_problem([setup], search_spec("nsi"), ["eps_l", "eps_r"])


def test_wilks_threshold_is_the_chi2_quantile_with_two_degrees_of_freedom():
    for cl in (0.68, 0.9, 0.95):
        assert region_threshold(cl) == pytest.approx(chi2.ppf(cl, 2), rel=1e-12)
        assert interval_threshold(cl) == pytest.approx(chi2.ppf(cl, 1), rel=1e-12)
    # docs/physics.md §15.2: −2 ln(1 − CL) = 4.6052 at 90 %, 5.9915 at 95 %
    assert region_threshold(0.9) == pytest.approx(4.6052, abs=1e-4)
    assert region_threshold(0.95) == pytest.approx(5.9915, abs=1e-4)


@pytest.mark.parametrize(
    ("params", "point", "direct"),
    [
        (("eps_l", "eps_r"), (0.37, -0.21), [ElectronNSI(0.37, -0.21, ("e",))]),
        (
            ("eps_v_e", "eps_v_mu"),
            (-0.4, 0.9),
            [ElectronNSI(-0.2, -0.2, ("e",)), ElectronNSI(0.45, 0.45, ("mu",))],
        ),
    ],
)
def test_monomial_templates_give_the_rate_of_the_interaction(setup, params, point, direct):
    spec = search_spec("nsi")
    window = setup.window(choose_window(setup, spec))
    spectrum = RecoilSpectrum()
    table = REGION_PARAMETERS["nsi"]
    templates = window_templates(window, spec, (table[params[0]], table[params[1]]), spectrum)
    m = contour.monomials(point[0] / table[params[0]].scale, point[1] / table[params[1]].scale)
    counts, _, _ = templates.signal(m)
    grid = window.response.grid_kev
    expected = window.response.fold(sum(spectrum.rate(grid, i, atomic_model="fea", per="kg-day") for i in direct))
    np.testing.assert_allclose(counts, expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max())


def test_a_rate_that_is_not_a_quadratic_form_is_refused(setup, monkeypatch):
    spec = search_spec("nsi")
    real = contour.excess_interactions
    cubed = lambda spec, values: real(spec, {k: v**3 for k, v in values.items()})  # noqa: E731
    monkeypatch.setattr(contour.quadratic, "excess_interactions", cubed)  # where window_templates looks it up
    table = REGION_PARAMETERS["nsi"]
    with pytest.raises(InputError, match="not a quadratic form"):
        window_templates(
            setup.window(choose_window(setup, spec)), spec, (table["eps_l"], table["eps_r"]), RecoilSpectrum()
        )


def test_closure_asimov_data_at_an_injected_point(setup, nsi_problem):
    # Asimov data from the one-parameter search machinery: vector NSI ε^{eV} = 0.3, i.e. ε^{eL} = ε^{eR} = 0.15
    spec_v = search_spec("nsi", chirality="V")
    model_v, templates_v = build_binned_model(setup, spec_v)
    asimov = model_v.asimov((0.3 / templates_v.reference) ** spec_v.alpha_power)
    problem = nsi_problem.with_data({DETECTOR: asimov}, source="Asimov, eps_l = eps_r = 0.15")
    assert problem.chi2(0.15, 0.15) == pytest.approx(0.0, abs=1e-6)  # the Poisson deviance vanishes at the truth
    region = confidence_region(problem, n_grid=15, n_coarse=11)
    assert region.closed
    # the minimum is found to well below the threshold (an optimiser's tolerance, not a physics number)
    assert problem.chi2(0.15, 0.15) - region.chi2_min < 1e-3 * region.threshold
    assert region.chi2_min == pytest.approx(0.0, abs=1e-3)
    assert region.points["best_fit"]["inside"]
    # the injected point is inside every contour's bounding box
    lo = np.min([c.min(axis=0) for c in region.contours], axis=0)
    hi = np.max([c.max(axis=0) for c in region.contours], axis=0)
    assert np.all(lo < 0.15) and np.all(hi > 0.15)
    # the traced boundary lies on the threshold: q computed afresh at its vertices (a 15×15 grid
    # interpolates to ~15 %; 20 % still tells 4.605 from the one-parameter 2.706)
    line = max(region.contours, key=len)
    for x, y in line[:: max(len(line) // 5, 1)]:
        assert problem.chi2(x, y) - region.chi2_min == pytest.approx(region.threshold, rel=0.2)
    document = json.loads(json.dumps(region.to_dict()))
    assert document["threshold"] == pytest.approx(chi2.ppf(0.9, 2))
    assert all(line[0] == line[-1] for line in document["contours"])


def test_the_expected_region_is_the_observed_one_on_background_only_asimov_data(nsi_problem):
    """On background-only Asimov data the observed region *is* the expected one: same Δχ² on the same
    box (to the minimiser's tolerance), the SM point at Δχ² = 0, and the figure draws it dashed."""
    problem = nsi_problem.with_data(nsi_problem.asimov(0.0, 0.0), source="Asimov background-only")
    region = confidence_region(problem, n_grid=15, n_coarse=11, expected_grid=15)
    expected = json.loads(json.dumps(region.to_dict()))["expected"]
    assert expected["grid"]["x"] == region.x.tolist() and expected["grid"]["y"] == region.y.tolist()
    np.testing.assert_allclose(expected["grid"]["delta_chi2"], region.delta_chi2, atol=1e-3 * region.threshold)
    assert expected["delta_chi2_at_standard_model"] == pytest.approx(0.0, abs=1e-6)
    assert (
        expected["closed"]
        and region.expected_contours
        and all(np.allclose(c[0], c[-1]) for c in region.expected_contours)
    )
    lo = np.min([c.min(axis=0) for c in region.expected_contours], axis=0)
    hi = np.max([c.max(axis=0) for c in region.expected_contours], axis=0)
    assert np.all(lo < 0.0) and np.all(hi > 0.0)  # around the SM point
    from exonu.output.figures_contour import region_figure

    fig = region_figure(region, [DETECTOR])
    dashed = [line for line in fig.axes[0].lines if line.get_linestyle() == "--"]
    assert len(dashed) == len(region.expected_contours)
    assert "expected (background-only Asimov)" in [t.get_text() for t in fig.legends[0].get_texts()]


def test_the_expected_grid_is_coarser_and_can_be_left_out(nsi_problem):
    region = confidence_region(nsi_problem, n_grid=15, n_coarse=11, expected_grid=7)
    assert len(region.expected["grid"]["x"]) == 7 and "coarser" in region.expected["grid_note"]
    assert region.expected["delta_chi2_at_best_fit"] >= 0.0
    assert confidence_region(nsi_problem, n_grid=11, n_coarse=7, expected_grid=0).expected is None
    with pytest.raises(InputError, match="expected_grid must be an integer ≥ 7"):
        confidence_region(nsi_problem, n_grid=11, expected_grid=3)


@pytest.mark.parametrize(
    ("axis", "chirality", "sign", "end"),
    [(0, "L", "positive", 1), (1, "R", "negative", 0)],
)
def test_one_parameter_interval_agrees_with_fit_interval_two_sided(setup, nsi_problem, axis, chirality, sign, end):
    threshold = interval_threshold(0.9)
    lo, hi, best = one_parameter_interval(nsi_problem, axis, threshold)
    fit = run_search(
        setup, search_spec("nsi", chirality=chirality, sign=sign), method="plr", interval=True, n_toys=0, cl=0.9
    )
    # the fit's interval lies on one side of 0 (its sign); its far end is the region line's end on that side
    far = max(fit.interval, key=abs)
    assert (lo, hi)[end] == pytest.approx(far, rel=1e-3)
    assert best == pytest.approx(fit.best_fit, abs=1e-3 * abs(far))


def test_bad_params_are_one_line_naming_the_valid_ones(tmp_path, capsys):
    status = main(
        [
            "contour",
            "--detector",
            DETECTOR,
            "--signal",
            "nsi",
            "--params",
            "eps_l",
            "eps_x",
            "--out",
            str(tmp_path / "c"),
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1
    assert err[0].startswith("exonu: error:") and "eps_l, eps_r, eps_v_e, eps_v_mu, eps_v_tau" in err[0]
    with pytest.raises(SystemExit) as exc:  # an argparse choice: the same one line and exit status
        main(
            [
                "contour",
                "--detector",
                DETECTOR,
                "--signal",
                "sm",
                "--params",
                "a",
                "b",
                "--out",
                str(tmp_path / "c"),
            ]
        )
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and len(err) == 1
    assert "--signal" in err[0] and all(s in err[0] for s in ("nsi", "charge-radius", "magnetic-moment", "scalar"))
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--signal", "charge-radius", "--params", "r2_e", "r2_mu", "--flavour", "mu"], "--flavour is for"),
        (["--signal", "nsi", "--params", "eps_l", "eps_r", "--toys", "50"], "--toys is for --method fc"),
        (["--signal", "nsi", "--params", "eps_l", "eps_r", "--scheduler", "tcp://x:1"], "--scheduler"),
        (["--signal", "nsi", "--params", "eps_l", "eps_r", "--jobs", "2"], "--jobs and --scheduler run the toys"),
        (["--signal", "nsi", "--params", "eps_l", "eps_r", "--method", "fc", "--jobs", "0"], "--jobs"),
    ],
)
def test_options_that_do_not_apply_are_refused_in_one_line(tmp_path, capsys, extra, words):
    try:
        status = main(["contour", "--detector", DETECTOR, *extra, "--out", str(tmp_path / "c")])
    except SystemExit as exc:  # a bound checked by the parser (--jobs): the same one line and exit status
        status = exc.code
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1 and words in err[0]


def test_a_magnitudes_boundary_closes_the_region():
    # a quarter disc x² + y² ≤ 1 with x, y ≥ 0: one closed line along both axes, area π/4 (shoelace)
    magnitudes = (REGION_PARAMETERS["magnetic-moment"]["mu_e"], REGION_PARAMETERS["magnetic-moment"]["mu_mu"])
    xs = ys = np.linspace(0.0, 2.0, 81)
    level = xs[None, :] ** 2 + ys[:, None] ** 2 - 1.0
    (line,) = contour.closed_contour_lines(magnitudes, xs, ys, level)
    assert np.allclose(line[0], line[-1]) and line.min() == 0.0
    area = 0.5 * abs(np.dot(line[:-1, 0], line[1:, 1]) - np.dot(line[1:, 0], line[:-1, 1]))
    assert area == pytest.approx(np.pi / 4, rel=2e-3)


def test_help_lists_every_signals_parameter_names():
    for signal, params in REGION_PARAMETERS.items():
        assert signal in PARAMS_HELP
        for name in params:
            assert name in PARAMS_HELP


def test_toy_threshold_is_reproducible_and_runs_as_units(nsi_problem):
    candidates = [(x, y) for y in (-0.5, 0.0, 0.5) for x in (-0.5, 0.0, 0.5)]
    units = [ToyUnit(0, 0.0, 0.0, 20, 11), ToyUnit(1, 0.5, 0.0, 20, 12)]
    work = partial(toy_threshold, nsi_problem, candidates, 0.9)
    before = nsi_problem.n_profiles
    first = list(map(work, units))
    again = [work(u) for u in units]
    assert first == again
    assert nsi_problem.n_profiles == before  # the work leaves the problem alone (it may run on a copy)
    # an executor pickles the work to other processes: the same numbers come back
    assert pickle.loads(pickle.dumps(work))(units[1]) == first[1]
    assert all(np.isfinite(v) and v >= 0 for v in first)
    assert first[0] != first[1]  # two points, two seeds: not one number copied


def test_toy_units_on_two_local_processes_are_bit_identical_and_in_order(nsi_problem):
    from exonu.parallel import executor_for

    candidates = [(x, y) for y in (-0.5, 0.0, 0.5) for x in (-0.5, 0.0, 0.5)]
    units = [ToyUnit(k, x, y, 20, 100 + k) for k, (x, y) in enumerate(candidates[:5])]
    work = partial(toy_threshold, nsi_problem, candidates, 0.9)
    serial = list(map(work, units))
    with executor_for(jobs=2) as executor:
        assert list(executor.map(work, units)) == serial


@pytest.mark.slow
def test_fc_region_is_bit_identical_for_jobs_1_and_2(tmp_path):
    """`exonu contour --method fc --jobs 2` runs the toy-grid points in two local processes: same region."""
    documents = []
    for jobs in (1, 2):
        out = tmp_path / f"jobs{jobs}"
        argv = ["contour", "--detector", DETECTOR, "--signal", "nsi", "--params", "eps_l", "eps_r"]
        argv += ["--method", "fc", "--toys", "20", "--toy-grid", "3", "--grid", "11", "--jobs", str(jobs)]
        assert main([*argv, "--out", str(out)]) == 0
        document = json.loads((out / "region.json").read_text(encoding="utf-8"))
        document.pop("provenance")  # the command lines differ (--jobs, --out)
        documents.append(document)
    assert documents[0]["threshold_grid"]["threshold"] == documents[1]["threshold_grid"]["threshold"]
    assert documents[0] == documents[1]


@pytest.mark.slow
def test_done_when_nsi_region_contains_best_fit_and_standard_model(tmp_path, capsys):
    status = main(
        [
            "contour",
            "--detector",
            DETECTOR,
            "--signal",
            "nsi",
            "--params",
            "eps_l",
            "eps_r",
            "--out",
            str(tmp_path / "C"),
            "--json",
        ]
    )
    assert status == 0
    document = json.loads(capsys.readouterr().out)
    assert document["closed"] and document["threshold"] == pytest.approx(4.605, abs=5e-4)
    assert document["points"]["best_fit"]["inside"] and document["points"]["standard_model"]["inside"]
    assert (tmp_path / "C" / "region.json").exists() and (tmp_path / "C" / "region.png").exists()
