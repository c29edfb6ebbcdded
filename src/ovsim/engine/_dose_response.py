"""Single-lesion dose-response: how much of one lesion T-VEC's virus alone removes, by dose.

One cutaneous lesion is treated on the label regimen (1e6 PFU/mL at day 0, 1e8 PFU/mL from day 21,
every 14 days, volume by size) with the fraction of each dose retained in the lesion varied, so the
PFU delivered per 1e8-strength visit spans several decades. Tumour-specific T-cell killing is switched
off (``kill_rate`` ~ 0): what remains is the virus with its innate and HSV-specific clearance. The
answer should be graded -- more virus, more of the lesion removed -- not a step between nothing and
everything (docs/model.md, "Virus: graded, not all or nothing").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..population import Lesion, Patient
from ._simulate import simulate_patient

NO_KILLING = 1e-12
"""kill_rate (1/day) that switches tumour-specific killing off (0 is not a valid rate override)."""


def single_lesion_dose_response(
    retention: np.ndarray, *, diameter_cm: float = 2.0, accessibility: float | None = None,
    hsv1_seropositive: bool = True, days: tuple[float, ...] = (28.0, 84.0, 182.0), t_cell_killing: bool = False,
) -> pd.DataFrame:
    """One row per retained fraction: PFU retained per 1e8-strength visit and the lesion volume change (%)
    at each of ``days`` (days), with the largest share of the lesion infected at once (%, sampled daily).

    retention: fractions (0, 1] of each dose that stay in the lesion (``dose_retention``).
    """
    rows = []
    for f in np.asarray(retention, dtype=float):
        if not 0 < f <= 1:
            raise ValueError(f"retention: expected fractions in (0, 1] (got {f!r})")
        lesion = Lesion("L1", "cutaneous", float(diameter_cm), accessibility=accessibility)
        params = {"dose_retention": float(f), **({} if t_cell_killing else {"kill_rate": NO_KILLING})}
        p = Patient("DOSE", (lesion,), hsv1_seropositive=hsv1_seropositive, parameters=params)
        r = simulate_patient(p, {"tvec": "label"}, horizon_days=max(days) + 1.0, output_every_days=1.0)
        t = r.lesions["time_day"].values
        vol = r.lesions["volume_cm3"].values[:, 0]
        infected = r.lesions["infected_cells"].values[:, 0] / np.maximum(r.lesions["tumour_cells"].values[:, 0], 1.0)
        later = r.doses[r.doses["CONC_PFU_ML"] >= 1e8]
        volume_ml = float(later["VOL_ML"].iloc[0]) if len(later) else float("nan")
        row = {"dose_retention": float(f), "pfu_retained_per_visit": float(f) * 1e8 * volume_ml,
               "max_infected_pct": 100.0 * float(infected.max())}
        for d in days:
            k = int(np.argmin(np.abs(t - d)))
            row[f"volume_change_pct_day{int(d)}"] = 100.0 * (vol[k] / vol[0] - 1.0)
        rows.append(row)
    return pd.DataFrame(rows)
