"""exonu: exotic neutrino-electron interactions with solar neutrinos in liquid-xenon detectors.

The package follows the journey of the data (see README): solar fluxes (:mod:`exonu.flux`), flavour
content at Earth (:mod:`exonu.oscillation`), cross sections (:mod:`exonu.xsec`), xenon atomic effects
(:mod:`exonu.atomic`), the differential rate of Eq. (2) of the XMASS-I paper (:mod:`exonu.spectrum`),
detector response and backgrounds (:mod:`exonu.detector`) and statistics (:mod:`exonu.stats`).
Detectors are loaded with ``from exonu.config import load_detector, list_detectors``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("exonu")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

from .errors import ConfigError, ExonuError, FitError, InputError, OutOfRangeError

__all__ = ["ConfigError", "ExonuError", "FitError", "InputError", "OutOfRangeError", "__version__"]
