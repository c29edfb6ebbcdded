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
