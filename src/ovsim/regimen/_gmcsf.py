"""The OPTiM comparator: subcutaneous GM-CSF 125 ug/m^2/day, days 1-14 of each 28-day cycle."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


MIN_CYCLE_DAYS = 1.0
"""Shortest GM-CSF cycle (days): daily doses; a shorter cycle only multiplies the schedule's dose events."""


@dataclass(frozen=True)
class GmcsfRegimen:
    """Daily subcutaneous GM-CSF, given as a zero-order input over each dosing day.

    dose_ug_per_m2_per_day: daily dose (ug/m^2); days_on / cycle_days: dosing days per cycle (days);
    max_months: stop after this many months (``None``: until the horizon).
    The daily injections are absorbed over hours (sargramostim half-life ~2.7 h), so the model
    spreads each day's dose evenly over that day.
    """

    dose_ug_per_m2_per_day: float = 125.0
    days_on: float = 14.0
    cycle_days: float = 28.0
    max_months: float | None = None

    def __post_init__(self) -> None:
        for name in ("dose_ug_per_m2_per_day", "days_on", "cycle_days"):
            value = getattr(self, name)
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
                    or not math.isfinite(value):
                raise ValueError(f"{name}: expected a finite number (got {value!r})")
        if not self.dose_ug_per_m2_per_day >= 0:
            raise ValueError(f"dose_ug_per_m2_per_day: expected >= 0 (got {self.dose_ug_per_m2_per_day!r})")
        if not self.cycle_days >= MIN_CYCLE_DAYS:
            raise ValueError(f"cycle_days: expected at least {MIN_CYCLE_DAYS:g} day (got {self.cycle_days!r})")
        if not (0 < self.days_on <= self.cycle_days):
            raise ValueError(f"days_on: expected 0 < days_on <= cycle_days (got {self.days_on!r})")
        if self.max_months is not None and (isinstance(self.max_months, bool) or not math.isfinite(self.max_months)
                                            or self.max_months <= 0):
            raise ValueError(f"max_months: expected None or a finite number > 0 (got {self.max_months!r})")

    def switch_days(self, horizon_days: float, days_per_month: float) -> np.ndarray:
        """Days on which the input rate changes (cycle starts and ends of dosing), within the horizon."""
        end = horizon_days if self.max_months is None else min(horizon_days, self.max_months * days_per_month)
        starts = np.arange(0.0, end, self.cycle_days)
        stops = np.minimum(starts + self.days_on, end)
        return np.unique(np.concatenate([starts, stops]))

    def rate_ug_per_m2_per_day(self, t_day: np.ndarray, days_per_month: float) -> np.ndarray:
        """Input rate (ug/m^2/day) on the segment that starts at ``t_day`` (days)."""
        t = np.asarray(t_day, dtype=float)
        on = np.mod(t, self.cycle_days) < self.days_on - 1e-9
        if self.max_months is not None:
            on &= t < self.max_months * days_per_month - 1e-9
        return np.where(on, self.dose_ug_per_m2_per_day, 0.0)

    def daily_doses_ug(self, horizon_days: float, bsa_m2: float, days_per_month: float) -> tuple[np.ndarray, np.ndarray]:
        """Days (0, 1, ...) before the horizon and each day's dose (ug, 0 on days off)."""
        days = np.arange(0.0, float(np.ceil(horizon_days)))
        days = days[days < horizon_days]
        return days, self.rate_ug_per_m2_per_day(days, days_per_month) * bsa_m2
