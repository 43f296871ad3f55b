"""The run folder: a manifest and one verified ``.npz`` file per finished work unit.

Layout of ``DIR``::

    run.json                    settings of the run and their hash (checked on resume)
    units/<kind>/<unit>.npz     the columns of one unit (every toy, not only summaries) and its record
    summary.json                written at the end by the command

Why ``.npz`` + JSON (NumPy only) and not Parquet: the store must work on the base install (``--jobs 1``
and local processes need no optional dependency), and a unit is a handful of equal-length NumPy
columns that ``numpy.load`` reads back anywhere (``numpy.load(path, allow_pickle=False)``; no pickle is
ever written or read). :func:`read_units` gives one kind as one table of columns.

Each unit file carries a record (the ``__record__`` entry, JSON text): the run's settings hash, the run
seed, the unit's name and seed, its first toy and toy count, and the SHA-256 of its columns. On resume a
unit is reused only if its record matches the unit the run needs and its columns match their checksum;
any other file under that name (another run's, another unit's, an older format, truncated, bit-flipped)
is recomputed and reported, never silently reused. A unit whose toy count changed because ``--n-toys``
grew (the last, partial chunk) is recomputed without a warning: that is how an ensemble is extended.

Units are written under a hidden temporary name and renamed into place (atomic), so a killed run never
leaves a half-written unit; the run that resumes the folder removes such temporaries and counts them in
``partial_files_removed``. The driver process writes every file (workers only return arrays), so a
remote cluster needs no shared file system.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np

from .. import __version__
from ..cache import array_digest
from ..errors import InputError, OutputError
from ..fileio import atomic_write_bytes, atomic_write_text

MANIFEST = "run.json"
#: Lock file of the run using the folder (an exclusive ``flock``, released by the kernel if the run dies)
LOCK = ".lock"
#: Version of the folder layout and unit record (a folder of another version is refused in one line)
STORE_FORMAT = 2
#: between name, dtype and shape in a unit's ``columns_sha256`` (:func:`exonu.cache.array_digest`); format 2
COLUMNS_DIGEST_SEPARATOR = "|"
#: Settings a rerun may change in the same folder: more (or fewer) toys extend (or use part of) the ensemble
EXTENDABLE = ("n_toys", "n_background")
#: Name of the record entry inside a unit file
RECORD = "__record__"


def resolve_detector(name_or_path: str) -> str:
    """A detector argument made valid in any process (as run.json records it): an existing file becomes
    an absolute path, a packaged name stays a name."""
    path = Path(name_or_path)
    return str(path.resolve()) if path.is_file() else str(name_or_path)


def command_settings(command: str, detectors: Sequence[str], signal: str, **extra: Any) -> dict[str, Any]:
    """The settings of a run known before any detector is loaded (checked first: see ``store.check_folder``)."""
    return {"command": command, "exonu_version": __version__, "detectors": list(detectors), "signal": signal, **extra}


def settings_hash(settings: Mapping[str, Any]) -> str:
    """SHA-256 of the settings that fix every unit's content (all but :data:`EXTENDABLE`)."""
    fixed = {k: v for k, v in settings.items() if k not in EXTENDABLE}
    return hashlib.sha256(json.dumps(fixed, sort_keys=True).encode()).hexdigest()


class UnitIdentity(Protocol):
    """What a stored unit must say about itself to be reused (a :class:`~exonu.parallel.units.WorkUnit`)."""

    @property
    def name(self) -> str: ...

    @property
    def seed(self) -> int: ...

    @property
    def first_toy(self) -> int: ...

    @property
    def n_toys(self) -> int: ...


