"""The detector-config schema (TOML, validated with pydantic in strict mode) and its JSON Schema export.

Units are in the key names (``fiducial_mass_kg``, ``width_kev``). Unknown keys are refused, TOML types are
taken as written (a quoted number or a boolean given for a number is an error), numbers must be finite
unless a key says otherwise (``activity_sigma = inf`` frees a component). Every key is documented with an
example in ``docs/configuration.md``; :func:`json_schema` is what ``exonu config-schema`` prints.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Final, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..constants import DAYS_PER_YEAR, KG_PER_TONNE

__all__ = ["SCHEMA_VERSION", "DetectorCfg", "RateUnit", "json_schema"]

#: the version of the schema this exonu reads; configs state it as ``schema_version``
SCHEMA_VERSION: Final = 1

#: smallest exposure accepted (1 g·day): anything less is a unit mistake, and would give empty templates
MIN_EXPOSURE_KG_DAY = 1e-3
#: largest exposure accepted (1e10 kg·day ≈ 27 000 tonne·year, far beyond any planned xenon detector):
#: anything more is a unit mistake, and would overflow the Poisson toys
MAX_EXPOSURE_KG_DAY = 1e10

Finite = Annotated[float, Field(allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Column = Annotated[int, Field(ge=0, le=10_000)]
#: rate units a published table or data file may use (meanings and conversions: :mod:`exonu.config.tables`)
RateUnit = Literal["per_tonne_year_kev", "per_kg_day_kev", "counts_per_kev", "counts_per_bin"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ExposureCfg(_Strict):
    """Give ``fiducial_mass_kg`` and ``livetime_days``, or ``exposure_tonne_year``, or ``exposure_kg_day``."""

    fiducial_mass_kg: Positive | None = None
    livetime_days: Positive | None = None
    exposure_tonne_year: Positive | None = None
    exposure_kg_day: Positive | None = None

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        ways = [
            self.fiducial_mass_kg is not None and self.livetime_days is not None,
            self.exposure_tonne_year is not None,
            self.exposure_kg_day is not None,
        ]
        if sum(ways) != 1 or ((self.fiducial_mass_kg is None) != (self.livetime_days is None)):
            raise ValueError(
                "give exactly one of: fiducial_mass_kg + livetime_days, exposure_tonne_year, exposure_kg_day"
            )
        if not self.kg_day() >= MIN_EXPOSURE_KG_DAY:
            raise ValueError(
                f"the exposure is {self.kg_day():.3g} kg·day; below {MIN_EXPOSURE_KG_DAY:g} kg·day no "
                "signal or background could be counted (check the unit)"
            )
        if not self.kg_day() <= MAX_EXPOSURE_KG_DAY:
            raise ValueError(
                f"the exposure is {self.kg_day():.3g} kg·day; above {MAX_EXPOSURE_KG_DAY:g} kg·day "
                "(≈ 27 000 tonne·year) it is not a detector's (check the unit)"
            )
        return self

    def kg_day(self) -> float:
        """The exposure in kg·day (the one exposure every conversion uses)."""
        if self.exposure_kg_day is not None:
            return self.exposure_kg_day
        if self.exposure_tonne_year is not None:
            return self.exposure_tonne_year * KG_PER_TONNE * DAYS_PER_YEAR
        # _one_way guarantees both are given when neither total exposure is
        assert self.fiducial_mass_kg is not None and self.livetime_days is not None
        return self.fiducial_mass_kg * self.livetime_days


class QuadratureResolutionCfg(_Strict):
    model: Literal["quadrature", "linear"]
    a_sqrt_kev: float = Field(ge=0, le=10, allow_inf_nan=False)  # σ(1 keV) ≤ 10 keV: beyond that nothing is resolved
    b: float = Field(0.0, ge=0, le=10, allow_inf_nan=False)
    c_kev: float = Field(0.0, ge=0, le=1000, allow_inf_nan=False)
    source: str = ""


class TableResolutionCfg(_Strict):
    model: Literal["table"]
    table: str
    energy_column: Column = 0
    sigma_kev_column: Column = 1
    extend: Literal["none", "flat"] = "none"
    source: str = ""


class LogisticEfficiencyCfg(_Strict):
    model: Literal["logistic"]
    plateau: float = Field(gt=0, le=1, allow_inf_nan=False)
    e50_kev: NonNegative
    width_kev: float = Field(ge=1e-3, le=1e3, allow_inf_nan=False)
    e50_uncertainty_kev: NonNegative = 0.0
    source: str = ""


class TableEfficiencyCfg(_Strict):
    model: Literal["table"]
    table: str
    energy_column: Column = 0
    efficiency_column: Column = 1
    upper_uncertainty_column: Column | None = None
    lower_uncertainty_column: Column | None = None
    extend: Literal["none", "flat"] = "none"
    source: str = ""


class ConstantEfficiencyCfg(_Strict):
    model: Literal["constant"]
    value: float = Field(gt=0, le=1, allow_inf_nan=False)
    uncertainty: NonNegative = 0.0
    source: str = ""


class EnergyScaleCfg(_Strict):
    nonlinearity_energy_kev: list[Finite] | None = None
    nonlinearity_ratio: list[Finite] | None = None
    uncertainty_energy_kev: list[Finite] | None = None
    uncertainty_up_fraction: list[Finite] | None = None
    uncertainty_down_fraction: list[Finite] | None = None
    source: str = ""


class ResponseCfg(_Strict):
    threshold_kev: NonNegative = 1.0
    efficiency_on: Literal["reconstructed", "true"] = "reconstructed"
    grid_step_kev: float = Field(0.05, ge=1e-3, le=1, allow_inf_nan=False)
    resolution_uncertainty_fraction: float = Field(0.10, ge=0, lt=1, allow_inf_nan=False)
    resolution: Annotated[QuadratureResolutionCfg | TableResolutionCfg, Field(discriminator="model")]
    efficiency: Annotated[
        LogisticEfficiencyCfg | TableEfficiencyCfg | ConstantEfficiencyCfg, Field(discriminator="model")
    ]
    energy_scale: EnergyScaleCfg = EnergyScaleCfg()


class WindowCfg(_Strict):
    """Either ``low_kev``, ``high_kev``, ``width_kev`` or explicit ``edges_kev``."""

    low_kev: NonNegative | None = None
    high_kev: Positive | None = None
    width_kev: float | None = Field(None, ge=1e-3, allow_inf_nan=False)
    edges_kev: list[Finite] | None = Field(None, max_length=10_001)
    description: str = ""

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        rng = (self.low_kev, self.high_kev, self.width_kev)
        if (self.edges_kev is None) == all(v is None for v in rng) or (
            self.edges_kev is None and any(v is None for v in rng)
        ):
            raise ValueError("give either edges_kev, or all of low_kev, high_kev and width_kev")
        return self


class _ComponentBase(_Strict):
    name: str = Field(min_length=1)
    label: str = ""
    group: Literal["surface", "internal", "solar", "total", "other"] = "internal"
    activity_sigma: float = Field(ge=0)  # relative; inf = unconstrained (TOML: inf); NaN fails ge
    free_in_searches: list[Literal["millicharge", "magnetic-moment", "dark-photon"]] = []
    description: str = ""


class BetaCfg(_ComponentBase):
    kind: Literal["beta"]
    q_kev: Positive
    daughter_z: int = Field(ge=1, le=120)
    mass_number: int = Field(ge=1, le=300)
    forbiddenness: Literal["allowed", "unique_first"] = "allowed"
    decays_per_kg_day: NonNegative
    branching: float = Field(1.0, gt=0, le=1)
    shift_kev: NonNegative = 0.0


class DoubleBetaCfg(_ComponentBase):
    kind: Literal["double_beta"]
    q_kev: Positive
    decays_per_kg_day: NonNegative


class LineCfg(_ComponentBase):
    kind: Literal["line"]
    energy_kev: Positive
    decays_per_kg_day: NonNegative
    branching: float = Field(1.0, gt=0, le=1)


class EmpiricalCfg(_ComponentBase):
    """Shape after selection in reconstructed energy: A·exp(−(E − pivot)/decay) (+ flat) [× ε(E)]."""

    kind: Literal["empirical"]
    decay_kev: Positive
    pivot_kev: Finite = 0.0
    rate_per_kg_day_kev: NonNegative | None = None
    flat_rate_per_kg_day_kev: NonNegative = 0.0
    anchor_share: float | None = Field(None, gt=0, le=1)
    multiply_by_efficiency: bool = True

    @model_validator(mode="after")
    def _amplitude(self) -> Self:
        if (self.rate_per_kg_day_kev is None) == (self.anchor_share is None):
            raise ValueError("give exactly one of rate_per_kg_day_kev or anchor_share")
        return self


class TableComponentCfg(_ComponentBase):
    """A published spectrum: which shape the table has, its unit, and whether efficiency is applied."""

    kind: Literal["table"]
    table: str
    shape: Literal["points", "histogram"]
    energy_column: Column = 0
    high_edge_column: Column | None = None
    bin_width_kev: Positive | None = None
    rate_column: Column = 1
    rate_unit: RateUnit
    efficiency: Literal["before_efficiency", "after_efficiency"]
    extend: Literal["none", "flat"] = "none"
    includes_solar_sm: bool = False

    @model_validator(mode="after")
    def _shape_keys(self) -> Self:
        if self.shape == "points" and (self.high_edge_column is not None or self.bin_width_kev is not None):
            raise ValueError("high_edge_column and bin_width_kev describe histograms; this table has shape 'points'")
        if self.high_edge_column is not None and self.bin_width_kev is not None:
            raise ValueError("give either high_edge_column (bins by edges) or bin_width_kev (bins by centres)")
        if self.rate_unit == "counts_per_bin" and self.shape != "histogram":
            raise ValueError("rate_unit 'counts_per_bin' needs shape 'histogram' (the bins define the widths)")
        return self


class SolarSMCfg(_ComponentBase):
    kind: Literal["solar_sm"]
    activity_sigma: float = Field(0.0, ge=0)  # replaced by the share-weighted flux σ if flux_relative_uncertainty
    flux_relative_uncertainty: dict[str, NonNegative] = {}


ComponentCfg = Annotated[
    BetaCfg | DoubleBetaCfg | LineCfg | EmpiricalCfg | TableComponentCfg | SolarSMCfg, Field(discriminator="kind")
]


class AnchorCfg(_Strict):
    energy_kev: Positive
    half_width_kev: Positive = 0.5
    rate_per_kg_day_kev: Positive
    source: str = ""


class CorrectionCfg(_Strict):
    name: str = Field(min_length=1)
    applies_to: list[str] = Field(min_length=1)
    region_edges_kev: list[Finite]
    factors: list[Finite]
    uncertainties: list[NonNegative]
    description: str = ""


class ShapeSysCfg(_Strict):
    """Fractional shape systematic on some components: ``form="log_slope"`` δ = fraction·log10(E/pivot);
    ``form="flat"`` δ = fraction for low_kev ≤ E < high_kev."""

    name: str = Field(min_length=1)
    applies_to: list[str] = Field(min_length=1)
    form: Literal["log_slope", "flat"]
    fraction: Finite
    pivot_kev: Positive = 1.0
    low_kev: NonNegative = 0.0
    high_kev: float = Field(math.inf, gt=0)
    description: str = ""


class BackgroundCfg(_Strict):
    includes_solar_sm: bool = False
    components: list[ComponentCfg] = Field(min_length=1)
    anchor: AnchorCfg | None = None
    corrections: list[CorrectionCfg] = []
    shape_systematics: list[ShapeSysCfg] = []


class RegionSysCfg(_Strict):
    name: str = Field(min_length=1)
    region_edges_kev: list[Finite]
    fractions: list[NonNegative]
    description: str = ""


class SignalSysCfg(_Strict):
    response: dict[str, str] = {}  # response systematic -> name used in the fit
    solar_flux: dict[str, NonNegative] = {}  # source -> relative 1σ flux uncertainty
    regions: list[RegionSysCfg] = []


class AtomicCfg(_Strict):
    """The atomic treatment of the signal (docs/physics.md §18): model per signal and the atomic nuisance."""

    models: dict[str, str] = {}  # signal model -> atomic model name ("steps", "steps-dirac-fock", "steps+epa", …)
    ratio_tables: dict[str, str] = {}  # signal model -> ratio table file (model "ratio-table"), relative to the TOML
    uncertainty: Literal["default", "off"] = "default"  # the fit nuisance "atomic": documented table, or none
    uncertainty_scale: NonNegative = 1.0  # multiplies the documented table


class DataCfg(_Strict):
    file: str
    format: Literal["binned_counts", "binned_rate", "events", "unbinned", "exonu"]
    energy_column: Column = 0
    value_column: Column = 1
    uncertainty_column: Column | None = None
    rate_unit: RateUnit | None = None
    #: measured data are counts; set true for weighted or unfolded spectra (then treated as given)
    allow_non_integer_counts: bool = False
    description: str = ""


class PublishedCfg(_Strict):
    """A collaboration's published result that exonu's result for ``search`` is compared with."""

    search: str = Field(min_length=1)
    value: Positive
    lower: Positive | None = None
    unit: str = Field(min_length=1)
    cl: float = Field(gt=0, lt=1)
    method: str = Field(min_length=1)
    source: str = Field(min_length=1)
    mass_mev: Positive | None = None


class DetectorCfg(_Strict):
    schema_version: Literal[1] = SCHEMA_VERSION
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    is_reconstruction: bool
    references: list[str] = []
    exposure: ExposureCfg
    response: ResponseCfg
    windows: dict[str, WindowCfg] = Field(min_length=1)
    background: BackgroundCfg
    signal_systematics: SignalSysCfg = SignalSysCfg()
    atomic: AtomicCfg = AtomicCfg()
    data: dict[str, DataCfg] = {}
    published: list[PublishedCfg] = []
    #: the fit statistic used for this detector unless a command asks for another: the paper's "chi2"
    #: (Eqs. 4–7) or "poisson" (unbiased where bins hold few counts)
    statistic: Literal["chi2", "poisson"] = "chi2"


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a detector config (what ``exonu config-schema`` prints)."""
    schema: dict[str, Any] = _json_safe(DetectorCfg.model_json_schema())
    schema["title"] = f"exonu detector config, schema_version {SCHEMA_VERSION}"
    return schema


def _json_safe(node: Any) -> Any:
    """Infinite defaults (``high_kev = inf``) as the TOML spelling ``"inf"``: JSON has no infinity."""
    if isinstance(node, dict):
        return {k: _json_safe(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_json_safe(v) for v in node]
    if isinstance(node, float) and not math.isfinite(node):
        return "inf" if node > 0 else "-inf"
    return node
