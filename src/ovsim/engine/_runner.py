"""The backend-agnostic cohort runner: order, chunk, pad, solve, tabulate, stream, record provenance.

Patients are grouped by lesion slots (4, 8, 12, ...) and, within a group, by HSV-1 serostatus (their
virus equations differ in stiffness, and a vectorised batch waits for its slowest lane); each group is
cut into chunks of a few fixed sizes (powers of two from 2 up to ``chunk_size``, the last padded by
repeating a patient), so compiled programs are reused and each patient's result does not depend on the chunking.

With a ``checkpoint`` folder, every finished chunk is recorded there (its status rows, dose records, lane
work and, when trajectories stay in memory, its arrays), each chunk moved into place whole once written;
with ``resume``, recorded chunks are read back instead of solved, so a resumed run ends with the same result.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
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
    width: int | None = None, checkpoint: Path | None = None, resume: bool = False,
) -> CohortResult:
    """Solve every patient of ``population`` on ``regimen`` with ``backend``, chunk by chunk (one process).

    checkpoint: a folder recording each finished chunk; resume: read recorded chunks back instead of solving them.
    """
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
    k = resumed = 0
    lane_work = [0.0, 0.0]  # steps taken by real lanes, steps the batch executed (lanes x slowest)
    shape = (f"{type(backend).__name__}/{'+'.join(regimen.to_dict())}/chunk{chunk_size}/slots{max_slots}/"
             f"{horizon_days:g}d/{output_every_days:g}d")  # the first chunk's program, for the compiling notice
    with progress_bar(progress, n, shape) as advance:
        for group in np.unique(slots):
            g_lo, g_hi = np.searchsorted(slots[order], [group, group + 1])
            # at least two lanes: XLA compiles a batch of one differently, and its rounding differs (~1e-15)
            size = max(2, min(chunk_size, 1 << int(np.ceil(np.log2(g_hi - g_lo)))))
            step = min(size, chunk_size)
            for lo in range(g_lo, g_hi, step):
                name = f"{shard:03d}-{k:05d}"
                done = _load_chunk(checkpoint / name, out_dir is None) if checkpoint is not None and resume else None
                if done is not None:
                    statuses.append(done["status"])
                    lane_work[0] += done["lane_work"][0]
                    lane_work[1] += done["lane_work"][1]
                    if out_dir is None:
                        parts.append(done["part"])
                        dose_frames.append(done["doses"])
                    k += 1
                    resumed += 1
                    advance(min(lo + step, g_hi) - lo)
                    continue
                chunk = ordered.rows(lo, min(lo + step, g_hi))
                batch, inputs = make_batch(chunk, model, schedule, int(group))
                t0 = time.perf_counter()
                raw = backend.solve(batch.pad(size), solver).take(len(chunk))
                first_chunk_s = time.perf_counter() - t0 if first_chunk_s is None else first_chunk_s
                work = (float(raw.steps.sum()), float(raw.steps.max(axis=0).sum()) * size if len(raw.steps) else 0.0)
                lane_work[0] += work[0]
                lane_work[1] += work[1]
                part, status, doses = chunk_tables(chunk, model, inputs, schedule, raw, max_slots)
                statuses.append(status)
                if out_dir is None:
                    parts.append(part)
                    dose_frames.append(doses)
                else:
                    _write_part(out_dir, name, part, schedule.time_day, doses)
                if checkpoint is not None:
                    _save_chunk(checkpoint / name, status, work, part if out_dir is None else None, doses)
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
    provenance["n_chunks_resumed"] = resumed
    if out_dir is not None:
        return CohortResult(None, status, pd.DataFrame(), provenance, out_dir)
    trajectories = concat_parts(parts, schedule.time_day, provenance).isel(patient=back)
    return CohortResult(trajectories, status, combine_records(*dose_frames), provenance, None)


class ResumeError(ValueError):
    """A checkpoint that cannot be resumed: the run's inputs differ from the checkpointed run's."""


def population_digest(population: Population) -> str:
    """SHA-256 of a population's patient and lesion tables (columns and values)."""
    h = hashlib.sha256()
    for frame in (population.patients, population.lesions):
        h.update(json.dumps([str(c) for c in frame.columns]).encode())
        try:
            h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        except TypeError:  # unhashable cells
            h.update(frame.to_json(orient="split", index=False, default_handler=str).encode())
    return h.hexdigest()


