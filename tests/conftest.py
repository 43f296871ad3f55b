import builtins
import errno
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _exonu_cache_in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests never touch the real user cache: one cache folder per test session (subprocesses inherit it)."""
    from exonu import cache

    monkeypatch.setenv("EXONU_CACHE_DIR", str(_session_cache_dir(tmp_path_factory)))
    monkeypatch.delenv("EXONU_NO_CACHE", raising=False)
    yield
    cache.set_enabled(None)


def _session_cache_dir(factory: pytest.TempPathFactory) -> Path:
    base = factory.getbasetemp() / "exonu-cache"
    base.mkdir(exist_ok=True)
    return base


@pytest.fixture
def fill_disk(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """``fill_disk()`` fills the disk from then on: a temporary file exonu.fileio writes gets its first 10
    characters, then ENOSPC (for the tests that a full disk leaves the previous file as it was)."""
    from exonu import fileio

    class FullDisk:  # the package's one atomic writer (exonu.fileio) opens the temporary file by name
        def __init__(self, path: str, mode: str) -> None:
            self.fh = builtins.open(path, mode)  # noqa: SIM115 - closed by __exit__, as a file object would be

        def __enter__(self) -> "FullDisk":
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()

        def write(self, data: str) -> None:
            self.fh.write(data[:10])
            raise OSError(errno.ENOSPC, "No space left on device")

    def fill() -> None:
        monkeypatch.setattr(fileio, "open", FullDisk, raising=False)

    return fill
