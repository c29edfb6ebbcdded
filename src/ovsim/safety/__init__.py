"""Safety: adverse events of T-VEC in virtual patients (per-visit hazards calibrated to the label).

The model: :mod:`._events`; calibration of the base rates: :mod:`._calibrate`; per-patient draws from
their own random stream: :mod:`._draw`. docs/safety.md documents every assumption and source.
"""

from ._calibrate import expected_incidence, fit_rates
from ._draw import STREAM, draw_adverse_events, patient_exposure
from ._events import AdverseEvent, EventClass, SafetyModel, exposures, load_safety_model, visit_table

__all__ = [
    "AdverseEvent",
    "EventClass",
    "STREAM",
    "SafetyModel",
    "draw_adverse_events",
    "expected_incidence",
    "exposures",
    "fit_rates",
    "load_safety_model",
    "patient_exposure",
    "visit_table",
]
