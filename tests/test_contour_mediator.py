"""A mediator's two-parameter region in its coupling g and mass (`exonu contour --signal <mediator>`).

Checked: closure (Asimov data made by the one-parameter model at an injected (g, M): the region
contains it, its Δχ² there is 0, and a strong signal excludes g = 0); the relation with the
one-parameter limits of `exonu exclusion --method plr` at each mass: the profile Δχ² at that limit is
the one-sided 90 % value Φ⁻¹(0.9)² = 1.642 (arXiv:1007.1727 Eq. 16; docs/physics.md §15.2), the
region's edge at that mass, Δχ² = 4.605 (χ²₂, Wilks), lies above it; the no-signal boundary and the
mass-range ends reported as open sides; a joint region's limits are the joint exclusion's; the same
region for any mapper; one-line errors for options that do not apply.
"""

from __future__ import annotations

import json
from functools import partial

import numpy as np
import pytest

from exonu.cli import main
from exonu.config import load_detector
from exonu.searches import run_exclusion, search_spec
from exonu.searches.contour import (
    MediatorSearch,
    ToyUnit,
    mediator_region,
    mediator_toy_threshold,
    region_lines,
)
from exonu.stats import plr_critical_value

DETECTOR = "xenonnt-sr0"
#: Seven masses, two per decade from 1 keV to 1 GeV (every one a grid column)
MASSES = np.geomspace(1e-3, 1e3, 7)


@pytest.fixture(scope="module")
def setup():
    return load_detector(DETECTOR)


@pytest.fixture(scope="module")
def b_minus_l(setup):
    return MediatorSearch((setup,), "light-vector", charges="B-L")


@pytest.fixture(scope="module")
def observed(b_minus_l):
    """The region on the detector's own data (no excess: the best fit is no signal)."""
    return mediator_region(b_minus_l, MASSES, n_grid=21)


