"""Calibration of the virtual population to published trial results (OPTiM).

Plausible patients simulated over documented parameter ranges are weighted -- and then
resampled -- into a virtual population whose summaries (response rates, lesion-level ratios,
time to response, stage shares) match the clinical targets: prevalence weighting by minimum
relative entropy (Allen, Rieger & Musante 2016; Rieger et al. 2018; Hainmueller 2012; the
method is in :mod:`ovsim.population._selection`). The joint survival model's three free
coefficients are then fitted to the median survival of both arms and their hazard ratio
(``fit_survival``). ``calibrate()`` runs it all; ``validate()`` checks the shipped result on seeds
never used to calibrate. Method and results: docs/calibration.md.

``calibrate_bayesian()`` is the Bayesian alternative: a stage-invariant population distribution of
the biology (importance weights of the pool), every target as a likelihood with its published
uncertainty, a Sequential Monte Carlo posterior over the distribution's hyperparameters and an
ensemble of calibrated pools that carries calibration uncertainty into predictions; Sobol indices
and profile likelihoods say what each target pins down (docs/calibration.md, "Bayesian calibration").
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
from ._bayesian import BayesianCalibration, biology_matrix, calibrate_bayesian
from ._ensemble import posterior_draws, prediction_table
from ._likelihood import Target, build_targets, log_likelihood, total_log_likelihood
from ._plausible import plausible_pool
from ._population_model import PopulationModel, kish_ess, stage_invariance
from ._posterior import SMCResult, smc
from ._predict import PoolPredictor, pool_predictor, predict_targets
from ._run import Calibration, calibrate
from ._sensitivity import maximise_likelihood, profile_likelihood, sobol_indices
from ._spec import BayesianSpec, CalibrationSpec, load_calibration_spec
from ._survival_fit import fit_survival
from ._validate import target_table, validate, validation_markdown

__all__ = [
    "BayesianCalibration",
    "BayesianSpec",
    "Calibration",
    "CalibrationSpec",
    "Constraint",
    "PoolPredictor",
    "PopulationModel",
    "SMCResult",
    "Target",
    "Weights",
    "calibrate",
    "fit_survival",
    "biology_matrix",
    "build_targets",
    "calibrate_bayesian",
    "kish_ess",
    "load_calibration_spec",
    "log_likelihood",
    "maximise_likelihood",
    "plausible_pool",
    "pool_predictor",
    "posterior_draws",
    "predict_targets",
    "prediction_table",
    "profile_likelihood",
    "prevalence_weights",
    "quantile_constraint",
    "rate_constraint",
    "ratio_constraint",
    "resample",
    "resample_indexed",
    "resample_one",
    "share_constraint",
    "smc",
    "sobol_indices",
    "stage_invariance",
    "target_table",
    "total_log_likelihood",
    "validate",
    "validation_markdown",
]
