"""One patient's simulated course: lesion and systemic trajectories with named dimensions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..model import (
    LESION_STATES,
    N_LESION_STATES,
    SYSTEMIC_STATES,
    UNITS,
    diameter_cm_from_cells,
    product_diameters_cm2,
    volume_cm3_from_cells,
)
from ..population import Patient


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
        """Tidy tables: (one row per time and lesion, one row per time)."""
        lesions = self.lesions.to_dataframe().reset_index()
        lesions.insert(0, "patient_id", self.patient.patient_id)
        systemic = self.systemic.to_dataframe().reset_index()
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
        tvec = self.doses[self.doses["DRUG"] == "TVEC"]
        gm = self.doses[self.doses["DRUG"] == "GMCSF"]
        if len(tvec):
            lines.append(
                f"  T-VEC: {tvec['TIME'].nunique()} visits, {tvec['VOL_ML'].sum():.1f} mL, "
                f"{tvec['AMT'].sum():.3g} PFU"
            )
        if len(gm):
            lines.append(f"  GM-CSF: {len(gm)} daily doses, {gm['AMT'].sum():.0f} ug")
        return "\n".join(lines)


def _change(first: float, last: float) -> str:
    if first <= 0:
        return "n/a"
    return f"{100.0 * (last - first) / first:+.0f}% diameter"


def build_result(
    patient: Patient,
    time_day: np.ndarray,
    states: np.ndarray,
    params: dict[str, float],
    doses: pd.DataFrame,
    provenance: dict[str, Any],
) -> PatientResult:
    """Package states (G, n_state) on the output grid into a :class:`PatientResult`."""
    n = patient.n_lesions
    n_slots = (states.shape[1] - len(SYSTEMIC_STATES)) // N_LESION_STATES
    blocks = states[:, : n_slots * N_LESION_STATES].reshape(len(time_day), n_slots, N_LESION_STATES)[:, :n, :]
    coords = {
        "time": np.arange(len(time_day)),
        "time_day": ("time", np.asarray(time_day, dtype=float)),
        "lesion": [les.lesion_id for les in patient.lesions],
        "site": ("lesion", [les.site.value for les in patient.lesions]),
        "injectable": ("lesion", [les.site.injectable for les in patient.lesions]),
    }
    lesion_vars = {
        name: (("time", "lesion"), blocks[:, :, k], {"units": UNITS[name]}) for k, name in enumerate(LESION_STATES)
    }
    cells = blocks[:, :, 0] + blocks[:, :, 1]
    density = params["tumour_cell_density"]
    diameter = diameter_cm_from_cells(cells, density)
    lesion_vars["tumour_cells"] = (("time", "lesion"), cells, {"units": "cells"})
    lesion_vars["volume_cm3"] = (("time", "lesion"), volume_cm3_from_cells(cells, density), {"units": "cm^3"})
    lesion_vars["longest_diameter_cm"] = (("time", "lesion"), diameter, {"units": "cm"})
    lesion_vars["product_diameters_cm2"] = (("time", "lesion"), product_diameters_cm2(diameter), {"units": "cm^2"})
    lesions = xr.Dataset(lesion_vars, coords=coords, attrs={"patient_id": patient.patient_id})

    sys_block = states[:, n_slots * N_LESION_STATES :]
    sys_vars = {
        name: (("time",), sys_block[:, k], {"units": UNITS[name]}) for k, name in enumerate(SYSTEMIC_STATES)
    }
    sys_vars["total_tumour_cells"] = (("time",), cells.sum(axis=1), {"units": "cells"})
    sys_vars["sum_product_diameters_cm2"] = (("time",), (diameter**2).sum(axis=1), {"units": "cm^2"})
    systemic = xr.Dataset(
        sys_vars,
        coords={"time": coords["time"], "time_day": coords["time_day"]},
        attrs={"patient_id": patient.patient_id},
    )
    return PatientResult(patient=patient, lesions=lesions, systemic=systemic, doses=doses, provenance=provenance)