def column_delta(region, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Couplings and Δχ² of mass column ``k`` (the region's x is the mass, y each column's couplings)."""
    return region.y[:, k], region.delta_chi2[:, k]


def crossing(couplings: np.ndarray, delta: np.ndarray, level: float) -> float:
    """The coupling where Δχ² rises through ``level``, interpolating log Δχ² in log g (Δχ² ∝ a power of g)."""
    k = int(np.flatnonzero(delta > level)[0])
    lo, hi = np.log([max(delta[k - 1], 1e-12), delta[k]])
    t = (np.log(level) - lo) / (hi - lo)
    return float(np.exp(np.log(couplings[k - 1]) + t * np.log(couplings[k] / couplings[k - 1])))


def cuts_at(line: np.ndarray, log_mass: float) -> np.ndarray:
    """log g where a closed line (log mass, log g) crosses the mass ``log_mass``."""
    x, y = line[:, 0], line[:, 1]
    out = []
    for i in range(len(line) - 1):
        (x0, x1), (y0, y1) = (x[i], x[i + 1]), (y[i], y[i + 1])
        if min(x0, x1) <= log_mass <= max(x0, x1) and x0 != x1:
            out.append(y0 + (log_mass - x0) / (x1 - x0) * (y1 - y0))
    return np.array(out)


def test_one_parameter_limits_are_the_exclusion_limits_and_the_region_edge_lies_above(setup, observed):
    """At each mass: the profile Δχ² at `exonu exclusion --method plr`'s limit is the one-sided 1.642.

    The two-parameter region's edge, Δχ² = 4.605, lies at a larger coupling. A factor 2 in g moves
    Δχ² by a factor 4 to 256 (interference ∝ g², pure ∝ g⁴ in the counts), far outside the tolerance.
    """
    assert observed.to_dict()["best_fit"]["no_signal"]  # so the global minimum is each column's: g = 0
    specs = [search_spec("light-vector", mass_mev=m, charges="B-L") for m in MASSES]
    scan = run_exclusion([setup], specs, method="plr")
    limits = observed.intervals["g"]
    assert limits["threshold"] == pytest.approx(1.6424, abs=1e-4) == plr_critical_value(0.9, "one")
    for k, point in enumerate(scan.points):
        assert limits["limit"][k] == pytest.approx(point.result.observed, rel=1e-4)
        couplings, delta = column_delta(observed, k)
        assert crossing(couplings, delta, 1.6424) == pytest.approx(point.result.observed, rel=0.03)
        edge = crossing(couplings, delta, 4.6052)
        assert 1.05 * point.result.observed < edge < 2.0 * point.result.observed
        # the contour line passes through the same edge at this mass (traced in log Δχ², log g)
        top = max(cuts_at(np.log10(line), np.log10(MASSES[k])).max() for line in observed.contours)
        assert 10**top == pytest.approx(edge, rel=0.01)


def test_the_region_reaches_the_no_signal_boundary_and_says_so(observed):
    document = observed.to_dict()
    assert document["threshold"] == pytest.approx(4.6052, abs=1e-4)
    assert document["params"] == ["mass_mev", "g"] and document["axes"] == {"mass_mev": "log", "g": "log"}
    assert document["touches_no_signal"] and document["points"]["no_signal"]["inside"]
    assert not document["closed"]
    assert any(side.startswith("g → 0") for side in document["open_sides"])
    assert any(side.startswith("mass_mev = 0.001") for side in document["open_sides"])
    # every column reaches g = 0: its grid starts a decade below its edge, under its one-parameter limit
    assert document["open_to_no_signal"]["open"] == [True] * MASSES.size
    limits = np.array(document["one_parameter_intervals"]["g"]["limit"])
    assert np.all(observed.y[0] < 0.2 * limits) and np.all(observed.y[-1] > limits)
    assert all(np.allclose(line[0], line[-1]) for line in observed.contours)


@pytest.mark.parametrize(("mass_mev", "times_limit"), [(0.1, 3.0), (10.0, 2.0)])
def test_closure_asimov_data_at_an_injected_coupling_and_mass(setup, b_minus_l, observed, mass_mev, times_limit):
    masses = np.geomspace(0.01, 1e3, 6)  # 0.1 and 10 MeV are columns
    k = int(np.argmin(np.abs(np.log(masses / mass_mev))))
    column = b_minus_l.column(float(masses[k]))
    limit = observed.intervals["g"]["limit"][int(np.argmin(np.abs(np.log(MASSES / mass_mev))))]
    g_true = times_limit * limit
    asimov = {setup.name: column.model.asimov(column.alpha(g_true))}
    search = MediatorSearch((setup,), "light-vector", charges="B-L", datas=asimov)
    region = mediator_region(search, masses, n_grid=21, order=("g", "mass_mev"))
    document = region.to_dict()
    best = document["best_fit"]
    assert not best["no_signal"] and best["mass_mev"] == pytest.approx(masses[k], rel=1e-12)
    assert best["g"] == pytest.approx(g_true, rel=1e-2)
    assert region.chi2_min == pytest.approx(search.column(float(masses[k])).chi2(g_true), abs=1e-6)
    assert region.chi2_min == pytest.approx(0.0, abs=1e-6)  # Asimov data: the model at the point is the data
    # x is g, y the mass (--params g mass_mev): a closed line crosses the mass on both sides of the point
    cuts = [cuts_at(np.log10(line[:, ::-1]), np.log10(masses[k])) for line in region.contours]
    assert any(c.size and c.min() < np.log10(g_true) < c.max() for c in cuts)
    # a signal this strong excludes no signal at this mass: the region does not reach g = 0
    assert document["points"]["no_signal"]["delta_chi2"] > 4.6052
    assert not document["touches_no_signal"]
    assert not any(side.startswith("g → 0") for side in document["open_sides"])


def test_region_lines_close_along_the_edges_of_a_band():
    # level < 0 below the line log y = x / 2 − 1 on a curvilinear log grid (each column its own range):
    # one closed line along the bottom and side edges
    log_x = np.linspace(-2.0, 2.0, 41)
    log_y = np.linspace(-4.0, 1.0, 51)[:, None] + 0.1 * log_x[None, :] ** 2 / 4
    level = log_y - (log_x[None, :] / 2 - 1.0)
    (line,) = region_lines(log_x, log_y, level)
    assert np.allclose(line[0], line[-1])
    logs = np.log10(line)
    assert logs[:, 0].min() == pytest.approx(-2.0) and logs[:, 0].max() == pytest.approx(2.0)
    assert logs[:, 1].min() == pytest.approx(-4.0, abs=1e-3)
    # the shoelace area in log–log: between the bottom edge −4 + x²/40 and the line x/2 − 1,
    # ∫_{-2}^{2} (x/2 + 3 − x²/40) dx = 12 − 2/15 (the bottom edge is linear between columns: 1e-4)
    area = 0.5 * abs(np.dot(logs[:-1, 0], logs[1:, 1]) - np.dot(logs[1:, 0], logs[:-1, 1]))
    assert area == pytest.approx(12.0 - 2 / 15, rel=1e-3)


def test_the_region_does_not_depend_on_the_mapper(b_minus_l):
    from exonu.parallel import executor_for

    masses = np.geomspace(0.01, 10.0, 4)
    serial = mediator_region(b_minus_l, masses, n_grid=11)
    with executor_for(jobs=2) as executor:
        parallel = mediator_region(b_minus_l, masses, n_grid=11, mapper=executor.map)
    assert json.dumps(serial.to_dict(), default=str) == json.dumps(parallel.to_dict(), default=str)


def test_toy_threshold_of_a_mediator_is_reproducible_and_picklable(b_minus_l):
    import pickle

    masses = (0.1, 10.0)
    columns = {m: b_minus_l.column(m) for m in masses}
    g = 2 * columns[0.1].reference
    candidates = [(0.1, g), (10.0, g), (0.1, 0.0)]
    work = partial(mediator_toy_threshold, columns, candidates, 0.9)
    units = [ToyUnit(0, 0.1, g, 30, 5), ToyUnit(1, 10.0, 0.5 * g, 30, 6)]
    first = [work(u) for u in units]
    assert first == [pickle.loads(pickle.dumps(work))(u) for u in units]
    assert all(np.isfinite(v) and 0.0 <= v < 20.0 for v in first) and first[0] != first[1]


def test_fc_region_of_a_mediator_runs_on_a_small_grid(b_minus_l):
    region = mediator_region(b_minus_l, np.geomspace(0.1, 10.0, 3), method="fc", n_grid=11, n_toys=20, toy_grid=3)
    document = region.to_dict()
    assert document["threshold"] is None and document["wilks_threshold"] == pytest.approx(4.6052, abs=1e-4)
    grid = document["threshold_grid"]
    assert np.shape(grid["threshold"]) == (3, 3) and grid["n_toys"] == 20
    assert all(np.isfinite(v) and v >= 0 for row in grid["threshold"] for v in row)
    assert region.contours and document["points"]["no_signal"]["inside"]


def test_cli_mediator_region_json_summary_and_figure(tmp_path, capsys):
    out = tmp_path / "C"
    argv = ["contour", "--detector", DETECTOR, "--signal", "scalar", "--params", "mass_mev", "g"]
    argv += ["--mass-range", "0.01", "100", "--n-masses", "5", "--grid", "11", "--jobs", "1", "--out", str(out)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "scalar on xenonnt-sr0: 90% CL region in (g, mass_mev) (wilks)" in text
    assert "threshold: Δχ² = 4.605" in text and "closed: no (open at" in text
    document = json.loads((out / "region.json").read_text(encoding="utf-8"))
    assert document["mass_range_mev"] == [0.01, 100.0] and len(document["grid"]["x"]) == 5
    assert len(document["grid"]["y"]) == 11 and np.shape(document["grid"]["delta_chi2"]) == (11, 5)
    assert (out / "region.png").stat().st_size > 10_000


def test_the_parsers_vocabulary_is_the_librarys():
    from exonu.cli.contour import CHARGE_SET_CHOICES, MEDIATOR_SIGNALS
    from exonu.searches.spec import MEDIATORS
    from exonu.xsec import CHARGE_SETS

    assert sorted(CHARGE_SET_CHOICES) == sorted(CHARGE_SETS)
    assert MEDIATOR_SIGNALS == MEDIATORS


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--signal", "light-vector", "--params", "g", "mass_mev"], "needs --charges"),
        (["--signal", "scalar", "--params", "g", "mass_mev", "--charges", "B-L"], "--charges is the light vector"),
        (["--signal", "nsi", "--params", "eps_l", "eps_r", "--mass-range", "1", "10"], "--mass-range is for"),
        (["--signal", "nsi", "--params", "eps_l", "eps_r", "--n-masses", "5"], "--n-masses is for"),
        (["--signal", "scalar", "--params", "g", "mass_mev", "--expected-grid", "11"], "--expected-grid"),
        (["--signal", "scalar", "--params", "g", "mass_mev", "--mass-range", "10", "1"], "0 < LO < HI"),
        (["--signal", "scalar", "--params", "g", "eps_l"], "g, mass_mev"),
    ],
)
def test_mediator_options_that_do_not_apply_are_one_line(tmp_path, capsys, extra, words):
    status = main(["contour", "--detector", DETECTOR, *extra, "--out", str(tmp_path / "c")])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1 and words in err[0], err
    assert not (tmp_path / "c").exists()


@pytest.mark.slow
def test_cli_fc_region_of_a_mediator_is_bit_identical_for_jobs_1_and_2(tmp_path):
    documents = []
    for jobs in (1, 2):
        out = tmp_path / f"jobs{jobs}"
        argv = ["contour", "--detector", DETECTOR, "--signal", "dark-photon", "--params", "g", "mass_mev"]
        argv += ["--n-masses", "4", "--grid", "11", "--method", "fc", "--toys", "20", "--toy-grid", "3"]
        assert main([*argv, "--jobs", str(jobs), "--out", str(out)]) == 0
        document = json.loads((out / "region.json").read_text(encoding="utf-8"))
        document.pop("provenance")
        documents.append(document)
    assert documents[0] == documents[1]


def test_a_joint_region_has_the_joint_exclusion_limits(setup):
    """Two detectors: each column is the joint model of `exonu exclusion --detector A --detector B`."""
    setups = [load_detector("xenon1t-sr1"), setup]
    masses = np.geomspace(0.1, 10.0, 3)
    region = mediator_region(MediatorSearch(tuple(setups), "dark-photon"), masses, n_grid=11)
    scan = run_exclusion(setups, [search_spec("dark-photon", mass_mev=m) for m in masses], method="plr")
    for k, point in enumerate(scan.points):
        assert region.intervals["g"]["limit"][k] == pytest.approx(point.result.observed, rel=1e-4)
    assert set(region.data_sources) == {"xenon1t-sr1", DETECTOR}
