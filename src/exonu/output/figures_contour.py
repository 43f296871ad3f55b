"""The figure of a two-parameter confidence region (`exonu contour`).

The region is filled, its boundary drawn, the expected region (background-only Asimov data, same
threshold) dashed beside it; the best fit, the Standard-Model point (0, 0) and the
one-parameter intervals (each with the other parameter at 0) are marked. The title is one line; the
method is in the caption under the axes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..searches.contour import ConfidenceRegion


#: How the parameters' units are written on the axes
UNIT_LABELS = {"mu_B": "μ_B", "cm2": "cm²", "e": "e"}


def axis_label(name: str, unit: str) -> str:
    return name if unit == "dimensionless" else f"{name} [{UNIT_LABELS.get(unit, unit)}]"


def region_figure(region: ConfidenceRegion, detectors: list[str]) -> Figure:
    """The region, its boundary, the best fit, the SM point and the one-parameter intervals."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    fig = Figure(figsize=(6.4, 6.2))
    ax = fig.add_subplot()
    px, py = region.params
    for k, line in enumerate(region.contours):
        ax.fill(line[:, 0], line[:, 1], color="tab:blue", alpha=0.25, lw=0, zorder=1)
        ax.plot(line[:, 0], line[:, 1], color="tab:blue", lw=1.6, zorder=3, label=None if k else "_boundary")
    handles: list[Any] = [
        Patch(facecolor="tab:blue", alpha=0.35, edgecolor="tab:blue", label=f"{region.cl:.0%} CL region")
    ]
    for k, line in enumerate(region.expected_contours):  # the same threshold on background-only Asimov data
        drawn = ax.plot(line[:, 0], line[:, 1], color="black", ls="--", lw=1.2, zorder=2)[0]
        if k == 0:
            drawn.set_label("expected (background-only Asimov)")
            handles.append(drawn)
    bx, by = region.best_fit
    handles.append(ax.plot([bx], [by], "*", color="black", ms=11, zorder=5, label="best fit")[0])
    handles.append(ax.plot([0.0], [0.0], "P", color="tab:red", ms=9, zorder=5, label="Standard Model (0, 0)")[0])
    drawn_interval = False
    for axis, param in enumerate(region.params):
        lo, hi = region.intervals[param.name]["interval"]
        if lo is None or hi is None:
            continue
        xs, ys = ([lo, hi], [0.0, 0.0]) if axis == 0 else ([0.0, 0.0], [lo, hi])
        bar = ax.plot(xs, ys, color="tab:orange", lw=2.5, marker="|", ms=12, zorder=4)[0]
        if not drawn_interval:
            bar.set_label(f"one-parameter {region.cl:.0%} CL intervals (other at 0)")
            handles.append(bar)
            drawn_interval = True
    ax.set_xlabel(axis_label(px.name, px.unit))
    ax.set_ylabel(axis_label(py.name, py.unit))
    ax.axhline(0.0, color="0.8", lw=0.6, zorder=0)
    ax.axvline(0.0, color="0.8", lw=0.6, zorder=0)
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.07), ncol=2, fontsize=8, frameon=False)
    ax.set_title(
        f"{region.spec.model}: {region.cl:.0%} CL region in ({px.name}, {py.name}), {' + '.join(detectors)}",
        fontsize=11,
    )
    caption = region_caption(region)
    fig.text(0.01, 0.01, caption, fontsize=7, va="bottom", ha="left", wrap=True)
    fig.subplots_adjust(bottom=0.27)
    if not region.closed:
        ax.text(0.5, 0.97, "region not closed on this grid", transform=ax.transAxes, ha="center", va="top", color="red")
    ax.margins(0.05)
    ax.update_datalim(np.array([[0.0, 0.0], [bx, by]]))
    ax.autoscale_view()
    return fig


def region_caption(region: ConfidenceRegion) -> str:
    """The method in one or two lines, for the figure's caption."""
    from ..searches.contour import method_description

    expected = ""
    if region.expected is not None:
        n = len(region.expected["grid"]["x"])
        expected = f"; expected: background-only Asimov data, same threshold, grid {n}×{n}"
    if region.x.ndim == 2 or region.y.ndim == 2:  # a mediator's curvilinear grid: couplings per mass
        masses = region.y if region.x.ndim == 2 else region.x
        couplings = region.x if region.x.ndim == 2 else region.y
        grid = f"{masses.size} masses × {couplings.size // masses.size} couplings each"
    else:
        grid = f"{region.x.size}×{region.y.size}"
    return (
        method_description(region.method, region.cl, region.threshold)
        + f"; statistic {region.statistic}; grid {grid}"
        + expected
    )


