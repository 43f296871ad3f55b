"""On-disk cache of the slow, deterministic arrays of a search: solar-ν spectra on a detector's energy grid.

Where the time of one ``exonu fit`` goes (``benchmarks/bench_cache.py``): the response matrices take
milliseconds; what is slow is the recoil spectrum — the binding-energy table (``xraydb`` and its
SQLAlchemy import, ≈ 0.6 s) and the flux integrals of every signal term and of the SM solar-ν background.
Those rates on the response grid are what this module keeps between runs.

**Key.** An entry's key is the sha256 of a canonical JSON description of *everything* the cached
function receives (:func:`canonical`: every init field of a dataclass, every attribute of a plain
object, arrays by dtype, shape and sha256 of their bytes, floats exactly) together with the code that
computes it (:func:`code_fingerprint`: the exonu version, the sha256 of every file of the installed
package — sources and data tables — and the versions of numpy, scipy and xraydb). A new argument or
option therefore changes the key; an input that cannot be described makes the call skip the cache.

**Layout.** ``cache_dir()/v1/<kind>/<key>.npz``: one uncompressed ``.npz`` per entry holding the arrays
and, under ``__meta__``, a JSON text with the format, kind, key, the canonical inputs and the sha256 of
the arrays. No pickle: entries are read with ``allow_pickle=False``.

**Safety.** Entries are written through :func:`exonu.fileio.atomic_write_bytes` (temporary file, fsync,
rename), so a concurrent reader sees a complete entry or none, and concurrent writers of one key both
write complete, identical files. An entry that cannot be read, or whose checksum or key does not
match (truncated, corrupted), is removed and rebuilt with one :class:`CacheWarning`; a cache folder
that cannot be written gives one warning per process and the run goes on uncached (a full disk gives
none of its own: the command's outputs report it).

**Where.** ``$EXONU_CACHE_DIR`` if set; else the platform's user cache folder: ``$XDG_CACHE_HOME/exonu``
or ``~/.cache/exonu`` (Linux and other POSIX), ``~/Library/Caches/exonu`` (macOS),
``%LOCALAPPDATA%\\exonu\\Cache`` (Windows). ``EXONU_NO_CACHE=1`` (or :func:`set_enabled`,
:func:`disabled`, the CLI's ``--no-cache``) turns it off.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import errno
import functools
import hashlib
import inspect
import io
import json
import os
import shutil
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InputError, OutputError
from .fileio import atomic_write_bytes

__all__ = [
    "CACHE_DIR_ENV",
    "FORMAT_VERSION",
    "NO_CACHE_ENV",
    "CacheWarning",
    "UncacheableError",
    "array_digest",
    "cache_dir",
    "cached_arrays",
    "canonical",
    "clear",
    "code_fingerprint",
    "disabled",
    "enabled",
    "entry_key",
    "read_cached",
    "set_enabled",
    "store_cached",
]

#: environment variable naming the cache folder (overrides the platform default)
CACHE_DIR_ENV = "EXONU_CACHE_DIR"
#: environment variable that turns the cache off when set to 1/true/yes/on
NO_CACHE_ENV = "EXONU_NO_CACHE"
#: layout version: entries live under ``cache_dir()/v<FORMAT_VERSION>``
FORMAT_VERSION = 1
_META = "__meta__"
_TRUE = ("1", "true", "yes", "on")

# enabled: None follows EXONU_NO_CACHE, True/False set by set_enabled() (the CLI's --no-cache);
# unwritable: a write failed in this process (warned once), so no more writes are tried
_switch: dict[str, bool | None] = {"enabled": None, "unwritable": False}
# a full disk or a file-size limit: not worth a warning of the cache's own (errno values)
_DISK_FULL = (errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC))


class CacheWarning(UserWarning):
    """A cache entry was corrupt (and is rebuilt) or the cache folder cannot be written (run uncached)."""


class UncacheableError(InputError):
    """An input of a cached computation has no canonical description; the computation runs uncached."""


# ------------------------------------------------------------------------------------------------
# where, and whether
# ------------------------------------------------------------------------------------------------
def cache_dir() -> Path:
    """The cache folder: ``$EXONU_CACHE_DIR``, else the platform's user cache folder + ``exonu``."""
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return Path(env).expanduser()
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "exonu"
    if os.name == "nt":
        local = os.environ.get("LOCALAPPDATA")
        return (Path(local) if local else Path.home() / "AppData" / "Local") / "exonu" / "Cache"
    xdg = os.environ.get("XDG_CACHE_HOME")
    # the XDG spec: a relative XDG_CACHE_HOME is invalid and must be ignored
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "exonu"


def enabled() -> bool:
    """Whether cached computations read and write the cache (``set_enabled``, else ``EXONU_NO_CACHE``)."""
    forced = _switch["enabled"]
    if forced is not None:
        return forced
    return os.environ.get(NO_CACHE_ENV, "").strip().lower() not in _TRUE


