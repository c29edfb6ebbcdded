"""``simulate_cohort``: many virtual patients on one regimen, in bounded memory, on any backend.

The work is done by the backend-agnostic runner (``_runner``), in one process, over worker
processes (``_parallel``) or on a Dask cluster (``_dask``); this module picks which, and writes the run's
status and provenance when results stream to ``out_dir``: ``cohort.json`` (inputs and results, the same for
the same inputs) and ``run.json`` (run-time figures: wall time, speed, timestamps, chunks resumed).
"""

from __future__ import annotations

import json
from contextlib import suppress
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..population import Population
from ..treatments import Regimen, parse_regimen
from ._backend import Backend, resolve_backend
from ._cohort_result import CohortResult
from ._options import SolverOptions
from ._dask import dask_session, default_shards, simulate_dask
from ._parallel import simulate_sharded
from ._runner import open_checkpoint, population_digest, run_cohort, split_runtime


def cohort_manifest(population: Population, regimen: Regimen, backend: Backend, *, horizon_days: float,
                    output_every_days: float, chunk_size: int, solver: SolverOptions, workers: int,
                    shards: int | None = None) -> dict[str, Any]:
    """The inputs that decide a cohort run's chunks and results (a checkpoint resumes only the same inputs)."""
    from .. import __version__

    n = len(population)
    return {
        "ovsim_version": __version__, "population": population_digest(population), "regimen": regimen.to_dict(),
        "backend": backend.name, "solver": asdict(solver), "horizon_days": float(horizon_days),
        "output_every_days": float(output_every_days), "chunk_size": int(chunk_size),
        "workers": min(workers, n) if workers > 1 and n > 1 else 1,
        **({"dask_shards": int(shards)} if shards is not None else {}),  # a shard's chunks are named by its index
    }


def as_regimen(regimen: Regimen | Any) -> Regimen:
    """A :class:`~ovsim.treatments.Regimen` from itself, a mapping ``{treatment: options}``, a name
    (``"tvec"``, ``"tvec+gmcsf"``) or ``None`` (untreated)."""
    return regimen if isinstance(regimen, Regimen) else parse_regimen(regimen)


def simulate_cohort(
    population: Population,
    regimen: Regimen | Any = "tvec",
    *,
    horizon_days: float = 730.0,
    output_every_days: float = 28.0,
    chunk_size: int = 128,
    solver: SolverOptions = SolverOptions(),
    backend: str | Backend = "auto",
    out_dir: str | Path | None = None,
    progress: bool = False,
    workers: int = 1,
    checkpoint: str | Path | None = None,
    resume: bool = False,
    dask: Any = None,
    shards: int | None = None,
) -> CohortResult:
    """Simulate every patient of ``population`` on ``regimen``.

    horizon_days / output_every_days: simulated time and output grid (days). chunk_size: patients per
    batch (memory scales with it, not with the population). backend: ``auto`` (default: the fastest that runs the
    regimen, the fused ``numba`` kernel, else ``jax``), ``numba``, ``jax`` (diffrax, differentiable), ``scipy`` or a
    registered :class:`~ovsim.engine.Backend`. out_dir: stream each chunk's tables there
    (``lesions-part-*.parquet``, ...) instead of keeping trajectories in memory. workers: processes to
    split the population over (one per core is fastest on CPU); each patient's result is the same
    whatever the split. A failed patient is flagged in ``status``; its trajectories are NaN.
    checkpoint: a folder recording every finished chunk (with a manifest of the run's inputs); resume:
    continue the checkpoint there, skipping its chunks (the result is the same as an uninterrupted run's;
    a checkpoint of other inputs raises ``ResumeError``). With ``out_dir``, resume into the same folder.
    dask: run on a Dask cluster instead (``"local"``, a scheduler address ``tcp://host:8786`` or a
    ``distributed.Client``; docs/dask.md), split into ``shards`` shards of patients (default: a few per
    worker); the result is the same as a one-process run's. ``out_dir`` and ``checkpoint`` must then be on a
    file system the workers share.
    """
    regimen = as_regimen(regimen)
    engine = resolve_backend(backend, regimen)
    out = Path(out_dir) if out_dir is not None else None
    started = datetime.now(timezone.utc)
    if dask is not None and workers > 1:
        raise ValueError(f"workers: expected 1 with dask (got {workers}); the Dask cluster's workers do the work")
    kwargs = dict(horizon_days=horizon_days, output_every_days=output_every_days, chunk_size=chunk_size,
                  solver=solver, out_dir=out, progress=progress)
    with dask_session(dask) as client:
        if client is not None and checkpoint is not None:  # a checkpoint's chunks are named by shard: keep its split
            shards = _checkpoint_shards(Path(checkpoint), resume) or shards or default_shards(
                len(population), len(client.scheduler_info().get("workers", {})))
        if checkpoint is not None:
            folder = Path(checkpoint)
            manifest = cohort_manifest(population, regimen, engine, horizon_days=horizon_days,
                                       output_every_days=output_every_days, chunk_size=chunk_size, solver=solver,
                                       workers=workers, shards=shards if client is not None else None)
            resume = open_checkpoint(folder, manifest, resume)
            kwargs.update(checkpoint=folder / "chunks", resume=resume)
        if client is not None:
            result = simulate_dask(population, regimen, engine, scheduler=dask, shards=shards, **kwargs)
        elif workers > 1 and len(population) > 1:
            result = simulate_sharded(population, regimen, engine, workers=workers, **kwargs)
        else:
            result = run_cohort(population, regimen, engine, **kwargs)
    if out is not None:
        stable, runtime = split_runtime(result.provenance)
        runtime.update(started=started.isoformat(timespec="seconds"),
                       finished=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        from .._parquet import write_parquet
        from .._provenance import environment, run_stamp
        from ._columns import COLUMN_DOCS

        write_parquet(result.status, out / "status.parquet", "cohort/status.parquet",
                      COLUMN_DOCS["cohort/status.parquet"])
        stable["environment"] = environment()  # deterministic on one installation; the timestamp: run.json
        runtime["provenance"] = run_stamp()
        (out / "cohort.json").write_text(json.dumps(stable, indent=2, default=str) + "\n")
        (out / "run.json").write_text(json.dumps(runtime, indent=2, default=str) + "\n")
    return result


def _checkpoint_shards(folder: Path, resume: bool) -> int | None:
    """The shard count a Dask run recorded in the checkpoint at ``folder`` (resumed with the same split), or None."""
    if not resume:
        return None
    with suppress(OSError, ValueError, TypeError, AttributeError):
        shards = json.loads((folder / "manifest.json").read_text()).get("dask_shards")
        return int(shards) if shards is not None else None
    return None
