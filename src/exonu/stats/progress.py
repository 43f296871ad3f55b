"""Progress bars for long loops (tqdm, imported only when a bar is shown)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TypeVar

__all__ = ["progress_iter"]

_T = TypeVar("_T")


def progress_iter(
    iterable: Iterable[_T], progress: bool | None, desc: str, total: int | None = None, unit: str = "it"
) -> Iterable[_T]:
    """Wrap ``iterable`` in a tqdm bar when wanted.

    ``progress=None`` shows the bar only when stderr is a terminal; True/False force it on/off.
    """
    show = sys.stderr.isatty() if progress is None else bool(progress)
    if not show:
        return iterable
    from tqdm.auto import tqdm

    # tqdm ships no types (see pyproject.toml), so this is Any to mypy; a tqdm bar yields the items of ``iterable``
    bar: Iterable[_T] = tqdm(iterable, desc=desc, total=total, unit=unit)
    return bar
