"""`exonu fit --jobs N`: the toy work of a fit (a band's chunks, a belt's grid points) on worker processes.

The promise tested here is the one of issue 22 (item 3): the numbers do not depend on where the work ran.
Every piece is seeded by itself (``child_seed``) and pins BLAS to one thread itself, so the in-process
default (``mapper=map``), ``--jobs 1`` and ``--jobs 2`` give the same bits. The limits themselves are
tested against closed forms in test_stats_limits.py and test_stats_frequentist.py.
"""

import json
import multiprocessing

import numpy as np
import pytest

from exonu.cli import main
from exonu.config import load_detector
from exonu.errors import InputError
from exonu.parallel import executor_for
from exonu.searches import build_binned_model, search_spec
from exonu.stats import expected_limits, expected_limits_together, fc_interval, neyman_upper_limit

#: what differs between two runs of the same fit by design: the command line and the wall-clock time
RUN_RECORD = ("runtime_seconds", "provenance")


@pytest.fixture(scope="module")
def magnetic_model():
    model, _ = build_binned_model(load_detector("xmass-i"), search_spec("magnetic-moment"))
    return model


def fit_document(capsys, *argv: str) -> dict:
    assert main(["fit", "--detector", "xmass-i", "--signal", "magnetic-moment", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_fit_with_a_neyman_belt_and_toys_is_the_same_for_any_jobs(capsys):
    """A fit whose belt (12 grid points) and toy band run on 2 worker processes: results.json as with 1."""
    options = ("--method", "neyman", "--toys", "40", "--belt-toys", "60", "--seed", "3")
    one = fit_document(capsys, *options, "--jobs", "1")
    two = fit_document(capsys, *options, "--jobs", "2")
    assert one["expected_band"] is not None and one["limit_provenance"]["n_toys"] == 60  # a belt and a band ran
    for key in set(one) | set(two):
        if key not in RUN_RECORD:
            assert one[key] == two[key], key
    assert set(one["provenance"]) == set(two["provenance"])


def test_band_chunks_and_belt_points_give_the_same_bits_on_workers(magnetic_model):
    """The stats layer with 2 workers against its in-process default, bit for bit (NaN payloads included):
    a Bayesian band of 3 chunks, a Neyman belt with its band, and a Feldman–Cousins belt."""

    def runs(mapper) -> list[np.ndarray]:
        band = expected_limits(magnetic_model, "bayesian", n_toys=30, seed=5, chunk_size=12, mapper=mapper)
        neyman = neyman_upper_limit(magnetic_model, n_toys=30, n_alpha=4, seed=6, n_toys_expected=10, mapper=mapper)
        fc = fc_interval(magnetic_model, n_toys=40, n_alpha=4, seed=7, expected=False, mapper=mapper)
        return [
            band.toy_limits,
            neyman.details["belt"].q_toys,
            neyman.expected_detail.toy_limits,
            np.array([neyman.alpha_limit]),
            fc.details["belt"]["t_toys"],
            np.array([fc.alpha_limit, fc.alpha_lower]),
        ]

    here = runs(map)
    with executor_for(jobs=2) as executor:
        there = runs(executor.map)
    assert [a.tobytes() for a in here] == [b.tobytes() for b in there]
    assert np.isfinite(here[0]).sum() >= 25  # the band is made of limits, not of failures


def test_bands_together_are_the_bands_one_by_one(magnetic_model):
    """A fit's two bands (fluctuated and nominal auxiliary measurements) in one mapper call on 2 workers:
    the bits of one in-process expected_limits call each."""
    band = dict(n_toys=30, seed=5, chunk_size=20)
    questions = [dict(band, method="bayesian"), dict(band, method="plr", fluctuate_aux=False)]
    with executor_for(jobs=2) as executor:
        together = expected_limits_together(magnetic_model, questions, mapper=executor.map)
    alone = [expected_limits(magnetic_model, **question) for question in questions]
    for mixed, single in zip(together, alone, strict=True):
        assert mixed.toy_limits.tobytes() == single.toy_limits.tobytes()
        assert (mixed.asimov, mixed.band, mixed.seed, mixed.fluctuate_aux, mixed.method) == (
            single.asimov,
            single.band,
            single.seed,
            single.fluctuate_aux,
            single.method,
        )
    assert together[0].band != together[1].band  # two different questions, not one answer twice


def test_an_unknown_band_option_is_one_line():
    with pytest.raises(InputError, match=r"unknown option\(s\) \['n_toy'\]"):
        expected_limits_together(None, [dict(n_toy=30)])


def test_jobs_without_parallel_work_says_so_and_starts_nothing(capsys):
    """No toys and no belt: one note line on stderr, the fit runs here, exit 0."""
    children_before = set(multiprocessing.active_children())
    code = main(["fit", "--detector", "xmass-i", "--signal", "magnetic-moment", "--toys", "0", "--jobs", "2"])
    out, err = capsys.readouterr()
    assert code == 0 and "upper" in out.lower()
    notes = [line for line in err.splitlines() if line.startswith("exonu: note:")]
    assert len(notes) == 1 and "--jobs 2 has nothing to run side by side" in notes[0]
    assert "--toys 0" in notes[0] and "in this process" in notes[0]
    assert set(multiprocessing.active_children()) == children_before


def test_a_scheduler_without_parallel_work_is_not_contacted(capsys):
    """--scheduler with nothing to distribute: the note, and no connection (the address is unreachable)."""
    pytest.importorskip("distributed")
    argv = ["fit", "--detector", "xmass-i", "--signal", "magnetic-moment", "--toys", "0"]
    assert main([*argv, "--scheduler", "tcp://127.0.0.1:9"]) == 0
    assert "exonu: note: --scheduler has nothing to run side by side" in capsys.readouterr().err


def test_jobs_with_parallel_work_prints_no_note(capsys):
    """A belt is parallel work: no note (the note must not fire on every --jobs)."""
    argv = ["fit", "--detector", "xmass-i", "--signal", "magnetic-moment", "--method", "fc", "--toys", "0"]
    assert main([*argv, "--belt-toys", "40", "--jobs", "2"]) == 0
    assert "note:" not in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--tls-cert", "c.pem"], "tls:// --scheduler"),
        (["--jobs", "2", "--scheduler", "tcp://127.0.0.1:9"], "not allowed with argument"),
    ],
)
def test_executor_options_are_checked_before_the_fit(capsys, extra, message):
    argv = ["fit", "--detector", "xmass-i", "--signal", "magnetic-moment", "--toys", "0", *extra]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors (exclusive options) exit from the parser, status 2
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_joint_fit_with_a_belt_is_the_same_for_any_jobs(capsys):
    """A joint fit (its combined and per-detector belts) on 2 workers: results as with 1."""
    argv = ["fit", "--detector", "xmass-i", "--detector", "xenonnt-sr0", "--signal", "magnetic-moment"]
    argv += ["--method", "neyman", "--toys", "0", "--belt-toys", "40", "--json"]
    documents = []
    for jobs in ("1", "2"):
        assert main([*argv, "--jobs", jobs]) == 0
        documents.append(json.loads(capsys.readouterr().out))
    one, two = documents
    for key in set(one) | set(two):
        if key not in RUN_RECORD:
            assert one[key] == two[key], key


