"""Exclusion curves versus mediator mass for the light-mediator families.

For each mass the signal terms are evaluated once, folded, and the search of :func:`.run.run_search`
gives the observed and expected 90 % CL limits on the coupling g (light vector of a chosen charge set,
axial vector, scalar, pseudoscalar; g = g_ν = g_e). The flux kernels of the shared
:class:`~exonu.spectrum.RecoilSpectrum` are built once for the whole scan, so a mass costs only
cross-section evaluations and one fit.

References: R. Harnik, J. Kopp, P. Machado, arXiv:1202.6073; D. G. Cerdeño et al., arXiv:1604.01025;
D. W. P. Amaral et al., arXiv:2006.11225; XENONnT/LZ electron-recoil reinterpretations arXiv:2208.02144,
arXiv:2208.06415.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InputError, check_float_array
from ..spectrum import RecoilSpectrum, default_spectrum
from ..xsec import checks
from .run import SearchResult, run_search
from .spec import MEDIATORS, SearchSpec, search_spec
from .templates import check_setup

if TYPE_CHECKING:
    from ..detector import DetectorSetup

#: Mediator families with an exclusion curve, and the options that define each (light vector: per charge set)
_LIGHT_VECTOR_CHARGE_SETS = ("universal", "B-L", "Le-Lmu", "Le-Ltau", "Lmu-Ltau")
MEDIATOR_FAMILIES: dict[str, tuple[str | None, ...]] = {
    "light-vector": _LIGHT_VECTOR_CHARGE_SETS,
    "axial-vector": (None,),
    "scalar": (None,),
    "pseudoscalar": (None,),
}


def mediator_masses(n: int = 13, low_mev: float = 1e-3, high_mev: float = 1e3) -> np.ndarray:
    """Log-spaced mediator masses in MeV (default 13 points, two per decade from 1 keV to 1 GeV)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise InputError(f"a mass scan needs an integer number ≥ 2 of masses; got {n!r}")
    low_mev, high_mev = checks.mediator_mass_mev(low_mev), checks.mediator_mass_mev(high_mev)
    if not low_mev < high_mev:
        raise InputError(f"mass range must satisfy 0 < low < high (MeV); got {low_mev}, {high_mev}")
    return np.geomspace(low_mev, high_mev, n)


def spec_factory(signal: str, **options: Any) -> Callable[[float], SearchSpec]:
    """A ``mass_mev -> SearchSpec`` factory for one mediator signal (options as :func:`.spec.search_spec`)."""
    if not isinstance(signal, str) or signal not in MEDIATORS:
        raise InputError(f"{signal!r} has no mediator mass; exclusion curves exist for {list(MEDIATORS)}")
    return partial(_spec_at_mass, signal, options)


def _spec_at_mass(signal: str, options: dict[str, Any], mass_mev: float) -> SearchSpec:
    return search_spec(signal, mass_mev=float(mass_mev), **options)


def exclusion_curve(
    setup: DetectorSetup,
    signal_spec_factory: Callable[[float], SearchSpec],
    masses_mev: ArrayLike,
    *,
    data: ArrayLike | None = None,
    method: str = "bayesian",
    statistic: str | None = None,
    n_toys: int = 0,
    seed: int = 0,
    spectrum: RecoilSpectrum | None = None,
    cl: float = 0.9,
) -> list[SearchResult]:
    """Observed and expected coupling limits at confidence level ``cl`` (default 90 %) at each mediator mass.

    Parameters
    ----------
    setup : DetectorSetup
        A loaded detector (:func:`exonu.config.load_detector`).
    signal_spec_factory : callable
        ``mass_mev -> SearchSpec``, e.g. ``spec_factory("light-vector", charges="Lmu-Ltau")``.
    masses_mev : array_like of float
        Mediator masses in MeV.
    data : array_like, optional
        Counts of the search window (default: the detector's data or background-only Asimov).
    method, statistic, n_toys, seed
        As :func:`exonu.searches.run_search` (default: the paper's Bayesian limit with the detector's
        own statistic, no toys).
    spectrum : RecoilSpectrum, optional
        Shared spectrum (its flux kernels are reused across masses).
    cl : float
        Confidence level of every limit, in (0.5, 1).

    Returns
    -------
    list of SearchResult
        One per mass, in the order given; ``observed``/``expected`` are couplings g.
    """
    check_setup(setup)
    if not callable(signal_spec_factory):
        raise InputError(
            f"signal_spec_factory must be a callable mass_mev -> SearchSpec (spec_factory(signal)); "
            f"got {signal_spec_factory!r}"
        )
    masses = check_float_array(masses_mev, "masses_mev", lower=0.0, lower_inclusive=False, allow_empty=True)
    if masses.ndim != 1 or masses.size == 0:
        raise InputError("masses_mev must be a non-empty list of masses in MeV")
    spectrum = spectrum or default_spectrum()
    results = []
    for mass in masses:
        spec = signal_spec_factory(float(mass))
        if spec.model not in MEDIATORS:
            raise InputError(f"exclusion curves need a mediator signal; the factory gave {spec.model!r}")
        results.append(
            run_search(
                setup,
                spec,
                data,
                method=method,
                statistic=statistic,
                n_toys=n_toys,
                seed=seed,
                spectrum=spectrum,
                fixed_aux_band=False,
                cl=cl,
            )
        )
    return results


def family_curves(
    setup: DetectorSetup,
    family: str,
    masses_mev: ArrayLike,
    *,
    charge_sets: Sequence[str] | None = None,
    spectrum: RecoilSpectrum | None = None,
    **options: Any,
) -> dict[str, list[SearchResult]]:
    """Exclusion curves of one mediator family: one per charge set for the light vector, one otherwise.

    Parameters
    ----------
    setup : DetectorSetup
    family : {"light-vector", "axial-vector", "scalar", "pseudoscalar"}
    masses_mev : array_like of float
    charge_sets : sequence of str, optional
        Light vector only: which charge sets (default all of :data:`MEDIATOR_FAMILIES`).
    spectrum : RecoilSpectrum, optional
    **options
        Passed to :func:`exclusion_curve` (``method``, ``statistic``, ``data``, ...).

    Returns
    -------
    dict
        Curve label (charge set or family name) → list of SearchResult, ready for
        :func:`exonu.figures_models.exclusion_curves_figure`.
    """
    if not isinstance(family, str) or family not in MEDIATOR_FAMILIES:
        raise InputError(f"unknown mediator family {family!r}; expected one of {list(MEDIATOR_FAMILIES)}")
    if charge_sets is not None and family != "light-vector":
        raise InputError(f"charge sets apply to the light-vector family only, not to {family!r}")
    spectrum = spectrum or default_spectrum()
    if family != "light-vector":
        return {family: exclusion_curve(setup, spec_factory(family), masses_mev, spectrum=spectrum, **options)}
    return {
        c: exclusion_curve(setup, spec_factory(family, charges=c), masses_mev, spectrum=spectrum, **options)
        for c in (charge_sets or _LIGHT_VECTOR_CHARGE_SETS)
    }
