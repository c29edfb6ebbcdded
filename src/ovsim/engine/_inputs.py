"""Numbers the engines integrate: segment boundaries, dose events and patient arrays.

Segments are the sorted union of the output grid, the T-VEC visit days and the GM-CSF switch
days. Each engine integrates segment by segment; at the start of a segment that is a visit it
applies the dosing policy to the state at that moment. Lesions are padded to ``n_slots``
(multiples of 4) so patients of similar size share one compiled function; padded slots hold
no cells and are never dosed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..model import (
    DAYS_PER_MONTH,
    INFILTRATION_BY_SITE,
    LESION_STATES,
    N_LESION_STATES,
    PARAMETERS,
    Site,
    StateLayout,
    cells_from_diameter_cm,
)
from ..population import Patient, Population
from ..regimen import GmcsfRegimen, LabelPolicy, visit_days

Regimen = LabelPolicy | GmcsfRegimen


@dataclass(frozen=True)
class Schedule:
    """Segment boundaries and what happens at the start of each segment (numpy arrays)."""

    boundaries_day: np.ndarray  # (S+1,) days, from 0 to the horizon
    visit_index: np.ndarray  # (S,) int: 0-based scheduled T-VEC visit at the segment start, -1 if none
    gmcsf_rate_ug_per_m2_per_day: np.ndarray  # (S,) GM-CSF input during the segment
    grid_index: np.ndarray  # (G,) positions of output-grid times in boundaries_day
    policy: LabelPolicy | None
    gmcsf: GmcsfRegimen | None

    @property
    def n_segments(self) -> int:
        """Number of integration segments S."""
        return len(self.boundaries_day) - 1

    @property
    def time_day(self) -> np.ndarray:
        """Output grid (days)."""
        return self.boundaries_day[self.grid_index]


def split_regimen(regimen: Regimen | Sequence[Regimen] | None) -> tuple[LabelPolicy | None, GmcsfRegimen | None]:
    """The T-VEC policy and the GM-CSF regimen in ``regimen`` (each at most once)."""
    items = [] if regimen is None else [regimen] if isinstance(regimen, (LabelPolicy, GmcsfRegimen)) else list(regimen)
    policy = [r for r in items if isinstance(r, LabelPolicy)]
    gmcsf = [r for r in items if isinstance(r, GmcsfRegimen)]
    unknown = [r for r in items if not isinstance(r, (LabelPolicy, GmcsfRegimen))]
    if unknown or len(policy) > 1 or len(gmcsf) > 1:
        raise ValueError("regimen: expected at most one LabelPolicy and at most one GmcsfRegimen")
    return (policy[0] if policy else None, gmcsf[0] if gmcsf else None)


def build_schedule(
    regimen: Regimen | Sequence[Regimen] | None, horizon_days: float, output_every_days: float
) -> Schedule:
    """The segments for a regimen over ``[0, horizon_days]`` with output every ``output_every_days``."""
    if not (math.isfinite(horizon_days) and horizon_days > 0):
        raise ValueError(f"horizon_days: expected a number > 0 (got {horizon_days!r})")
    if not (math.isfinite(output_every_days) and 0 < output_every_days <= horizon_days):
        raise ValueError(f"output_every_days: expected 0 < value <= horizon_days (got {output_every_days!r})")
    policy, gmcsf = split_regimen(regimen)
    grid = np.unique(np.append(np.arange(0.0, horizon_days, output_every_days), horizon_days))
    visits = visit_days(horizon_days) if policy is not None else np.zeros(0)
    visits = visits[visits < horizon_days]
    switches = gmcsf.switch_days(horizon_days, DAYS_PER_MONTH) if gmcsf is not None else np.zeros(0)
    bounds = np.unique(np.round(np.concatenate([grid, visits, switches]), 9))
    starts = bounds[:-1]
    visit_index = np.full(len(starts), -1, dtype=np.int64)
    visit_index[np.searchsorted(starts, visits)] = np.arange(len(visits))
    gm_rate = gmcsf.rate_ug_per_m2_per_day(starts, DAYS_PER_MONTH) if gmcsf is not None else np.zeros(len(starts))
    return Schedule(
        boundaries_day=bounds,
        visit_index=visit_index,
        gmcsf_rate_ug_per_m2_per_day=np.asarray(gm_rate, dtype=float),
        grid_index=np.searchsorted(bounds, np.round(grid, 9)),
        policy=policy,
        gmcsf=gmcsf,
    )


def n_slots_for(n_lesions: int) -> int:
    """Lesion slots: ``n_lesions`` rounded up to a multiple of 4."""
    return max(4, 4 * math.ceil(n_lesions / 4))


@dataclass(frozen=True)
class PatientArrays:
    """A patient as arrays: initial state, parameters, lesion-level values (numpy)."""

    y0: np.ndarray  # (n_state,)
    params: dict[str, float]  # patient-level parameters plus hsv1_seropositive
    lesion: dict[str, np.ndarray]  # growth_rate (1/day), accessibility, infiltration: (L_slots,)
    injectable: np.ndarray  # (L_slots,) bool
    layout: StateLayout


def gmcsf_input(schedule: Schedule, params: dict[str, Any]) -> np.ndarray:
    """GM-CSF input (ug/day) of each segment for the patient's body surface area."""
    return schedule.gmcsf_rate_ug_per_m2_per_day * params["bsa_m2"]