def set_enabled(flag: bool | None) -> None:
    """Turn the cache on (True) or off (False) for this process; None: follow ``EXONU_NO_CACHE`` again.

    Any call also retries writing after an earlier write failure (e.g. once the folder is fixed).
    """
    if flag is not None and not isinstance(flag, bool):
        raise InputError(f"set_enabled: give True, False or None; got {flag!r}")
    _switch["enabled"] = flag
    _switch["unwritable"] = False


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """``with exonu.cache.disabled(): ...`` computes everything afresh and leaves the cache untouched."""
    before = _switch["enabled"]
    _switch["enabled"] = False
    try:
        yield
    finally:
        _switch["enabled"] = before


def clear() -> int:
    """Remove every entry of this cache format (other files in :func:`cache_dir` are left alone).

    Returns
    -------
    int
        Number of entries removed.
    """
    root = cache_dir() / f"v{FORMAT_VERSION}"
    if not root.is_dir():
        return 0
    n = sum(1 for _ in root.rglob("*.npz"))
    try:
        shutil.rmtree(root)
    except OSError as exc:
        raise OutputError(f"cannot clear the cache {root}: {exc.strerror}") from None
    return n


# ------------------------------------------------------------------------------------------------
# the key
# ------------------------------------------------------------------------------------------------
def _array_digest(a: np.ndarray) -> dict[str, object]:
    a = np.ascontiguousarray(a)
    if a.dtype.hasobject:
        raise UncacheableError("an object array has no canonical description")
    return {"array": a.dtype.str, "shape": list(a.shape), "sha256": hashlib.sha256(a.tobytes()).hexdigest()}


def _type_name(obj: object) -> str:
    t = type(obj)
    return f"{t.__module__}.{t.__qualname__}"