def mediator_region_figure(region: ConfidenceRegion, detectors: list[str]) -> Figure:
    """A mediator's region in (mass, coupling) on log axes, with its one-parameter limit curve.

    The region is filled where it was computed; where it reaches the grid's lowest coupling and the
    no-signal point g = 0 is inside, a note says that it continues below the axis to g = 0 (a log axis
    cannot show g = 0). The best fit is marked when it has a signal (g > 0); otherwise the legend's
    title says that the best fit is no signal. The one-parameter curve is the one-sided PLR limit at
    each mass (``exonu exclusion --method plr``).
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    fig = Figure(figsize=(6.6, 6.2))
    ax = fig.add_subplot()
    names = [p.name for p in region.params]
    swap = names == ["g", "mass_mev"]

    def xy(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (points[:, 1], points[:, 0]) if swap else (points[:, 0], points[:, 1])

    masses = np.asarray(region.y if swap else region.x)
    couplings = np.asarray(region.x if swap else region.y)  # each column's couplings (curvilinear grid)
    bottoms = couplings.min(axis=1 if swap else 0)
    open_below = np.array(region.extra.get("open_to_no_signal", {}).get("open", [False] * masses.size), dtype=bool)
    floor, top = float(bottoms.min()) / 2.0, float(couplings.max())
    for line in region.contours:
        x, y = xy(line)
        # where the line runs along the lowest couplings of columns whose region reaches g = 0, the grid
        # stops but the region does not: fill down to the axis, and draw no boundary there
        log_bottom = np.interp(np.log(x), np.log(masses), np.log(bottoms))
        on_open_bottom = (np.log(y) <= log_bottom + 1e-6) & (np.interp(np.log(x), np.log(masses), open_below) > 0)
        ax.fill(x, np.where(on_open_bottom, floor, y), color="tab:blue", alpha=0.25, lw=0, zorder=1)
        ax.plot(x, np.where(on_open_bottom, np.nan, y), color="tab:blue", lw=1.6, zorder=3)
    handles: list[Any] = []
    if region.contours:
        handles.append(
            Patch(facecolor="tab:blue", alpha=0.35, edgecolor="tab:blue", label=f"{region.cl:.0%} CL region")
        )
    limits = region.intervals["g"]
    curve = np.array(
        [[m, g] for m, g in zip(limits["mass_mev"], limits["limit"], strict=True) if g is not None], dtype=float
    ).reshape(-1, 2)
    if curve.size:
        handles.append(
            ax.plot(
                curve[:, 0],
                curve[:, 1],
                color="tab:orange",
                lw=1.8,
                ls="--",
                zorder=4,
                label=f"one-parameter {region.cl:.0%} CL limit at each mass (one-sided PLR)",
            )[0]
        )
    best = region.extra.get("best_fit", {})
    if best and not best.get("no_signal"):
        handles.append(
            ax.plot([best["mass_mev"]], [best["g"]], "*", color="black", ms=11, zorder=5, label="best fit")[0]
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("mediator mass M [MeV]")
    ax.set_ylabel("coupling g = g_ν = g_e")
    if region.extra.get("touches_no_signal"):
        ax.text(
            0.5,
            0.02,
            "the region continues below the axis down to g = 0 (no signal)",
            transform=ax.transAxes,
            ha="center",
            va="bottom",
            fontsize=8,
            color="tab:blue",
        )
    if not region.closed:
        where = [side.split(" (")[0] for side in region.open_sides]
        ax.text(
            0.5,
            0.97,
            "region open at " + ", ".join(where) + " (see region.json)",
            transform=ax.transAxes,
            ha="center",
            va="top",
            color="red",
            fontsize=8,
        )
    charges = region.extra.get("charges")
    title = f"{region.spec.model}" + (f" ({charges})" if charges else "") + f": {region.cl:.0%} CL region"
    ax.set_title(f"{title}, {' + '.join(detectors)}", fontsize=11)
    legend_title = "best fit: no signal (g = 0)" if best.get("no_signal") else None
    fig.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.07),
        ncol=1,
        fontsize=8,
        frameon=False,
        title=legend_title,
        title_fontsize=8,
    )
    fig.text(0.01, 0.01, region_caption(region), fontsize=7, va="bottom", ha="left", wrap=True)
    fig.subplots_adjust(bottom=0.3)
    ax.set_xlim(masses[0], masses[-1])
    ax.set_ylim(floor, top)
    return fig
