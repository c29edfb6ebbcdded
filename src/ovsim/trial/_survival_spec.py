"""Parameters of the joint model of tumour burden and death (docs/trial.md, "Overall survival").

    h_i(t) = h_bg(age + t) + lambda0 * (B_i(t) / B_ref)^beta_B
                             * exp(beta_G * g_i(t) + beta_ECOG * [ECOG >= 1] + beta_LDH * [LDH > ULN])

B_i(t) is the patient's true total tumour volume (cm^3, every simulated lesion, seen or not) and g_i(t)
its log growth rate (1/day) over the last ``growth_window_days``; a patient whose burden is below
``tumour_free_cm3`` has no tumour hazard, only background mortality h_bg (Gompertz). Structure: the
current value and slope of a longitudinal marker as the hazard's covariates, the standard association of
joint models (the value() and slope() functional forms of JMbayes2; a PSA-dependent hazard of death in
Desmee et al. BMC Med Res Methodol 2017;17), on the tumour-size dynamics that predict survival under
immunotherapy (Claret et al. Clin Cancer Res 2018;24:3292; Bruno et al. Clin Cancer Res 2020;26:1787).
lambda0, beta_B and beta_G are calibrated to OPTiM's median OS in both arms and its hazard ratio (docs/calibration.md); every
other value is cited or marked assumed, field by field below.
"""

from __future__ import annotations

import functools
import math
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field

from .._read import InputFileError, Number, loads_json

CALIBRATED = ("tumour_hazard_per_month", "beta_burden", "beta_growth_day")
"""The coefficients fitted by ``ovsim calibrate`` (three targets: both arms' median OS and the hazard ratio)."""


class SurvivalModel(BaseModel):
    """Hazard of death from the simulated tumour burden, its growth and two clinical covariates.

    Defaults are the shipped calibration's fitted values (rounded) and the cited or assumed constants;
    every field is a finite number within its bounds (a one-line ``ValueError`` names the field otherwise)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    tumour_hazard_per_month: Number = Field(0.0195, gt=0, le=100)
    """lambda0 (1/month): tumour hazard at B = B_ref, g = 0, ECOG 0, LDH <= ULN. Calibrated to OPTiM median OS
    (both arms) and HR."""
    beta_burden: Number = Field(0.030, ge=0, le=5)
    """beta_B (1): exponent of the burden ratio B / B_ref. Calibrated to OPTiM median OS (both arms) and HR."""
    beta_growth_day: Number = Field(32.6, ge=0, le=2000)
    """beta_G (day): effect of the log growth rate g (1/day) on the log hazard. Calibrated to OPTiM median OS
    (both arms) and HR."""
    burden_reference_cm3: Number = Field(10.0, gt=0, le=1e6)
    """B_ref (cm^3): reference total tumour volume. Assumed: centres the covariate (10 cm^3, a 2.7 cm sphere)."""
    beta_ecog1: Number = Field(0.647, ge=-5, le=5)
    """beta_ECOG (1): ln 1.91, the multivariable OS hazard ratio of ECOG > 0 in ipilimumab-treated melanoma
    (Diem et al. Eur J Cancer 2015;51:2785)."""
    beta_ldh_high: Number = Field(0.850, ge=-5, le=5)
    """beta_LDH (1): ln 2.34, the multivariable OS hazard ratio of LDH > ULN in anti-PD-1-treated melanoma
    (Suo et al. Oncologist 2020;25:438)."""
    tumour_free_cm3: Number = Field(1e-6, gt=0, le=1.0)
    """Burden (cm^3) below which a patient is tumour-free (no tumour hazard): 100 cells at the model's
    1e8 cells/cm^3 (tumour_cell_density, Del Monte 2009). Assumed threshold."""
    growth_window_days: Number = Field(56.0, gt=0, le=3650)
    """Window (days) of the growth rate g(t) = [ln B(t) - ln B(t - window)] / window: two 28-day assessment
    intervals. Assumed (smooths day-to-day changes; before day 0 the burden is taken as its baseline)."""
    extrapolation_window_days: Number = Field(84.0, gt=0, le=3650)
    """Window (days) before the last simulated time whose log growth rate continues the burden beyond the
    simulated horizon (about 3 months). Assumed."""
    extrapolation_growth_max_per_day: Number = Field(0.0347, ge=0, le=1)
    """Upper clip (1/day) of the extrapolated growth rate: ln 2 / 20 days, the fastest lesion doubling time of
    the model's documented range (doubling_time_days 20-300, docs/model.md). Assumed."""
    extrapolation_growth_min_per_day: Number = Field(-0.0347, ge=-1, le=0)
    """Lower clip (1/day) of the extrapolated growth rate: the same rate shrinking. Assumed; a burden that
    shrinks below tumour_free_cm3 stays tumour-free."""
    age_years: Number = Field(63.0, ge=18, le=110)
    """Age at randomisation (years): OPTiM's median age (shared/targets/optim.yaml, baseline.median_age)."""
    background_hazard_per_year: Number = Field(0.0105, gt=0, le=1)
    """Background (all-cause) hazard at age 63 (1/year): Gompertz fit, ages 60-90, to the US period life table
    of calendar year 2010 (SSA Office of the Chief Actuary, 2020 Trustees Report), 57% male as in OPTiM.
    Melanoma is well under 1% of deaths at these ages, so all-cause stands for non-melanoma mortality."""
    background_gompertz_per_year: Number = Field(0.0974, gt=0, le=1)
    """Gompertz slope of the background hazard (1/year; mortality doubles every 7.1 years): same fit."""

    def background_hazard_at_start_per_year(self) -> float:
        """h_bg at randomisation (1/year): the Gompertz hazard at ``age_years``."""
        return self.background_hazard_per_year * math.exp(self.background_gompertz_per_year * (self.age_years - 63.0))


