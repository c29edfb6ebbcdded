"""SDTM domains (DM, EX, TU, TR, RS, AE) from a trial's tidy tables: pure functions, one frame each."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model import DAYS_PER_MONTH
from ._cdisc_meta import CRITERIA, ROUTES, SITE_LOC, TREATMENT_NAMES, dates, study_day, usubjid


def _seq(frame: pd.DataFrame, domain: str, order: list[str]) -> pd.DataFrame:
    """Sort by USUBJID then ``order`` and number --SEQ 1.. within USUBJID."""
    out = frame.sort_values(["USUBJID", *order], kind="stable").reset_index(drop=True)
    out.insert(3, f"{domain}SEQ", (out.groupby("USUBJID").cumcount() + 1).astype(float))
    return out


def _head(studyid: str, domain: str, keys: pd.Series) -> dict[str, pd.Series | str]:
    return {"STUDYID": studyid, "DOMAIN": domain, "USUBJID": usubjid(studyid, keys).to_numpy()}


def _visitnum(day: pd.Series, grid_days: pd.Series | None = None) -> np.ndarray:
    """VISITNUM: 1 for baseline (day 0), then the rank of each assessment day in the trial's grid."""
    grid = np.unique(np.asarray(day if grid_days is None else grid_days, dtype=float))
    return (np.searchsorted(grid, np.asarray(day, dtype=float)) + 1).astype(float)


def dm(studyid: str, patients: pd.DataFrame, doses: pd.DataFrame, arm_labels: dict[str, str]) -> pd.DataFrame:
    """Demographics: one row per subject. Not simulated: AGE (missing), SEX 'U', RACE and COUNTRY empty."""
    p = patients
    key = doses["ARM"].astype(str) + ":" + doses["ID"].astype(str)
    first = doses.groupby(key)["TIME"].min()
    last = doses.groupby(key)["TIME"].max()
    end_day = p["os_months"].to_numpy(dtype=float) * DAYS_PER_MONTH
    death = p["os_event"].fillna(False).to_numpy(dtype=bool)
    armcd = p["arm"].astype(str).str.upper().str[:20]
    arm = p["arm"].map(lambda a: (arm_labels.get(a) or a)[:200])
    return pd.DataFrame({
        **_head(studyid, "DM", p["patient_key"]),
        "SUBJID": p["patient_id"].astype(str).to_numpy(), "RFSTDTC": dates(np.zeros(len(p))),
        "RFENDTC": dates(end_day), "RFXSTDTC": dates(p["patient_key"].map(first)),
        "RFXENDTC": dates(p["patient_key"].map(last)), "DTHDTC": dates(np.where(death, end_day, np.nan)),
        "DTHFL": np.where(death, "Y", ""), "SITEID": "01", "AGE": np.nan, "AGEU": "", "SEX": "U", "RACE": "",
        "ARMCD": armcd.to_numpy(), "ARM": arm.to_numpy(), "ACTARMCD": armcd.to_numpy(), "ACTARM": arm.to_numpy(),
        "COUNTRY": "",
    })


def ex(studyid: str, doses: pd.DataFrame, measurements: pd.DataFrame) -> pd.DataFrame:
    """Exposure: one row per dose record (a T-VEC injection of one lesion, a GM-CSF daily dose)."""
    d = doses
    key = d["ARM"].astype(str) + ":" + d["ID"].astype(str)
    site = measurements.drop_duplicates(["patient_key", "lesion_id"]).set_index(["patient_key", "lesion_id"])["site"]
    loc = [SITE_LOC.get(site.get((k, l), ""), "") if l else "" for k, l in zip(key, d["LESION_ID"].fillna(""))]
    rate = d["RATE"].to_numpy(dtype=float)
    end = d["TIME"].to_numpy(dtype=float) + np.where(rate > 0, d["AMT"].to_numpy(dtype=float) / np.where(rate > 0, rate, 1), 0)
    out = pd.DataFrame({
        **_head(studyid, "EX", key), "EXTRT": d["DRUG"].map(lambda x: TREATMENT_NAMES.get(x, x)).to_numpy(),
        "EXDOSE": d["AMT"].to_numpy(dtype=float), "EXDOSU": d["AMT_UNIT"].astype(str).to_numpy(),
        "EXROUTE": d["DRUG"].map(lambda x: ROUTES.get(x, "")).to_numpy(), "EXLOC": loc,
        "EXLNKID": d["LESION_ID"].fillna("").astype(str).to_numpy(),
        "EXSTDTC": dates(d["TIME"]), "EXENDTC": dates(end),
        "EXSTDY": study_day(d["TIME"]), "EXENDY": study_day(end),
    })
    return _seq(out, "EX", ["EXSTDY", "EXTRT", "EXLNKID"])


def tu(studyid: str, lesions: pd.DataFrame) -> pd.DataFrame:
    """Tumour identification: one row per lesion seen (baseline: TARGET; appearing later: NEW)."""
    out = pd.DataFrame({
        **_head(studyid, "TU", lesions["patient_key"]), "TULNKID": lesions["lesion_id"].astype(str).to_numpy(),
        "TUTESTCD": "TUMIDENT", "TUTEST": "Tumor Identification",
        "TUORRES": np.where(lesions["new_lesion"].to_numpy(dtype=bool), "NEW", "TARGET"),
        "TULOC": lesions["site"].map(lambda s: SITE_LOC.get(s, str(s).upper())).to_numpy(),
        "TUDTC": dates(lesions["first_seen_day"]), "TUDY": study_day(lesions["first_seen_day"]),
    })
    out.insert(out.columns.get_loc("TULOC"), "TUSTRESC", out["TUORRES"])
    return _seq(out, "TU", ["TUDY", "TULNKID"])


