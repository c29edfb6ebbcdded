"""Trial endpoints from the per-patient and per-lesion tables: rates, survival, comparisons, subgroups.

Which of them are OPTiM's calibration targets and which are predictions: ``ovsim.trial._roles``.

Rates use every patient of the arm whose simulation succeeded (intention to treat over the
evaluable population); failed patients are counted in ``failed_patients``, never imputed.
Comparisons are against the control, the last arm: ``comparisons`` is the first arm against it (OPTiM's
experimental arm) and, in a trial of three or more arms, ``comparisons_vs_control`` has every other arm
against it (``{arm: comparisons}``). Progression-free survival (by the primary criterion): ``ovsim.trial._pfs``.

Non-finite results are failures, never data: every function here refuses an evaluable patient whose
survival time is not a finite number > 0, whose flags are not true/false, or whose time to response
is missing while a response is recorded (``ValueError`` naming the arm, patient and column) instead of
counting the patient as censored or leaving it out of a rate. Failed patients are excluded upstream
(``ok`` False, with a ``reason``) and counted in ``failed_patients``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..model import DAYS_PER_MONTH
from ._stats_binomial import Rate, odds_ratio, rate, rate_difference, rate_of, relative_risk
from ._pfs import pfs_endpoints
from ._stats_survival import hazard_ratio, kaplan_meier
from ._subgroups import STAGE_GROUPS, subgroup_labels

LANDMARK_MONTHS = (12, 24, 36, 48)
LESION_CATEGORIES = ("injected", "uninjected_nonvisceral", "uninjected_visceral")
BOR_CATEGORIES = ("CR", "PR", "SD", "PD", "NE")
"""Best overall response categories (primary criterion); their shares per arm sum to 1."""


def _num(x: float) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else float(x)


_PATIENT_FLAGS = ("durable_response", "objective_response", "complete_response", "progression_before_response",
                  "os_event")
_LESION_FLAGS = ("decrease_ge_50pct", "complete_resolution")


def _show(value: Any) -> str:
    return repr(value.item() if isinstance(value, np.generic) else value)


def _first_bad(frame: pd.DataFrame, bad: np.ndarray) -> str:
    row = frame.loc[bad].iloc[0]
    who = row.get("patient_key", row.get("patient_id", frame.index[bad][0]))
    return f"patient {who!s}"


def _require_flags(frame: pd.DataFrame, columns: tuple[str, ...], where: str) -> None:
    for col in columns:
        if col not in frame.columns:
            raise ValueError(f"{where}: column {col!r} is missing")
        values = frame[col]
        if values.dtype == bool:
            continue
        bad = ~values.map(lambda v: isinstance(v, (bool, np.bool_)) or (isinstance(v, (int, np.integer)) and v in (0, 1))
                          ).to_numpy(dtype=bool)
        if bad.any():
            got = values.to_numpy()[bad][0]
            raise ValueError(f"{where}: {_first_bad(frame, bad)}: {col} is {_show(got)} (expected true or false)")


def _require_times(values: pd.Series, frame: pd.DataFrame, col: str, where: str, positive: bool = False) -> None:
    t = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(t) | ((t <= 0) if positive else (t < 0))
    if bad.any():
        got = values.to_numpy()[bad][0]
        raise ValueError(f"{where}: {_first_bad(frame.loc[values.index], bad)}: {col} is {_show(got)} "
                         f"(expected a finite number {'> 0' if positive else '>= 0'}; a failed patient "
                         "must be flagged ok = false, not counted)")


def check_evaluable(patients: pd.DataFrame, lesions: pd.DataFrame | None = None, where: str = "endpoints") -> None:
    """``ValueError`` (one line) if an evaluable patient's endpoint inputs are not finite or not true/false.

    ``patients`` (and ``lesions``) are the rows endpoints are computed from (failed patients removed)."""
    _require_flags(patients, _PATIENT_FLAGS, where)
    if "os_months" not in patients.columns:
        raise ValueError(f"{where}: column 'os_months' is missing")
    _require_times(patients["os_months"], patients, "os_months", where, positive=True)
    if "pfs_months" in patients.columns:  # tables written before PFS existed have no PFS
        _require_flags(patients, ("pfs_event",), where)
        _require_times(patients["pfs_months"], patients, "pfs_months", where, positive=True)
    for flag, col in (("objective_response", "time_to_response_days"),
                      ("complete_response", "time_to_complete_response_days")):
        if col not in patients.columns:
            raise ValueError(f"{where}: column {col!r} is missing")
        rows = patients[patients[flag].to_numpy(dtype=bool)]
        _require_times(rows[col], rows, col, where)
    if "best_overall_response" in patients.columns:
        bad = ~patients["best_overall_response"].isin(BOR_CATEGORIES).to_numpy(dtype=bool)
        if bad.any():
            raise ValueError(f"{where}: {_first_bad(patients, bad)}: best_overall_response is "
                             f"{_show(patients['best_overall_response'].to_numpy()[bad][0])} "
                             f"(expected one of {', '.join(BOR_CATEGORIES)})")
    if lesions is not None:
        _require_flags(lesions, _LESION_FLAGS, f"{where}: lesions")
        if "time_to_decrease_50pct_day" in lesions.columns:
            rows = lesions[lesions["decrease_ge_50pct"].to_numpy(dtype=bool)]
            _require_times(rows["time_to_decrease_50pct_day"], rows, "time_to_decrease_50pct_day", f"{where}: lesions")


def _median_months(days: pd.Series) -> float | None:
    d = days.dropna()
    return _num(float(np.median(d)) / DAYS_PER_MONTH) if len(d) else None


def _bor_shares(patients: pd.DataFrame) -> dict[str, Any]:
    """Share of each best overall response (CR, PR, SD, PD, NE) among the arm's patients (None per category
    when the table has no ``best_overall_response``); the shares sum to 1."""
    if "best_overall_response" not in patients.columns:
        return {c: None for c in BOR_CATEGORIES}
    bor = patients["best_overall_response"].astype(str).to_numpy()
    return {c: rate_of(bor == c).to_dict() for c in BOR_CATEGORIES}


def _lesion_median_months(les: pd.DataFrame) -> float | None:
    """Median time (months) to a >= 50% decrease among the lesions that reach one (None without the column)."""
    if "time_to_decrease_50pct_day" not in les.columns:
        return None
    return _median_months(les.loc[les["decrease_ge_50pct"].to_numpy(dtype=bool), "time_to_decrease_50pct_day"])


def arm_endpoints(patients: pd.DataFrame, lesions: pd.DataFrame) -> dict[str, Any]:
    """One arm's endpoints (patients and lesions of that arm, failed patients already removed).

    Beside the rates, medians and survival: ``best_overall_response`` (share of each category),
    progression before response among durable and among objective responders, and per lesion category
    the median time to a >= 50% decrease among the lesions that reach one (months).

    ``ValueError`` if a patient's survival time, flags or time to response are not finite (see
    :func:`check_evaluable`)."""
    check_evaluable(patients, lesions, "arm endpoints")
    out: dict[str, Any] = {"n": int(len(patients))}
    for key, col in (("durable_response_rate", "durable_response"), ("objective_response_rate", "objective_response"),
                     ("complete_response_rate", "complete_response")):
        out[key] = rate_of(patients[col].to_numpy(dtype=bool)).to_dict()
    out["median_time_to_response_months"] = _median_months(patients.loc[patients.objective_response, "time_to_response_days"])
    out["median_time_to_complete_response_months"] = _median_months(
        patients.loc[patients.complete_response, "time_to_complete_response_days"])
    if len(patients):
        km = kaplan_meier(patients["os_months"].to_numpy(), patients["os_event"].to_numpy(dtype=bool))
        lo, hi = km.median_ci95()
        out["median_overall_survival_months"] = {"value": _num(km.median()), "ci95": [_num(lo), _num(hi)]}
        out["overall_survival_at_months"] = {}
        for m in LANDMARK_MONTHS:
            v, lo, hi = km.survival_at(float(m))
            out["overall_survival_at_months"][str(m)] = {"value": _num(v), "ci95": [_num(lo), _num(hi)]}
    else:
        out["median_overall_survival_months"] = {"value": None, "ci95": [None, None]}
        out["overall_survival_at_months"] = {str(m): {"value": None, "ci95": [None, None]} for m in LANDMARK_MONTHS}
    out.update(pfs_endpoints(patients))
    durable = patients[patients.durable_response.to_numpy(dtype=bool)]
    out["progression_before_response_among_durable_responders"] = rate_of(
        durable["progression_before_response"].to_numpy(dtype=bool)).to_dict()
    responders = patients[patients.objective_response.to_numpy(dtype=bool)]
    out["progression_before_response_among_objective_responders"] = rate_of(
        responders["progression_before_response"].to_numpy(dtype=bool)).to_dict()
    out["best_overall_response"] = _bor_shares(patients)
    out["lesion_level"] = {}  # baseline and new lesions, each from its first measurement (OPTiM's analysis)
    for cat in LESION_CATEGORIES:
        les = lesions[lesions.category == cat]
        new = les["new_lesion"].to_numpy(dtype=bool) if "new_lesion" in les else np.zeros(len(les), bool)
        out["lesion_level"][cat] = {
            "decrease_ge_50pct": rate_of(les["decrease_ge_50pct"].to_numpy(dtype=bool)).to_dict(),
            "complete_resolution": rate_of(les["complete_resolution"].to_numpy(dtype=bool)).to_dict(),
            "median_time_to_decrease_50pct_months": _lesion_median_months(les),
            "n_lesions": int(len(les)), "n_new_lesions": int(new.sum()),
        }
    return out


def _rate(p: pd.DataFrame, col: str) -> Rate:
    return rate(int(p[col].sum()), len(p))


def comparisons(exp: pd.DataFrame, ctl: pd.DataFrame) -> dict[str, Any]:
    """Experimental vs control: OS (and PFS) hazard ratio, durable-response difference / odds ratio, ORR
    relative risk.

    ``ValueError`` if a patient's inputs are not finite (never reported as "not estimable")."""
    check_evaluable(exp, None, "comparisons: experimental arm")
    check_evaluable(ctl, None, "comparisons: control arm")
    out: dict[str, Any] = {}
    try:
        t = np.concatenate([exp.os_months.to_numpy(), ctl.os_months.to_numpy()])
        e = np.concatenate([exp.os_event.to_numpy(dtype=bool), ctl.os_event.to_numpy(dtype=bool)])
        g = np.concatenate([np.ones(len(exp), bool), np.zeros(len(ctl), bool)])
        out["hazard_ratio_os"] = hazard_ratio(t, e, g).to_dict()
    except ValueError as err:  # e.g. no deaths, or an empty arm: reported, not hidden
        out["hazard_ratio_os"] = {"value": None, "ci95": [None, None], "p_value": None, "method": f"not estimable: {err}"}
    if "pfs_months" in exp.columns and "pfs_months" in ctl.columns:
        out["hazard_ratio_pfs"] = _hazard_ratio(exp, ctl, "pfs_months", "pfs_event")
    if len(exp) and len(ctl):
        dr_e, dr_c = _rate(exp, "durable_response"), _rate(ctl, "durable_response")
        out["durable_response_difference"] = rate_difference(dr_e, dr_c).to_dict()
        out["durable_response_odds_ratio"] = odds_ratio(dr_e, dr_c).to_dict()
        out["objective_response_relative_risk"] = relative_risk(
            _rate(exp, "objective_response"), _rate(ctl, "objective_response")).to_dict()
    return out


