import os
from collections.abc import Iterator
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
