"""Command-line interface: parse, load, call one library function, write output.

One module per command family; each registers its sub-parser. Every error a user can cause is one line
on stderr, ``exonu: error: …``, with exit status 2 and no traceback:

* an :class:`~exonu.errors.ExonuError` from the library;
* a command-line syntax error (argparse's usage block is replaced by one line and a pointer to ``--help``);
* an operating-system error on a file (unreadable input, read-only folder, full disk), and, as a last
  resort, running out of memory, a floating-point overflow or a nesting too deep to parse.

An argument ``@FILE`` is replaced by the words of FILE (:func:`expand_argument_files`; a byte-order mark is
allowed), so long lists such as ``--energies-kev`` are not limited by the operating system's command-line
length. Negative numbers, also ``-1e-32`` and ``-inf``, are values, not options.

Ctrl-C prints ``exonu: interrupted`` and exits with 130; a closed output pipe (``exonu … | head``) ends
the command quietly; SIGTERM ends it with 143 after removing temporary files; a terminal that cannot show
Unicode gets ``?`` instead of a crash. Any other
exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import signal
import sys
import warnings
from collections.abc import Sequence
from types import FrameType
from typing import Any, NamedTuple, NoReturn

from ..errors import ExonuError
from ..fileio import SignalHandler
from .signals import report_old_names


class Command(NamedTuple):
    """Where a sub-command lives: its module in :mod:`exonu.cli`, the one-line summary `exonu --help` shows,
    and the module's function that adds the sub-parser."""

    module: str
    summary: str
    adder: str = "add_parser"


#: The sub-commands, one line each, in the order `exonu --help` lists them. A command's module is imported
#: only when that command runs (or shows its own --help): `exonu --help` and `exonu detectors` start
#: without NumPy, SciPy, matplotlib, pydantic or xraydb.
COMMANDS: dict[str, Command] = {
    "spectrum": Command("spectrum", "dR/dT of solar-ν electron recoils in Xe (true deposited energy, no detector)"),
    "plot": Command("plot", "write a figure of the paper (PNG, PDF, SVG, EPS or PS, from the --out suffix)"),
    "reproduce": Command("reproduce", "all the paper's searches: results.json/.md, report.html and figures"),
    "fit": Command("fit", "one search on one or several detectors: fit, limits, significance (JSON)"),
    "inspect": Command(
        "inspect", "a detector before any fit: windows, expected and observed counts, parameters, checks"
    ),
    "simulate": Command("data", "write seeded Poisson (or Asimov) pseudo-data of a detector", "add_simulate_parser"),
    "detectors": Command("data", "list the packaged detectors", "add_detectors_parser"),
    "export-pyhf": Command("data", "export one search as a pyhf (HistFactory JSON) workspace", "add_export_parser"),
    "config-schema": Command("config", "print the JSON Schema of detector configs (TOML)"),
    "result-schema": Command("result_schema", "print the JSON Schema of fit results (exonu fit --json)"),
    "toys": Command("toys", "toy ensemble of one search: every toy's limit and fit, stored and resumable"),
    "scan": Command("scan", "toy belt over a mass × coupling grid: exclusion curve, expected band, figure"),
    "exclusion": Command("exclusion", "coupling limits versus mediator mass (observed and expected), JSON + PNG"),
    "contour": Command("contour", "confidence region of a signal in two of its parameters (JSON + PNG)"),
}

#: Exit status of a command interrupted by Ctrl-C (128 + SIGINT), as a shell reports it
EXIT_INTERRUPTED = 130
#: Exit status of a command whose output pipe was closed (128 + SIGPIPE), as if killed by SIGPIPE
EXIT_BROKEN_PIPE = 141
#: Exit status after SIGTERM (128 + 15), reached by unwinding so that temporary files are removed
EXIT_TERMINATED = 143
#: Exit status of every user error
EXIT_USAGE = 2


class OneLineArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, ``exonu: error: <command>: <message> (see … --help)``.

    Sub-parsers inherit the class (argparse builds them with ``type(parent)``), so the sub-commands'
    errors are one line as well. The exit status stays argparse's 2.
    """

    #: A negative number, also in scientific notation or infinite (argparse's own rule knows only -1 and
    #: -1.5, so `--r2-cm2 -1e-32` would be read as an unknown option -1e-32)
    NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-(inf|infinity|nan)$", re.IGNORECASE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # argparse's documented behaviour is "a negative number is an argument unless the parser has
        # options that look like negative numbers"; only its pattern is too narrow
        self._negative_number_matcher = self.NEGATIVE_NUMBER

    def convert_arg_line_to_args(self, arg_line: str) -> list[str]:
        """Split a line of an ``@FILE`` into arguments: whitespace-separated, ``#`` starts a comment."""
        return arg_line.split("#", 1)[0].split()

    def error(self, message: str) -> NoReturn:
        command = self.prog.split(" ", 1)[1] + ": " if " " in self.prog else ""
        print_error(f"{command}{message} (see `{self.prog} --help`)")
        self.exit(EXIT_USAGE)


class VersionAction(argparse.Action):
    """``--version``: reads the installed version only when asked (importlib.metadata is not free)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, *_: Any) -> NoReturn:
        from .. import __version__

        print(f"exonu {__version__}")
        parser.exit()


def print_error(message: str) -> None:
    """Print one ``exonu: error: …`` line on stderr (newlines in ``message`` are folded)."""
    line = " ".join(str(message).split())
    print(f"exonu: error: {line}", file=sys.stderr)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``exonu`` parser, with the full sub-parser of ``command`` (its module imported) and a light
    stand-in for every other command (its name and summary, enough for `exonu --help`)."""
    parser = OneLineArgumentParser(
        prog="exonu",
        description="Exotic neutrino-electron interactions with solar neutrinos in liquid xenon. "
        "An argument @FILE is replaced by the whitespace-separated words of FILE ('#' starts a comment), "
        "e.g. --energies-kev @energies.txt for more energies than a command line holds.",
        fromfile_prefix_chars="@",
    )
    parser.add_argument("--version", action=VersionAction, help="print exonu's version and exit")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write the on-disk cache of detector responses and signal rates "
        "(exonu --no-cache COMMAND …; the cache folder is EXONU_CACHE_DIR, else the user cache folder)",
    )
    sub = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    for name, entry in COMMANDS.items():
        if name == command:
            add = getattr(importlib.import_module(f"{__name__}.{entry.module}"), entry.adder)
            add(sub)
            full = sub.choices[name]
            full.description = full.description or entry.summary
        else:
            sub.add_parser(name, help=entry.summary, add_help=False)
    return parser


def expand_argument_files(argv: Sequence[str]) -> list[str]:
    """Replace each ``@FILE`` argument by FILE's words (UTF-8, a byte-order mark allowed, ``#`` comments).

    Done before argparse so that an unreadable or non-text FILE gives one line naming it (argparse's own
    ``fromfile_prefix_chars`` still expands an ``@FILE`` named inside FILE).
    """
    from ..errors import InputError

    expanded: list[str] = []
    for arg in argv:
        if not (arg.startswith("@") and len(arg) > 1):
            expanded.append(arg)
            continue
        path = arg[1:]
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as exc:
            raise InputError(f"{arg}: cannot read the argument file {path} ({exc.strerror or exc})") from None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{arg}: the argument file {path} is not UTF-8 text "
                f"(byte 0x{data[exc.start]:02x} at offset {exc.start})"
            ) from None
        for line in text.splitlines():
            expanded.extend(line.split("#", 1)[0].split())
    return expanded


def parse_command_line(argv: Sequence[str] | None) -> argparse.Namespace | None:
    """Parse ``argv`` in two passes: find the command with the light parser, then parse with its full
    sub-parser. Returns None after printing the command list when no command is given."""
    argv = expand_argument_files(sys.argv[1:] if argv is None else argv)
    light = build_parser()
    found, extra = light.parse_known_args(argv)
    if found.command is None:
        if extra:
            light.error(f"unrecognized arguments: {' '.join(extra)}")
        light.print_help()
        return None
    args = build_parser(found.command).parse_args(argv)
    report_old_names(args)
    return args