def population_arrays(population: Population, n_slots: int) -> PatientArrays:
    """Batched :class:`PatientArrays` of a population, leading axis = patient (vectorised).

    Equal, patient by patient, to :func:`patient_arrays` of ``population.patient(i)``.
    """
    pats = population.patients
    les = population.lesions
    n = len(pats)
    if population.max_lesions > n_slots:
        raise ValueError(f"n_slots: expected >= {population.max_lesions} (got {n_slots})")
    params: dict[str, np.ndarray] = {}
    for name, spec in PARAMETERS.items():
        col = pats[name].to_numpy(dtype=float) if name in pats.columns else np.full(n, spec.value)
        params[name] = np.where(np.isnan(col), spec.value, col)
    sero = pats["hsv1_seropositive"].to_numpy(dtype=bool) if "hsv1_seropositive" in pats else np.ones(n, bool)
    params["hsv1_seropositive"] = sero.astype(float)

    row = pd.Index(pats["patient_id"]).get_indexer(les["patient_id"])
    slot = les.groupby("patient_id", sort=False).cumcount().to_numpy()
    layout = StateLayout(n_slots)
    doubling = _column(les, "doubling_time_days", params["doubling_time_days"][row])
    access = _column(les, "accessibility", params["accessibility"][row])
    site_names = les["site"].astype(str)
    growth = np.zeros((n, n_slots))
    growth[row, slot] = np.log(2.0) / doubling
    accessibility = np.repeat(params["accessibility"][:, None], n_slots, axis=1)
    accessibility[row, slot] = access
    infiltration = np.ones((n, n_slots))
    infiltration[row, slot] = site_names.map({s.value: INFILTRATION_BY_SITE[s] for s in Site}).to_numpy(dtype=float)
    injectable = np.zeros((n, n_slots), dtype=bool)
    injectable[row, slot] = site_names.map({s.value: s.injectable for s in Site}).to_numpy(dtype=bool)
    y0 = np.zeros((n, layout.size))
    y0[row, slot * N_LESION_STATES + LESION_STATES.index("uninfected_cells")] = (
        cells_from_diameter_cm(les["longest_diameter_cm"].to_numpy(dtype=float), params["tumour_cell_density"][row])
    )
    y0[:, layout.systemic_index("hsv_antibody_titre")] = sero * params["antibody_seropositive_baseline"]
    return PatientArrays(
        y0=y0,
        params=params,
        lesion={"growth_rate": growth, "accessibility": accessibility, "infiltration": infiltration},
        injectable=injectable,
        layout=layout,
    )


def _column(frame: pd.DataFrame, name: str, default: np.ndarray) -> np.ndarray:
    """``frame[name]`` as floats with NaN (or a missing column) replaced by ``default``."""
    if name not in frame.columns:
        return np.asarray(default, dtype=float)
    col = frame[name].to_numpy(dtype=float)
    return np.where(np.isnan(col), default, col)


def patient_arrays(patient: Patient, n_slots: int | None = None) -> PatientArrays:
    """Arrays for ``patient`` with lesions padded to ``n_slots`` (default :func:`n_slots_for`).

    The one-patient case of :func:`population_arrays` (leading axis removed).
    """
    n_slots = n_slots or n_slots_for(patient.n_lesions)
    row = {"patient_id": patient.patient_id, "hsv1_seropositive": patient.hsv1_seropositive,
           **dict(patient.parameters)}
    lesions = [
        {"patient_id": patient.patient_id, "lesion_id": les.lesion_id, "site": les.site.value,
         "longest_diameter_cm": les.longest_diameter_cm,
         "accessibility": np.nan if les.accessibility is None else les.accessibility,
         "doubling_time_days": np.nan if les.doubling_time_days is None else les.doubling_time_days}
        for les in patient.lesions
    ]
    batch = population_arrays(Population.from_records([row], lesions, {}), n_slots)
    return PatientArrays(
        y0=batch.y0[0],
        params={name: float(v[0]) for name, v in batch.params.items()},
        lesion={name: v[0] for name, v in batch.lesion.items()},
        injectable=batch.injectable[0],
        layout=batch.layout,
    )
