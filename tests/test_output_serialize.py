"""results.json building blocks: JSON-safe values, the one source of published values, statistics recorded."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from exonu.errors import InputError
from exonu.output import to_jsonable
from exonu.output.serialize import statistic_of
from exonu.searches import PAPER_SEARCHES, SearchSpec
from exonu.searches.paper import PublishedValue, published_value


def test_to_jsonable_makes_strict_json():
    value = {
        "a": np.float32(1.5),
        "b": np.int64(3),
        "c": float("nan"),
        "d": (np.inf, -np.inf, 2.0),
        "e": np.array([[1.0, np.nan]]),
        "f": Path("x/y.txt"),
        "g": np.bool_(True),
        4: None,
        "h": PublishedValue("k", 1e-10, "mu_B", 0.9, "bayesian", "a paper"),
    }
    out = to_jsonable(value)
    assert out == {
        "a": 1.5,
        "b": 3,
        "c": None,
        "d": [None, None, 2.0],
        "e": [[1.0, None]],
        "f": "x/y.txt",
        "g": True,
        "4": None,
        "h": {
            "search": "k",
            "value": 1e-10,
            "unit": "mu_B",
            "cl": 0.9,
            "method": "bayesian",
            "source": "a paper",
            "mass_mev": None,
            "lower": None,
        },
    }
    assert type(out["b"]) is int and type(out["g"]) is bool
    json.dumps(out, allow_nan=False)  # strict JSON: raises if any NaN/inf slipped through


def _spec(key: str) -> SearchSpec:
    return next(s for s in PAPER_SEARCHES if s.key == key)


def test_published_values_come_from_the_detector_when_it_has_them():
    wanted = PublishedValue("magnetic_moment_mub", 2.9e-11, "mu_B", 0.9, "plr", "arXiv:2006.09721")
    calls = []

    def published_for(key, mass_mev=None):
        calls.append((key, mass_mev))
        return wanted if key == "magnetic_moment_mub" else None

    setup = SimpleNamespace(published_for=published_for, references=("arXiv:2005.11891",))
    assert published_value(setup, _spec("magnetic_moment_mub")) is wanted
    assert published_value(setup, _spec("millicharge_common_e")) is None  # the config's word, no fallback
    dark = SearchSpec("dark_photon_10MeV", "dark-photon", mass_mev=10.0)
    assert published_value(setup, dark) is None and calls[-1] == ("dark_photon", 10.0)  # by model and mass
    wrong_unit = SimpleNamespace(
        name="d", published_for=lambda key, mass=None: PublishedValue(key, 1.0, "e", 0.9, "", "")
    )
    with pytest.raises(InputError, match="published value for 'magnetic_moment_mub' .* in 'e'.*'mu_B'"):
        published_value(wrong_unit, _spec("magnetic_moment_mub"))


def test_published_values_of_the_packaged_xmass_config():
    """The XMASS-I paper's limits (arXiv:2005.11891 §4.2–4.4) come from xmass_i.toml, the dark photon by mass."""
    from exonu.config import load_detector

    xmass = load_detector("xmass-i")
    mm = published_value(xmass, _spec("magnetic_moment_mub"))
    assert mm.value == 1.8e-10 and mm.unit == "mu_B" and mm.cl == 0.9 and "2005.11891" in mm.source
    assert published_value(xmass, _spec("millicharge_nue_e")).value == 7.3e-12
    dark = published_value(xmass, SearchSpec("d", "dark-photon", mass_mev=1e-3))
    assert dark.value == 1.3e-6 and dark.mass_mev == 1e-3
    assert published_value(xmass, SearchSpec("d", "dark-photon", mass_mev=0.5)) is None  # no value at that mass
    xenon1t = load_detector("xenon1t-sr1")
    assert published_value(xenon1t, _spec("millicharge_common_e")) is None


def test_statistic_is_read_from_the_result_not_assumed():
    result = SimpleNamespace(limit_result=SimpleNamespace(statistic="poisson"), fit_result=None)
    assert statistic_of(result) == "poisson"
    result = SimpleNamespace(limit_result=None, fit_result=SimpleNamespace(statistic="chi2"))
    assert statistic_of(result) == "chi2"
