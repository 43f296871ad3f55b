"""``--jobs N`` / ``--scheduler ADDRESS`` (+ TLS files) for every command with independent work.

A command adds the options with :func:`add_executor_arguments` and gets its back end with
:func:`executor_from_args` (see :mod:`exonu.parallel.executor`). Nothing heavy is imported here.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from .options import JOBS_PER_CPU, jobs_count

if TYPE_CHECKING:
    from ..parallel.executor import DaskExecutor, InProcessExecutor, ProcessExecutor


def add_executor_arguments(p: argparse.ArgumentParser, *, scheduler: bool = True) -> None:
    """``--jobs N`` (local worker processes) and, with ``scheduler``, ``--scheduler`` and the TLS files."""
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--jobs",
        type=jobs_count,
        default=1,
        help=f"local worker processes (default 1: in this process; at most {JOBS_PER_CPU} × the CPUs); "
        "results do not depend on it",
    )
    if not scheduler:
        return
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a running Dask scheduler, tcp://HOST:PORT or tls://HOST:PORT (default: $EXONU_SCHEDULER); "
        "Dask pickles tasks: connect only to a scheduler you control. Needs exonu[distributed]",
    )
    p.add_argument("--tls-ca-file", metavar="PATH", help="CA certificate of a tls:// scheduler")
    p.add_argument("--tls-cert", metavar="PATH", help="client certificate for a tls:// scheduler")
    p.add_argument("--tls-key", metavar="PATH", help="client private key for a tls:// scheduler")


def executor_from_args(args: argparse.Namespace) -> InProcessExecutor | ProcessExecutor | DaskExecutor:
    """The back end the options name (started lazily, at the first item; close it, or use ``with``)."""
    from ..parallel.executor import TlsFiles, executor_for

    tls = TlsFiles(getattr(args, "tls_ca_file", None), getattr(args, "tls_cert", None), getattr(args, "tls_key", None))
    return executor_for(args.jobs, getattr(args, "scheduler", None), tls=tls)
