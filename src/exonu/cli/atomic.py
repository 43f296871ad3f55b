"""The atomic-model options shared by `exonu spectrum` and `exonu fit` (docs/physics.md §18).

``--atomic-model NAME [FILE]`` names the treatment of the xenon atom (``steps``, ``steps+epa``,
``steps-dirac-fock``, ``steps-dirac-fock+epa``, or ``ratio-table FILE``); ``--epa-neutrino-mass-ev`` states
the neutrino mass in the equivalent-photon logarithm; ``--ratio-table-outside steps`` lets a ratio table
fall back to the plain steps outside its range; ``--atomic-uncertainty {default,off}`` (fits only) switches
the nuisance ``atomic``.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import InputError

#: the names --atomic-model accepts (exonu.atomic.ATOMIC_MODEL_NAMES; kept here so the CLI imports nothing heavy)
ATOMIC_MODEL_CHOICES = ("steps", "steps+epa", "steps-dirac-fock", "steps-dirac-fock+epa", "ratio-table")

ATOMIC_MODEL_HELP = (
    "atomic treatment of xenon (docs/physics.md §18): steps (free-electron steps, xraydb edges; the default, "
    "plus +epa for the millicharge), steps-dirac-fock (Dirac–Fock binding energies), NAME+epa (adds the "
    "millicharge's equivalent-photon term), or 'ratio-table FILE' (steps × a table of T [keV] and the ratio "
    "to the step rate; '# interaction: NAME' states its interaction type). Default: the detector config's, "
    "else the paper's"
)


def add_atomic_arguments(p: argparse.ArgumentParser, *, uncertainty: bool = True) -> None:
    """``--atomic-model``, ``--epa-neutrino-mass-ev``, ``--ratio-table-outside`` and (fits) ``--atomic-uncertainty``."""
    p.add_argument("--atomic-model", nargs="+", metavar="NAME [FILE]", help=ATOMIC_MODEL_HELP)
    p.add_argument(
        "--epa-neutrino-mass-ev",
        type=float,
        help="neutrino mass in eV in the equivalent-photon logarithm ln(E_ν/m_ν) (with a +epa model; default 0.1)",
    )
    p.add_argument(
        "--ratio-table-outside",
        choices=["refuse", "steps"],
        default="refuse",
        help="outside a ratio table's energy range: refuse (default) or use the plain steps (ratio 1), stated",
    )
    if uncertainty:
        p.add_argument(
            "--atomic-uncertainty",
            choices=["default", "off"],
            help="the atomic nuisance 'atomic' (documented table, docs/physics.md §18.2): default puts it in the "
            "fit, off leaves it out (default: the detector config's; on for XENON1T/XENONnT, off for XMASS-I)",
        )


def atomic_model_from_args(args: argparse.Namespace) -> Any:
    """The :class:`exonu.atomic.AtomicModel` of ``--atomic-model`` (None if not given).

    Raises
    ------
    InputError
        An unknown name, a FILE without ``ratio-table`` (or the reverse), ``--epa-neutrino-mass-ev``
        without a ``+epa`` model, or ``--ratio-table-outside steps`` without a ratio table.
    """
    words = getattr(args, "atomic_model", None)
    mass = getattr(args, "epa_neutrino_mass_ev", None)
    outside = getattr(args, "ratio_table_outside", "refuse")
    if words is None:
        if mass is not None:
            raise InputError("--epa-neutrino-mass-ev needs --atomic-model steps+epa (or steps-dirac-fock+epa)")
        if outside != "refuse":
            raise InputError("--ratio-table-outside needs --atomic-model ratio-table FILE")
        return None
    name, *rest = words
    if name not in ATOMIC_MODEL_CHOICES:
        raise InputError(f"--atomic-model must be one of {', '.join(ATOMIC_MODEL_CHOICES)}; got {name!r}")
    if len(rest) > 1 or (name == "ratio-table") != bool(rest):
        raise InputError("--atomic-model takes one name, and a FILE after 'ratio-table' only (ratio-table FILE)")
    if mass is not None and not name.endswith("+epa"):
        raise InputError("--epa-neutrino-mass-ev is the mass of the equivalent-photon term: use a +epa model")
    if outside != "refuse" and name != "ratio-table":
        raise InputError("--ratio-table-outside applies to --atomic-model ratio-table FILE only")
    from ..atomic import AtomicModel

    return AtomicModel.from_name(name, rest[0] if rest else None, epa_neutrino_mass_ev=mass, outside_table=outside)


def atomic_settings_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The search options of the atomic flags (``atomic_model``, ``atomic_uncertainty``) for ``search_spec``.

    Only what was given: an empty dict leaves both to the detector config.
    """
    options: dict[str, Any] = {}
    model = atomic_model_from_args(args)
    if model is not None:
        options["atomic_model"] = model
    if getattr(args, "atomic_uncertainty", None) is not None:
        options["atomic_uncertainty"] = args.atomic_uncertainty
    return options


def atomic_record(atomic_model: Any, binding: str) -> dict[str, Any]:
    """What a spectrum output states about its atomic model (a name, legacy name, RatioTable or AtomicModel)."""
    from ..atomic import as_atomic_model
    from ..xsec.millicharge import DEFAULT_EPA_NEUTRINO_MASS_EV

    model = as_atomic_model(atomic_model, binding)
    if model is None:
        return {"name": "free", "steps": "none: all 54 electrons free at every T"}
    # `exonu spectrum` builds its millicharge with the default EPA mass: that is the mass a model leaving it open uses
    return model.with_neutrino_mass(DEFAULT_EPA_NEUTRINO_MASS_EV).describe()
