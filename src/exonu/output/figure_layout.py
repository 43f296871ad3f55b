"""Layout of the figures of :mod:`exonu.output.figures` and :mod:`exonu.output.figures_fit`, fixed when a
figure is made: margins in inches chosen for its size and labels, no layout engine.

Saving such a figure draws it once. ``Figure.tight_layout`` and ``layout="constrained"`` cost a second,
full text-layout pass (tick labels, mathtext): ≈ 1 s of the 3.6 s the six figures of ``exonu reproduce``
took. The room a title or footer needs comes from its number of lines, and that of the y tick labels of a
linear axis from their text; nothing is drawn to find them.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: matplotlib is imported where a figure is drawn
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: average advance of a DejaVu Sans character, in units of the font size (measured: 0.55–0.6)
CHARACTER_WIDTH_EM = 0.6


def title_with_note(ax: Axes, title: str, note: str = "", fontsize: float = 9.0) -> None:
    """``title`` on the first line and ``(note)`` wrapped below it, within the figure's width.

    A one-line title with a long note (detector, simulated data, quick look, method) was wider than the
    figure and cut off at both ends. The axes title is centred on the axes, which sit right of the
    figure's centre (the y label), so the lines are kept to 85 % of the figure's width.
    """
    lines = [title]
    if note:
        fig = ax.figure
        width_pt = fig.bbox.width / fig.dpi * 72.0
        lines += textwrap.wrap(f"({note})", max(20, int(0.85 * width_pt / (CHARACTER_WIDTH_EM * fontsize))))
    ax.set_title("\n".join(lines), fontsize=fontsize)


#: line height of matplotlib text, in units of its font size (Text's default linespacing)
LINE_SPACING = 1.2
#: white space kept between the outermost text and the figure's edge, in inches
EDGE_IN = 0.1


def text_height_in(text: str, fontsize_pt: float) -> float:
    """Height in inches of ``text`` (its lines at :data:`LINE_SPACING`) at ``fontsize_pt``."""
    return (text.count("\n") + 1) * LINE_SPACING * fontsize_pt / 72.0


def title_height_in(ax: Axes) -> float:
    """Room in inches above ``ax`` for its centre title: the title's lines, matplotlib's title pad and
    :data:`EDGE_IN` (only :data:`EDGE_IN` without a title)."""
    import matplotlib as mpl

    if not ax.get_title():
        return EDGE_IN
    return (
        text_height_in(ax.get_title(), ax.title.get_fontproperties().get_size_in_points())
        + mpl.rcParams["axes.titlepad"] / 72.0
        + EDGE_IN
    )


#: margins of a fit figure (data over residuals), in inches. Left: the y tick labels of a log axis spanning
#: about one decade, which labels its minor ticks (6×10⁻⁵), or of a linear one (0.0025), and the axis label.
#: Right: half of the last x tick label, at the axes' edge
FIT_LEFT_IN = 0.95
FIT_RIGHT_IN = 0.2
#: gap between panels stacked on one x axis (no tick labels between them), in inches
FIT_PANEL_GAP_IN = 0.2
#: below the lowest axes: its tick labels and x label (0.46 in), and EDGE_IN
XLABEL_BOTTOM_IN = 0.6
#: the footer of plot_search_fit: how far below the lowest axes it starts, and its font size, in points
FOOTER_OFFSET_PT = 34.0
FOOTER_FONTSIZE_PT = 6.0


def place_subplots(
    fig: Figure, *, left_in: float, right_in: float, bottom_in: float, top_in: float, gap_in: float = 0.0
) -> None:
    """Fix the margins of the subplot grid of ``fig`` (a figure made here, without a layout engine) in
    inches, and the gap between its rows, so that saving the figure draws it once.

    Inches, not fractions of the figure, because the labels they hold are in points: the same margins fit
    a figure of any size. ``gap_in`` is converted to matplotlib's ``hspace`` (a fraction of the mean axes
    height) for the grid of the first axes.
    """
    width_in, height_in = fig.get_size_inches()
    spec = fig.axes[0].get_subplotspec()
    n_rows = spec.get_gridspec().nrows if spec is not None else 1
    mean_axes_height_in = (height_in - top_in - bottom_in - (n_rows - 1) * gap_in) / n_rows
    fig.subplots_adjust(
        left=left_in / width_in,
        right=1.0 - right_in / width_in,
        bottom=bottom_in / height_in,
        top=1.0 - top_in / height_in,
        hspace=gap_in / mean_axes_height_in,
    )


#: advance of a digit in DejaVu Sans, in units of the font size (the widest character of a number's label)
DIGIT_WIDTH_EM = 0.64
#: left of the y tick labels of a fit figure: the y label (with its pad), the ticks and EDGE_IN, in inches
FIT_YLABEL_IN = 0.45


def linear_y_labels(ax: Axes) -> tuple[list[str], str]:
    """The y tick labels and offset text (``1e−5``, or "") a linear y axis of ``ax`` shows at its present
    limits and size ([], "" for another scale), from its locator and formatter: nothing is drawn."""
    from matplotlib.ticker import ScalarFormatter

    formatter = ax.yaxis.get_major_formatter()
    if ax.get_yscale() != "linear" or not isinstance(formatter, ScalarFormatter):
        return [], ""
    low, high = sorted(ax.get_ylim())
    locs = [float(v) for v in ax.yaxis.get_majorticklocs() if low <= v <= high]
    labels = formatter.format_ticks(locs)  # also sets the offset (set again when the figure is drawn)
    return labels, formatter.get_offset()


def place_fit_figure(fig: Figure, ax: Axes, bottom_in: float) -> None:
    """Fix the margins of a fit figure made here (data axes ``ax`` over residuals): the title's lines above,
    and on a linear y axis the offset text, which matplotlib moves the title above when the two meet, and
    tick labels as wide as they are (``0.000025``); on a log axis :data:`FIT_LEFT_IN`."""
    margins = dict(right_in=FIT_RIGHT_IN, bottom_in=bottom_in, top_in=title_height_in(ax), gap_in=FIT_PANEL_GAP_IN)
    place_subplots(fig, left_in=FIT_LEFT_IN, **margins)  # the axes' height, which sets how many ticks it has
    labels, offset = linear_y_labels(ax)
    if offset:
        margins["top_in"] += text_height_in(offset, ax.yaxis.offsetText.get_fontproperties().get_size_in_points())
    size_pt = ax.yaxis.get_ticklabels()[0].get_fontproperties().get_size_in_points() if labels else 0.0
    widest_in = max((len(label) for label in labels), default=0) * DIGIT_WIDTH_EM * size_pt / 72.0
    place_subplots(fig, left_in=max(FIT_LEFT_IN, FIT_YLABEL_IN + widest_in), **margins)


def footer_bottom_in(footer: str) -> float:
    """Room in inches below the lowest axes of a fit figure for the footer of :func:`plot_search_fit`."""
    return FOOTER_OFFSET_PT / 72.0 + text_height_in(footer, FOOTER_FONTSIZE_PT) + EDGE_IN
