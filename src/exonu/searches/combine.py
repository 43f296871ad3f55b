"""Combining unitless models of several detectors into one :class:`~exonu.stats.BinnedModel`.

Bins are concatenated; a parameter with the same name in several detectors is one parameter when it
is shared, otherwise it is prefixed with the detector's name (``"xmass-i/c14"``). This is how
HistFactory combines channels (Cranmer et al., CERN-OPEN-2012-016, §2). What is shared, and why, is
decided by :func:`exonu.searches.joint.build_joint_model`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np

from ..errors import InputError
from ..stats import BinnedModel

__all__ = ["SEPARATOR", "combine_models", "filled_names", "local_parameter_names"]

#: Pulls in :attr:`BinnedModel.nuisance_names` start with one of these: normalisation, background / signal systematic
_KINDS = ("p_", "q_", "r_")
#: Separator between a detector's name and a detector-specific parameter's name in the joint model
SEPARATOR = "/"


# ------------------------------------------------------------------------------------------------
# combining unitless models
# ------------------------------------------------------------------------------------------------
def _joint_names(
    local: Mapping[str, Sequence[str]], prefix: str, shared: set[str] | str
) -> tuple[list[str], dict[str, np.ndarray]]:
    """Joint parameter names of one kind (p, q or r) and, per detector, the joint index of each local one.

    A local name ``n`` is shared when ``shared == "all"`` or ``prefix + n`` is in ``shared``; a shared
    name appears once, unprefixed; others become ``"<detector>/<n>"``.
    """
    names: list[str] = []
    index: dict[str, np.ndarray] = {}
    for det, local_names in local.items():
        idx = []
        for n in local_names:
            joint = n if (shared == "all" or prefix + n in shared) else f"{det}{SEPARATOR}{n}"
            if joint not in names:
                names.append(joint)
            idx.append(names.index(joint))
        index[det] = np.array(idx, dtype=int)
    return names, index


def combine_models(
    models: Mapping[str, BinnedModel], shared: Collection[str] | str = (), poi_name: str | None = None
) -> tuple[BinnedModel, dict[str, slice]]:
    """One :class:`BinnedModel` from several detectors' models, bins concatenated, shared pulls merged.

    Parameters
    ----------
    models : mapping detector name → BinnedModel
        Each detector's model, all with the same signal powers and the same reference value of the
        physical parameter (so that α means the same thing in every detector).
    shared : "all" or collection of str
        Parameters to share, in :attr:`BinnedModel.nuisance_names` form (``"p_pp"``, ``"r_solar_flux_pp"``);
        ``"all"`` shares every name that several detectors have.
    poi_name : str, optional
        Name of α in summaries (default: the first model's).

    Returns
    -------
    model : BinnedModel
        Counts, templates and shifts of every detector side by side. A detector-specific parameter
        has zero templates/shifts in the other detectors' bins.
    bins : dict detector name → slice
        Where each detector's bins are in the joint model.

    Raises
    ------
    InputError
        No model, different signal powers, a shared component with different activity constraints in
        two detectors, or a shared name that fewer than two detectors have.
    """
    if not isinstance(models, Mapping) or not all(isinstance(m, BinnedModel) for m in models.values()):
        raise InputError(f"models must be a mapping detector name → BinnedModel; got {type(models).__name__}")
    if not models:
        raise InputError("a joint fit needs at least one detector model")
    if isinstance(shared, str) and shared != "all":
        raise InputError(f"shared must be 'all' or a collection of parameter names; got {shared!r}")
    dets = list(models)
    first = models[dets[0]]
    for det in dets[1:]:
        if not np.array_equal(models[det].signal_powers, first.signal_powers):
            raise InputError(
                f"detector {det!r} has signal powers {models[det].signal_powers.tolist()}, "
                f"{dets[0]!r} has {first.signal_powers.tolist()}: not the same signal model"
            )
    if shared != "all":
        shared = set(shared)
        for name in sorted(shared):
            if not name.startswith(_KINDS):
                raise InputError(
                    f"shared parameter {name!r} must start with 'p_', 'q_' or 'r_' (BinnedModel.nuisance_names form)"
                )
            n_with = sum(name in local_parameter_names(m) for m in models.values())
            if n_with < 2:
                raise InputError(
                    f"shared parameter {name!r} is in {n_with} of the detectors {dets}; "
                    "sharing needs it in at least two"
                )

    sizes = [models[d].n_bins for d in dets]
    starts = np.concatenate([[0], np.cumsum(sizes)])
    bins = {d: slice(int(starts[i]), int(starts[i + 1])) for i, d in enumerate(dets)}
    n_bins = int(starts[-1])

    comp_names, comp_idx = _joint_names({d: filled_names(models[d].background_names) for d in dets}, "p_", shared)
    bsys_names, bsys_idx = _joint_names({d: filled_names(models[d].background_sys_names) for d in dets}, "q_", shared)
    ssys_names, ssys_idx = _joint_names({d: filled_names(models[d].signal_sys_names) for d in dets}, "r_", shared)

    bkg = np.zeros((len(comp_names), n_bins))
    bsys = np.zeros((len(bsys_names), len(comp_names), n_bins))
    ssys = np.zeros((len(ssys_names), n_bins))
    # per-parameter values a shared parameter must agree on: constraint σ and pull centres (aux)
    sigma, aux_p = np.full(len(comp_names), np.nan), np.full(len(comp_names), np.nan)
    aux_q, aux_r = np.full(len(bsys_names), np.nan), np.full(len(ssys_names), np.nan)
    for d in dets:
        m, sl, jj = models[d], bins[d], comp_idx[d]
        bkg[jj, sl] = m.background_templates
        bsys[bsys_idx[d][:, None], jj[None, :], sl] = m.background_shape_sys
        ssys[ssys_idx[d], sl] = m.signal_shape_sys
        for target, idx, values, names, what in (
            (sigma, jj, m.activity_sigma, comp_names, "activity σ"),
            (aux_p, jj, m.aux_activity, comp_names, "auxiliary value"),
            (aux_q, bsys_idx[d], m.aux_bkg_sys, bsys_names, "auxiliary value"),
            (aux_r, ssys_idx[d], m.aux_sig_sys, ssys_names, "auxiliary value"),
        ):
            _put_agreeing(target, idx, values, names, what, d)
    response: dict[int, str] = {}  # how each joint signal systematic scales the signal (linear or log-normal)
    for d in dets:
        for k, kind in zip(ssys_idx[d], models[d].signal_sys_response or (), strict=True):
            if response.setdefault(int(k), kind) != kind:
                raise InputError(f"shared parameter {ssys_names[k]!r} is linear in one detector, log-normal in another")
    model = BinnedModel(
        data=np.concatenate([models[d].data for d in dets]),
        background_templates=bkg,
        activity_sigma=sigma,
        background_names=comp_names,
        background_shape_sys=bsys,
        background_sys_names=bsys_names,
        signal_templates=np.hstack([models[d].signal_templates for d in dets]),
        signal_powers=first.signal_powers,
        signal_shape_sys=ssys,
        signal_sys_names=ssys_names,
        background_mc_stat_var=np.concatenate([models[d].background_mc_stat_var for d in dets]),
        signal_mc_stat_var=np.concatenate([models[d].signal_mc_stat_var for d in dets]),
        poi_name=poi_name or first.poi_name,
        aux_activity=aux_p,
        aux_bkg_sys=aux_q,
        aux_sig_sys=aux_r,
        signal_sys_response=[response.get(k, "linear") for k in range(len(ssys_names))],
    )
    return model, bins


def _put_agreeing(
    target: np.ndarray, idx: np.ndarray, values: np.ndarray, names: Sequence[str], what: str, detector: str
) -> None:
    """``target[idx] = values``, refusing to overwrite a shared parameter's value with a different one."""
    seen = ~np.isnan(target[idx])
    clash = seen & ~np.isclose(target[idx], values, rtol=1e-9, atol=0.0)
    if np.any(clash):
        j = int(np.flatnonzero(clash)[0])
        raise InputError(
            f"shared parameter {names[idx[j]]!r} has {what} {values[j]:.6g} in {detector!r} but "
            f"{target[idx[j]]:.6g} in another detector; a shared parameter needs one value "
            "(do not share it)"
        )
    target[idx] = values


def filled_names(names: Sequence[str] | None) -> tuple[str, ...]:
    """A name list of a BinnedModel: typed optional as a constructor argument, always filled after it."""
    assert names is not None  # BinnedModel.__post_init__ fills every name list
    return tuple(names)


def local_parameter_names(model: BinnedModel) -> set[str]:
    """Every parameter name of one model in nuisance-name form, fixed components included."""
    return (
        {f"p_{n}" for n in filled_names(model.background_names)}
        | {f"q_{n}" for n in filled_names(model.background_sys_names)}
        | {f"r_{n}" for n in filled_names(model.signal_sys_names)}
    )
