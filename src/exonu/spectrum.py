"""Eq. (2) of the XMASS-I paper: the differential rate dR/dT of solar-neutrino electron recoils in Xe.

    dR/dT = N_atoms Σ_sources Φ_s ∫_{E_min(T)} dE λ_s(E) Σ_α f_α(E) Z_eff(T) dσ_α/dT(T, E)

with the FEA steps Z_eff(T) (:mod:`exonu.atomic`), flavour fractions f_α (:mod:`exonu.oscillation`),
unit-normalised spectra λ_s and total fluxes Φ_s (:mod:`exonu.flux`). Lines are δ-functions; continua
use Gauss–Legendre quadrature on [E_min(T), E₀] (128 nodes: 1e-6 relative accuracy against 2048 nodes,
tested). The flux-weighted quadrature nodes ("kernel") are built once per T grid and reused for every
interaction, so scanning a coupling or a dark-photon mass costs only cross-section evaluations.

Atomic models (``atomic_model=``, docs/physics.md §18.1): an :class:`exonu.atomic.AtomicModel` or its name

* ``"steps"`` — free-electron steps with xraydb edges (the paper's choice for μ_ν and the dark photon);
  ``"steps-dirac-fock"`` — the same with the Dirac–Fock binding energies.
* ``"steps+epa"`` (``"steps-dirac-fock+epa"``) — the millicharge's treatment (the paper's, RRPA-grade):
  steps plus the equivalent-photon (low-Q²) term, dσ = Z_eff dσ_free + dσ_EPA, with the neutrino mass of
  its logarithm stated. Only for interactions with a photon pole.
* ``AtomicModel.from_name("ratio-table", FILE)`` or a :class:`exonu.atomic.RatioTable` — steps times a
  user-supplied R(T) (e.g. a digitised RRPA curve), refused outside the table unless told.
* ``"free"`` — all 54 electrons free at every T (no stepping), for comparisons. The legacy names
  ``"fea"`` and ``"rrpa"`` mean ``steps`` and ``steps+epa`` with the spectrum's ``binding`` set.

Output: events/(t·yr·keV) (:meth:`RecoilSpectrum.rate`) or events/(kg·day·keV) (``per="kg-day"``).

Reference: XMASS Collaboration, PLB 809 (2020) 135741, arXiv:2005.11891, Eq. (2).
"""

from __future__ import annotations

import inspect
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from functools import cache
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike

from . import atomic
from .constants import PER_TONNE_YEAR_TO_PER_KG_DAY, SECONDS_PER_YEAR, XENON_ATOMS_PER_TONNE, XENON_Z
from .errors import InputError, check_float
from .flux import SolarFlux
from .oscillation import ConstantFlavourContent, FlavourContent
from .xsec import FLAVOURS, MODELS, Interaction, electron_min_neutrino_energy_kev
from .xsec.base import flavour_index
from .xsec.millicharge import Millicharge

#: Atomic-model names a rate accepts: the named models and the legacy names (module docstring)
ATOMIC_MODELS = (*atomic.ATOMIC_MODEL_NAMES[:-1], *atomic.LEGACY_ATOMIC_MODELS)
RATE_UNITS = {"tonne-year": 1.0, "kg-day": PER_TONNE_YEAR_TO_PER_KG_DAY}
DEFAULT_QUADRATURE_NODES = 128
#: Largest number of quadrature nodes per source (beyond ~1000 the result no longer changes; memory grows linearly)
MAX_QUADRATURE_NODES = 4096
#: Energies evaluated at once: bounds the memory of one call (~11 kB per energy with the default nodes)
ENERGY_CHUNK = 10_000
#: Flux kernels kept per spectrum (least recently used dropped first); only grids of ≤ ENERGY_CHUNK energies
KERNEL_CACHE_SIZE = 8
#: Bytes the kept kernels of one spectrum may hold together (the newest is always kept): the process's
#: default_spectrum() lives as long as the process, and a 10 000-energy kernel is ~40 MB
KERNEL_CACHE_BYTES = 64 * 2**20


