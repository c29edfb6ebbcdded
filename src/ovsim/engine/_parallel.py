"""Split a cohort over worker processes (one per core), each running the batched engine.

Every patient is solved in its own lesion-slot group, so its result does not depend on which
worker or chunk it lands in; the merged result equals the single-process one. Workers are
spawned (not forked: JAX must not be forked) and each keeps XLA to one thread. A worker exits when
its parent process is gone (killed, say), so no orphan goes on solving and writing parts.
"""

from __future__ import annotations

import ctypes
import importlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..population import Population
from .._jax import configure_jax
from ..treatments import Regimen, parse_regimen
from ._backend import Backend
from ._cohort_result import CohortResult
from ._inputs import n_slots_for
from ._runner import run_cohort


def single_thread_env() -> dict[str, str]:
    """Environment of a worker process that owns one core: XLA without its multi-threaded Eigen, the fused
    kernel's numba ``prange`` on one thread (read when JAX / numba are first imported in that process)."""
    return {"XLA_FLAGS": (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false").strip(),
            "NUMBA_NUM_THREADS": "1"}


def _init_worker(parent: int | None = None) -> None:
    os.environ.update(single_thread_env())
    if parent is not None:
        exit_with_parent(parent)


def exit_with_parent(parent: int, poll_seconds: float = 0.5) -> None:
    """End this process when its parent ``parent`` is gone: on Linux the kernel kills it at once
    (``prctl(PR_SET_PDEATHSIG, SIGKILL)``); everywhere a daemon thread polls ``os.getppid()`` (a parent's
    orphans are handed to another process) and exits."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # gone before the request was in place
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(poll_seconds)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="ovsim-exit-with-parent", daemon=True).start()


def _run_shard(population: Population, regimen: dict[str, Any], modules: list[str], backend: Backend,
               kwargs: dict[str, Any]) -> CohortResult:
    configure_jax()  # a spawned worker starts with JAX's defaults
    for name in modules:  # modules that register the regimen's treatments (a treatment registered at import)
        importlib.import_module(name)
    return run_cohort(population, parse_regimen(regimen), backend, **kwargs)


def simulate_sharded(
    population: Population, regimen: Regimen, backend: Backend, *, workers: int, out_dir: Path | None,
    progress: bool, **kwargs: Any,
) -> CohortResult:
    """``simulate_cohort`` over ``workers`` processes; contiguous shards of patients, merged in order.

    No progress bar is drawn across processes (``progress`` is accepted and ignored).
    """
    n = len(population)
    shards = [population.rows(a, b) for a, b in shard_bounds(n, workers)]
    width = n_slots_for(max(population.max_lesions, 1))
    out = Path(out_dir) if out_dir is not None else None
    started = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    modules = sorted({t.options.__module__ for t in regimen.treatments})
    with ProcessPoolExecutor(max_workers=len(shards), mp_context=ctx, initializer=_init_worker,
                             initargs=(os.getpid(),)) as pool:
        futures = [
            pool.submit(_run_shard, shard, regimen.to_dict(), modules, backend,
                        {**kwargs, "out_dir": out, "progress": False, "shard": i, "width": width})
            for i, shard in enumerate(shards)
        ]
        results = [f.result() for f in futures]
    return merge_shards(results, n, time.perf_counter() - started, out, {"workers": len(shards)})


def shard_bounds(n: int, shards: int) -> list[tuple[int, int]]:
    """``shards`` contiguous ``(start, stop)`` patient ranges covering ``0..n`` (at most ``n`` of them, sizes
    within one)."""
    edges = np.linspace(0, n, max(1, min(shards, n)) + 1).astype(int)
    return list(zip(edges[:-1].tolist(), edges[1:].tolist()))


def merge_shards(results: list[CohortResult], n: int, wall: float, out: Path | None,
                 extra: dict[str, Any]) -> CohortResult:
    """One :class:`CohortResult` of the shards' results (in shard order: the patients' order); ``wall`` the run's
    wall time (seconds), ``extra`` provenance entries of the split (``workers``, ...)."""
    status = pd.concat([r.status for r in results], ignore_index=True)
    provenance = dict(results[0].provenance)
    work = np.sum([r.provenance["lane_work"] for r in results], axis=0)
    provenance.update({
        "n_patients": n,
        "n_failed": int((~status["ok"]).sum()),
        "wall_seconds": wall,
        "patients_per_second": n / wall if wall > 0 else float("nan"),
        "lane_efficiency": float(work[0] / work[1]) if work[1] else float("nan"),
        "lane_work": work.tolist(),
        **extra,
        "n_chunks": int(sum(r.provenance["n_chunks"] for r in results)),
        "n_chunks_resumed": int(sum(r.provenance.get("n_chunks_resumed", 0) for r in results)),
    })
    if out is not None:
        return CohortResult(None, status, pd.DataFrame(), provenance, out)
    trajectories = xr.concat([r.trajectories for r in results], dim="patient")
    trajectories.attrs = {k: str(v) for k, v in provenance.items()}
    doses = pd.concat([r.doses for r in results], ignore_index=True)
    return CohortResult(trajectories, status, doses, provenance, None)
