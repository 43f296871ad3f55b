"""What a search is: the signal model, how its terms scale with the physical parameter, and the paper's searches.

A signal is a sum of terms, each a fixed power of one physical parameter x (a coupling, a moment, a
charge radius): S(x) = Σ_m (x/x_ref)^{p_m} T_m with T_m the folded template of term m at x_ref. The fit
uses one signal strength α = (x/x_ref)^{p_max}, so term m scales as α^{p_m/p_max}. That is what a
:class:`SignalParametrisation` declares (its ``coupling_powers``); the α-powers, ``to_alpha``,
``to_physical`` and the POI label follow from it. Examples:

* millicharge q, magnetic moment μ: one term ∝ x² (α = (x/x_ref)², x_90 = x_ref √α_90);
* light vector and axial-vector mediators (B−L dark photon included): interference ∝ g², pure ∝ g⁴
  (α = (g/g_ref)⁴; the signal α^½ I + α P is fitted exactly, not linearised; the paper's flat prior is
  flat in g⁴, arXiv:2005.11891 §4);
* scalar and pseudoscalar mediators: one term ∝ g⁴;
* NSI ε and charge radius ⟨r²⟩: interference ∝ x, pure ∝ x² (α = (x/x_ref)²). x may be negative: the
  search is one-sided on the side the user chooses (``sign``), the sign carried by x_ref; a two-sided
  statement is the pair of one-sided searches.

Reference: XMASS Collaboration, PLB 809 (2020) 135741, arXiv:2005.11891, §4.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..atomic import ATOMIC_UNCERTAINTY_CHOICES, AtomicModel, as_atomic_model, default_atomic_model_for
from ..errors import InputError, check_float_array
from ..xsec import CHARGE_SETS, FLAVOURS, MODELS, Interaction, checks


@dataclass(frozen=True)
class SignalParametrisation:
    """How the terms of one signal model scale with its physical parameter.

    Attributes
    ----------
    parameter : str
        Name of the physical parameter (the interaction's keyword, e.g. ``"coupling"``).
    unit : str
        Its unit, for results.
    coupling_powers : tuple of int
        Power of the parameter in each signal term, e.g. (2, 4) for interference ∝ g², pure ∝ g⁴.
    parts : tuple of str or None
        The interaction ``part`` giving each term (None: the interaction has a single term).
    probe : float or None
        Parameter value at which the terms are evaluated before the reference is chosen so that the
        highest-power term gives ~100 counts (None: the fixed ``default_reference`` is used).
    default_reference : float or None
        Fixed reference value (α = 1) for single-term signals of the paper.
    """

    parameter: str
    unit: str
    coupling_powers: tuple[int, ...]
    parts: tuple[str | None, ...] = (None,)
    probe: float | None = None
    default_reference: float | None = None

    def __post_init__(self) -> None:
        if len(self.parts) != len(self.coupling_powers):
            raise InputError("a SignalParametrisation needs one part per coupling power")

    @property
    def alpha_power(self) -> int:
        """α = (x/x_ref)^alpha_power: the highest power of the parameter among the terms."""
        return max(self.coupling_powers)

    @property
    def signal_powers(self) -> np.ndarray:
        """Power of α in each term, p_m / p_max (e.g. ½ and 1 for interference and pure)."""
        return np.asarray(self.coupling_powers, dtype=float) / self.alpha_power

    def to_alpha(self, value: float, reference: float) -> float:
        """Signal strength α of the parameter value ``value`` (same sign as ``reference``)."""
        ratio = float(value) / float(reference)
        if ratio < 0:
            raise InputError(f"{self.parameter} = {value:g} has the opposite sign of the reference {reference:g}")
        return ratio**self.alpha_power

    def to_physical(self, alpha: float, reference: float) -> float:
        """Parameter value of signal strength α: x = x_ref α^(1/alpha_power) (α < 0 maps to 0)."""
        return float(reference * max(float(alpha), 0.0) ** (1.0 / self.alpha_power))

    def poi_label(self, reference: float) -> str:
        return f"({self.parameter}/{reference:.3g})^{self.alpha_power}"


_MEDIATOR_VECTOR_LIKE = SignalParametrisation("coupling", "dimensionless", (2, 4), ("interference", "pure"), probe=1e-5)
_MEDIATOR_SCALAR_LIKE = SignalParametrisation("coupling", "dimensionless", (4,), (None,), probe=1e-5)

#: Parametrisation of every signal model
PARAMETRISATIONS: Mapping[str, SignalParametrisation] = MappingProxyType(
    {
        "millicharge": SignalParametrisation("charge_e", "e", (2,), default_reference=5e-12),
        "magnetic-moment": SignalParametrisation("mu_bohr", "mu_B", (2,), default_reference=1e-10),
        "dark-photon": _MEDIATOR_VECTOR_LIKE,
        "light-vector": _MEDIATOR_VECTOR_LIKE,
        "axial-vector": _MEDIATOR_VECTOR_LIKE,
        "scalar": _MEDIATOR_SCALAR_LIKE,
        "pseudoscalar": _MEDIATOR_SCALAR_LIKE,
        "nsi": SignalParametrisation("eps", "dimensionless", (1, 2), ("interference", "pure"), probe=0.1),
        "charge-radius": SignalParametrisation("radius2_cm2", "cm2", (1, 2), ("interference", "pure"), probe=1e-32),
    }
)
#: Physical parameter, unit and α-power of each signal model (derived; kept for existing callers)
PARAMETERS = MappingProxyType({m: (p.parameter, p.unit, p.alpha_power) for m, p in PARAMETRISATIONS.items()})
#: Models with a mediator mass
MEDIATORS = ("dark-photon", "light-vector", "axial-vector", "scalar", "pseudoscalar")
#: Models whose parameter may have either sign (one-sided search on the chosen side)
SIGNED = ("nsi", "charge-radius")
#: NSI chiralities: ε^{eL} alone, ε^{eR} alone, or vector ε^{eV} (ε^{eL} = ε^{eR} = ε^{eV}/2)
NSI_CHIRALITIES = ("L", "R", "V")
#: The paper's windows for each model on the XMASS-I detector (paper §4.1); the full window for the rest
PREFERRED_WINDOWS = {"millicharge": "millicharge", **{m: "full" for m in PARAMETRISATIONS if m != "millicharge"}}
#: The paper's atomic treatment per model by name (paper §3.1): steps, plus the equivalent-photon term
#: for the millicharge (docs/physics.md §18.1)
ATOMIC_MODEL = {m: default_atomic_model_for(m).name for m in PARAMETRISATIONS}
#: Reference values (α = 1) of the single-term paper signals, near the expected sensitivity
DEFAULT_REFERENCE = {m: p.default_reference for m, p in PARAMETRISATIONS.items() if p.default_reference is not None}


@dataclass(frozen=True)
class SignalOptions:
    """What :func:`search_spec` needs and accepts for one signal."""

    required: tuple[str, ...]
    optional: tuple[str, ...]
    description: str


#: Signal names with their required and optional options (the CLI's ``--signal`` choices)
SIGNALS: Mapping[str, SignalOptions] = MappingProxyType(
    {
        "millicharge": SignalOptions((), ("flavours",), "neutrino millicharge q (e)"),
        "magnetic-moment": SignalOptions((), ("flavours",), "neutrino magnetic moment μ (μ_B)"),
        "dark-photon": SignalOptions(("mass_mev",), (), "U(1)_{B−L} gauge boson, coupling g"),
        "light-vector": SignalOptions(("mass_mev", "charges"), (), f"light Z′ with charges {sorted(CHARGE_SETS)}"),
        "axial-vector": SignalOptions(("mass_mev",), (), "light axial-vector mediator, g = g_ν = g_e^A"),
        "scalar": SignalOptions(("mass_mev",), (), "light scalar mediator, g = g_ν = g_e"),
        "pseudoscalar": SignalOptions(("mass_mev",), (), "light pseudoscalar mediator, g = g_ν = g_e"),
        "nsi": SignalOptions(
            (),
            ("flavours", "chirality", "sign"),
            "contact NSI ε^{eP}_{αα}; chirality L, R or V (default L), flavour α (default e)",
        ),
        "charge-radius": SignalOptions(
            (), ("flavours", "sign"), "neutrino charge radius ⟨r²⟩ (cm²), flavour default e"
        ),
    }
)


@dataclass(frozen=True)
class SearchSpec:
    """One search, declared as data.

    Attributes
    ----------
    key : str
        Result key (e.g. ``"magnetic_moment_mub"``).
    model : str
        A key of :data:`PARAMETRISATIONS`.
    window : str or None
        Analysis window of the detector; None picks the paper's (XMASS-I) or the only one.
    flavours : tuple of str
        Flavours carrying the new interaction (millicharge, magnetic moment, NSI, charge radius).
    mass_mev : float or None
        Mediator mass (mediator models only).
    reference : float or None
        Parameter value at α = 1 (None: chosen from the signal, see :mod:`.templates`).
    published : float or None
        A published 90 % CL limit, for comparison.
    atomic_model : AtomicModel, str or None
        The atomic treatment (an :class:`~exonu.atomic.AtomicModel` or a name such as
        ``"steps-dirac-fock"``); None: the detector config's choice, else the paper's for the model.
    atomic_uncertainty : {"default", "off"} or None
        The atomic nuisance ``atomic`` (docs/physics.md §18.2): None follows the detector config
        (on for XENON1T/XENONnT, off for the XMASS-I reproduction), "default" puts it in, "off" leaves it out.
    charges : str or None
        Charge set of the light vector (one of :data:`exonu.xsec.CHARGE_SETS`).
    chirality : str or None
        NSI only: "L", "R" or "V" (default "L").
    sign : int
        +1 or −1: the side of a signed parameter (NSI, charge radius) the limit is set on.
    """

    key: str
    model: str
    window: str | None = None
    flavours: tuple[str, ...] = FLAVOURS
    mass_mev: float | None = None
    reference: float | None = None
    published: float | None = None
    atomic_model: AtomicModel | str | None = None
    charges: str | None = None
    chirality: str | None = None
    sign: int = 1
    atomic_uncertainty: str | None = None
    parametrisation: SignalParametrisation = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not self.key:
            raise InputError(f"SearchSpec key must be a non-empty string; got {self.key!r}")
        if not isinstance(self.model, str) or self.model not in PARAMETRISATIONS:
            raise InputError(f"unknown signal model {self.model!r}; expected one of {sorted(PARAMETRISATIONS)}")
        object.__setattr__(self, "parametrisation", PARAMETRISATIONS[self.model])
        if self.model in MEDIATORS:
            if self.mass_mev is None:
                raise InputError(f"the {self.model} search needs a mediator mass in MeV > 0 (--mass-mev)")
            checks.mediator_mass_mev(self.mass_mev)
        elif self.mass_mev is not None:
            raise InputError(f"the {self.model} signal has no mediator mass; drop mass_mev (--mass-mev)")
        if self.model == "light-vector":
            if self.charges not in CHARGE_SETS:
                raise InputError(
                    f"the light-vector search needs charges, one of {sorted(CHARGE_SETS)} (--charges); "
                    f"got {self.charges!r}"
                )
        elif self.charges is not None:
            raise InputError(f"the {self.model} signal has no charge set; --charges is for light-vector only")
        if self.model == "nsi":
            if self.chirality is None:  # the default NSI search: ε^{eL} with ε^{eR} = 0
                object.__setattr__(self, "chirality", "L")
            if self.chirality not in NSI_CHIRALITIES:
                raise InputError(f"NSI chirality must be one of {NSI_CHIRALITIES}; got {self.chirality!r}")
        elif self.chirality is not None:
            raise InputError(f"the {self.model} signal has no chirality; it is an NSI option")
        if self.sign not in (1, -1) or isinstance(self.sign, bool):
            raise InputError(f"sign must be +1 or -1; got {self.sign!r}")
        if self.sign == -1 and self.model not in SIGNED:
            raise InputError(f"the {self.model} parameter cannot be negative; sign is for {SIGNED} only")
        object.__setattr__(self, "flavours", checks.flavour_tuple(self.flavours, FLAVOURS))
        if "flavours" not in SIGNALS[self.model].optional and self.flavours != FLAVOURS:
            raise InputError(f"the {self.model} signal couples to the flavours its charges give; it takes no flavours")
        if self.window is not None and not isinstance(self.window, str):
            raise InputError(f"window must be a window name (str) or None; got {self.window!r}")
        if self.atomic_model is not None:
            if self.atomic_model == "free":
                raise InputError("atomic_model 'free' is for spectrum comparisons only, not for a search")
            try:
                model = as_atomic_model(self.atomic_model)
            except InputError as exc:
                raise InputError(f"atomic_model must be an atomic model: {exc}") from None
            object.__setattr__(self, "atomic_model", model)
        if self.atomic_uncertainty is not None and self.atomic_uncertainty not in ATOMIC_UNCERTAINTY_CHOICES:
            choices = ATOMIC_UNCERTAINTY_CHOICES
            raise InputError(f"atomic_uncertainty must be one of {choices} or None; got {self.atomic_uncertainty!r}")
        if (
            self.published is not None
        ):  # a limit: ratios to it are reported, so it must be a number of the search's sign
            pub = checks.real_number("published", self.published)
            if pub == 0 or (pub < 0) != (self.sign < 0):
                raise InputError(
                    f"published must be a non-zero limit with the sign of the search ({self.sign:+d}); got {pub:g}"
                )
        if self.reference is not None:
            ref = checks.real_number("reference", self.reference)
            if ref == 0 or (ref < 0) != (self.sign < 0):
                raise InputError(
                    f"reference must be non-zero with the sign of the search ({self.sign:+d}); got {ref:g}"
                )

    @property
    def parameter(self) -> str:
        return self.parametrisation.parameter

    @property
    def unit(self) -> str:
        return self.parametrisation.unit

    @property
    def alpha_power(self) -> int:
        return self.parametrisation.alpha_power

    def interaction(self, value: float, part: str | None = None) -> Interaction:
        """The interaction of this signal at parameter value ``value`` (one term if ``part`` is given)."""
        kwargs: dict[str, Any] = {} if part is None else {"part": part}
        if self.model in ("millicharge", "magnetic-moment"):
            kwargs.update({self.parameter: value, "flavours": tuple(self.flavours)})
        elif self.model in MEDIATORS:
            kwargs.update(coupling=value, mass_mev=self.mass_mev)
            if self.model == "light-vector":
                kwargs["charges"] = self.charges
        elif self.model == "nsi":
            assert self.chirality is not None  # __post_init__ sets the NSI default "L"
            eps_l, eps_r = {"L": (value, 0.0), "R": (0.0, value), "V": (value / 2, value / 2)}[self.chirality]
            kwargs.update(eps_l=eps_l, eps_r=eps_r, flavours=tuple(self.flavours))
        else:  # charge radius
            kwargs.update(radius2_cm2=value, flavours=tuple(self.flavours))
        return MODELS[self.model](**kwargs)


def _flavour_label(flavours: tuple[str, ...]) -> str:
    return "all" if tuple(flavours) == FLAVOURS else "".join(flavours)


def search_spec(
    signal: str,
    *,
    mass_mev: float | None = None,
    charges: str | None = None,
    flavours: Sequence[str] | None = None,
    window: str | None = None,
    **params: Any,
) -> SearchSpec:
    """The :class:`SearchSpec` of one signal, for the CLI and the API.

    Parameters
    ----------
    signal : str
        One of :data:`SIGNALS`.
    mass_mev : float, optional
        Mediator mass in MeV (required for mediators, refused otherwise).
    charges : str, optional
        Light-vector charge set ("universal", "B-L", "Le-Lmu", "Le-Ltau", "Lmu-Ltau").
    flavours : sequence of str, optional
        Flavours with the interaction (default: all three; NSI and charge radius: ``("e",)``).
    window : str, optional
        Detector window (default: the paper's or the only one).
    **params
        ``chirality`` ("L", "R", "V"; NSI), ``sign`` ("positive"/"negative" or ±1; NSI, charge radius),
        ``reference``, ``published``, ``atomic_model`` (an AtomicModel or a name), ``atomic_uncertainty``
        (``"default"``/``"off"``; None: the detector's), ``key``.

    Raises
    ------
    InputError
        Unknown signal or option, an option the signal does not take, a missing required option.
    """
    if not isinstance(signal, str) or signal not in SIGNALS:
        raise InputError(f"unknown signal {signal!r}; expected one of {sorted(SIGNALS)}")
    options = SIGNALS[signal]
    given = {
        "mass_mev": mass_mev,
        "charges": charges,
        "flavours": flavours,
        **{k: v for k, v in params.items() if k in ("chirality", "sign")},
    }
    for name, value in given.items():
        if value is not None and name not in options.required + options.optional:
            raise InputError(
                f"signal {signal!r} takes no {name} option (it takes {list(options.required + options.optional)})"
            )
    for name in options.required:
        if given.get(name) is None:
            raise InputError(f"signal {signal!r} needs {name} (--{name.replace('_', '-')})")
    generic = ("reference", "published", "atomic_model", "atomic_uncertainty", "key", "chirality", "sign")
    unknown = sorted(set(params) - set(generic))
    if unknown:
        raise InputError(f"unknown search option {unknown[0]!r}; expected one of {list(generic)}")
    sign = params.get("sign", 1)
    sign = {"positive": 1, "+": 1, "negative": -1, "-": -1}.get(sign, sign) if isinstance(sign, str) else sign
    if sign not in (1, -1):
        raise InputError(f"sign must be 'positive' or 'negative'; got {params.get('sign')!r}")
    if flavours is None:
        flavours = ("e",) if signal in SIGNED else FLAVOURS
    flavours = checks.flavour_tuple(flavours, FLAVOURS)
    chirality = params.get("chirality", "L" if signal == "nsi" else None)
    key = params.get("key") or _default_key(signal, mass_mev, charges, flavours, chirality, sign)
    return SearchSpec(
        key,
        signal,
        window=window,
        flavours=flavours,
        mass_mev=None if mass_mev is None else mass_mev,
        reference=params.get("reference"),
        published=params.get("published"),
        atomic_model=params.get("atomic_model"),
        charges=charges,
        chirality=chirality,
        sign=sign,
        atomic_uncertainty=params.get("atomic_uncertainty"),
    )


def _default_key(
    signal: str,
    mass_mev: float | None,
    charges: str | None,
    flavours: tuple[str, ...],
    chirality: str | None,
    sign: int,
) -> str:
    if signal == "magnetic-moment" and tuple(flavours) == FLAVOURS:
        return "magnetic_moment_mub"  # the paper's result keys, which detector configs' [[published]] use
    if signal == "millicharge":
        return "millicharge_common_e" if tuple(flavours) == FLAVOURS else f"millicharge_nu{_flavour_label(flavours)}_e"
    parts = [signal.replace("-", "_")]
    if charges is not None:
        parts.append(charges)
    if signal == "nsi":
        parts.append(f"eps{chirality}")
    if signal in SIGNED or tuple(flavours) != FLAVOURS:
        parts.append(f"nu{_flavour_label(flavours)}")
    if signal in SIGNED:
        parts.append("positive" if sign > 0 else "negative")
    if mass_mev is not None:
        parts.append(f"{float(mass_mev):.4g}MeV")
    return "_".join(parts)


#: The paper's searches (XMASS-I); the dark-photon scan is built by :func:`dark_photon_specs`. Their
#: published limits live in the detector configs (``[[published]]``, see ``searches.paper.published_value``).
PAPER_SEARCHES = (
    SearchSpec("millicharge_common_e", "millicharge"),
    SearchSpec("millicharge_nue_e", "millicharge", flavours=("e",)),
    SearchSpec("millicharge_numu_e", "millicharge", flavours=("mu",)),
    SearchSpec("millicharge_nutau_e", "millicharge", flavours=("tau",)),
    SearchSpec("magnetic_moment_mub", "magnetic-moment"),
)


def dark_photon_masses(n: int = 43, low_mev: float = 1e-3, high_mev: float = 1e3) -> np.ndarray:
    """Log-spaced masses with both published points (1e-3 and 10 MeV) exactly on the grid.

    ``n`` = 43 gives 7 points per decade over six decades (10 MeV = 10^(4 × 7/7 − 3) is a node).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise InputError(f"the dark-photon mass grid needs an integer number ≥ 2 of points; got {n!r}")
    low_mev = checks.mediator_mass_mev(low_mev)
    high_mev = checks.mediator_mass_mev(high_mev)
    if not low_mev < high_mev:
        raise InputError(f"the dark-photon mass grid needs low_mev < high_mev; got {low_mev:g}, {high_mev:g}")
    masses = np.geomspace(low_mev, high_mev, n)
    for exact in (1e-3, 10.0):  # snap the nearest node so the published masses are on the grid
        if low_mev <= exact <= high_mev:
            masses[np.argmin(np.abs(np.log(masses / exact)))] = exact
    return masses


def dark_photon_specs(masses_mev: ArrayLike) -> list[SearchSpec]:
    """One dark-photon :class:`SearchSpec` per mass (MeV), carrying the paper's limit where it has one.

    Raises
    ------
    InputError
        If ``masses_mev`` is not a non-empty sequence of positive masses in MeV.
    """
    masses_mev = check_float_array(masses_mev, "masses_mev", lower=0.0, lower_inclusive=False)
    if masses_mev.ndim != 1:
        raise InputError(f"masses_mev must be a one-dimensional list of masses in MeV; got shape {masses_mev.shape}")
    return [SearchSpec(f"dark_photon_{m:.4g}MeV", "dark-photon", mass_mev=float(m)) for m in masses_mev]
