"""Property-based tests (hypothesis, bounded examples) of the readers and the config layer.

* tables: exact integrals — a histogram integrated over its own bins gives value × width, a points table
  over its own nodes gives the trapezoid sums, and every integral is additive over a split point;
* data sets: anything written round-trips (including one bin and JSON metadata values); ordinary
  ``#`` comments anywhere, with or without a colon, change nothing; an event list is binned exactly as
  ``numpy.histogram``; any JSON document is either a data set or refused naming the file;
* text tables: any numeric matrix round-trips; any text is either read or refused with a ConfigError
  naming the file;
* configs: a mutated value either loads with finite, non-negative templates or is refused with a
  one-line ConfigError naming the file.
"""

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exonu.config import (
    load_detector,
    packaged_detector_dir,
    read_dataset,
    read_table,
    to_per_kg_day_kev,
    write_dataset,
)
from exonu.detector import Binning, TabulatedSpectrum
from exonu.errors import ConfigError

SETTINGS = settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
widths = st.lists(st.floats(0.01, 5.0), min_size=1, max_size=30)
values = st.floats(0.0, 1e3)


@st.composite
def histograms(draw):
    w = np.array(draw(widths))
    start = draw(st.floats(0.0, 10.0))
    edges = start + np.concatenate([[0.0], np.cumsum(w)])
    vals = np.array(draw(st.lists(values, min_size=w.size, max_size=w.size)))
    return TabulatedSpectrum(edges, vals, shape="histogram")


@st.composite
def point_tables(draw):
    w = np.array(draw(st.lists(st.floats(0.01, 5.0), min_size=1, max_size=30)))
    x = draw(st.floats(0.0, 10.0)) + np.concatenate([[0.0], np.cumsum(w)])
    y = np.array(draw(st.lists(values, min_size=x.size, max_size=x.size)))
    return TabulatedSpectrum(x, y, shape="points")


@SETTINGS
@given(histograms(), st.floats(0.0, 1.0))
def test_histogram_integrals_are_exact_and_additive(table, split):
    e, y = table.energy_kev, table.values
    assert np.allclose(table.integrate(e), y * np.diff(e), rtol=1e-9, atol=1e-9)
    mid = e[0] + split * (e[-1] - e[0])
    parts = table.integrate([e[0], mid, e[-1]])
    assert parts.sum() == pytest.approx(float(np.sum(y * np.diff(e))), rel=1e-9, abs=1e-9)
    assert np.all(parts >= -1e-9)


@SETTINGS
@given(point_tables(), st.floats(0.0, 1.0))
def test_points_integrals_are_exact_and_additive(table, split):
    x, y = table.energy_kev, table.values
    trapezoids = 0.5 * (y[1:] + y[:-1]) * np.diff(x)
    assert np.allclose(table.integrate(x), trapezoids, rtol=1e-9, atol=1e-9)
    mid = x[0] + split * (x[-1] - x[0])
    assert table.integrate([x[0], mid, x[-1]]).sum() == pytest.approx(float(trapezoids.sum()), rel=1e-9, abs=1e-9)


def test_rate_unit_conversions_use_the_exposure():
    exposure = 1.16 * 1000 * 365.25
    assert to_per_kg_day_kev(365.25e3, "per_tonne_year_kev", exposure) == pytest.approx(1.0, rel=1e-15)
    assert to_per_kg_day_kev(2.0, "per_kg_day_kev", exposure) == 2.0
    assert to_per_kg_day_kev(exposure, "counts_per_kev", exposure) == pytest.approx(1.0, rel=1e-15)
    assert to_per_kg_day_kev([exposure], "counts_per_bin", exposure, [0.1]) == pytest.approx([10.0], rel=1e-15)
    with pytest.raises(ConfigError, match="counts_per_bin.*bin widths"):
        to_per_kg_day_kev(1.0, "counts_per_bin", exposure)


@SETTINGS
@given(
    st.lists(st.floats(0.01, 50.0), min_size=1, max_size=25),
    st.data(),
    st.sampled_from([".txt", ".json"]),
    st.dictionaries(
        st.from_regex(r"[a-z_]{1,10}", fullmatch=True).filter(lambda k: k != "format"),
        st.one_of(st.integers(-5, 5), st.booleans(), st.text(max_size=10)),
        max_size=3,
    ),
)
def test_data_sets_round_trip(w, data, suffix, meta):
    edges = np.round(np.concatenate([[1.0], 1.0 + np.cumsum(w)]), 6)
    if np.any(np.diff(edges) <= 0):
        return
    counts = data.draw(st.lists(st.integers(0, 10**6), min_size=len(w), max_size=len(w)))
    with tempfile.TemporaryDirectory() as tmp:
        ds = read_dataset(write_dataset(Path(tmp) / f"d{suffix}", counts, edges, meta))
    assert ds.counts.tolist() == [float(c) for c in counts]
    assert np.allclose(ds.edges_kev, edges, rtol=1e-9)
    assert ds.metadata == meta


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
comments = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)


