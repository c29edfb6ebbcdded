"""T-VEC vials, supply forecasts and drug costs from dose records.

``vial_usage(doses)`` counts the 1 mL vials thawed per patient and strength (``usage_summary`` per
arm); ``simulate_courses`` + ``forecast_supply`` forecast a centre's weekly vial needs with bands;
``trial_costs`` prices a trial's arms (cost per patient, per durable responder, incremental cost per
additional durable responder, bootstrap intervals); ``supply_endpoints`` is the per-arm block for a
trial's ``endpoints.json``. Method and assumptions: docs/supply.md.
"""

from ._costs import COST_STREAM, GMCSF_CYCLE, TrialCosts, check_prices, gmcsf_cycles, patient_costs, trial_costs
from ._courses import Courses, courses_from_doses, load_or_simulate_courses, simulate_courses
from ._forecast import SUPPLY_STREAM, SupplyForecast, forecast_supply
from ._trial import supply_endpoints, supply_table
from ._vials import label_strengths, patient_keys, strength_name, usage_summary, vial_usage, visit_vials

__all__ = [
    "COST_STREAM",
    "Courses",
    "GMCSF_CYCLE",
    "SUPPLY_STREAM",
    "SupplyForecast",
    "TrialCosts",
    "check_prices",
    "courses_from_doses",
    "forecast_supply",
    "gmcsf_cycles",
    "label_strengths",
    "load_or_simulate_courses",
    "patient_costs",
    "patient_keys",
    "simulate_courses",
    "strength_name",
    "supply_endpoints",
    "supply_table",
    "trial_costs",
    "usage_summary",
    "vial_usage",
    "visit_vials",
]
