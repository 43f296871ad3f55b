"""The options that name a signal and its parameters: one vocabulary for every command.

``--signal`` names the model everywhere; its parameters are spelled as the Python arguments of
:func:`exonu.spectrum.differential_rate` / :func:`exonu.spectrum.make_interaction` (``--mu-bohr``,
``--charge-e``, ``--g``, ``--mass-mev``, ``--eps-l``, ``--eps-r``, ``--eps-v``, ``--r2-cm2``); ``--flavour``
is the flavour carrying the interaction; ``--mass-mev`` is one mediator mass and ``--masses-mev`` several.

The spellings of the previous release (``spectrum --model``, ``--mu``, ``--q``, ``--nu-flavours``) are kept
as hidden aliases for one release: each says once on stderr that it is an old name. Giving an option and
its old name together is an error, never "last one wins".
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from ..errors import InputError

#: Every flavour choice of --flavour ("all": the three flavours)
FLAVOUR_CHOICES = ["all", "e", "mu", "tau"]

#: --flavour help of the searches: what one flavour means for each signal that takes it
FLAVOUR_HELP = (
    "flavour carrying the interaction (default: all three for the millicharge and the magnetic moment, "
    "e for NSI and the charge radius). millicharge: only ν_α is charged; magnetic-moment: only ν_α has "
    "the moment (the limit is then on μ_να, not on the common μ_ν, and no published common value is "
    "compared); nsi: ε^{eP}_αα; charge-radius: ⟨r²⟩_να. Refused for the mediators, whose charges fix "
    "the flavours"
)

#: Old spelling → new spelling, kept for one release (listed in the README and the CHANGELOG)
DEPRECATED_ALIASES = {
    "--model": "--signal",
    "--mu": "--mu-bohr",
    "--q": "--charge-e",
    "--nu-flavours": "--flavour",
}

#: Namespace attribute holding the dests given on the command line (to refuse an option given twice)
GIVEN = "options_given"

#: Namespace attribute listing the old spellings used on this command line (reported once each after parsing,
#: so that a parse error stays the only line)
OLD_NAMES = "old_names_used"


class StoreOnce(argparse.Action):
    """Store the value; an option given twice (or with its old name too) is an error, not "last wins"."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        given: set[str] = namespace.__dict__.setdefault(GIVEN, set())
        if self.dest in given:
            flag = self.option_strings[0]
            parser.error(f"{flag} is given twice (or together with its old name); give it once")
        given.add(self.dest)
        setattr(namespace, self.dest, values)


class DeprecatedAlias(StoreOnce):
    """An old spelling of an option: stores into the new option's ``dest`` and says so once on stderr."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        super().__call__(parser, namespace, values, option_string)
        namespace.__dict__.setdefault(OLD_NAMES, []).append(option_string or self.option_strings[0])


def report_old_names(args: argparse.Namespace) -> None:
    """After a successful parse: one ``exonu: warning:`` line for each old spelling used (once each)."""
    for old in dict.fromkeys(getattr(args, OLD_NAMES, ())):
        new = DEPRECATED_ALIASES[old]
        print(f"exonu: warning: {old} is the old name of {new} (kept for one release); write {new}", file=sys.stderr)


def add_deprecated_alias(p: argparse.ArgumentParser, old: str, dest: str, **kwargs: Any) -> None:
    """Register ``old`` (a key of :data:`DEPRECATED_ALIASES`) as a hidden alias storing into ``dest``."""
    p.add_argument(old, dest=dest, action=DeprecatedAlias, help=argparse.SUPPRESS, **kwargs)


# ------------------------------------------------------------------------------------------------
# --signal and the options that shape a search
# ------------------------------------------------------------------------------------------------
def signal_help(choices: Sequence[str]) -> str:
    """``--signal`` help: each model with its one-line description."""
    from .vocabulary import SIGNAL_DESCRIPTIONS

    described = {"sm": "the Standard Model alone (spectrum only)", **SIGNAL_DESCRIPTIONS}
    return "signal model: " + "; ".join(f"{k}: {described.get(k, k)}" for k in choices).replace("%", "%%")


def add_signal_argument(
    p: argparse.ArgumentParser, choices: Sequence[str], *, model_alias: bool = False, describe: bool = True
) -> None:
    """``--signal`` (required) with the models ``choices``; ``model_alias`` also accepts the old ``--model``.

    ``describe`` puts each signal's description (:data:`exonu.cli.vocabulary.SIGNAL_DESCRIPTIONS`, the
    library's :data:`exonu.searches.SIGNALS` as literals) in the help; with ``model_alias`` the help lists
    the names only. Either way the parser imports nothing heavy."""
    action = p.add_argument(
        "--signal",
        required=not model_alias,  # with the alias, cmd checks that one of the two was given
        choices=list(choices),
        metavar="SIGNAL",
        action=StoreOnce,
        help=signal_help(choices) if describe and not model_alias else f"signal model: {', '.join(choices)}",
    )
    if model_alias:
        action.required_by_command = True  # type: ignore[attr-defined]  # shown as required in the README
        add_deprecated_alias(p, "--model", "signal", choices=list(choices), metavar="SIGNAL")


def require_signal(args: argparse.Namespace) -> str:
    """The ``--signal`` of a command whose ``--signal`` has an alias (so argparse cannot require it)."""
    if args.signal is None:
        raise InputError("--signal is required (e.g. --signal magnetic-moment)")
    return str(args.signal)


def add_mass_argument(p: argparse.ArgumentParser, help_text: str | None = None) -> None:
    """``--mass-mev``: one mediator mass in MeV."""
    p.add_argument(
        "--mass-mev",
        type=float,
        help=help_text
        or "mediator mass in MeV (> 0; required for the mediator signals dark-photon, light-vector, "
        "axial-vector, scalar, pseudoscalar)",
    )


def add_charges_argument(p: argparse.ArgumentParser) -> None:
    from .vocabulary import CHARGE_SETS

    p.add_argument(
        "--charges",
        choices=list(CHARGE_SETS),
        help="U(1) charge set of the light vector (--signal light-vector only; required there)",
    )


def add_flavour_argument(p: argparse.ArgumentParser, help_text: str = FLAVOUR_HELP) -> None:
    """``--flavour {all,e,mu,tau}``: the flavour carrying the interaction (default per signal)."""
    p.add_argument("--flavour", choices=FLAVOUR_CHOICES, action=StoreOnce, help=help_text)


def add_signal_arguments(p: argparse.ArgumentParser, *, mediators_only: bool = False) -> None:
    """The options that define a search's signal (`exonu fit`, `exonu exclusion`, `exonu toys`, `exonu scan`)."""
    from .vocabulary import SIGNAL_DESCRIPTIONS

    if not mediators_only:
        add_signal_argument(p, sorted(SIGNAL_DESCRIPTIONS))
        add_mass_argument(p)
    add_charges_argument(p)
    if not mediators_only:
        p.add_argument(
            "--chirality",
            choices=["L", "R", "V"],
            help="NSI only: ε^{eL} alone, ε^{eR} alone, or vector ε^{eV} (ε^{eL} = ε^{eR} = ε^{eV}/2); default L",
        )
        p.add_argument(
            "--sign",
            choices=["positive", "negative"],
            help="NSI and charge radius only: the side of the (signed) parameter the one-sided limit is set "
            "on; default positive",
        )
        add_flavour_argument(p)


