"""Numerical engines: the compiled JAX/diffrax solve and the scipy reference loop."""

from ._cohort import simulate_cohort
from ._cohort_result import CohortResult
from ._inputs import PatientArrays, Schedule, build_schedule, n_slots_for, patient_arrays, population_arrays
from ._options import SolverOptions
from ._result import PatientResult
from ._simulate import SimulationError, simulate_patient

__all__ = [
    "CohortResult",
    "population_arrays",
    "simulate_cohort",
    "PatientArrays",
    "PatientResult",
    "Schedule",
    "SimulationError",
    "SolverOptions",
    "build_schedule",
    "n_slots_for",
    "patient_arrays",
    "simulate_patient",
]
