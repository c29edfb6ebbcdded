"""Numerical engines: backends behind one protocol, a backend-agnostic cohort runner, patient results."""

from ._backend import (
    DENSE_OUTPUT,
    DIFFERENTIABLE,
    GPU,
    Backend,
    BatchInputs,
    RawSolution,
    backend_names,
    get_backend,
    register_backend,
)
from ._batch import make_batch
from ._cohort import as_regimen, simulate_cohort
from ._cohort_result import CohortResult
from ._dask import DaskConnectError, dask_session, local_cluster, scheduler_label, simulate_dask
from ._dose_response import single_lesion_dose_response
from ._inputs import PatientInputs, n_slots_for, population_inputs
from ._jax_backend import JaxBackend
from .kernel import CudaBackend, NumbaBackend, cuda_gpu_available
from ._options import SolverOptions
from ._result import PatientResult
from ._schedule import Schedule, build_schedule, dose_arrays
from ._scipy_backend import ScipyBackend
from ._simulate import SimulationError, simulate_patient

register_backend(JaxBackend())
register_backend(ScipyBackend())
for _method in ("tsit5", "ros34pw2", "ros34pw2-diagonal"):
    register_backend(NumbaBackend(_method))
if cuda_gpu_available():  # a real GPU only (never the simulator); numba.cuda is imported only if a driver is there
    for _method in ("tsit5", "ros34pw2", "ros34pw2-diagonal"):
        register_backend(CudaBackend(_method))

__all__ = [
    "Backend",
    "BatchInputs",
    "CohortResult",
    "DENSE_OUTPUT",
    "DaskConnectError",
    "CudaBackend",
    "DIFFERENTIABLE",
    "GPU",
    "JaxBackend",
    "NumbaBackend",
    "PatientInputs",
    "PatientResult",
    "RawSolution",
    "Schedule",
    "ScipyBackend",
    "SimulationError",
    "SolverOptions",
    "as_regimen",
    "backend_names",
    "build_schedule",
    "dask_session",
    "dose_arrays",
    "get_backend",
    "local_cluster",
    "make_batch",
    "n_slots_for",
    "population_inputs",
    "register_backend",
    "scheduler_label",
    "simulate_cohort",
    "simulate_dask",
    "simulate_patient",
    "single_lesion_dose_response",
]
