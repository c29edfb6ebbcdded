"""Calibration of the virtual population to published trial results (OPTiM).

Plausible patients simulated over documented parameter ranges are weighted -- and then
resampled -- into a virtual population whose summaries (response rates, lesion-level ratios,
time to response, stage shares) match the clinical targets: prevalence weighting by minimum
relative entropy (Allen, Rieger & Musante 2016; Rieger et al. 2018; Hainmueller 2012; the
method is in :mod:`ovsim.population._selection`). The joint survival model's three free
coefficients are then fitted to the median survival of both arms and their hazard ratio
(``fit_survival``). ``calibrate()`` runs it all; ``validate()`` checks the shipped result on seeds
never used to calibrate. Method and results: docs/calibration.md.
"""

from ..population._selection import (
    Constraint,
    Weights,
    prevalence_weights,
    quantile_constraint,
    rate_constraint,
    ratio_constraint,
    share_constraint,
)
from ..population._resample import resample, resample_indexed, resample_one
from ._fit import arm_weights
from ._plausible import plausible_pool
from ._run import Calibration, calibrate
from ._spec import CalibrationSpec, load_calibration_spec
from ._survival_fit import fit_survival
from ._validate import target_table, validate, validation_markdown

__all__ = [
    "Calibration",
    "CalibrationSpec",
    "Constraint",
    "Weights",
    "arm_weights",
    "calibrate",
    "fit_survival",
    "load_calibration_spec",
    "plausible_pool",
    "prevalence_weights",
    "quantile_constraint",
    "rate_constraint",
    "ratio_constraint",
    "resample",
    "resample_indexed",
    "resample_one",
    "share_constraint",
    "target_table",
    "validate",
    "validation_markdown",
]
