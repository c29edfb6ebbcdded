"""A trial scenario: arms with their regimens, the population, assessment and follow-up (YAML).

A scenario is declarative: ``load_scenario(path)`` validates it and raises ``ValueError`` with one
line naming the file, the field and what was expected. ``load_scenario()`` is the shipped OPTiM
reference (``ovsim/data/scenarios/optim.yaml``).
"""

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
from ..regimen import GmcsfRegimen, LabelPolicy
from ._eligibility import Eligibility
from ._survival_spec import SurvivalModel, calibrated_survival_model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Gmcsf(_Strict):
    dose_ug_per_m2_per_day: float = Field(125.0, ge=0)
    days_on: float = Field(14.0, gt=0)
    cycle_days: float = Field(28.0, gt=0)
    max_months: float | None = Field(None, gt=0)


class _Tvec(_Strict):
    min_months: float = Field(6.0, ge=0)
    max_months: float | None = None
    extend_months_if_responding: float = Field(0.0, ge=0)
    stop_on_progression: bool = False


class RegimenSpec(_Strict):
    """``tvec``: ``label`` (the label alone), ``optim`` (OPTiM's duration rules) or explicit options;
    ``gmcsf``: the comparator's schedule. Either, both (combination) or neither (untreated)."""

    tvec: Literal["label", "optim"] | _Tvec | None = None
    gmcsf: _Gmcsf | None = None

    def build(self, detection_limit_cm: float) -> tuple[LabelPolicy | GmcsfRegimen, ...]:
        """The engine's regimen objects."""
        out: list[LabelPolicy | GmcsfRegimen] = []
        if self.tvec == "label":
            out.append(LabelPolicy(detection_limit_cm=detection_limit_cm))
        elif self.tvec == "optim":
            o = LabelPolicy.optim()
            out.append(LabelPolicy(o.min_months, o.max_months, o.extend_months_if_responding,
                                   o.stop_on_progression, detection_limit_cm))
        elif self.tvec is not None:
            out.append(LabelPolicy(**self.tvec.model_dump(), detection_limit_cm=detection_limit_cm))
        if self.gmcsf is not None:
            out.append(GmcsfRegimen(**self.gmcsf.model_dump()))
        return tuple(out)


class ArmSpec(_Strict):
    n: int = Field(ge=1)
    label: str = ""
    regimen: RegimenSpec


class AssessmentSpec(_Strict):
    every_days: float = Field(28.0, gt=0)
    horizon_days: float = Field(728.0, gt=0)
    criterion: Literal["modified_who", "recist11", "irrc"] = "modified_who"
    measurement_cv: float = Field(0.10, ge=0, le=1)
    detection_limit_cm: float = Field(0.2, gt=0)
    durable_months: float = Field(6.0, gt=0)
    onset_within_months: float = Field(12.0, gt=0)

    @model_validator(mode="after")
    def _grid(self) -> "AssessmentSpec":
        if self.every_days > self.horizon_days:
            raise ValueError("assessment.every_days: expected <= horizon_days")
        return self


class FollowUpSpec(_Strict):
    follow_up_months: float = Field(60.0, gt=0)
    accrual_months: float = Field(24.0, ge=0)
    model: SurvivalModel | Literal["calibrated"] = SurvivalModel()

    def survival_model(self) -> SurvivalModel:
        """The survival link: the given coefficients, or the shipped calibrated ones (``calibrated``)."""
        if self.model == "calibrated":
            return calibrated_survival_model()
        return self.model


class TrialScenario(_Strict):
    """A virtual trial: who is treated how, how tumours are assessed, how long survival is followed."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    source: str = ""
    seed: int = Field(0, ge=0)
    design: Literal["randomised", "paired"] = "randomised"
    population: str = "reference"  # reference (the spec), optim_calibrated (the shipped calibrated pool) or a spec path
    arms: dict[str, ArmSpec] = Field(min_length=1)
    eligibility: Eligibility = Eligibility()
    assessment: AssessmentSpec = AssessmentSpec()
    survival: FollowUpSpec = FollowUpSpec()

    @model_validator(mode="after")
    def _arm_names(self) -> "TrialScenario":
        for arm in self.arms:
            if not arm.replace("_", "").isalnum():
                raise ValueError(f"arms.{arm}: expected an arm name of letters, digits and _")
        return self

    @property
    def n_patients(self) -> int:
        """Total patients over the arms."""
        return sum(a.n for a in self.arms.values())

    def arm_sizes(self, total: int | None = None) -> dict[str, int]:
        """Patients per arm; with ``total``, split in the scenario's proportions (largest remainder)."""
        sizes = {k: a.n for k, a in self.arms.items()}
        if total is None or total == self.n_patients:
            return sizes
        if total < len(sizes):
            raise ValueError(f"patients: expected at least one per arm (>= {len(sizes)}, got {total})")
        exact = {k: total * n / self.n_patients for k, n in sizes.items()}
        out = {k: max(1, int(v)) for k, v in exact.items()}
        for k in sorted(exact, key=lambda k: exact[k] - int(exact[k]), reverse=True):
            if sum(out.values()) >= total:
                break
            out[k] += 1
        return out

    def regimens(self) -> dict[str, tuple[LabelPolicy | GmcsfRegimen, ...]]:
        """Each arm's engine regimen."""
        return {k: a.regimen.build(self.assessment.detection_limit_cm) for k, a in self.arms.items()}

    def digest(self) -> str:
        """SHA-256 of the scenario's canonical JSON (provenance)."""
        return hashlib.sha256(json.dumps(self.model_dump(), sort_keys=True).encode()).hexdigest()


def load_scenario(path: str | Path | None = None) -> TrialScenario:
    """The scenario in ``path`` (YAML), or the shipped OPTiM reference when ``None``."""
    if path is None:
        return _reference()
    return validated(TrialScenario, read_yaml(Path(path)), str(path))


@functools.cache
def _reference() -> TrialScenario:
    text = resources.files("ovsim.data").joinpath("scenarios/optim.yaml").read_text()
    return validated(TrialScenario, yaml.safe_load(text), "scenarios/optim.yaml")