def read_manifest(root: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The settings in ``root/run.json`` (None if there is none); a damaged file is a one-line error."""
    path = Path(root) / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} cannot be read ({exc}); delete the folder or choose another --out") from None
    try:
        stored = json.loads(text)
    except ValueError as exc:
        raise InputError(f"{path} is damaged (not JSON: {exc}); delete the folder or choose another --out") from None
    if not isinstance(stored, dict) or not isinstance(stored.get("settings"), dict):
        raise InputError(
            f"{path} is not an exonu run manifest of this version (store format {STORE_FORMAT}); "
            "delete the folder or choose another --out"
        )
    if stored.get("store_format") != STORE_FORMAT:
        raise InputError(
            f"{path} holds a run of another store format ({stored.get('store_format')!r}, this exonu writes "
            f"{STORE_FORMAT}); choose another --out"
        )
    return dict(stored["settings"])


def changed_settings(
    stored: Mapping[str, Any], wanted: Mapping[str, Any], keys: Iterable[str] | None = None
) -> list[str]:
    """The settings (of ``keys``, default all) that differ between two runs, :data:`EXTENDABLE` left out."""
    wanted = json.loads(json.dumps(dict(wanted)))  # the form it takes on disk (tuples → lists)
    names = set(stored) | set(wanted) if keys is None else set(keys)
    return sorted(k for k in names if k not in EXTENDABLE and stored.get(k) != wanted.get(k))


def check_folder(root: str | os.PathLike[str], settings: Mapping[str, Any]) -> None:
    """Refuse ``root`` at once if it holds a run whose settings differ in any key of ``settings``.

    Called before anything heavy is loaded, with the settings known from the command line alone;
    :class:`UnitStore` repeats the check with every setting.
    """
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise InputError(f"--out {root} exists and is not a folder")
    stored = read_manifest(root)
    if stored is None:
        return
    changed = changed_settings(stored, settings, settings.keys())
    if changed:
        raise InputError(
            f"{root} holds a run with other settings ({describe_changes(stored, settings, changed)}); "
            "repeat the original command to resume it or choose another --out"
        )


def describe_changes(stored: Mapping[str, Any], wanted: Mapping[str, Any], keys: list[str]) -> str:
    wanted = json.loads(json.dumps(dict(wanted)))

    def short(value: Any) -> str:
        text = json.dumps(value)
        return text if len(text) <= 40 else text[:37] + "..."

    return ", ".join(f"{k}: stored {short(stored.get(k))}, now {short(wanted.get(k))}" for k in keys)


def _lock_folder(root: Path) -> IO[bytes] | None:
    """An exclusive lock on ``root`` for this run, or :class:`InputError` if another run holds it.

    Two runs on one folder would delete each other's files in flight (a resuming run removes the
    temporaries a killed run left). ``flock`` is advisory and per open file, and the kernel drops it
    when the process dies, so a killed run never leaves the folder locked. Without ``fcntl`` (Windows)
    the folder is not locked.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return None
    try:
        handle = open(root / LOCK, "ab")  # noqa: SIM115 - held open for the run's lifetime, closed by close()
    except OSError as exc:
        raise OutputError(f"cannot write {root / LOCK}: {exc.strerror or exc}") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise InputError(
            f"another exonu run is using {root} (it holds {root / LOCK}); wait for it to finish or choose another --out"
        ) from None
    return handle


