"""Subcutaneous GM-CSF (sargramostim), OPTiM's comparator: 125 ug/m^2/day on days 1-14 of 28-day cycles.

Each day's injection is absorbed over hours (half-life 162 min, Leukine prescribing information), so the
model spreads it evenly over that day as a zero-order input into ``gmcsf_systemic_ug``. The dose scales
with body surface area, a covariate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from .._read import Number

from ..model import DAYS_PER_MONTH, Covariate, Mechanism, Terms
from ..regimen import GmcsfRegimen, gmcsf_dose_records
from ._protocol import Options, Treatment


class GmcsfOptions(Options):
    """Daily dose (ug/m^2), dosing days per cycle and cycle length (days), optional stop (months)."""

    dose_ug_per_m2_per_day: Number = Field(125.0, ge=0, le=10_000)
    days_on: Number = Field(14.0, ge=1, le=3650)
    cycle_days: Number = Field(28.0, ge=1, le=3650)
    """At least a day: the schedule has two dose events per cycle (``MAX_SEGMENTS`` bounds them over the horizon)."""
    max_months: Number | None = Field(None, gt=0, le=1200)

    @model_validator(mode="after")
    def _days(self) -> "GmcsfOptions":
        if self.days_on > self.cycle_days:
            raise ValueError(f"days_on: expected <= cycle_days (got {self.days_on:g})")
        return self


@dataclass(frozen=True)
class GmcsfDosing:
    """The comparator schedule as a :class:`~ovsim.treatments.ScheduledDosing` (zero-order, ug/day)."""

    regimen: GmcsfRegimen
    target: str = "gmcsf_systemic_ug"

    def event_days(self, horizon_days: float) -> np.ndarray:
        return self.regimen.switch_days(horizon_days, DAYS_PER_MONTH)

    def amounts(self, starts_day: np.ndarray, patient: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        rate = self.regimen.rate_ug_per_m2_per_day(starts_day, DAYS_PER_MONTH)[None, :] \
            * np.asarray(patient["bsa_m2"], dtype=float)[:, None]
        return np.zeros_like(rate), rate

    def records(self, patient_id: str, horizon_days: float, patient: Mapping[str, float], cmt: int) -> pd.DataFrame:
        days, dose = self.regimen.daily_doses_ug(horizon_days, float(patient["bsa_m2"]), DAYS_PER_MONTH)
        return gmcsf_dose_records(patient_id, days, dose, cmt)


MODEL = Mechanism(
    name="gmcsf",
    title="Subcutaneous GM-CSF",
    description="Daily subcutaneous doses enter systemic GM-CSF as a zero-order input over each dosing day.",
    terms=lambda s: Terms(),
    covariates=(
        Covariate("bsa_m2", "m^2", "body surface area (scales the GM-CSF dose; typical adult 1.9 m^2, "
                  "Mosteller formula at 175 cm, 75 kg)", "systemic", 1.9),
    ),
)

GMCSF = Treatment(
    name="gmcsf",
    drug="GMCSF",
    title="GM-CSF 125 ug/m2/day SC, days 1-14 q28d",
    amount_unit="ug",
    model=MODEL,
    options=GmcsfOptions,
    dosing=lambda o: GmcsfDosing(GmcsfRegimen(**o.model_dump())),
)
