"""The local Dask cluster of ``--jobs N`` runs its workers with exonu's settings (nothing is timed here).

Dask's nanny spawns every worker with ``MALLOC_TRIM_THRESHOLD_`` set, which made each toy ≈ 45 % more
expensive than in-process (see ``LOCAL_CLUSTER_CONFIG`` in ``exonu.parallel.executor``); these tests
check that the settings reach the worker processes, and that Dask still knows them by these names
(a renamed key would silently do nothing).
"""

import os

import pytest

pytest.importorskip("distributed")

import dask

from exonu.parallel.executor import LOCAL_CLUSTER_CONFIG, executor_for

TRIM = "MALLOC_TRIM_THRESHOLD_"


def worker_settings() -> dict[str, object]:
    """What a task sees in its worker process: the malloc variable, the profiler switch, BLAS threads."""
    from threadpoolctl import threadpool_info

    return {
        "trim": os.environ.get(TRIM),
        "profile": dask.config.get("distributed.worker.profile.enabled"),
        "blas_threads": sorted({pool["num_threads"] for pool in threadpool_info()}),
    }


def test_the_settings_are_dask_keys_that_differ_from_its_defaults():
    """Each key exists in Dask's own default configuration, with another value than exonu's."""
    assert dask.config.get("distributed.worker.profile.enabled") is True
    assert TRIM in dask.config.get("distributed.nanny.pre-spawn-environ")
    for key, value in LOCAL_CLUSTER_CONFIG.items():
        assert dask.config.get(key) != value, key


def worker_settings_of(_item):
    return worker_settings()


def test_local_cluster_workers_run_without_malloc_trimming_and_profiler(monkeypatch):
    """A task on the local cluster sees no MALLOC_TRIM_THRESHOLD_, the profiler off and BLAS on one thread."""
    monkeypatch.delenv(TRIM, raising=False)  # as in a fresh shell: the worker inherits this environment
    executor = executor_for(1, dask_local=True)
    try:
        seen = next(executor.map(worker_settings_of, [None]))
        # the settings were scoped to starting the cluster: this process's configuration is Dask's again
        assert dask.config.get("distributed.worker.profile.enabled") is True
    finally:
        executor.close()
    assert seen == {"trim": None, "profile": False, "blas_threads": [1]}
