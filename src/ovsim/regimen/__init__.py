"""Dosing: the Imlygic label policy, the GM-CSF comparator, injection plans and dose records."""

from ._gmcsf import GmcsfRegimen

from ._label import (
    LabelFacts,
    allocate_volumes_ml,
    injection_order,
    label_volume_ml,
    load_label,
    strength_pfu_per_ml,
    vials_to_thaw,
    visit_days,
)
from ._handling import PrepTimeline, StorageLimits, VialResult, check_handling, load_storage_limits, prep_timeline
from ._plan import PlanInputError, VisitPlan, plan_visit, read_lesion_csv
from ._policy import RESEARCH_FIELDS, LabelPolicy, PolicyState, policy_init, policy_step
from ._records import COLUMNS as DOSE_RECORD_COLUMNS
from ._records import combine_records, gmcsf_dose_records, tvec_dose_records

__all__ = [
    "PrepTimeline",
    "StorageLimits",
    "VialResult",
    "check_handling",
    "load_storage_limits",
    "prep_timeline",
    "DOSE_RECORD_COLUMNS",
    "GmcsfRegimen",
    "LabelPolicy",
    "PolicyState",
    "combine_records",
    "gmcsf_dose_records",
    "policy_init",
    "policy_step",
    "tvec_dose_records",
    "LabelFacts",
    "PlanInputError",
    "VisitPlan",
    "allocate_volumes_ml",
    "injection_order",
    "label_volume_ml",
    "load_label",
    "plan_visit",
    "read_lesion_csv",
    "strength_pfu_per_ml",
    "vials_to_thaw",
    "visit_days",
    "RESEARCH_FIELDS",
]
