#!/usr/bin/env python3
"""Compute the results tables of the README: 90 % CL limits on XENON1T SR1, XENONnT SR0 and both together.

Every number comes from the public library API (:func:`exonu.config.load_detector`,
:func:`exonu.searches.search_spec`, :func:`exonu.searches.run_joint_search`, which also returns each
detector's own fit) and is written three ways, atomically:

* ``tables.md``  — markdown tables, each with its method, statistic, CL, the exonu version and the command;
* ``results.json`` — the same numbers, machine-readable (``tests/test_results_tables.py`` recomputes some);
* ``dark_photon_combined.png`` — the B−L exclusion curve of the combination versus mass, beside each
  detector's own curve, observed and expected.

Observed limits use the collaborations' public data; expected limits are the median limits on the
background-only Asimov data set (no toys: ``n_toys=0``, so no ±1σ bands). Statistic: Poisson
likelihood for both detectors (see :data:`STATISTIC_REASON`).

Usage (from the repository root; a few tens of seconds on two cores)::

    python docs/results/make_tables.py [--out docs/results] [--masses 43]

References: XMASS Collaboration, PLB 809 (2020) 135741, arXiv:2005.11891 (the Bayesian χ² method, §4);
XENON Collaboration, PRL 129 (2022) 161805, arXiv:2207.11330 (XENONnT SR0); PRD 102 (2020) 072004,
arXiv:2006.09721 (XENON1T SR1).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

import exonu
from exonu.config import load_detector
from exonu.errors import ExonuError
from exonu.fileio import atomic_output_path, atomic_write_text, check_writable_dir
from exonu.searches import (
    DEFAULT_REFERENCE,
    JointResult,
    SearchResult,
    SearchSpec,
    dark_photon_masses,
    run_joint_search,
    run_search,
    signal_templates,
)
from exonu.searches.mediators import MEDIATOR_FAMILIES
from exonu.searches.spec import SIGNALS, search_spec
from exonu.spectrum import RecoilSpectrum

#: Packaged detectors of the tables, in column order
DETECTORS = ("xenon1t-sr1", "xenonnt-sr0")
#: Column titles of the detectors and of their combination
TITLES = {"xenon1t-sr1": "XENON1T SR1", "xenonnt-sr0": "XENONnT SR0", "combined": "XENON1T + XENONnT"}
COMBINED = "combined"
#: Limit methods (keys of :func:`exonu.searches.run_search`) and how the tables describe them
METHODS = {
    "plr": "asymptotic one-sided profile likelihood ratio (Δχ² = 1.642 with the α ≥ 0 boundary)",
    "bayesian": "the XMASS paper's method: 90 % of exp(−χ²_min(α)/2), flat prior in α ≥ 0 (arXiv:2005.11891 §4)",
}
STATISTIC = "poisson"
STATISTIC_REASON = (
    "the paper's χ² (Eqs. 4–7) puts the data in the denominator, which biases the fit where "
    "bins hold few counts; the {widths} keV bins of these data sets hold as few as {min_counts} events"
)
CL = 0.9
#: Mediator masses of the tables (MeV): the XMASS paper's two dark-photon masses
MEDIATOR_MASSES_MEV = (1e-3, 10.0)
#: Method of the dark-photon figure: the paper's, as in its Fig. 6 (the JSON holds both methods)
FIGURE_METHOD = "bayesian"

#: Result keys of the detector configs' published values → the quantity and the signal of exonu's search
PUBLISHED_QUANTITIES = {"magnetic_moment_mub": "μ_ν", "millicharge_common_e": "millicharge q"}
PUBLISHED_SIGNALS = {"magnetic_moment_mub": "magnetic-moment", "millicharge_common_e": "millicharge"}

#: Published reinterpretations of XENONnT/LZ electron recoils (their numbers were not verified here: "see paper")
REINTERPRETATIONS = (
    (
        "A. N. Khan, arXiv:2208.02144",
        "XENONnT SR0",
        "magnetic moments, millicharges, charge radii and anapole moments (flavour-independent and per flavour); "
        "flavour-universal light vector and scalar mediators versus mass",
    ),
    (
        "K. A. ShivaSankar et al., arXiv:2208.06415",
        "XENONnT SR0 and LZ",
        "effective and transition magnetic moments, millicharge; simplified models of light mediators of neutrino "
        "generalised interactions versus mass",
    ),
)


@dataclass(frozen=True)
class Entry:
    """One row of a table: a signal with its options (as :func:`exonu.searches.spec.search_spec` takes them)."""

    label: str
    signal: str
    options: tuple = ()  # (name, value) pairs

    @property
    def spec(self) -> SearchSpec:
        return search_spec(self.signal, **dict(self.options))


def paper_entries() -> list[Entry]:
    """The XMASS paper's models (arXiv:2005.11891 §4): μ_ν, the common millicharge, B−L at 1e-3 and 10 MeV."""
    return [
        Entry("μ_ν (μ_B), all flavours", "magnetic-moment"),
        Entry("millicharge q (e), all flavours", "millicharge"),
        *[Entry(f"B−L g, M = {m:g} MeV", "dark-photon", (("mass_mev", m),)) for m in MEDIATOR_MASSES_MEV],
    ]


