"""``simulate_patient``: one patient end to end, from lesions and regimen to trajectories and doses."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import __version__
from ..population import Patient, Population
from ..treatments import Regimen
from ._backend import Backend, resolve_backend
from ._batch import make_batch
from ._cohort import as_regimen
from ._inputs import n_slots_for
from ._options import SolverOptions
from ._result import PatientResult, build_result
from ._schedule import build_schedule
from ._tables import patient_records


class SimulationError(RuntimeError):
    """The solve of a patient failed (step limit reached or a non-finite state)."""


def patient_population(patient: Patient) -> Population:
    """A population of one: the patient's covariates, parameter overrides and lesions as tables."""
    row = {"patient_id": patient.patient_id, "hsv1_seropositive": patient.hsv1_seropositive,
           "bsa_m2": patient.bsa_m2, "weight_kg": patient.weight_kg, **dict(patient.parameters)}
    lesions = [
        {"patient_id": patient.patient_id, "lesion_id": les.lesion_id, "site": les.site.value,
         "longest_diameter_cm": les.longest_diameter_cm,
         "accessibility": np.nan if les.accessibility is None else les.accessibility,
         "doubling_time_days": np.nan if les.doubling_time_days is None else les.doubling_time_days,
         "injection_intent": les.injection_intent,
         "immune_infiltration": np.nan if les.immune_infiltration is None else les.immune_infiltration}
        for les in patient.lesions
    ]
    return Population.from_records([row], lesions, {})


def simulate_patient(
    patient: Patient,
    regimen: Regimen | Any = "tvec",
    *,
    horizon_days: float = 730.0,
    output_every_days: float = 1.0,
    solver: SolverOptions = SolverOptions(),
    backend: str | Backend = "auto",
) -> PatientResult:
    """Simulate ``patient`` on ``regimen`` for ``horizon_days`` (days).

    regimen: a :class:`~ovsim.treatments.Regimen`, a mapping ``{treatment: options}`` (``{"tvec": "optim",
    "gmcsf": {}}``), a name (``"tvec"``, ``"tvec+gmcsf"``) or ``None`` (untreated). backend: ``auto`` (the
    fastest that runs the regimen: ``numba``, else ``jax``), ``jax`` (diffrax, differentiable), ``scipy``
    (reference loop, LSODA) or a registered backend. Output on a grid every
    ``output_every_days`` (days), each value taken before that day's dose. Raises :class:`SimulationError`
    if the solve fails.
    """
    regimen = as_regimen(regimen)
    engine = resolve_backend(backend, regimen)
    model = regimen.model()
    schedule = build_schedule(regimen, horizon_days, output_every_days)
    pop = patient_population(patient)
    if schedule.policy is not None:
        why = schedule.policy[1].check_patient(np.array(patient.injectable_mask))
        if why:
            raise ValueError(f"patient {patient.patient_id}: {why}")
    batch, inputs = make_batch(pop, model, schedule, n_slots_for(patient.n_lesions))
    raw = engine.solve(batch, solver)
    if not bool(raw.ok[0]):
        k = int(np.argmin(raw.segment_ok[0]))
        raise SimulationError(
            f"patient {patient.patient_id}: solve failed on day {schedule.boundaries_day[k]:g}-"
            f"{schedule.boundaries_day[k + 1]:g} (step limit {solver.max_steps} or non-finite state)"
        )
    doses = patient_records(schedule, model, inputs, raw, 0, patient.patient_id,
                            [les.lesion_id for les in patient.lesions])
    provenance = {
        "ovsim_version": __version__,
        "backend": engine.name,
        "solver": solver.method if engine.name == "jax" else engine.name,
        "rtol": solver.rtol,
        "atol": solver.atol,
        "horizon_days": float(horizon_days),
        "regimen": regimen.to_dict(),
        "steps": int(np.sum(raw.steps)),
    }
    return build_result(patient, model, schedule.time_day, raw.states[0],
                        float(inputs.patient["tumour_cell_density"][0]), doses, provenance)