def canonical(obj: object) -> object:
    """A JSON-able description of ``obj`` that changes whenever ``obj``'s value does.

    Objects with a ``cache_description()`` method: what it returns (e.g. a response: its detector
    model and binning, not its memo of shifted matrices); dataclasses: type and every init field
    (derived fields follow from them through the code, which :func:`code_fingerprint` covers); plain
    objects: type and every attribute (``vars``); arrays: dtype, shape and sha256; floats exactly
    (``float.hex``); mappings with sorted keys; functions and classes by qualified name.

    Raises
    ------
    UncacheableError
        For anything else (the caller computes without the cache).
    """
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return {"float": float(obj).hex()}  # exact, and defined for inf and nan
    if isinstance(obj, enum.Enum):
        return {"enum": _type_name(obj), "name": obj.name}
    if isinstance(obj, np.ndarray):
        return _array_digest(obj)
    if isinstance(obj, Path):
        return {"path": str(obj)}
    if isinstance(obj, (tuple, list)):
        if len(obj) > 8 and all(type(x) is float for x in obj):  # a table column: digest it like an array
            return {"floats": _array_digest(np.array(obj, dtype=float))}
        return [canonical(x) for x in obj]
    if isinstance(obj, (set, frozenset)):
        return {"set": sorted(json.dumps(canonical(x), sort_keys=True) for x in obj)}
    if isinstance(obj, Mapping):
        return {"mapping": sorted([json.dumps(canonical(k), sort_keys=True), canonical(v)] for k, v in obj.items())}
    if isinstance(obj, type) or inspect.isfunction(obj) or inspect.isbuiltin(obj):
        name = f"{obj.__module__}.{obj.__qualname__}"
        if "<lambda>" in name or "<locals>" in name:  # not unique by name: two lambdas may share it
            raise UncacheableError(f"no canonical description for the local function {name}")
        return {"callable": name}
    describe = getattr(obj, "cache_description", None)
    if callable(describe):  # objects holding derived arrays or memo tables say what defines them
        return {"type": _type_name(obj), "description": canonical(describe())}
    if dataclasses.is_dataclass(obj):
        fields = {f.name: canonical(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.init}
        return {"type": _type_name(obj), "fields": fields}
    state = getattr(obj, "__dict__", None)
    if isinstance(state, dict) and not hasattr(type(obj), "__slots__"):
        return {"type": _type_name(obj), "attributes": {k: canonical(v) for k, v in sorted(state.items())}}
    raise UncacheableError(f"no canonical description for a {_type_name(obj)}")


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


@functools.cache
def code_fingerprint() -> str:
    """sha256 of the code that computes cached values: exonu's version and every file of the package
    (sources and data tables, so an edited checkout never reads a stale entry), and the versions of
    numpy, scipy and xraydb (the binding energies)."""
    from . import __version__

    h = hashlib.sha256()
    for name, v in (("exonu", __version__), *((p, _package_version(p)) for p in ("numpy", "scipy", "xraydb"))):
        h.update(f"{name}={v}\n".encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
            h.update(path.relative_to(package).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def entry_key(kind: str, inputs: Mapping[str, object]) -> tuple[str, str]:
    """(key, canonical JSON text of the inputs) of a cache entry; raises :class:`UncacheableError`."""
    text = json.dumps(canonical(dict(inputs)), sort_keys=True, separators=(",", ":"))
    head = json.dumps({"format": FORMAT_VERSION, "kind": kind, "code": code_fingerprint()}, sort_keys=True)
    return hashlib.sha256((head + "\n" + text).encode()).hexdigest(), text


# ------------------------------------------------------------------------------------------------
# entries
# ------------------------------------------------------------------------------------------------
def array_digest(arrays: Mapping[str, np.ndarray], *, separator: str = "\0") -> str:
    """SHA-256 (hex) of named arrays: each name, dtype, shape and bytes, in name order.

    The one digest of array contents in exonu: the cache's entries and the run store's units
    (:mod:`exonu.parallel.store`) carry it to detect damage. ``separator`` goes between a name, its dtype
    and its shape; the run store (format 2) uses ``"|"`` so that the runs it already wrote stay valid.
    """
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}{separator}{array.dtype.str}{separator}{array.shape}{separator}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _entry_path(kind: str, key: str) -> Path:
    return cache_dir() / f"v{FORMAT_VERSION}" / kind / f"{key}.npz"


def _read_entry(path: Path, key: str) -> dict[str, np.ndarray] | None:
    """The arrays of a complete, matching entry; None if absent; removes a corrupt one (one warning)."""
    try:
        raw = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        warnings.warn(f"exonu cache: cannot read {path} ({exc.strerror}); computing afresh", CacheWarning, 3)
        return None
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        meta = json.loads(str(arrays.pop(_META)))
        if meta.get("key") != key or meta.get("checksum") != array_digest(arrays):
            raise ValueError("key or checksum mismatch")
    except Exception as exc:  # any failure to read an entry means it is corrupt
        warnings.warn(
            f"exonu cache: entry {path.name} is corrupt ({type(exc).__name__}); rebuilding it", CacheWarning, 3
        )
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    return arrays


def _write_entry(path: Path, key: str, kind: str, inputs_text: str, arrays: Mapping[str, np.ndarray]) -> None:
    meta = {
        "format": FORMAT_VERSION,
        "kind": kind,
        "key": key,
        "checksum": array_digest(arrays),
        "inputs": json.loads(inputs_text),
    }
    if _switch["unwritable"]:
        return
    buffer = io.BytesIO()
    payload: dict[str, Any] = {**arrays, _META: np.array(json.dumps(meta, sort_keys=True))}
    np.savez(buffer, **payload)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, buffer.getvalue())
    except (OSError, OutputError) as exc:
        _switch["unwritable"] = True  # one failure per process is enough to know: stop trying
        cause = exc if isinstance(exc, OSError) else exc.__context__  # OutputError keeps the OSError here
        if getattr(cause, "errno", None) in _DISK_FULL:
            return  # a full disk: the command's own outputs will say so; the cache just stands aside
        warnings.warn(f"exonu cache: cannot write {cache_dir()} ({exc}); not caching in this run", CacheWarning, 3)


def _enabled_entry_key(kind: str, inputs: Mapping[str, object]) -> tuple[str, str] | None:
    """:func:`entry_key` of ``inputs``; None with the cache off or when an input is uncacheable."""
    if not enabled():
        return None
    try:
        return entry_key(kind, inputs)
    except UncacheableError:
        return None


def read_cached(kind: str, inputs: Mapping[str, object]) -> dict[str, np.ndarray] | None:
    """The arrays of the entry for ``inputs`` (see :func:`cached_arrays`); None on a miss, with the cache off,
    or when an input is uncacheable. For a caller that computes several misses together, then
    :func:`store_cached` each."""
    return _read_keyed(kind, _enabled_entry_key(kind, inputs))


def _read_keyed(kind: str, entry: tuple[str, str] | None) -> dict[str, np.ndarray] | None:
    if entry is None:
        return None
    key, _ = entry
    return _read_entry(_entry_path(kind, key), key)


def store_cached(kind: str, inputs: Mapping[str, object], arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Keep ``arrays`` (numeric) as the entry for ``inputs`` (nothing with the cache off or an uncacheable
    input); returns them as arrays."""
    return _store_keyed(kind, _enabled_entry_key(kind, inputs), arrays)


def _store_keyed(kind: str, entry: tuple[str, str] | None, arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {name: np.asarray(a) for name, a in arrays.items()}
    if any(a.dtype.hasobject for a in out.values()) or _META in out:
        raise InputError(f"exonu cache ({kind!r}): entries hold numeric arrays not named {_META!r}")
    if entry is not None:
        key, text = entry
        _write_entry(_entry_path(kind, key), key, kind, text, out)
    return out


def cached_arrays(
    kind: str, inputs: Mapping[str, object], compute: Callable[[], Mapping[str, np.ndarray]]
) -> dict[str, np.ndarray]:
    """``compute()`` (a dict of numeric arrays), read from the cache when an entry for ``inputs`` exists.

    Parameters
    ----------
    kind : str
        Folder of the entries (one per cached function, e.g. ``"solar-sm-rate"``).
    inputs : mapping
        Everything ``compute`` depends on besides the code: pass the very objects ``compute`` uses.
    compute : callable
        Returns the arrays; called on a miss, when the cache is off, or when an input is uncacheable.
    """
    entry = _enabled_entry_key(kind, inputs)  # once for the read and, on a miss, the write
    hit = _read_keyed(kind, entry)
    if hit is not None:
        return hit
    return _store_keyed(kind, entry, compute())
