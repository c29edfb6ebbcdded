"""Column docs of the supply tables: ``ovsim supply`` (forecast.csv, the courses cache), a trial's
supply_forecast.csv and ``ovsim cohort``'s vials.csv.

``COLUMN_DOCS`` = {table: {column: (units, description)}} (units "" dimensionless, "1" counts and flags).
"""

from __future__ import annotations

FORECAST_DOCS: dict[str, tuple[str, str]] = {
    "week": ("1", "0-based week from the centre's first day (the last may be partial)"),
    "start_day": ("day", "first day of the week (week x 7)"),
    "strength": ("PFU/mL", "T-VEC vial strength (1e6 or 1e8 PFU/mL)"),
    "mean": ("1", "vials thawed in the week: mean over resampled centres"),
    "median": ("1", "vials thawed in the week: median over resampled centres"),
    "p05": ("1", "vials thawed in the week: 5th percentile over resampled centres"),
    "p95": ("1", "vials thawed in the week: 95th percentile over resampled centres"),
}

COLUMN_DOCS: dict[str, dict[str, tuple[str, str]]] = {
    "supply/forecast.csv": FORECAST_DOCS,
    "supply/courses.parquet": {
        "course": ("1", "0-based course (one simulated patient's T-VEC treatment)"),
        "patient_id": ("", "the simulated patient"),
        "day": ("day", "day of the visit from the course's first visit"),
        "strength": ("PFU/mL", "vial strength (text: 1e6 or 1e8)"),
        "volume_ml": ("mL", "volume injected at the visit from this strength"),
        "vials": ("1", "vials of this strength thawed at the visit"),
    },
    "cohort/vials.csv": {
        "patient_id": ("", "patient identifier"),
        "strength": ("PFU/mL", "vial strength"),
        "concentration_pfu_per_ml": ("PFU/mL", "T-VEC concentration of the strength"),
        "visits": ("1", "visits with doses of this strength"),
        "volume_ml": ("mL", "volume injected from this strength (0.1 mL resolution)"),
        "vials": ("1", "vials thawed"),
        "waste_ml": ("mL", "thawed volume not injected (vials x 1 mL - volume)"),
    },
}

__all__ = ["COLUMN_DOCS", "FORECAST_DOCS"]