def flavours_from_args(args: argparse.Namespace) -> tuple[str, ...] | None:
    """``--flavour`` as a flavour tuple ("all" → the three), or None when not given."""
    flavour = getattr(args, "flavour", None)
    if flavour is None:
        return None
    return ("e", "mu", "tau") if flavour == "all" else (flavour,)


def spec_from_args(args: argparse.Namespace, mass_mev: float | None = None) -> Any:
    """The :class:`~exonu.searches.SearchSpec` of the signal options (one-line InputError for bad ones)."""
    from ..searches import search_spec
    from .atomic import atomic_settings_from_args

    options: dict[str, Any] = {}
    for name in ("chirality", "sign"):
        if getattr(args, name, None) is not None:
            options[name] = getattr(args, name)
    return search_spec(
        args.signal,
        mass_mev=getattr(args, "mass_mev", None) if mass_mev is None else mass_mev,
        charges=getattr(args, "charges", None),
        flavours=flavours_from_args(args),
        window=getattr(args, "window", None),
        **options,
        **atomic_settings_from_args(args),
    )


# ------------------------------------------------------------------------------------------------
# the physical parameters of one interaction (`exonu spectrum`)
# ------------------------------------------------------------------------------------------------
MEDIATOR_MODELS = ("dark-photon", "light-vector", "scalar", "axial-vector", "pseudoscalar")

#: argparse dest → (flag, old flag or None, help, the models it applies to). The dests are the Python
#: argument names of :func:`exonu.spectrum.make_interaction` (``g`` and ``r2_cm2`` are its aliases of
#: ``coupling`` and ``radius2_cm2``).
PARAMETER_OPTIONS: dict[str, tuple[str, str | None, str, tuple[str, ...]]] = {
    "mu_bohr": ("--mu-bohr", "--mu", "magnetic moment μ_ν in Bohr magnetons", ("magnetic-moment",)),
    "charge_e": ("--charge-e", "--q", "millicharge q_ν in units of e (≥ 0; the rate depends on q²)", ("millicharge",)),
    "g": ("--g", None, "mediator coupling g = g_ν = g_e, dimensionless", MEDIATOR_MODELS),
    "eps_l": ("--eps-l", None, "NSI ε^{eL}_{αα}, dimensionless, in units of G_F; may be negative", ("nsi",)),
    "eps_r": ("--eps-r", None, "NSI ε^{eR}_{αα}, dimensionless, in units of G_F; may be negative", ("nsi",)),
    "eps_v": (
        "--eps-v",
        None,
        "vector NSI ε^{eV}_{αα}, dimensionless: ε^{eL} = ε^{eR} = ε^{eV}/2; may be negative",
        ("nsi",),
    ),
    "r2_cm2": (
        "--r2-cm2",
        None,
        "neutrino charge radius ⟨r²⟩ in cm², may be negative (--r2-cm2 -1e-32); Δg_V = √2πα⟨r²⟩/(3G_F)",
        ("charge-radius",),
    ),
}


def add_parameter_arguments(p: argparse.ArgumentParser) -> None:
    """``--mu-bohr``, ``--charge-e``, ``--g``, ``--eps-l/-r/-v``, ``--r2-cm2`` (negative values accepted)."""
    for dest, (flag, old, text, models) in PARAMETER_OPTIONS.items():
        applies = ", ".join(models) if len(models) < 3 else "the mediators"
        p.add_argument(flag, dest=dest, type=float, action=StoreOnce, help=f"{text} (--signal {applies})")
        if old is not None:
            add_deprecated_alias(p, old, dest, type=float)
