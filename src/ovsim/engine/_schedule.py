"""The integration schedule of a regimen: segments, visits, and the dose arrays of scheduled treatments.

Segments are the sorted union of the output grid, the policy's visit days and every scheduled
treatment's event days. Each backend integrates segment by segment; at a segment start it adds the
scheduled boluses and, at a visit, applies the state-dependent policy; over the segment the
zero-order inputs are constant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._read import MAX_HORIZON_DAYS, MAX_OUTPUT_POINTS, MAX_SEGMENTS  # noqa: F401 - one set of caps (ovsim._read)
from ..model import ModelDefinition
from ..treatments import PolicyDosing, Regimen, ScheduledDosing, Treatment
from ._inputs import PatientInputs


@dataclass(frozen=True)
class Schedule:
    """Segment boundaries and what happens at each segment start (numpy arrays)."""

    boundaries_day: np.ndarray
    """(S+1,) days, from 0 to the horizon."""
    visit_index: np.ndarray
    """(S,) int: 0-based scheduled policy visit at the segment start, -1 if none."""
    grid_index: np.ndarray
    """(G,) positions of the output-grid times in ``boundaries_day``."""
    regimen: Regimen
    policy: tuple[Treatment, PolicyDosing] | None
    scheduled: tuple[tuple[Treatment, ScheduledDosing], ...]

    @property
    def n_segments(self) -> int:
        """Number of integration segments S."""
        return len(self.boundaries_day) - 1

    @property
    def time_day(self) -> np.ndarray:
        """Output grid (days)."""
        return self.boundaries_day[self.grid_index]

    @property
    def starts_day(self) -> np.ndarray:
        """(S,) segment starts (days)."""
        return self.boundaries_day[:-1]

    @property
    def horizon_days(self) -> float:
        return float(self.boundaries_day[-1])


def build_schedule(regimen: Regimen, horizon_days: float, output_every_days: float) -> Schedule:
    """The segments of ``regimen`` over ``[0, horizon_days]`` with output every ``output_every_days``."""
    if not (math.isfinite(horizon_days) and 0 < horizon_days <= MAX_HORIZON_DAYS):
        raise ValueError(f"horizon_days: expected a number in (0, {MAX_HORIZON_DAYS:g}] (got {horizon_days!r})")
    if not (math.isfinite(output_every_days) and 0 < output_every_days <= horizon_days):
        raise ValueError(f"output_every_days: expected 0 < value <= horizon_days (got {output_every_days!r})")
    if horizon_days / output_every_days > MAX_OUTPUT_POINTS:
        raise ValueError(f"output_every_days: expected at most {MAX_OUTPUT_POINTS:,} output times over the horizon "
                         f"(horizon_days / output_every_days; got {horizon_days / output_every_days:.3g})")
    policy = regimen.policy()
    scheduled = tuple(regimen.scheduled())
    grid = np.unique(np.append(np.arange(0.0, horizon_days, output_every_days), horizon_days))
    visits = policy[1].visit_days(horizon_days) if policy is not None else np.zeros(0)
    events = [d.event_days(horizon_days) for _, d in scheduled]
    bounds = np.unique(np.round(np.concatenate([grid, visits, *events]), 9))
    bounds = bounds[(bounds >= 0) & (bounds <= horizon_days)]
    if len(bounds) > MAX_SEGMENTS:
        raise ValueError(f"regimen: expected at most {MAX_SEGMENTS:,} dose events and output times together "
                         f"(got {len(bounds):,})")
    starts = bounds[:-1]
    visit_index = np.full(len(starts), -1, dtype=np.int64)
    visits = np.round(visits[visits < horizon_days], 9)
    visit_index[np.searchsorted(starts, visits)] = np.arange(len(visits))
    return Schedule(bounds, visit_index, np.searchsorted(bounds, np.round(grid, 9)), regimen, policy, scheduled)


def dose_arrays(schedule: Schedule, model: ModelDefinition, inputs: PatientInputs) -> tuple[np.ndarray, np.ndarray]:
    """(bolus (B, S, n_state), rate (B, S, n_state)) of the scheduled treatments for these patients.

    Amounts are in each target state's units (bolus) and units per day (rate).
    """
    b, s = inputs.y0.shape[0], schedule.n_segments
    n_state = model.size(inputs.n_slots)
    bolus = np.zeros((b, s, n_state))
    rate = np.zeros((b, s, n_state))
    values = {**inputs.patient}
    for treatment, dosing in schedule.scheduled:
        if model.states[dosing.target].level != "systemic":
            raise ValueError(f"treatment {treatment.name}: scheduled doses go into a systemic state "
                             f"(got lesion state {dosing.target!r})")
        k = model.index(dosing.target, inputs.n_slots)
        add_bolus, add_rate = dosing.amounts(schedule.starts_day, values)
        bolus[:, :, k] += add_bolus
        rate[:, :, k] += add_rate
    return bolus, rate
