"""The calibration's settings (``ovsim/data/calibration_optim.yaml``), validated."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .._errors import read_yaml, validated
from .._read import MAX_PATIENTS, Integer, Number, Text, loads_yaml
from ..model import PARAMETERS


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlausibleSpec(_Strict):
    patients: Integer = Field(ge=10, le=MAX_PATIENTS)
    seed: Integer = Field(ge=0, le=2**63 - 1)
    stage_mix: Text = "tvec"
    log_uniform_fold: dict[Text, Number]

    @model_validator(mode="after")
    def _known(self) -> "PlausibleSpec":
        for name, fold in self.log_uniform_fold.items():
            if name not in PARAMETERS or PARAMETERS[name].level != "patient":
                raise ValueError(f"log_uniform_fold.{name}: expected a patient-level model parameter")
            if not 1 <= fold <= 1000:
                raise ValueError(f"log_uniform_fold.{name}: expected a fold from 1 to 1000 (got {fold})")
        return self


class SurvivalFit(_Strict):
    """The joint survival model's coefficients fitted to the survival targets (at most three: there are three
    targets) and the size of the Monte Carlo trial that checks the fitted hazard ratio (0: no check)."""

    fit: list[Literal["tumour_hazard_per_month", "beta_burden", "beta_growth_day"]] = Field(max_length=3)
    mc_patients_per_arm: Integer = Field(20000, ge=0, le=MAX_PATIENTS)

    @model_validator(mode="after")
    def _unique(self) -> "SurvivalFit":
        if len(set(self.fit)) != len(self.fit):
            raise ValueError("fit: expected each coefficient at most once")
        return self


class BayesianSpec(_Strict):
    """The Bayesian calibration (``calibrate_bayesian``; docs/calibration.md, "Bayesian calibration")."""

    population_model: list[Text] = Field(
        ["kill_rate", "priming_rate", "infection_rate", "dc_recruitment_rate", "kill_effector_halfsat_cells"], min_length=1, max_length=20)
    particles: Integer = Field(400, ge=10, le=100_000)  # SMC particles
    moves_per_step: Integer = Field(5, ge=1, le=100)  # random-walk Metropolis moves after each tempering step
    ess_fraction: Number = Field(0.5, gt=0, lt=1)  # tempering keeps the particle ESS >= this share
    pool_ess_floor: Number = Field(200, ge=1, le=MAX_PATIENTS)  # importance-weighted pool ESS below it: -inf
    ensemble_size: Integer = Field(20, ge=1, le=10_000)  # posterior draws carried into predictions
    lesion_design_effect: Number = Field(3.0, ge=1, le=100)  # lesion-level binomial n divided by it (assumed)
    seed: Integer = Field(11, ge=0, le=2**63 - 1)

    @model_validator(mode="after")
    def _unique(self) -> "BayesianSpec":
        if len(set(self.population_model)) != len(self.population_model):
            raise ValueError("population_model: expected each parameter at most once")
        return self


class CalibrationSpec(_Strict):
    """Plausible-patient ranges, noise replicates, the survival fit and the Bayesian calibration."""

    source: Text = ""
    plausible: PlausibleSpec
    assessment_replicates: Integer = Field(4, ge=1, le=64)
    survival: SurvivalFit
    bayesian: BayesianSpec = BayesianSpec()

    @model_validator(mode="after")
    def _modelled_are_redrawn(self) -> "CalibrationSpec":
        for name in self.bayesian.population_model:
            if name not in self.plausible.log_uniform_fold:
                raise ValueError(f"bayesian.population_model: expected parameters of plausible.log_uniform_fold (got {name!r})")
            if self.plausible.log_uniform_fold[name] <= 1:
                raise ValueError(f"bayesian.population_model: {name} has fold 1 (no range to model)")
        return self


def load_calibration_spec(path: str | Path | None = None) -> CalibrationSpec:
    """Settings from ``path`` (YAML) or the shipped OPTiM calibration; one-line errors name the field."""
    if path is None:
        return _reference()
    return validated(CalibrationSpec, read_yaml(Path(path)), str(path))


@functools.cache
def _reference() -> CalibrationSpec:
    text = resources.files("ovsim.data").joinpath("calibration_optim.yaml").read_text()
    return validated(CalibrationSpec, loads_yaml(text, "calibration_optim.yaml"), "calibration_optim.yaml")
