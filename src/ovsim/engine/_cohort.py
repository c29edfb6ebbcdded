"""``simulate_cohort``: many virtual patients on one regimen, in bounded memory, on any backend.

The work is done by the backend-agnostic runner (``_runner``), in one process or over worker
processes (``_parallel``); this module picks which, and writes the run's status and provenance
when results stream to ``out_dir``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..population import Population
from ..treatments import Regimen, parse_regimen
from ._backend import Backend, get_backend
from ._cohort_result import CohortResult
from ._options import SolverOptions
from ._parallel import simulate_sharded
from ._runner import run_cohort


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
    backend: str | Backend = "jax",
    out_dir: str | Path | None = None,
    progress: bool = False,
    workers: int = 1,
) -> CohortResult:
    """Simulate every patient of ``population`` on ``regimen``.

    horizon_days / output_every_days: simulated time and output grid (days). chunk_size: patients per
    batch (memory scales with it, not with the population). backend: ``jax`` (default), ``scipy`` or a
    registered :class:`~ovsim.engine.Backend`. out_dir: stream each chunk's tables there
    (``lesions-part-*.parquet``, ...) instead of keeping trajectories in memory. workers: processes to
    split the population over (one per core is fastest on CPU); each patient's result is the same
    whatever the split. A failed patient is flagged in ``status``; its trajectories are NaN.
    """
    regimen = as_regimen(regimen)
    engine = get_backend(backend)
    out = Path(out_dir) if out_dir is not None else None
    kwargs = dict(horizon_days=horizon_days, output_every_days=output_every_days, chunk_size=chunk_size,
                  solver=solver, out_dir=out, progress=progress)
    if workers > 1 and len(population) > 1:
        result = simulate_sharded(population, regimen, engine, workers=workers, **kwargs)
    else:
        result = run_cohort(population, regimen, engine, **kwargs)
    if out is not None:
        result.status.to_parquet(out / "status.parquet", index=False)
        (out / "cohort.json").write_text(json.dumps(result.provenance, indent=2, default=str) + "\n")
    return result
