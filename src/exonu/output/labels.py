"""Names, titles and notes of a reproduction's outputs, all derived from the detector config and the results.

Nothing here decides by detector name: windows come from the detector's binning, the reconstruction
note from its ``is_reconstruction`` flag, published values from what the config provides.
"""

from __future__ import annotations

from ..searches.paper import PaperResults
from ..searches.run import SearchResult

#: Short flavour labels of the per-flavour millicharge searches (arXiv:2005.11891 §4.2, Fig. 4)
FLAVOUR_LABELS = {
    "millicharge_common_e": "common",
    "millicharge_nue_e": "ν_e",
    "millicharge_numu_e": "ν_μ",
    "millicharge_nutau_e": "ν_τ",
}
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
    if res.quick:
        note += " — QUICK LOOK (reduced toys and masses, exonu reproduce --quick)"
    return note


def highlighted_dark_photon(res: PaperResults) -> list[SearchResult]:
    """The dark-photon masses shown as fits and table rows (:attr:`PaperResults.highlighted_dark_photon`)."""
    return res.highlighted_dark_photon


def limit_description(result: SearchResult) -> str:
    """How one limit was made, in one line: method, test statistic, threshold, CL, sidedness, statistic, toys.

    From :attr:`SearchResult.provenance` (``LimitResult.describe()``) and the expected-limit toys, e.g.
    ``"plr: q̃_μ (…); threshold 1.642; 90 % CL; one-sided; chi2 statistic; asymptotic (no toys); expected band
    from 200 toys"``.
    """
    prov = result.provenance
    toys = prov.get("n_toys") or 0
    made = f"{toys} toys" if toys else "asymptotic (no toys)"
    threshold = prov.get("threshold")
    threshold = f"{threshold:.4g}" if isinstance(threshold, float) else str(threshold)
    exp = result.expected_detail
    band_toys = getattr(exp, "n_toys", 0) if exp is not None else 0
    cl = prov.get("cl", result.cl)
    level = f"{cl * 100:g} % CL"
    return (
        f"{prov.get('method', result.method)}: {prov.get('test_statistic', '—')}; threshold {threshold}; "
        f"{level}; {prov.get('sided', '—')}-sided; {prov.get('statistic', '—')} statistic; {made}; "
        + (f"expected band from {band_toys} toys" if band_toys else "expected = Asimov median only")
    )


def band_toys(results: list[SearchResult]) -> int:
    """The most toys any of ``results`` made its expected band from (0: Asimov medians only)."""
    return max((r.expected_detail.n_toys for r in results if r.expected_detail is not None), default=0)


def toys_note(res: PaperResults) -> str | None:
    """What a run without toys (``--toys 0``, or ``--dark-photon-toys 0``) does not show; None when every
    search and the mass scan have their toy bands, or for a quick look (its own note says what it left out:
    :func:`exonu.output.markdown.quick_note`)."""
    if res.quick:
        return None
    search_toys, scan_toys = band_toys(list(res.searches.values())), band_toys(res.dark_photon)
    if search_toys == 0 and scan_toys == 0:
        return (
            "**No toys** (`exonu reproduce --toys 0`): every expected limit is the median, the limit on the "
            "background-only Asimov data; no ±1σ band is made, for the searches or the dark-photon scan "
            "(run without `--toys 0` for the bands)."
        )
    if scan_toys == 0 and res.dark_photon:
        return (
            "The dark-photon scan has no toys (`--dark-photon-toys 0`): its expected limits are the Asimov "
            "median only, with no ±1σ band."
        )
    return None
