"""The JSON Schema of a fit result (``exonu fit --json``; ``exonu result-schema`` prints it).

A single-detector fit and a joint fit share the top level: the search keys of :data:`SEARCH` (the
limit, the expected limit and band, the best fit and its Δχ² = 1 interval, the post-fit parameters,
correlations, goodness of fit, warnings, how the limit was made) and the provenance keys. A joint fit
adds ``per_detector``, one :data:`SEARCH` object per detector fitted alone. ``schema_version`` is
bumped whenever a key changes meaning or disappears.
"""

from __future__ import annotations

from typing import Any

from ..searches.diagnostics import CODES
from .fit_document import RESULT_SCHEMA_VERSION

__all__ = ["RESULT_SCHEMA", "RESULT_SCHEMA_VERSION", "result_schema"]

_NUM = {"type": "number"}
_NUM_OR_NULL = {"type": ["number", "null"]}
_PAIR = {"type": "array", "items": _NUM, "minItems": 2, "maxItems": 2}
_PAIR_OR_NULL = {"anyOf": [_PAIR, {"type": "null"}]}

PARAMETER = {
    "type": "object",
    "description": "one fitted parameter: the signal strength first, then every nuisance",
    "required": ["name", "label", "kind", "value", "uncertainty", "prior_center", "prior_sigma", "pull"],
    "properties": {
        "name": {"type": "string"},
        "label": {"type": "string"},
        "kind": {"enum": ["signal", "normalisation", "background shape", "signal shape"]},
        "value": {**_NUM, "description": "best fit; the signal's in the physical unit (its α under alpha)"},
        "uncertainty": {
            **_NUM_OR_NULL,
            "description": "from the Hessian at the best fit (0 at a bound); null for the signal (see interval)",
        },
        "interval": {**_PAIR, "description": "the signal only: Δχ² = 1 profile interval in its physical unit"},
        "unit": {"type": "string", "description": "the signal only: its physical unit"},
        "alpha": {**_NUM, "description": "the signal only: the fitted variable α = (x/x_ref)^power"},
        "alpha_uncertainty": {**_NUM, "description": "the signal only: Hessian uncertainty of α"},
        "prior_center": {**_NUM_OR_NULL, "description": "centre of the pull term; null without one"},
        "prior_sigma": {**_NUM_OR_NULL, "description": "σ of the pull term; null for a free parameter"},
        "pull": {**_NUM_OR_NULL, "description": "(value − prior_center)/prior_sigma"},
    },
}

_GOF_NUMBERS: dict[str, Any] = {"statistic": _NUM_OR_NULL, "ndof": {"type": "integer"}, "p_value": _NUM_OR_NULL}
GOF_PART = {"type": "object", "required": ["statistic", "ndof", "p_value"], "properties": _GOF_NUMBERS}

GOF = {
    "type": "object",
    "description": "saturated-model goodness of fit of the fit's own statistic (exonu.stats.gof)",
    "required": ["statistic", "statistic_name", "ndof", "p_value", "per_window"],
    "properties": {
        **_GOF_NUMBERS,
        "statistic_name": {"enum": ["chi2", "poisson", "per-bin"]},
        "pull_terms": _NUM,
        "per_window": {"type": "object", "additionalProperties": GOF_PART},
    },
}

WARNING = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"enum": sorted(CODES), "description": "; ".join(f"{k}: {v}" for k, v in sorted(CODES.items()))},
        "message": {"type": "string", "pattern": "^[^\\n]*$"},
    },
}