@SETTINGS
@given(
    st.lists(st.integers(0, 1000), min_size=1, max_size=10),
    st.dictionaries(
        st.from_regex(r"[a-z_]{1,10}", fullmatch=True).filter(lambda k: k != "format"), json_values, max_size=3
    ),
    st.lists(comments, max_size=4),
    st.data(),
)
def test_text_data_sets_round_trip_with_comments_anywhere(counts, meta, extra_comments, data):
    """Comments (``# source: my own run`` included) inserted between any rows leave counts and metadata as written."""
    edges = np.arange(len(counts) + 1, dtype=float) + 1.0
    with tempfile.TemporaryDirectory() as tmp:
        path = write_dataset(Path(tmp) / "d.txt", counts, edges, meta)
        lines = path.read_text(encoding="utf-8").splitlines()
        for comment in extra_comments:
            if comment.strip().partition(":")[0].strip() in meta or comment.lstrip().startswith("format"):
                continue  # a comment that repeats a metadata key would (rightly) be read as that key
            if ":" in comment:
                try:
                    json.loads(comment.partition(":")[2])
                    continue  # "# word: <json>" is metadata by definition, not a comment
                except ValueError:
                    pass
            lines.insert(data.draw(st.integers(0, len(lines))), "# " + comment)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        ds = read_dataset(path)
    assert ds.counts.tolist() == [float(c) for c in counts]
    assert ds.metadata == meta


@SETTINGS
@given(st.lists(st.floats(0.0, 40.0), min_size=1, max_size=200), st.lists(comments, max_size=3))
def test_event_lists_are_binned_like_numpy_histogram(energies, extra_comments):
    binning = Binning(np.linspace(1.0, 30.0, 30))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.txt"
        text = "".join(f"# {c}\n" for c in extra_comments if "\n" not in c and "\r" not in c)
        path.write_text(text + "".join(f"{e!r}\n" for e in energies), encoding="utf-8")
        ds = read_dataset(path, binning)
    expected = np.histogram(energies, bins=binning.edges_kev)[0]
    assert ds.counts.tolist() == expected.astype(float).tolist()
    assert ds.metadata["events_in_window"] + ds.metadata["events_outside_window"] == len(energies)


@SETTINGS
@given(
    st.one_of(
        json_values,
        st.fixed_dictionaries({"edges_kev": json_values, "counts": json_values}),
        st.fixed_dictionaries({"edges_kev": st.just([1.0, 2.0]), "counts": json_values, "metadata": json_values}),
    )
)
def test_any_json_document_is_a_data_set_or_refused_naming_the_file(doc):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        try:
            ds = read_dataset(path)
        except ConfigError as exc:
            assert str(exc).startswith(f"{path}: ") and "\n" not in str(exc)
        else:
            assert np.all(np.isfinite(ds.counts)) and np.all(ds.counts >= 0)
            assert ds.counts.size == ds.edges_kev.size - 1


@SETTINGS
@given(st.integers(1, 6), st.integers(1, 20), st.data(), st.sampled_from([" ", ", "]))
def test_numeric_tables_round_trip(n_cols, n_rows, data, sep):
    arr = np.array(
        data.draw(
            st.lists(st.lists(st.floats(-1e6, 1e6), min_size=n_cols, max_size=n_cols), min_size=n_rows, max_size=n_rows)
        )
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.txt"
        path.write_text("# header: x\n" + "\n".join(sep.join(repr(float(v)) for v in row) for row in arr) + "\n")
        cols = read_table(path, "key 'k'", list(range(n_cols)))
    assert np.array_equal(np.column_stack(cols), arr)


@SETTINGS
@given(st.text(max_size=200))
def test_any_text_is_read_or_refused_naming_the_file(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "weird.txt"
        path.write_text(text, encoding="utf-8")
        try:
            cols = read_table(path, "cfg.toml: key 'k'", [0])
        except ConfigError as exc:
            assert "weird.txt" in str(exc) and "cfg.toml: key 'k'" in str(exc) and "\n" not in str(exc)
        else:
            assert np.all(np.isfinite(cols[0]))
        try:
            ds = read_dataset(path)
        except ConfigError as exc:
            assert "weird.txt" in str(exc) and "\n" not in str(exc)
        else:
            assert np.all(np.isfinite(ds.counts)) and np.all(ds.counts >= 0)


_X1T = (packaged_detector_dir() / "xenon1t_sr1.toml").read_text(encoding="utf-8")
toml_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(lambda v: repr(v).replace("nan", "nan")),
    st.integers(-3, 3).map(str),
    st.booleans().map(lambda b: str(b).lower()),
    st.text(alphabet="0123456789.e-", max_size=6).map(lambda s: f'"{s}"'),
)


def _toml_float(v: str) -> str:
    return {"inf": "inf", "-inf": "-inf"}.get(v, v)


@settings(max_examples=12, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(
        [
            "exposure_tonne_year = 0.6473",
            "activity_sigma = 0.026",
            "a_sqrt_kev = 0.3171",
            "threshold_kev = 0.2",
            "b = 0.0015",
            "width_kev = 1.0",
        ]
    ),
    toml_numbers,
)
def test_mutated_configs_load_with_finite_rates_or_are_refused_naming_the_file(line, value):
    key = line.split(" = ")[0]
    section = {
        "exposure_tonne_year": "exposure",
        "activity_sigma": "components",
        "a_sqrt_kev": "resolution",
        "threshold_kev": "threshold_kev",
        "b": "resolution",
        "width_kev": "windows.low_er",
    }[key]
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(packaged_detector_dir().parent / "xenon1t_sr1", Path(tmp) / "xenon1t_sr1")
        (Path(tmp) / "detectors").mkdir()
        cfg = Path(tmp) / "detectors" / "m.toml"
        cfg.write_text(_X1T.replace(line, f"{key} = {_toml_float(value)}", 1), encoding="utf-8")
        try:
            setup = load_detector(cfg)
        except ConfigError as exc:
            assert str(cfg) in str(exc) and section in str(exc) and "\n" not in str(exc)
            return
    w = setup.window("low_er")
    assert np.all(np.isfinite(w.background.templates)) and np.all(w.background.templates >= 0)
    assert np.all(np.isfinite(w.response.matrix))
