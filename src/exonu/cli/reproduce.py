"""`exonu reproduce`: every search of the paper on one detector; results, figures and report.html as one run."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from .options import (
    MAX_MASSES,
    MAX_TOYS,
    add_statistic_argument,
    bounded_int,
    jobs_count,
    output_path,
    resolve_statistic,
)

if TYPE_CHECKING:
    from ..detector import Dataset
    from . import OneLineArgumentParser


def _load_datasets(paths: Iterable[str | Path] | None) -> list[Dataset]:
    from ..config import read_dataset

    datasets = []
    for p in paths or ():
        ds = read_dataset(p)
        ds.metadata.setdefault("path", str(p))
        datasets.append(ds)
    return datasets


def add_parser(sub: argparse._SubParsersAction[OneLineArgumentParser]) -> None:
    p = sub.add_parser("reproduce")
    p.add_argument(
        "--out",
        type=output_path,
        default=Path("exonu_results"),
        help="output folder (default exonu_results); replaced as a whole run, other files kept",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="seed of the toys for the expected bands (integer ≥ 0; default 0)"
    )
    p.add_argument(
        "--jobs", type=jobs_count, default=1, help="processes for the dark-photon mass scan (default 1; ≤ 4 × CPUs)"
    )
    p.add_argument(
        "--detector", default="xmass-i", help="detector name or TOML path (default the XMASS-I reconstruction)"
    )
    p.add_argument(
        "--data",
        type=Path,
        action="append",
        help="binned data file (from `exonu simulate` or your own); matched to a window by its bin edges; "
        "repeat for several windows. Default: Asimov background-only data",
    )
    p.add_argument(
        "--toys",
        type=bounded_int(0, MAX_TOYS),
        default=200,
        help=f"toys per search for the ±1σ expected band (default 200; ≤ {MAX_TOYS}); 0: no toys anywhere "
        "(every expected limit the Asimov median, no bands; the dark-photon scan too unless --dark-photon-toys)",
    )
    p.add_argument(
        "--masses",
        type=bounded_int(2, MAX_MASSES),
        default=43,
        help=f"dark-photon masses, log-spaced 1e-3–1e3 MeV (default 43; 2 to {MAX_MASSES})",
    )
    p.add_argument(
        "--dark-photon-toys",
        type=bounded_int(0, MAX_TOYS),
        default=None,
        help="toys per dark-photon mass for the expected band of Fig. 6 (default 40, and 0 with --toys 0: "
        "no toys at all; 0: Asimov median only)",
    )
    add_statistic_argument(p)
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures (report.html then has none)")
    p.add_argument(
        "--quick",
        action="store_true",
        help="a first look (under 1/5 of the CPU): every limit, bands for 2 searches, "
        "8 masses, Figs. 4 and 6; labelled quick in every output",
    )
    p.set_defaults(func=cmd_reproduce)


def canonical_command_line(args: argparse.Namespace) -> list[str]:
    """The command that reproduces this run, every option spelled out (recorded in the manifest and report).

    Built from the parsed options rather than ``sys.argv``, which is another program's when the CLI is
    called in-process (``exonu.cli.main([...])``).
    """
    line = [
        "exonu",
        "reproduce",
        "--out",
        str(args.out),
        "--seed",
        str(args.seed),
        "--jobs",
        str(args.jobs),
        "--detector",
        str(args.detector),
        "--toys",
        str(args.toys),
        "--masses",
        str(args.masses),
        "--dark-photon-toys",
        str(args.dark_photon_toys),
        "--statistic",
        args.statistic,
    ]
    for path in args.data or ():
        line += ["--data", str(path)]
    return line + (["--no-figures"] if args.no_figures else []) + (["--quick"] if args.quick else [])


def resolve_dark_photon_toys(args: argparse.Namespace) -> None:
    """``--dark-photon-toys`` not given: 40 per mass, or none when ``--toys 0`` asks for no toys at all."""
    from ..searches.paper import DARK_PHOTON_TOYS

    if args.dark_photon_toys is None:
        args.dark_photon_toys = DARK_PHOTON_TOYS if args.toys else 0


def cmd_reproduce(args: argparse.Namespace) -> int:
    from ..config import load_detector
    from ..output import RunFolder, results_markdown, write_run_files
    from ..parallel import executor_for
    from ..searches import dark_photon_masses, data_for_windows, reproduce_paper

    resolve_dark_photon_toys(args)
    if args.seed < 0:
        raise InputError(f"--seed must be an integer ≥ 0; got {args.seed}")
    if args.jobs < 1:
        raise InputError(f"--jobs must be ≥ 1; got {args.jobs}")
    if args.toys < 0 or args.dark_photon_toys < 0:
        raise InputError(f"--toys and --dark-photon-toys must be ≥ 0; got {args.toys}, {args.dark_photon_toys}")
    if args.masses < 2:
        raise InputError(f"--masses must be ≥ 2; got {args.masses}")
    setup = load_detector(args.detector)
    resolve_statistic(args, [setup])
    command_line = canonical_command_line(args)
    datasets = _load_datasets(args.data)
    data_for_windows(setup, datasets)  # a file matching no window, or two files for one, fail before any work
    # the output folder is checked (and a staging folder made) before any computation
    with RunFolder(args.out, seed=args.seed, command_line=command_line) as run:
        if setup.is_reconstruction:
            print(
                f"exonu: detector {setup.name!r} is a RECONSTRUCTION from published information (see its REFERENCE.md)",
                file=sys.stderr,
            )
        with executor_for(args.jobs) as executor:
            res = reproduce_paper(
                setup,
                datasets,
                seed=args.seed,
                n_toys=args.toys,
                masses_mev=dark_photon_masses(args.masses),
                mapper=executor.map,  # the dark-photon masses: in this process or on --jobs local processes
                statistic=args.statistic,
                dark_photon_toys=args.dark_photon_toys,
                quick=args.quick,
            )
        write_run_files(
            res,
            run,
            figures=not args.no_figures,
            command_line=command_line,
            data_files=[str(p) for p in args.data or ()],
        )
    print(results_markdown(res).split("## What the differences mean")[0].rstrip())
    print(f"\nwrote {len(run.written) + 1} files to {args.out}/ (manifest.json last) in {res.seconds:.1f} s")
    return 0
