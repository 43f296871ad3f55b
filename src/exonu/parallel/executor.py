"""Where work units run: in this process, on a local Dask cluster, or on an existing Dask scheduler.

* ``jobs=1`` (and no scheduler): :class:`InProcessExecutor`, needs no Dask.
* ``jobs=N > 1``: a ``dask.distributed.LocalCluster`` of N single-threaded worker processes, started
  with :data:`LOCAL_CLUSTER_CONFIG`.
* ``scheduler=ADDRESS`` (or the ``EXONU_SCHEDULER`` environment variable): ``Client(ADDRESS)``, e.g.
  a cluster started by dask-jobqueue (SLURM, PBS) or dask-kubernetes.

Each executor yields ``(unit, result)`` as units finish, in any order: results are keyed by the
unit, never by arrival. Dask reschedules the tasks of a worker that dies (up to its
``distributed.scheduler.allowed-failures``) and retries a task that raised ``retries`` times.

BLAS is pinned to one thread while units run (threadpoolctl): two processes each running a
multi-threaded BLAS on two cores were 5–6× slower than one thread each, and a fixed thread count
keeps floating-point reductions identical between runs.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

from ..errors import InputError

if TYPE_CHECKING:
    from dask.typing import Key
    from distributed import Client, Future, LocalCluster, Worker

    from .units import WorkUnit

#: what a unit's function returns (run_unit: its result columns)
_R = TypeVar("_R")

try:  # the plugin base class when Dask is installed; the in-process path needs neither
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:
    # Dask absent: a plain base class, since only the in-process path (which never uses the plugin) can run
    WorkerPlugin = object  # type: ignore[misc,assignment]  # a fallback class, not the Dask one

#: Environment variable naming a Dask scheduler address (like --scheduler)
SCHEDULER_ENV = "EXONU_SCHEDULER"
#: Retries of a unit whose task raised (lost workers are rescheduled by Dask on top of this)
RETRIES = 2
#: How long to try to reach a scheduler before giving up
CONNECT_TIMEOUT = "20s"
#: Units submitted to Dask at once (more are submitted as these finish)
MAX_IN_FLIGHT = 2000
#: Dask settings of the local cluster that ``--jobs N`` starts (a ``--scheduler`` cluster keeps its own):
#:
#: * ``MALLOC_TRIM_THRESHOLD_`` unset: Dask's nanny sets it to 64 KiB in every worker process it spawns
#:   (to hand freed memory back to the OS), which also switches off glibc's adaptive mmap threshold,
#:   so every array above 128 KiB is mmap'ed, page-faulted and unmapped again. A 250-toy ``exonu toys``
#:   unit took 1.75 s of CPU instead of 1.2 s, in a Dask worker or in a plain process started with
#:   the variable set alike (+45 %, ≈ 2.2 ms per toy: almost all of what Dask seemed to cost per toy;
#:   483 000 page faults per unit instead of 9 800). The price: a worker keeps ≈ 18 MiB more resident
#:   (185 MiB instead of 167 MiB after a few units);
#: * the statistical profiler off: it samples every worker's stack every 10 ms (holding the GIL) for
#:   a dashboard view nobody sees on a local cluster (≈ 3 % of a unit's CPU, more of its wall time).
#:
#: An existing cluster (``--scheduler``) gets the same speed from its own Dask configuration, read where
#: its workers start: ``distributed: nanny: pre-spawn-environ: MALLOC_TRIM_THRESHOLD_: null`` (YAML).
LOCAL_CLUSTER_CONFIG: dict[str, object] = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
}


def pin_blas_threads() -> contextlib.AbstractContextManager[object]:
    """A context that limits BLAS/OpenMP pools to one thread (a no-op context without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # only the in-process path can get here: the distributed extra brings threadpoolctl
        return contextlib.nullcontext()
    return threadpool_limits(limits=1)


class InProcessExecutor:
    """Run units one after the other in this process."""

    description = "in-process (1 worker)"

    def run(self, function: Callable[[WorkUnit], _R], units: Iterable[WorkUnit]) -> Iterator[tuple[WorkUnit, _R]]:
        with pin_blas_threads():
            for unit in units:
                yield unit, function(unit)

    def close(self) -> None:
        pass


class PinBlasPlugin(WorkerPlugin):
    """Dask worker plugin: pin the worker process's BLAS to one thread when it starts."""

    name = "exonu-pin-blas"

    def setup(self, worker: Worker) -> None:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            return
        threadpool_limits(limits=1)

    def teardown(self, worker: Worker) -> None:
        pass


class DaskExecutor:
    """Submit units to a ``dask.distributed.Client`` and yield them as they complete.

    Parameters
    ----------
    client : distributed.Client
    cluster : distributed.LocalCluster, optional
        Closed with the executor when this executor started it.
    """

    def __init__(self, client: Client, cluster: LocalCluster | None = None) -> None:
        self.client = client
        self.cluster = cluster
        n = len(client.scheduler_info().get("workers", {}))
        self.description = f"Dask scheduler {client.scheduler.address} ({n} workers)"
        client.register_plugin(PinBlasPlugin(), name=PinBlasPlugin.name)

    def run(self, function: Callable[[WorkUnit], _R], units: Iterable[WorkUnit]) -> Iterator[tuple[WorkUnit, _R]]:
        from distributed import as_completed

        pending = iter(units)
        owner: dict[Key, WorkUnit] = {}

        def submit(unit: WorkUnit) -> Future[_R]:
            # pure=False with an explicit, unique key: each unit runs once per submission and shows
            # under its own name on the dashboard
            future = self.client.submit(
                function, unit, key=f"exonu-{unit.name}-{os.getpid()}-{id(self)}", pure=False, retries=RETRIES
            )
            owner[future.key] = unit
            return future

        # a bounded window of tasks in flight: a belt of 10⁵ units never floods the scheduler, and
        # finished results are released as soon as they are stored
        running = as_completed([submit(u) for u in itertools.islice(pending, MAX_IN_FLIGHT)], with_results=True)
        for future, result in running:
            yield owner.pop(future.key), result
            future.release()
            following = next(pending, None)
            if following is not None:
                running.add(submit(following))

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_executor(
    jobs: int = 1, scheduler: str | None = None, *, local_cluster: bool = False
) -> InProcessExecutor | DaskExecutor:
    """The executor for ``--jobs N`` / ``--scheduler ADDRESS`` (see the module docstring).

    Parameters
    ----------
    jobs : int
        Local worker processes (1: in this process, no Dask needed).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:port``); None reads ``EXONU_SCHEDULER``.
    local_cluster : bool
        Start a local Dask cluster even for ``jobs = 1`` (benchmarks compare 1 and 2 Dask workers).
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise InputError(f"--jobs must be a positive integer; got {jobs!r}")
    scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if scheduler and jobs != 1:
        raise InputError("give either --jobs N (a local cluster) or --scheduler ADDRESS (an existing one), not both")
    if scheduler is None and jobs == 1 and not local_cluster:
        return InProcessExecutor()
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError("--jobs N > 1 and --scheduler need Dask: pip install 'exonu[distributed]'") from None
    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(
                f"cannot reach the Dask scheduler at {scheduler!r} ({exc}); check --scheduler or {SCHEDULER_ENV}"
            ) from None
        return DaskExecutor(client)
    import dask

    with dask.config.set(LOCAL_CLUSTER_CONFIG):
        cluster = LocalCluster(
            n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
        )
    return DaskExecutor(Client(cluster), cluster)
