"""Scale a cohort out on a Dask cluster: shards of patients as tasks, retried where a worker dies.

``simulate_dask`` splits the population into contiguous shards of patients (a few per worker, so a lost
worker costs little), submits one task per shard, gathers the results in shard order and merges them as
the local process split does (``_parallel.merge_shards``). Each patient is solved in its own lesion-slot
group with a fixed slot width, so its numbers do not depend on its shard: the result equals a one-process
run's bit for bit. A shard streaming to ``out_dir`` names its parquet parts by its shard index and writes
each whole, then renames it, so a retried shard overwrites its parts and never duplicates one.

Schedulers: ``"local"`` starts a ``distributed.LocalCluster`` (processes, one thread each, one per core)
and closes it afterwards; any other text is a scheduler address (``tcp://host:8786``) or a
``distributed.Client``. :func:`dask_session` keeps one connection (one local cluster) open over several
cohorts (the arms of a trial, the replicates); nested sessions of the same scheduler reuse it.
"""

from __future__ import annotations

import os
import re
import sys
import time
import uuid
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from ..population import Population
from ..treatments import Regimen
from ._backend import Backend
from ._cohort_result import CohortResult
from ._inputs import n_slots_for
from ._parallel import _run_shard, merge_shards, shard_bounds, single_thread_env

CONNECT_TIMEOUT_S = 10.0
"""Seconds to wait for a scheduler (or a local cluster) to answer before giving up."""
SHARDS_PER_WORKER = 4
"""Default shards per Dask worker: a few, so a worker that dies costs little work to redo."""
MIN_SHARD_PATIENTS = 32
"""Default patients per shard, at least (about): a smaller shard runs in smaller padded batches, each with a fixed
cost (a tuning choice; on a busy 2-core box a 60-patient trial took the same time in 8 + 8 shards as in 2 + 1)."""
SHARD_RETRIES = 3
"""Times a shard task that raised (say an I/O error on a shared file system) is run again. A shard whose
worker died is rescheduled by the scheduler itself (``distributed.scheduler.allowed-failures``, default 3)."""

_ADDRESS = re.compile(r"^([a-z][a-z0-9+.-]*://)?[^\s/:]+(:\d+)?/?$", re.I)
_SESSIONS: dict[str, list[Any]] = {}  # scheduler -> [client, cluster or None, depth]


class DaskConnectError(ValueError):
    """A Dask scheduler could not be reached (or a local cluster not started); one line."""


def check_scheduler(scheduler: str) -> str:
    """``scheduler`` checked: ``"local"`` or an address (``tcp://host:8786``, ``host:8786``); else ``ValueError``."""
    text = str(scheduler).strip()
    if text == "local" or (text and _ADDRESS.match(text)):
        return text
    raise ValueError(f"dask: expected local or a scheduler address like tcp://host:8786 (got {text[:80]!r})")


def scheduler_label(scheduler: Any) -> str:
    """What provenance records of a scheduler: ``"local"``, its address, or a ``Client``'s scheduler address."""
    if isinstance(scheduler, str):
        return scheduler
    return str(getattr(getattr(scheduler, "scheduler", None), "address", scheduler))


BLAS_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
"""Set to 1 in every worker by Dask's nanny by default (``distributed.nanny.pre-spawn-environ``); BLAS's thread
count changes the last bits of the scipy backend's numbers, so a local cluster's workers keep this process's."""


def local_cluster(n_workers: int | None = None) -> Any:
    """A ``distributed.LocalCluster`` for ovsim: ``n_workers`` processes (default: one per core of this process's
    affinity), one thread each, no dashboard, XLA kept to one thread, BLAS threading as in this process (so the
    numbers equal this process's bit for bit)."""
    import dask
    import logging

    from distributed import LocalCluster

    if n_workers is None:
        n_workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    environ = {k: v for k, v in (dask.config.get("distributed.nanny.pre-spawn-environ", {}) or {}).items()
               if k not in BLAS_THREAD_VARIABLES}
    env = {k: os.environ[k] for k in BLAS_THREAD_VARIABLES if k in os.environ}
    env.update(single_thread_env())  # one single-threaded worker per core
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*already in use")  # its HTTP port, when another cluster runs
        return LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
                            silence_logs=logging.ERROR, env=env)


def _connect(scheduler: str) -> tuple[Any, Any]:
    """``(client, cluster or None)`` for ``scheduler``; :class:`DaskConnectError` in one line if it fails."""
    from distributed import Client

    cluster = None
    try:
        if scheduler == "local":
            cluster = local_cluster()
            return Client(cluster, set_as_default=False, timeout=CONNECT_TIMEOUT_S), cluster
        return Client(scheduler, set_as_default=False, timeout=CONNECT_TIMEOUT_S), None
    except Exception as err:  # noqa: BLE001 - any failure to connect is one line
        if cluster is not None:
            cluster.close()
        reason = " ".join(str(err).split()) or type(err).__name__
        what = "cannot start a local cluster" if scheduler == "local" else f"cannot reach scheduler {scheduler}"
        raise DaskConnectError(f"dask: {what}: {reason[:200]}") from None


