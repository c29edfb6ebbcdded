"""Patient files (YAML): schema, validation with one-line errors, conversion to model objects.

A patient file declares the lesions (site, size), covariates, parameter overrides, the regimen
and the horizon; see ``examples/patient_reference.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator

from .._errors import first_error, location
from ..model import SITE_NAMES, Site, check_overrides
from ..population import CONTRAINDICATION_NAMES, Lesion, Patient
from ..treatments import Regimen, RegimenError, covariate_names, parameter_registry, parse_regimen


class InputFileError(ValueError):
    """A user file is invalid; the message is one line: file, field, what was expected."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LesionSpec(_Strict):
    id: str = Field(min_length=1)
    site: str
    longest_diameter_cm: float = Field(gt=0, allow_inf_nan=False)
    accessibility: float | None = Field(default=None, gt=0, le=1)
    doubling_time_days: float | None = Field(default=None, gt=0, allow_inf_nan=False)

    @field_validator("site")
    @classmethod
    def _site(cls, value: str) -> str:
        return Site.parse(value).value


class PatientSpec(_Strict):
    id: str = Field(min_length=1)
    hsv1_seropositive: bool = True
    stage: Literal["IIIB", "IIIC", "IVM1a", "IVM1b", "IVM1c"] | None = None
    ecog: Literal[0, 1, 2, 3, 4] | None = None
    ldh_x_uln: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    bsa_m2: float = Field(default=1.9, ge=0.3, le=4.0, allow_inf_nan=False)
    # the label's contraindication / warning covariates (ovsim.population.CONTRAINDICATIONS): strict
    # booleans (true/false only), parsed here and screened by ``ovsim simulate``, not by load_patient
    immunocompromised: StrictBool = False
    pregnant: StrictBool = False
    prior_tvec: StrictBool = False
    active_herpetic_lesions: StrictBool = False
    antiherpetic_medication: StrictBool = False


class PatientFile(_Strict):
    patient: PatientSpec
    lesions: list[LesionSpec] = Field(min_length=1)
    parameters: dict[str, float] = Field(default_factory=dict)
    regimen: dict[str, Any] | None = Field(default_factory=lambda: {"tvec": {}})
    horizon_days: float = Field(default=730.0, gt=0, le=36525, allow_inf_nan=False)
    output_every_days: float = Field(default=1.0, gt=0, allow_inf_nan=False)


@dataclass(frozen=True)
class PatientScenario:
    """A validated patient file: the patient, its regimen, the horizon and output grid (days)."""

    patient: Patient
    regimen: Regimen
    horizon_days: float
    output_every_days: float
    source: str


def load_patient(path: str | Path) -> PatientScenario:
    """Read and validate a patient YAML file; raises :class:`InputFileError` (one line) if invalid."""
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text()
    except OSError as err:
        raise InputFileError(f"{path}: cannot read file ({err.strerror or err})") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InputFileError(f"{name}: not valid YAML{where}") from None
    if not isinstance(raw, dict):
        raise InputFileError(f"{name}: expected a mapping with keys patient, lesions, regimen, ...")
    try:
        spec = PatientFile.model_validate(raw)
    except ValidationError as err:
        raise InputFileError(f"{name}: {_first_error(err)}") from None
    return _to_scenario(spec, name)


def _to_scenario(spec: PatientFile, name: str) -> PatientScenario:
    covariates = [k for k in spec.parameters if k in covariate_names()]
    if covariates:
        raise InputFileError(f"{name}: parameters.{covariates[0]}: is a covariate, not a parameter "
                             f"(give it as patient.{covariates[0]})")
    try:
        params = check_overrides(spec.parameters, parameter_registry())
    except ValueError as err:
        raise InputFileError(f"{name}: {err}") from None
    ids = [les.id for les in spec.lesions]
    for k, lesion_id in enumerate(ids):
        if lesion_id in ids[:k]:
            raise InputFileError(f"{name}: lesions[{k}].id: expected a unique id (got {lesion_id!r} again)")
    lesions = tuple(
        Lesion(les.id, Site(les.site), les.longest_diameter_cm, les.accessibility, les.doubling_time_days)
        for les in spec.lesions
    )
    p = spec.patient
    patient = Patient(p.id, lesions, p.hsv1_seropositive, p.stage, p.ecog, p.ldh_x_uln, params, p.bsa_m2,
                      **{name: getattr(p, name) for name in CONTRAINDICATION_NAMES})
    try:
        regimen = parse_regimen(spec.regimen, "regimen")
    except RegimenError as err:
        raise InputFileError(f"{name}: {err}") from None
    policy = regimen.policy()
    if policy is not None:
        why = policy[1].check_patient([les.site.injectable for les in lesions])
        if why:
            raise InputFileError(f"{name}: lesions: {why}")
    if spec.output_every_days > spec.horizon_days:
        raise InputFileError(f"{name}: output_every_days: expected <= horizon_days (got {spec.output_every_days:g})")
    return PatientScenario(patient, regimen, spec.horizon_days, spec.output_every_days, name)


def _first_error(err: ValidationError) -> str:
    """One line for the first validation error; unknown sites list the allowed ones."""
    e = err.errors(include_url=False)[0]
    if e["loc"] and e["loc"][-1] == "site" and e["type"] == "value_error":
        return f"{location(e['loc'])}: expected one of {', '.join(SITE_NAMES)} (got {e.get('input')!r})"
    return first_error(err, "see examples/patient_reference.yaml")
