"""The parts of a detector built from its validated config: the response model (resolution, efficiency,
energy scale, exposure), one typed background component per ``[[background.components]]`` entry, and the
data-driven region corrections. Tables are read here; units are converted by :mod:`.tables`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import numpy as np

from ..detector import (
    BackgroundComponent,
    BetaComponent,
    ConstantEfficiency,
    DetectorModel,
    DoubleBetaComponent,
    Efficiency,
    EmpiricalComponent,
    EnergyScale,
    LineComponent,
    LogisticEfficiency,
    ParametricResolution,
    RegionCorrection,
    Resolution,
    SolarSMComponent,
    TableComponent,
    TableEfficiency,
    TableResolution,
)
from ..errors import ConfigError, ExonuError
from .schema import DetectorCfg
from .tables import read_table, read_tabulated_spectrum

__all__ = ["build_components", "build_corrections", "build_detector_model", "with_config_key"]

_P = ParamSpec("_P")
_T = TypeVar("_T")


# ------------------------------------------------------------------------------------------------
# building objects
# ------------------------------------------------------------------------------------------------
def with_config_key(key: str, path: Path, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """Call a constructor and re-raise its ExonuError as ConfigError naming the file and key."""
    try:
        return fn(*args, **kwargs)
    except ExonuError as exc:
        msg = str(exc)
        raise ConfigError(msg if msg.startswith(str(path)) else f"{path}: key '{key}': {msg}") from None


def _extend_note(key: str, file: Path, e: np.ndarray, y: np.ndarray) -> str:
    return (
        f'{key}: {file.name} covers {e[0]:g}–{e[-1]:g} keV; held flat beyond it (extend = "flat": '
        f"{y[0]:g} below, {y[-1]:g} above)"
    )


def build_detector_model(cfg: DetectorCfg, path: Path, extrapolations: list[str]) -> DetectorModel:
    """The response model of ``[response]`` and ``[exposure]`` (tables read; each ``extend = "flat"`` noted
    in ``extrapolations``)."""
    base = path.parent
    r = cfg.response
    res = r.resolution
    resolution: Resolution
    if res.model == "table":
        key = "response.resolution.table"
        e, s = read_table(base / res.table, f"{path}: key '{key}'", [res.energy_column, res.sigma_kev_column])
        resolution = with_config_key(
            "response.resolution", path, TableResolution, tuple(e), tuple(s), str(base / res.table), extend=res.extend
        )
        if res.extend == "flat":
            extrapolations.append(_extend_note(key, base / res.table, e, s))
    else:
        resolution = with_config_key(
            "response.resolution", path, ParametricResolution, res.a_sqrt_kev, res.b, res.c_kev, res.model
        )
    eff = r.efficiency
    efficiency: Efficiency
    if eff.model == "table":
        key = "response.efficiency.table"
        cols = [eff.energy_column, eff.efficiency_column]
        upper_col, lower_col = eff.upper_uncertainty_column, eff.lower_uncertainty_column
        has_band = upper_col is not None and lower_col is not None
        if (upper_col is None) != (lower_col is None):
            raise ConfigError(
                f"{path}: key 'response.efficiency': give both upper_uncertainty_column and "
                "lower_uncertainty_column, or neither"
            )
        if upper_col is not None and lower_col is not None:
            cols += [upper_col, lower_col]
        arrs = read_table(base / eff.table, f"{path}: key '{key}'", cols)
        upper, lower = (tuple(arrs[2]), tuple(arrs[3])) if has_band else (None, None)
        efficiency = with_config_key(
            key,
            path,
            TableEfficiency,
            tuple(arrs[0]),
            tuple(arrs[1]),
            upper,
            lower,
            source=str(base / eff.table),
            extend=eff.extend,
        )
        if eff.extend == "flat":
            extrapolations.append(_extend_note(key, base / eff.table, arrs[0], arrs[1]))
    elif eff.model == "logistic":
        efficiency = with_config_key(
            "response.efficiency",
            path,
            LogisticEfficiency,
            eff.plateau,
            eff.e50_kev,
            eff.width_kev,
            eff.e50_uncertainty_kev,
        )
    else:
        efficiency = with_config_key("response.efficiency", path, ConstantEfficiency, eff.value, eff.uncertainty)
    es = r.energy_scale

    def as_tuple(v: Sequence[float] | None) -> tuple[float, ...] | None:
        return None if v is None else tuple(v)

    scale = with_config_key(
        "response.energy_scale",
        path,
        EnergyScale,
        as_tuple(es.nonlinearity_energy_kev),
        as_tuple(es.nonlinearity_ratio),
        as_tuple(es.uncertainty_energy_kev),
        as_tuple(es.uncertainty_up_fraction),
        as_tuple(es.uncertainty_down_fraction),
        source=f"{path}: response.energy_scale",
    )
    return with_config_key(
        "response",
        path,
        DetectorModel,
        cfg.exposure.kg_day(),
        resolution,
        efficiency,
        scale,
        threshold_kev=r.threshold_kev,
        efficiency_on=r.efficiency_on,
        grid_step_kev=r.grid_step_kev,
        resolution_uncertainty=r.resolution_uncertainty_fraction,
        description=cfg.description,
    )


def build_components(
    cfg: DetectorCfg, path: Path, exposure_kg_day: float, extrapolations: list[str]
) -> list[BackgroundComponent]:
    """One typed component per config entry (tables read, units converted; anchored amplitudes = 1)."""
    out: list[BackgroundComponent] = []
    for i, c in enumerate(cfg.background.components):
        key = f"background.components[{i}]"
        comp: BackgroundComponent
        common: dict[str, Any] = dict(
            name=c.name,
            activity_sigma=float(c.activity_sigma),
            label=c.label or c.name,
            free_in_searches=tuple(c.free_in_searches),
            group=c.group,
            description=c.description,
        )
        if c.kind == "beta":
            comp = with_config_key(
                key,
                path,
                BetaComponent,
                q_kev=c.q_kev,
                daughter_z=c.daughter_z,
                mass_number=c.mass_number,
                decays_per_kg_day=c.decays_per_kg_day,
                forbiddenness=c.forbiddenness,
                branching=c.branching,
                shift_kev=c.shift_kev,
                **common,
            )
        elif c.kind == "double_beta":
            comp = with_config_key(
                key, path, DoubleBetaComponent, q_kev=c.q_kev, decays_per_kg_day=c.decays_per_kg_day, **common
            )
        elif c.kind == "line":
            comp = with_config_key(
                key,
                path,
                LineComponent,
                energy_kev=c.energy_kev,
                decays_per_kg_day=c.decays_per_kg_day,
                branching=c.branching,
                **common,
            )
        elif c.kind == "empirical":
            # an anchored amplitude starts at 1 and is fixed by the anchor (see anchored_components)
            # (the schema requires exactly one of rate_per_kg_day_kev and anchor_share)
            amplitude = c.rate_per_kg_day_kev if c.rate_per_kg_day_kev is not None else 1.0
            comp = with_config_key(
                key,
                path,
                EmpiricalComponent,
                decay_kev=c.decay_kev,
                rate_per_kg_day_kev=amplitude,
                pivot_kev=c.pivot_kev,
                flat_rate_per_kg_day_kev=c.flat_rate_per_kg_day_kev,
                multiply_by_efficiency=c.multiply_by_efficiency,
                **common,
            )
        elif c.kind == "table":
            file = path.parent / c.table
            table = read_tabulated_spectrum(
                file,
                f"{path}: key '{key}.table'",
                c.shape,
                c.energy_column,
                c.rate_column,
                c.rate_unit,
                exposure_kg_day,
                c.high_edge_column,
                c.bin_width_kev,
                c.extend,
            )
            if c.extend == "flat":
                extrapolations.append(
                    f"{key}.table: {file.name} covers {table.low_kev:g}–{table.high_kev:g} keV; "
                    'held flat beyond it (extend = "flat")'
                )
            comp = with_config_key(
                key,
                path,
                TableComponent,
                spectrum_table=table,
                efficiency_applied=(c.efficiency == "after_efficiency"),
                contains_solar_sm=c.includes_solar_sm,
                **common,
            )
        else:
            comp = with_config_key(
                key, path, SolarSMComponent, flux_relative_uncertainty=dict(c.flux_relative_uncertainty), **common
            )
        out.append(comp)
    return out


def build_corrections(cfg: DetectorCfg, path: Path) -> list[RegionCorrection]:
    """One :class:`RegionCorrection` per ``[[background.corrections]]`` entry."""
    return [
        with_config_key(
            f"background.corrections[{i}]",
            path,
            RegionCorrection,
            c.name,
            tuple(c.region_edges_kev),
            tuple(c.factors),
            tuple(c.uncertainties),
            tuple(c.applies_to),
            c.description,
        )
        for i, c in enumerate(cfg.background.corrections)
    ]
