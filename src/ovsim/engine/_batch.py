"""Assemble a backend's batch: the population's model inputs plus the schedule's dose arrays."""

from __future__ import annotations

from ..model import ModelDefinition
from ..population import Population
from ._backend import BatchInputs
from ._inputs import PatientInputs, population_inputs
from ._schedule import Schedule, dose_arrays


def make_batch(population: Population, model: ModelDefinition, schedule: Schedule,
               n_slots: int) -> tuple[BatchInputs, PatientInputs]:
    """The batch of ``population`` (every patient, ``n_slots`` lesion slots) and its model inputs."""
    inputs = population_inputs(population, model, n_slots)
    if schedule.policy is not None:
        treatment, dosing = schedule.policy
        for i in range(len(population)):
            why = dosing.check_patient(inputs.injectable[i])
            if why:
                raise ValueError(f"population: patient {population.patients['patient_id'].iloc[i]}: {why}")
    bolus, rate = dose_arrays(schedule, model, inputs)
    batch = BatchInputs(
        model=model, y0=inputs.y0, patient=inputs.patient, lesion=inputs.lesion, injectable=inputs.injectable,
        boundaries_day=schedule.boundaries_day, visit_index=schedule.visit_index, bolus=bolus, rate=rate,
        grid_index=schedule.grid_index, policy=None if schedule.policy is None else schedule.policy[1],
    )
    return batch, inputs
