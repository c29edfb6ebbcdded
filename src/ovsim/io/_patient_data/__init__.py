"""One patient's measured record in ("Data in" of personalised T-VEC, issue 13): read, validate, summarise.

:func:`load_patient_data` reads either layout and chooses by the header row (not the extension; both
are ``.csv``): a header holding ``ID``, ``TIME`` and ``EVID`` is a NONMEM-style dataset, anything else is the
tidy CSV. Baseline covariates come from a small YAML file (``covariates``). Errors are one line,
``<file>: row <n>, column <name>: ...``, rows counted as a spreadsheet shows them (header = row 1).
See ``docs/personalised.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from ..._errors import validated
from ..._read import MAX_FILE_BYTES, Id, InputFileError, Text, read_text, read_yaml, too_large
from ...model import Site
from .._patient_file import PatientSpec
from ._checks import check_rows, csv_rows
from ._formats import (NONMEM_COLUMNS, NONMEM_OPTIONAL, NONMEM_REQUIRED, TIDY_COLUMNS, TIDY_OPTIONAL, TIDY_REQUIRED,
                       is_nonmem, nonmem_covariates, nonmem_rows, select_patient, tidy_rows)
from ._record import (DETECTION_LIMIT_CM, DOSE_COLUMNS, MEASUREMENT_COLUMNS, LesionRecord, PatientRecord,
                      build_record, identifiability_problem)

__all__ = ["DETECTION_LIMIT_CM", "DOSE_COLUMNS", "MAX_DATASET_BYTES", "MEASUREMENT_COLUMNS", "NONMEM_OPTIONAL",
           "NONMEM_REQUIRED", "TIDY_OPTIONAL", "TIDY_REQUIRED", "CovariatesSpec", "LesionRecord", "PatientRecord",
           "identifiability_problem", "load_covariates", "load_patient_data"]

MAX_DATASET_BYTES = 64 * MAX_FILE_BYTES
"""Largest NONMEM-style dataset (64 MiB): it may hold a whole trial (~18 kB per virtual patient) of which one
patient is read; a tidy CSV of one patient is bounded by :data:`ovsim._read.MAX_FILE_BYTES`."""


class CovariatesSpec(PatientSpec):
    """The covariates file: the fields of a patient file's ``patient`` block (same ranges), ``id`` optional,
    and ``lesion_sites`` (lesion id -> site) for a NONMEM-style dataset without a SITE column."""

    id: Id | None = Field(default=None, min_length=1, max_length=200)  # type: ignore[assignment]
    lesion_sites: dict[Id, Text] = Field(default_factory=dict)

    @field_validator("lesion_sites")
    @classmethod
    def _sites(cls, value: dict[str, str]) -> dict[str, str]:
        return {les: Site.parse(where).value for les, where in value.items()}


def load_covariates(path: str | Path) -> CovariatesSpec:
    """The covariates YAML file, validated; :class:`InputFileError` (one line) otherwise."""
    return validated(CovariatesSpec, read_yaml(Path(path)), str(path))


def load_patient_data(path: str | Path, covariates: str | Path | None = None,
                      patient_id: str | int | None = None) -> PatientRecord:
    """One patient's record from a tidy CSV or a NONMEM-style dataset (``patient_id``: its ID, needed when the
    dataset holds several); raises :class:`InputFileError` (a ``ValueError``) in one line if invalid."""
    name = str(path)
    text = read_text(path, MAX_DATASET_BYTES)
    header, rows = csv_rows(text, name)
    spec = load_covariates(covariates) if covariates is not None else None
    if is_nonmem(header):
        pid, rows = select_patient(rows, name, None if patient_id is None else str(patient_id))
        found = nonmem_rows(header, rows, name, spec.lesion_sites if spec else {})
        cols, fallback = NONMEM_COLUMNS, nonmem_covariates(rows[0][1])
    else:
        if len(text.encode("utf-8")) > MAX_FILE_BYTES:  # the tidy CSV of one patient: the usual input bound
            raise too_large(path, MAX_FILE_BYTES)
        if patient_id is not None:
            raise InputFileError(f"{name}: a tidy CSV holds one patient; patient_id is for a NONMEM-style dataset")
        pid, found = Path(name).stem, tidy_rows(header, rows, name)
        cols, fallback = TIDY_COLUMNS, {}
    sites = check_rows(found, name, cols)
    return build_record(_patient_id(spec, pid), _covariates(spec, fallback), sites, found, name)


def _patient_id(spec: CovariatesSpec | None, default: str) -> str:
    return spec.id if spec is not None and spec.id else default


def _covariates(spec: CovariatesSpec | None, fallback: dict[str, Any]) -> dict[str, Any]:
    """The covariates file's values (all fields, defaults filled), else the dataset's STAGE/ECOG/LDH."""
    if spec is None:
        return dict(fallback)
    return spec.model_dump(exclude={"id", "lesion_sites"})
