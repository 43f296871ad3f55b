"""Compatibility shim: the figures moved to :mod:`exonu.output.figures`."""

from .output.figures import *  # noqa: F403
from .output.figures import (  # noqa: F401
    FIG1_MODELS,
    MILLICHARGE_REFERENCES,
    background_systematic_fraction,
    plot_background,
    plot_dark_photon_limits,
    plot_fit,
    plot_millicharge_limits,
    plot_signal_spectra,
)