def new_model_entries() -> list[Entry]:
    """Every model beyond the paper's: mediators at :data:`MEDIATOR_MASSES_MEV`, NSI on ν_e, the ν_e charge radius."""
    entries = []
    for mass in MEDIATOR_MASSES_MEV:
        for charges in MEDIATOR_FAMILIES["light-vector"]:
            entries.append(
                Entry(
                    f"light vector {charges}, g, M = {mass:g} MeV",
                    "light-vector",
                    (("charges", charges), ("mass_mev", mass)),
                )
            )
        for family in ("axial-vector", "scalar", "pseudoscalar"):
            entries.append(Entry(f"{family} g = g_ν = g_e, M = {mass:g} MeV", family, (("mass_mev", mass),)))
    for chirality in ("L", "R"):
        for sign in ("positive", "negative"):
            relation = ">" if sign == "positive" else "<"
            entries.append(
                Entry(
                    f"NSI ε^{{e{chirality}}}_{{ee}} {relation} 0",
                    "nsi",
                    (("chirality", chirality), ("flavours", ("e",)), ("sign", sign)),
                )
            )
    for sign in ("positive", "negative"):
        relation = ">" if sign == "positive" else "<"
        entries.append(
            Entry(f"charge radius ⟨r²_νe⟩ {relation} 0 (cm²)", "charge-radius", (("flavours", ("e",)), ("sign", sign)))
        )
    return entries


def joint_spec(setups, spec: SearchSpec, spectrum: RecoilSpectrum) -> SearchSpec:
    """``spec`` with one reference value for every detector where the library has no fixed default.

    The reference (α = 1) of a signal without a default is chosen per detector so that its
    highest-power term gives ~100 counts; summed over detectors that is Σ_d 100 (x/x_d)^p, so
    x_ref = (Σ_d |x_d|^−p)^(−1/p) gives ~100 counts in total (the rule the joint fit uses for the dark
    photon). The limit in physical units does not depend on this choice beyond the limit-finding
    tolerance (~1e-5 relative).
    """
    if spec.reference is not None or spec.model in DEFAULT_REFERENCE or spec.model == "dark-photon":
        return spec
    own = np.array([abs(signal_templates(s, spec, spectrum).reference) for s in setups])
    power = spec.alpha_power
    return replace(spec, reference=spec.sign * float(np.sum(own ** -float(power)) ** (-1.0 / power)))


