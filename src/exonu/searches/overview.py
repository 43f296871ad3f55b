"""What a detector config gives a fit, before any fit (``exonu inspect``, in the spirit of ``pyhf inspect``).

For each analysis window: the bins, the observed counts (and the rows or events left out), each
background component's expected counts before the fit with its prior, the shape systematics, the signal
systematics, each signal's counts at its reference value, the tables extrapolated by the config, and the
checks of :mod:`exonu.searches.diagnostics` that need no fit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ExonuError, InputError
from ..stats import BinnedModel
from .diagnostics import model_diagnostics, setup_diagnostics
from .spec import SIGNALS, search_spec
from .templates import signal_templates

if TYPE_CHECKING:
    from ..detector import DetectorSetup, WindowSetup

__all__ = ["inspect_detector"]


def _parameters(w: WindowSetup) -> list[dict[str, Any]]:
    """Every nuisance of the window with its prior (the signal systematics' set depends on the signal)."""
    bkg = w.background
    out: list[dict[str, Any]] = []
    for name, label, sigma in zip(bkg.names, bkg.labels, bkg.sigma_nominal, strict=False):
        sigma = float(sigma)
        fixed, free = sigma == 0.0, not np.isfinite(sigma)
        out.append(
            {
                "name": f"p_{name}",
                "label": f"normalisation of {label}",
                "prior_center": 1.0,
                "prior_sigma": None if free or fixed else sigma,
                "status": "fixed at 1" if fixed else "free" if free else "constrained",
            }
        )
    for name in bkg.sys_names:
        out.append(
            {
                "name": f"q_{name}",
                "label": f"background shape systematic {name}",
                "prior_center": 0.0,
                "prior_sigma": 1.0,
                "status": "constrained",
            }
        )
    return out


def _signals(setup: DetectorSetup, window: str) -> list[dict[str, Any]]:
    """Each signal's expected counts in ``window`` at its reference value (signals needing options skipped)."""
    out: list[dict[str, Any]] = []
    for name in sorted(SIGNALS):
        try:
            spec = search_spec(name, window=window)
            t = signal_templates(setup, spec)
        except ExonuError as exc:  # a mediator without --mass-mev, a window the signal cannot use, …
            out.append({"signal": name, "counts": None, "note": str(exc).split(";")[0]})
            continue
        counts = np.asarray(t.templates, dtype=float).reshape(-1, t.templates.shape[-1]).sum(axis=0)
        out.append(
            {
                "signal": name,
                "parameter": spec.parameter,
                "reference_value": t.reference,
                "unit": spec.unit,
                "counts": float(counts.sum()),
                "signal_systematics": list(t.systematic_names),
            }
        )
    return out


def _window(setup: DetectorSetup, name: str, with_signals: bool) -> dict[str, Any]:
    w = setup.window(name)
    b = w.binning
    bkg = w.background
    observed = w.data_counts
    expected = bkg.templates.sum(axis=1)
    meta = dict(w.data.metadata) if w.data is not None else {}
    dropped = {k: meta[k] for k in ("ignored_rows", "note", "events_outside_window") if meta.get(k)}
    if observed is None:
        data = "none: fits use the Asimov background-only data"
    elif meta.get("format") == "events":
        data = f"event list of {meta.get('unbinned_events')} events, binned into the window"
    else:
        data = "binned data set"
    entry: dict[str, Any] = {
        "name": name,
        "low_kev": float(b.edges_kev[0]),
        "high_kev": float(b.edges_kev[-1]),
        "n_bins": int(b.n_bins),
        "edges_kev": b.edges_kev.tolist(),
        "description": w.description,
        "data": data,
        "observed_total": None if observed is None else float(np.sum(observed)),
        "observed": None if observed is None else np.asarray(observed, dtype=float).tolist(),
        "dropped": dropped,
        "background_total": float(np.sum(expected)),
        "components": [
            {
                "name": n,
                "label": lab,
                "group": g,
                "expected_counts": float(e),
                "prior_sigma": None if not np.isfinite(s) else float(s),
                "free_in_searches": list(free),
            }
            for n, lab, g, e, s, free in zip(
                bkg.names, bkg.labels, bkg.groups, expected, bkg.sigma_nominal, bkg.free_in_searches, strict=False
            )
        ],
        "shape_systematics": list(bkg.sys_names),
        "parameters": _parameters(w),
    }
    if with_signals:
        entry["signals"] = _signals(setup, name)
    return entry


def inspect_detector(setup: DetectorSetup, window: str | None = None, *, signals: bool = True) -> dict[str, Any]:
    """A JSON-ready overview of a loaded detector (every window, or ``window`` only).

    ``signals=False`` skips folding each signal (the slowest part).
    """
    names = list(setup.windows) if window is None else [window]
    if window is not None and window not in setup.windows:
        raise InputError(f"detector {setup.name!r} has no window {window!r}; its windows: {sorted(setup.windows)}")
    windows = [_window(setup, n, signals) for n in names]
    warnings = []
    for n in names:
        w = setup.window(n)
        warnings += [d.as_dict() for d in setup_diagnostics(setup, n)]
        if w.data_counts is not None:
            bkg = w.background
            model = BinnedModel(w.data_counts, bkg.templates, bkg.sigma_nominal, np.ones(w.binning.n_bins))
            warnings += [d.as_dict() for d in model_diagnostics(model, {n: slice(None)})]
    return {
        "detector": setup.name,
        "description": setup.description,
        "is_reconstruction": bool(setup.is_reconstruction),
        "statistic": setup.statistic,
        "exposure_kg_day": float(setup.exposure_kg_day),
        "extrapolations": list(setup.extrapolations),
        "windows": windows,
        "warnings": warnings,
    }
