"""A simulated cohort: trajectories with named dimensions, per-patient status, dose records."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr


@dataclass(frozen=True, eq=False)
class CohortResult:
    """Results of :func:`simulate_cohort`.

    trajectories: xarray Dataset, dims (patient, time, lesion): ``longest_diameter_cm`` (cm); dims
      (patient, time): ``sum_product_diameters_cm2``, ``total_tumour_cells``, ``effector_t_cells``,
      ``memory_t_cells``, ``hsv_antibody_titre``. Coordinates: ``time_day``, ``lesion_id``, ``site``,
      ``injectable``, ``has_lesion`` (padded lesion slots have diameter 0 and ``has_lesion`` False).
      ``None`` when results were streamed to ``out_dir``.
    status: one row per patient: ``patient_id``, ``ok``, ``reason`` ('' if ok), ``steps`` (solver steps).
      Trajectories of failed patients are NaN and must be excluded using ``status``.
    doses: dose records of every patient (NONMEM-style columns).
    """

    trajectories: xr.Dataset | None
    status: pd.DataFrame
    doses: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)
    out_dir: Path | None = None

    @property
    def n_patients(self) -> int:
        """Number of patients simulated."""
        return len(self.status)

    @property
    def n_failed(self) -> int:
        """Number of patients whose solve failed (flagged in ``status``)."""
        return int((~self.status["ok"]).sum())

    @property
    def failed(self) -> pd.DataFrame:
        """Status rows of failed patients, with the reason."""
        return self.status[~self.status["ok"]]

    def summary(self) -> str:
        """A few lines: size, failures, steps, provenance."""
        p = self.provenance
        lines = [
            f"cohort: {self.n_patients} patients, {self.n_failed} failed, "
            f"{p.get('horizon_days', float('nan')):g} days, output every {p.get('output_every_days', float('nan')):g} days",
            f"  solver {p.get('solver')} on {p.get('device')}, {self.status['steps'].mean():.0f} steps/patient",
            f"  wall {p.get('wall_seconds', float('nan')):.1f} s ({p.get('patients_per_second', float('nan')):.1f} patients/s), "
            f"scenario {str(p.get('scenario_sha256', ''))[:12]}",
        ]
        if self.n_failed:
            reasons = self.failed["reason"].value_counts()
            lines += [f"  failed: {n} x {r}" for r, n in reasons.items()]
        return "\n".join(lines)

    def lesion_frame(self) -> pd.DataFrame:
        """Tidy table: one row per patient, real lesion and time (from memory or the streamed parts)."""
        if self.trajectories is None:
            if self.out_dir is None:
                raise ValueError("no trajectories: neither in memory nor streamed")
            parts = sorted(self.out_dir.glob("lesions-part-*.parquet"))
            return pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
        return trajectories_to_frame(self.trajectories)


def trajectories_to_frame(ds: xr.Dataset) -> pd.DataFrame:
    """Tidy lesion table (real lesions only) from a trajectories Dataset."""
    d = ds["longest_diameter_cm"].values  # (P, T, L)
    has = ds["has_lesion"].values  # (P, L)
    p_idx, l_idx = np.nonzero(has)
    n_t = d.shape[1]
    return pd.DataFrame({
        "patient_id": np.repeat(ds["patient"].values[p_idx], n_t),
        "lesion_id": np.repeat(ds["lesion_id"].values[p_idx, l_idx], n_t),
        "site": np.repeat(ds["site"].values[p_idx, l_idx], n_t),
        "time_day": np.tile(ds["time_day"].values, len(p_idx)),
        "longest_diameter_cm": d[p_idx, :, l_idx].reshape(-1),
    })
