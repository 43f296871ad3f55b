"""Safe writing of a run's output folder: no truncated file, no folder that mixes two runs.

* :func:`write_atomic` writes one file through a temporary file in the same folder and ``os.replace``,
  so a reader sees the old file or the new one, never a partial one (a full disk leaves the old file).
* :class:`RunFolder` collects all files of a run in a fresh hidden staging folder inside the output
  folder. Only when the run is complete are they moved into place, files of the previous run that this
  run does not produce are removed, and ``manifest.json`` (every file with its sha256, the seed, the
  version, the command line, the completion time) is written last. Files that no manifest lists are
  never touched. The move is journalled (``.exonu-commit.json``): a run killed during it is completed
  by :func:`recover`, which every new run calls first; SIGINT/SIGTERM are held back while it lasts.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from .. import __version__
from ..errors import OutputError
from ..fileio import SignalHandler, atomic_write_bytes

MANIFEST = "manifest.json"
JOURNAL = ".exonu-commit.json"
STAGING_PREFIX = ".exonu-staging-"


def _os_error(action: str, path: Path, exc: OSError) -> OutputError:
    return OutputError(f"cannot {action} {path}: {exc.strerror or exc}")


def write_atomic(path: Path | str, data: bytes | str) -> Path:
    """Write ``data`` (text is UTF-8 encoded) to ``path`` through a temporary file and an atomic rename.

    A thin wrapper of :func:`exonu.fileio.atomic_write_bytes`, the package's one atomic writer.

    Raises
    ------
    OutputError
        The folder is not writable or the disk is full; ``path`` is then unchanged.
    """
    return atomic_write_bytes(path, data.encode("utf-8") if isinstance(data, str) else data)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_writable(folder: Path | str) -> Path:
    """Create ``folder`` if needed and prove it writable by creating and removing a file in it.

    Call it before any computation so a bad ``--out`` fails in a second, not after the run.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"cannot write to output folder {folder}: it exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".exonu-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise _os_error("write to output folder", folder, exc) from None
    return folder


def read_manifest(folder: Path | str) -> dict[str, Any] | None:
    """The manifest of the complete run in ``folder``, or None if there is none (or it is unreadable)."""
    try:
        return json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def verify(folder: Path | str) -> bool:
    """True if ``folder`` holds a complete run: a manifest whose every file exists with the recorded hash."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest is None:
        return False
    return all(
        (folder / name).is_file() and sha256_file(folder / name) == digest for name, digest in manifest["files"].items()
    )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(folder: Path | str) -> None:
    """Finish a commit that was killed half way, and remove staging folders of dead runs.

    A journal means the run was complete and its files were being moved: the move is completed from
    the staging folder named in the journal and the manifest installed, so the folder holds that run.
    """
    folder = Path(folder)
    journal = folder / JOURNAL
    if journal.exists():
        try:
            pending = json.loads(journal.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pending = None
        if pending is not None:
            _apply_commit(folder, Path(pending["staging"]), pending["manifest"], pending["stale"])
        with contextlib.suppress(OSError):
            journal.unlink()
    for staging in folder.glob(f"{STAGING_PREFIX}*"):
        pid = staging.name[len(STAGING_PREFIX) :].split("-")[0]
        if staging.is_dir() and pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(staging, ignore_errors=True)


def _apply_commit(folder: Path, staging: Path, manifest: dict[str, Any], stale: list[str]) -> None:
    """Move the staged files into place, remove stale ones, write the manifest, drop the staging folder.

    Idempotent: after a kill it can run again (files already moved are no longer in ``staging``).
    """
    for name in manifest["files"]:
        src = staging / name
        if src.exists():
            os.replace(src, folder / name)
    for name in stale:
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()
    write_atomic(folder / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP back (delivered on exit) while a commit moves files."""
    held = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - not POSIX
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _raise_on_sigterm(signum: int, frame: object) -> None:  # a run killed politely cleans its staging folder
    raise SystemExit(128 + signum)


