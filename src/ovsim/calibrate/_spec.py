"""The calibration's settings (``ovsim/data/calibration_optim.yaml``), validated."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .._errors import read_yaml, validated
from ..model import PARAMETERS


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlausibleSpec(_Strict):
    patients: int = Field(ge=10)
    seed: int = Field(ge=0)
    stage_mix: str = "tvec"
    log_uniform_fold: dict[str, float]

    @model_validator(mode="after")
    def _known(self) -> "PlausibleSpec":
        for name, fold in self.log_uniform_fold.items():
            if name not in PARAMETERS or PARAMETERS[name].level != "patient":
                raise ValueError(f"plausible.log_uniform_fold.{name}: expected a patient-level model parameter")
            if not fold >= 1:
                raise ValueError(f"plausible.log_uniform_fold.{name}: expected a fold >= 1 (got {fold})")
        return self


class Tolerance(_Strict):
    response_rate: float = Field(0.01, ge=0)
    time_to_response_quantile: float = Field(0.02, ge=0)
    lesion_level: float = Field(0.015, ge=0)


class SurvivalFit(_Strict):
    fit: list[Literal["intercept_log_months", "sigma", "beta_log_kg"]]
    mc_patients_per_arm: int = Field(20000, ge=100)


class CalibrationSpec(_Strict):
    """Plausible-patient ranges, noise replicates, tolerances and the survival fit."""

    source: str = ""
    plausible: PlausibleSpec
    assessment_replicates: int = Field(4, ge=1, le=64)
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
    return validated(CalibrationSpec, yaml.safe_load(text), "calibration_optim.yaml")
