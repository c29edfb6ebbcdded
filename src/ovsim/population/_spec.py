"""The declarative specification of a virtual population (``data/population_optim.yaml``)."""

from __future__ import annotations

import functools
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .._errors import read_yaml, validated
from .._read import MAX_DIAMETER_CM, MAX_LDH_X_ULN, MAX_LESIONS, Integer, Number, Text, loads_yaml
from ..model import PARAMETERS, SITE_NAMES

STAGES = ("IIIB", "IIIC", "IVM1a", "IVM1b", "IVM1c")
INJECTABLE_SITES = ("cutaneous", "subcutaneous", "nodal")

_Frac = Field(ge=0, le=1)
_Stage = Literal["IIIB", "IIIC", "IVM1a", "IVM1b", "IVM1c"]
MAX_CV = 10.0
"""Largest coefficient of variation of a log-normal draw (a spread of ~2 orders of magnitude)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LogNormal(_Strict):
    median: Number = Field(gt=0, le=1000)
    gsd: Number = Field(ge=1, le=10)


class Covariates(_Strict):
    ecog0_fraction: Number = _Frac
    ldh_above_uln_fraction: Number = _Frac
    ldh_max_x_uln: Number = Field(gt=1, le=MAX_LDH_X_ULN)
    hsv1_seropositive_fraction: Number = _Frac
    bsa_m2: LogNormal


class StageSpec(_Strict):
    injectable_mean: Number = Field(ge=1, le=MAX_LESIONS)
    injectable_sites: dict[Literal["cutaneous", "subcutaneous", "nodal"], Number]
    lung: tuple[Number, Number]
    visceral_other: tuple[Number, Number]
    doubling_time_days: Number = Field(gt=0, le=100_000)

    @model_validator(mode="after")
    def _ranges(self) -> "StageSpec":
        for name in ("lung", "visceral_other"):
            p, mean = getattr(self, name)
            if not (0 <= p <= 1 and 0 <= mean <= MAX_LESIONS):
                raise ValueError(f"{name}: expected [probability 0-1, mean count 0-{MAX_LESIONS}] "
                                 f"(got [{p:g}, {mean:g}])")
        if not self.injectable_sites or any(not 0 <= f <= 1 for f in self.injectable_sites.values()) \
                or sum(self.injectable_sites.values()) <= 0:
            raise ValueError("injectable_sites: expected fractions in [0, 1], not all zero")
        return self


class OccultSpec(_Strict):
    per_visible_lesion: Number = Field(ge=0, le=MAX_LESIONS)
    max_per_patient: Integer = Field(ge=0, le=16)
    diameter_cm: tuple[Number, Number]
    visceral_fraction: dict[_Stage, Number]

    @model_validator(mode="after")
    def _range(self) -> "OccultSpec":
        lo, hi = self.diameter_cm
        if not 0 < lo < hi:
            raise ValueError("diameter_cm: expected [low, high] with 0 < low < high")
        if any(not 0 <= f <= 1 for f in self.visceral_fraction.values()):
            raise ValueError("visceral_fraction: expected fractions in [0, 1]")
        return self


class Variability(_Strict):
    patient: dict[Text, Number]
    patient_doubling_time_cv: Number = Field(ge=0, le=MAX_CV)
    lesion: dict[Literal["doubling_time_cv", "accessibility_cv", "infiltration_log_sd"], Number]

    @model_validator(mode="after")
    def _known(self) -> "Variability":
        for name, cv in self.patient.items():
            if name not in PARAMETERS or PARAMETERS[name].level != "patient":
                raise ValueError(f"patient.{name}: expected a patient-level model parameter")
            if not 0 <= cv <= MAX_CV:
                raise ValueError(f"patient.{name}: expected a coefficient of variation from 0 to {MAX_CV:g}")
        for name, cv in self.lesion.items():
            if not 0 <= cv <= MAX_CV:
                raise ValueError(f"lesion.{name}: expected a coefficient of variation from 0 to {MAX_CV:g}")
        return self


class PopulationSpec(_Strict):
    """Stage mix per arm, lesions per stage and site, sizes, covariates, parameter variability.

    patient_size_gsd: geometric SD of a per-patient factor on every visible lesion's median size
    (1: none), so that tumour burden varies between patients more than lesion by lesion.
    injection_intent: per injectable site, the probability (0-1) that the investigator plans to
    inject a lesion there when it is present (missing sites: 1, every lesion intended).
    """

    source: Text
    stage_mix: dict[Text, dict[_Stage, Number]] = Field(min_length=1, max_length=100)
    max_lesions: Integer = Field(ge=1, le=MAX_LESIONS)
    covariates: Covariates
    stages: dict[_Stage, StageSpec]
    visceral_other_sites: dict[Literal["liver", "visceral_other"], Number]
    lesion_size_cm: dict[Text, LogNormal]
    min_cm: Number = Field(gt=0, le=MAX_DIAMETER_CM)
    max_cm: Number = Field(gt=0, le=MAX_DIAMETER_CM)
    visceral_other_max_cm: Number = Field(gt=0, le=MAX_DIAMETER_CM)
    min_measurable_cm: Number = Field(gt=0, le=MAX_DIAMETER_CM)
    patient_size_gsd: Number = Field(1.0, ge=1, le=10)
    occult: OccultSpec
    variability: Variability
    injection_intent: dict[Literal["cutaneous", "subcutaneous", "nodal"], Number] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _complete(self) -> "PopulationSpec":
        missing = set(STAGES) - set(self.stages)
        if missing:
            raise ValueError(f"stages: expected all of {', '.join(STAGES)} (missing {', '.join(sorted(missing))})")
        unknown = set(self.lesion_size_cm) - set(SITE_NAMES)
        if unknown or set(SITE_NAMES) - set(self.lesion_size_cm):
            raise ValueError(f"lesion_size_cm: expected exactly the sites {', '.join(SITE_NAMES)}")
        for arm, mix in self.stage_mix.items():
            if not mix or abs(sum(mix.values()) - 1.0) > 0.02 or min(mix.values()) < 0:
                raise ValueError(f"stage_mix.{arm}: expected fractions >= 0 summing to 1 (+-0.02)")
        if any(not 0 <= f <= 1 for f in self.visceral_other_sites.values()) \
                or sum(self.visceral_other_sites.values()) <= 0:
            raise ValueError("visceral_other_sites: expected fractions in [0, 1], not all zero")
        if self.max_lesions + self.occult.max_per_patient > MAX_LESIONS:
            raise ValueError(f"max_lesions: expected max_lesions + occult.max_per_patient <= {MAX_LESIONS} "
                             f"(got {self.max_lesions} + {self.occult.max_per_patient})")
        if not self.min_cm < self.min_measurable_cm <= self.max_cm:
            raise ValueError("min_measurable_cm: expected min_cm < min_measurable_cm <= max_cm")
        if any(not 0 <= p <= 1 for p in self.injection_intent.values()):
            raise ValueError("injection_intent: expected probabilities in [0, 1] per injectable site")
        if not self.occult.diameter_cm[1] < self.min_cm:
            raise ValueError("occult.diameter_cm: expected the upper bound below min_cm (occult deposits are unseen)")
        return self

    def intent_probability(self, site: str) -> float:
        """Probability that a lesion at ``site`` is intended for injection (0 at non-injectable sites)."""
        if site not in INJECTABLE_SITES:
            return 0.0
        return float(self.injection_intent.get(site, 1.0))

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
    return validated(PopulationSpec, loads_yaml(text, "population_optim.yaml"), "population_optim.yaml")


SHIPPED_POPULATIONS = ("optim", "keynote006", "masterkey265")
"""Population specs shipped as ``ovsim/data/population_<name>.yaml`` (docs/checkpoint_trials.md)."""


def shipped_population_spec(name: str) -> PopulationSpec:
    """The shipped population spec ``name`` (one of ``SHIPPED_POPULATIONS``); ``ValueError`` (one line) otherwise."""
    if name not in SHIPPED_POPULATIONS:
        raise ValueError(f"population: expected one of {', '.join(SHIPPED_POPULATIONS)} (got {name!r})")
    return _shipped_spec(name)


@functools.cache
def _shipped_spec(name: str) -> PopulationSpec:
    if name == "optim":
        return _reference_spec()
    file = f"population_{name}.yaml"
    return validated(PopulationSpec, loads_yaml(resources.files("ovsim.data").joinpath(file).read_text(), file), file)
