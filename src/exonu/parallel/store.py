"""The run folder: a manifest and one Parquet file per finished work unit.

Layout of ``DIR``::

    run.json                      settings of the run (checked on resume)
    units/<kind>/<unit>.parquet   the columns of one unit (every toy, not only summaries)
    summary.json                  written at the end by the command

Why Parquet (pyarrow) and not Zarr: a unit's results are a small table with columns of different
types, produced in any order by any worker. One immutable Parquet file per unit, written under a
temporary name and renamed into place (an atomic ``os.replace``), means a killed run can never leave
a half-written unit behind, and "is this unit done?" is "does its file exist?". (A kill mid-write leaves
only the hidden temporary, ``.<unit>.parquet.<random>.tmp.parquet``; the run that resumes the folder
removes those and counts them in ``partial_files_removed``.) A Zarr array would
need its shape fixed in advance and chunk writes plus metadata updates that a kill can tear apart.
The folder reads back as one table with ``pyarrow.parquet.read_table(DIR / "units" / kind)`` (or
pandas / polars), so bands and coverage can be recomputed later.

The driver process writes every file (workers only return arrays), so a remote cluster needs no
shared file system.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import ModuleType
from typing import IO, Any

import numpy as np

from ..errors import InputError, OutputError
from ..fileio import atomic_output_path, atomic_write_text
from ..output.serialize import to_jsonable

MANIFEST = "run.json"
#: Lock file of the run using the folder (an exclusive ``flock``, released by the kernel if the run dies)
LOCK = ".lock"


def _pyarrow() -> ModuleType:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise InputError("the toy store needs pyarrow: pip install 'exonu[distributed]'") from None
    return pyarrow


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
        is refused, so a resumed run can never mix two computations.
    """

    def __init__(self, root: str | os.PathLike[str], settings: dict[str, Any]) -> None:
        _pyarrow()
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise InputError(f"--out {self.root} exists and is not a folder")
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = _lock_folder(self.root)
        try:
            self._open(settings)
        except BaseException:
            self.close()
            raise

    def _open(self, settings: dict[str, Any]) -> None:
        settings = json.loads(json.dumps(settings))  # the form it takes on disk (tuples → lists)
        manifest = self.root / MANIFEST
        if manifest.exists():
            stored = json.loads(manifest.read_text())
            changed = sorted(k for k in set(stored) | set(settings) if stored.get(k) != settings.get(k))
            if changed:
                raise InputError(
                    f"{self.root} holds a run with other settings ({', '.join(changed)}); "
                    "repeat the original command to resume it or choose another --out"
                )
        else:
            atomic_write_text(manifest, json.dumps(settings, indent=2))
        self.settings = settings
        # what a writer killed mid-write leaves (never a unit: units appear only by rename); this run holds
        # the folder's lock, so every such file is a dead run's
        partial = sorted((self.root / "units").glob("*/.*.tmp.parquet"))
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
        return self.root / "units" / kind / f"{name}.parquet"

    def has(self, kind: str, name: str) -> bool:
        """True if the unit is stored (its file exists: files appear only complete)."""
        return self.path(kind, name).exists()

    def write(self, kind: str, name: str, columns: dict[str, np.ndarray]) -> Path:
        """Store one unit's columns atomically."""
        pa = _pyarrow()
        path = self.path(kind, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        table = pa.table({k: np.asarray(v) for k, v in columns.items()})
        with atomic_output_path(path) as tmp:  # a hidden temporary name: has() never sees a partial unit
            pa.parquet.write_table(table, tmp)
        return path

    def read(self, kind: str, names: list[str]) -> dict[str, np.ndarray]:
        """The columns of the named units, concatenated in the order given."""
        pa = _pyarrow()
        tables = [pa.parquet.read_table(self.path(kind, n)) for n in names]
        table = pa.concat_tables(tables)
        return {c: table.column(c).to_numpy() for c in table.column_names}

    def write_summary(self, summary: dict[str, Any], name: str = "summary.json") -> Path:
        path = self.root / name
        atomic_write_text(path, json.dumps(to_jsonable(summary), indent=2, ensure_ascii=False))
        return path
