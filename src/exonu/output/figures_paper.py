"""The figures of a reproduction of the paper (Figs. 1–6 analogues), drawn with :mod:`exonu.output.figures`
and :mod:`exonu.output.figures_fit`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .figures import plot_background, plot_dark_photon_limits, plot_millicharge_limits, plot_signal_spectra
from .figures_fit import plot_search_fit, plot_search_fits

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..searches.paper import PaperResults


#: File names of the figures of a reproduction, in the order they are written and shown
FIGURE_FILES = (
    "fig1_signal_spectra.png",
    "fig2_background_model.png",
    "fig3_millicharge_fit.png",
    "fig4_millicharge_limits.png",
    "fig5_fits.png",
    "fig6_dark_photon_exclusion.png",
)


#: The figures a quick look (``exonu reproduce --quick``) draws: the limits (Figs. 4 and 6), not the spectra,
#: the background model or the fits, which do not depend on the toys and masses a quick look reduces
QUICK_FIGURES = ("fig4_millicharge_limits.png", "fig6_dark_photon_exclusion.png")


def figure_builders(res: PaperResults) -> dict[str, Callable[[], Figure]]:
    """How to draw each figure of a reproduction, by file name, in order (Figs. 1–6; only
    :data:`QUICK_FIGURES` for a quick look). Each call makes one figure (the caller saves and closes it)."""
    from .labels import FLAVOUR_LABELS, detector_note, highlighted_dark_photon

    note = detector_note(res)  # one-line titles: how each limit was made is in the captions and the report
    millicharge_note = f"{note}; {res.searches['millicharge_common_e'].method}"
    dark_photon_note = f"{note}; {res.dark_photon[0].method}" if res.dark_photon else note

    def millicharge_limits() -> Figure:
        limits = {FLAVOUR_LABELS[k]: (res.searches[k].observed, res.searches[k].expected) for k in FLAVOUR_LABELS}
        published = {
            FLAVOUR_LABELS[k]: res.searches[k].spec.published
            for k in FLAVOUR_LABELS
            if res.searches[k].spec.published is not None
        }
        return plot_millicharge_limits(limits, published or None, note=millicharge_note)

    def fits() -> Figure:
        panels = [("magnetic moment", res.searches["magnetic_moment_mub"])]
        panels += [(f"dark photon, M = {r.spec.mass_mev:g} MeV", r) for r in highlighted_dark_photon(res)]
        return plot_search_fits(res, panels, "Fig. 5 analogue: fits of the magnetic moment and the dark photon")

    def dark_photon_limits() -> Figure:
        masses = [r.spec.mass_mev for r in res.dark_photon]
        band = [r.expected_band for r in res.dark_photon]
        # every dark-photon spec has a mass (dark_photon_specs), and the band is passed only when every
        # result has one (all(...)): neither list holds a None where they are used
        return plot_dark_photon_limits(
            masses,  # type: ignore[arg-type]
            [r.observed for r in res.dark_photon],
            [r.expected for r in res.dark_photon],
            expected_band=band if all(b is not None for b in band) else None,  # type: ignore[arg-type]
            published_points=[(p.mass_mev, p.value) for p in res.published.values() if p.mass_mev is not None],
            note=dark_photon_note,
        )

    builders: dict[str, Callable[[], Figure]] = {
        FIGURE_FILES[0]: plot_signal_spectra,
        FIGURE_FILES[1]: lambda: plot_background(res.setup),
        FIGURE_FILES[2]: lambda: plot_search_fit(
            res, res.searches["millicharge_common_e"], "Fig. 3 analogue: millicharge (common)", log_y=False
        ),
        FIGURE_FILES[3]: millicharge_limits,
        FIGURE_FILES[4]: fits,
        FIGURE_FILES[5]: dark_photon_limits,
    }
    if res.quick:
        return {name: build for name, build in builders.items() if name in QUICK_FIGURES}
    return builders


def reproduction_figures(res: PaperResults) -> dict[str, Figure]:
    """The figures of a reproduction as ``{file name: matplotlib Figure}`` (the caller saves and closes them):
    Figs. 1–6, or :data:`QUICK_FIGURES` for a quick look."""
    return {name: build() for name, build in figure_builders(res).items()}
