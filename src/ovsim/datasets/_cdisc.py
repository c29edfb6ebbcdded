"""The CDISC package of a trial: SDTM DM, EX, TU, TR, RS, AE and ADaM ADSL, ADRS, ADTTE (.xpt v5 + Parquet)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from . import _adam, _sdtm
from ._cdisc_meta import REFERENCE_DATE, studyid_of

SDTM = ("DM", "EX", "TU", "TR", "RS", "AE")
ADAM = ("ADSL", "ADRS", "ADTTE")


def cdisc_datasets(scenario: Any, patients: pd.DataFrame, doses: pd.DataFrame, assessments: pd.DataFrame,
                   measurements: pd.DataFrame, lesions: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Every domain and analysis dataset by name (DM, EX, TU, TR, RS, AE, ADSL, ADRS, ADTTE)."""
    sid = studyid_of(scenario.name)
    crit = scenario.assessment.criterion
    labels = {arm: spec.label for arm, spec in scenario.arms.items()}
    out = {
        "DM": _sdtm.dm(sid, patients, doses, labels), "EX": _sdtm.ex(sid, doses, measurements),
        "TU": _sdtm.tu(sid, lesions), "TR": _sdtm.tr(sid, measurements, lesions, assessments, crit),
        "RS": _sdtm.rs(sid, assessments), "AE": _sdtm.ae(sid, patients),
    }
    out["ADSL"] = _adam.adsl(sid, patients, doses, out["DM"])
    out["ADRS"] = _adam.adrs(sid, patients, crit)
    out["ADTTE"] = _adam.adtte(sid, patients, out["ADSL"])
    return out


def write_cdisc(scenario: Any, patients: pd.DataFrame, doses: pd.DataFrame, assessments: pd.DataFrame,
                measurements: pd.DataFrame, lesions: pd.DataFrame, folder: str | Path) -> dict[str, pd.DataFrame]:
    """Write every dataset as .xpt (v5) and .parquet, and define.json (variables, labels, rule results) into
    ``folder``; raises ValueError naming the first failed rule (nothing is left half-written by the caller's
    atomic output folder)."""
    from ._cdisc_rules import RULE_IDS, check_all
    from ._xpt import DATASET_LABELS, label_of, write_dataset

    data = cdisc_datasets(scenario, patients, doses, assessments, measurements, lesions)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in data.items():
        write_dataset(frame, name, folder)
    failures = check_all(data, folder)
    if failures:
        f = failures[0]
        raise ValueError(f"{folder / (f.dataset.lower() + '.xpt')}: {f.variable}: rule {f.rule} failed: {f.message}")
    define = {
        "studyid": studyid_of(scenario.name), "reference_start_date": REFERENCE_DATE.isoformat(),
        "criterion": scenario.assessment.criterion,
        "datasets": {name: {"label": DATASET_LABELS[name], "records": len(frame),
                            "variables": {c: label_of(c, name) for c in frame.columns}}
                     for name, frame in data.items()},
        "rules_passed": list(RULE_IDS),
    }
    (folder / "define.json").write_text(json.dumps(define, indent=1))
    return data

