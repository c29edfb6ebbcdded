"""Intravenous infusions by the calendar: doses given as zero-order inputs over a fixed duration.

Shared by the checkpoint inhibitors (pembrolizumab over 30 min, ipilimumab over 90 min). A dose is a
fixed amount (mg) or an amount per kg of body weight (the covariate ``weight_kg``); doses start on
``start_day + k x every_days`` (days) while fewer than ``n_doses`` have been given and before
``max_months``. Stopping on progression is not modelled: the calendar is fixed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from ..model import DAYS_PER_MONTH, Covariate
from ..regimen import DOSE_RECORD_COLUMNS

MINUTES_PER_DAY = 1440.0

REFERENCE_WEIGHT_KG = 76.8
"""Reference body weight of the pembrolizumab population PK model (kg; Ahamadi et al. 2017, CPT
Pharmacometrics Syst Pharmacol 6:49); the default body weight of a patient who does not give one."""

WEIGHT_KG = Covariate("weight_kg", "kg", "body weight (mg/kg doses; pembrolizumab clearance and volumes); default "
                      "76.8 kg, the reference weight of the pembrolizumab population PK model (Ahamadi et al. 2017)",
                      "systemic", REFERENCE_WEIGHT_KG)
"""Body weight, shared by the checkpoint-inhibitor treatments (declared identically by each)."""


def _r(x: np.ndarray | float) -> np.ndarray:
    return np.round(np.asarray(x, dtype=float), 9)  # the engine rounds segment bounds to 9 decimals


@dataclass(frozen=True)
class InfusionDosing:
    """Calendar IV infusions into ``target`` (a systemic state, mg) as a ScheduledDosing.

    dose_mg or dose_mg_per_kg (exactly one is not None); every_days, start_day (days); max_months
    (months of treatment); n_doses (None: no limit); infusion_minutes: duration of each infusion.
    """

    target: str
    drug: str
    dose_mg: float | None
    dose_mg_per_kg: float | None
    every_days: float
    start_day: float
    max_months: float
    n_doses: int | None
    infusion_minutes: float

    def dose_days(self, horizon_days: float) -> np.ndarray:
        """Start days of the infusions given before ``horizon_days`` (days)."""
        end = min(float(horizon_days), self.start_day + self.max_months * DAYS_PER_MONTH)
        days = np.arange(self.start_day, end, self.every_days, dtype=float)
        if self.n_doses is not None:
            days = days[: self.n_doses]
        return days[days < horizon_days]

    def dose_amount_mg(self, weight_kg: np.ndarray | float) -> np.ndarray:
        """Amount of one dose (mg) for body weights ``weight_kg`` (kg)."""
        if self.dose_mg is not None:
            return np.full(np.shape(weight_kg), float(self.dose_mg))
        return float(self.dose_mg_per_kg) * np.asarray(weight_kg, dtype=float)

    def _windows(self, horizon_days: float) -> tuple[np.ndarray, np.ndarray]:
        starts = self.dose_days(horizon_days)
        return _r(starts), _r(starts + self.infusion_minutes / MINUTES_PER_DAY)

    def event_days(self, horizon_days: float) -> np.ndarray:
        begin, end = self._windows(horizon_days)
        days = np.unique(np.concatenate([begin, end]))
        return days[days < horizon_days]

    def amounts(self, starts_day: np.ndarray, patient: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """No boluses; over each infusion the dose divided by its (rounded) duration, mg/day."""
        starts = _r(starts_day)
        weight = np.asarray(patient["weight_kg"], dtype=float)
        begin, end = self._windows(np.inf if len(starts) == 0 else float(starts[-1]) + 1.0)
        # per segment: the infusion running during it (the latest begun), if it has not ended
        k = np.searchsorted(begin, starts, side="right") - 1
        on = (k >= 0) & (starts < end[np.maximum(k, 0)]) if len(begin) else np.zeros(len(starts), bool)
        per_day = np.where(on, 1.0 / np.where(on, end[np.maximum(k, 0)] - begin[np.maximum(k, 0)], 1.0), 0.0)
        rate = self.dose_amount_mg(weight)[:, None] * per_day[None, :]
        return np.zeros_like(rate), rate

    def records(self, patient_id: str, horizon_days: float, patient: Mapping[str, float], cmt: int) -> pd.DataFrame:
        """One row per infusion: AMT mg, RATE mg/day over the infusion (NONMEM style)."""
        begin, end = self._windows(horizon_days)
        amount = float(self.dose_amount_mg(float(patient["weight_kg"])))
        return pd.DataFrame({
            "ID": patient_id, "TIME": begin, "EVID": 1, "AMT": amount, "RATE": amount / (end - begin),
            "CMT": int(cmt), "LESION_ID": "", "VOL_ML": 0.0, "CONC_PFU_ML": 0.0, "DRUG": self.drug,
            "AMT_UNIT": "mg"}, columns=list(DOSE_RECORD_COLUMNS))