def tr(studyid: str, measurements: pd.DataFrame, lesions: pd.DataFrame, assessments: pd.DataFrame,
       criterion: str) -> pd.DataFrame:
    """Tumour results: each identified lesion's measured longest (LDIAM) and perpendicular (LPERP) diameter (cm)
    from its first sighting (0 = below the detection limit); with RECIST 1.1 also the sum of diameters (SUMDIAM)."""
    seen = lesions.set_index(["patient_key", "lesion_id"])["first_seen_day"]
    m = measurements[measurements["longest_cm"].notna()]
    first = pd.Series([seen.get((k, l), np.nan) for k, l in zip(m["patient_key"], m["lesion_id"])], index=m.index)
    m = m[m["time_day"] >= first]
    parts = []
    for code, name, col in (("LDIAM", "Longest Diameter", "longest_cm"), ("LPERP", "Longest Perpendicular",
                                                                            "perpendicular_cm")):
        parts.append(pd.DataFrame({"patient_key": m["patient_key"], "TRLNKID": m["lesion_id"], "TRTESTCD": code,
                                   "TRTEST": name, "value": m[col], "day": m["time_day"]}))
    if criterion == "recist11":
        a = assessments[assessments["burden"].notna()]
        parts.append(pd.DataFrame({"patient_key": a["patient_key"], "TRLNKID": "", "TRTESTCD": "SUMDIAM",
                                   "TRTEST": "Sum of Diameter", "value": a["burden"], "day": a["time_day"]}))
    r = pd.concat(parts, ignore_index=True)
    value = r["value"].to_numpy(dtype=float)
    text = pd.Series(value).map(lambda v: f"{v:.4f}").to_numpy()
    out = pd.DataFrame({
        **_head(studyid, "TR", r["patient_key"]), "TRLNKID": r["TRLNKID"].astype(str).to_numpy(),
        "TRTESTCD": r["TRTESTCD"].to_numpy(), "TRTEST": r["TRTEST"].to_numpy(), "TRORRES": text, "TRORRESU": "cm",
        "TRSTRESC": text, "TRSTRESN": value, "TRSTRESU": "cm", "VISITNUM": _visitnum(r["day"]),
        "TRDTC": dates(r["day"]), "TRDY": study_day(r["day"]),
    })
    return _seq(out, "TR", ["TRDY", "TRLNKID", "TRTESTCD"])


def rs(studyid: str, assessments: pd.DataFrame) -> pd.DataFrame:
    """Disease response: overall response at each post-baseline assessment, one row per criterion (RSCAT)."""
    a = assessments[assessments["time_day"] > 0]
    parts = []
    for crit, cat in CRITERIA.items():
        col = f"response_{crit}"
        if col not in a:
            continue
        x = a[a[col].notna() & (a[col].astype(str) != "")]
        parts.append(pd.DataFrame({"patient_key": x["patient_key"], "RSCAT": cat, "res": x[col].astype(str),
                                   "day": x["time_day"]}))
    r = pd.concat(parts, ignore_index=True)
    out = pd.DataFrame({
        **_head(studyid, "RS", r["patient_key"]), "RSTESTCD": "OVRLRESP", "RSTEST": "Overall Response",
        "RSCAT": r["RSCAT"].to_numpy(), "RSORRES": r["res"].to_numpy(), "RSSTRESC": r["res"].to_numpy(),
        "VISITNUM": _visitnum(r["day"], assessments["time_day"]), "RSDTC": dates(r["day"]), "RSDY": study_day(r["day"]),
    })
    return _seq(out, "RS", ["RSDY", "RSCAT"])


def ae(studyid: str, patients: pd.DataFrame) -> pd.DataFrame:
    """Adverse events: one row per simulated event (first onset day); terms are ovsim's, not MedDRA-coded."""
    names = [c[3:] for c in patients.columns if c.startswith("ae_") and not c.endswith("_day")]
    parts = []
    for name in names:
        x = patients[patients[f"ae_{name}"].fillna(False).astype(bool)]
        term = name.replace("_grade3_or_more", "").replace("_", " ").upper()
        if name.endswith("_grade3_or_more"):
            term += " (GRADE 3 OR HIGHER)"
        parts.append(pd.DataFrame({"patient_key": x["patient_key"], "term": term, "day": x[f"ae_{name}_day"]}))
    r = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({"patient_key": [], "term": [], "day": []})
    out = pd.DataFrame({
        **_head(studyid, "AE", r["patient_key"].astype(str)), "AETERM": r["term"].astype(str).to_numpy(),
        "AEDECOD": r["term"].astype(str).to_numpy(), "AESTDTC": dates(r["day"]), "AESTDY": study_day(r["day"]),
    })
    return _seq(out, "AE", ["AESTDY", "AETERM"])