@pytest.mark.slow
def test_fit_on_a_dask_scheduler_is_the_same_as_in_process(capsys):
    """``--scheduler`` (a local Dask cluster of two single-threaded worker processes on 127.0.0.1): the
    belt's points and the band's chunks are pickled to the workers and come back with the same bits."""
    distributed = pytest.importorskip("distributed")
    options = ("--method", "fc", "--toys", "40", "--belt-toys", "40", "--seed", "2")
    one = fit_document(capsys, *options, "--jobs", "1")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        dask = fit_document(capsys, *options, "--scheduler", cluster.scheduler_address)
    for key in set(one) | set(dask):
        if key not in RUN_RECORD:
            assert one[key] == dask[key], key


@pytest.mark.parametrize(
    "method, n_toys, fixed_aux_band, pieces",
    [
        ("bayesian", 0, True, None),  # fits only
        ("bayesian", 40, True, "2 chunks"),  # the band and its nominal-auxiliary twin, side by side
        ("bayesian", 40, False, None),  # one band of one chunk
        ("plr", 401, False, "3 chunks"),  # 200 + 200 + 1
        ("pcl", 200, True, None),  # PCL's threshold needs its band before the other one
        ("pcl", 201, True, "2 chunks"),
        ("neyman", 0, True, "grid points of the neyman belt"),
        ("fc", 0, False, "grid points of the fc belt"),
    ],
)
def test_what_a_fit_can_run_side_by_side(method, n_toys, fixed_aux_band, pieces):
    from exonu.searches.run import parallel_work

    found = parallel_work(method, n_toys, fixed_aux_band)
    assert found is None if pieces is None else pieces in found
