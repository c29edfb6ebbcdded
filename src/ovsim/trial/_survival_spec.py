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
import json
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field


class SurvivalModel(BaseModel):
    """Log-normal OS given KG, baseline burden, ECOG and LDH (all values provisional)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    intercept_log_months: float = 2.9
    sigma: float = Field(0.9, gt=0)
    kg_reference_per_day: float = Field(0.005, gt=0)
    kg_floor_per_day: float = Field(1e-4, gt=0)
    beta_log_kg: float = -0.35
    baseline_reference_cm2: float = Field(10.0, gt=0)
    beta_log_baseline: float = -0.15
    beta_ecog1: float = -0.3
    beta_ldh_high: float = -0.6


@functools.cache
def calibrated_survival_model() -> SurvivalModel:
    """The survival link fitted by the shipped calibration (``ovsim/data/calibrated/calibration.json``)."""
    path = resources.files("ovsim.data").joinpath("calibrated/calibration.json")
    try:
        doc = json.loads(path.read_text())
    except (OSError, FileNotFoundError):
        raise ValueError(f"{path}: no calibration shipped (run `ovsim calibrate --ship`)") from None
    return SurvivalModel.model_validate(doc["survival_model"])
