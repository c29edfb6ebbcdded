"""Column docs of the tables ``ovsim trial`` writes (``TrialResult.write_files``).

``COLUMN_DOCS`` = {table: {column: (units, description)}} (units "" dimensionless, "1" counts and flags).
A ``<placeholder>`` in a column name documents every column matching it (``ae_<event>_day``).
"""

from __future__ import annotations

from ..engine._columns import DOSE_DOCS
from ..supply._columns import FORECAST_DOCS

_KEYS = {
    "patient_key": ("", "arm:patient_id, unique in the trial (a paired trial has the same patient in each arm)"),
    "patient_id": ("", "patient identifier"),
    "arm": ("", "arm of the trial (scenario's arm name)"),
}
_RESPONSE = "response by the primary criterion: CR, PR, SD, PD or NE (not evaluable)"

COLUMN_DOCS: dict[str, dict[str, tuple[str, str]]] = {
    "trial/patients.parquet": {
        **_KEYS,
        "index": ("1", "0-based patient index: keys the random streams (population (i,), measurement (i,1), "
                       "survival (i,2))"),
        "stage": ("", "AJCC disease stage at baseline"),
        "ecog": ("1", "ECOG performance status at baseline"),
        "ldh_x_uln": ("", "serum LDH at baseline, multiple of the upper limit of normal"),
        "hsv1_seropositive": ("1", "HSV-1 antibodies at baseline"),
        "n_lesions": ("1", "lesions at baseline (measurable and occult)"),
        "n_occult": ("1", "occult lesions at baseline (below the detection limit)"),
        "ok": ("1", "simulated, evaluable and with a survival estimate (counted in the endpoints)"),
        "reason": ("", "why the patient is not ok (empty when ok)"),
        "best_overall_response": ("", "best response over assessed visits: CR > PR > SD > PD; NE if none"),
        "objective_response": ("1", "best overall response CR or PR"),
        "complete_response": ("1", "best overall response CR"),
        "time_to_response_days": ("day", "day of the first CR or PR (NaN: none)"),
        "time_to_complete_response_days": ("day", "day of the first CR (NaN: none)"),
        "duration_of_response_days": ("day", "from the first response's onset to the first later PD, else to the "
                                             "last assessment (censored)"),
        "duration_of_response_censored": ("1", "duration_of_response_days ends at the last assessment, not a PD"),
        "durable_response": ("1", "CR or PR beginning within the scenario's onset window (12 months in OPTiM) and "
                                  "lasting continuously >= its duration (6 months)"),
        "durable_response_onset_day": ("day", "onset of the durable response (NaN: none)"),
        "progression_before_response": ("1", "a PD before the first response"),
        "time_to_treatment_failure_days": ("day", "first PD with no later response, else the last assessment "
                                                  "(censored)"),
        "ttf_censored": ("1", "time_to_treatment_failure_days ends at the last assessment"),
        "best_change_pct": ("%", "smallest change of the tumour burden from baseline over assessed visits"),
        "evaluable": ("1", "measurable baseline burden by the primary criterion"),
        "baseline_burden_cm2": ("cm2", "baseline tumour burden: sum of products of diameters (modified WHO)"),
        "growth_rate_per_day": ("1/day", "Stein-model tumour growth-rate constant KG of the measured burden "
                                         "(descriptive; NaN with fewer than two assessments)"),
        "shrinkage_rate_per_day": ("1/day", "Stein-model tumour shrinkage-rate constant KS of the measured burden"),
        "os_months": ("month", "overall survival time from randomisation (death or censoring)"),
        "os_event": ("1", "death observed (false: censored at the end of follow-up)"),
        "pfs_months": ("month", "progression-free survival from randomisation: first PD by the primary criterion "
                                "(irRC: confirmed irPD) or death, else censored at the last assessment or the end of "
                                "follow-up (ovsim.trial._pfs)"),
        "pfs_event": ("1", "progression or death observed (false: censored)"),
        "treatment_end_day": ("day", "day of the last dose given (NaN: none)"),
        "<drug>_visits": ("1", "dosing days of the drug (tvec_visits, gmcsf_visits)"),
        "ae_<event>_day": ("day", "day of the adverse event's first onset (NaN: none)"),
        "ae_<event>": ("1", "the patient had the adverse event (ovsim.safety)"),
    },
    "trial/assessments.parquet": {
        **_KEYS,
        "time_day": ("day", "day of the tumour assessment (day 0 = baseline)"),
        "burden": ("cm2", "measured tumour burden by the primary criterion (sum of products of diameters for "
                          "modified WHO and irRC; RECIST 1.1 sums longest diameters, in cm)"),
        "burden_change_pct": ("%", "change of the burden from baseline"),
        "new_lesion": ("1", "a new lesion is seen at this assessment"),
        "response": ("", _RESPONSE),
        "response_<criterion>": ("", "response by the criterion (modified_who, recist11, irrc)"),
    },
    "trial/lesions.parquet": {
        **_KEYS,
        "lesion_id": ("", "lesion identifier (unique within the patient)"),
        "site": ("", "anatomical site"),
        "category": ("", "injected, uninjected_nonvisceral or uninjected_visceral"),
        "new_lesion": ("1", "first seen after baseline (followed from the visit it is first seen)"),
        "first_seen_day": ("day", "day of the lesion's first measurement (0 for baseline lesions)"),
        "baseline_product_cm2": ("cm2", "longest x perpendicular diameter at the first measurement"),
        "best_change_pct": ("%", "smallest change of the product of diameters over later assessed visits"),
        "decrease_ge_50pct": ("1", "best change <= -50%"),
        "complete_resolution": ("1", "product 0 at some later assessed visit"),
        "time_to_decrease_50pct_day": ("day", "days from first_seen_day to the first visit with product <= 50% of "
                                              "the first (NaN: never)"),
    },
    "trial/measurements.parquet": {
        **_KEYS,
        "lesion_id": ("", "lesion identifier"),
        "site": ("", "anatomical site"),
        "injected": ("1", "the lesion received an intralesional dose"),
        "time_day": ("day", "day of the assessment"),
        "true_diameter_cm": ("cm", "true (noise-free) longest diameter"),
        "longest_cm": ("cm", "measured longest diameter (with measurement error; 0 below the detection limit)"),
        "perpendicular_cm": ("cm", "measured perpendicular diameter"),
    },
    "trial/doses.csv": {"ARM": ("", "arm of the trial"), **DOSE_DOCS},
    "trial/supply_forecast.csv": FORECAST_DOCS,
}

__all__ = ["COLUMN_DOCS"]