def report_warnings(caught: list[warnings.WarningMessage], *, failed: bool) -> None:
    """Print the Python warnings a command raised as ``exonu: warning: …`` lines, each once.

    NumPy's floating-point run-time warnings (overflow, invalid value) are symptoms: after a command
    failed with a one-line error they are dropped, after a success they are summarised in one line each.
    """
    seen: set[str] = set()
    for w in caught:
        numerical = issubclass(w.category, RuntimeWarning)
        if numerical and failed:
            continue
        text = " ".join(str(w.message).split())
        line = f"numerical: {text}" if numerical else text
        if line not in seen:
            seen.add(line)
            print(f"exonu: warning: {line}", file=sys.stderr)


def _tolerate_ascii_terminals() -> None:
    """Replace characters the terminal cannot encode (μ, σ, ≥ under LANG=C) instead of crashing."""
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or "utf-8"
        try:
            "μσ≥·–".encode(encoding)
        except (UnicodeEncodeError, LookupError):
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(errors="replace")


def _silence_closed_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so that the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):  # not a real file (e.g. captured by a test)
        pass


def _os_error_message(exc: OSError) -> str:
    reason = exc.strerror or type(exc).__name__
    return f"{exc.filename}: {reason}" if exc.filename is not None else reason


def _terminate(signum: int, frame: FrameType | None) -> NoReturn:
    """SIGTERM handler: unwind like an exception so that temporary output files are removed."""
    raise SystemExit(EXIT_TERMINATED)


def catch_sigterm() -> SignalHandler:
    """Make SIGTERM raise ``SystemExit(143)`` if nobody else handles it; return the handler it replaced.

    Unwinding (instead of dying at once) runs the ``finally`` blocks that delete temporary output files
    (:func:`exonu.fileio.atomic_output_path`). Returns None when nothing was installed.
    """
    try:
        if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            return signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread: signals cannot be handled here
        pass
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``exonu`` command; return its exit status (0 success, 2 user error, 130 interrupted).

    Command-line syntax errors, ``--help`` and ``--version`` raise :class:`SystemExit` as argparse does.
    """
    previous_sigterm = catch_sigterm()
    try:
        return _run(argv)
    finally:
        if previous_sigterm is not None:
            signal.signal(signal.SIGTERM, previous_sigterm)


def _run(argv: Sequence[str] | None) -> int:
    try:
        _tolerate_ascii_terminals()
        args = parse_command_line(argv)  # inside: an @FILE that is not text is one line too
        if args is None:  # `exonu` alone: the command list was printed
            return 0
        with warnings.catch_warnings(record=True) as caught:
            try:
                if args.no_cache:  # for this command only (main() may run in a longer-lived process)
                    from ..cache import disabled

                    with disabled():
                        status: int = args.func(args)
                else:
                    status = args.func(args)
            except ExonuError:
                report_warnings(caught, failed=True)
                raise
        report_warnings(caught, failed=False)
        sys.stdout.flush()  # a closed pipe must surface here, not in the interpreter's exit handler
        return status
    except ExonuError as exc:
        print_error(str(exc))
    except KeyboardInterrupt:
        print("exonu: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_closed_stdout()
        return EXIT_BROKEN_PIPE
    except UnicodeDecodeError as exc:  # an input file that is not text; readers should name the file themselves
        print_error(f"an input file is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})")
    except OSError as exc:  # unreadable input, read-only or full output folder, a directory given for a file
        print_error(_os_error_message(exc))
    except MemoryError:
        print_error("out of memory: reduce the size of the request (number of energies, toys, bins or masses)")
    except OverflowError:
        print_error(
            "numerical overflow: a number in the input (a coupling, charge, moment, mass or count) "
            "is far outside its physical range"
        )
    except RecursionError:
        print_error("an input is nested too deeply to be parsed")
    return EXIT_USAGE
