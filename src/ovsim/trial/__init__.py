"""Virtual trials: scenario files, the trial run, endpoints and their statistics.

``run_trial(load_scenario())`` runs the reference OPTiM trial: each arm's virtual patients are
simulated on its regimen, measured and assessed (``ovsim.assess``), given a survival time by a
joint model of their tumour burden and death, and summarised into endpoints with exact intervals, Kaplan-Meier and Cox
statistics, by arm and by stage.
"""

from ._endpoints import LANDMARK_MONTHS, STAGE_GROUPS, arm_endpoints, trial_endpoints
from ._result import TrialResult, published_targets
from ._run import assess_arms, draw_arms, reference_output_dir, run_trial, simulate_arms
from ._scenario import TrialScenario, load_scenario
from ._stats_binomial import Comparison, Rate, fisher_exact, odds_ratio, rate, rate_difference, rate_of, relative_risk
from ._stats_survival import (
    CoxFit,
    KaplanMeier,
    LogRank,
    cox_ph,
    hazard_ratio,
    kaplan_meier,
    landmark_survival,
    logrank,
)
from ._stein import fit_growth_rate
from ._survival import Hazard, censor, death_months, hazard, survival_draws, survival_function
from ._survival_burden import BurdenCourse, burden_course, total_volume_cm3
from ._survival_spec import SurvivalModel, calibrated_survival_model

__all__ = [
    "BurdenCourse",
    "Hazard",
    "Comparison",
    "CoxFit",
    "KaplanMeier",
    "LANDMARK_MONTHS",
    "LogRank",
    "Rate",
    "STAGE_GROUPS",
    "SurvivalModel",
    "calibrated_survival_model",
    "TrialResult",
    "TrialScenario",
    "arm_endpoints",
    "assess_arms",
    "burden_course",
    "censor",
    "cox_ph",
    "death_months",
    "draw_arms",
    "fisher_exact",
    "fit_growth_rate",
    "hazard",
    "hazard_ratio",
    "kaplan_meier",
    "landmark_survival",
    "load_scenario",
    "logrank",
    "odds_ratio",
    "published_targets",
    "rate",
    "rate_difference",
    "rate_of",
    "reference_output_dir",
    "relative_risk",
    "run_trial",
    "simulate_arms",
    "survival_draws",
    "survival_function",
    "total_volume_cm3",
    "trial_endpoints",
]