def summary(result: SearchResult) -> dict:
    """The numbers of one fit that the tables show."""
    out = {
        "observed": result.observed,
        "expected": result.expected,
        "best_fit": result.best_fit,
        "significance_sigma": result.significance_sigma,
        "reference_value": result.reference,
        "converged": bool(result.limit_result.converged),
    }
    if result.interval is not None:
        out["interval"] = list(result.interval)
    return out


def compute_entry(setups, spec: SearchSpec, method: str, spectrum: RecoilSpectrum) -> tuple[dict, JointResult | None]:
    """One search on every detector and on all together; a library refusal is recorded, not hidden.

    Each detector's column is that detector's own search, exactly what ``exonu fit --detector D`` gives
    (:func:`exonu.searches.run_search`): where :func:`joint_spec` had to choose a common reference, the
    detectors are refitted with their own (the limits agree to the limit-finding tolerance, ~1e-5).
    """
    # run_search sets its limits at 90 % CL, the tables' CL
    options = dict(method=method, statistic=STATISTIC, n_toys=0, interval=(method == "plr"), spectrum=spectrum)
    try:
        common = joint_spec(setups, spec, spectrum)
        result = run_joint_search(setups, common, cl=CL, **options)
        if common is not spec:
            result.detectors = {s.name: run_search(s, spec, **options) for s in setups}
    except ExonuError as exc:
        return {"error": str(exc)}, None
    return {COMBINED: summary(result.combined), **{d: summary(r) for d, r in result.detectors.items()}}, result


def dark_photon_scan(setups, masses: np.ndarray, spectrum: RecoilSpectrum) -> tuple[dict, dict]:
    """B−L limits versus mass for each method; returns the JSON part and the figure's SearchResults."""
    scan: dict = {"masses_mev": [float(m) for m in masses], "methods": {}}
    curves: dict = {}
    for method in METHODS:
        columns: dict = {c: {"observed": [], "expected": []} for c in (*DETECTORS, COMBINED)}
        results = {c: [] for c in columns}
        for mass in masses:
            values, result = compute_entry(setups, search_spec("dark-photon", mass_mev=float(mass)), method, spectrum)
            if result is None:
                raise ExonuError(f"dark-photon scan at {mass:g} MeV failed: {values['error']}")
            for column, fitted in ((COMBINED, result.combined), *result.detectors.items()):
                columns[column]["observed"].append(fitted.observed)
                columns[column]["expected"].append(fitted.expected)
                results[column].append(fitted)
        scan["methods"][method] = columns
        if method == FIGURE_METHOD:
            curves = results
    return scan, curves


def detector_record(setup) -> dict:
    """What the results record about a detector: its provenance, with the config named by file, not by path."""
    record = setup.provenance()
    record["config"] = Path(record["config"]).name  # no machine-specific absolute path in a committed file
    return record


def published_values(setups) -> list[dict]:
    """The collaborations' own results, as the packaged detector configs state them (with their source)."""
    return [
        {
            "detector": s.name,
            "search": p.search,
            "value": p.value,
            "lower": p.lower,
            "unit": p.unit,
            "cl": p.cl,
            "method": p.method,
            "source": p.source,
            "mass_mev": p.mass_mev,
        }
        for s in setups
        for p in s.published
    ]


# ------------------------------------------------------------------------------------------------
# writing
# ------------------------------------------------------------------------------------------------
def fmt(value: float) -> str:
    """Three significant figures, as in the README."""
    return f"{value:.3g}"


def cell(values: dict) -> str:
    """``observed (expected)``, marked ‡ when the limit did not converge."""
    mark = "" if values["converged"] else " ‡"
    return f"{fmt(values['observed'])} ({fmt(values['expected'])}){mark}"


