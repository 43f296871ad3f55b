"""The excess of a signal as a quadratic form in two of its parameters: five monomial templates per window.

With u = x/x_s, v = y/y_s (x_s, y_s the parameters' scales) the rate of every window is
R(u, v) = Σ_k m_k(u, v) R_k with the monomials m = (u, u², v, v², uv) (no constant term: the Standard
Model is in the background). The five R_k follow exactly from the rate at five probe points, (1, 0),
(2, 0), (0, 1), (0, 2), (1, 1), and are checked at a sixth, (2, 1). Contact NSI (:mod:`exonu.xsec.chiral`,
:mod:`exonu.xsec.nsi`) and the charge radius (:mod:`exonu.xsec.charge_radius`) shift the chiral couplings,
so dσ/dT is quadratic in the shifts; the magnetic moment and the millicharge enter as μ², q².
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ...errors import InputError
from ...spectrum import RecoilSpectrum
from ...xsec import FLAVOURS, ChargeRadius, ElectronNSI, Interaction, MagneticMoment, Millicharge
from ..spec import ATOMIC_MODEL, SearchSpec
from ..templates import window_signal_systematics
from .parameters import RegionParameter

if TYPE_CHECKING:
    from ...atomic import AtomicModel
    from ...detector import WindowSetup

__all__ = ["CHECK_PROBE", "PROBES", "WindowTemplates", "excess_interactions", "monomials", "window_templates"]

#: Relative tolerance of the check that the rate is the quadratic form of its five monomials
POLYNOMIAL_RTOL = 1e-6


def excess_interactions(spec: SearchSpec, values: Mapping[str, float]) -> list[Interaction]:
    """The interactions whose excess rates add up to the signal at the parameter ``values`` (name → value)."""
    if spec.model == "nsi":
        shifts = {f: [0.0, 0.0] for f in FLAVOURS}  # (ε^{eL}, ε^{eR}) per flavour
        for name, value in values.items():
            if name in ("eps_l", "eps_r"):
                for f in spec.flavours:
                    shifts[f][name == "eps_r"] += value
            else:  # eps_v_<flavour>: ε^{eL} = ε^{eR} = ε^{eV}/2
                f = name.removeprefix("eps_v_")
                shifts[f][0] += value / 2
                shifts[f][1] += value / 2
        return [ElectronNSI(lr[0], lr[1], (f,)) for f, lr in shifts.items() if lr[0] or lr[1]]
    kind: Callable[[float, tuple[str, ...]], Interaction] = {
        "charge-radius": ChargeRadius,
        "magnetic-moment": MagneticMoment,
        "millicharge": Millicharge,
    }[spec.model]
    return [kind(value, (name.rsplit("_", 1)[1],)) for name, value in values.items() if value]


def monomials(u: float, v: float) -> np.ndarray:
    """The monomials (u, u², v, v², uv) of the quadratic form of the rate."""
    return np.array([u, u * u, v, v * v, u * v])


#: Probe points (u, v) of the five monomials, and the point that checks the quadratic form
PROBES = ((1.0, 0.0), (2.0, 0.0), (0.0, 1.0), (0.0, 2.0), (1.0, 1.0))
CHECK_PROBE = (2.0, 1.0)


@dataclass(frozen=True)
class WindowTemplates:
    """The excess of one detector window as Σ_k m_k(u, v) R_k (see the module docstring)."""

    window: WindowSetup
    rates: np.ndarray  # (5, n_grid) events/(kg·day·keV) on the response grid
    rates_by_source: Mapping[str, np.ndarray]  # solar source → (5, n_grid), for the flux systematics
    counts: np.ndarray  # (5, n_bins) folded
    model: str  # the signal, for the size of its atomic uncertainty
    atomic_scale: float | None = None  # the nuisance ``atomic``'s scale; None: off

    def signal(self, m: np.ndarray) -> tuple[np.ndarray, tuple[str, ...], np.ndarray]:
        """Counts per bin, systematic names and fractional shifts of the signal with monomials ``m``.

        The systematics are those of a one-parameter search with this signal spectrum
        (:func:`~exonu.searches.templates.window_signal_systematics`), the atomic nuisance included.
        """
        by_source = {s: m @ r for s, r in self.rates_by_source.items()}
        names, shifts, _ = window_signal_systematics(
            self.window, self.model, m @ self.rates, by_source or None, self.atomic_scale
        )
        return m @ self.counts, names, shifts


def window_templates(
    window: WindowSetup,
    spec: SearchSpec,
    params: tuple[RegionParameter, RegionParameter],
    spectrum: RecoilSpectrum,
    *,
    atomic_model: AtomicModel | str | None = None,
    atomic_scale: float | None = None,
) -> WindowTemplates:
    """The five monomial rates of one window, from the rate at the probe points (exact for a quadratic form).

    ``atomic_model`` defaults to the spec's, else the paper's for the signal; ``atomic_scale`` is the
    scale of the nuisance ``atomic`` (None: no atomic nuisance).

    Raises
    ------
    InputError
        If the rate at the check point differs from the quadratic form (a signal that is not one).
    """
    grid = window.response.grid_kev
    if atomic_model is None:
        atomic_model = spec.atomic_model or ATOMIC_MODEL[spec.model]
    sources = [s for s in window.signal_sys.solar_flux if s in spectrum.flux.sources]
    restricted = {s: spectrum.restricted((s,)) for s in sources}

    def rates_at(uv: tuple[float, float]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        values = {params[0].name: uv[0] * params[0].scale, params[1].name: uv[1] * params[1].scale}
        parts = excess_interactions(spec, values)

        def rate(sp: RecoilSpectrum) -> np.ndarray:
            return sum((sp.rate(grid, i, atomic_model=atomic_model, per="kg-day") for i in parts), np.zeros_like(grid))

        return rate(spectrum), {s: rate(sp) for s, sp in restricted.items()}

    probed = [rates_at(uv) for uv in PROBES]
    # solve f(1,0) = a + b, f(2,0) = 2a + 4b (and the same for v), then e from f(1,1)
    to_monomials = np.linalg.inv(np.array([monomials(u, v) for u, v in PROBES]))

    def solve(values: list[np.ndarray]) -> np.ndarray:
        return np.asarray(to_monomials @ np.array(values))

    rates = solve([p[0] for p in probed])
    by_source = {s: solve([p[1][s] for p in probed]) for s in sources}
    check, _ = rates_at(CHECK_PROBE)
    predicted = monomials(*CHECK_PROBE) @ rates
    scale = max(float(np.max(np.abs(check))), float(np.max(np.abs(rates))), 1e-300)
    if not np.allclose(predicted, check, rtol=0.0, atol=POLYNOMIAL_RTOL * scale):
        raise InputError(
            f"the {spec.model} rate is not a quadratic form in ({params[0].name}, {params[1].name}); no region is made"
        )
    counts = np.array([window.response.fold(r) for r in rates])
    # a plain dict: the problem is pickled to workers
    return WindowTemplates(window, rates, by_source, counts, spec.model, atomic_scale)
