"""Dose records: every dose actually given, one row per lesion per visit, NONMEM-style columns.

Columns: ID, TIME (days), EVID (1 = dose), AMT (PFU for T-VEC, ug for GM-CSF), RATE (amount/day
for a zero-order input, 0 for a bolus), CMT (1-based compartment of the state vector),
LESION_ID, VOL_ML, CONC_PFU_ML, DRUG, AMT_UNIT.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

COLUMNS = ("ID", "TIME", "EVID", "AMT", "RATE", "CMT", "LESION_ID", "VOL_ML", "CONC_PFU_ML", "DRUG", "AMT_UNIT")


def tvec_dose_records(
    patient_id: str,
    time_day: np.ndarray,
    volume_ml: np.ndarray,
    concentration_pfu_per_ml: np.ndarray,
    lesion_ids: Sequence[str],
    cmt: Sequence[int],
) -> pd.DataFrame:
    """Rows for T-VEC injections: time_day (S,), volume_ml (S, L), concentration (S,), cmt (L,)."""
    vol = np.asarray(volume_ml, dtype=float)
    visit, lesion = np.nonzero(vol > 0)
    conc = np.asarray(concentration_pfu_per_ml, dtype=float)[visit]
    return pd.DataFrame({
        "ID": patient_id,
        "TIME": np.asarray(time_day, dtype=float)[visit],
        "EVID": 1,
        "AMT": vol[visit, lesion] * conc,
        "RATE": 0.0,
        "CMT": np.asarray(cmt, dtype=int)[lesion],
        "LESION_ID": np.asarray(lesion_ids, dtype=object)[lesion],
        "VOL_ML": vol[visit, lesion],
        "CONC_PFU_ML": conc,
        "DRUG": "TVEC",
        "AMT_UNIT": "PFU",
    }, columns=list(COLUMNS))


def gmcsf_dose_records(patient_id: str, day: np.ndarray, dose_ug: np.ndarray, cmt: int) -> pd.DataFrame:
    """Rows for daily GM-CSF doses (ug), each a zero-order input over one day."""
    day = np.asarray(day, dtype=float)
    dose = np.asarray(dose_ug, dtype=float)
    keep = dose > 0
    return pd.DataFrame({
        "ID": patient_id,
        "TIME": day[keep],
        "EVID": 1,
        "AMT": dose[keep],
        "RATE": dose[keep],
        "CMT": int(cmt),
        "LESION_ID": "",
        "VOL_ML": 0.0,
        "CONC_PFU_ML": 0.0,
        "DRUG": "GMCSF",
        "AMT_UNIT": "ug",
    }, columns=list(COLUMNS))


def combine_records(*frames: pd.DataFrame) -> pd.DataFrame:
    """Concatenate dose records, sorted by ID, TIME, then drug and compartment."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["ID", "TIME", "DRUG", "CMT"], kind="stable").reset_index(drop=True)
