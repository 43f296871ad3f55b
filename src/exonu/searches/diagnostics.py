"""Checks that catch a misread release, before and after the fit: warnings with a stable code.

A detector config can be valid and still describe the published files wrongly: a binned histogram
declared as an event list, a rate unit off by orders of magnitude, an efficiency applied twice. The
limit then changes without any error. Each check below looks for the symptom such a mistake leaves
and says, in one line, which config key to look at. None of them changes a result.

========================  ======  ==============================================================
code                      when    symptom
========================  ======  ==============================================================
``events-look-binned``    load    an event-list file (``format = "events"``) whose rows are
                                  regularly spaced energies with a second column of integers
``counts-not-integer``    load    a window's observed counts are not integers
``counts-vs-background``  pre-fit observed counts of a window differ from the background expected
                                  before the fit by more than 5σ of Poisson and prior spread (a
                                  free normalisation may scale its component by 1/3 … 3)
``normalisation-pulled``  post    a constrained normalisation fitted more than 3σ from its prior
``normalisation-range``   post    a free normalisation fitted outside [1/3, 3]
``poor-fit``              post    goodness-of-fit p-value below 0.01
``expected-band``         post    the expected band: too few toys, Asimov median outside it
========================  ======  ==============================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ExonuError
from ..stats import BinnedModel

if TYPE_CHECKING:
    from ..detector import DetectorSetup
    from .postfit import PostFit

__all__ = [
    "CODES",
    "Diagnostic",
    "fit_diagnostics",
    "model_diagnostics",
    "setup_diagnostics",
]

#: every warning code, with what it means (also in the result schema)
CODES = {
    "events-look-binned": "an event-list file whose rows look like a histogram",
    "counts-not-integer": "observed counts that are not integers",
    "counts-vs-background": "observed counts inconsistent with the background expected before the fit",
    "normalisation-pulled": "a constrained background normalisation fitted > 3σ from its prior",
    "normalisation-range": "a free background normalisation fitted outside [1/3, 3]",
    "poor-fit": "goodness-of-fit p-value below 0.01",
    "expected-band": "a warning about the expected band (toys)",
    "numerical-warning": "a floating-point warning (NumPy, SciPy) raised while the search was computed",
}
#: pre-fit consistency of counts and background: beyond this many standard deviations
COUNTS_Z_MAX = 5.0
#: post-fit pull of a constrained normalisation beyond this many prior σ
PULL_MAX = 3.0
#: a free normalisation outside [1/FREE_RANGE, FREE_RANGE]
FREE_RANGE = 3.0
#: relative spread of the energy steps below which rows count as regularly spaced
_REGULAR_STEP = 1e-3


@dataclass(frozen=True)
class Diagnostic:
    """One warning: a stable ``code`` (see :data:`CODES`) and one line naming the config key to look at."""

    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}

    def prefixed(self, prefix: str) -> Diagnostic:
        """The same warning with ``prefix: `` in front of the message (a detector of a joint fit)."""
        return Diagnostic(self.code, f"{prefix}: {self.message}")


def _component_key(name: str) -> str:
    """``[[background.components]] name = "x"`` for the local name (a joint fit's ``det/x`` names the detector)."""
    det, sep, local = name.rpartition("/")
    where = f"{det}: " if sep else ""
    return f'{where}[[background.components]] name = "{local}"'


def _looks_binned(path: Path) -> tuple[int, float] | None:
    """(rows, step keV) if the file's rows are regularly spaced energies with an integer second column."""
    from ..config import read_table

    try:
        energies, second = read_table(path, str(path.name), [0, 1])
    except ExonuError:
        return None  # one column (a plain event list) or unreadable: nothing to say here
    if energies.size < 5:
        return None
    steps = np.diff(energies)
    step = float(np.median(steps))
    regular = step > 0 and float(np.max(np.abs(steps - step))) <= _REGULAR_STEP * step
    integers = bool(np.all(second >= 0) and np.all(np.abs(second - np.round(second)) < 1e-9))
    return (int(energies.size), step) if regular and integers and np.any(second > 1) else None


def setup_diagnostics(setup: DetectorSetup, window: str) -> list[Diagnostic]:
    """Checks of a detector's data files for ``window`` that need no fit (``events-look-binned``,
    ``counts-not-integer``)."""
    out: list[Diagnostic] = []
    data = setup.window(window).data
    if data is None:
        return out
    meta = data.metadata
    source = meta.get("source")
    if meta.get("format") == "events" and isinstance(source, str) and Path(source).is_file():
        hit = _looks_binned(Path(source))
        if hit is not None:
            out.append(
                Diagnostic(
                    "events-look-binned",
                    f'[data.{window}] format = "events" but {Path(source).name} has {hit[0]} rows at regularly '
                    f"spaced energies ({hit[1]:.4g} keV apart) with a second column of integers: a histogram? "
                    'Then use format = "binned_counts" with value_column = 1',
                )
            )
    counts = np.asarray(data.counts, dtype=float)
    dev = float(np.max(np.abs(counts - np.round(counts)))) if counts.size else 0.0
    if dev > 1e-6 and not meta.get("simulated"):
        out.append(
            Diagnostic(
                "counts-not-integer",
                f"[data.{window}] the observed counts are not integers (up to {dev:.3g} from one): check its "
                "rate_unit, the exposure and allow_non_integer_counts",
            )
        )
    return out


def model_diagnostics(model: BinnedModel, windows: Mapping[str, slice]) -> list[Diagnostic]:
    """Pre-fit check of each window's total observed counts against its background (``counts-vs-background``).

    The background spread allowed is the Poisson spread, each constrained normalisation's prior σ
    (added in quadrature) and, for a free normalisation, any scale between 1/3 and 3.
    """
    out: list[Diagnostic] = []
    sigma = np.asarray(model.activity_sigma, dtype=float)
    free = ~np.isfinite(sigma)
    for name, bins in windows.items():
        per_comp = model.background_templates[:, bins].sum(axis=1)
        observed = float(model.data[bins].sum())
        fixed_part = float(per_comp[~free].sum())
        free_part = float(per_comp[free].sum())
        prior_var = float(np.sum((np.where(free, 0.0, sigma) * per_comp) ** 2))
        low, high = fixed_part + free_part / FREE_RANGE, fixed_part + free_part * FREE_RANGE
        edge = low if observed < low else high if observed > high else None
        if edge is None:
            continue
        z = (observed - edge) / np.sqrt(max(edge, 1.0) + prior_var)
        if abs(z) > COUNTS_Z_MAX:
            nominal = fixed_part + free_part
            out.append(
                Diagnostic(
                    "counts-vs-background",
                    f"{name}: {observed:.6g} events observed but {nominal:.4g} expected from the background "
                    f"before the fit ({z:+.1f}σ beyond what the priors allow): check [data] (file, format, "
                    "rate_unit) and each background component's rate_unit and efficiency",
                )
            )
    return out


def fit_diagnostics(post: PostFit) -> list[Diagnostic]:
    """Post-fit checks: normalisations far from their prior or outside [1/3, 3], a poor goodness of fit."""
    out: list[Diagnostic] = []
    for p in post.parameters:
        if p.kind != "normalisation":
            continue
        comp = p.name[2:]
        if p.pull is not None and abs(p.pull) > PULL_MAX:
            out.append(
                Diagnostic(
                    "normalisation-pulled",
                    f"background {comp} fitted at {p.value:.3g} × nominal, {p.pull:+.1f}σ from its prior "
                    f"{p.prior_center:.3g} ± {p.prior_sigma:.3g}: check {_component_key(comp)} "
                    "(rate_unit, efficiency, table, activity_sigma)",
                )
            )
        elif p.prior_sigma is None and not (1.0 / FREE_RANGE <= p.value <= FREE_RANGE):
            out.append(
                Diagnostic(
                    "normalisation-range",
                    f"free background {comp} fitted at {p.value:.3g} × nominal, outside [1/3, 3]: check "
                    f"{_component_key(comp)} (rate_unit, efficiency, table)",
                )
            )
    g = post.gof
    if g.poor:
        out.append(
            Diagnostic(
                "poor-fit",
                f"goodness of fit p = {g.p_value:.2g} ({g.statistic_name} {g.statistic:.4g} / {g.ndof} dof): the "
                "model does not describe the data; check [data] and the background components",
            )
        )
    for wname, w in g.per_window.items():
        if np.isfinite(w.p_value) and w.p_value < 0.01 and len(g.per_window) > 1:
            out.append(
                Diagnostic(
                    "poor-fit",
                    f"{wname}: goodness of fit p = {w.p_value:.2g} ({w.statistic:.4g} / {w.ndof} dof) in its bins: "
                    "check its [data] and background components",
                )
            )
    return out
