"""Options shared by several commands, resolved against the detectors they name."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ..errors import InputError

if TYPE_CHECKING:
    from ..detector import DetectorSetup

#: what each --method computes, with its threshold at the default 90 % CL (shown in --help)
METHOD_HELP = {
    "bayesian": "the paper's Bayesian χ² density: flat prior in α ≥ 0, limit at the posterior's cl quantile",
    "plr": "asymptotic one-sided profile likelihood ratio q̃: Δχ² = Φ⁻¹(cl)² (1.642 at 90 %%)",
    "neyman": "q̃ with critical values from toys at each α of a grid (Neyman construction)",
    "cls": "asymptotic CLs with q̃ (arXiv:1007.1727): excluded where CLs ≤ 1 − cl (0.1 at 90 %%), pyhf's default",
    "pcl": "power-constrained PLR limit (arXiv:1105.3166): Δχ² = 1.642 at 90 %%, never below the −1σ expected limit",
    "fc": "Feldman–Cousins unified interval from toys (t̃ ordering); the limit is its upper end",
}

STATISTIC_HELP = (
    "fit statistic: the paper's χ² of Eqs. (4)–(7) or the Poisson likelihood (default: the "
    "detector config's `statistic`, chi2 for the XMASS-I reconstruction, poisson for XENON1T/XENONnT)"
)


def add_limit_arguments(p: argparse.ArgumentParser) -> None:
    """``--method`` (every limit method of :mod:`exonu.stats`, thresholds in the help) and ``--cl``."""
    from .vocabulary import LIMIT_METHODS

    p.add_argument(
        "--method",
        choices=list(LIMIT_METHODS),
        default="bayesian",
        help="upper-limit method (default bayesian): " + "; ".join(f"{k}: {v}" for k, v in METHOD_HELP.items()),
    )
    add_cl_argument(p)


def add_cl_argument(p: argparse.ArgumentParser) -> None:
    """``--cl``: the confidence (credibility) level, in (0.5, 1) for every command."""
    p.add_argument(
        "--cl", type=confidence_level, default=0.9, help="confidence (credibility) level in (0.5, 1); default 0.9"
    )


def add_statistic_argument(p: argparse.ArgumentParser) -> None:
    """``--statistic {chi2,poisson}``, defaulting to the detector's own (see :func:`resolve_statistic`)."""
    p.add_argument("--statistic", choices=["chi2", "poisson"], default=None, help=STATISTIC_HELP)


def resolve_statistic(args: argparse.Namespace, setups: Iterable[DetectorSetup]) -> str | dict[str, str]:
    """``--statistic`` if given, else the statistic each detector config names.

    Sets ``args.statistic`` and returns it: one name, or for a joint fit of detectors whose configs
    differ a mapping detector name → statistic (each detector's bins then keep their own statistic).
    """
    if args.statistic is None:
        chosen = {s.name: s.statistic for s in setups}
        args.statistic = next(iter(chosen.values())) if len(set(chosen.values())) == 1 else chosen
    return args.statistic


def print_json(document: dict[str, Any]) -> None:
    """A command's result document on standard output, as JSON (NumPy values made plain)."""
    from ..output import to_jsonable

    print(json.dumps(to_jsonable(document), indent=2, ensure_ascii=False))


# ------------------------------------------------------------------------------------------------
# bounded values: every size-like option has an upper bound, checked by the parser before any work
# ------------------------------------------------------------------------------------------------
#: Confidence levels every command accepts: 0.5 < cl < 1 (below 0.5 a one-sided limit is not a limit)
CL_RANGE = (0.5, 1.0)
#: Upper bounds of the size-like options (documented in each --help and in the README's command table)
MAX_MASSES = 1000  # reproduce --masses, exclusion/scan --n-masses, the number of --masses-mev
MAX_TOYS = 10_000_000  # toys --n-toys, scan --n-toys / --n-background
MAX_COUPLINGS = 1000  # scan --n-couplings
MAX_UNITS = 100_000  # stored work units of one toys/scan run (one Parquet file each)
#: Memory a toy row takes in a run's summary (limit, fit, flags; 8-byte floats), for the up-front estimate
BYTES_PER_TOY_ROW = 64
#: --jobs may be at most this many times the number of CPUs
JOBS_PER_CPU = 4


def confidence_level(text: str) -> float:
    """argparse ``type`` of ``--cl``: a number in (0.5, 1), the same range in every command."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number in (0.5, 1), e.g. 0.9; got {text!r}") from None
    low, high = CL_RANGE
    if not low < value < high:
        raise argparse.ArgumentTypeError(f"must be a number in (0.5, 1), e.g. 0.9 for 90 %; got {text}")
    return value


def bounded_int(low: int, high: int, what: str = "") -> Callable[[str], int]:
    """argparse ``type`` of an integer option in [low, high] (argparse names the flag in its message)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            try:  # 1e8 written in scientific notation
                number = float(text)
            except ValueError:
                number = math.nan
            if not (math.isfinite(number) and number == int(number)):
                raise argparse.ArgumentTypeError(f"must be an integer in [{low}, {high}]; got {text!r}") from None
            value = int(number)
        if not low <= value <= high:
            note = f" ({what})" if what else ""
            raise argparse.ArgumentTypeError(f"must be an integer in [{low}, {high}]{note}; got {text}")
        return value

    parse.__name__ = "integer"  # argparse's "invalid integer value" wording for other failures
    return parse


