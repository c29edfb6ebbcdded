"""``simulate_cohort``: many virtual patients at once, batched and compiled, in bounded memory.

Patients are processed in chunks of ``chunk_size`` (the last chunk padded by repeating a patient,
so every chunk has one compiled shape); each chunk is one ``vmap``-ed solve. A patient whose solve
fails is flagged in ``status`` with the reason and its trajectories set to NaN; the others are
unaffected (lanes are independent). Results accumulate in memory or stream to ``out_dir``.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from .. import __version__
from ..model import (
    DAYS_PER_MONTH,
    LESION_STATES,
    N_LESION_STATES,
    SYSTEMIC_STATES,
    StateLayout,
    diameter_cm_from_cells,
)
from ..population import Population
from ..regimen import LabelPolicy, combine_records, gmcsf_dose_records, tvec_dose_records
from ._cohort_result import CohortResult, trajectories_to_frame
from ._inputs import Regimen, build_schedule, n_slots_for, population_arrays
from ._options import SolverOptions

_SYSTEMIC_KEPT = ("effector_t_cells", "memory_t_cells", "hsv_antibody_titre")


def simulate_cohort(
    population: Population,
    regimen: Regimen | Sequence[Regimen] | None = LabelPolicy(),
    *,
    horizon_days: float = 730.0,
    output_every_days: float = 28.0,
    chunk_size: int = 128,
    solver: SolverOptions = SolverOptions(),
    out_dir: str | Path | None = None,
    progress: bool = False,
    workers: int = 1,
    _shard: int = 0,
    _width: int | None = None,
) -> CohortResult:
    """Simulate every patient of ``population`` on ``regimen``.

    horizon_days / output_every_days: simulated time and output grid (days). chunk_size: patients
    per compiled batch (memory scales with it, not with the population). out_dir: stream each
    chunk's tables there (``lesions-part-*.parquet``, ...) instead of keeping trajectories in memory.
    workers: processes to split the population over (one per core is fastest on CPU); each
    patient's result is the same whatever the split.
    """
    if workers > 1 and len(population) > 1:
        from ._parallel import simulate_sharded

        return simulate_sharded(
            population, regimen, workers=workers, horizon_days=horizon_days,
            output_every_days=output_every_days, chunk_size=chunk_size, solver=solver,
            out_dir=out_dir, progress=progress,
        )
    from .._jax import jax_modules
    from ._jax_backend import compiled_batch_solve

    if chunk_size < 1:
        raise ValueError(f"chunk_size: expected >= 1 (got {chunk_size})")
    jax, jnp = jax_modules()
    schedule = build_schedule(regimen, horizon_days, output_every_days)
    if schedule.policy is not None:
        inj = population.lesions.groupby("patient_id", sort=False)["site"].agg(
            lambda s: s.isin(["cutaneous", "subcutaneous", "nodal"]).any()
        )
        if not inj.all():
            raise ValueError(f"population: patient {inj.index[~inj.to_numpy()][0]} has no injectable lesion")
    n = len(population)
    fn = compiled_batch_solve(solver)
    policy = {k: jnp.asarray(v) for k, v in (schedule.policy or LabelPolicy()).as_arrays().items()}
    shared = (jnp.asarray(schedule.boundaries_day), jnp.asarray(schedule.visit_index))
    grid_index = jnp.asarray(schedule.grid_index)
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)

    # Patients are grouped by lesion slots (4, 8, 12, 16, ...): each patient is always solved with
    # its own slot count, whatever the chunking, so results do not depend on chunk size.
    counts = population.lesions.groupby("patient_id", sort=False).size().reindex(population.patients["patient_id"])
    slots = np.array([n_slots_for(int(c)) for c in counts], dtype=int)
    # Within a slot group, seropositive and seronegative patients are chunked apart: their anti-HSV
    # titres (and so the stiffness of the virus equations) differ, and a batch waits for its slowest lane.
    sero = population.patients["hsv1_seropositive"].to_numpy(dtype=bool) if "hsv1_seropositive" in \
        population.patients else np.ones(n, dtype=bool)
    order = np.lexsort((sero, slots))
    ordered = population.subset(order) if n else population
    max_slots = _width or (int(slots.max()) if n else 4)
    parts: list[dict[str, Any]] = []
    statuses, dose_frames = [], []
    started = time.perf_counter()
    compile_seconds = None
    k = 0
    lane_work = [0.0, 0.0]  # steps taken by real lanes, steps the batch executed (lanes x slowest)
    with _progress(progress, n) as advance:
        for group in np.unique(slots):
            g_lo, g_hi = np.searchsorted(slots[order], [group, group + 1])
            # chunk shapes come from a small fixed set (powers of two up to chunk_size), so compiled
            # programs are reused across runs, shards and population sizes (persistent cache)
            size = min(chunk_size, 1 << int(np.ceil(np.log2(g_hi - g_lo))))
            for lo in range(g_lo, g_hi, size):
                chunk = ordered.rows(lo, min(lo + size, g_hi))
                arrays = population_arrays(chunk, int(group))
                real = len(chunk)
                pad = lambda a: _pad(a, size)  # noqa: E731
                gm = schedule.gmcsf_rate_ug_per_m2_per_day[None, :] * arrays.params["bsa_m2"][:, None]
                t0 = time.perf_counter()
                res = fn(
                    pad(arrays.y0), {kk: pad(v) for kk, v in arrays.params.items()},
                    {kk: pad(v) for kk, v in arrays.lesion.items()}, pad(arrays.injectable),
                    *shared, pad(gm), policy, grid_index,
                )
                res = {kk: np.asarray(v)[:real] for kk, v in jax.device_get(res).items()}
                if compile_seconds is None:
                    compile_seconds = time.perf_counter() - t0
                seg_steps = res["steps"]  # (B, S): masked lanes wait for the slowest lane of each segment
                lane_work[0] += float(seg_steps.sum())
                lane_work[1] += float(seg_steps.max(axis=0).sum()) * size
                part, status, doses = _chunk_tables(chunk, arrays, schedule, res, int(group), max_slots)
                statuses.append(status)
                if out is None:
                    parts.append(part)
                    dose_frames.append(doses)
                else:
                    _write_part(out, f"{_shard:03d}-{k:05d}", part, schedule.time_day, doses)
                k += 1
                advance(real)
    wall = time.perf_counter() - started

    status = pd.concat(statuses, ignore_index=True) if statuses else pd.DataFrame(
        {"patient_id": [], "ok": [], "reason": [], "steps": []})
    back = np.argsort(order, kind="stable")  # position of each original patient in the grouped order
    status = status.iloc[back].reset_index(drop=True)
    provenance = _provenance(population, schedule, solver, horizon_days, output_every_days,
                             chunk_size, wall, compile_seconds, n, jax)
    provenance["n_failed"] = int((~status["ok"].astype(bool)).sum()) if len(status) else 0
    provenance["lane_efficiency"] = lane_work[0] / lane_work[1] if lane_work[1] else float("nan")
    provenance["n_chunks"] = k
    provenance["lane_work"] = lane_work
    if out is not None:
        status.to_parquet(out / "status.parquet", index=False)
        (out / "cohort.json").write_text(json.dumps(provenance, indent=2, default=str) + "\n")
        return CohortResult(None, status, pd.DataFrame(), provenance, out)
    trajectories = _concat_parts(parts, schedule.time_day, provenance).isel(patient=back)
    return CohortResult(trajectories, status, combine_records(*dose_frames), provenance, None)


def _pad(a: np.ndarray, size: int) -> np.ndarray:
    """Pad the leading axis to ``size`` by repeating the last row."""
    a = np.asarray(a)
    if a.shape[0] == size:
        return a
    reps = np.repeat(a[-1:], size - a.shape[0], axis=0)
    return np.concatenate([a, reps], axis=0)


def _chunk_tables(chunk: Population, arrays, schedule, res: dict, n_slots: int, width: int):
    """Per-chunk outputs (lesion axis padded to ``width``): trajectory arrays, status rows, doses."""
    states = res["states"]  # (B, G, n_state)
    b, g, _ = states.shape
    blocks = states[:, :, : n_slots * N_LESION_STATES].reshape(b, g, n_slots, N_LESION_STATES)
    cells = blocks[..., LESION_STATES.index("uninfected_cells")] + blocks[..., LESION_STATES.index("infected_cells")]
    density = arrays.params["tumour_cell_density"][:, None, None]
    diameter = diameter_cm_from_cells(cells, density)
    ok = np.asarray(res["ok"], dtype=bool)
    sys_off = n_slots * N_LESION_STATES
    systemic = {name: states[:, :, sys_off + SYSTEMIC_STATES.index(name)] for name in _SYSTEMIC_KEPT}
    systemic["total_tumour_cells"] = cells.sum(axis=2)
    systemic["sum_product_diameters_cm2"] = (diameter**2).sum(axis=2)
    diameter = np.where(ok[:, None, None], diameter, np.nan)
    systemic = {k: np.where(ok[:, None], v, np.nan) for k, v in systemic.items()}

    ids = chunk.patients["patient_id"].to_numpy(dtype=object)
    off = np.concatenate([[0], np.cumsum(chunk.lesions.groupby("patient_id", sort=False).size()
                                         .reindex(ids).to_numpy())])
    lesion_id = np.full((b, n_slots), "", dtype=object)
    site = np.full((b, n_slots), "", dtype=object)
    for i in range(b):
        rows = chunk.lesions.iloc[off[i]:off[i + 1]]
        lesion_id[i, : len(rows)] = rows["lesion_id"].to_numpy()
        site[i, : len(rows)] = rows["site"].to_numpy()
    has = lesion_id != ""
    seg_ok = np.asarray(res["segment_ok"], dtype=bool)
    first_bad = np.argmin(seg_ok, axis=1)
    reason = np.where(
        ok, "",
        np.char.add("solve failed on day ", schedule.boundaries_day[first_bad].astype(int).astype(str))
        .astype(object) + " (step limit or non-finite state)",
    )
    status = pd.DataFrame({"patient_id": ids, "ok": ok, "reason": reason,
                           "steps": np.asarray(res["steps"]).sum(axis=1)})
    starts = schedule.boundaries_day[:-1]
    layout = StateLayout(n_slots)
    cmt = [layout.cmt(layout.lesion_index(j, "virus_pfu")) for j in range(n_slots)]
    gm_cmt = layout.cmt(layout.systemic_index("gmcsf_systemic_ug"))
    records = []
    for i in np.nonzero(ok)[0]:
        m = int(has[i].sum())
        records.append(tvec_dose_records(ids[i], starts, res["volume_ml"][i][:, :m],
                                         res["concentration_pfu_per_ml"][i], lesion_id[i, :m], cmt[:m]))
        if schedule.gmcsf is not None:
            days, dose = schedule.gmcsf.daily_doses_ug(schedule.boundaries_day[-1], arrays.params["bsa_m2"][i],
                                                       DAYS_PER_MONTH)
            records.append(gmcsf_dose_records(ids[i], days, dose, gm_cmt))
    widen = lambda a, fill: np.concatenate(  # noqa: E731
        [a, np.full(a.shape[:-1] + (width - a.shape[-1],), fill, dtype=a.dtype)], axis=-1)
    part = {"patient_id": ids, "diameter": widen(diameter, 0.0), "systemic": systemic,
            "lesion_id": widen(lesion_id, ""), "site": widen(site, ""), "has_lesion": widen(has, False)}
    return part, status, combine_records(*records)


def _concat_parts(parts: list[dict], time_day: np.ndarray, provenance: dict) -> xr.Dataset:
    if not parts:
        parts = [{"patient_id": np.zeros(0, object), "diameter": np.zeros((0, len(time_day), 4)),
                  "systemic": {k: np.zeros((0, len(time_day))) for k in
                               (*_SYSTEMIC_KEPT, "total_tumour_cells", "sum_product_diameters_cm2")},
                  "lesion_id": np.zeros((0, 4), object), "site": np.zeros((0, 4), object),
                  "has_lesion": np.zeros((0, 4), bool)}]
    cat = lambda key: np.concatenate([p[key] for p in parts], axis=0)  # noqa: E731
    diameter = cat("diameter")
    data = {"longest_diameter_cm": (("patient", "time", "lesion"), diameter, {"units": "cm"})}
    for name in parts[0]["systemic"]:
        data[name] = (("patient", "time"), np.concatenate([p["systemic"][name] for p in parts], axis=0))
    has = cat("has_lesion")
    coords = {
        "patient": cat("patient_id"),
        "time_day": ("time", np.asarray(time_day, dtype=float)),
        "lesion_id": (("patient", "lesion"), cat("lesion_id")),
        "site": (("patient", "lesion"), cat("site")),
        "has_lesion": (("patient", "lesion"), has),
        "injectable": (("patient", "lesion"), np.isin(cat("site"), ["cutaneous", "subcutaneous", "nodal"])),
    }
    return xr.Dataset(data, coords=coords, attrs={k: str(v) for k, v in provenance.items()})


def _write_part(out: Path, name: str, part: dict, time_day: np.ndarray, doses: pd.DataFrame) -> None:
    """Stream one chunk: tidy lesion diameters and dose records as Parquet parts."""
    frame = trajectories_to_frame(_concat_parts([part], time_day, {}))
    frame.to_parquet(out / f"lesions-part-{name}.parquet", index=False)
    doses.to_parquet(out / f"doses-part-{name}.parquet", index=False)


def _provenance(population, schedule, solver, horizon_days, every, chunk_size, wall, compile_s, n, jax):
    regimens = [type(r).__name__ + json.dumps(asdict(r), sort_keys=True, default=str)
                for r in (schedule.policy, schedule.gmcsf) if r is not None]
    scenario = {
        "population": population.provenance,
        "regimen": regimens,
        "horizon_days": horizon_days,
        "output_every_days": every,
        "solver": asdict(solver),
    }
    device = jax.devices()[0]
    return {
        "ovsim_version": __version__,
        "seed": population.provenance.get("seed"),
        "population_spec_sha256": population.provenance.get("spec_sha256"),
        "scenario_sha256": hashlib.sha256(json.dumps(scenario, sort_keys=True, default=str).encode()).hexdigest(),
        "regimen": regimens,
        "horizon_days": float(horizon_days),
        "output_every_days": float(every),
        "solver": solver.method,
        "rtol": solver.rtol,
        "atol": solver.atol,
        "chunk_size": chunk_size,
        "device": f"{device.platform}:{getattr(device, 'device_kind', '')}",
        "n_patients": n,
        "wall_seconds": wall,
        "first_chunk_seconds": compile_s,
        "patients_per_second": n / wall if wall > 0 else float("nan"),
    }


class _progress:
    """A rich progress bar over patients (or nothing)."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled, self.total, self._bar = enabled, total, None

    def __enter__(self):
        if not self.enabled:
            return lambda k: None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TextColumn("patients"),
                             TimeRemainingColumn(), transient=False)
        self._bar.__enter__()
        task = self._bar.add_task("cohort", total=self.total)
        return lambda k: self._bar.advance(task, k)

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.__exit__(*exc)
        return False
