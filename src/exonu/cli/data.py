"""`exonu simulate`, `exonu detectors`, `exonu export-pyhf`: data sets, the detector list and pyhf export.

Outputs are checked for writability before anything is computed and written atomically
(:mod:`exonu.fileio`): a failed or interrupted command leaves any previous file intact.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from ..fileio import atomic_write_text, check_output_file

if TYPE_CHECKING:
    from . import OneLineArgumentParser


def output_file(text: str) -> Path:
    """argparse type of ``--out``: a non-empty path (``Path("")`` would silently mean the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the output path is empty")
    return Path(text)


def add_simulate_parser(sub: argparse._SubParsersAction[OneLineArgumentParser]) -> None:
    p = sub.add_parser("simulate")
    p.add_argument("--detector", default="xmass-i", help="detector name or TOML path")
    p.add_argument("--seed", type=int, help="seed of the Poisson draw, an integer ≥ 0 (required unless --asimov)")
    p.add_argument("--asimov", action="store_true", help="write the expected counts instead of a Poisson draw")
    p.add_argument("--window", help="one window (default: every window; several windows get one file each)")
    p.add_argument("--out", type=output_file, required=True, help="output file (.json or text)")
    p.set_defaults(func=cmd_simulate)


def _simulate_output_paths(out: Path, windows: list[str]) -> dict[str, Path]:
    """One output file per window: ``out`` itself for one window, else ``<stem>_<window><suffix>``."""
    if len(windows) == 1:
        return {windows[0]: out}
    return {name: out.with_name(f"{out.stem}_{name}{out.suffix}") for name in windows}


def cmd_simulate(args: argparse.Namespace) -> int:
    from ..config import load_detector, write_dataset
    from ..detector import asimov_data, simulate_data

    if args.asimov and args.seed is not None:
        raise InputError("--seed is not used with --asimov (Asimov data are the expected counts, not a draw)")
    if not args.asimov:
        if args.seed is None:
            raise InputError("exonu simulate needs --seed N (or --asimov)")
        if args.seed < 0:
            raise InputError(f"--seed must be an integer ≥ 0; got {args.seed}")
    check_output_file(args.out)
    setup = load_detector(args.detector)
    windows = [args.window] if args.window else list(setup.windows)
    for name in windows:
        setup.window(name)  # an unknown --window fails before anything is written
    outputs = _simulate_output_paths(args.out, windows)
    for out in outputs.values():
        check_output_file(out)
    for name, out in outputs.items():
        w = setup.window(name)
        if args.asimov:
            counts, meta = asimov_data(setup, name)
        else:
            counts, meta = simulate_data(setup, name, args.seed)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_dataset(out, counts, w.binning.edges_kev, meta)  # written atomically
        print(
            f"wrote {out}: SIMULATED {'Asimov' if args.asimov else f'Poisson (seed {args.seed})'} data, "
            f"window {name!r}, {w.binning.n_bins} bins, {counts.sum():.0f} events"
        )
    return 0


def add_detectors_parser(sub: argparse._SubParsersAction[OneLineArgumentParser]) -> None:
    p = sub.add_parser("detectors")
    p.set_defaults(func=cmd_detectors)


def packaged_detectors() -> list[tuple[str, str]]:
    """(name, one-line description) of every packaged detector config, read with tomllib alone.

    The same list as :func:`exonu.config.list_detectors` (a test checks it), without importing the config
    layer (pydantic, NumPy, xraydb): `exonu detectors` answers at once.
    """
    import tomllib
    from importlib.resources import files

    listing = []
    folder = files("exonu").joinpath("data", "detectors")
    for entry in sorted((e for e in folder.iterdir() if e.name.endswith(".toml")), key=lambda e: e.name):
        raw = tomllib.loads(entry.read_text(encoding="utf-8"))
        name = str(raw.get("name", entry.name.removesuffix(".toml")))
        listing.append((name, str(raw.get("description", "")).strip().splitlines()[0]))
    return listing


def cmd_detectors(args: argparse.Namespace) -> int:
    for name, description in packaged_detectors():
        print(f"{name:14s} {description}")
    return 0


def add_export_parser(sub: argparse._SubParsersAction[OneLineArgumentParser]) -> None:
    p = sub.add_parser("export-pyhf")
    p.add_argument("--detector", default="xmass-i")
    p.add_argument(
        "--signal",
        default="magnetic-moment",
        choices=["millicharge", "magnetic-moment"],
        help="a signal linear in α (the dark photon's g²/g⁴ excess has no HistFactory form)",
    )
    p.add_argument("--window")
    p.add_argument("--data", type=Path)
    p.add_argument("--out", type=output_file, required=True, help="workspace JSON file")
    p.set_defaults(func=cmd_export_pyhf)


def cmd_export_pyhf(args: argparse.Namespace) -> int:
    from ..config import load_detector
    from ..searches import SearchSpec, build_binned_model, choose_window
    from ..stats import to_pyhf_workspace

    check_output_file(args.out)
    setup = load_detector(args.detector)
    spec = SearchSpec(args.signal, args.signal, window=args.window)
    data = None
    if args.data is not None:
        from ..config import read_dataset

        data = read_dataset(args.data, setup.window(choose_window(setup, spec)).binning).counts
    model, templates = build_binned_model(setup, spec, data)
    # the POI mapping and provenance travel in the workspace (its measurement name; pyhf inspect shows it)
    from .. import __version__

    definition = f"mu = ({spec.parameter}/{templates.reference:g} {spec.unit})^{spec.alpha_power}"
    metadata = {
        "poi": "mu",
        "poi_definition": definition,
        "parameter": spec.parameter,
        "unit": spec.unit,
        "reference": templates.reference,
        "power": spec.alpha_power,
        "exonu_version": __version__,
        "detector": setup.name,
        "signal": args.signal,
        "search": spec.key,
        "window": choose_window(setup, spec),
        "data": "packaged" if args.data is None else args.data.name,
        "statistic": "poisson",
    }
    ws = to_pyhf_workspace(model, measurement_name=f"{setup.name}_{args.signal}", poi_name="mu", metadata=metadata)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(ws, indent=1))
    print(f"wrote {args.out}: POI {definition} (also in the workspace's measurement name)")
    return 0
