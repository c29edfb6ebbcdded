"""Column docs of the tables the population layer writes: ``ovsim population`` (patients.parquet,
lesions.parquet) and the calibrated pool (the same tables, patients with selection weights).

``COLUMN_DOCS`` = {table: {column: (units, description)}} (units "" dimensionless, "1" counts and flags);
the per-patient model parameters are documented from the model's parameter registry
(:func:`column_docs`), so a new parameter is documented where it is defined.
"""

from __future__ import annotations

from functools import lru_cache

_PATIENTS = {
    "patient_id": ("", "patient identifier (unique within the population)"),
    "index": ("1", "0-based patient index: keys the patient's random streams (population (i,), measurement (i,1), "
                   "survival (i,2), height for weight_kg (i,10))"),
    "arm": ("", "arm whose stage mix the patient was drawn with (tvec or gmcsf)"),
    "stage": ("", "AJCC disease stage at baseline (IIIB, IIIC, IVM1a, IVM1b, IVM1c)"),
    "ecog": ("1", "ECOG performance status at baseline (0 or 1)"),
    "ldh_x_uln": ("", "serum lactate dehydrogenase at baseline, multiple of the upper limit of normal"),
    "hsv1_seropositive": ("1", "HSV-1 antibodies at baseline (true) or not (false)"),
    "n_lesions": ("1", "lesions at baseline (measurable and occult)"),
    "n_occult": ("1", "occult lesions: present at baseline but below the detection limit"),
    "bsa_m2": ("m2", "body surface area"),
    "weight_kg": ("kg", "body weight: 3600 x bsa_m2^2 / a height drawn per patient (Mosteller), clipped to "
                        "35-200 kg; empty or absent: 76.8 kg"),
    "pool_patient_id": ("", "the calibrated pool's patient this patient was drawn from (drawn populations only)"),
}
_LESIONS = {
    "patient_id": ("", "patient identifier (joins patients.parquet)"),
    "lesion_id": ("", "lesion identifier (unique within the patient)"),
    "site": ("", "anatomical site (cutaneous, subcutaneous, nodal, lung, liver, other visceral, ...)"),
    "longest_diameter_cm": ("cm", "longest diameter at baseline"),
    "doubling_time_days": ("day", "the lesion's volume doubling time without treatment or immunity"),
    "accessibility": ("", "fraction of the lesion's tumour cells within reach of injected virus (0 to 1]"),
    "injection_intent": ("1", "the investigator plans to inject it when present (injectable sites only)"),
    "immune_infiltration": ("", "relative effector T-cell infiltration of the lesion (1 = the patient's mean)"),
}
_WEIGHTS = {
    "weight": ("", "posterior-mean importance weight of the plausible patient in the calibrated pool (sums to 1)"),
    "weight_<k>": ("", "importance weight of the plausible patient in calibration-ensemble member k (0-based)"),
}

COLUMN_DOCS: dict[str, dict[str, tuple[str, str]]] = {
    "population/patients.parquet": _PATIENTS,
    "population/lesions.parquet": _LESIONS,
    "pool/patients.parquet": {**_PATIENTS, **_WEIGHTS},
    "pool/lesions.parquet": _LESIONS,
}
"""Fixed columns; :func:`column_docs` adds the model's parameters and the label covariates."""


def _units(text: str) -> str:
    return "" if text == "1" else text  # the model writes "1" for dimensionless


@lru_cache(maxsize=1)
def parameter_docs() -> dict[str, tuple[str, str]]:
    """``{parameter: (units, description)}`` of every parameter of the model with the shipped treatments (a
    population table may carry any); a treatment registered at run time documents its own."""
    from ..treatments import builtin_model

    return {name: (_units(p.units), p.description) for name, p in builtin_model().parameters.items()}


def column_docs() -> dict[str, dict[str, tuple[str, str]]]:
    """:data:`COLUMN_DOCS` with the model's parameters and the label covariates (``ovsim.population``'s
    contraindications: optional flags) added to each patients table (fixed entries win)."""
    from ._contraindications import CONTRAINDICATIONS

    params = {**parameter_docs(), **{c.name: ("1", f"label covariate ({c.kind}): {c.description}")
                                     for c in CONTRAINDICATIONS}}
    return {table: ({**params, **docs} if table.endswith("patients.parquet") else dict(docs))
            for table, docs in COLUMN_DOCS.items()}


__all__ = ["COLUMN_DOCS", "column_docs", "parameter_docs"]
