"""Where independent work runs: in this process, in local worker processes, or on a Dask cluster.

One call picks the back end, :func:`executor_for`:

* ``jobs=1`` (no scheduler): :class:`InProcessExecutor`, one item after the other in this process;
* ``jobs=N > 1``: :class:`ProcessExecutor`, N local worker processes (``concurrent.futures``), no Dask;
* ``scheduler=ADDRESS`` (or ``EXONU_SCHEDULER``): :class:`DaskExecutor` on an existing Dask scheduler
  (``tcp://`` or ``tls://``; e.g. a cluster started by dask-jobqueue on SLURM, HTCondor or PBS), the
  path past one machine. Needs ``pip install "exonu[distributed]"``.

Every executor has the same small interface, so any command (or another module, e.g. a grid of
per-point toys) runs its independent items on whichever the user chose::

    with executor_for(jobs=2) as ex:
        results = list(ex.map(function, items))          # in the order of items
        for item, result in ex.as_completed(function, items): ...   # as they finish

``function`` must be a module-level function and ``items`` picklable. Results never depend on the
back end: each item must carry everything that fixes its result (its seed included), and callers key
results by item, never by arrival.

Why fork for the local processes (where safe). A worker forked from the driver inherits what the
driver has already built — the detector and the fit model of the search (cached by
:mod:`exonu.parallel.units`) — so it starts in milliseconds and computes at once; a spawned or
forkserver worker must import NumPy, SciPy and exonu and rebuild the model (1–2 s each), longer than a
200-toy run takes. Fork is used on Linux when the driver runs no other Python thread (the usual
command line; OpenBLAS shuts its own threads down around a fork); otherwise (a Jupyter kernel has
threads; macOS, Windows) the ``forkserver`` or ``spawn`` context. The pool starts lazily, at the
first item, so a command that is refused never starts one.

BLAS is pinned to one thread while items run (threadpoolctl), in this process and in every worker:
two processes each running a multi-threaded BLAS on two cores were 5–6× slower than one thread each,
and a fixed thread count keeps floating-point reductions identical for any number of workers.

Ctrl-C: local workers ignore SIGINT (the terminal sends it to the whole process group); the driver
stops them and the command prints one line. Dask pickles tasks and results: connect only to a
scheduler you control (see the README, "Running on a cluster").
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ..errors import ExonuError, InputError

if TYPE_CHECKING:
    from dask.typing import Key
    from distributed import Client, LocalCluster

#: an item of work (e.g. a :class:`~exonu.parallel.units.WorkUnit`) and what the function returns for it
T = TypeVar("T")
R = TypeVar("R")

#: Environment variable naming a Dask scheduler address (like --scheduler)
SCHEDULER_ENV = "EXONU_SCHEDULER"
#: Retries of a Dask task that raised (lost workers are rescheduled by Dask on top of this)
RETRIES = 2
#: How long to try to reach a scheduler before giving up
CONNECT_TIMEOUT = "20s"
#: Items submitted to Dask at once (more are submitted as these finish)
MAX_IN_FLIGHT = 2000
#: Items queued per local worker process beyond the one it runs (keeps every worker busy, memory bounded)
QUEUED_PER_WORKER = 2
#: The most local worker processes one command may start (a typo such as --jobs 1000 is refused)
MAX_LOCAL_JOBS = 256
#: Dask settings of the local Dask cluster that benchmarks start (``dask_local=True``); a scheduler
#: given with ``--scheduler`` keeps its own configuration:
#:
#: * ``MALLOC_TRIM_THRESHOLD_`` unset: Dask's nanny sets it to 64 KiB in every worker it spawns, which
#:   switches off glibc's adaptive mmap threshold, so every array above 128 KiB is mmap'ed and unmapped
#:   again (+45 % CPU per toy unit measured; 483 000 page faults per unit instead of 9 800);
#: * the statistical profiler off (≈ 3 % of a unit's CPU for a dashboard nobody sees).
#:
#: An existing cluster gets the same speed from its own Dask configuration, read where its workers
#: start: ``distributed: nanny: pre-spawn-environ: MALLOC_TRIM_THRESHOLD_: null`` (YAML).
LOCAL_CLUSTER_CONFIG: dict[str, object] = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
}


class Executor(Protocol):
    """What every back end offers (see the module docstring)."""

    description: str
    jobs: int

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]: ...

    def as_completed(self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]: ...

    def close(self) -> None: ...

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc: object) -> None: ...


def pin_blas_threads() -> contextlib.AbstractContextManager[object]:
    """A context that limits BLAS/OpenMP pools to one thread."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


