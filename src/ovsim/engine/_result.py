"""One patient's simulated course: lesion and systemic trajectories with named dimensions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..model import ModelDefinition, diameter_cm_from_cells, product_diameters_cm2, volume_cm3_from_cells
from ..population import Patient
from ._tables import lesion_cells


@dataclass(frozen=True)
class PatientResult:
    """Trajectories of one patient.

    lesions: xarray Dataset, dims (time, lesion): cell counts, virus, local GM-CSF, volume (cm^3),
      longest diameter (cm), product of perpendicular diameters (cm^2); coords time_day, site, injectable.
    systemic: xarray Dataset, dim (time): immune states, anti-HSV titre, systemic GM-CSF, totals.
    doses: dose records (NONMEM-style columns, see ``ovsim.regimen.DOSE_RECORD_COLUMNS``).
    """

    patient: Patient
    lesions: xr.Dataset
    systemic: xr.Dataset
    doses: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Tidy tables: (one row per time and lesion, one row per time); ``time_index`` numbers the output times
        (0-based), ``time_day`` gives them in days."""
        lesions = self.lesions.to_dataframe().reset_index().rename(columns={"time": "time_index"})
        lesions.insert(0, "patient_id", self.patient.patient_id)
        systemic = self.systemic.to_dataframe().reset_index().rename(columns={"time": "time_index"})
        systemic.insert(0, "patient_id", self.patient.patient_id)
        return lesions, systemic

    def summary(self) -> str:
        """A short text summary: baseline and final size of each lesion, doses given."""
        d = self.lesions["longest_diameter_cm"]
        t_end = float(self.lesions.time_day[-1])
        lines = [f"patient {self.patient.patient_id}: {self.patient.n_lesions} lesions, {t_end:g} days"]
        for j, les in enumerate(self.patient.lesions):
            first, last = float(d[0, j]), float(d[-1, j])
            lines.append(
                f"  {les.lesion_id:>10} {les.site.value:<15} {first:7.2f} cm -> {last:7.2f} cm"
                f"  ({_change(first, last)})"
            )
        for drug, rows in self.doses.groupby("DRUG", sort=False):
            unit = rows["AMT_UNIT"].iloc[0]
            extra = f", {rows['VOL_ML'].sum():.1f} mL" if rows["VOL_ML"].sum() > 0 else ""
            lines.append(f"  {drug}: {rows['TIME'].nunique()} dosing days{extra}, {rows['AMT'].sum():.4g} {unit}")
        return "\n".join(lines)


def _change(first: float, last: float) -> str:
    if first <= 0:
        return "n/a"
    return f"{100.0 * (last - first) / first:+.0f}% diameter"


def build_result(
    patient: Patient,
    model: ModelDefinition,
    time_day: np.ndarray,
    states: np.ndarray,
    cell_density_per_cm3: float,
    doses: pd.DataFrame,
    provenance: dict[str, Any],
) -> PatientResult:
    """Package states (G, n_state) on the output grid into a :class:`PatientResult` (every model state)."""
    n = patient.n_lesions
    nl = model.n_lesion_states
    n_slots = (states.shape[1] - model.n_systemic_states) // nl
    blocks = states[:, : n_slots * nl].reshape(len(time_day), n_slots, nl)[:, :n, :]
    coords = {
        "time": np.arange(len(time_day)),
        "time_day": ("time", np.asarray(time_day, dtype=float)),
        "lesion": [les.lesion_id for les in patient.lesions],
        "site": ("lesion", [les.site.value for les in patient.lesions]),
        "injectable": ("lesion", [les.site.injectable for les in patient.lesions]),
    }
    lesion_vars = {s.name: (("time", "lesion"), blocks[:, :, k], {"units": s.units, "description": s.description})
                   for k, s in enumerate(model.lesion_states)}
    cells = lesion_cells(model, states, n_slots)[:, :n]
    diameter = diameter_cm_from_cells(cells, cell_density_per_cm3)
    lesion_vars["tumour_cells"] = (("time", "lesion"), cells, {"units": "cells"})
    lesion_vars["volume_cm3"] = (("time", "lesion"), volume_cm3_from_cells(cells, cell_density_per_cm3),
                                 {"units": "cm^3"})
    lesion_vars["longest_diameter_cm"] = (("time", "lesion"), diameter, {"units": "cm"})
    lesion_vars["product_diameters_cm2"] = (("time", "lesion"), product_diameters_cm2(diameter), {"units": "cm^2"})
    lesions = xr.Dataset(lesion_vars, coords=coords, attrs={"patient_id": patient.patient_id})

    sys_block = states[:, n_slots * nl:]
    sys_vars = {s.name: (("time",), sys_block[:, k], {"units": s.units, "description": s.description})
                for k, s in enumerate(model.systemic_states)}
    sys_vars["total_tumour_cells"] = (("time",), cells.sum(axis=1), {"units": "cells"})
    sys_vars["sum_product_diameters_cm2"] = (("time",), (diameter**2).sum(axis=1), {"units": "cm^2"})
    systemic = xr.Dataset(
        sys_vars,
        coords={"time": coords["time"], "time_day": coords["time_day"]},
        attrs={"patient_id": patient.patient_id},
    )
    return PatientResult(patient=patient, lesions=lesions, systemic=systemic, doses=doses, provenance=provenance)
