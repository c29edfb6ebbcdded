"""A documented subset of CDISC conformance rules, checked on ovsim's SDTM/ADaM datasets.

The CDISC Rules Engine (PyPI ``cdisc-rules-engine``) needs its rules and controlled-terminology cache
populated from the CDISC Library (an API key, online), so it cannot run here offline; these checks
restate a subset of SDTMIG 3.x / ADaMIG / SAS XPORT v5 requirements in ovsim's own words (rule ids
``OVC-nn`` are ovsim's, not CORE ids). docs/datasets.md lists them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ._cdisc_meta import CODELISTS, REFERENCE_DATE


@dataclass(frozen=True)
class Failure:
    """One rule failure: rule id, dataset, variable, what was found."""

    rule: str
    dataset: str
    variable: str
    message: str


REQUIRED = {
    "DM": ("STUDYID", "DOMAIN", "USUBJID", "SUBJID", "RFSTDTC", "SITEID", "SEX", "ARMCD", "ARM", "ACTARMCD",
           "ACTARM", "COUNTRY"),
    "EX": ("STUDYID", "DOMAIN", "USUBJID", "EXSEQ", "EXTRT", "EXDOSE", "EXDOSU", "EXROUTE", "EXSTDTC"),
    "TU": ("STUDYID", "DOMAIN", "USUBJID", "TUSEQ", "TULNKID", "TUTESTCD", "TUTEST", "TUORRES"),
    "TR": ("STUDYID", "DOMAIN", "USUBJID", "TRSEQ", "TRTESTCD", "TRTEST", "TRORRES", "TRSTRESN", "TRDTC"),
    "RS": ("STUDYID", "DOMAIN", "USUBJID", "RSSEQ", "RSTESTCD", "RSTEST", "RSORRES", "RSDTC"),
    "AE": ("STUDYID", "DOMAIN", "USUBJID", "AESEQ", "AETERM", "AEDECOD", "AESTDTC"),
    "ADSL": ("STUDYID", "USUBJID", "SUBJID", "SITEID", "ARM", "TRT01P", "TRT01A", "ITTFL", "SAFFL"),
    "ADRS": ("STUDYID", "USUBJID", "PARAMCD", "PARAM", "AVALC"),
    "ADTTE": ("STUDYID", "USUBJID", "PARAMCD", "PARAM", "AVAL", "STARTDT", "ADT", "CNSR"),
}
"""Variables each dataset must have (SDTMIG 'Req' variables and the ADaM ones ovsim's analyses use)."""

_NAME = re.compile(r"^[A-Z][A-Z0-9]{0,7}$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _domain(name: str) -> str | None:
    return name if len(name) == 2 else None


def r01_required(data, folder):
    return [Failure("OVC-01", n, v, "required variable missing") for n, f in data.items()
            for v in REQUIRED.get(n, ()) if v not in f.columns]


def r02_names(data, folder):
    return [Failure("OVC-02", n, c, "variable name: expected <= 8 upper-case letters/digits, first a letter")
            for n, f in data.items() for c in f.columns if not _NAME.match(str(c))]


def r03_labels(data, folder):
    from ._xpt import read_xpt

    out = []
    for n in data:
        _, labels, _ = read_xpt(Path(folder) / f"{n.lower()}.xpt")
        out += [Failure("OVC-03", n, c, f"label {lab!r}: expected 1..40 characters")
                for c, lab in labels.items() if not lab or len(lab) > 40]
    return out


def r04_one_row_per_subject(data, folder):
    return [Failure("OVC-04", n, "USUBJID", "expected unique (one record per subject)")
            for n in ("DM", "ADSL") if n in data and data[n]["USUBJID"].duplicated().any()]


def r05_subjects_in_dm(data, folder):
    dm = set(data["DM"]["USUBJID"]) if "DM" in data else set()
    out = []
    for n, f in data.items():
        extra = sorted(set(f["USUBJID"]) - dm) if "USUBJID" in f else []
        if n != "DM" and extra:
            out.append(Failure("OVC-05", n, "USUBJID", f"{extra[0]!r} is not in DM"))
    return out


def r06_seq_unique(data, folder):
    out = []
    for n, f in data.items():
        seq = f"{n}SEQ"
        if _domain(n) and seq in f and f.duplicated(["USUBJID", seq]).any():
            out.append(Failure("OVC-06", n, seq, "expected unique within USUBJID"))
    return out


def r07_codelists(data, folder):
    out = []
    for n, f in data.items():
        for col in f.columns:
            terms = CODELISTS.get(col) or (CODELISTS["NY"] if col.endswith("FL") else None)
            if terms is None:
                continue
            vals = set(f[col].dropna().astype(str)) - set(terms) - ({""} if col.endswith("FL") else set())
            if vals:
                out.append(Failure("OVC-07", n, col, f"{sorted(vals)[0]!r} is not in the codelist ({', '.join(terms)})"))
    return out


def r08_iso_dates(data, folder):
    out = []
    for n, f in data.items():
        for col in [c for c in f.columns if c.endswith("DTC")]:
            bad = [v for v in f[col].astype(str) if v and not _ISO.match(v)]
            if bad:
                out.append(Failure("OVC-08", n, col, f"{bad[0]!r}: expected ISO 8601 YYYY-MM-DD"))
    return out


def r09_study_days(data, folder):
    """--DY = date - RFSTDTC (+1 on or after it); never 0."""
    out = []
    if "DM" not in data:
        return out
    ref = data["DM"].drop_duplicates("USUBJID").set_index("USUBJID")["RFSTDTC"]
    for n, f in data.items():
        if not _domain(n):
            continue
        for dy in [c for c in f.columns if c.endswith("DY") and c[:-2] + "DTC" in f.columns]:
            dtc = pd.to_datetime(f[dy[:-2] + "DTC"].replace("", None))
            start = pd.to_datetime(f["USUBJID"].map(ref))
            delta = (dtc - start).dt.days
            want = np.where(delta >= 0, delta + 1, delta)
            got = f[dy].to_numpy(dtype=float)
            both = ~np.isnan(got) & delta.notna().to_numpy()
            if (got == 0).any() or not np.array_equal(got[both], want[both].astype(float)) or \
                    (np.isnan(got) != delta.isna().to_numpy()).any():
                out.append(Failure("OVC-09", n, dy, "expected the study day of --DTC relative to RFSTDTC (no day 0)"))
    return out


def r10_tte(data, folder):
    f = data.get("ADTTE")
    if f is None:
        return []
    out = []
    if not set(f["CNSR"].dropna()) <= {0.0, 1.0} or f["CNSR"].isna().any():
        out.append(Failure("OVC-10", "ADTTE", "CNSR", "expected 0 (event) or 1 (censored)"))
    if (f["AVAL"] < 0).any() or f["AVAL"].isna().any():
        out.append(Failure("OVC-10", "ADTTE", "AVAL", "expected >= 0"))
    return out


def r11_xpt_roundtrip(data, folder):
    """The .xpt (v5) reads back with the dataset name and identical values (dates as dates)."""
    from ._xpt import read_xpt

    out = []
    for n, f in data.items():
        back, _, table = read_xpt(Path(folder) / f"{n.lower()}.xpt")
        if table != n or list(back.columns) != list(f.columns) or len(back) != len(f):
            out.append(Failure("OVC-11", n, "*", f"read back as {table!r} with {back.shape}, expected {f.shape}"))
            continue
        for c in f.columns:
            a, b = f[c], back[c]
            if pd.api.types.is_numeric_dtype(a):
                same = np.allclose(a.to_numpy(dtype=float), b.to_numpy(dtype=float), rtol=1e-12, equal_nan=True)
            else:
                same = list(a.fillna("").astype(str)) == list(b.fillna("").astype(str))
            if not same:
                out.append(Failure("OVC-11", n, c, "values differ after the .xpt round trip"))
    return out


def r12_identifiers(data, folder):
    out = []
    for n, f in data.items():
        for c in ("STUDYID", "DOMAIN", "USUBJID", f"{n}SEQ"):
            if c in f and (f[c].isna() | (f[c].astype(str) == "")).any():
                out.append(Failure("OVC-12", n, c, "identifier values must not be null"))
    return out


def r13_char_length(data, folder):
    return [Failure("OVC-13", n, c, "character values longer than 200 (XPORT v5 limit)")
            for n, f in data.items() for c in f.columns
            if f[c].dtype == object and f[c].map(lambda v: isinstance(v, str) and len(v) > 200).any()]


RULES: tuple[Callable, ...] = (r01_required, r02_names, r03_labels, r04_one_row_per_subject, r05_subjects_in_dm,
                               r06_seq_unique, r07_codelists, r08_iso_dates, r09_study_days, r10_tte,
                               r11_xpt_roundtrip, r12_identifiers, r13_char_length)
RULE_IDS = tuple(f"OVC-{k + 1:02d}" for k in range(len(RULES)))


def check_all(data: dict[str, pd.DataFrame], folder: str | Path) -> list[Failure]:
    """Every rule's failures (empty when the datasets conform). ``folder`` holds the written .xpt files."""
    assert REFERENCE_DATE  # the reference start date every RFSTDTC uses
    return [f for rule in RULES for f in rule(data, folder)]