#: the keys every search result has (top level of a fit, each entry of per_detector)
SEARCH: dict[str, Any] = {
    "type": "object",
    "required": [
        "upper_limit",
        "expected_upper_limit",
        "expected_band",
        "expected_toy_median",
        "best_fit",
        "best_fit_interval",
        "interval",
        "nuisances",
        "correlations",
        "gof",
        "warnings",
        "unit",
        "window",
        "method",
        "test_statistic",
        "threshold",
        "sided",
        "statistic",
        "cl",
        "converged",
        "fit_valid",
        "signal",
        "parameter",
        "detector",
        "data",
        "published",
        "atomic",
    ],
    "properties": {
        "atomic": {
            "type": "object",
            "description": "the atomic model of the signal and its nuisance (a joint fit: per_detector)",
        },
        "upper_limit": {**_NUM, "description": "observed upper limit on the physical parameter"},
        "expected_upper_limit": {**_NUM, "description": "the limit on the Asimov background-only data (median)"},
        "expected_band": {**_PAIR_OR_NULL, "description": "16 % and 84 % of the toy limits"},
        "expected_toy_median": _NUM_OR_NULL,
        "best_fit": _NUM,
        "best_fit_interval": {**_PAIR, "description": "Δχ² = 1 profile interval of the physical parameter"},
        "interval": _PAIR_OR_NULL,
        "nuisances": {"type": "array", "items": PARAMETER, "minItems": 1},
        "correlations": {
            "type": "object",
            "required": ["names", "matrix"],
            "properties": {
                "names": {"type": "array", "items": {"type": "string"}},
                "matrix": {"type": "array", "items": {"type": "array", "items": _NUM_OR_NULL}},
            },
        },
        "gof": GOF,
        "warnings": {"type": "array", "items": WARNING},
        "unit": {"type": "string"},
        "window": {"type": "string"},
        "method": {"enum": ["bayesian", "plr", "neyman", "cls", "pcl", "fc"]},
        "test_statistic": {"type": ["string", "null"]},
        "threshold": {"type": ["number", "string", "null"]},
        "sided": {"type": ["string", "null"]},
        "statistic": {"enum": ["chi2", "poisson", "per-bin"]},
        "cl": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "converged": {"type": "boolean"},
        "fit_valid": {"type": "boolean"},
        "power_constrained": {"type": "boolean", "description": "--method pcl: the −1σ constraint applied"},
        "unconstrained_limit": {**_NUM, "description": "--method pcl: the PLR limit before the constraint"},
        "power_threshold": {**_NUM, "description": "--method pcl: the −1σ expected limit"},
        "signal": {"type": "string"},
        "parameter": {"type": "string"},
        "detector": {"type": "string"},
        "data": {"type": "string"},
        "published": {
            "anyOf": [
                {"type": "null"},
                {"type": "object", "required": ["value", "unit", "cl", "method", "source"]},
            ]
        },
    },
}

#: the schema of ``exonu fit --json``
RESULT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"https://exonu.invalid/schemas/fit-result-{RESULT_SCHEMA_VERSION}.json",
    "title": "exonu fit result",
    "description": __doc__.split("\n\n")[1].replace("\n", " ") if __doc__ else "",
    "$defs": {"search": SEARCH, "parameter": PARAMETER, "warning": WARNING},
    "allOf": [{"$ref": "#/$defs/search"}],
    "type": "object",
    "required": [
        "schema",
        "schema_version",
        "exonu_version",
        "joint",
        "detectors",
        "windows",
        "data_sources",
        "seed",
        "runtime_seconds",
        "provenance",
    ],
    "properties": {
        "schema": {"const": "exonu-fit-result"},
        "schema_version": {"const": RESULT_SCHEMA_VERSION},
        "exonu_version": {"type": "string"},
        "joint": {"type": "boolean"},
        "detectors": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "windows": {"type": "object", "additionalProperties": {"type": "string"}},
        "data_sources": {"type": "object", "additionalProperties": {"type": "string"}},
        "seed": {"type": ["integer", "null"]},
        "runtime_seconds": {"type": "number", "minimum": 0},
        "provenance": {
            "type": "object",
            "required": ["exonu_version", "dependencies", "detectors", "command_line"],
            "properties": {
                "dependencies": {"type": "object", "additionalProperties": {"type": ["string", "null"]}},
                "detectors": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "required": ["config", "config_sha256", "extrapolations"],
                        "properties": {"config": {"type": "string", "not": {"pattern": "^/"}}},
                    },
                },
                "command_line": {"type": "array", "items": {"type": "string"}, "prefixItems": [{"const": "exonu"}]},
            },
        },
        "per_detector": {"type": "object", "additionalProperties": {"$ref": "#/$defs/search"}},
    },
    "if": {"properties": {"joint": {"const": True}}},
    "then": {"required": ["per_detector", "shared_parameters"]},
}


def result_schema() -> dict[str, Any]:
    """A copy of :data:`RESULT_SCHEMA` (JSON-ready)."""
    import copy

    return copy.deepcopy(RESULT_SCHEMA)
