"""CDISC metadata shared by the SDTM and ADaM builders: reference date, study days, labels, codelists."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

REFERENCE_DATE = dt.date(2020, 1, 6)
"""Virtual study start: every subject's first treatment (trial day 0) is on this date (RFSTDTC). The
scenarios carry no calendar; the date is a fixed, documented convention, not a simulated quantity."""

ROUTES = {"TVEC": "INTRALESIONAL", "GMCSF": "SUBCUTANEOUS"}
"""EXROUTE (CDISC Route of Administration codelist) by DRUG."""
TREATMENT_NAMES = {"TVEC": "TALIMOGENE LAHERPAREPVEC", "GMCSF": "GM-CSF"}
"""EXTRT by DRUG."""
SITE_LOC = {"cutaneous": "SKIN", "subcutaneous": "SUBCUTANEOUS TISSUE", "nodal": "LYMPH NODE", "lung": "LUNG",
            "liver": "LIVER", "visceral_other": "OTHER VISCERAL"}
"""TULOC by simulated lesion site (OTHER VISCERAL is ovsim's own, not a CDISC term)."""
CRITERIA = {"modified_who": "MODIFIED WHO", "recist11": "RECIST 1.1", "irrc": "IRRC"}
"""RSCAT / PARCAT1 by response criterion."""

CODELISTS: dict[str, tuple[str, ...]] = {
    "SEX": ("F", "M", "U", "UNDIFFERENTIATED"),
    "RSORRES": ("CR", "PR", "SD", "PD", "NE"),
    "RSSTRESC": ("CR", "PR", "SD", "PD", "NE"),
    "TRTESTCD": ("LDIAM", "LPERP", "SUMDIAM"),
    "EXROUTE": ("INTRALESIONAL", "SUBCUTANEOUS"),
    "NY": ("N", "Y"),
}
"""Controlled terms checked by the rules (a subset of the CDISC codelists these variables use)."""

LABELS: dict[str, str] = {
    "STUDYID": "Study Identifier", "DOMAIN": "Domain Abbreviation", "USUBJID": "Unique Subject Identifier",
    "SUBJID": "Subject Identifier for the Study", "SITEID": "Study Site Identifier",
    "RFSTDTC": "Subject Reference Start Date/Time", "RFENDTC": "Subject Reference End Date/Time",
    "RFXSTDTC": "Date/Time of First Study Treatment", "RFXENDTC": "Date/Time of Last Study Treatment",
    "DTHDTC": "Date/Time of Death", "DTHFL": "Subject Death Flag", "AGE": "Age", "AGEU": "Age Units",
    "SEX": "Sex", "RACE": "Race", "ARMCD": "Planned Arm Code", "ARM": "Description of Planned Arm",
    "ACTARMCD": "Actual Arm Code", "ACTARM": "Description of Actual Arm", "COUNTRY": "Country",
    "EXSEQ": "Sequence Number", "EXTRT": "Name of Treatment", "EXDOSE": "Dose", "EXDOSU": "Dose Units",
    "EXROUTE": "Route of Administration", "EXLOC": "Location of Dose Administration",
    "EXLNKID": "Link ID", "EXSTDTC": "Start Date/Time of Treatment", "EXENDTC": "End Date/Time of Treatment",
    "EXSTDY": "Study Day of Start of Treatment", "EXENDY": "Study Day of End of Treatment",
    "TUSEQ": "Sequence Number", "TULNKID": "Link ID", "TUTESTCD": "Tumor/Lesion ID Short Name",
    "TUTEST": "Tumor/Lesion ID Test Name", "TUORRES": "Tumor/Lesion ID Result",
    "TUSTRESC": "Tumor/Lesion ID Result Std. Format", "TULOC": "Location of the Tumor/Lesion",
    "TUDTC": "Date/Time of Tumor/Lesion Identification", "TUDY": "Study Day of Tumor/Lesion Identification",
    "TRSEQ": "Sequence Number", "TRLNKID": "Link ID", "TRTESTCD": "Tumor/Lesion Assessment Short Name",
    "TRTEST": "Tumor/Lesion Assessment Test Name", "TRORRES": "Result or Finding in Original Units",
    "TRORRESU": "Original Units", "TRSTRESC": "Character Result/Finding in Std Format",
    "TRSTRESN": "Numeric Result/Finding in Standard Units", "TRSTRESU": "Standard Units",
    "TRDTC": "Date/Time of Tumor/Lesion Measurement", "TRDY": "Study Day of Tumor/Lesion Measurement",
    "RSSEQ": "Sequence Number", "RSTESTCD": "Assessment Short Name", "RSTEST": "Assessment Name",
    "RSCAT": "Category for Assessment", "RSORRES": "Result or Finding in Original Units",
    "RSSTRESC": "Character Result/Finding in Std Format", "RSDTC": "Date/Time of Assessment",
    "RSDY": "Study Day of Assessment", "VISITNUM": "Visit Number",
    "AESEQ": "Sequence Number", "AETERM": "Reported Term for the Adverse Event",
    "AEDECOD": "Dictionary-Derived Term", "AETOXGR": "Standard Toxicity Grade",
    "AESTDTC": "Start Date/Time of Adverse Event", "AESTDY": "Study Day of Start of Adverse Event",
    "TRT01P": "Planned Treatment for Period 01", "TRT01A": "Actual Treatment for Period 01",
    "TRTSDT": "Date of First Exposure to Treatment", "TRTEDT": "Date of Last Exposure to Treatment",
    "ITTFL": "Intent-To-Treat Population Flag", "SAFFL": "Safety Population Flag",
    "STAGEBL": "Baseline Disease Stage (AJCC 7th)", "ECOGBL": "Baseline ECOG Performance Status",
    "LDHBL": "Baseline LDH (x ULN)", "PARAMCD": "Parameter Code", "PARAM": "Parameter",
    "PARCAT1": "Parameter Category 1", "AVAL": "Analysis Value", "AVALC": "Analysis Value (C)",
    "ADT": "Analysis Date", "ADY": "Analysis Relative Day", "STARTDT": "Time-to-Event Origin Date for Subject",
    "CNSR": "Censor", "EVNTDESC": "Event or Censoring Description", "AVALU": "Analysis Value Unit",
}
"""Variable labels (<= 40 characters)."""


def dates(day: np.ndarray | pd.Series) -> pd.Series:
    """ISO 8601 dates (YYYY-MM-DD) of trial days (day 0 = REFERENCE_DATE); '' where the day is missing."""
    d = pd.Series(np.asarray(day, dtype=float))
    ts = pd.Timestamp(REFERENCE_DATE) + pd.to_timedelta(d.fillna(0).round(), unit="D")
    return pd.Series(np.where(d.isna(), "", ts.dt.strftime("%Y-%m-%d")))


def study_day(day: np.ndarray | pd.Series) -> pd.Series:
    """SDTM study day of a trial day (day 0 = RFSTDTC = study day 1; no study day 0; NaN stays NaN)."""
    d = pd.Series(np.asarray(day, dtype=float)).round()
    return d.where(d < 0, d + 1)


def usubjid(studyid: str, patient_key: pd.Series) -> pd.Series:
    """USUBJID: STUDYID-ARM-PATIENT (unique as patient_key is)."""
    return studyid + "-" + patient_key.astype(str).str.replace(":", "-").str.upper()


def studyid_of(name: str) -> str:
    """STUDYID from the scenario name (upper case)."""
    return str(name).upper()
