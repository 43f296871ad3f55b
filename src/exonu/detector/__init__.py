"""What a detector is: Eq. (3) of arXiv:2005.11891 and the backgrounds, as plain typed objects.

* :mod:`.binning` — reconstructed-energy bins;
* :mod:`.response` — energy scale, threshold, resolution, efficiency, exposure → response matrix;
* :mod:`.tabulated` — published tables (points or histogram) integrated exactly over bins;
* :mod:`.spectra` — β⁻ and 2νββ spectral shapes;
* :mod:`.backgrounds` — one frozen class per background kind, region corrections, the per-window model;
* :mod:`.setup` — the containers a search receives (:class:`DetectorSetup`, :class:`WindowSetup`, …);
* :mod:`.pseudodata` — Fisher sensitivity estimate, Asimov and Poisson pseudo-data.

Nothing here imports config types; :mod:`exonu.config` builds these objects from TOML.
"""

from .backgrounds import (COMPONENT_GROUPS, SEARCH_MODELS, BackgroundComponent, BackgroundModel, BetaComponent,
                          DoubleBetaComponent, EmpiricalComponent, LineComponent, RegionCorrection,
                          SolarSMComponent, TableComponent, integrate_over_bins, overlap_fractions, solar_sm_rate)
from .binning import Binning
from .pseudodata import asimov_data, fisher_sigma_alpha, simulate_data
from .response import (EXTEND_MODES, RESPONSE_SYSTEMATICS, ConstantEfficiency, DetectorModel, Efficiency,
                       EnergyScale, LogisticEfficiency, ParametricResolution, Resolution, Response, TableEfficiency,
                       TableResolution)
from .setup import DetectorSetup, Dataset, PublishedValue, RegionSystematic, SignalSystematics, WindowSetup
from .spectra import beta_spectrum_pdf, double_beta_summed_pdf, fermi_function
from .tabulated import TABLE_SHAPES, TabulatedSpectrum, histogram_edges_from_centres

__all__ = [
    "Binning", "Resolution", "Efficiency", "ParametricResolution", "TableResolution", "ConstantEfficiency", "LogisticEfficiency",
    "TableEfficiency", "EnergyScale", "DetectorModel", "Response", "RESPONSE_SYSTEMATICS", "EXTEND_MODES",
    "TabulatedSpectrum", "TABLE_SHAPES", "histogram_edges_from_centres",
    "fermi_function", "beta_spectrum_pdf", "double_beta_summed_pdf",
    "SEARCH_MODELS", "COMPONENT_GROUPS", "BackgroundComponent", "BetaComponent", "DoubleBetaComponent",
    "LineComponent", "EmpiricalComponent", "TableComponent", "SolarSMComponent", "RegionCorrection",
    "BackgroundModel", "integrate_over_bins", "overlap_fractions", "solar_sm_rate",
    "Dataset", "SignalSystematics", "RegionSystematic", "WindowSetup", "PublishedValue", "DetectorSetup",
    "fisher_sigma_alpha", "asimov_data", "simulate_data",
]
