"""The Dask worker plugin of :class:`~exonu.parallel.executor.DaskExecutor`, in its own module.

Importing ``distributed`` costs about 0.5 s; keeping its base class out of :mod:`exonu.parallel.executor`
means only a Dask run pays it (the in-process and local-process executors need no Dask). The plugin must
be a module-level class so that Dask can pickle it by reference for its workers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from distributed.diagnostics.plugin import WorkerPlugin

if TYPE_CHECKING:
    from distributed import Worker

__all__ = ["PinBlasPlugin"]


class PinBlasPlugin(WorkerPlugin):
    """Dask worker plugin: pin the worker process's BLAS to one thread when it starts."""

    name = "exonu-pin-blas"

    def setup(self, worker: Worker) -> None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1)

    def teardown(self, worker: Worker) -> None:
        pass