@contextmanager
def dask_session(scheduler: Any) -> Iterator[Any]:
    """A ``distributed.Client`` for ``scheduler`` (``None``: yields ``None``; a ``Client``: itself) for the
    block; inside it, ``simulate_cohort(..., dask=scheduler)`` uses the same connection (one local cluster
    for all the arms of a trial). The client (and a local cluster) is closed when the outermost block ends."""
    if scheduler is None or not isinstance(scheduler, str):
        yield scheduler
        return
    key = check_scheduler(scheduler)
    if key in _SESSIONS:
        _SESSIONS[key][2] += 1
        try:
            yield _SESSIONS[key][0]
        finally:
            _SESSIONS[key][2] -= 1
        return
    client, cluster = _connect(key)
    _SESSIONS[key] = [client, cluster, 1]
    try:
        yield client
    finally:
        del _SESSIONS[key]
        client.close()
        if cluster is not None:
            cluster.close()


def _shard_task(population: Population, regimen: dict[str, Any], modules: list[str], backend: Backend,
                kwargs: dict[str, Any]) -> CohortResult:
    """One shard on a Dask worker: XLA and numba kept to the worker's one thread (if not loaded yet), JAX
    configured (64-bit floats, compile cache) by ``_run_shard``."""
    env = single_thread_env()
    if "jax" not in sys.modules and "xla_cpu_multi_thread_eigen" not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = env["XLA_FLAGS"]
    if "numba" not in sys.modules and "NUMBA_NUM_THREADS" not in os.environ:
        os.environ["NUMBA_NUM_THREADS"] = env["NUMBA_NUM_THREADS"]
    return _run_shard(population, regimen, modules, backend, kwargs)


def default_shards(n_patients: int, n_workers: int) -> int:
    """Shards for ``n_patients`` on ``n_workers`` Dask workers: :data:`SHARDS_PER_WORKER` per worker, but no more
    than one per :data:`MIN_SHARD_PATIENTS` patients (rounded up)."""
    return max(1, min(max(1, n_workers) * SHARDS_PER_WORKER, -(-n_patients // MIN_SHARD_PATIENTS)))


def simulate_dask(
    population: Population, regimen: Regimen, backend: Backend, *, scheduler: Any, shards: int | None = None,
    out_dir: Path | None, progress: bool, **kwargs: Any,
) -> CohortResult:
    """``simulate_cohort`` on a Dask cluster (``scheduler``: ``"local"``, an address ``tcp://host:8786`` or a
    ``distributed.Client``): ``shards`` contiguous shards of patients (default :func:`default_shards`), one task
    each, retried if it fails, merged in order; the result equals a one-process run's.

    ``out_dir`` and a checkpoint (``kwargs``) must be on a file system every worker sees. With ``progress``,
    a line per finished shard. Provenance adds ``dask`` (the scheduler), ``shards`` and ``workers`` (Dask
    workers when the shards were submitted).
    """
    from distributed import as_completed

    n = len(population)
    out = Path(out_dir) if out_dir is not None else None
    with dask_session(scheduler) as client:
        n_workers = len(client.scheduler_info().get("workers", {}))
        k = int(shards) if shards is not None else default_shards(n, n_workers)
        if k < 1:
            raise ValueError(f"shards: expected an integer >= 1 (got {shards})")
        bounds = shard_bounds(n, k)
        width = n_slots_for(max(population.max_lesions, 1))
        modules = sorted({t.options.__module__ for t in regimen.treatments})
        run = uuid.uuid4().hex[:12]
        started = time.perf_counter()
        futures = [
            client.submit(_shard_task, population.rows(a, b), regimen.to_dict(), modules, backend,
                          {**kwargs, "out_dir": out, "progress": False, "shard": i, "width": width},
                          retries=SHARD_RETRIES, pure=False, key=f"ovsim-shard-{run}-{i:05d}")
            for i, (a, b) in enumerate(bounds)
        ]
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[Any] = [None] * len(futures)
        try:
            for done, future in enumerate(as_completed(futures, loop=client.loop), start=1):
                results[index[future.key]] = future.result()
                if progress:
                    print(f"shard {done} of {len(futures)} done ({time.perf_counter() - started:.0f} s)", flush=True)
        finally:
            client.cancel([f for f in futures if not f.done()])
        wall = time.perf_counter() - started
    return merge_shards(results, n, wall, out, {"workers": n_workers, "shards": len(bounds),
                                                "dask": scheduler_label(scheduler)})
