"""`exonu spectrum`: dR/dT of solar-ν electron recoils in xenon (no detector)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..constants import PER_TONNE_YEAR_TO_PER_KG_DAY
from ..errors import InputError
from .atomic import add_atomic_arguments, atomic_model_from_args, atomic_record

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
    "mu": ("magnetic-moment",),
    "q": ("millicharge",),
    "g": ("dark-photon", "light-vector", "scalar", "axial-vector", "pseudoscalar"),
    "mass_mev": ("dark-photon", "light-vector", "scalar", "axial-vector", "pseudoscalar"),
    "charges": ("light-vector",),
    "eps_l": ("nsi",),
    "eps_r": ("nsi",),
    "eps_v": ("nsi",),
    "r2_cm2": ("charge-radius",),
    "nu_flavours": ("nsi", "charge-radius"),
    "rrpa_ratio_file": ("millicharge",),
}
#: Models whose excess interferes with the SM (the JSON output splits it into interference and pure)
INTERFERING = ("dark-photon", "light-vector", "axial-vector", "nsi", "charge-radius")


def add_parser(sub: argparse._SubParsersAction[OneLineArgumentParser]) -> None:
    p = sub.add_parser("spectrum")
    p.add_argument("--model", required=True, choices=MODEL_CHOICES)
    p.add_argument("--mu", type=float, help="magnetic moment in Bohr magnetons (--model magnetic-moment)")
    p.add_argument("--q", type=float, help="millicharge in units of e (--model millicharge)")
    p.add_argument(
        "--g",
        type=float,
        help="mediator coupling g, dimensionless (= g_ν = g_e; dark-photon, light-vector, "
        "scalar, axial-vector, pseudoscalar)",
    )
    p.add_argument("--mass-mev", type=float, help="mediator mass in MeV, > 0 (with --g)")
    p.add_argument("--charges", choices=CHARGE_CHOICES, help="U(1) charges of the light vector (--model light-vector)")
    p.add_argument("--eps-l", type=float, help="NSI ε^{eL}_{αα}, dimensionless, in units of G_F (--model nsi)")
    p.add_argument("--eps-r", type=float, help="NSI ε^{eR}_{αα}, dimensionless, in units of G_F (--model nsi)")
    p.add_argument(
        "--eps-v", type=float, help="vector NSI ε^{eV}_{αα}, dimensionless: ε^{eL} = ε^{eR} = ε^{eV}/2 (--model nsi)"
    )
    p.add_argument(
        "--r2-cm2",
        type=float,
        help="neutrino charge radius ⟨r²⟩ in cm², may be negative; "
        "Δg_V = √2πα⟨r²⟩/(3G_F); write a negative value as --r2-cm2=-1e-32 (--model charge-radius)",
    )
    p.add_argument(
        "--nu-flavours",
        nargs="+",
        choices=["e", "mu", "tau"],
        help="flavours α with the NSI or the charge radius (default e)",
    )
    p.add_argument(
        "--flavour",
        default="all",
        choices=["all", "e", "mu", "tau"],
        help="rate from all flavours at Earth or from one (for the millicharge: only that flavour charged)",
    )
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


def _check_options_apply(args: argparse.Namespace) -> None:
    """Options that do not apply to the chosen model are errors, not silently ignored."""
    for dest, models in MODEL_OPTIONS.items():
        if getattr(args, dest) is not None and args.model not in models:
            flag = "--" + dest.replace("_", "-")
            raise InputError(f"{flag} does not apply to --model {args.model} (it is for {', '.join(models)})")


_T = TypeVar("_T")


def _interaction_parameters(args: argparse.Namespace) -> dict[str, Any]:
    def need(value: _T | None, flag: str) -> _T:
        if value is None:
            raise InputError(f"--model {args.model} needs {flag}")
        return value

    _check_options_apply(args)
    if args.atomic is not None and args.rrpa_ratio_file is not None:
        raise InputError("give one of --atomic and --rrpa-ratio-file, not both")
    if args.atomic_model is not None and (args.atomic is not None or args.rrpa_ratio_file is not None):
        raise InputError("--atomic-model replaces --atomic and --rrpa-ratio-file: give --atomic-model only")
    if args.model == "sm":
        return {"sin2_theta_w": args.sin2w}
    flavours = ("e", "mu", "tau") if args.flavour == "all" else (args.flavour,)
    if args.model == "magnetic-moment":
        return {"mu_bohr": need(args.mu, "--mu (μ_B)")}
    if args.model == "millicharge":
        return {"charge_e": need(args.q, "--q (e)"), "flavours": flavours}
    if args.model in ("scalar", "pseudoscalar"):
        return {"coupling": need(args.g, "--g"), "mass_mev": need(args.mass_mev, "--mass-mev")}
    nu_flavours = tuple(args.nu_flavours or ("e",))
    if args.model == "nsi":
        if args.eps_v is not None and (args.eps_l is not None or args.eps_r is not None):
            raise InputError("give either --eps-v or --eps-l/--eps-r, not both")
        if args.eps_v is None and args.eps_l is None and args.eps_r is None:
            raise InputError("--model nsi needs --eps-l and/or --eps-r, or --eps-v")
        eps_l, eps_r = (
            (args.eps_v / 2, args.eps_v / 2) if args.eps_v is not None else (args.eps_l or 0.0, args.eps_r or 0.0)
        )
        return {"eps_l": eps_l, "eps_r": eps_r, "flavours": nu_flavours, "sin2_theta_w": args.sin2w}
    if args.model == "charge-radius":
        return {"radius2_cm2": need(args.r2_cm2, "--r2-cm2 (cm²)"), "flavours": nu_flavours, "sin2_theta_w": args.sin2w}
    params = {
        "coupling": need(args.g, "--g"),
        "mass_mev": need(args.mass_mev, "--mass-mev"),
        "sin2_theta_w": args.sin2w,
    }
    if args.model == "light-vector":
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
    interaction = make_interaction(args.model, **parameters)
    atomic_model = atomic_model_from_args(args) or args.atomic or default_atomic_model(args.model)
    if args.rrpa_ratio_file is not None:
        atomic_model = RatioTable.from_file(args.rrpa_ratio_file)
    energies = np.asarray(args.energies_kev, dtype=float)
    rate = spectrum.rate(energies, interaction, flavour=args.flavour, atomic_model=atomic_model)
    out = {
        "model": args.model,
        "parameters": interaction.parameters(),
        "flavour": args.flavour,
        "atomic_model": atomic_record(atomic_model, args.binding)["name"],
        "atomic": atomic_record(atomic_model, args.binding),
        "energies_kev": energies.tolist(),
        "rate_per_tonne_year_kev": rate.tolist(),
        "rate_per_kg_day_kev": (rate * PER_TONNE_YEAR_TO_PER_KG_DAY).tolist(),
        "presets": spectrum.describe(),
        "note": "true deposited energy, no detector response",
    }
    if args.model in INTERFERING:
        for part in ("interference", "pure"):
            term = make_interaction(args.model, **parameters, part=part)
            out[f"{part}_rate_per_tonne_year_kev"] = spectrum.rate(
                energies, term, flavour=args.flavour, atomic_model=atomic_model
            ).tolist()
    if args.model != "sm":
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
        print(f"# {args.model} {out['parameters']}  atomic={out['atomic_model']}  flavour={args.flavour}")
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
