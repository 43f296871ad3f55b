"""`exonu spectrum`: dR/dT of solar-ν electron recoils in xenon (no detector)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..constants import PER_TONNE_YEAR_TO_PER_KG_DAY
from ..errors import InputError
from .atomic import add_atomic_arguments, atomic_model_from_args, atomic_record
from .signals import (
    MEDIATOR_MODELS,
    PARAMETER_OPTIONS,
    add_deprecated_alias,
    add_flavour_argument,
    add_mass_argument,
    add_parameter_arguments,
    add_signal_argument,
    require_signal,
)

if TYPE_CHECKING:
    from . import OneLineArgumentParser

MODEL_CHOICES = [
    "sm",
    "magnetic-moment",
    "millicharge",
    "dark-photon",
    "light-vector",
    "scalar",
    "axial-vector",
    "pseudoscalar",
    "nsi",
    "charge-radius",
]
CHARGE_CHOICES = ["universal", "B-L", "Le-Lmu", "Le-Ltau", "Lmu-Ltau"]
#: Model-specific options (argparse dest) and the models they apply to; any other use is an error
MODEL_OPTIONS = {
    **{dest: models for dest, (_, _, _, models) in PARAMETER_OPTIONS.items()},
    "mass_mev": MEDIATOR_MODELS,
    "charges": ("light-vector",),
    "nu_flavours": ("nsi", "charge-radius"),
    "rrpa_ratio_file": ("millicharge",),
}
#: Models whose excess interferes with the SM (the JSON output splits it into interference and pure)
INTERFERING = ("dark-photon", "light-vector", "axial-vector", "nsi", "charge-radius")
#: Models whose --flavour names the flavours with the interaction; the rate is then summed over all flavours
FLAVOURED_INTERACTION = ("nsi", "charge-radius")


def add_parser(sub: argparse._SubParsersAction[OneLineArgumentParser]) -> None:
    p = sub.add_parser("spectrum")
    add_signal_argument(p, MODEL_CHOICES, model_alias=True)
    add_parameter_arguments(p)
    add_mass_argument(p, "mediator mass in MeV, > 0 (with --g)")
    p.add_argument("--charges", choices=CHARGE_CHOICES, help="U(1) charges of the light vector (--signal light-vector)")
    add_flavour_argument(
        p,
        "flavour carrying the interaction, as in `exonu fit` (default: all three; e for nsi and charge-radius): "
        "for the millicharge, magnetic moment, nsi and charge radius only ν_α has it; for the SM and the "
        "mediators the rate is that of ν_α alone",
    )
    add_deprecated_alias(p, "--nu-flavours", "nu_flavours", nargs="+", choices=["e", "mu", "tau"])
    p.add_argument(
        "--atomic",
        choices=["fea", "rrpa", "free"],
        help="atomic treatment (default: the paper's, rrpa for the millicharge, fea otherwise)",
    )
    p.add_argument(
        "--rrpa-ratio-file", type=Path, help="replace the built-in millicharge treatment by FEA × R(T) from this table"
    )
    p.add_argument(
        "--energies-kev", type=float, nargs="+", required=True, help="deposited (true recoil) energies in keV"
    )
    p.add_argument("--solar-model", default="SFII-GS98", help="solar-model preset (default the paper's SFII-GS98)")
    p.add_argument("--sources", nargs="+", default=["pp", "7Be"], help="solar sources (default the paper's pp 7Be)")
    p.add_argument(
        "--flavour-content",
        default="constant",
        choices=["constant", "msw"],
        help="constant 54/23/23 %% (the paper's) or energy-dependent MSW-LMA",
    )
    p.add_argument(
        "--sin2w",
        type=float,
        default=0.2386,
        help="weak mixing angle sin²θ_W, dimensionless (default 0.2386, low-Q² value)",
    )
    p.add_argument(
        "--binding", default="xraydb", choices=["xraydb", "dirac-fock"], help="binding energies of the FEA steps"
    )
    add_atomic_arguments(p, uncertainty=False)
    p.add_argument("--json", action="store_true", help="print JSON (default: a table)")
    p.set_defaults(func=cmd_spectrum)


def option_flag(dest: str) -> str:
    """The command-line flag of an argparse dest (``mu_bohr`` → ``--mu-bohr``)."""
    return PARAMETER_OPTIONS[dest][0] if dest in PARAMETER_OPTIONS else "--" + dest.replace("_", "-")


def _check_options_apply(args: argparse.Namespace) -> None:
    """Options that do not apply to the chosen model are errors, not silently ignored."""
    for dest, models in MODEL_OPTIONS.items():
        if getattr(args, dest) is not None and args.signal not in models:
            raise InputError(
                f"{option_flag(dest)} does not apply to --signal {args.signal} (it is for {', '.join(models)})"
            )


_T = TypeVar("_T")


def interaction_flavours(args: argparse.Namespace) -> tuple[str, ...]:
    """The flavours carrying the interaction: ``--flavour`` (or the old ``--nu-flavours``), default per model."""
    if args.nu_flavours is not None and args.flavour is not None:
        raise InputError("give --flavour (the new name of --nu-flavours) once, not both")
    if args.nu_flavours is not None:
        return tuple(args.nu_flavours)
    default = "e" if args.signal in FLAVOURED_INTERACTION else "all"
    flavour = args.flavour or default
    return ("e", "mu", "tau") if flavour == "all" else (flavour,)


def rate_flavour(args: argparse.Namespace) -> str:
    """The flavour whose rate is computed: all for nsi/charge-radius (their --flavour names the interaction)."""
    if args.signal in FLAVOURED_INTERACTION:
        return "all"
    return str(args.flavour or "all")


def _interaction_parameters(args: argparse.Namespace) -> dict[str, Any]:
    def need(value: _T | None, flag: str) -> _T:
        if value is None:
            raise InputError(f"--signal {args.signal} needs {flag}")
        return value

    require_signal(args)
    _check_options_apply(args)
    if args.atomic is not None and args.rrpa_ratio_file is not None:
        raise InputError("give one of --atomic and --rrpa-ratio-file, not both")
    if args.atomic_model is not None and (args.atomic is not None or args.rrpa_ratio_file is not None):
        raise InputError("--atomic-model replaces --atomic and --rrpa-ratio-file: give --atomic-model only")
    flavours = interaction_flavours(args)
    if args.signal == "sm":
        return {"sin2_theta_w": args.sin2w}
    if args.signal == "magnetic-moment":
        return {"mu_bohr": need(args.mu_bohr, "--mu-bohr (μ_B)")}
    if args.signal == "millicharge":
        return {"charge_e": need(args.charge_e, "--charge-e (e)"), "flavours": flavours}
    if args.signal in ("scalar", "pseudoscalar"):
        return {"coupling": need(args.g, "--g"), "mass_mev": need(args.mass_mev, "--mass-mev")}
    if args.signal == "nsi":
        if args.eps_v is not None and (args.eps_l is not None or args.eps_r is not None):
            raise InputError("give either --eps-v or --eps-l/--eps-r, not both")
        if args.eps_v is None and args.eps_l is None and args.eps_r is None:
            raise InputError("--signal nsi needs --eps-l and/or --eps-r, or --eps-v")
        eps_l, eps_r = (
            (args.eps_v / 2, args.eps_v / 2) if args.eps_v is not None else (args.eps_l or 0.0, args.eps_r or 0.0)
        )
        return {"eps_l": eps_l, "eps_r": eps_r, "flavours": flavours, "sin2_theta_w": args.sin2w}
    if args.signal == "charge-radius":
        return {"radius2_cm2": need(args.r2_cm2, "--r2-cm2 (cm²)"), "flavours": flavours, "sin2_theta_w": args.sin2w}
    params = {
        "coupling": need(args.g, "--g"),
        "mass_mev": need(args.mass_mev, "--mass-mev"),
        "sin2_theta_w": args.sin2w,
    }
    if args.signal == "light-vector":
        params["charges"] = need(args.charges, f"--charges ({', '.join(CHARGE_CHOICES)})")
    return params


def cmd_spectrum(args: argparse.Namespace) -> int:
    import numpy as np

    from ..atomic import RatioTable
    from ..flux import SolarFlux
    from ..oscillation import flavour_content
    from ..spectrum import RecoilSpectrum, default_atomic_model, make_interaction

    parameters = _interaction_parameters(args)
    spectrum = RecoilSpectrum(
        flux=SolarFlux(args.solar_model, tuple(args.sources)),
        flavour_content=flavour_content(args.flavour_content),
        binding=args.binding,
    )
    interaction = make_interaction(args.signal, **parameters)
    atomic_model = atomic_model_from_args(args) or args.atomic or default_atomic_model(args.signal)
    if args.rrpa_ratio_file is not None:
        atomic_model = RatioTable.from_file(args.rrpa_ratio_file)
    flavour = rate_flavour(args)
    energies = np.asarray(args.energies_kev, dtype=float)
    rate = spectrum.rate(energies, interaction, flavour=flavour, atomic_model=atomic_model)
    out = {
        "signal": args.signal,
        "model": args.signal,  # the old key, kept for one release
        "parameters": interaction.parameters(),
        "flavour": flavour,
        "atomic_model": atomic_record(atomic_model, args.binding)["name"],
        "atomic": atomic_record(atomic_model, args.binding),
        "energies_kev": energies.tolist(),
        "rate_per_tonne_year_kev": rate.tolist(),
        "rate_per_kg_day_kev": (rate * PER_TONNE_YEAR_TO_PER_KG_DAY).tolist(),
        "presets": spectrum.describe(),
        "note": "true deposited energy, no detector response",
    }
    if args.signal in INTERFERING:
        for part in ("interference", "pure"):
            term = make_interaction(args.signal, **parameters, part=part)
            out[f"{part}_rate_per_tonne_year_kev"] = spectrum.rate(
                energies, term, flavour=flavour, atomic_model=atomic_model
            ).tolist()
    if args.signal != "sm":
        from ..xsec import Weak

        sm = spectrum.rate(energies, Weak(args.sin2w), flavour="all", atomic_model="fea")
        out["sm_rate_per_tonne_year_kev"] = sm.tolist()
        out["note"] += (
            "; rate_* is the excess over the SM only (pure + interference where the model interferes); "
            "sm_rate_* is the full SM rate (all flavours, FEA)"
        )
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"# {args.signal} {out['parameters']}  atomic={out['atomic_model']}  flavour={flavour}")
        header = "# T [keV]   rate [events/(t·yr·keV)]" + (
            "   SM [events/(t·yr·keV)]" if "sm_rate_per_tonne_year_kev" in out else ""
        )
        print(header)
        for i, t in enumerate(energies):
            line = f"{t:10.4g}   {rate[i]:.6g}"
            if "sm_rate_per_tonne_year_kev" in out:
                line += f"   {out['sm_rate_per_tonne_year_kev'][i]:.6g}"
            print(line)
    return 0
