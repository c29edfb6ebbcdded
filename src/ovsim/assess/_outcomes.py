"""Per-patient response outcomes from a :class:`ResponseTable` (OPTiM's definitions).

Only assessed post-baseline visits (response not NE) count. A *response episode* is a maximal
run of consecutive assessed visits with CR or PR (visits not assessed neither break nor extend
it). Months are ``ovsim.model.DAYS_PER_MONTH`` (365.25 / 12) days; day comparisons carry a
tolerance of 1e-9 days, so a response lasting exactly 6.0 months is durable and one lasting
5.9 months is not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ovsim.model._units import DAYS_PER_MONTH

from ._rules import BURDEN_TOL, DAY_TOL, first_index, last_index, run_bounds
from ._table import Response, ResponseTable, response_names

OUTCOME_COLUMNS = (
    "best_overall_response", "objective_response", "complete_response", "time_to_response_days",
    "time_to_complete_response_days", "duration_of_response_days", "duration_of_response_censored",
    "durable_response", "durable_response_onset_day", "progression_before_response",
    "time_to_treatment_failure_days", "ttf_censored", "best_change_pct", "evaluable",
)


def _day_at(time_day: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Day of visit ``index`` per patient; NaN where the index is out of range (no such visit)."""
    ok = (index >= 0) & (index < time_day.size)
    return np.where(ok, time_day[np.clip(index, 0, time_day.size - 1)], np.nan)


def response_outcomes(table: ResponseTable, *, durable_months: float = 6.0,
                      onset_within_months: float = 12.0) -> pd.DataFrame:
    """One row per patient (index ``patient_index``) with the columns of ``OUTCOME_COLUMNS``.

    best_overall_response: best of CR > PR > SD > PD over assessed visits ('NE' if none).
    objective_response / complete_response: best overall response CR or PR / CR.
    time_to_response_days / time_to_complete_response_days: day of the first CR or PR / CR.
    duration_of_response_days: from the onset of the first response to the first later PD
      (event), else to the last assessment (``duration_of_response_censored`` True).
    durable_response: a response episode starting within ``onset_within_months`` of day 0 whose
      last visit is >= ``durable_months`` after its onset (OPTiM: 'CR or PR beginning within 12
      months and lasting continuously >= 6 months'); ``durable_response_onset_day`` its onset.
    progression_before_response: a PD before the first response.
    time_to_treatment_failure_days: day of the first PD after which there is no later response
      (event), else the last assessment (``ttf_censored`` True). Death is not in the table:
      combine with survival upstream.
    best_change_pct: smallest (burden / baseline - 1) x 100 over assessed visits.
    Times are NaN, and their censoring flags False, where undefined (no response; no assessment).
    """
    code = np.asarray(table.response)
    t = np.asarray(table.time_day, dtype=float)
    p, v = code.shape
    visit = np.arange(v)[None, :]
    assessed = (code != Response.NE) & (visit >= 1)
    resp = assessed & ((code == Response.CR) | (code == Response.PR))
    is_pd = assessed & (code == Response.PD)

    bor = table.best_overall_response()
    last_day = _day_at(t, last_index(assessed))
    first_resp = first_index(resp)
    has_resp = first_resp < v
    ttr = _day_at(t, first_resp)
    ttcr = _day_at(t, first_index(assessed & (code == Response.CR)))

    pd_after = is_pd & (visit > first_resp[:, None])
    has_pd_after = pd_after.any(axis=1)
    dor_end = np.where(has_pd_after, _day_at(t, first_index(pd_after)), last_day)
    dor = np.where(has_resp, dor_end - ttr, np.nan)
    dor_censored = has_resp & ~has_pd_after

    start, end = run_bounds(resp, assessed, t)
    with np.errstate(invalid="ignore"):
        onset = resp & (start == t[None, :])
        durable_ep = (onset & (t[None, :] <= onset_within_months * DAYS_PER_MONTH + DAY_TOL)
                      & (end - start >= durable_months * DAYS_PER_MONTH - DAY_TOL))
    durable = durable_ep.any(axis=1)
    durable_onset = _day_at(t, np.where(durable, first_index(durable_ep), v))

    pbr = np.any(is_pd & (visit < first_resp[:, None]), axis=1) & has_resp

    final_pd = is_pd & (visit > last_index(resp)[:, None])
    has_failure = final_pd.any(axis=1)
    ttf = np.where(has_failure, _day_at(t, first_index(final_pd)), last_day)
    ttf_censored = ~has_failure & ~np.isnan(last_day)

    burden = np.asarray(table.burden, dtype=float)
    base = np.asarray(table.baseline_burden, dtype=float)
    ok_base = table.evaluable & (base > BURDEN_TOL)
    with np.errstate(invalid="ignore", divide="ignore"):
        change = np.where(assessed & ok_base[:, None], (burden / base[:, None] - 1.0) * 100.0, np.inf)
    best_change = change.min(axis=1, initial=np.inf)
    best_change = np.where(np.isfinite(best_change), best_change, np.nan)

    frame = pd.DataFrame({
        "best_overall_response": response_names(bor),
        "objective_response": (bor == Response.CR) | (bor == Response.PR),
        "complete_response": bor == Response.CR,
        "time_to_response_days": ttr,
        "time_to_complete_response_days": ttcr,
        "duration_of_response_days": dor,
        "duration_of_response_censored": dor_censored,
        "durable_response": durable,
        "durable_response_onset_day": durable_onset,
        "progression_before_response": pbr,
        "time_to_treatment_failure_days": ttf,
        "ttf_censored": ttf_censored,
        "best_change_pct": best_change,
        "evaluable": np.asarray(table.evaluable, dtype=bool),
    }, columns=list(OUTCOME_COLUMNS), index=pd.RangeIndex(p, name="patient_index"))
    frame["best_overall_response"] = frame["best_overall_response"].astype(str)
    frame.attrs["criterion"] = table.criterion
    return frame
