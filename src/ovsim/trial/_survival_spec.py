"""Parameters of the tumour-dynamics-to-survival link (a Claret-type parametric OS model).

log(OS, months) = intercept + beta_log_kg * ln(KG / kg_reference) + beta_log_baseline * ln(B0 / b_reference)
                  + beta_ecog1 * [ECOG 1] + beta_ldh_high * [LDH > ULN] + sigma * eps,   eps ~ N(0, 1)

KG (1/day) is the tumour growth-rate constant of the Stein model fitted to the patient's measured
tumour burden (Stein et al. Clin Cancer Res 2011;17:907); B0 is the baseline burden (cm^2).
Structure: Claret et al. J Clin Oncol 2013;31:2110 (OS from KG and baseline tumour size in a
log-normal model); covariates: ECOG and LDH are the strongest clinical prognostic factors in
advanced melanoma (Balch et al. J Clin Oncol 2009;27:6199). The coefficient values are
provisional (docs/trial.md): intercept and sigma are calibrated to OPTiM's control-arm survival
in issue 5; the others are set to moderate effect sizes and are not tuned.
"""

from __future__ import annotations

import functools
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field

from .._read import InputFileError, Number, loads_json

COEFFICIENT_LIMIT = 20.0
"""Largest |coefficient| on the log-months scale: exp(20) months is 40 million years; with the covariates'
logs (|ln ratio| < 20 for any plausible KG or burden) the linear predictor stays far from overflow."""


class SurvivalModel(BaseModel):
    """Log-normal OS given KG, baseline burden, ECOG and LDH (all values provisional).

    Every coefficient is a finite number (NaN or infinite values would censor every patient); the
    intercept and the betas lie within +-``COEFFICIENT_LIMIT``, sigma in (0, 10], the references are > 0."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    intercept_log_months: Number = Field(2.9, ge=-COEFFICIENT_LIMIT, le=COEFFICIENT_LIMIT)
    sigma: Number = Field(0.9, gt=0, le=10)
    kg_reference_per_day: Number = Field(0.005, gt=0, le=10)
    kg_floor_per_day: Number = Field(1e-4, gt=0, le=10)
    beta_log_kg: Number = Field(-0.35, ge=-COEFFICIENT_LIMIT, le=COEFFICIENT_LIMIT)
    baseline_reference_cm2: Number = Field(10.0, gt=0, le=1e6)
    beta_log_baseline: Number = Field(-0.15, ge=-COEFFICIENT_LIMIT, le=COEFFICIENT_LIMIT)
    beta_ecog1: Number = Field(-0.3, ge=-COEFFICIENT_LIMIT, le=COEFFICIENT_LIMIT)
    beta_ldh_high: Number = Field(-0.6, ge=-COEFFICIENT_LIMIT, le=COEFFICIENT_LIMIT)


@functools.cache
def calibrated_survival_model() -> SurvivalModel:
    """The survival link fitted by the shipped calibration (``ovsim/data/calibrated/calibration.json``)."""
    path = resources.files("ovsim.data").joinpath("calibrated/calibration.json")
    try:
        doc = loads_json(path.read_text(), str(path))
    except (OSError, FileNotFoundError):
        raise ValueError(f"{path}: no calibration shipped (run `ovsim calibrate --ship`)") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("survival_model"), dict):
        raise InputFileError(f"{path}: survival_model: expected a mapping of coefficients")
    return SurvivalModel.model_validate(doc["survival_model"])