def check_model(model: SurvivalModel) -> None:
    """``ValueError`` (one line, ``survival.model.<field>``) if a coefficient is not a finite number.

    A model built without validation (``model_construct``) could carry NaN or infinity, which would give every
    patient the same non-finite or degenerate survival."""
    for name, value in model.model_dump().items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"survival.model.{name}: expected a finite number (got {value!r})")
    for name in ("tumour_hazard_per_month", "burden_reference_cm3", "tumour_free_cm3", "growth_window_days",
                 "extrapolation_window_days", "background_hazard_per_year", "background_gompertz_per_year"):
        if getattr(model, name) <= 0:
            raise ValueError(f"survival.model.{name}: expected a number > 0 (got {getattr(model, name)!r})")


@functools.cache
def calibrated_survival_model(member: int | None = None) -> SurvivalModel:
    """The joint model fitted by the shipped calibration (``ovsim/data/calibrated/calibration.json``): at the
    posterior-mean weights (``member`` None) or at calibration-ensemble member ``member``'s weights."""
    path = resources.files("ovsim.data").joinpath("calibrated/calibration.json")
    try:
        doc = loads_json(path.read_text(), str(path))
    except (OSError, FileNotFoundError):
        raise ValueError(f"{path}: no calibration shipped (run `ovsim calibrate --ship`)") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("survival_model"), dict):
        raise InputFileError(f"{path}: survival_model: expected a mapping of coefficients")
    entry = doc["survival_model"]
    if member is not None:
        members = doc.get("survival_members") or []
        if not isinstance(members, list) or not 0 <= int(member) < len(members):
            raise ValueError(f"calibration_member: expected 0..{len(members) - 1} (the shipped calibration has "
                             f"{len(members)} survival members; got {member})")
        entry = members[int(member)]
    try:
        return SurvivalModel.model_validate(entry)
    except ValueError:
        raise InputFileError(f"{path}: survival_model: expected the joint model's coefficients "
                             "(a calibration of an older ovsim? run `ovsim calibrate --ship`)") from None