def limits_table(entries: list[Entry], results: dict, method: str) -> list[str]:
    """Markdown rows: one per entry, a column per detector and one for the combination."""
    header = [
        "| model | " + " | ".join(TITLES[c] for c in (*DETECTORS, COMBINED)) + " |",
        "|---|" + "---|" * (len(DETECTORS) + 1),
    ]
    rows = []
    for entry in entries:
        values = results[entry.spec.key]["methods"][method]
        if "error" in values:
            rows.append(f"| {entry.label} | not computed: {values['error']} |" + " |" * len(DETECTORS))
            continue
        rows.append(f"| {entry.label} | " + " | ".join(cell(values[c]) for c in (*DETECTORS, COMBINED)) + " |")
    return header + rows


def method_line(method: str) -> str:
    """The sentence above each table: method, statistic, CL and what the cells are."""
    return (
        f"Method: {METHODS[method]}. Statistic: {STATISTIC} likelihood. {round(CL * 100)} % CL. "
        "Cells: observed (expected); expected = median on background-only Asimov data, no toys."
    )


def markdown(doc: dict, paper: list[Entry], new: list[Entry]) -> str:
    """``tables.md``: every table, with its method, statistic, CL, the exonu version and the command."""
    results = doc["entries"]
    lines = [
        "# exonu results: XENON1T SR1, XENONnT SR0 and their combination",
        "",
        f"Generated by `{doc['command']}` with exonu {doc['exonu_version']}; the same numbers are in",
        f"[`results.json`](results.json) (sha256 `{doc['json_sha256']}`). Do not edit by hand: rerun the script.",
        "",
        "* **Observed** limits use the collaborations' public data as packaged in exonu; **expected** limits are the",
        "  limit on the background-only Asimov data set (the median expectation). No toys were run (`n_toys=0`):",
        "  there are no ±1σ bands.",
        f"* **Statistic**: Poisson likelihood for both detectors, because {doc['statistic_reason']}.",
        "* **Combination**: one joint fit of both detectors' bins; the solar-ν flux normalisations are one shared",
        "  parameter, everything else is detector-specific (`exonu.searches.run_joint_search`).",
        "* **Methods**: " + "; ".join(f"`{m}` = {d}" for m, d in METHODS.items()) + ".",
        "* ‡ marks a limit whose computation did not report convergence.",
        "",
        "## The XMASS paper's models",
        "",
    ]
    for method in METHODS:
        lines += [f"### {method}", "", method_line(method), "", *limits_table(paper, results, method), ""]
    mu = results[search_spec("magnetic-moment").key]["methods"]["plr"]
    if "error" not in mu and "interval" in mu[DETECTORS[0]]:
        low, high = mu[DETECTORS[0]]["interval"]
        lines += [
            f"Two-sided 90 % profile-likelihood interval of μ_ν on {TITLES[DETECTORS[0]]}: "
            f"({fmt(low)}, {fmt(high)}) μ_B; preference for a signal over background only "
            f"{mu[DETECTORS[0]]['significance_sigma']:.1f}σ (asymptotic).",
            "",
        ]
    lines += [combination_note(results), ""]
    lines += [
        "## Published results beside these",
        "",
        "| detector | quantity | published | method | source | exonu `plr` | exonu `bayesian` |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in doc["published"]:
        value = f"({fmt(p['lower'])}, {fmt(p['value'])})" if p["lower"] is not None else f"< {fmt(p['value'])}"
        lines.append(
            f"| {TITLES.get(p['detector'], p['detector'])} | {PUBLISHED_QUANTITIES.get(p['search'], p['search'])}"
            f" | {value} {p['unit']} ({round(p['cl'] * 100)} % CL) | {p['method']} | {p['source']} | "
            + " | ".join(ours(results, p, m) for m in ("plr", "bayesian"))
            + " |"
        )
    lines += [
        "",
        "Reinterpretations of XENONnT (and LZ) electron recoils for further models (conventions, e.g. of",
        "couplings and of the charge radius, differ between papers: compare only after converting):",
        "",
        "| paper | data | what it constrains |",
        "|---|---|---|",
    ]
    lines += [f"| {paper_ref} | {data} | {what}: see paper |" for paper_ref, data, what in REINTERPRETATIONS]
    lines += [
        "",
        "## Further models",
        "",
        "Conventions: mediators with g = g_ν = g_e (light vector: the charge set fixes each flavour's charge);",
        "NSI ε^{eP}_{ee} on ν_e only, the other chirality zero, one-sided on the stated side;",
        "charge radius of ν_e in the Giunti–Studenikin convention (C. Giunti, A. Studenikin, RMP 87 (2015) 531),",
        "Δg_V = √2πα⟨r²⟩/(3G_F): a limit quoted with twice this Δg_V is half of ours.",
        "On the side where the interference with the SM is destructive (ε^{eL,eR}_{ee} < 0, ⟨r²⟩ < 0) the rate",
        "falls back close to the SM at a second, larger |parameter| (the shifted coupling ≈ minus the SM one);",
        "the Bayesian integral over α ≥ 0 takes in that region, the profile-likelihood limit stops at the first",
        "crossing of Δχ² = 1.642,",
        "so there the two methods answer different questions and can differ by a large factor.",
        "",
    ]
    for method in METHODS:
        lines += [f"### {method}", "", method_line(method), "", *limits_table(new, results, method), ""]
    scan = doc["dark_photon_scan"]
    lines += [
        "## B−L dark photon versus mass",
        "",
        f"![B−L exclusion](dark_photon_combined.png) — {len(scan['masses_mev'])} masses from "
        f"{fmt(scan['masses_mev'][0])} to {fmt(scan['masses_mev'][-1])} MeV, method `{FIGURE_METHOD}`, "
        f"{STATISTIC} likelihood, {round(CL * 100)} % CL; solid observed, dashed expected (Asimov).",
        f"The XMASS paper's masses 1e-3 and 10 MeV are on the grid exactly: {scan['paper_masses_on_grid']}.",
        "Both methods' curves are in `results.json` (`dark_photon_scan`).",
        "",
    ]
    return "\n".join(lines)


def ours(results: dict, published: dict, method: str) -> str:
    """exonu's number for a published result: the same kind (upper limit or two-sided interval), same detector."""
    signal = PUBLISHED_SIGNALS.get(published["search"])
    if signal is None or published.get("mass_mev") is not None:
        return "—"
    values = results[search_spec(signal).key]["methods"][method]
    if "error" in values:
        return "not computed"
    mine = values[published["detector"]]
    if published["lower"] is not None:
        if "interval" not in mine:
            return "—"
        low, high = mine["interval"]
        return f"({fmt(low)}, {fmt(high)})"
    return f"< {fmt(mine['observed'])}"


def combination_note(results: dict) -> str:
    """Why the combination can be weaker than the better detector alone: the best fits, from the results."""
    mu = results[search_spec("magnetic-moment").key]["methods"]["plr"]
    if "error" in mu:
        return ""
    best = ", ".join(f"{TITLES[c]} {fmt(mu[c]['best_fit'])}" for c in (*DETECTORS, COMBINED))
    note = (
        "A combined limit can be weaker than the better detector's own: XENON1T SR1's low-energy excess pulls "
        f"the joint best fit away from zero (μ_ν best fits {best} μ_B, `plr`)."
    )
    computed = [
        e["methods"][m]
        for e in results.values()
        if e["table"] == "paper"
        for m in METHODS
        if "error" not in e["methods"][m]
    ]
    if all(abs(v[COMBINED]["expected"]) <= min(abs(v[d]["expected"]) for d in DETECTORS) for v in computed):
        note += " Every expected limit of this table, on background-only data, improves with the combination."
    return note


def figure(curves: dict, path: Path) -> None:
    """The B−L exclusion of the combination with each detector's own curve, observed and expected."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from exonu.output.figures_models import exclusion_curves_figure

    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    exclusion_curves_figure(
        {TITLES[c]: curves[c] for c in (*DETECTORS, COMBINED)},
        ax=ax,
        title=f"U(1)$_{{B-L}}$ dark photon: 90 % CL upper limits ({FIGURE_METHOD}, {STATISTIC} likelihood)",
    )
    ax.set_xlabel("mediator mass M [MeV]")
    ax.set_ylabel("coupling g (dimensionless), 90 % CL upper limit")
    fig.tight_layout()
    with atomic_output_path(path) as tmp:
        fig.savefig(tmp, dpi=120, metadata={"Software": None})
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    """Compute every table and write the three outputs; exit status 2 with one line on a library error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent,
        help="output folder (default: this script's folder, docs/results)",
    )
    parser.add_argument("--masses", type=int, default=43, help="masses of the dark-photon scan (default 43)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        check_writable_dir(args.out)
        try:  # create it now, so that a bad --out fails before the computation, not after
            args.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExonuError(f"cannot create the output folder {args.out}: {exc.strerror}") from None
        setups = [load_detector(name) for name in DETECTORS]
        spectrum = RecoilSpectrum()  # flux kernels built once, shared by every search
        paper, new = paper_entries(), new_model_entries()
        entries: dict = {}
        for entry in (*paper, *new):
            spec = entry.spec
            entries[spec.key] = {
                "label": entry.label,
                "signal": entry.signal,
                "options": {k: list(v) if isinstance(v, tuple) else v for k, v in entry.options},
                "parameter": spec.parameter,
                "unit": spec.unit,
                "table": "paper" if entry in paper else "further",
                "methods": {m: compute_entry(setups, spec, m, spectrum)[0] for m in METHODS},
            }
        masses = dark_photon_masses(args.masses)
        scan, curves = dark_photon_scan(setups, masses, spectrum)
        scan["method_of_figure"] = FIGURE_METHOD
        scan["paper_masses_on_grid"] = bool(all(np.any(masses == m) for m in MEDIATOR_MASSES_MEV))
        windows = [(s.name, s.window(w)) for s in setups for w in s.windows]
        min_counts = {name: float(np.min(w.data_counts)) for name, w in windows}
        widths = np.unique(np.concatenate([np.round(w.binning.widths_kev, 6) for _, w in windows]))
        doc = {
            "exonu_version": exonu.__version__,
            "command": "python docs/results/make_tables.py",
            "statistic": STATISTIC,
            "statistic_reason": STATISTIC_REASON.format(
                widths=" / ".join(f"{w:g}" for w in widths),
                min_counts=", ".join(f"{c:g} ({TITLES[d]})" for d, c in min_counts.items()),
            ),
            "cl": CL,
            "n_toys": 0,
            "expected": "limit on the background-only Asimov data set",
            "methods": dict(METHODS),
            "signals": {e["signal"]: SIGNALS[e["signal"]].description for e in entries.values()},
            "detectors": {s.name: detector_record(s) for s in setups},
            "entries": entries,
            "published": published_values(setups),
            "reinterpretations": [{"paper": p, "data": d, "constrains": w} for p, d, w in REINTERPRETATIONS],
            "dark_photon_scan": scan,
        }
        text = json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
        doc["json_sha256"] = hashlib.sha256(text.encode()).hexdigest()
        atomic_write_text(args.out / "results.json", text)
        atomic_write_text(args.out / "tables.md", markdown(doc, paper, new))
        figure(curves, args.out / "dark_photon_combined.png")
    except ExonuError as exc:
        print(f"make_tables: error: {exc}", file=sys.stderr)
        return 2
    failed = sorted(k for k, e in entries.items() if any("error" in v for v in e["methods"].values()))
    if failed:
        print(
            f"make_tables: {len(failed)} searches were refused by the library (see tables.md): {', '.join(failed)}",
            file=sys.stderr,
        )
    print(
        f"make_tables: wrote results.json, tables.md, dark_photon_combined.png to {args.out} "
        f"in {time.perf_counter() - start:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