def max_jobs() -> int:
    """The largest ``--jobs``: :data:`JOBS_PER_CPU` × the CPUs this process may use."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cpus = os.cpu_count() or 1
    return JOBS_PER_CPU * max(cpus, 1)


def jobs_count(text: str) -> int:
    """argparse ``type`` of ``--jobs``: 1 ≤ jobs ≤ :func:`max_jobs`."""
    return bounded_int(1, max_jobs(), f"at most {JOBS_PER_CPU} × the {max_jobs() // JOBS_PER_CPU} CPUs")(text)


def output_path(text: str) -> Path:
    """argparse ``type`` of ``--out``: a non-empty path (``Path("")`` would silently mean the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the output path is empty")
    return Path(text)


def check_unit_count(flag: str, n_units: int) -> None:
    """Refuse a toys/scan plan of more than :data:`MAX_UNITS` work units before planning them."""
    if n_units > MAX_UNITS:
        raise InputError(
            f"{flag}: this run would store {n_units} work units (one file each; at most {MAX_UNITS}); "
            "raise --chunk-size or lower the number of toys"
        )


def toy_count(low: int = 1) -> Callable[[str], int]:
    """argparse ``type`` of a number of toys: [low, :data:`MAX_TOYS`], the message giving the memory at the bound."""
    gib = MAX_TOYS * BYTES_PER_TOY_ROW / 2**30
    return bounded_int(low, MAX_TOYS, f"a table of {MAX_TOYS} toys already takes ≈ {gib:.1f} GiB")


def check_toy_plan(n_toys: int, chunk_size: int, n_points: int = 1, flag: str = "--n-toys") -> None:
    """Refuse a toys/scan run of more than :data:`MAX_UNITS` stored units (``n_points`` grid points of
    ``n_toys`` toys in chunks of ``chunk_size``) before any unit is planned."""
    check_unit_count(flag, n_points * -(-n_toys // chunk_size))


# ------------------------------------------------------------------------------------------------
# units in human summaries
# ------------------------------------------------------------------------------------------------
#: How a unit is shown to a person (JSON keeps the ASCII names)
UNIT_DISPLAY = {"mu_B": "μ_B"}


def display_unit(unit: str, stream: TextIO | None = None) -> str:
    """``unit`` as printed in a human summary: ``μ_B``, or ``mu_B`` where ``stream`` cannot encode μ."""
    shown = UNIT_DISPLAY.get(unit, unit)
    encoding = getattr(stream or sys.stdout, "encoding", None) or "utf-8"
    try:
        shown.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return unit
    return shown


def human_text(text: str, stream: TextIO | None = None) -> str:
    """A human summary as printed: units written one way (``μ_B``), ASCII where ``stream`` cannot show them."""
    for unit in UNIT_DISPLAY:
        text = text.replace(unit, display_unit(unit, stream))
    return display_text(text, stream)


def display_text(text: str, stream: TextIO | None = None) -> str:
    """``text`` with μ/σ/χ/Δ/± replaced by ASCII where ``stream`` cannot encode them."""
    encoding = getattr(stream or sys.stdout, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        for symbol, ascii_text in (("μ", "mu"), ("σ", "sigma"), ("χ²", "chi2"), ("Δ", "d"), ("±", "+-")):
            text = text.replace(symbol, ascii_text)
    return text


# ------------------------------------------------------------------------------------------------
# options that apply to some methods only
# ------------------------------------------------------------------------------------------------
#: Toys per grid point of the neyman/fc belt when --belt-toys is not given
DEFAULT_BELT_TOYS = 500
#: The limit methods that build a belt from toys (the only ones --belt-toys applies to)
BELT_METHODS = ("neyman", "fc")


def add_belt_toys_argument(p: argparse.ArgumentParser) -> None:
    """``--belt-toys``: toys per grid point of the neyman/fc belt (an error with any other ``--method``)."""
    p.add_argument(
        "--belt-toys",
        type=bounded_int(1, MAX_TOYS),
        default=None,
        help=f"toys per grid point of the neyman/fc belt (default {DEFAULT_BELT_TOYS}; ≤ {MAX_TOYS}; "
        "refused with the other methods)",
    )


def resolve_belt_toys(args: argparse.Namespace) -> int:
    """``--belt-toys`` if the method uses a belt (its default if not given); an error if it does not."""
    if args.belt_toys is not None and args.method not in BELT_METHODS:
        raise InputError(
            f"--belt-toys applies to --method {' or '.join(BELT_METHODS)} only (a toy belt); "
            f"--method {args.method} does not use it (drop --belt-toys)"
        )
    if args.belt_toys is None:
        args.belt_toys = DEFAULT_BELT_TOYS
    return int(args.belt_toys)


def resolve_belt_seed(args: argparse.Namespace) -> int:
    """``--seed`` of a command whose only toys are the neyman/fc belt's: 0 if not given, an error with
    another method (it would seed nothing)."""
    if args.seed is not None and args.method not in BELT_METHODS:
        raise InputError(
            f"--seed seeds the toys of --method {' or '.join(BELT_METHODS)}; --method {args.method} draws no toys "
            "(drop --seed)"
        )
    if args.seed is None:
        args.seed = 0
    return int(args.seed)
