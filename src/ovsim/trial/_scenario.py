"""A trial scenario: arms with their regimens, the population, assessment and follow-up (YAML).

A scenario is declarative: ``load_scenario(path)`` validates it and raises ``ValueError`` with one
line naming the file, the field and what was expected. ``load_scenario()`` is the shipped OPTiM
reference (``ovsim/data/scenarios/optim.yaml``).
"""

from __future__ import annotations

import functools
import hashlib
import math
import json
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .._errors import read_yaml, validated
from ..treatments import Regimen, RegimenError, parse_regimen
from ._eligibility import Eligibility
from ._survival_spec import SurvivalModel, calibrated_survival_model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ArmSpec(_Strict):
    """``regimen``: ``{treatment: options}`` (one schema for patient files, scenarios and the CLI; see
    ``ovsim.treatments.parse_regimen``); ``{}`` is an untreated arm."""

    n: int = Field(ge=1, le=1_000_000)
    label: str = ""
    regimen: dict[str, Any]


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


class SupplyForecastSpec(_Strict):
    """A centre starting ``patients_per_month`` patients a month for ``months`` months on the first T-VEC arm's
    courses: vials per week by strength, 5-95% over ``replicates`` resampled centres (ovsim.supply)."""

    patients_per_month: float = Field(gt=0, le=10_000, allow_inf_nan=False)
    months: int = Field(ge=1, le=120)
    replicates: int = Field(500, ge=1, le=10_000)


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
    prices: dict[Literal["1e6", "1e8", "gmcsf_cycle"], float] | None = None
    """Price per 1 mL vial by strength and per 28-day GM-CSF cycle (any currency): costs per patient, per durable
    responder and per additional durable responder (ovsim.supply; docs/supply.md). Vials are counted either way."""
    supply_forecast: SupplyForecastSpec | None = None
    adverse_events: bool = True
    """Draw T-VEC's adverse events (ovsim.safety) from their own random streams; efficacy is unchanged either way."""
    survival: FollowUpSpec = FollowUpSpec()

    @model_validator(mode="after")
    def _arm_names(self) -> "TrialScenario":
        for arm in self.arms:
            if not arm.replace("_", "").isalnum():
                raise ValueError(f"arms.{arm}: expected an arm name of letters, digits and _")
        return self

    @model_validator(mode="after")
    def _prices(self) -> "TrialScenario":
        for k, v in (self.prices or {}).items():
            if not (math.isfinite(v) and v >= 0):
                raise ValueError(f"prices.{k}: expected a finite price >= 0 (got {v!r})")
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

    def regimens(self) -> dict[str, Regimen]:
        """Each arm's regimen; T-VEC sees lesions from the assessment's detection limit unless told otherwise.

        Raises :class:`~ovsim.treatments.RegimenError` (one line, ``arms.<arm>.regimen.<field>``)."""
        limit = {"detection_limit_cm": self.assessment.detection_limit_cm}
        return {k: parse_regimen(a.regimen, f"arms.{k}.regimen").with_defaults(tvec=limit)
                for k, a in self.arms.items()}

    def digest(self) -> str:
        """SHA-256 of the scenario's canonical JSON (provenance)."""
        return hashlib.sha256(json.dumps(self.model_dump(), sort_keys=True).encode()).hexdigest()


def load_scenario(path: str | Path | None = None) -> TrialScenario:
    """The scenario in ``path`` (YAML), or the shipped OPTiM reference when ``None``."""
    if path is None:
        return _reference()
    scenario = validated(TrialScenario, read_yaml(Path(path)), str(path))
    try:
        scenario.regimens()
    except RegimenError as err:
        raise ValueError(f"{path}: {err}") from None
    return scenario


@functools.cache
def _reference() -> TrialScenario:
    text = resources.files("ovsim.data").joinpath("scenarios/optim.yaml").read_text()
    return validated(TrialScenario, yaml.safe_load(text), "scenarios/optim.yaml")
