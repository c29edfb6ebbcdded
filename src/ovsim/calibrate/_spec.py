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


class Tolerance(_Strict):
    response_rate: Number = Field(0.01, ge=0, le=1)
    time_to_response_quantile: Number = Field(0.02, ge=0, le=1)
    lesion_level: Number = Field(0.015, ge=0, le=1)


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


class CalibrationSpec(_Strict):
    """Plausible-patient ranges, noise replicates, tolerances and the survival fit."""

    source: Text = ""
    plausible: PlausibleSpec
    assessment_replicates: Integer = Field(4, ge=1, le=64)
    tolerance: Tolerance = Tolerance()
    survival: SurvivalFit


def load_calibration_spec(path: str | Path | None = None) -> CalibrationSpec:
    """Settings from ``path`` (YAML) or the shipped OPTiM calibration; one-line errors name the field."""
    if path is None:
        return _reference()
    return validated(CalibrationSpec, read_yaml(Path(path)), str(path))


@functools.cache
def _reference() -> CalibrationSpec:
    text = resources.files("ovsim.data").joinpath("calibration_optim.yaml").read_text()
    return validated(CalibrationSpec, loads_yaml(text, "calibration_optim.yaml"), "calibration_optim.yaml")