@cache
def default_spectrum() -> RecoilSpectrum:
    """The default ``RecoilSpectrum()``, one per process, for code that folds signals when the caller gave
    no spectrum: its flux kernels (the slow part of a rate) are then built once for every signal and search
    of the process instead of once per call. Its caches are its only state, and they hold pure functions of
    their keys, so sharing it changes no number; they hold at most KERNEL_CACHE_BYTES per spectrum (and per
    solar-source subset), and ``default_spectrum.cache_clear()`` lets the whole spectrum go."""
    return RecoilSpectrum()


@cache
def _gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * (x + 1.0), 0.5 * w  # nodes and weights on [0, 1]


def validate_energies(t_kev: ArrayLike, name: str = "energies_kev") -> np.ndarray:
    """Return T as a float array, raising :class:`InputError` for non-numeric, non-finite or non-positive values."""
    try:
        if np.asarray(t_kev).dtype == bool:  # True is not 1 keV
            raise TypeError
        t = np.asarray(t_kev, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{name}: energies must be numbers in keV; got {t_kev!r:.60}") from None
    if t.size == 0:
        raise InputError(f"{name}: no energies given")
    if not np.all(np.isfinite(t)):
        raise InputError(f"{name}: energies must be finite numbers (keV); got {t[~np.isfinite(t)][:3]}")
    if np.any(t <= 0):
        raise InputError(f"{name}: energies must be > 0 keV; got {t[t <= 0][:3]}")
    return t


@dataclass(frozen=True)
class FluxKernel:
    """Flux-weighted quadrature nodes for one T grid.

    ``energies_kev`` has shape (n_T, n_nodes); ``weights`` shape (3, n_T, n_nodes) in cm⁻² s⁻¹:
    Φ_s λ_s(E) f_α(E) dE for each node, so that ∫ Φ λ f_α g dE = Σ_k weights[α, :, k] g(E_k).
    ``source_nodes`` maps each solar source to its nodes ``(start, stop)`` on the last axis.
    """

    energies_kev: np.ndarray
    weights: np.ndarray
    source_nodes: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        """Memory held by the kernel's arrays, in bytes."""
        return int(self.energies_kev.nbytes + self.weights.nbytes)


@dataclass
class RecoilSpectrum:
    """Solar-neutrino electron-recoil spectra in xenon for any interaction (Eq. 2).

    Parameters
    ----------
    flux : SolarFlux
        Sources and solar model (default the paper's SFII-GS98 pp + 7Be).
    flavour_content : FlavourContent
        ``ConstantFlavourContent()`` (the paper's 54/23/23 %, default) or ``MSWFlavourContent()``.
    binding : {"xraydb", "dirac-fock"}
        Binding-energy set of the FEA steps.
    quadrature_nodes : int
        Gauss–Legendre nodes per continuous source.

    Examples
    --------
    >>> from exonu.xsec import MagneticMoment
    >>> rs = RecoilSpectrum()
    >>> rs.rate([5.0], MagneticMoment(1e-11)).round(3)   # events/(t·yr·keV)
    array([2.195])
    """

    flux: SolarFlux = field(default_factory=SolarFlux)
    flavour_content: FlavourContent = field(default_factory=ConstantFlavourContent)
    binding: str = "xraydb"
    quadrature_nodes: int = DEFAULT_QUADRATURE_NODES
    _kernels: OrderedDict[tuple[bytes, tuple[int, ...], str], FluxKernel] = field(
        default_factory=OrderedDict, init=False, repr=False
    )
    _restricted: dict[tuple[str, ...], RecoilSpectrum] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.flux, SolarFlux):
            raise InputError(
                f"flux must be a SolarFlux (e.g. SolarFlux('SFII-GS98', ('pp', '7Be'))); got {self.flux!r:.60}"
            )
        if not callable(getattr(self.flavour_content, "fractions", None)):
            raise InputError(
                "flavour_content must be ConstantFlavourContent() or MSWFlavourContent(); "
                f"got {self.flavour_content!r:.60}"
            )
        if not isinstance(self.binding, str):
            raise InputError(f"binding must be 'xraydb' or 'dirac-fock'; got {self.binding!r}")
        atomic.xenon_subshells(self.binding)  # validates the name early
        nodes = self.quadrature_nodes
        if (
            isinstance(nodes, bool)
            or not isinstance(nodes, (int, np.integer))
            or not 8 <= nodes <= MAX_QUADRATURE_NODES
        ):
            raise InputError(f"quadrature_nodes must be an integer in [8, {MAX_QUADRATURE_NODES}]; got {nodes!r}")

    # -- flux kernels ---------------------------------------------------------------------------
    def kernel(self, t_kev: ArrayLike, lower_limit: str = "electron") -> FluxKernel:
        """Flux-weighted nodes for the T grid; cached by grid.

        ``lower_limit="electron"`` integrates from E_min(T) (free-electron kinematics);
        ``"photon"`` from E = T (a bound electron absorbing the whole energy transfer, EPA).
        """
        t = validate_energies(t_kev)
        if t.size > ENERGY_CHUNK:  # too large to keep: built for this call only
            return self._build_kernel(t, lower_limit)
        key = (t.tobytes(), t.shape, lower_limit)
        # Written so that threads sharing a spectrum (default_spectrum() on a threaded Dask worker) can at
        # worst build a kernel twice: no lookup after a step another thread could undo.
        found = self._kernels.get(key)
        if found is not None:
            with suppress(KeyError):
                self._kernels.move_to_end(key)
            return found
        built = self._build_kernel(t, lower_limit)
        self._kernels[key] = built
        while len(self._kernels) > 1:  # the oldest go first, until KERNEL_CACHE_SIZE and _BYTES hold
            kept = list(self._kernels.values())  # one C-level copy: no other thread runs in between
            if len(kept) <= KERNEL_CACHE_SIZE and sum(k.nbytes for k in kept) <= KERNEL_CACHE_BYTES:
                break
            with suppress(KeyError):
                self._kernels.popitem(last=False)
        return built

    def _build_kernel(self, t: np.ndarray, lower_limit: str) -> FluxKernel:
        t_col = t.reshape(-1)[:, None]
        e_min = electron_min_neutrino_energy_kev(t_col) if lower_limit == "electron" else t_col
        x, w = _gauss_legendre(int(self.quadrature_nodes))
        energies: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        source_nodes: dict[str, tuple[int, int]] = {}
        n_nodes = 0
        for source, total_flux in self.flux.items():
            if source.is_line:
                for e_line, branching in source.lines:
                    e = np.full_like(t_col, e_line)
                    f = self.flavour_content.fractions(e, source.name)
                    weights.append(total_flux * branching * f)
                    energies.append(e)
            else:
                a = np.minimum(e_min, source.endpoint_kev)
                span = source.endpoint_kev - a  # zero where T is beyond this source's reach
                e = a + span * x[None, :]
                f = self.flavour_content.fractions(e, source.name)
                weights.append(total_flux * source.pdf(e) * span * w[None, :] * f)
                energies.append(e)
            added = len(source.lines) if source.is_line else x.size  # one node per line, or the quadrature's
            source_nodes[source.name] = (n_nodes, n_nodes + added)
            n_nodes += added
        shape = (*t.shape, -1)
        e_all = np.concatenate(energies, axis=1)
        w_all = np.concatenate(weights, axis=2)
        return FluxKernel(e_all.reshape(shape), w_all.reshape((3, *shape)), source_nodes)

    # -- rates ------------------------------------------------------------------------------------
    def rate(
        self,
        t_kev: ArrayLike,
        interaction: Interaction,
        flavour: str = "all",
        atomic_model: str | atomic.AtomicModel | atomic.RatioTable = "fea",
        per: str = "tonne-year",
    ) -> np.ndarray:
        """Differential rate dR/dT for one interaction term.

        Parameters
        ----------
        t_kev : array_like
            Deposited energy T in keV (> 0).
        interaction : Interaction
            e.g. ``Weak()``, ``MagneticMoment(1e-10)``, ``Millicharge(5e-12)``, ``DarkPhotonBL(1e-6, 1e-3)``.
        flavour : {"all", "e", "mu", "tau"}
            Sum over flavours at Earth, or the part from one flavour.
        atomic_model : AtomicModel, str or RatioTable
            Atomic treatment (module docstring): ``"steps"``, ``"steps+epa"``, ``"steps-dirac-fock"``, …
        per : {"tonne-year", "kg-day"}
            Output unit: events/(t·yr·keV) or events/(kg·day·keV).

        Returns
        -------
        ndarray
            Rate with the shape of ``t_kev``.
        """
        return self._rates(t_kev, interaction, flavour, atomic_model, per, ())[0]

    def rates_by_source(
        self,
        t_kev: ArrayLike,
        interaction: Interaction,
        sources: Iterable[str],
        flavour: str = "all",
        atomic_model: str | atomic.AtomicModel | atomic.RatioTable = "fea",
        per: str = "tonne-year",
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """:meth:`rate` in total and from each of ``sources`` alone, from one evaluation of the cross section.

        The rate of a source alone is what ``self.restricted((source,)).rate(...)`` gives, to the bit (the
        same nodes, weights and sums), for the cost of one rate instead of 1 + len(sources): the solar-flux
        systematics of a signal template need both. Arguments as :meth:`rate`; ``sources`` are names of this
        spectrum's solar sources.

        Returns
        -------
        (ndarray, dict)
            The total rate and ``{source: rate}``, each with the shape of ``t_kev``.
        """
        if isinstance(sources, str) or not isinstance(sources, Iterable):
            raise InputError(f"sources must be a list of solar-source names; got {sources!r:.60}")
        names = tuple(sources)  # once: a generator would be used up by the checks
        if not all(isinstance(name, str) for name in names):
            raise InputError(f"sources must be a list of solar-source names; got {names!r:.60}")
        unknown = [name for name in names if name not in self.flux.sources]
        if unknown:
            raise InputError(f"sources {unknown} are not in this spectrum's flux {list(self.flux.sources)}")
        stacked = self._rates(t_kev, interaction, flavour, atomic_model, per, names)
        return stacked[0], {name: stacked[1 + i] for i, name in enumerate(names)}

    def _rates(
        self,
        t_kev: ArrayLike,
        interaction: Interaction,
        flavour: str,
        atomic_model: str | atomic.AtomicModel | atomic.RatioTable,
        per: str,
        sources: tuple[str, ...],
    ) -> np.ndarray:
        """The total rate and each of ``sources``' alone, stacked on a first axis (1 + len(sources), *T)."""
        if not isinstance(interaction, Interaction):
            raise InputError(
                f"interaction must be an Interaction such as Weak(); got {interaction!r:.60} "
                "(use differential_rate for model names)"
            )
        if not isinstance(per, str) or per not in RATE_UNITS:
            raise InputError(f"per must be one of {list(RATE_UNITS)}; got {per!r}")
        if not isinstance(flavour, str):
            raise InputError(f"flavour must be 'all' or one of {FLAVOURS}; got {flavour!r}")
        flavours = FLAVOURS if flavour == "all" else (FLAVOURS[flavour_index(flavour)],)
        t = validate_energies(t_kev)
        model = atomic.as_atomic_model(atomic_model, self.binding)
        if model is not None and model.epa and not interaction.photon_pole:
            raise InputError(
                f"the equivalent-photon atomic term (+epa, legacy 'rrpa') is available for the millicharge only, "
                f"not for {interaction.name!r}; use atomic_model='steps'"
            )

        per_electron = self._flux_averaged(t, interaction.dsigma_dt, flavours, "electron", sources)
        if model is None:  # "free": every electron free at every T
            per_atom = XENON_Z * per_electron
        else:
            per_atom = atomic.effective_electrons(t, model.binding) * per_electron
            if model.ratio_table is not None:
                per_atom = per_atom * model.ratio_table.ratio_for(t, interaction.name, model.outside_table)
            elif model.epa:
                # the EPA term is per atom and reaches down to E_ν = T (absorption of the whole transfer)
                # only the millicharge has a photon pole (checked above), so only it has an EPA term
                millicharge = cast(Millicharge, interaction)
                mass_ev = model.epa_neutrino_mass_ev

                def epa(t_kev: np.ndarray, e_kev: np.ndarray, flavour: str) -> np.ndarray:
                    return millicharge.epa_dsigma_dt_per_atom(t_kev, e_kev, flavour, neutrino_mass_ev=mass_ev)

                per_atom = per_atom + self._flux_averaged(t, epa, flavours, "photon", sources)
        rate = per_atom * XENON_ATOMS_PER_TONNE * SECONDS_PER_YEAR  # events/(t·yr·keV)
        return rate * RATE_UNITS[per]

    def _flux_averaged(
        self,
        t: np.ndarray,
        dsigma_dt: Callable[[np.ndarray, np.ndarray, str], np.ndarray],
        flavours: Sequence[str],
        lower_limit: str,
        sources: tuple[str, ...] = (),
    ) -> np.ndarray:
        """Σ_flavours ∫ Φ λ f_α dσ_α(T, E) dE with the cached kernel: per target (electron or atom) per s per keV.

        Returns shape (1 + len(sources), *t.shape): the integral over every source, then over each of
        ``sources`` alone (its nodes of the same products, summed as a kernel of that source alone would).
        Energies are taken ENERGY_CHUNK at a time so that memory stays bounded for any number of energies.
        """
        flat = t.reshape(-1)
        if flat.size > ENERGY_CHUNK:
            parts = [
                self._flux_averaged(flat[i : i + ENERGY_CHUNK], dsigma_dt, flavours, lower_limit, sources)
                for i in range(0, flat.size, ENERGY_CHUNK)
            ]
            return np.concatenate(parts, axis=-1).reshape((1 + len(sources), *t.shape))
        k = self.kernel(t, lower_limit)
        t_b = t[..., None]
        total = np.zeros((1 + len(sources), *t.shape))
        for f in flavours:
            products = k.weights[FLAVOURS.index(f)] * dsigma_dt(t_b, k.energies_kev, f)
            total[0] += np.sum(products, axis=-1)
            for i, name in enumerate(sources):
                start, stop = k.source_nodes[name]
                total[1 + i] += np.sum(products[..., start:stop], axis=-1)
        return total

    def restricted(self, sources: Iterable[str]) -> RecoilSpectrum:
        """The same spectrum with only some solar sources (per-source systematics); cached, so its
        flux kernels are built once however many signals are folded."""
        key = tuple(sources)
        found = self._restricted.get(key)
        if found is None:  # setdefault: a thread that built it at the same time keeps the first one
            found = self._restricted.setdefault(
                key,
                RecoilSpectrum(
                    flux=SolarFlux(self.flux.model, key),
                    flavour_content=self.flavour_content,
                    binding=self.binding,
                    quadrature_nodes=self.quadrature_nodes,
                ),
            )
        return found

    def describe(self) -> dict[str, Any]:
        """Presets used, for provenance records."""
        return {
            **self.flux.describe(),
            **self.flavour_content.describe(),
            "binding_energies": self.binding,
            "quadrature_nodes": int(self.quadrature_nodes),
        }


#: Parameter names of the command line (``--g``, ``--r2-cm2``) accepted by :func:`make_interaction`
PARAMETER_ALIASES = {"g": "coupling", "r2_cm2": "radius2_cm2"}


def _resolve_aliases(model: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """``parameters`` with the command line's names replaced by the constructors' (one spelling each)."""
    resolved = dict(parameters)
    for alias, name in PARAMETER_ALIASES.items():
        if alias in resolved:
            if name in resolved:
                raise InputError(f"model {model!r}: give {name} or its alias {alias}, not both")
            resolved[name] = resolved.pop(alias)
    if "eps_v" in resolved and model == "nsi":
        if "eps_l" in resolved or "eps_r" in resolved:
            raise InputError("model 'nsi': give either eps_v or eps_l/eps_r, not both")
        eps_v = check_float(resolved.pop("eps_v"), "eps_v")
        resolved["eps_l"] = resolved["eps_r"] = eps_v / 2
    return resolved


def make_interaction(model: str, **parameters: Any) -> Interaction:
    """Build an interaction from the CLI/API model name and its physical parameters.

    ``"sm"``: ``sin2_theta_w``; ``"magnetic-moment"``: ``mu_bohr`` (``flavours``); ``"millicharge"``:
    ``charge_e`` (``flavours``, ``epa_neutrino_mass_ev``); ``"dark-photon"``: ``coupling``, ``mass_mev``;
    ``"light-vector"``: ``coupling``, ``mass_mev``, ``charges``; ``"axial-vector"``, ``"scalar"``,
    ``"pseudoscalar"``: ``coupling``, ``mass_mev``; ``"nsi"``: ``eps_l``, ``eps_r``, ``flavours``;
    ``"charge-radius"``: ``radius2_cm2``, ``flavours``. Beyond-SM models also take ``part`` and (where
    they interfere with the SM) ``sin2_theta_w``. See :mod:`exonu.xsec` for formulas and sources.

    The command line's names are accepted too (:data:`PARAMETER_ALIASES`): ``g`` for ``coupling``,
    ``r2_cm2`` for ``radius2_cm2``, and for NSI ``eps_v`` (ε^{eL} = ε^{eR} = ε^{eV}/2).

    Raises
    ------
    InputError
        Unknown model, a parameter the model does not take, a missing one, or a value out of range.
    """
    if not isinstance(model, str) or model not in MODELS:
        raise InputError(f"unknown model {model!r}; expected one of {sorted(MODELS)}")
    parameters = _resolve_aliases(model, parameters)
    cls = MODELS[model]
    signature = inspect.signature(cls)  # the constructor's parameters, without self
    accepted = [name for name in signature.parameters if name != "self"]
    unknown = sorted(set(parameters) - set(accepted))
    if unknown:
        raise InputError(f"model {model!r} takes no parameter {unknown[0]!r}; it takes {accepted}")
    missing = [
        name
        for name, p in signature.parameters.items()
        if name != "self" and p.default is inspect.Parameter.empty and name not in parameters
    ]
    if missing:
        raise InputError(f"model {model!r}: missing parameter {missing[0]!r}")
    return cls(**parameters)


def default_atomic_model(model: str) -> str:
    """The paper's atomic treatment per model, by name: ``steps+epa`` for the millicharge, ``steps`` otherwise."""
    return atomic.default_atomic_model_for(model).name


def differential_rate(
    energies_kev: ArrayLike,
    model: str = "sm",
    flavour: str = "all",
    atomic_model: str | atomic.AtomicModel | atomic.RatioTable | None = None,
    per: str = "tonne-year",
    spectrum: RecoilSpectrum | None = None,
    **parameters: Any,
) -> np.ndarray:
    """One-call dR/dT for a named model with the paper's defaults.

    ``atomic_model`` (None: the paper's, :func:`default_atomic_model`) is an
    :class:`~exonu.atomic.AtomicModel` or a name such as ``"steps-dirac-fock"`` (module docstring).

    Examples
    --------
    >>> differential_rate([1, 5, 10], "magnetic-moment", mu_bohr=1e-11).round(3)   # events/(t·yr·keV)
    array([9.318, 2.195, 1.159])
    >>> differential_rate([5], "millicharge", charge_e=5.4e-12, per="kg-day").round(6)
    array([0.001744])
    >>> differential_rate([5], "dark-photon", coupling=1e-6, mass_mev=1e-3).round(1)  # pure + interference
    array([562.2])
    >>> differential_rate([5], "light-vector", coupling=5e-4, mass_mev=10, charges="Lmu-Ltau").round(3)
    array([0.742])
    >>> differential_rate([5], "nsi", eps_l=0.1, flavours=("e",)).round(3)            # excess over the SM
    array([0.653])
    """
    spectrum = spectrum or default_spectrum()
    interaction = make_interaction(model, **parameters)
    atomic_model = default_atomic_model(model) if atomic_model is None else atomic_model
    return spectrum.rate(energies_kev, interaction, flavour=flavour, atomic_model=atomic_model, per=per)
