"""Patient files (YAML): schema, validation with one-line errors, conversion to model objects.

A patient file declares the lesions (site, size), covariates, parameter overrides, the regimen
and the horizon; see ``examples/patient_reference.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from .._errors import first_error, location, shorten
from .._read import (MAX_DIAMETER_CM, MAX_HORIZON_DAYS, MAX_LDH_X_ULN, MAX_LESIONS, MAX_OUTPUT_POINTS, Flag,
                     Id, InputFileError, Number, Text, not_bool, read_yaml)
from ..model import SITE_NAMES, Site, check_overrides
from ..model._parameters import override_limit
from ..population import CONTRAINDICATION_NAMES, Lesion, Patient
from ..population._patient import MAX_WEIGHT_KG, MIN_WEIGHT_KG
from ..treatments import (REFERENCE_WEIGHT_KG, Regimen, RegimenError, covariate_names, parameter_registry,
                          parse_regimen, positive_parameters)

__all__ = ["InputFileError", "LesionSpec", "PatientFile", "PatientScenario", "PatientSpec", "load_patient"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LesionSpec(_Strict):
    id: Id = Field(min_length=1, max_length=200)
    site: Text
    longest_diameter_cm: Number = Field(gt=0, le=MAX_DIAMETER_CM)
    accessibility: Number | None = Field(default=None, gt=0, le=1)
    doubling_time_days: Number | None = Field(default=None, gt=0)
    injection_intent: Flag = True  # the investigator plans to inject it when present (injectable sites only)
    immune_infiltration: Number | None = Field(default=None, gt=0, le=1000)  # relative to the site's (1 = typical)

    @field_validator("site")
    @classmethod
    def _site(cls, value: str) -> str:
        return Site.parse(value).value

    @field_validator("doubling_time_days")
    @classmethod
    def _doubling(cls, value: float | None) -> float | None:
        limit = override_limit(parameter_registry()["doubling_time_days"])
        if value is not None and value > limit:
            raise ValueError(f"expected at most {limit:.3g} days (10^6 x the default)")
        return value


class PatientSpec(_Strict):
    id: Id = Field(min_length=1, max_length=200)
    hsv1_seropositive: Flag = True
    stage: Literal["IIIB", "IIIC", "IVM1a", "IVM1b", "IVM1c"] | None = None
    ecog: Annotated[Literal[0, 1, 2, 3, 4], BeforeValidator(not_bool)] | None = None
    ldh_x_uln: Number | None = Field(default=None, ge=0, le=MAX_LDH_X_ULN)
    bsa_m2: Number = Field(default=1.9, ge=0.3, le=4.0)
    weight_kg: Number = Field(default=REFERENCE_WEIGHT_KG, ge=MIN_WEIGHT_KG, le=MAX_WEIGHT_KG)  # body weight (kg)
    # the label's contraindication / warning covariates (ovsim.population.CONTRAINDICATIONS): strict
    # booleans (true/false only), parsed here and screened by ``ovsim simulate``, not by load_patient
    immunocompromised: Flag = False
    pregnant: Flag = False
    prior_tvec: Flag = False
    active_herpetic_lesions: Flag = False
    antiherpetic_medication: Flag = False


class PatientFile(_Strict):
    patient: PatientSpec
    lesions: list[LesionSpec] = Field(min_length=1, max_length=MAX_LESIONS)
    parameters: dict[Text, Number] = Field(default_factory=dict)
    regimen: dict[Text, Any] | None = Field(default_factory=lambda: {"tvec": {}})
    horizon_days: Number = Field(default=730.0, gt=0, le=MAX_HORIZON_DAYS)
    output_every_days: Number = Field(default=1.0, gt=0)

    @model_validator(mode="after")
    def _grid(self) -> "PatientFile":
        if self.output_every_days > self.horizon_days:
            raise ValueError(f"output_every_days: expected <= horizon_days (got {self.output_every_days:g})")
        if self.horizon_days / self.output_every_days > MAX_OUTPUT_POINTS:
            points = self.horizon_days / self.output_every_days
            raise ValueError(f"output_every_days: expected at most {MAX_OUTPUT_POINTS:,} output times over the "
                             f"horizon (horizon_days / output_every_days; got {points:.3g})")
        return self


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
    name = str(path)
    raw = read_yaml(Path(path))
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
        params = check_overrides(spec.parameters, parameter_registry(), positive=positive_parameters())
    except ValueError as err:
        raise InputFileError(f"{name}: {err}") from None
    ids = [les.id for les in spec.lesions]
    for k, lesion_id in enumerate(ids):
        if lesion_id in ids[:k]:
            raise InputFileError(f"{name}: lesions[{k}].id: expected a unique id (got {lesion_id!r} again)")
    lesions = tuple(
        Lesion(les.id, Site(les.site), les.longest_diameter_cm, les.accessibility, les.doubling_time_days,
               les.injection_intent, les.immune_infiltration)
        for les in spec.lesions
    )
    p = spec.patient
    try:
        patient = Patient(p.id, lesions, p.hsv1_seropositive, p.stage, p.ecog, p.ldh_x_uln, params, p.bsa_m2,
                          **{key: getattr(p, key) for key in CONTRAINDICATION_NAMES}, weight_kg=p.weight_kg)
    except ValueError as err:  # not expected after the schema; still one line with the file
        raise InputFileError(f"{name}: patient: {err}") from None
    try:
        regimen = parse_regimen(spec.regimen, "regimen")
    except RegimenError as err:
        raise InputFileError(f"{name}: {err}") from None
    policy = regimen.policy()
    if policy is not None:
        why = policy[1].check_patient(patient.injectable_mask)
        if why:
            raise InputFileError(f"{name}: lesions: {why}")
    return PatientScenario(patient, regimen, spec.horizon_days, spec.output_every_days, name)


def _first_error(err: ValidationError) -> str:
    """One line for the first validation error; unknown sites list the allowed ones."""
    e = err.errors(include_url=False)[0]
    if e["loc"] and e["loc"][-1] == "site" and e["type"] == "value_error":
        return f"{location(e['loc'])}: expected one of {', '.join(SITE_NAMES)} (got {shorten(e.get('input'))})"
    return first_error(err, "see examples/patient_reference.yaml")
