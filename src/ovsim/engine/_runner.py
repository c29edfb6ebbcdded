"""The backend-agnostic cohort runner: order, chunk, pad, solve, tabulate, stream, record provenance.

Patients are grouped by lesion slots (4, 8, 12, ...) and, within a group, by HSV-1 serostatus (their
virus equations differ in stiffness, and a vectorised batch waits for its slowest lane); each group is
cut into chunks of a few fixed sizes (powers of two from 2 up to ``chunk_size``, the last padded by
repeating a patient), so compiled programs are reused and each patient's result does not depend on the chunking.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from ..population import Population
from ..regimen import combine_records
from ..treatments import Regimen
from ._backend import Backend
from ._batch import make_batch
from ._cohort_result import CohortResult, trajectories_to_frame
from ._inputs import n_slots_for
from ._options import SolverOptions
from ._progress import progress_bar
from ._schedule import build_schedule
from ._tables import chunk_tables, concat_parts


def run_cohort(
    population: Population, regimen: Regimen, backend: Backend, *, horizon_days: float, output_every_days: float,
    chunk_size: int, solver: SolverOptions, out_dir: Path | None, progress: bool, shard: int = 0,
    width: int | None = None,
) -> CohortResult:
    """Solve every patient of ``population`` on ``regimen`` with ``backend``, chunk by chunk (one process)."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size: expected >= 1 (got {chunk_size})")
    model = regimen.model()
    schedule = build_schedule(regimen, horizon_days, output_every_days)
    n = len(population)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    counts = population.lesions.groupby("patient_id", sort=False).size().reindex(population.patients["patient_id"])
    slots = np.array([n_slots_for(int(c)) for c in counts], dtype=int)
    sero = population.patients["hsv1_seropositive"].to_numpy(dtype=bool) if "hsv1_seropositive" in \
        population.patients else np.ones(n, dtype=bool)
    order = np.lexsort((sero, slots))
    ordered = population.subset(order) if n else population
    max_slots = width or (int(slots.max()) if n else 4)
    parts: list[dict[str, Any]] = []
    statuses, dose_frames = [], []
    started = time.perf_counter()
    first_chunk_s = None
    k = 0
    lane_work = [0.0, 0.0]  # steps taken by real lanes, steps the batch executed (lanes x slowest)
    with progress_bar(progress, n) as advance:
        for group in np.unique(slots):
            g_lo, g_hi = np.searchsorted(slots[order], [group, group + 1])
            # at least two lanes: XLA compiles a batch of one differently, and its rounding differs (~1e-15)
            size = max(2, min(chunk_size, 1 << int(np.ceil(np.log2(g_hi - g_lo)))))
            step = min(size, chunk_size)
            for lo in range(g_lo, g_hi, step):
                chunk = ordered.rows(lo, min(lo + step, g_hi))
                batch, inputs = make_batch(chunk, model, schedule, int(group))
                t0 = time.perf_counter()
                raw = backend.solve(batch.pad(size), solver).take(len(chunk))
                first_chunk_s = time.perf_counter() - t0 if first_chunk_s is None else first_chunk_s
                lane_work[0] += float(raw.steps.sum())
                lane_work[1] += float(raw.steps.max(axis=0).sum()) * size if len(raw.steps) else 0.0
                part, status, doses = chunk_tables(chunk, model, inputs, schedule, raw, max_slots)
                statuses.append(status)
                if out_dir is None:
                    parts.append(part)
                    dose_frames.append(doses)
                else:
                    _write_part(out_dir, f"{shard:03d}-{k:05d}", part, schedule.time_day, doses)
                k += 1
                advance(len(chunk))
    wall = time.perf_counter() - started

    status = pd.concat(statuses, ignore_index=True) if statuses else pd.DataFrame(
        {"patient_id": [], "ok": [], "reason": [], "steps": []})
    back = np.argsort(order, kind="stable")  # position of each original patient in the grouped order
    status = status.iloc[back].reset_index(drop=True)
    provenance = _provenance(population, regimen, backend, solver, horizon_days, output_every_days, chunk_size,
                             wall, first_chunk_s, n)
    provenance["n_failed"] = int((~status["ok"].astype(bool)).sum()) if len(status) else 0
    provenance["lane_efficiency"] = lane_work[0] / lane_work[1] if lane_work[1] else float("nan")
    provenance["n_chunks"] = k
    provenance["lane_work"] = lane_work
    if out_dir is not None:
        return CohortResult(None, status, pd.DataFrame(), provenance, out_dir)
    trajectories = concat_parts(parts, schedule.time_day, provenance).isel(patient=back)
    return CohortResult(trajectories, status, combine_records(*dose_frames), provenance, None)


def _write_part(out: Path, name: str, part: dict, time_day: np.ndarray, doses: pd.DataFrame) -> None:
    """Stream one chunk: tidy lesion diameters and dose records as Parquet parts."""
    trajectories_to_frame(concat_parts([part], time_day, {})).to_parquet(out / f"lesions-part-{name}.parquet",
                                                                         index=False)
    doses.to_parquet(out / f"doses-part-{name}.parquet", index=False)


def _provenance(population, regimen, backend, solver, horizon_days, every, chunk_size, wall, first_s, n) -> dict:
    scenario = {
        "population": population.provenance,
        "regimen": regimen.to_dict(),
        "horizon_days": horizon_days,
        "output_every_days": every,
        "solver": asdict(solver),
        "backend": backend.name,
    }
    return {
        "ovsim_version": __version__,
        "seed": population.provenance.get("seed"),
        "population_spec_sha256": population.provenance.get("spec_sha256"),
        "scenario_sha256": hashlib.sha256(json.dumps(scenario, sort_keys=True, default=str).encode()).hexdigest(),
        "regimen": regimen.to_dict(),
        "model": [p.name for p in regimen.model().parts],
        "backend": backend.name,
        "horizon_days": float(horizon_days),
        "output_every_days": float(every),
        "solver": solver.method if backend.name == "jax" else backend.name,
        "rtol": solver.rtol,
        "atol": solver.atol,
        "chunk_size": chunk_size,
        "device": backend.device(),
        "n_patients": n,
        "wall_seconds": wall,
        "first_chunk_seconds": first_s,
        "patients_per_second": n / wall if wall > 0 else float("nan"),
    }