class _Closing:
    """Context-manager support shared by the executors (``with executor_for(...) as ex``)."""

    def close(self) -> None:
        pass

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class InProcessExecutor(_Closing):
    """Run items one after the other in this process."""

    description = "in-process (1 worker)"
    jobs = 1

    def as_completed(self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
        with pin_blas_threads():
            for item in items:
                yield item, function(item)

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        for _, result in self.as_completed(function, items):
            yield result


def local_start_method() -> str:
    """``fork`` on Linux when only the main thread runs (see the module docstring), else forkserver/spawn."""
    methods = multiprocessing.get_all_start_methods()
    if sys.platform == "linux" and "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if sys.platform == "linux" and "forkserver" in methods else "spawn"


def prepare_worker() -> None:
    """Initialiser of every local worker: leave Ctrl-C and SIGTERM to the driver, BLAS on one thread."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver stops the workers; no worker traceback
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the driver's handler, inherited through fork
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


class ProcessExecutor(_Closing):
    """``jobs`` local worker processes (``concurrent.futures.ProcessPoolExecutor``), started at the first item.

    Parameters
    ----------
    jobs : int
        Number of worker processes (≥ 2; one worker is :class:`InProcessExecutor`).
    start_method : str, optional
        ``fork``, ``forkserver`` or ``spawn``; default :func:`local_start_method`, chosen when the pool starts.
    """

    def __init__(self, jobs: int, start_method: str | None = None) -> None:
        self.jobs = jobs
        self.start_method = start_method
        self.description = f"local processes ({jobs} workers)"
        self._pool: ProcessPoolExecutor | None = None
        self._children_before: set[multiprocessing.process.BaseProcess] = set()

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            method = self.start_method or local_start_method()
            self.description = f"local processes ({self.jobs} workers, {method})"
            self._children_before = set(multiprocessing.active_children())
            self._pool = ProcessPoolExecutor(
                self.jobs, mp_context=multiprocessing.get_context(method), initializer=prepare_worker
            )
        return self._pool

    def as_completed(self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
        pool = self._started()
        pending_items = iter(items)
        running: dict[Future[R], T] = {}

        def submit(item: T) -> None:
            running[pool.submit(function, item)] = item

        try:
            for item in itertools.islice(pending_items, self.jobs * (1 + QUEUED_PER_WORKER)):
                submit(item)
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    item = running.pop(future)
                    following = next(pending_items, None)
                    if following is not None:
                        submit(following)
                    yield item, future.result()
        except BrokenProcessPool:
            self.stop()
            raise ExonuError(
                "a worker process died (killed, or out of memory); finished work is kept: rerun the "
                "command to resume, with fewer --jobs if memory is short"
            ) from None
        except BaseException:  # Ctrl-C, an error in an item, or the consumer stopped: nothing keeps running
            self.stop()
            raise

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        indexed = list(enumerate(items))
        results: dict[int, R] = {}
        following = 0
        for (index, _), result in self.as_completed(_IndexedCall(function), indexed):
            results[index] = result
            while following in results:
                yield results.pop(following)
                following += 1

    def stop(self) -> None:
        """Stop at once: cancel queued items and end the worker processes (nothing is left running)."""
        if self._pool is None:
            return
        self._pool.shutdown(wait=False, cancel_futures=True)
        for child in set(multiprocessing.active_children()) - self._children_before:
            child.terminate()
        for child in set(multiprocessing.active_children()) - self._children_before:
            child.join(timeout=5)
        self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


@dataclass(frozen=True)
class _IndexedCall:
    """``function`` applied to the item of an (index, item) pair (picklable, for ordered ``map``)."""

    function: Callable[[Any], Any]

    def __call__(self, pair: tuple[int, Any]) -> Any:
        return self.function(pair[1])


@dataclass(frozen=True)
class TlsFiles:
    """Dask TLS settings of ``--tls-ca-file/--tls-cert/--tls-key`` (None: Dask's own configuration)."""

    ca_file: str | None = None
    cert: str | None = None
    key: str | None = None

    def security(self) -> Any:
        """A ``distributed.Security`` requiring encryption, or None to use Dask's configuration."""
        if not (self.ca_file or self.cert or self.key):
            return None
        if not (self.ca_file and self.cert):
            raise InputError("TLS needs --tls-ca-file and --tls-cert (and --tls-key unless the cert holds the key)")
        for flag, path in (("--tls-ca-file", self.ca_file), ("--tls-cert", self.cert), ("--tls-key", self.key)):
            if path is not None and not os.path.isfile(path):
                raise InputError(f"{flag} {path}: no such file")
        from distributed import Security

        return Security(
            tls_ca_file=self.ca_file, tls_client_cert=self.cert, tls_client_key=self.key, require_encryption=True
        )


class DaskExecutor(_Closing):
    """Submit items to a Dask scheduler (connected at the first item) and yield them as they complete.

    Parameters
    ----------
    address : str, optional
        ``tcp://host:port`` or ``tls://host:port`` of a running scheduler; None starts a local Dask
        cluster of ``jobs`` single-threaded workers on 127.0.0.1 (used by benchmarks).
    jobs : int
        Workers of the local Dask cluster (``address`` None).
    tls : TlsFiles, optional
        Certificates for a ``tls://`` scheduler (default: Dask's ``distributed.comm.tls`` configuration).
    """

    def __init__(self, address: str | None = None, jobs: int = 1, tls: TlsFiles | None = None) -> None:
        self.address = address
        self.jobs = jobs
        self.tls = tls or TlsFiles()
        self.description = f"Dask scheduler {address}" if address else f"local Dask cluster ({jobs} workers)"
        self._client: Client | None = None
        self._cluster: LocalCluster | None = None

    def _connected(self) -> Client:
        if self._client is not None:
            return self._client
        from distributed import Client, LocalCluster

        if self.address is None:
            import dask

            with dask.config.set(LOCAL_CLUSTER_CONFIG):
                self._cluster = LocalCluster(
                    n_workers=self.jobs,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    host="127.0.0.1",
                    silence_logs=True,
                )
            self._client = Client(self._cluster)
        else:
            security = self.tls.security()
            try:
                self._client = Client(self.address, timeout=CONNECT_TIMEOUT, security=security)
            except (OSError, TimeoutError, ValueError, TypeError) as exc:
                raise InputError(
                    f"cannot reach the Dask scheduler at {self.address!r} ({exc}); check --scheduler or "
                    f"{SCHEDULER_ENV} (and the TLS files for a tls:// address)"
                ) from None
        n = len(self._client.scheduler_info().get("workers", {}))
        self.description = f"Dask scheduler {self._client.scheduler.address} ({n} workers)"
        from .dask_plugin import PinBlasPlugin  # imports distributed (~0.5 s): Dask runs only

        self._client.register_plugin(PinBlasPlugin(), name=PinBlasPlugin.name)
        return self._client

    def as_completed(self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
        from distributed import as_completed

        client = self._connected()
        pending = iter(items)
        owner: dict[Key, T] = {}
        submitted = itertools.count()

        def submit(item: T) -> Any:
            # pure=False with an explicit, unique key: each item runs once per submission
            name = getattr(item, "name", next(submitted))
            future = client.submit(
                function, item, key=f"exonu-{name}-{os.getpid()}-{id(self)}", pure=False, retries=RETRIES
            )
            owner[future.key] = item
            return future

        # a bounded window of tasks in flight: a belt of 10⁵ units never floods the scheduler
        running = as_completed([submit(u) for u in itertools.islice(pending, MAX_IN_FLIGHT)], with_results=True)
        for future, result in running:
            yield owner.pop(future.key), result
            future.release()
            following = next(pending, None)
            if following is not None:
                running.add(submit(following))

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        indexed = list(enumerate(items))
        results = dict((pair[0], r) for pair, r in self.as_completed(_IndexedCall(function), indexed))
        for index in range(len(indexed)):
            yield results[index]

    def close(self) -> None:
        import logging

        # a closing client and cluster log connection noise on the way out (never a result)
        logging.getLogger("distributed").setLevel(logging.CRITICAL)
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None


def executor_for(
    jobs: int = 1, scheduler: str | None = None, *, tls: TlsFiles | None = None, dask_local: bool = False
) -> InProcessExecutor | ProcessExecutor | DaskExecutor:
    """The back end for ``--jobs N`` / ``--scheduler ADDRESS`` (see the module docstring).

    Parameters
    ----------
    jobs : int
        Local worker processes (1: in this process).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://…`` or ``tls://…``); None reads ``EXONU_SCHEDULER``.
    tls : TlsFiles, optional
        TLS certificates for the scheduler.
    dask_local : bool
        Run the ``jobs`` workers as a local Dask cluster instead of plain processes (benchmarks).

    Nothing starts until the first item is submitted.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise InputError(f"--jobs must be a positive integer; got {jobs!r}")
    if jobs > MAX_LOCAL_JOBS:
        raise InputError(
            f"--jobs {jobs} is more than {MAX_LOCAL_JOBS} local processes; this machine has {os.cpu_count()} CPUs"
        )
    scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if scheduler and jobs != 1:
        raise InputError("give either --jobs N (local processes) or --scheduler ADDRESS (a Dask cluster), not both")
    if scheduler or dask_local:
        try:
            import distributed  # noqa: F401 - only to say what is missing before anything runs
        except ImportError:
            raise InputError("--scheduler needs Dask: pip install 'exonu[distributed]'") from None
        return DaskExecutor(scheduler, jobs=jobs, tls=tls)
    if tls is not None and (tls.ca_file or tls.cert or tls.key):
        raise InputError("--tls-ca-file/--tls-cert/--tls-key are for a tls:// --scheduler; give one")
    return InProcessExecutor() if jobs == 1 else ProcessExecutor(jobs)
