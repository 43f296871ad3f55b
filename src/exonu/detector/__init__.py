"""What a detector is: Eq. (3) of arXiv:2005.11891 and the backgrounds, as plain typed objects.

* :mod:`.binning` — reconstructed-energy bins;
* :mod:`.properties` — energy scale, resolution, efficiency (and the table helpers they share);
* :mod:`.response` — those, threshold and exposure → response matrix;
* :mod:`.tabulated` — published tables (points or histogram) integrated exactly over bins;
* :mod:`.spectra` — β⁻ and 2νββ spectral shapes;
* :mod:`.backgrounds` — one frozen class per background kind, region corrections, the per-window model;
* :mod:`.setup` — the containers a search receives (:class:`DetectorSetup`, :class:`WindowSetup`, …);
* :mod:`.pseudodata` — Fisher sensitivity estimate, Asimov and Poisson pseudo-data.

Nothing here imports config types; :mod:`exonu.config` builds these objects from TOML.
"""

from .backgrounds import (
    COMPONENT_GROUPS,
    SEARCH_MODELS,
    BackgroundComponent,
    BackgroundModel,
    BetaComponent,
    DoubleBetaComponent,
    EmpiricalComponent,
    LineComponent,
    RegionCorrection,
    SolarSMComponent,
    TableComponent,
    integrate_over_bins,
    overlap_fractions,
    solar_sm_rate,
)
from .binning import Binning
from .properties import (
    EXTEND_MODES,
    ConstantEfficiency,
    Efficiency,
    EnergyScale,
    LogisticEfficiency,
    ParametricResolution,
    Resolution,
    TableEfficiency,
    TableResolution,
)
from .pseudodata import asimov_data, fisher_sigma_alpha, simulate_data
from .response import RESPONSE_SYSTEMATICS, DetectorModel, Response
from .setup import Dataset, DetectorSetup, PublishedValue, RegionSystematic, SignalSystematics, WindowSetup
from .spectra import beta_spectrum_pdf, double_beta_summed_pdf, fermi_function
from .tabulated import TABLE_SHAPES, TabulatedSpectrum, histogram_edges_from_centres

__all__ = [
    "COMPONENT_GROUPS",
    "EXTEND_MODES",
    "RESPONSE_SYSTEMATICS",
    "SEARCH_MODELS",
    "TABLE_SHAPES",
    "BackgroundComponent",
    "BackgroundModel",
    "BetaComponent",
    "Binning",
    "ConstantEfficiency",
    "Dataset",
    "DetectorModel",
    "DetectorSetup",
    "DoubleBetaComponent",
    "Efficiency",
    "EmpiricalComponent",
    "EnergyScale",
    "LineComponent",
    "LogisticEfficiency",
    "ParametricResolution",
    "PublishedValue",
    "RegionCorrection",
    "RegionSystematic",
    "Resolution",
    "Response",
    "SignalSystematics",
    "SolarSMComponent",
    "TableComponent",
    "TableEfficiency",
    "TableResolution",
    "TabulatedSpectrum",
    "WindowSetup",
    "asimov_data",
    "beta_spectrum_pdf",
    "double_beta_summed_pdf",
    "fermi_function",
    "fisher_sigma_alpha",
    "histogram_edges_from_centres",
    "integrate_over_bins",
    "overlap_fractions",
    "simulate_data",
    "solar_sm_rate",
]