def open_checkpoint(folder: Path, manifest: dict[str, Any], resume: bool) -> bool:
    """Start a checkpoint in ``folder`` (emptied) with ``manifest`` (the run's inputs), or, with ``resume``,
    continue the one there: its manifest must match (else :class:`ResumeError`, naming the inputs that differ).
    Returns whether a checkpoint is continued."""
    manifest = json.loads(json.dumps(manifest, sort_keys=True, default=str))
    path = folder / "manifest.json"
    if resume and path.is_file():
        recorded = json.loads(path.read_text())
        differ = sorted(k for k in set(recorded) | set(manifest) if recorded.get(k) != manifest.get(k))
        if differ:
            raise ResumeError(f"cannot resume: the run's inputs differ ({', '.join(differ)})")
        return True
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return False


def _write_part(out: Path, name: str, part: dict, time_day: np.ndarray, doses: pd.DataFrame) -> None:
    """Stream one chunk: tidy lesion diameters and dose records as Parquet parts (each written whole, then renamed)."""
    from .._parquet import write_parquet
    from ._columns import COLUMN_DOCS

    for stem, frame in (("lesions", trajectories_to_frame(concat_parts([part], time_day, {}))), ("doses", doses)):
        path = out / f"{stem}-part-{name}.parquet"
        table = f"cohort/{stem}-part-*.parquet"
        write_parquet(frame, path.with_name(path.name + ".partial"), table, COLUMN_DOCS[table])
        os.replace(path.with_name(path.name + ".partial"), path)


RUNTIME_KEYS = ("wall_seconds", "first_chunk_seconds", "patients_per_second", "n_chunks_resumed")
"""Provenance entries that describe the run rather than its inputs and results (they vary from run to run)."""


def split_runtime(provenance: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(stable, runtime)``: provenance without the run-time figures, and those figures."""
    return ({k: v for k, v in provenance.items() if k not in RUNTIME_KEYS},
            {k: provenance[k] for k in RUNTIME_KEYS if k in provenance})


_STRINGS = ("patient_id", "lesion_id", "site")


def _save_chunk(folder: Path, status: pd.DataFrame, work: tuple[float, float], part: dict | None,
                doses: pd.DataFrame) -> None:
    """Record a finished chunk: written into a scratch folder, then renamed to ``folder`` (complete or absent)."""
    scratch = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    status.to_parquet(scratch / "status.parquet", index=False)
    if part is not None:  # trajectories kept in memory (streamed ones are in the output's parts already)
        doses.to_parquet(scratch / "doses.parquet", index=False)
        arrays = {f"systemic.{k}": v for k, v in part["systemic"].items()}
        arrays.update({k: part[k].astype(str) if k in _STRINGS else part[k] for k in part if k != "systemic"})
        np.savez(scratch / "part.npz", **arrays)
    (scratch / "chunk.json").write_text(json.dumps({"lane_work": list(work), "n": len(status)}) + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(scratch, folder)


def _load_chunk(folder: Path, in_memory: bool) -> dict[str, Any] | None:
    """A recorded chunk (``status``, ``doses``, ``lane_work``, ``part``), or None if it was not recorded."""
    if not (folder / "chunk.json").is_file():
        return None
    meta = json.loads((folder / "chunk.json").read_text())
    out = {"status": pd.read_parquet(folder / "status.parquet"), "lane_work": meta["lane_work"]}
    if in_memory:
        if not (folder / "part.npz").is_file():
            return None
        out["doses"] = pd.read_parquet(folder / "doses.parquet")
        with np.load(folder / "part.npz", allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        part: dict[str, Any] = {k: v.astype(object) if k in _STRINGS else v
                                for k, v in arrays.items() if not k.startswith("systemic.")}
        part["systemic"] = {k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith("systemic.")}
        out["part"] = part
    return out


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
