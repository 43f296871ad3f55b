"""Export a :class:`~exonu.stats.model.BinnedModel` as a HistFactory JSON workspace for pyhf.

pyhf is an optional dependency: it is imported only inside :func:`to_pyhf_model`.

Mapping (one channel, ``channel_name``):

* signal sample: the single linear template (terms with power 1 are summed), ``normfactor`` =
  the POI; each signal shape systematic is a ``histosys`` with hi/lo = T (1 ± ε_l) (a log-normal one,
  (1 + ε_l)^{r_l}, with hi/lo = T (1 + ε_l)^{±1}: pyhf interpolates linearly, exact at r_l = 0, ±1). Non-linear
  signals (any power ≠ 1) cannot be expressed with a normfactor and raise InputError.
* background component j:
  - constrained (0 < σ_j < ∞): ``normsys`` ``norm_<name>`` with hi/lo = 1 ± σ_j (default), or
    with ``activity_modifier="histosys"`` a ``histosys`` with hi/lo = B_j (1 ± σ_j);
  - unconstrained (σ_j = ∞): ``normfactor`` ``norm_<name>`` bounded to [0, ``norm_upper``];
  - fixed (σ_j = 0): no modifier;
  - each background shape systematic k: a ``histosys`` ``bsys_<name>`` shared by all components,
    hi/lo = B_j ± σ(B_sys)_jk on every component where the shift is non-zero.
* ``staterror`` only when the MC-statistics variances are non-zero: each background sample gets
  √(σ²(B_stat)_i B_ij / Σ_j B_ij) so that pyhf's combined per-bin uncertainty is √σ²(B_stat)_i;
  the signal sample gets √σ²(S_stat)_i (its value at α = 1).

Differences from Eqs. (4)–(7) that remain (document them when comparing):

* pyhf's ``normsys`` interpolates exponentially (code1) or polynomially (code4), never linearly;
  ``activity_modifier="histosys"`` is linear (histosys code0, pyhf's default) but adds the
  activity shift to the shape shifts instead of multiplying them (no p_j q_k cross term). Both agree
  with the paper's linear pulls to first order in the systematics.
* ``staterror`` is a Gaussian-constrained per-bin factor (Barlow–Beeston lite), not the extra
  variance in the χ² denominator; it is an approximation of the MC-statistics treatment.
* The auxiliary measurements are the nominal ones (1 for activities, 0 for pulls).
* pyhf fits −2 ln L of the Poisson likelihood: compare with ``statistic="poisson"``.

Self-description: pyhf 0.7's workspace schema (1.0.0) allows no extra keys anywhere (top level,
measurement, config, parameter: ``additionalProperties: false``); the one free text that ``pyhf
inspect`` shows is the measurement's name. ``to_pyhf_workspace(..., metadata=...)`` therefore appends
``exonu-metadata: {JSON}`` to that name (the POI definition, its reference value and power, the
physical unit, exonu's provenance); :func:`workspace_metadata` reads it back and
:func:`poi_to_physical` turns a value of the POI into the physical parameter.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InputError
from .model import BinnedModel
from .objective import fit_variable_scale, variance_base

if TYPE_CHECKING:
    import pyhf

__all__ = [
    "METADATA_MARK",
    "poi_to_physical",
    "pyhf_parameter_names",
    "to_pyhf_model",
    "to_pyhf_workspace",
    "workspace_metadata",
]

#: marks exonu's metadata (JSON) in the measurement name of an exported workspace
METADATA_MARK = "exonu-metadata: "


def _names(model: BinnedModel, poi_name: str) -> dict[str, Any]:
    # BinnedModel.__post_init__ replaces every None name list with the generated names
    assert model.background_names is not None
    assert model.background_sys_names is not None and model.signal_sys_names is not None
    names: dict[str, Any] = {
        "poi": poi_name,
        "norm": [f"norm_{n}" for n in model.background_names],
        "bsys": [f"bsys_{n}" for n in model.background_sys_names],
        "ssys": [f"ssys_{n}" for n in model.signal_sys_names],
    }
    flat = [poi_name] + names["norm"] + names["bsys"] + names["ssys"]
    if len(set(flat)) != len(flat):
        raise InputError(f"parameter names collide in the pyhf export: {flat}")
    return names


def pyhf_parameter_names(model: BinnedModel, poi_name: str = "mu") -> dict[str, Any]:
    """Names the export gives to α and to each nuisance: keys "poi", "norm", "bsys", "ssys"."""
    return _names(model, poi_name)


def to_pyhf_workspace(
    model: BinnedModel,
    measurement_name: str = "exonu",
    poi_name: str = "mu",
    *,
    channel_name: str = "spectrum",
    activity_modifier: Literal["normsys", "histosys"] = "normsys",
    poi_bounds: tuple[float, float] | None = None,
    norm_upper: float = 100.0,
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """HistFactory workspace (a JSON-serialisable dict) equivalent to ``model``.

    Parameters
    ----------
    model : BinnedModel
        Must have a linear signal (all powers 1).
    measurement_name : str
    poi_name : str
        Name of the POI (α) in the workspace.
    channel_name : str
    activity_modifier : {"normsys", "histosys"}
        How constrained activities are expressed (see the module docstring).
    poi_bounds : (float, float), optional
        Bounds of the POI. Default: [0, max(10, 50 s)] with s the rough 1σ scale of α.
    norm_upper : float
        Upper bound of the free component normalisations.
    metadata : mapping, optional
        JSON-serialisable description written into the measurement name after
        :data:`METADATA_MARK` (read it back with :func:`workspace_metadata`). To convert the POI
        with :func:`poi_to_physical` it needs ``reference`` and ``power``: POI = (x / reference)^power.

    Returns
    -------
    dict
        With keys "channels", "observations", "measurements", "version".
    """
    if not model.is_linear:
        raise InputError(
            f"the pyhf export needs a linear signal (a normfactor POI); signal_powers = {model.signal_powers.tolist()}"
        )
    if activity_modifier not in ("normsys", "histosys"):
        raise InputError(f"activity_modifier must be 'normsys' or 'histosys'; got {activity_modifier!r}")
    names = _names(model, poi_name)

    def tolist(a: ArrayLike) -> list[float]:
        return [float(x) for x in np.asarray(a)]  # plain floats for JSON

    template = model.signal_templates.sum(axis=0)
    sig_mods: list[dict[str, Any]] = [{"name": poi_name, "type": "normfactor", "data": None}]
    responses = model.signal_sys_response or ("linear",) * model.n_sig_sys
    for name, eps, response in zip(names["ssys"], model.signal_shape_sys, responses, strict=False):
        # a log-normal systematic, (1 + ε)^r, is exported by its ±1σ templates T(1 + ε), T/(1 + ε): pyhf's
        # histosys interpolates linearly between them (exact at r = 0, ±1)
        lo = template / (1 + eps) if response == "lognormal" else template * (1 - eps)
        sig_mods.append(
            {
                "name": name,
                "type": "histosys",
                "data": {"hi_data": tolist(template * (1 + eps)), "lo_data": tolist(lo)},
            }
        )
    use_staterror = bool(np.any(model.background_mc_stat_var > 0) or np.any(model.signal_mc_stat_var > 0))
    staterror_name = f"staterror_{channel_name}"
    if use_staterror:
        sig_mods.append(
            {"name": staterror_name, "type": "staterror", "data": tolist(np.sqrt(model.signal_mc_stat_var))}
        )
    samples = [{"name": "signal", "data": tolist(template), "modifiers": sig_mods}]

    parameters = []
    btot = model.background_templates.sum(axis=0)
    share = np.divide(model.background_templates, btot, out=np.zeros_like(model.background_templates), where=btot > 0)
    assert model.background_names is not None  # set by BinnedModel.__post_init__
    for j, comp in enumerate(model.background_names):
        tmpl = model.background_templates[j]
        sigma = model.activity_sigma[j]
        mods = []
        if np.isinf(sigma):
            mods.append({"name": names["norm"][j], "type": "normfactor", "data": None})
            parameters.append({"name": names["norm"][j], "bounds": [[0.0, float(norm_upper)]], "inits": [1.0]})
        elif sigma > 0:
            if activity_modifier == "normsys":
                if sigma >= 1:
                    raise InputError(
                        f"activity_sigma of {comp!r} is {sigma} >= 1: a normsys needs lo = 1 − σ > 0; "
                        "use activity_modifier='histosys'"
                    )
                mods.append({"name": names["norm"][j], "type": "normsys", "data": {"hi": 1 + sigma, "lo": 1 - sigma}})
            else:
                mods.append(
                    {
                        "name": names["norm"][j],
                        "type": "histosys",
                        "data": {"hi_data": tolist(tmpl * (1 + sigma)), "lo_data": tolist(tmpl * (1 - sigma))},
                    }
                )
        for k, name in enumerate(names["bsys"]):
            shift = model.background_shape_sys[k, j]
            if np.any(shift != 0):
                mods.append(
                    {
                        "name": name,
                        "type": "histosys",
                        "data": {"hi_data": tolist(tmpl + shift), "lo_data": tolist(tmpl - shift)},
                    }
                )
        if use_staterror:
            mods.append(
                {
                    "name": staterror_name,
                    "type": "staterror",
                    "data": tolist(np.sqrt(model.background_mc_stat_var * share[j])),
                }
            )
        samples.append({"name": comp, "data": tolist(tmpl), "modifiers": mods})

    if poi_bounds is None:
        cm = model.compiled
        scale = float(fit_variable_scale(cm, model.data[None, :], variance_base(cm, model.data[None, :]))[0])
        poi_bounds = (0.0, max(10.0, 50.0 * scale))
    parameters.insert(0, {"name": poi_name, "bounds": [[float(poi_bounds[0]), float(poi_bounds[1])]], "inits": [1.0]})
    return {
        "channels": [{"name": channel_name, "samples": samples}],
        "observations": [{"name": channel_name, "data": tolist(model.data)}],
        "measurements": [
            {
                "name": measurement_label(measurement_name, metadata),
                "config": {"poi": poi_name, "parameters": parameters},
            }
        ],
        "version": "1.0.0",
    }


def to_pyhf_model(
    model: BinnedModel,
    measurement_name: str = "exonu",
    poi_name: str = "mu",
    *,
    modifier_settings: dict[str, Any] | None = None,
    **kwargs: Any,
) -> tuple[pyhf.pdf.Model, list[float], pyhf.Workspace]:
    """Build the pyhf model and the data (observations + auxiliary data) for ``model``.

    Returns
    -------
    (pyhf.pdf.Model, list of float, pyhf.Workspace)
    """
    try:
        import pyhf
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise InputError("pyhf is not installed; install exonu[pyhf]") from exc
    spec = to_pyhf_workspace(model, measurement_name, poi_name, **kwargs)
    ws = pyhf.Workspace(spec)
    settings = {} if modifier_settings is None else {"modifier_settings": modifier_settings}
    pdf = ws.model(measurement_name=spec["measurements"][0]["name"], **settings)
    return pdf, ws.data(pdf), ws


# ------------------------------------------------------------------------------------------ metadata
def measurement_label(measurement_name: str, metadata: Mapping[str, Any] | None) -> str:
    """The measurement name, followed by :data:`METADATA_MARK` and ``metadata`` as JSON when given."""
    if metadata is None:
        return measurement_name
    try:
        text = json.dumps(dict(metadata), sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError(f"the pyhf export's metadata must be JSON-serialisable with finite numbers: {exc}") from None
    return f"{measurement_name} {METADATA_MARK}{text}"


def workspace_metadata(spec: Mapping[str, Any]) -> dict[str, Any]:
    """exonu's metadata of an exported workspace (the JSON dict, or a ``pyhf.Workspace``).

    Raises InputError when no measurement carries :data:`METADATA_MARK` (not an exonu export, or one
    written without metadata).
    """
    for measurement in spec.get("measurements", []):
        name = str(measurement.get("name", ""))
        if METADATA_MARK in name:
            try:
                found = json.loads(name.split(METADATA_MARK, 1)[1])
            except json.JSONDecodeError as exc:
                raise InputError(f"the exonu metadata in measurement {name[:40]!r}… is not valid JSON: {exc}") from None
            if not isinstance(found, dict):
                raise InputError("the exonu metadata of the workspace must be a JSON object")
            return found
    raise InputError(f"the workspace has no exonu metadata (no measurement name contains {METADATA_MARK.strip()!r})")


def poi_to_physical(metadata: Mapping[str, Any], poi_value: ArrayLike) -> np.ndarray:
    """The physical parameter x of a POI value: POI = (x / reference)^power, so x = reference · POI^(1/power).

    ``metadata`` is :func:`workspace_metadata`'s dict (keys ``reference`` and ``power``); ``poi_value`` ≥ 0.
    """
    try:
        reference, power = float(metadata["reference"]), float(metadata["power"])
    except (KeyError, TypeError, ValueError):
        raise InputError("the workspace metadata needs numeric 'reference' and 'power' to convert the POI") from None
    mu = np.asarray(poi_value, dtype=float)
    if np.any(mu < 0) or not (np.isfinite(reference) and power > 0):
        raise InputError(
            f"cannot convert POI {mu} with reference {reference} and power {power}: need POI ≥ 0, power > 0"
        )
    return np.asarray(reference * mu ** (1.0 / power), dtype=float)
