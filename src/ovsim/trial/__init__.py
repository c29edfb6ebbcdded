"""Virtual trials: scenario files, the trial run, endpoints and their statistics.

``run_trial(load_scenario())`` runs the reference OPTiM trial: each arm's virtual patients are
simulated on its regimen, measured and assessed (``ovsim.assess``), given a survival time by a
joint model of their tumour burden and death, and summarised into endpoints with exact intervals, Kaplan-Meier and Cox
statistics, by arm and by subgroup (stage, EU indication, HSV-1 serostatus). Every endpoint is marked
a "calibration target" or a "prediction" (``endpoints.json -> roles``, :func:`endpoint_roles`);
:func:`prediction_table` gives the predictions' intervals over many runs (:func:`prediction_runs`).
"""

from ._decision import Condition, meets, parse_rule, rule_text
from ._design import Vary, apply_point, design_points, parse_vary, run_design
from ._endpoints import BOR_CATEGORIES, LANDMARK_MONTHS, STAGE_GROUPS, arm_endpoints, trial_endpoints
from ._prediction_runs import PREDICTION_SEED_BASE, RESERVED_SEEDS, ensemble_members, prediction_runs, prediction_seeds
from ._predictions import endpoint_value, prediction_table, predictions_markdown
from ._replicate_stats import probability_of_success
from ._replicates import ReplicateResult, derived_seed, replicate_seed, run_replicates
from ._result import TrialResult, published_targets
from ._run import assess_arms, draw_arms, reference_output_dir, run_trial, simulate_arms
from ._roles import PREDICTION, TARGET, endpoint_paths, endpoint_roles, scenario_targets, target_paths
from ._scenario import TrialScenario, load_scenario
from ._shipped import shipped_scenario_path, shipped_scenarios
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
from ._subgroups import EU_INDICATION, SUBGROUP_FAMILIES
from ._survival import Hazard, censor, death_months, hazard, survival_draws, survival_function
from ._survival_burden import BurdenCourse, burden_course, total_volume_cm3
from ._survival_spec import SurvivalModel, calibrated_survival_model

__all__ = [
    "run_replicates",
    "replicate_seed",
    "derived_seed",
    "ReplicateResult",
    "probability_of_success",
    "run_design",
    "parse_vary",
    "design_points",
    "apply_point",
    "Vary",
    "rule_text",
    "parse_rule",
    "meets",
    "Condition",
    "BOR_CATEGORIES",
    "BurdenCourse",
    "Hazard",
    "Comparison",
    "CoxFit",
    "EU_INDICATION",
    "KaplanMeier",
    "LANDMARK_MONTHS",
    "LogRank",
    "PREDICTION",
    "PREDICTION_SEED_BASE",
    "RESERVED_SEEDS",
    "Rate",
    "STAGE_GROUPS",
    "SUBGROUP_FAMILIES",
    "SurvivalModel",
    "TARGET",
    "TrialResult",
    "TrialScenario",
    "arm_endpoints",
    "assess_arms",
    "burden_course",
    "calibrated_survival_model",
    "censor",
    "cox_ph",
    "death_months",
    "draw_arms",
    "endpoint_paths",
    "endpoint_roles",
    "endpoint_value",
    "ensemble_members",
    "fisher_exact",
    "fit_growth_rate",
    "hazard",
    "hazard_ratio",
    "kaplan_meier",
    "landmark_survival",
    "load_scenario",
    "shipped_scenario_path",
    "shipped_scenarios",
    "logrank",
    "odds_ratio",
    "prediction_runs",
    "prediction_seeds",
    "prediction_table",
    "predictions_markdown",
    "published_targets",
    "rate",
    "rate_difference",
    "rate_of",
    "reference_output_dir",
    "relative_risk",
    "run_trial",
    "scenario_targets",
    "simulate_arms",
    "survival_draws",
    "survival_function",
    "target_paths",
    "total_volume_cm3",
    "trial_endpoints",
]
