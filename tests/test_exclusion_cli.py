"""`exonu exclusion`: coupling limits versus mediator mass for every mediator family, on one detector and
jointly on several; its numbers are those of the library's searches at each mass."""

from __future__ import annotations

import json
import math

import matplotlib.image
import numpy as np
import pytest

from exonu.cli import main
from exonu.config import load_detector
from exonu.searches import search_spec
from exonu.searches.mediators import exclusion_curve, spec_factory

MASSES = ("0.1", "1", "10")


def run_exclusion(capsys, tmp_path, *argv) -> dict:
    """The command's JSON (the detector's own statistic unless asked, as in the library it is compared with)."""
    code = main(["exclusion", *argv, "--out", str(tmp_path / "out"), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    printed = json.loads(out)
    written = json.loads((tmp_path / "out" / "exclusion.json").read_text(encoding="utf-8"))
    assert printed == written
    return written


@pytest.mark.parametrize(
    "signal, charges",
    [
        ("dark-photon", None),
        ("light-vector", "Lmu-Ltau"),
        ("axial-vector", None),
        ("scalar", None),
        ("pseudoscalar", None),
    ],
)
def test_every_mediator_family_on_xenonnt(capsys, tmp_path, signal, charges):
    """Each family on XENONnT SR0 at three masses: a PNG and finite limits equal to exclusion_curve's."""
    extra = ["--charges", charges] if charges else []
    doc = run_exclusion(
        capsys, tmp_path, "--detector", "xenonnt-sr0", "--signal", signal, *extra, "--masses-mev", *MASSES
    )
    assert doc["signal"] == signal and doc["charges"] == charges and doc["detectors"] == ["xenonnt-sr0"]
    for key in ("method", "test_statistic", "threshold", "cl", "sided", "statistic", "n_toys"):
        assert doc[key] is not None, key
    assert [p["mass_mev"] for p in doc["masses"]] == [float(m) for m in MASSES]
    observed = [p["observed"] for p in doc["masses"]]
    expected = [p["expected"] for p in doc["masses"]]
    assert all(math.isfinite(v) and v > 0 for v in observed + expected)
    options = {"charges": charges} if charges else {}
    library = exclusion_curve(load_detector("xenonnt-sr0"), spec_factory(signal, **options), [float(m) for m in MASSES])
    np.testing.assert_allclose(observed, [r.observed for r in library], rtol=1e-9)
    np.testing.assert_allclose(expected, [r.expected for r in library], rtol=1e-9)
    # above the momentum transfer (√(2 m_e T) ≈ 0.1 MeV at 10 keV) the cross section falls as g⁴/M⁴: the
    # coupling limit grows ∝ M between 1 and 10 MeV (within a few % from the remaining q² dependence)
    assert observed[2] / observed[1] == pytest.approx(10.0, rel=0.1)
    image = matplotlib.image.imread(tmp_path / "out" / "exclusion.png")
    assert image.shape[0] > 100 and image.shape[1] > 100 and image.std() > 0


def test_joint_exclusion_of_xenon1t_and_xenonnt(capsys, tmp_path):
    doc = run_exclusion(
        capsys,
        tmp_path,
        "--detector",
        "xenon1t-sr1",
        "--detector",
        "xenonnt-sr0",
        "--signal",
        "light-vector",
        "--charges",
        "B-L",
        "--n-masses",
        "2",
        "--mass-range",
        "0.01",
        "10",
        "--method",
        "plr",
        "--cl",
        "0.95",
    )
    assert doc["joint"] and doc["detectors"] == ["xenon1t-sr1", "xenonnt-sr0"]
    assert doc["cl"] == 0.95 and doc["threshold"] == pytest.approx(2.7055, rel=1e-4)  # Φ⁻¹(0.95)²
    assert [p["mass_mev"] for p in doc["masses"]] == pytest.approx([0.01, 10.0])
    for point in doc["masses"]:
        alone = point["per_detector"]
        assert set(alone) == {"xenon1t-sr1", "xenonnt-sr0"}
        # Asimov medians: two experiments together are more sensitive than either alone
        assert point["expected"] < min(a["expected"] for a in alone.values())
    assert (tmp_path / "out" / "exclusion.png").stat().st_size > 1000


def test_cl_changes_the_limit_at_each_mass(capsys, tmp_path):
    """--cl is applied, not dropped: the 95 % CL PLR limit is run_search's at cl = 0.95."""
    from exonu.searches import run_search

    doc = run_exclusion(
        capsys,
        tmp_path,
        "--detector",
        "xenonnt-sr0",
        "--signal",
        "scalar",
        "--masses-mev",
        "1",
        "--method",
        "plr",
        "--cl",
        "0.95",
    )
    r95 = run_search(load_detector("xenonnt-sr0"), search_spec("scalar", mass_mev=1.0), method="plr", n_toys=0, cl=0.95)
    assert doc["masses"][0]["observed"] == pytest.approx(r95.observed, rel=1e-9)
    curve = exclusion_curve(load_detector("xenonnt-sr0"), spec_factory("scalar"), [1.0], method="plr", cl=0.95)
    assert curve[0].observed == pytest.approx(r95.observed, rel=1e-9) and curve[0].cl == 0.95
    curve90 = exclusion_curve(load_detector("xenonnt-sr0"), spec_factory("scalar"), [1.0], method="plr")
    assert curve90[0].observed < 0.99 * r95.observed  # a 95 % CL limit lies above the 90 % one


def test_out_is_replaced_atomically_and_nothing_else_is_touched(capsys, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    run_exclusion(capsys, tmp_path, "--detector", "xenonnt-sr0", "--signal", "scalar", "--masses-mev", "1", "2")
    assert (out / "mine.txt").read_text() == "keep"
    assert sorted(p.name for p in out.iterdir()) == ["exclusion.json", "exclusion.png", "mine.txt"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--signal", "scalar", "--masses-mev", "1", "--n-masses", "3"], "not both"),
        (["--signal", "scalar", "--masses-mev", "1", "-2"], "mass"),
        (["--signal", "scalar", "--masses-mev", "1", "1"], "lists a mass twice"),
        (["--signal", "scalar", "--n-masses", "1"], "--n-masses"),
        (["--signal", "scalar", "--n-masses", "3", "--mass-range", "10", "1"], "--mass-range"),
        (["--signal", "scalar", "--charges", "B-L", "--masses-mev", "1"], "takes no charges"),
        (["--signal", "light-vector", "--masses-mev", "1"], "needs charges"),
        (["--signal", "scalar", "--masses-mev", "1", "--method", "fc", "--seed", "-1"], "--seed must be"),
        (["--signal", "scalar", "--masses-mev", "1", "--seed", "3"], "--seed seeds the toys"),
        (["--signal", "scalar", "--masses-mev", "1", "--method", "fc", "--belt-toys", "0"], "--belt-toys"),
        (["--signal", "scalar", "--masses-mev", "1", "--method", "plr", "--belt-toys", "50"], "--belt-toys applies"),
        (["--signal", "scalar", "--masses-mev", "1", "--cl", "1.5"], "--cl"),
        (["--signal", "scalar", "--masses-mev", "1", "--detector", "xenonnt-sr0"], "given 2 times"),
    ],
)
def test_bad_input_is_one_line(capsys, tmp_path, argv, message):
    try:
        code = main(["exclusion", "--detector", "xenonnt-sr0", *argv, "--out", str(tmp_path / "out")])
    except SystemExit as exc:  # an argparse error: the same one line and exit status
        code = exc.code
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("exonu: error: ") and err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "out").exists()


def test_an_unwritable_out_is_refused_before_the_scan(capsys, tmp_path, monkeypatch):
    import exonu.searches.exclusion

    def no_search(*args, **kwargs):
        raise AssertionError("the scan ran before --out was checked")

    monkeypatch.setattr(exonu.searches.exclusion, "run_search", no_search)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code = main(
        ["exclusion", "--detector", "xenonnt-sr0", "--signal", "scalar", "--masses-mev", "1", "--out", str(blocker)]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "not a folder" in err


def test_a_signal_without_mediator_is_refused_by_argparse(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        main(["exclusion", "--detector", "xenonnt-sr0", "--signal", "magnetic-moment", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1 and "invalid choice" in err


def test_run_exclusion_refuses_a_repeated_detector_and_a_signal_without_mass():
    from exonu.errors import InputError
    from exonu.searches import run_exclusion

    nt = load_detector("xenonnt-sr0")
    scalar = search_spec("scalar", mass_mev=1.0)
    with pytest.raises(InputError, match="given 2 times"):
        run_exclusion([nt, nt], [scalar])
    with pytest.raises(InputError, match="mediator searches with a mass"):
        run_exclusion([nt], [search_spec("magnetic-moment")])
    with pytest.raises(InputError, match="at least one detector and one mass"):
        run_exclusion([nt], [])


def test_run_exclusion_gives_the_same_points_through_an_executor_map():
    """Each mass is independent: an executor's map (as `--jobs` would pass) gives the built-in map's points."""
    from concurrent.futures import ThreadPoolExecutor

    from exonu.searches import run_exclusion

    nt = load_detector("xenonnt-sr0")
    specs = [search_spec("scalar", mass_mev=m) for m in (0.1, 10.0)]
    serial = run_exclusion([nt], specs, method="plr")
    with ThreadPoolExecutor(2) as pool:
        pooled = run_exclusion([nt], specs, method="plr", mapper=pool.map)
    assert [p.as_dict() for p in pooled.points] == [p.as_dict() for p in serial.points]
    assert [p.mass_mev for p in serial.points] == [0.1, 10.0]
    assert serial.document()["expected"].startswith("limit on background-only Asimov data")
