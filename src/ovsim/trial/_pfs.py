"""Progression-free survival: per patient from the primary criterion's assessments and survival; per arm.

A patient's PFS (months from randomisation) ends at the first of

* the first assessment whose response by the trial's criterion (``assessment.criterion``) is PD; for irRC
  that is a *confirmed* irPD (``ovsim.assess._irrc``: the response table holds confirmed irPD only), for
  RECIST 1.1 and modified WHO a PD at one assessment;
* death (the survival model's death time), when it comes no later than one assessment interval after the
  patient's last assessment (assessments stop at death, so a death during the assessment horizon is an event);

and is censored otherwise: at the last assessment (a patient alive and free of progression at the end of
the assessment horizon, or dying more than one interval after it), or at the end of follow-up
(``os_months`` censored) when that comes first. Progression and death after the end of follow-up are not
seen. Assessment ``every_days`` is the scenario's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..assess._table import Response
from ..model import DAYS_PER_MONTH
from ._stats_survival import kaplan_meier

PFS_LANDMARK_MONTHS = (6, 12)
"""Months at which each arm reports the progression-free share (KEYNOTE-006 reports 6 months)."""


def _num(x: Any) -> float | None:
    return None if x is None or not np.isfinite(float(x)) else float(x)


def progression_free_survival(response: np.ndarray, time_day: np.ndarray, assessed: np.ndarray,
                              os_months: np.ndarray, os_event: np.ndarray, every_days: float
                              ) -> tuple[np.ndarray, np.ndarray]:
    """(``pfs_months``, ``pfs_event``) of P patients (see the module).

    response: (P, V) ``Response`` codes by the primary criterion; time_day: (V,) assessment days;
    assessed: (P, V) True where the patient was measured (baseline included); os_months, os_event: (P,) the
    observed overall survival (censored at the end of follow-up). A patient with a non-finite ``os_months``
    gets NaN (not evaluable)."""
    response = np.asarray(response)
    t = np.asarray(time_day, dtype=float)
    os_m = np.asarray(os_months, dtype=float)
    died = np.asarray(os_event, dtype=bool)
    if response.ndim != 2 or response.shape[1] != t.shape[0] or np.shape(assessed) != response.shape:
        raise ValueError(f"response, assessed: expected shape (P, {t.shape[0]}) (got {response.shape}, "
                         f"{np.shape(assessed)})")
    pd_visit = response == int(Response.PD)
    has_pd = pd_visit.any(axis=1)
    pd_months = np.where(has_pd, t[np.argmax(pd_visit, axis=1)], np.inf) / DAYS_PER_MONTH
    end = np.where(died, np.inf, os_m)  # end of follow-up (censoring time) of a patient alive at it
    seen = np.asarray(assessed, dtype=bool) & (t[None, :] / DAYS_PER_MONTH <= end[:, None])  # within follow-up
    last_months = np.where(seen.any(axis=1), t[(seen * np.arange(t.size)).argmax(axis=1)], 0.0) / DAYS_PER_MONTH
    pd_seen = has_pd & (pd_months <= end)
    death_event = died & (os_m <= last_months + every_days / DAYS_PER_MONTH)
    months = np.where(pd_seen, pd_months, np.where(death_event, os_m, last_months))
    event = pd_seen | death_event
    months = np.where(pd_seen & death_event, np.minimum(pd_months, os_m), months)
    # a patient censored before the first assessment (no follow-up at all) is censored at its follow-up time
    months = np.where(~event & (months <= 0), np.where(np.isfinite(end), end, months), months)
    bad = ~np.isfinite(os_m)
    return np.where(bad, np.nan, months), np.where(bad, False, event)


def pfs_endpoints(patients: pd.DataFrame) -> dict[str, Any]:
    """One arm's ``median_progression_free_survival_months`` ({value, ci95}) and
    ``progression_free_survival_at_months`` ({"6", "12"}: {value, ci95}), Kaplan-Meier (empty: None)."""
    empty = {"value": None, "ci95": [None, None]}
    if not len(patients) or "pfs_months" not in patients.columns:
        return {"median_progression_free_survival_months": dict(empty),
                "progression_free_survival_at_months": {str(m): dict(empty) for m in PFS_LANDMARK_MONTHS}}
    km = kaplan_meier(patients["pfs_months"].to_numpy(dtype=float), patients["pfs_event"].to_numpy(dtype=bool))
    lo, hi = km.median_ci95()
    at = {}
    for m in PFS_LANDMARK_MONTHS:
        v, lo_m, hi_m = km.survival_at(float(m))
        at[str(m)] = {"value": _num(v), "ci95": [_num(lo_m), _num(hi_m)]}
    return {"median_progression_free_survival_months": {"value": _num(km.median()), "ci95": [_num(lo), _num(hi)]},
            "progression_free_survival_at_months": at}


__all__ = ["PFS_LANDMARK_MONTHS", "pfs_endpoints", "progression_free_survival"]
