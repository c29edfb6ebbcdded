"""Writing the analysis datasets of a trial (or cohort) folder: the I/O edge of ``ovsim.datasets``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ._nonmem import NonmemDataset, nonmem_dataset

BURDEN_UNITS = {"modified_who": "cm^2", "irrc": "cm^2", "recist11": "cm"}
"""Units of ``assessments.burden`` by criterion: a sum of products of diameters, or (RECIST 1.1) of diameters."""


def trial_model(scenario: Any):
    """The composed model of every treatment the scenario's arms use (one state layout for the dataset)."""
    from ..treatments import model_for

    return model_for(tuple(sorted({name for arm in scenario.arms.values() for name in arm.regimen})))


def trial_nonmem(scenario: Any, patients: pd.DataFrame, doses: pd.DataFrame, measurements: pd.DataFrame,
                 assessments: pd.DataFrame) -> NonmemDataset:
    """The NONMEM dataset of a trial from its scenario and tables."""
    a = scenario.assessment
    return nonmem_dataset(patients, doses, measurements, assessments, trial_model(scenario),
                          detection_limit_cm=a.detection_limit_cm, criterion=a.criterion,
                          burden_units=BURDEN_UNITS.get(a.criterion, "cm^2"))


def write_trial_datasets(result: Any, folder: str | Path, cdisc: bool = False) -> list[str]:
    """Write nonmem.csv, nonmem_ids.csv, nonmem_header.txt (and with ``cdisc`` the cdisc/ folder) for a
    :class:`~ovsim.trial.TrialResult` into ``folder``; returns the names written."""
    folder = Path(folder)
    ds = trial_nonmem(result.scenario, result.patients, result.doses, result.measurements, result.assessments)
    ds.write(folder)
    names = ["nonmem.csv", "nonmem_ids.csv", "nonmem_header.txt"]
    if cdisc:
        from ._cdisc import write_cdisc

        write_cdisc(result.scenario, result.patients, result.doses, result.assessments, result.measurements,
                    result.lesions, folder / "cdisc")
        names.append("cdisc/")
    return names


COHORT_NONMEM_MAX_PATIENTS = 100_000
"""Largest cohort whose parts are read back into one nonmem.csv (memory); above it none is written."""


def cohort_nonmem(patients: pd.DataFrame, doses: pd.DataFrame, lesions: pd.DataFrame, model: Any, *,
                  detection_limit_cm: float = 0.2) -> NonmemDataset:
    """The NONMEM dataset of a simulated cohort (``ovsim cohort``): its dose records and, as observations
    (DVID 1), each lesion's true (noise-free) longest diameter on the output grid, censored (CENS = 1, DV =
    the limit) below ``detection_limit_cm`` as a clinic would not see it. A cohort has no assessments, so no
    burden rows (DVID 2). ``patients``: the population's patients table (patient_id, stage, ecog, ldh_x_uln);
    ``doses``/``lesions``: the concatenated ``doses-part-*`` / ``lesions-part-*`` tables."""
    arm = "cohort"
    pats = patients.assign(patient_key=arm + ":" + patients["patient_id"].astype(str), arm=arm)
    d = doses.assign(ARM=arm)
    seen = lesions["longest_diameter_cm"].to_numpy(dtype=float) >= detection_limit_cm
    measurements = pd.DataFrame({
        "patient_key": arm + ":" + lesions["patient_id"].astype(str), "lesion_id": lesions["lesion_id"],
        "time_day": lesions["time_day"], "longest_cm": lesions["longest_diameter_cm"].where(seen, 0.0),
    })
    assessments = pd.DataFrame({"patient_key": pd.Series(dtype=str), "time_day": pd.Series(dtype=float),
                                "burden": pd.Series(dtype=float)})
    return nonmem_dataset(pats, d, measurements, assessments, model, detection_limit_cm=detection_limit_cm,
                          criterion="", burden_units="cm^2")


def write_cohort_nonmem(folder: str | Path, patients: pd.DataFrame, doses: pd.DataFrame, lesions: pd.DataFrame,
                        model: Any, *, detection_limit_cm: float = 0.2) -> bool:
    """Write nonmem.csv, nonmem_ids.csv and nonmem_header.txt into a cohort folder from its concatenated dose and
    lesion parts; False (nothing written) for a cohort above :data:`COHORT_NONMEM_MAX_PATIENTS` patients or with
    no lesion rows."""
    if len(patients) > COHORT_NONMEM_MAX_PATIENTS or lesions.empty:
        return False
    keep = patients[patients["patient_id"].astype(str).isin(set(lesions["patient_id"].astype(str)))]
    cohort_nonmem(keep, doses, lesions, model, detection_limit_cm=detection_limit_cm).write(Path(folder))
    return True
