"""`exonu spectrum`: dR/dT of solar-ν electron recoils in xenon (no detector)."""

from __future__ import annotations

import json
from pathlib import Path

from ..constants import PER_TONNE_YEAR_TO_PER_KG_DAY
from ..errors import InputError


def add_parser(sub):
    p = sub.add_parser("spectrum", help="dR/dT of solar-ν electron recoils in Xe (true deposited energy, no detector)")
    p.add_argument("--model", required=True, choices=["sm", "magnetic-moment", "millicharge", "dark-photon"])
    p.add_argument("--mu", type=float, help="magnetic moment in Bohr magnetons (--model magnetic-moment)")
    p.add_argument("--q", type=float, help="millicharge in units of e (--model millicharge)")
    p.add_argument("--g", type=float, help="B−L coupling g (--model dark-photon)")
    p.add_argument("--mass-mev", type=float, help="dark-photon mass in MeV (--model dark-photon)")
    p.add_argument("--flavour", default="all", choices=["all", "e", "mu", "tau"],
                   help="rate from all flavours at Earth or from one (for the millicharge: only that flavour charged)")
    p.add_argument("--atomic", choices=["fea", "rrpa", "free"],
                   help="atomic treatment (default: the paper's, rrpa for the millicharge, fea otherwise)")
    p.add_argument("--rrpa-ratio-file", type=Path, help="replace the built-in millicharge treatment by FEA × R(T) from this table")
    p.add_argument("--energies-kev", type=float, nargs="+", required=True, help="deposited energies in keV")
    p.add_argument("--solar-model", default="SFII-GS98", help="solar-model preset (default the paper's SFII-GS98)")
    p.add_argument("--sources", nargs="+", default=["pp", "7Be"], help="solar sources (default the paper's pp 7Be)")
    p.add_argument("--flavour-content", default="constant", choices=["constant", "msw"],
                   help="constant 54/23/23 %% (the paper's) or energy-dependent MSW-LMA")
    p.add_argument("--sin2w", type=float, default=0.2386, help="weak mixing angle (default 0.2386, low-Q² value)")
    p.add_argument("--binding", default="xraydb", choices=["xraydb", "dirac-fock"], help="binding energies of the FEA steps")
    p.add_argument("--json", action="store_true", help="print JSON (default: a table)")
    p.set_defaults(func=cmd_spectrum)


def _interaction_parameters(args) -> dict:
    def need(value, flag):
        if value is None:
            raise InputError(f"--model {args.model} needs {flag}")
        return value

    if args.model == "sm":
        return {"sin2_theta_w": args.sin2w}
    flavours = ("e", "mu", "tau") if args.flavour == "all" else (args.flavour,)
    if args.model == "magnetic-moment":
        return {"mu_bohr": need(args.mu, "--mu (μ_B)")}
    if args.model == "millicharge":
        return {"charge_e": need(args.q, "--q (e)"), "flavours": flavours}
    return {"coupling": need(args.g, "--g"), "mass_mev": need(args.mass_mev, "--mass-mev"), "sin2_theta_w": args.sin2w}


def cmd_spectrum(args) -> int:
    import numpy as np

    from ..atomic import RatioTable
    from ..flux import SolarFlux
    from ..oscillation import flavour_content
    from ..spectrum import RecoilSpectrum, default_atomic_model, make_interaction

    spectrum = RecoilSpectrum(flux=SolarFlux(args.solar_model, tuple(args.sources)),
                              flavour_content=flavour_content(args.flavour_content), binding=args.binding)
    interaction = make_interaction(args.model, **_interaction_parameters(args))
    atomic_model = args.atomic or default_atomic_model(args.model)
    if args.rrpa_ratio_file is not None:
        atomic_model = RatioTable.from_file(args.rrpa_ratio_file)
    energies = np.asarray(args.energies_kev, dtype=float)
    rate = spectrum.rate(energies, interaction, flavour=args.flavour, atomic_model=atomic_model)
    out = {
        "model": args.model,
        "parameters": interaction.parameters(),
        "flavour": args.flavour,
        "atomic_model": atomic_model if isinstance(atomic_model, str) else f"ratio table {atomic_model.source}",
        "energies_kev": energies.tolist(),
        "rate_per_tonne_year_kev": rate.tolist(),
        "rate_per_kg_day_kev": (rate * PER_TONNE_YEAR_TO_PER_KG_DAY).tolist(),
        "presets": spectrum.describe(),
        "note": "true deposited energy, no detector response",
    }
    if args.model != "sm":
        from ..xsec import Weak

        sm = spectrum.rate(energies, Weak(args.sin2w), flavour="all", atomic_model="fea")
        out["sm_rate_per_tonne_year_kev"] = sm.tolist()
        out["note"] += ("; rate_* is the exotic part only (dark photon: pure + interference); "
                        "sm_rate_* is the full SM rate (all flavours, FEA)")
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"# {args.model} {out['parameters']}  atomic={out['atomic_model']}  flavour={args.flavour}")
        header = "# T [keV]   rate [events/(t·yr·keV)]" + ("   SM [events/(t·yr·keV)]" if "sm_rate_per_tonne_year_kev" in out else "")
        print(header)
        for i, t in enumerate(energies):
            line = f"{t:10.4g}   {rate[i]:.6g}"
            if "sm_rate_per_tonne_year_kev" in out:
                line += f"   {out['sm_rate_per_tonne_year_kev'][i]:.6g}"
            print(line)
    return 0
