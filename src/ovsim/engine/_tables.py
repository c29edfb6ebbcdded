"""From a raw solution to tables: lesion diameters and kept systemic states, status rows, dose records."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..model import INJECTABLE_SITE_NAMES, ModelDefinition, diameter_cm_from_cells
from ..population import Population
from ..regimen import combine_records
from ._backend import RawSolution
from ._inputs import PatientInputs
from ._schedule import Schedule

SYSTEMIC_KEPT = ("effector_t_cells", "memory_t_cells", "hsv_antibody_titre")
"""Systemic states a cohort keeps (with total tumour cells and the sum of products of diameters)."""


def lesion_cells(model: ModelDefinition, states: np.ndarray, n_slots: int) -> np.ndarray:
    """Tumour cells per lesion slot: the sum of the lesion states counted in cells (reachable, sheltered and
    infected tumour cells in the default model): (..., n_state) -> (..., n_slots)."""
    nl = model.n_lesion_states
    blocks = states[..., : n_slots * nl].reshape(states.shape[:-1] + (n_slots, nl))
    cells = [k for k, s in enumerate(model.lesion_states) if s.units == "cells"]
    return blocks[..., cells].sum(axis=-1)


def patient_records(schedule: Schedule, model: ModelDefinition, inputs: PatientInputs, raw: RawSolution, i: int,
                    patient_id: str, lesion_ids: list[str]) -> pd.DataFrame:
    """Dose records of patient ``i`` of a chunk, sorted (:func:`~ovsim.regimen.combine_records`)."""
    return combine_records(*record_frames(schedule, model, inputs, raw, i, patient_id, lesion_ids))


def record_frames(schedule: Schedule, model: ModelDefinition, inputs: PatientInputs, raw: RawSolution, i: int,
                  patient_id: str, lesion_ids: list[str]) -> list[pd.DataFrame]:
    """Unsorted dose-record frames of patient ``i`` of a chunk: the policy's (from the solve) and each scheduled
    treatment's."""
    frames = []
    m = len(lesion_ids)
    if schedule.policy is not None:
        _, dosing = schedule.policy
        cmt = [model.index(dosing.target, inputs.n_slots, j) + 1 for j in range(m)]
        record = {k: (v[i][:, :m] if v.ndim == 3 else v[i]) for k, v in raw.record.items()}
        frames.append(dosing.records(patient_id, schedule.starts_day, record, lesion_ids, cmt))
    values = {k: float(v[i]) for k, v in inputs.patient.items()}
    for _, dosing in schedule.scheduled:
        cmt = model.index(dosing.target, inputs.n_slots) + 1
        frames.append(dosing.records(patient_id, schedule.horizon_days, values, cmt))
    return frames


def chunk_tables(chunk: Population, model: ModelDefinition, inputs: PatientInputs, schedule: Schedule,
                 raw: RawSolution, width: int) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """Per-chunk outputs (lesion axis padded to ``width``): trajectory arrays, status rows, dose records."""
    n_slots = inputs.n_slots
    states = raw.states  # (B, G, n_state)
    b = states.shape[0]
    cells = lesion_cells(model, states, n_slots)
    diameter = diameter_cm_from_cells(cells, inputs.patient["tumour_cell_density"][:, None, None])
    ok = np.asarray(raw.ok, dtype=bool)
    systemic = {name: states[:, :, model.index(name, n_slots)] for name in SYSTEMIC_KEPT if name in model.states}
    systemic["total_tumour_cells"] = cells.sum(axis=2)
    systemic["sum_product_diameters_cm2"] = (diameter**2).sum(axis=2)
    diameter = np.where(ok[:, None, None], diameter, np.nan)
    systemic = {k: np.where(ok[:, None], v, np.nan) for k, v in systemic.items()}

    ids = chunk.patients["patient_id"].to_numpy(dtype=object)
    counts = chunk.lesions.groupby("patient_id", sort=False).size().reindex(ids).to_numpy()
    off = np.concatenate([[0], np.cumsum(counts)])
    lesion_id = np.full((b, n_slots), "", dtype=object)
    site = np.full((b, n_slots), "", dtype=object)
    for i in range(b):
        rows = chunk.lesions.iloc[off[i]:off[i + 1]]
        lesion_id[i, : len(rows)] = rows["lesion_id"].to_numpy()
        site[i, : len(rows)] = rows["site"].to_numpy()
    has = lesion_id != ""
    first_bad = np.argmin(np.asarray(raw.segment_ok, dtype=bool), axis=1)
    reason = np.where(
        ok, "",
        np.char.add("solve failed on day ", schedule.boundaries_day[first_bad].astype(int).astype(str))
        .astype(object) + " (step limit or non-finite state)",
    )
    status = pd.DataFrame({"patient_id": ids, "ok": ok, "reason": reason, "steps": np.asarray(raw.steps).sum(axis=1)})
    records = [frame for i in np.nonzero(ok)[0]  # sorted once, below (by ID, TIME, DRUG, CMT: no ties)
               for frame in record_frames(schedule, model, inputs, raw, i, ids[i], list(lesion_id[i, has[i]]))]
    widen = lambda a, fill: np.concatenate(  # noqa: E731
        [a, np.full(a.shape[:-1] + (width - a.shape[-1],), fill, dtype=a.dtype)], axis=-1)
    wide = np.where(ok[:, None, None], widen(diameter, 0.0), np.nan)  # a failed patient is NaN in every slot
    part = {"patient_id": ids, "diameter": wide, "systemic": systemic,
            "lesion_id": widen(lesion_id, ""), "site": widen(site, ""), "has_lesion": widen(has, False)}
    return part, status, combine_records(*records)


def concat_parts(parts: list[dict], time_day: np.ndarray, provenance: dict) -> xr.Dataset:
    """One trajectories Dataset, dims (patient, time, lesion), from chunk parts."""
    if not parts:
        parts = [{"patient_id": np.zeros(0, object), "diameter": np.zeros((0, len(time_day), 4)),
                  "systemic": {k: np.zeros((0, len(time_day))) for k in
                               (*SYSTEMIC_KEPT, "total_tumour_cells", "sum_product_diameters_cm2")},
                  "lesion_id": np.zeros((0, 4), object), "site": np.zeros((0, 4), object),
                  "has_lesion": np.zeros((0, 4), bool)}]
    cat = lambda key: np.concatenate([p[key] for p in parts], axis=0)  # noqa: E731
    data = {"longest_diameter_cm": (("patient", "time", "lesion"), cat("diameter"), {"units": "cm"})}
    for name in parts[0]["systemic"]:
        data[name] = (("patient", "time"), np.concatenate([p["systemic"][name] for p in parts], axis=0))
    coords = {
        "patient": cat("patient_id"),
        "time_day": ("time", np.asarray(time_day, dtype=float)),
        "lesion_id": (("patient", "lesion"), cat("lesion_id")),
        "site": (("patient", "lesion"), cat("site")),
        "has_lesion": (("patient", "lesion"), cat("has_lesion")),
        "injectable": (("patient", "lesion"), np.isin(cat("site"), INJECTABLE_SITE_NAMES)),
    }
    return xr.Dataset(data, coords=coords, attrs={k: str(v) for k, v in provenance.items()})
