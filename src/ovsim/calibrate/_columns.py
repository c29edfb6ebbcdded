"""Column docs of the tables ``ovsim calibrate`` writes beside the pool (``outcomes.parquet``,
``validation.csv``); the pool's own patients and lesions tables are documented in
``ovsim.population._columns``.

``COLUMN_DOCS`` = {table: {column: (units, description)}} (units "" dimensionless, "1" counts and flags).
A ``<placeholder>`` in a column name documents every column matching it.
"""

from __future__ import annotations

_MEAN = "mean over the assessment replicates"

COLUMN_DOCS: dict[str, dict[str, tuple[str, str]]] = {
    "pool/outcomes.parquet": {
        "patient_id": ("", "plausible patient (joins pool patients.parquet)"),
        "stage": ("", "AJCC disease stage at baseline"),
        "ecog": ("1", "ECOG performance status at baseline"),
        "ldh_x_uln": ("", "serum LDH at baseline, multiple of the upper limit of normal"),
        "<arm>_log10_volume_cm3_day<day>": ("log10(cm3)", "log10 of the true total tumour volume on the arm's "
                                                          "regimen at that day"),
        "<arm>_durable_response": ("", f"durable response on the arm's regimen ({_MEAN}: a fraction)"),
        "<arm>_objective_response": ("", f"objective response (CR or PR) ({_MEAN})"),
        "<arm>_complete_response": ("", f"complete response ({_MEAN})"),
        "<arm>_responded_by_ttr": ("", f"responded by OPTiM's median time to response ({_MEAN})"),
        "<arm>_<category>_lesions": ("1", f"baseline lesions of the category ({_MEAN})"),
        "<arm>_<category>_decrease": ("1", f"lesions of the category with a >= 50% decrease ({_MEAN})"),
        "<arm>_<category>_resolved": ("1", f"lesions of the category completely resolved ({_MEAN})"),
        "ok": ("1", "simulated and evaluable in every replicate and arm"),
    },
    "pool/validation.csv": {
        "target": ("", "calibration target (endpoint and arm)"),
        "published": ("", "OPTiM's published value (rate, months or hazard ratio, as the target says)"),
        "interval_low": ("", "lower end of the acceptance interval (same units as published)"),
        "interval_high": ("", "upper end of the acceptance interval"),
        "basis": ("", "where the acceptance interval comes from"),
        "simulated_<scale>x": ("", "value in one trial <scale> times OPTiM's size on a fresh seed"),
        "inside": ("1", "the simulated value lies in the acceptance interval"),
        "seeds_mean": ("", "mean over OPTiM-size trials on fresh seeds"),
        "seeds_sd": ("", "standard deviation over those trials"),
        "seeds_min": ("", "smallest value over those trials"),
        "seeds_max": ("", "largest value over those trials"),
        "seeds_inside": ("1", "trials whose value lies in the acceptance interval"),
        "n_seeds": ("1", "OPTiM-size trials run"),
    },
}

__all__ = ["COLUMN_DOCS"]
