"""The on-disk cache (exonu.cache): where it lives, its key, corrupt entries, and the templates it serves."""

from __future__ import annotations

import hashlib
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

from exonu import atomic, cache
from exonu.config import load_detector
from exonu.searches import search_spec, signal_templates
from exonu.spectrum import RecoilSpectrum


@pytest.fixture
def cache_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder of its own for tests that count entries."""
    root = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(root))
    return root


def entries(root: Path) -> list[Path]:
    return sorted(root.rglob("*.npz"))


class Counter:
    def __init__(self, value: float = 1.0) -> None:
        self.calls = 0
        self.value = value

    def __call__(self) -> dict[str, np.ndarray]:
        self.calls += 1
        return {"rate": np.linspace(0.0, self.value, 7), "extra": np.arange(3)}


# ------------------------------------------------------------------------------------------------
# where and whether
# ------------------------------------------------------------------------------------------------
def test_cache_dir_follows_env_then_xdg_then_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / "mine"))
    assert cache.cache_dir() == tmp_path / "mine"
    monkeypatch.delenv(cache.CACHE_DIR_ENV)
    monkeypatch.setattr(cache.sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "exonu"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # invalid per the XDG spec: ignored
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "exonu"


def test_switches(monkeypatch: pytest.MonkeyPatch) -> None:
    assert cache.enabled()
    monkeypatch.setenv(cache.NO_CACHE_ENV, "1")
    assert not cache.enabled()
    cache.set_enabled(True)
    assert cache.enabled()
    with cache.disabled():
        assert not cache.enabled()
    assert cache.enabled()
    cache.set_enabled(None)
    assert not cache.enabled()
    with pytest.raises(cache.InputError, match="True, False or None"):
        cache.set_enabled("no")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------
# the key
# ------------------------------------------------------------------------------------------------
def test_second_call_is_read_and_identical(cache_root: Path) -> None:
    compute = Counter()
    first = cache.cached_arrays("test", {"grid": np.arange(5.0), "option": "a"}, compute)
    second = cache.cached_arrays("test", {"grid": np.arange(5.0), "option": "a"}, compute)
    assert compute.calls == 1
    assert set(second) == {"rate", "extra"}
    for name in first:
        np.testing.assert_array_equal(first[name], second[name])
        assert first[name].dtype == second[name].dtype
    assert len(entries(cache_root)) == 1


@pytest.mark.parametrize(
    "changed",
    [
        {"grid": np.arange(5.0) + 1e-12, "option": "a"},  # a last-digit change of an input array
        {"grid": np.arange(5.0).astype(np.float32), "option": "a"},  # same values, other dtype
        {"grid": np.arange(5.0), "option": "b"},
        {"grid": np.arange(5.0), "option": "a", "new_option": None},  # an option added later
        {"grid": np.arange(5.0), "option": "a", "spectrum": RecoilSpectrum(quadrature_nodes=24)},
    ],
)
def test_any_change_of_the_inputs_is_another_entry(cache_root: Path, changed: dict[str, object]) -> None:
    compute = Counter()
    cache.cached_arrays("test", {"grid": np.arange(5.0), "option": "a"}, compute)
    cache.cached_arrays("test", changed, compute)
    assert compute.calls == 2
    assert len(entries(cache_root)) == 2


def test_canonical_describes_objects_by_value() -> None:
    a, b = RecoilSpectrum(quadrature_nodes=24), RecoilSpectrum(quadrature_nodes=24)
    assert cache.canonical(a) == cache.canonical(b)
    assert cache.canonical(a) != cache.canonical(RecoilSpectrum(quadrature_nodes=32))
    assert cache.canonical(0.1) != cache.canonical(0.1 + 2**-56)  # floats exactly, not rounded
    column = tuple(np.linspace(0.0, 1.0, 20).tolist())  # a table column, digested like an array
    nudged = (*column[:-1], float(np.nextafter(column[-1], 2.0)))
    assert cache.canonical(column) == cache.canonical(tuple(column)) != cache.canonical(nudged)
    with pytest.raises(cache.UncacheableError, match="local function"):
        cache.canonical(lambda x: x)


def test_uncacheable_inputs_run_uncached(cache_root: Path) -> None:
    compute = Counter()
    for _ in range(2):
        cache.cached_arrays("test", {"f": lambda x: x}, compute)
    assert compute.calls == 2
    assert entries(cache_root) == []


def test_disabled_cache_neither_reads_nor_writes(cache_root: Path) -> None:
    compute = Counter()
    with cache.disabled():
        cache.cached_arrays("test", {"x": 1}, compute)
    assert entries(cache_root) == []
    cache.cached_arrays("test", {"x": 1}, compute)
    with cache.disabled():
        cache.cached_arrays("test", {"x": 1}, compute)
    assert compute.calls == 3


# ------------------------------------------------------------------------------------------------
# corrupt entries, unwritable folders, concurrent writers
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "swap"])
def test_corrupt_entry_is_rebuilt_with_one_warning(cache_root: Path, damage: str) -> None:
    compute = Counter()
    good = cache.cached_arrays("test", {"x": 1}, compute)
    (path,) = entries(cache_root)
    raw = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "flip":  # a bit of an array's data, not of the zip structure: the checksum must see it
        i = raw.index(np.linspace(0.0, 1.0, 7)[3].tobytes())
        path.write_bytes(raw[:i] + bytes([raw[i] ^ 1]) + raw[i + 1 :])
    else:  # a complete entry of another key under this key's name
        cache.cached_arrays("test", {"x": 2}, Counter(2.0))
        other = next(p for p in entries(cache_root) if p != path)
        path.write_bytes(other.read_bytes())
    with pytest.warns(cache.CacheWarning, match="corrupt") as record:
        again = cache.cached_arrays("test", {"x": 1}, compute)
    assert len(record) == 1
    assert compute.calls == 2
    np.testing.assert_array_equal(again["rate"], good["rate"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the rebuilt entry is sound: read without a warning
        cache.cached_arrays("test", {"x": 1}, compute)
    assert compute.calls == 2


def test_unwritable_cache_folder_warns_and_computes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(blocker))
    with pytest.warns(cache.CacheWarning, match="cannot write") as record:
        out = cache.cached_arrays("test", {"x": 1}, Counter())
        cache.cached_arrays("test", {"x": 2}, Counter())  # one warning per process, not one per entry
    assert len(record) == 1
    assert out["rate"][-1] == 1.0
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / "fixed"))
    cache.set_enabled(None)  # retries writing
    cache.cached_arrays("test", {"x": 1}, Counter())
    assert len(entries(tmp_path / "fixed")) == 1


def test_concurrent_writers_leave_one_sound_entry(cache_root: Path) -> None:
    results: list[dict[str, np.ndarray]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                results.append(cache.cached_arrays("test", {"x": 1}, Counter()))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 8 and all(np.array_equal(r["rate"], results[0]["rate"]) for r in results)
    assert len(entries(cache_root)) == 1
    assert not [p for p in cache_root.rglob("*") if p.is_file() and p.suffix != ".npz"]  # no temporary left


def test_clear_removes_entries_only(cache_root: Path) -> None:
    cache.cached_arrays("test", {"x": 1}, Counter())
    cache.cached_arrays("other", {"x": 1}, Counter())
    keep = cache_root / "notes.txt"
    keep.write_text("mine")
    assert cache.clear() == 2
    assert entries(cache_root) == [] and keep.read_text() == "mine"
    assert cache.clear() == 0


# ------------------------------------------------------------------------------------------------
# what exonu caches: the signal and SM solar-ν rates on the response grid
# ------------------------------------------------------------------------------------------------
def test_warm_templates_are_identical_and_skip_the_atomic_tables(
    cache_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = search_spec("magnetic-moment")
    with cache.disabled():
        fresh = signal_templates(load_detector("xenonnt-sr0"), spec)
    cold = signal_templates(load_detector("xenonnt-sr0"), spec)
    assert {p.parent.name for p in entries(cache_root)} == {"signal-term-rates", "response-kernel"}

    def no_tables(*args: object, **kwargs: object) -> None:
        raise AssertionError("a warm run must not read the binding-energy tables")

    monkeypatch.setattr(atomic, "xenon_subshells", no_tables)
    warm = signal_templates(load_detector("xenonnt-sr0"), spec)
    for t in (cold, warm):
        np.testing.assert_array_equal(t.templates, fresh.templates)
        np.testing.assert_array_equal(t.systematics, fresh.systematics)
        assert t.reference == fresh.reference and t.systematic_names == fresh.systematic_names


def test_solar_background_and_options_are_keyed(cache_root: Path) -> None:
    with cache.disabled():
        fresh = load_detector("xmass-i").window("full").background.templates
    cold = load_detector("xmass-i").window("full").background.templates
    warm = load_detector("xmass-i").window("full").background.templates
    np.testing.assert_array_equal(cold, fresh)
    np.testing.assert_array_equal(warm, fresh)
    n = len(entries(cache_root))
    assert n > 0
    # another spectrum option: new entries and other numbers, never the cached ones
    coarse = RecoilSpectrum(quadrature_nodes=8)
    other = load_detector("xmass-i", spectrum=coarse).window("full").background.templates
    assert len(entries(cache_root)) > n
    with cache.disabled():
        uncached = load_detector("xmass-i", spectrum=coarse).window("full").background.templates
    np.testing.assert_array_equal(other, uncached)
    # the millicharge's default atomic model (steps + the equivalent-photon term) against bare steps
    setup = load_detector("xenonnt-sr0")
    steps = signal_templates(setup, search_spec("millicharge", atomic_model="steps")).templates
    default = signal_templates(setup, search_spec("millicharge")).templates
    assert not np.allclose(steps, default)  # the atomic model is part of the key


def test_no_cache_flag_neither_reads_nor_writes(tmp_path, monkeypatch, capsys):
    """`exonu --no-cache COMMAND` leaves the cache folder untouched, and only for that command."""
    from exonu.cli import main

    root = tmp_path / "cache"
    monkeypatch.setenv("EXONU_CACHE_DIR", str(root))
    assert main(["--no-cache", "fit", "--detector", "xenonnt-sr0", "--signal", "magnetic-moment", "--toys", "0"]) == 0
    assert not root.exists() or not any(p.is_file() for p in root.rglob("*"))
    assert cache.enabled()  # switched back on after the command
    assert main(["fit", "--detector", "xenonnt-sr0", "--signal", "magnetic-moment", "--toys", "0"]) == 0
    assert any(p.suffix == ".npz" for p in root.rglob("*"))
    capsys.readouterr()


def test_array_digest_is_the_sha256_of_names_dtypes_shapes_and_bytes() -> None:
    """The formula is fixed: the digests already stored in cache entries and run stores must stay valid."""
    arrays = {"b": np.arange(3, dtype="<i8"), "a": np.array([[1.5]], dtype="<f8")}
    by_hand = hashlib.sha256()
    for name in ("a", "b"):
        by_hand.update(f"{name}|{arrays[name].dtype.str}|{arrays[name].shape}|".encode())
        by_hand.update(arrays[name].tobytes())
    assert cache.array_digest(arrays, separator="|") == by_hand.hexdigest()
    assert cache.array_digest(arrays) != by_hand.hexdigest()  # the cache's own separator is "\0"
    assert cache.array_digest({**arrays, "b": arrays["b"].astype("<i4")}) != cache.array_digest(arrays)
    assert cache.array_digest({**arrays, "a": arrays["a"].ravel()}) != cache.array_digest(arrays)


def test_xraydb_edges_are_read_once_then_served_without_xraydb(
    cache_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import xraydb

    direct = [xraydb.xray_edges("Xe")[name].energy for name in atomic.XENON_SUBSHELL_OCCUPANCY]
    cold = atomic.xraydb_edges_ev()
    assert [p.parent.name for p in entries(cache_root)] == ["xraydb-edges"]
    monkeypatch.setitem(sys.modules, "xraydb", None)  # `import xraydb` would now fail
    warm = atomic.xraydb_edges_ev()
    np.testing.assert_array_equal(cold, direct)
    np.testing.assert_array_equal(warm, direct)


def test_expected_band_toys_are_cached_and_identical(cache_root: Path) -> None:
    """A second identical expected band reads its toy limits from the cache; a new seed is a new entry."""
    from exonu.searches import build_binned_model
    from exonu.stats import expected_limits

    model, _ = build_binned_model(load_detector("xenonnt-sr0"), search_spec("magnetic-moment"))
    options = {"n_toys": 40, "seed": 3, "statistic": "poisson"}
    with cache.disabled():
        fresh = expected_limits(model, **options)
    cold = expected_limits(model, **options)
    kinds = [p.parent.name for p in entries(cache_root)]
    assert kinds.count("toy-limits") == 1
    warm = expected_limits(model, **options)
    other_seed = expected_limits(model, **{**options, "seed": 4})
    assert [p.parent.name for p in entries(cache_root)].count("toy-limits") == 2
    for e in (cold, warm):
        np.testing.assert_array_equal(e.toy_limits, fresh.toy_limits)
        assert e.band == fresh.band and e.asimov == fresh.asimov
    assert not np.array_equal(other_seed.toy_limits, fresh.toy_limits)
