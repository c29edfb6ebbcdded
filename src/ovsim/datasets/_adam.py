"""ADaM datasets (ADSL, ADRS, ADTTE for overall survival) from a trial's tables and its DM domain."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..model import DAYS_PER_MONTH
from ._cdisc_meta import CRITERIA, REFERENCE_DATE, usubjid


def _date(day: float) -> dt.date | None:
    return None if day != day else REFERENCE_DATE + dt.timedelta(days=int(round(day)))


def adsl(studyid: str, patients: pd.DataFrame, doses: pd.DataFrame, dm: pd.DataFrame) -> pd.DataFrame:
    """Subject level: one row per subject; TRTSDT/TRTEDT are dates (first and last dose), ITT = everyone
    randomised, SAFFL = received at least one dose."""
    key = doses["ARM"].astype(str) + ":" + doses["ID"].astype(str)
    first = patients["patient_key"].map(doses.groupby(key)["TIME"].min())
    last = patients["patient_key"].map(doses.groupby(key)["TIME"].max())
    d = dm.set_index("USUBJID").loc[usubjid(studyid, patients["patient_key"])]
    return pd.DataFrame({
        "STUDYID": studyid, "USUBJID": d.index.to_numpy(), "SUBJID": d["SUBJID"].to_numpy(),
        "SITEID": d["SITEID"].to_numpy(), "AGE": d["AGE"].to_numpy(dtype=float), "SEX": d["SEX"].to_numpy(),
        "RACE": d["RACE"].to_numpy(), "ARMCD": d["ARMCD"].to_numpy(), "ARM": d["ARM"].to_numpy(),
        "TRT01P": d["ARM"].to_numpy(), "TRT01A": d["ACTARM"].to_numpy(),
        "TRTSDT": [_date(x) for x in first], "TRTEDT": [_date(x) for x in last],
        "ITTFL": "Y", "SAFFL": np.where(first.notna(), "Y", "N"),
        "STAGEBL": patients["stage"].astype(str).to_numpy(), "ECOGBL": patients["ecog"].to_numpy(dtype=float),
        "LDHBL": patients["ldh_x_uln"].to_numpy(dtype=float), "DTHFL": d["DTHFL"].to_numpy(),
    })


def adrs(studyid: str, patients: pd.DataFrame, criterion: str) -> pd.DataFrame:
    """Response per subject: best overall response (BOR) and durable response (DURRSP: CR/PR beginning within
    the scenario's onset window and lasting continuously for its duration), by the trial's criterion."""
    subj = usubjid(studyid, patients["patient_key"]).to_numpy()
    cat = CRITERIA.get(criterion, criterion.upper())
    bor = patients["best_overall_response"].fillna("NE").astype(str).to_numpy()
    dur = patients["durable_response"].fillna(False).astype(bool).to_numpy()
    rows = [pd.DataFrame({"USUBJID": subj, "PARAMCD": "BOR", "PARAM": "Best Overall Response",
                          "AVALC": bor, "AVAL": np.nan}),
            pd.DataFrame({"USUBJID": subj, "PARAMCD": "DURRSP", "PARAM": "Durable Response",
                          "AVALC": np.where(dur, "Y", "N"), "AVAL": dur.astype(float)})]
    out = pd.concat(rows, ignore_index=True).sort_values(["USUBJID", "PARAMCD"], kind="stable")
    out.insert(0, "STUDYID", studyid)
    out.insert(4, "PARCAT1", cat)
    return out.reset_index(drop=True)


def adtte(studyid: str, patients: pd.DataFrame, adsl_frame: pd.DataFrame) -> pd.DataFrame:
    """Overall survival: AVAL in days from the first treatment day (os_months x 365.25/12), CNSR 0 = death,
    1 = censored alive at the end of follow-up. Subjects without a survival time are left out."""
    p = patients[patients["os_months"].notna()]
    aval = p["os_months"].to_numpy(dtype=float) * DAYS_PER_MONTH
    event = p["os_event"].fillna(False).to_numpy(dtype=bool)
    return pd.DataFrame({
        "STUDYID": studyid, "USUBJID": usubjid(studyid, p["patient_key"]).to_numpy(), "PARAMCD": "OS",
        "PARAM": "Overall Survival (days)", "AVAL": aval, "AVALU": "DAYS",
        "STARTDT": [REFERENCE_DATE] * len(p), "ADT": [_date(x) for x in aval],
        "CNSR": np.where(event, 0.0, 1.0), "EVNTDESC": np.where(event, "DEATH", "ALIVE AT END OF FOLLOW-UP"),
    })
