"""When to show progress: phase lines and bars go to stderr, and only when the user watches a terminal."""

from __future__ import annotations

import sys


def show_progress(progress: bool | None) -> bool:
    """Whether to draw a progress bar: as asked, else only when stdout and stderr are terminals."""
    if progress is not None:
        return bool(progress)
    return sys.stdout.isatty() and sys.stderr.isatty()


def phase_line(text: str, progress: bool | None = None) -> None:
    """``exonu: <text>`` on stderr when progress is shown (see :func:`show_progress`)."""
    if show_progress(progress):
        print(f"exonu: {text}", file=sys.stderr, flush=True)
