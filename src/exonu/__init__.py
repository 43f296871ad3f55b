"""exonu: exotic neutrino-electron interactions with solar neutrinos in liquid-xenon detectors.

The package follows the journey of the data (see README): solar fluxes (:mod:`exonu.flux`), flavour
content at Earth (:mod:`exonu.oscillation`), cross sections (:mod:`exonu.xsec`), xenon atomic effects
(:mod:`exonu.atomic`), the differential rate of Eq. (2) of the XMASS-I paper (:mod:`exonu.spectrum`),
detector response and backgrounds (:mod:`exonu.detector`) and statistics (:mod:`exonu.stats`).
Detectors are loaded with ``from exonu.config import load_detector, list_detectors``.
"""

from .errors import ConfigError, ExonuError, FitError, InputError, OutOfRangeError

__all__ = ["ConfigError", "ExonuError", "FitError", "InputError", "OutOfRangeError", "__version__"]


def __getattr__(name: str) -> str:
    """``exonu.__version__``, read from the installed metadata on first use.

    importlib.metadata costs about 40 ms to import; reading it lazily keeps ``import exonu`` (and so
    ``exonu --help``) light.
    """
    if name != "__version__":
        raise AttributeError(f"module 'exonu' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("exonu")
    except PackageNotFoundError:  # running from a source tree that was not installed
        found = "0.0.0+unknown"
    globals()["__version__"] = found
    return found
