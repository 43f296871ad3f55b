"""Progress bars for long loops (tqdm, imported only when a bar is shown)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["chunks", "progress_iter"]

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


def chunks(n: int, size: int, progress: bool | None, desc: str) -> Iterator[slice]:
    """Yield slices covering ``range(n)`` in chunks of ``size``, with a per-toy progress bar."""
    show = sys.stderr.isatty() if progress is None else bool(progress)
    bar = None
    if show:
        from tqdm.auto import tqdm

        bar = tqdm(total=n, desc=desc, unit="toy")
    for start in range(0, n, size):
        stop = min(start + size, n)
        yield slice(start, stop)
        if bar is not None:
            bar.update(stop - start)
    if bar is not None:
        bar.close()