class UnitStore:
    """One run folder (see the module docstring).

    Parameters
    ----------
    root : path
        The output folder (created if missing).
    settings : dict
        JSON-serialisable settings of the run. A folder that already holds a run with other settings
        (other than :data:`EXTENDABLE`) is refused, so a resumed run can never mix two computations.
    """

    def __init__(self, root: str | os.PathLike[str], settings: dict[str, Any]) -> None:
        self.root = Path(root)
        check_folder(self.root, {})
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = _lock_folder(self.root)
        try:
            self._open(settings)
        except BaseException:
            self.close()
            raise

    def _open(self, settings: dict[str, Any]) -> None:
        try:
            settings = json.loads(json.dumps(settings))  # the form it takes on disk (tuples → lists)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{self.root}: the run settings must be JSON values ({exc})") from None
        stored = read_manifest(self.root)
        if stored is not None:
            changed = changed_settings(stored, settings)
            if changed:
                raise InputError(
                    f"{self.root} holds a run with other settings ({describe_changes(stored, settings, changed)}); "
                    "repeat the original command to resume it or choose another --out"
                )
        self.settings = settings
        self.settings_sha256 = settings_hash(settings)
        manifest = {"store_format": STORE_FORMAT, "settings_sha256": self.settings_sha256, "settings": settings}
        atomic_write_text(self.root / MANIFEST, json.dumps(manifest, indent=2))
        # what a writer killed mid-write leaves (never a unit: units appear only by rename); this run holds
        # the folder's lock, so every such file is a dead run's
        partial = sorted((self.root / "units").glob("*/.*.tmp.npz"))
        for path in partial:
            path.unlink(missing_ok=True)
        #: number of temporary files of a killed run removed when this store opened the folder
        self.partial_files_removed = len(partial)

    def close(self) -> None:
        """Release the folder (another run may then resume it)."""
        if self._lock is not None:
            self._lock.close()  # closing the descriptor releases the flock
            self._lock = None

    def __enter__(self) -> UnitStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def path(self, kind: str, name: str) -> Path:
        return self.root / "units" / kind / f"{name}.npz"

    def relative(self, kind: str, name: str) -> str:
        """The unit's path inside the folder, for messages."""
        return f"units/{kind}/{name}.npz"

    def record(self, unit: UnitIdentity) -> dict[str, Any]:
        """The record a stored ``unit`` of this run carries."""
        return {
            "store_format": STORE_FORMAT,
            "settings_sha256": self.settings_sha256,
            "run_seed": self.settings.get("seed"),
            "unit": unit.name,
            "unit_seed": unit.seed,
            "first_toy": unit.first_toy,
            "n_toys": unit.n_toys,
        }

    def problem(self, kind: str, unit: UnitIdentity) -> str | None:
        """Why the stored file of ``unit`` cannot be reused: None if it is this run's intact unit,
        ``"missing"``, ``"resized"`` (same run and unit, another toy count), or a one-line reason."""
        path = self.path(kind, unit.name)
        if not path.exists():
            return "missing"
        try:
            record, _ = load_unit(path)
        except InputError as exc:
            return str(exc).split(": ", 1)[-1]
        expected = self.record(unit)
        if record.get("store_format") != STORE_FORMAT:
            return "written by another version of the store"
        if record.get("run_seed") != expected["run_seed"]:
            return f"belongs to a run with seed {record.get('run_seed')} (this run: {expected['run_seed']})"
        if record.get("settings_sha256") != expected["settings_sha256"]:
            return "belongs to a run with other settings"
        if record.get("unit") != unit.name or record.get("unit_seed") != unit.seed:
            return f"holds unit {record.get('unit')!r}, not {unit.name!r}"
        if record.get("first_toy") != unit.first_toy:
            return "holds other toys"
        if record.get("n_toys") != unit.n_toys:
            return "resized"
        return None

    def write(self, kind: str, unit: UnitIdentity, columns: Mapping[str, np.ndarray]) -> Path:
        """Store one unit's columns with its record, atomically."""
        path = self.path(kind, unit.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {k: np.asarray(v) for k, v in columns.items()}
        record = {**self.record(unit), "columns_sha256": array_digest(arrays, separator=COLUMNS_DIGEST_SEPARATOR)}
        buffer = io.BytesIO()
        entries: dict[str, Any] = {**arrays, RECORD: np.array(json.dumps(record))}
        np.savez(buffer, **entries)
        return atomic_write_bytes(path, buffer.getvalue())  # a hidden temporary name, then a rename

    def read(self, kind: str, units: Iterable[UnitIdentity]) -> dict[str, np.ndarray]:
        """The columns of ``units`` (verified), concatenated in the order given."""
        parts = []
        for unit in units:
            reason = self.problem(kind, unit)
            if reason is not None:
                raise InputError(f"{self.path(kind, unit.name)}: {reason}; rerun the command to recompute it")
            parts.append(load_unit(self.path(kind, unit.name))[1])
        if not parts:
            return {}
        return {c: np.concatenate([p[c] for p in parts]) for c in parts[0]}

    def write_summary(self, summary: dict[str, Any], name: str = "summary.json") -> Path:
        from ..output.serialize import to_jsonable

        path = self.root / name
        atomic_write_text(path, json.dumps(to_jsonable(summary), indent=2, ensure_ascii=False))
        return path


def load_unit(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The record and the columns of one unit file, checked against its checksum.

    Raises
    ------
    InputError
        ``"<path>: <reason>"`` when the file is unreadable, truncated, not a unit or fails its checksum.
    """
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path}: damaged or not a unit file ({type(exc).__name__})") from None
    raw = arrays.pop(RECORD, None)
    try:
        record = json.loads(str(raw)) if raw is not None and raw.shape == () else None
    except ValueError:
        record = None
    if not isinstance(record, dict):
        raise InputError(f"{path}: carries no unit record (not written by this version of exonu)")
    if record.get("columns_sha256") != array_digest(arrays, separator=COLUMNS_DIGEST_SEPARATOR):
        raise InputError(f"{path}: damaged (its columns do not match their checksum)")
    return record, arrays


def read_units(root: str | os.PathLike[str], kind: str) -> dict[str, np.ndarray]:
    """Every stored unit of one kind in a run folder as one table of columns (unit-name order, verified).

    For analysing a finished run later (e.g. ``read_units("T", "toys")["limit_alpha"]``).
    """
    paths = sorted(p for p in (Path(root) / "units" / kind).glob("*.npz") if not p.name.startswith("."))
    parts = [load_unit(p)[1] for p in paths]
    if not parts:
        raise InputError(f"{root}: no stored units of kind {kind!r}")
    return {c: np.concatenate([p[c] for p in parts]) for c in parts[0]}
