"""Compatibility shim: the background model now lives in :mod:`exonu.detector` (backgrounds, spectra,
pseudodata). Import from there in new code."""

from .detector.backgrounds import (
    BackgroundComponent,
    BackgroundModel,
    RegionCorrection,
    integrate_over_bins,
    solar_sm_rate,
)
from .detector.pseudodata import asimov_data, fisher_sigma_alpha, simulate_data
from .detector.spectra import beta_spectrum_pdf, double_beta_summed_pdf, fermi_function

__all__ = [
    "BackgroundComponent",
    "BackgroundModel",
    "RegionCorrection",
    "asimov_data",
    "beta_spectrum_pdf",
    "double_beta_summed_pdf",
    "fermi_function",
    "fisher_sigma_alpha",
    "integrate_over_bins",
    "simulate_data",
    "solar_sm_rate",
]
