"""Safe file input and output: atomic writes, writability checks, input files read with one-line errors.

* Outputs are written to a temporary file in the destination folder and renamed over the target with
  :func:`os.replace`, which is atomic on POSIX: a reader (or a crash, a full disk, Ctrl-C) sees either
  the previous complete file or the new complete file, never a truncated one.
* :func:`check_writable_dir` and :func:`check_output_file` are meant to run *before* a long computation,
  so that a bad ``--out`` fails in a second, not after a minute.
* :func:`read_text_input` reads a user-named input file and turns every way it can fail (missing,
  a directory, unreadable, not UTF-8) into one :class:`~exonu.errors.ConfigError` line naming the file.

Every failure is an :class:`~exonu.errors.ExonuError` subclass whose message is one line and names the
path: :class:`~exonu.errors.OutputError` for outputs, :class:`~exonu.errors.ConfigError` for inputs.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any, TypeAlias

from .errors import ConfigError, InputError, OutputError

#: what ``signal.signal`` and ``signal.getsignal`` return: a handler function, SIG_DFL/SIG_IGN, or None
SignalHandler: TypeAlias = Callable[[int, FrameType | None], Any] | int | None

__all__ = [
    "SignalHandler",
    "atomic_output_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_output_file",
    "check_writable_dir",
    "read_text_input",
]


def _as_path(path: object, what: str) -> Path:
    """``path`` as a :class:`Path`, refusing None, numbers and the empty string."""
    if not isinstance(path, (str, os.PathLike)):
        raise InputError(f"{what}: expected a file path; got {type(path).__name__}")
    p = Path(path)
    if str(path) == "":
        raise InputError(f"{what}: the path is empty")
    return p


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _file_mode() -> int:
    """Permissions an ordinary ``open(path, "w")`` would give: 0o666 minus the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_output_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it over ``path``, on failure delete it.

    Use it to write atomically with a library that wants a file name (``Figure.savefig``, a writer
    that picks the format from the suffix): the temporary name keeps the suffix of ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        Final destination. Its folder must exist (see :func:`check_output_file`).

    Raises
    ------
    OutputError
        If the temporary file cannot be created or renamed (the previous ``path`` is left untouched).
    """
    target = _as_path(path, "output file")
    if target.is_dir():
        raise OutputError(f"cannot write {target}: it is a directory; give a file name")
    try:
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=f".tmp{target.suffix}")
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {_reason(exc)}") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, _file_mode())
        os.replace(tmp, target)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {_reason(exc)}") from None
    finally:
        # On success the temporary name no longer exists; on any failure (including Ctrl-C) remove it.
        with contextlib.suppress(OSError):
            tmp.unlink()


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, fsync, rename).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputError
        If the folder is not writable, ``path`` is a directory, or the disk is full; the previous
        content of ``path`` survives.
    """
    target = _as_path(path, "output file")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InputError(f"atomic_write_bytes: data must be bytes; got {type(data).__name__}")
    with atomic_output_path(target) as tmp:
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())  # the rename must not reach the disk before the data
        except OSError as exc:
            raise OutputError(f"cannot write {target}: {_reason(exc)}") from None
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically; see :func:`atomic_write_bytes`."""
    if not isinstance(text, str):
        raise InputError(f"atomic_write_text: text must be a str; got {type(text).__name__}")
    return atomic_write_bytes(path, text.encode(encoding))


def _nearest_existing(p: Path) -> Path:
    """``p`` or its closest ancestor that exists (``.`` for a relative path with no existing parent)."""
    for candidate in (p, *p.parents):
        if candidate.exists():
            return candidate
    return Path(".")


def _require_writable_folder(existing: Path, target: Path) -> None:
    if not existing.is_dir():
        raise OutputError(f"cannot write {target}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {target}: {existing} is not writable (permission denied or read-only)")


def check_writable_dir(path: str | os.PathLike[str]) -> Path:
    """Check, without creating anything, that ``path`` is (or can be created as) a writable folder.

    Parameters
    ----------
    path : str or os.PathLike
        Output folder, e.g. ``--out`` of ``exonu reproduce``.

    Returns
    -------
    Path
        ``path`` as a :class:`Path`.

    Raises
    ------
    OutputError
        ``path`` is an existing file, or the folder (or the nearest existing parent it would be created
        in) is not writable.
    """
    p = _as_path(path, "output folder")
    if p.exists() and not p.is_dir():
        raise OutputError(f"cannot write into {p}: it is a file, not a folder")
    _require_writable_folder(_nearest_existing(p), p)
    return p


def check_output_file(path: str | os.PathLike[str]) -> Path:
    """Check, without creating anything, that ``path`` can be written as a file.

    ``path`` must not be an existing directory, and its folder must exist and be writable, or be
    creatable inside a writable folder.

    Raises
    ------
    OutputError
        With one line naming ``path`` and what is wrong.
    """
    p = _as_path(path, "output file")
    if p.is_dir():
        raise OutputError(f"cannot write {p}: it is a directory; give a file name")
    if p.exists() and not os.access(p, os.W_OK):
        # os.replace would succeed in a writable folder, but a read-only file says "do not overwrite me"
        raise OutputError(f"cannot write {p}: the file is read-only")
    _require_writable_folder(_nearest_existing(p.parent), p)
    return p


def read_text_input(path: str | os.PathLike[str], what: str) -> str:
    """Read a user-named text input file as UTF-8 (a leading byte-order mark is dropped), with one-line errors.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    what : str
        What the file is, for the message, e.g. ``"data file"`` or ``"RRPA/FEA ratio table"``.

    Returns
    -------
    str
        The file's text.

    Raises
    ------
    InputError
        ``path`` is not a path (None, a number).
    ConfigError
        The file is missing, a directory, unreadable, or not UTF-8 text; the message names the file.
    """
    p = _as_path(path, what)
    if p.is_dir():
        raise ConfigError(f"{p}: {what} is a directory, not a file")
    if not p.exists():
        raise ConfigError(f"{p}: {what} not found")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read {what}: {_reason(exc)}") from None
    try:
        return data.decode("utf-8-sig")  # a byte-order mark (Windows editors write one) is not text
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{p}: {what} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