class RunFolder:
    """The output folder of one run, written all at once (see the module docstring).

    Usage::

        with RunFolder(out, seed=0, command_line=sys.argv) as run:   # --out checked here
            ...compute...
            run.write("results.json", text)
            run.write("fig1.png", png_bytes)
        # on normal exit: files moved into place, stale files removed, manifest written last

    An exception inside the ``with`` block (including SIGTERM, turned into ``SystemExit``) discards the
    staging folder and leaves the previous run untouched.

    Parameters
    ----------
    folder : path
        The output folder (created if needed; must be writable).
    seed : int or None
        Recorded in the manifest.
    command_line : list of str, optional
        Recorded in the manifest (default ``sys.argv``).
    """

    def __init__(self, folder: Path | str, *, seed: int | None = None, command_line: list[str] | None = None) -> None:
        self.folder = check_writable(folder)
        recover(self.folder)
        self.seed = seed
        args = list(sys.argv if command_line is None else command_line)
        self.command_line = ["exonu", *args[1:]] if args else []  # argv[0] is a machine path to the script
        #: further manifest entries (dependency versions, warnings), written with it
        self.record: dict[str, Any] = {}
        self.staging: Path | None = None
        self.files: list[str] = []
        self.written: list[Path] = []
        self._old_handler: SignalHandler = None

    def __enter__(self) -> RunFolder:
        try:
            self.staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=self.folder))
        except OSError as exc:
            raise _os_error("create a staging folder in", self.folder, exc) from None
        with contextlib.suppress(ValueError):  # only the main thread may set handlers
            self._old_handler = signal.signal(signal.SIGTERM, _raise_on_sigterm)
        return self

    def path(self, name: str) -> Path:
        """Where to write file ``name`` of this run (inside the staging folder); registers the name."""
        if self.staging is None:
            raise RuntimeError("RunFolder.path() outside its `with` block")
        if Path(name).name != name or name in (MANIFEST, JOURNAL) or name.startswith(STAGING_PREFIX):
            raise ValueError(f"invalid output file name {name!r}")
        if name not in self.files:
            self.files.append(name)
        return self.staging / name

    def write(self, name: str, data: bytes | str) -> Path:
        """Write one file of the run (atomically, into the staging folder)."""
        return write_atomic(self.path(name), data)

    def commit(self) -> list[Path]:
        """Move the run's files into place (journalled), remove stale ones, write the manifest last."""
        if self.staging is None:
            raise RuntimeError("RunFolder.commit() outside its `with` block")
        try:
            files = {name: sha256_file(self.staging / name) for name in self.files}
        except OSError as exc:
            raise _os_error("read back staged file in", self.staging, exc) from None
        manifest = {
            "complete": True,
            "exonu_version": __version__,
            "seed": self.seed,
            "command_line": self.command_line,
            "completed_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            **self.record,
            "files": files,
        }
        previous = read_manifest(self.folder) or {}
        stale = sorted(set(previous.get("files", {})) - set(files))
        journal = {"staging": str(self.staging), "manifest": manifest, "stale": stale}
        with _signals_held():
            write_atomic(self.folder / JOURNAL, json.dumps(journal, ensure_ascii=False))
            # from here the journal owns the staging folder: a failure leaves both for recover()
            staging, self.staging = self.staging, None
            try:
                _apply_commit(self.folder, staging, manifest, stale)
                (self.folder / JOURNAL).unlink()
            except OSError as exc:
                raise _os_error("move the run into", self.folder, exc) from None
        return [self.folder / name for name in files]

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is None:
                self.written = self.commit()
        finally:
            if self._old_handler is not None:
                signal.signal(signal.SIGTERM, self._old_handler)
            if self.staging is not None:
                shutil.rmtree(self.staging, ignore_errors=True)
                self.staging = None
