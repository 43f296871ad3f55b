"""Figures of the light-mediator searches: exclusion curves of the coupling versus mediator mass.

Each function draws on a matplotlib ``ax`` (created if not given) and returns it; the results come
from :func:`exonu.searches.mediators.exclusion_curve` or ``exonu exclusion``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..searches.run import SearchResult


def exclusion_curves_figure(
    curves: Mapping[str, Sequence[SearchResult]],
    ax: Axes | None = None,
    *,
    expected: bool = True,
    title: str | None = None,
    cl: float = 0.9,
    caption: str | None = None,
) -> Axes:
    """Upper limits on the coupling g versus mediator mass, one line per curve.

    Parameters
    ----------
    curves : mapping of str to list of SearchResult
        Label → results of one scan (each with ``spec.mass_mev``, ``observed``, ``expected``). With several
        curves the first (a joint fit's combined curve) is drawn on top, thicker.
    ax : matplotlib Axes, optional
    expected : bool
        Also draw the expected (Asimov) limit as a dashed line of the same colour.
    title : str, optional
    cl : float
        Confidence level of the limits, for the axis label (default 0.9).
    caption : str, optional
        How the limits were made (method, statistic, threshold), written small under the axes.

    Returns
    -------
    matplotlib Axes
    """
    if not curves:
        raise InputError("exclusion_curves_figure needs at least one curve")
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6.4, 4.6))
    for i, (label, results) in enumerate(curves.items()):
        masses = np.array([r.spec.mass_mev for r in results], dtype=float)
        observed = np.array([r.observed for r in results], dtype=float)
        if not (np.all(np.isfinite(masses)) and np.all(np.isfinite(observed))):
            raise InputError(f"curve {label!r} has non-finite masses or limits")
        # the first curve (a joint fit's combined one) is drawn on top of the others, and thicker
        style = {"zorder": 3, "lw": 2.2} if i == 0 and len(curves) > 1 else {"zorder": 2, "lw": 1.2}
        (line,) = ax.loglog(masses, observed, "-", label=f"{label}, observed", **style)
        if expected:
            ax.loglog(
                masses,
                [r.expected for r in results],
                "--",
                color=line.get_color(),
                label=f"{label}, expected",
                **style,
            )
    ax.set_xlabel("mediator mass M [MeV]")
    ax.set_ylabel(f"coupling g (dimensionless), {cl:.0%} CL upper limit".replace("%", " %"))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title, fontsize=9)
    if caption:
        ax.figure.text(0.01, 0.005, caption, fontsize=6, ha="left", va="bottom", wrap=True)
        ax.figure.subplots_adjust(bottom=0.2)
    return ax