def _hazard_ratio(exp: pd.DataFrame, ctl: pd.DataFrame, time: str, event: str) -> dict[str, Any]:
    try:
        t = np.concatenate([exp[time].to_numpy(dtype=float), ctl[time].to_numpy(dtype=float)])
        e = np.concatenate([exp[event].to_numpy(dtype=bool), ctl[event].to_numpy(dtype=bool)])
        g = np.concatenate([np.ones(len(exp), bool), np.zeros(len(ctl), bool)])
        return hazard_ratio(t, e, g).to_dict()
    except ValueError as err:
        return {"value": None, "ci95": [None, None], "p_value": None, "method": f"not estimable: {err}"}


def versus_control(ok: pd.DataFrame, arms: list[str]) -> dict[str, Any]:
    """``{arm: comparisons}`` of every arm but the control (the last) against it (empty for one arm)."""
    ctl = ok[ok.arm == arms[-1]]
    return {arm: comparisons(ok[ok.arm == arm], ctl) for arm in arms[:-1]}


def trial_endpoints(patients: pd.DataFrame, lesions: pd.DataFrame, arms: list[str]) -> dict[str, Any]:
    """``arms``, ``comparisons``, ``subgroups`` and ``subgroup_comparisons`` of the trial.

    Subgroups (``ovsim.trial._subgroups``): by stage group, EU indication (IIIB/IIIC/IVM1a vs IVM1b/IVM1c)
    and, when the patient table has ``hsv1_seropositive``, HSV-1 serostatus; each group has every arm's
    endpoints and the first-vs-last comparisons.

    Patients with ``ok`` False are counted in ``failed_patients`` and left out; ``ValueError`` if ``ok``
    is not true/false, if no patient at all is evaluable (every result would be empty), or if an
    evaluable patient's inputs are not finite."""
    _require_flags(patients, ("ok",), "trial endpoints")
    if len(patients) and not patients["ok"].to_numpy(dtype=bool).any():
        reasons = patients["reason"].astype(str) if "reason" in patients.columns else pd.Series([""])
        first = next((r for r in reasons if r), "no reason recorded")
        raise ValueError(f"trial endpoints: no evaluable patient ({len(patients)} of {len(patients)} failed; "
                         f"first reason: {first})")
    ok = patients[patients.ok.to_numpy(dtype=bool)]
    check_evaluable(ok, lesions[lesions.patient_key.isin(ok.patient_key)], "trial endpoints")
    les = lesions[lesions.patient_key.isin(ok.patient_key)]
    result: dict[str, Any] = {"arms": {}, "failed_patients": {a: int((~patients.ok & (patients.arm == a)).sum()) for a in arms}}
    for arm in arms:
        result["arms"][arm] = arm_endpoints(ok[ok.arm == arm], les[les.arm == arm])
    exp, ctl = arms[0], arms[-1]
    result["comparisons"] = comparisons(ok[ok.arm == exp], ok[ok.arm == ctl]) if len(arms) > 1 else {}
    if len(arms) > 2:
        result["comparisons_vs_control"] = versus_control(ok, arms)
    if "hsv1_seropositive" in ok.columns:
        _require_flags(ok, ("hsv1_seropositive",), "trial endpoints")
    result["subgroups"], result["subgroup_comparisons"] = {}, {}
    for family, (groups, names) in subgroup_labels(ok).items():
        result["subgroups"][family], result["subgroup_comparisons"][family] = {}, {}
        les_group = les.patient_key.map(dict(zip(ok.patient_key, groups)))
        for grp in names:
            sub, sub_les = ok[(groups == grp).to_numpy(dtype=bool)], les[(les_group == grp).to_numpy(dtype=bool)]
            result["subgroups"][family][grp] = {
                arm: arm_endpoints(sub[sub.arm == arm], sub_les[sub_les.arm == arm]) for arm in arms
            }
            if len(arms) > 1:
                result["subgroup_comparisons"][family][grp] = comparisons(sub[sub.arm == exp], sub[sub.arm == ctl])
    return result


def km_frames(patients: pd.DataFrame, arms: list[str], time: str = "os_months", event: str = "os_event"
              ) -> dict[str, pd.DataFrame]:
    """Kaplan-Meier curve (time in months) of each arm, for plots: overall survival, or with ``time="pfs_months",
    event="pfs_event"`` progression-free survival (``ValueError`` on a non-finite time of a patient not flagged
    ``ok = false``)."""
    _require_flags(patients, ("ok",), "Kaplan-Meier")
    ok = patients[patients.ok.to_numpy(dtype=bool)]
    _require_flags(ok, (event,), "Kaplan-Meier")
    _require_times(ok[time], ok, time, "Kaplan-Meier", positive=time == "os_months")
    out = {}
    for arm in arms:
        p = ok[ok.arm == arm]
        if len(p):
            frame = kaplan_meier(p[time].to_numpy(dtype=float), p[event].to_numpy(dtype=bool)).to_frame()
            out[arm] = frame.rename(columns={"time": "time_months"})
    return out
