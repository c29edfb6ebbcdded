"""Column docs of the tables the engine writes: dose records (NONMEM-style), ``ovsim cohort``'s streamed
parts and status, and ``ovsim simulate``'s lesion and systemic trajectories.

``COLUMN_DOCS`` = {table: {column: (units, description)}} (units "" dimensionless, "1" counts and flags);
the model's state variables (simulate tables) are documented from the model (:func:`column_docs`).
"""

from __future__ import annotations

DOSE_DOCS: dict[str, tuple[str, str]] = {
    "ID": ("", "patient identifier (patient_id)"),
    "TIME": ("day", "time of the dose (days from the start of treatment)"),
    "EVID": ("1", "event identifier (NONMEM): 1 = dose"),
    "AMT": ("AMT_UNIT", "amount given, in the unit of AMT_UNIT (PFU for T-VEC, ug for GM-CSF)"),
    "RATE": ("AMT_UNIT/day", "zero-order input rate; 0 for a bolus"),
    "CMT": ("1", "1-based compartment (index in the model's state vector) receiving the dose"),
    "LESION_ID": ("", "injected lesion (intralesional doses; empty for systemic doses)"),
    "VOL_ML": ("mL", "injected volume (intralesional doses; 0 otherwise)"),
    "CONC_PFU_ML": ("PFU/mL", "T-VEC concentration of the injected solution (0 for other drugs)"),
    "DRUG": ("", "drug: TVEC or GMCSF"),
    "AMT_UNIT": ("", "unit of AMT: PFU or ug"),
}
"""Dose records (``ovsim.regimen._records``)."""

_TRAJECTORY_KEYS = {
    "patient_id": ("", "patient identifier"),
    "time_index": ("1", "0-based number of the output time"),
    "time_day": ("day", "time (days from the first dose)"),
}
_LESION_OUTPUTS = {
    "lesion": ("", "lesion identifier (lesion_id)"),
    "site": ("", "anatomical site of the lesion"),
    "injectable": ("1", "the site is injectable (cutaneous, subcutaneous, nodal)"),
    "tumour_cells": ("cells", "viable tumour cells of the lesion (uninfected, sheltered and infected)"),
    "volume_cm3": ("cm3", "lesion volume"),
    "longest_diameter_cm": ("cm", "longest diameter of the (spherical) lesion"),
    "product_diameters_cm2": ("cm2", "product of the longest and perpendicular diameters"),
}
_SYSTEMIC_OUTPUTS = {
    "total_tumour_cells": ("cells", "viable tumour cells of all lesions"),
    "sum_product_diameters_cm2": ("cm2", "sum over lesions of the product of diameters"),
}

COLUMN_DOCS: dict[str, dict[str, tuple[str, str]]] = {
    "cohort/lesions-part-*.parquet": {
        "patient_id": ("", "patient identifier"),
        "lesion_id": ("", "lesion identifier (unique within the patient)"),
        "site": ("", "anatomical site of the lesion"),
        "time_day": ("day", "output time (days from the first dose)"),
        "longest_diameter_cm": ("cm", "true (noise-free) longest diameter of the lesion"),
    },
    "cohort/doses-part-*.parquet": DOSE_DOCS,
    "cohort/status.parquet": {
        "patient_id": ("", "patient identifier"),
        "ok": ("1", "the patient's simulation finished"),
        "reason": ("", "why it failed (empty when ok)"),
        "steps": ("1", "solver steps taken"),
    },
    "simulate/lesions.parquet": {**_TRAJECTORY_KEYS, **_LESION_OUTPUTS},
    "simulate/systemic.parquet": {**_TRAJECTORY_KEYS, **_SYSTEMIC_OUTPUTS},
    "simulate/doses.csv": DOSE_DOCS,
}
"""Fixed columns; :func:`column_docs` adds the model's states to the simulate tables (``--format csv`` writes
``lesions.csv`` and ``systemic.csv`` with the same columns)."""


def _units(text: str) -> str:
    return "" if text == "1" else text.replace("^", "")  # the model writes "1" for dimensionless, "cm^3"


def state_docs(level: str) -> dict[str, tuple[str, str]]:
    """``{state: (units, description)}`` of the model's states at ``level`` (lesion or systemic), with every
    registered treatment's parts."""
    from ..treatments import builtin_model

    return {s.name: (_units(s.units), s.description) for s in builtin_model().states.values() if s.level == level}


def column_docs() -> dict[str, dict[str, tuple[str, str]]]:
    """:data:`COLUMN_DOCS` with the model's states in the simulate tables, csv variants included."""
    out = {k: dict(v) for k, v in COLUMN_DOCS.items()}
    out["simulate/lesions.parquet"] = {**state_docs("lesion"), **out["simulate/lesions.parquet"]}
    out["simulate/systemic.parquet"] = {**state_docs("systemic"), **out["simulate/systemic.parquet"]}
    for name in ("lesions", "systemic"):
        out[f"simulate/{name}.csv"] = out[f"simulate/{name}.parquet"]
    return out


def dataset_docs(frame_columns, dataset, fixed: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """Docs of a trajectory frame: ``fixed`` entries, then each variable's ``units`` / ``description``
    attributes in the xarray ``dataset`` (a treatment's own states included)."""
    out = dict(fixed)
    for name in frame_columns:
        if name not in out and name in dataset.variables:
            attrs = dataset[name].attrs
            if "units" in attrs:
                out[name] = (_units(str(attrs["units"])), str(attrs.get("description", "")))
    return out


__all__ = ["COLUMN_DOCS", "DOSE_DOCS", "column_docs", "dataset_docs", "state_docs"]
