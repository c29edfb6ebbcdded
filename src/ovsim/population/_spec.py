"""The declarative specification of a virtual population (``data/population_optim.yaml``)."""

from __future__ import annotations

import functools
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .._errors import read_yaml, validated
from ..model import PARAMETERS, SITE_NAMES

STAGES = ("IIIB", "IIIC", "IVM1a", "IVM1b", "IVM1c")
INJECTABLE_SITES = ("cutaneous", "subcutaneous", "nodal")

_Frac = Field(ge=0, le=1)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LogNormal(_Strict):
    median: float = Field(gt=0)
    gsd: float = Field(ge=1)


class Covariates(_Strict):
    ecog0_fraction: float = _Frac
    ldh_above_uln_fraction: float = _Frac
    ldh_max_x_uln: float = Field(gt=1)
    hsv1_seropositive_fraction: float = _Frac
    bsa_m2: LogNormal


class StageSpec(_Strict):
    injectable_mean: float = Field(ge=1)
    injectable_sites: dict[Literal["cutaneous", "subcutaneous", "nodal"], float]
    lung: tuple[float, float]
    visceral_other: tuple[float, float]
    doubling_time_days: float = Field(gt=0)


class OccultSpec(_Strict):
    per_visible_lesion: float = Field(ge=0)
    max_per_patient: int = Field(ge=0, le=16)
    diameter_cm: tuple[float, float]
    visceral_fraction: dict[Literal["IIIB", "IIIC", "IVM1a", "IVM1b", "IVM1c"], float]

    @model_validator(mode="after")
    def _range(self) -> "OccultSpec":
        lo, hi = self.diameter_cm
        if not 0 < lo < hi:
            raise ValueError("occult.diameter_cm: expected [low, high] with 0 < low < high")
        if any(not 0 <= f <= 1 for f in self.visceral_fraction.values()):
            raise ValueError("occult.visceral_fraction: expected fractions in [0, 1]")
        return self


class Variability(_Strict):
    patient: dict[str, float]
    patient_doubling_time_cv: float = Field(ge=0)
    lesion: dict[Literal["doubling_time_cv", "accessibility_cv"], float]

    @model_validator(mode="after")
    def _known(self) -> "Variability":
        for name, cv in self.patient.items():
            if name not in PARAMETERS or PARAMETERS[name].level != "patient":
                raise ValueError(f"variability.patient.{name}: expected a patient-level model parameter")
            if not cv >= 0:
                raise ValueError(f"variability.patient.{name}: expected a coefficient of variation >= 0")
        return self


class PopulationSpec(_Strict):
    """Stage mix per arm, lesions per stage and site, sizes, covariates, parameter variability."""

    source: str
    stage_mix: dict[str, dict[Literal["IIIB", "IIIC", "IVM1a", "IVM1b", "IVM1c"], float]]
    max_lesions: int = Field(ge=1, le=64)
    covariates: Covariates
    stages: dict[Literal["IIIB", "IIIC", "IVM1a", "IVM1b", "IVM1c"], StageSpec]
    visceral_other_sites: dict[Literal["liver", "visceral_other"], float]
    lesion_size_cm: dict[str, LogNormal]
    min_cm: float = Field(gt=0)
    max_cm: float = Field(gt=0)
    visceral_other_max_cm: float = Field(gt=0)
    min_measurable_cm: float = Field(gt=0)
    occult: OccultSpec
    variability: Variability

    @model_validator(mode="after")
    def _complete(self) -> "PopulationSpec":
        missing = set(STAGES) - set(self.stages)
        if missing:
            raise ValueError(f"stages: expected all of {', '.join(STAGES)} (missing {', '.join(sorted(missing))})")
        unknown = set(self.lesion_size_cm) - set(SITE_NAMES)
        if unknown or set(SITE_NAMES) - set(self.lesion_size_cm):
            raise ValueError(f"lesion_size_cm: expected exactly the sites {', '.join(SITE_NAMES)}")
        for arm, mix in self.stage_mix.items():
            if abs(sum(mix.values()) - 1.0) > 0.02 or min(mix.values()) < 0:
                raise ValueError(f"stage_mix.{arm}: expected fractions >= 0 summing to 1 (+-0.02)")
        if not self.min_cm < self.min_measurable_cm <= self.max_cm:
            raise ValueError("min_measurable_cm: expected min_cm < min_measurable_cm <= max_cm")
        if not self.occult.diameter_cm[1] < self.min_cm:
            raise ValueError("occult.diameter_cm: expected the upper bound below min_cm (occult deposits are unseen)")
        return self

    def digest(self) -> str:
        """SHA-256 of the specification's canonical JSON (for provenance)."""
        return hashlib.sha256(json.dumps(self.model_dump(), sort_keys=True).encode()).hexdigest()


def load_population_spec(path: str | Path | None = None) -> PopulationSpec:
    """The population spec from ``path`` (YAML), or the shipped OPTiM reference if ``None``.

    Raises ``ValueError`` with one line naming the file and the field.
    """
    if path is None:
        return _reference_spec()
    return validated(PopulationSpec, read_yaml(Path(path)), str(path))


@functools.cache
def _reference_spec() -> PopulationSpec:
    text = resources.files("ovsim.data").joinpath("population_optim.yaml").read_text()
    return validated(PopulationSpec, yaml.safe_load(text), "population_optim.yaml")
