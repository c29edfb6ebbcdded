"""``simulate_patient``: one patient end to end, from lesions and regimen to trajectories and doses."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .. import __version__
from ..model import DAYS_PER_MONTH
from ..population import Patient
from ..regimen import LabelPolicy, combine_records, gmcsf_dose_records, tvec_dose_records
from ._inputs import Regimen, build_schedule, gmcsf_input, patient_arrays
from ._options import SolverOptions
from ._result import PatientResult, build_result


class SimulationError(RuntimeError):
    """The solve of a patient failed (step limit reached or a non-finite state)."""


def simulate_patient(
    patient: Patient,
    regimen: Regimen | Sequence[Regimen] | None = LabelPolicy(),
    *,
    horizon_days: float = 730.0,
    output_every_days: float = 1.0,
    solver: SolverOptions = SolverOptions(),
    backend: str = "jax",
) -> PatientResult:
    """Simulate ``patient`` on ``regimen`` for ``horizon_days`` (days).

    regimen: a :class:`~ovsim.regimen.LabelPolicy` (T-VEC), a :class:`~ovsim.regimen.GmcsfRegimen`,
    both, or ``None`` (no treatment). backend: ``"jax"`` (diffrax, compiled) or ``"scipy"``
    (reference loop, LSODA). Output on a grid every ``output_every_days`` (days), each value taken
    before that day's dose.
    """
    schedule = build_schedule(regimen, horizon_days, output_every_days)
    if schedule.policy is not None and not patient.has_injectable_lesion:
        raise ValueError(
            f"patient {patient.patient_id}: T-VEC needs at least one injectable (cutaneous, subcutaneous "
            "or nodal) lesion"
        )
    arrays = patient_arrays(patient)
    gm = gmcsf_input(schedule, arrays.params)
    policy = (schedule.policy or LabelPolicy()).as_arrays()
    inputs = (arrays.y0, arrays.params, arrays.lesion, arrays.injectable, schedule.boundaries_day,
              schedule.visit_index, gm, policy)
    if backend == "jax":
        from ._jax_backend import compiled_solve

        out = {k: np.asarray(v) for k, v in compiled_solve(solver)(*inputs).items()}
    elif backend == "scipy":
        from ._scipy_backend import solve_reference

        out = solve_reference(*inputs, rtol=solver.rtol, atol=solver.atol, scaled_atol=solver.scaled_atol)
    else:
        raise ValueError(f"backend: expected 'jax' or 'scipy' (got {backend!r})")

    if not bool(out["ok"]):
        k = int(np.argmin(out["segment_ok"]))
        raise SimulationError(
            f"patient {patient.patient_id}: solve failed on day {schedule.boundaries_day[k]:g}-"
            f"{schedule.boundaries_day[k + 1]:g} (step limit {solver.max_steps} or non-finite state)"
        )

    layout = arrays.layout
    n = patient.n_lesions
    starts = schedule.boundaries_day[:-1]
    tvec = tvec_dose_records(
        patient.patient_id, starts, out["volume_ml"][:, :n], out["concentration_pfu_per_ml"],
        [les.lesion_id for les in patient.lesions],
        [layout.cmt(layout.lesion_index(j, "virus_pfu")) for j in range(n)],
    )
    gm_records = gmcsf_dose_records(patient.patient_id, *_gmcsf_days(schedule, arrays.params),
                                    layout.cmt(layout.systemic_index("gmcsf_systemic_ug")))
    provenance = {
        "ovsim_version": __version__,
        "backend": backend,
        "solver": solver.method if backend == "jax" else "LSODA",
        "rtol": solver.rtol,
        "atol": solver.atol,
        "horizon_days": float(horizon_days),
        "steps": int(np.sum(out["steps"])),
    }
    return build_result(
        patient, schedule.time_day, out["states"][schedule.grid_index], arrays.params,
        combine_records(tvec, gm_records), provenance,
    )


def _gmcsf_days(schedule, params) -> tuple[np.ndarray, np.ndarray]:
    """Days and doses (ug) of daily GM-CSF within the horizon (none without a GM-CSF regimen)."""
    if schedule.gmcsf is None:
        return np.zeros(0), np.zeros(0)
    return schedule.gmcsf.daily_doses_ug(schedule.boundaries_day[-1], params["bsa_m2"], DAYS_PER_MONTH)
