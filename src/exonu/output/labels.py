"""Names, titles and notes of a reproduction's outputs, all derived from the detector config and the results.

Nothing here decides by detector name: windows come from the detector's binning, the reconstruction
note from its ``is_reconstruction`` flag, published values from what the config provides.
"""

from __future__ import annotations

from ..searches.paper import PaperResults
from ..searches.run import SearchResult

#: Short flavour labels of the per-flavour millicharge searches (arXiv:2005.11891 §4.2, Fig. 4)
FLAVOUR_LABELS = {"millicharge_common_e": "common", "millicharge_nue_e": "ν_e", "millicharge_numu_e": "ν_μ",
                  "millicharge_nutau_e": "ν_τ"}
#: Row titles of the fixed searches, with the unit of the limit
HEADLINE = {
    "millicharge_common_e": "millicharge, all flavours [e]",
    "millicharge_nue_e": "millicharge, ν_e only [e]",
    "millicharge_numu_e": "millicharge, ν_μ only [e]",
    "millicharge_nutau_e": "millicharge, ν_τ only [e]",
    "magnetic_moment_mub": "magnetic moment [μ_B]",
}
#: Units as printed (SearchSpec.unit is ASCII for JSON)
UNIT_TEXT = {"e": "e", "mu_B": "μ_B", "dimensionless": ""}


def window_range(res: PaperResults, window: str) -> str:
    """``"2–15 keV"`` for a window of the detector (its binning's edges)."""
    b = res.setup.window(window).binning
    return f"{b.low_kev:g}–{b.high_kev:g} keV"


def search_title(result: SearchResult) -> str:
    """A row title for one search (dark photon: with its mass)."""
    if result.spec.mass_mev is not None:
        return f"dark photon g, M = {result.spec.mass_mev:g} MeV"
    return HEADLINE.get(result.spec.key, result.spec.key)


def uses_simulated_data(res: PaperResults) -> bool:
    """True if any window was fitted to Asimov or simulated data (stated on every figure)."""
    return any("Asimov" in s or "SIMULATED" in s for s in res.data_source.values())


def detector_note(res: PaperResults) -> str:
    """One line naming the detector, whether it is a reconstruction, and whether the data are simulated."""
    setup = res.setup
    note = f"{setup.name}" + (" reconstruction" if setup.is_reconstruction else "")
    if uses_simulated_data(res):
        note += " — Asimov (simulated) data"
    return note


def highlighted_dark_photon(res: PaperResults) -> list[SearchResult]:
    """The dark-photon masses shown as fits and table rows: those with a published value, else the
    lightest and heaviest mass of the scan."""
    with_pub = [r for r in res.dark_photon if r.spec.published is not None]
    if with_pub:
        return with_pub
    if not res.dark_photon:
        return []
    return [res.dark_photon[0], res.dark_photon[-1]] if len(res.dark_photon) > 1 else list(res.dark_photon)
