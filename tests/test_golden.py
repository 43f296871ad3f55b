"""Golden results: the Asimov expected limits of every search on every packaged detector.

These numbers are exonu's own output at the commit that introduced this file (before the 0.2
restructure of the config layer and the statistics internals). They are not physics references —
those live in the physics tests — but a guard that a restructure changes no number: every packaged
detector × every search of the paper (millicharge common and per flavour, magnetic moment, dark photon
at 1e-3 and 10 MeV) × the paper's Bayesian χ² method and the one-sided asymptotic PLR × the χ² and
Poisson statistics, to 1e-6 relative.

Regenerate only for a deliberate change of the physics or the statistics, and say so in the commit:

    python tests/test_golden.py --write
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden" / "expected_limits.json"
METHODS = ("bayesian", "plr")
STATISTICS = ("chi2", "poisson")
DARK_PHOTON_MASSES_MEV = (1e-3, 10.0)


def _searches():
    from exonu.searches import PAPER_SEARCHES, dark_photon_specs

    return list(PAPER_SEARCHES) + dark_photon_specs(DARK_PHOTON_MASSES_MEV)


def compute(detector_name: str) -> dict:
    """{search key: {"method/statistic": expected limit in physical units}} for one detector."""
    from exonu.config import load_detector
    from exonu.searches import build_binned_model
    from exonu.spectrum import RecoilSpectrum
    from exonu.stats import expected_limits

    setup = load_detector(detector_name)
    spectrum = RecoilSpectrum()
    out = {}
    for spec in _searches():
        model, tpl = build_binned_model(setup, spec, spectrum=spectrum)
        row = {}
        for method in METHODS:
            for statistic in STATISTICS:
                alpha = expected_limits(model, method=method, statistic=statistic, n_toys=0).asimov
                row[f"{method}/{statistic}"] = tpl.reference * max(alpha, 0.0) ** (1.0 / spec.alpha_power)
        out[spec.key] = row
    return out


def _detector_names() -> list[str]:
    from exonu.config import list_detectors

    return [name for name, _ in list_detectors()]


def _golden() -> dict:
    return json.loads(GOLDEN.read_text(encoding="utf-8")) if GOLDEN.exists() else {}


@pytest.mark.parametrize("detector", sorted(_golden()))
def test_expected_limits_unchanged(detector):
    want = _golden()[detector]
    got = compute(detector)
    assert sorted(got) == sorted(want)
    for key, row in want.items():
        for what, value in row.items():
            assert got[key][what] == pytest.approx(value, rel=1e-6, abs=0.0), (detector, key, what)


def test_every_packaged_detector_has_golden_values():
    assert set(_detector_names()) <= set(_golden())


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/test_golden.py --write")
    results = {name: compute(name) for name in _detector_names()}
    GOLDEN.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN}")
