"""libRoadRunner (CVODE) as a peer: each patient's SBML document (``ovsim.io.patient_sbml``) with the doses
ovsim recorded for it replayed as SBML events, simulated at given tolerances; diameters read back (cm).

The logic is that of ``tests/test_sbml.py`` (``roadrunner_for``, ``replay``), copied here: benchmarks do not
import tests. RoadRunner does not run ovsim's dosing policy: it replays dose records made by an ovsim run.
"""

from __future__ import annotations

import time

import numpy as np


def roadrunner_for(text: str, patient, model, rtol: float, atol: float, stiff: bool = False,
                   max_steps: int = 200_000):
    """A RoadRunner on ``text`` with CVODE (Adams if not ``stiff``, else BDF), relative tolerance ``rtol`` and
    absolute tolerance ``atol x scale`` per state (as ovsim's scaled atol)."""
    import roadrunner

    rr = roadrunner.RoadRunner(text)
    set_tolerances(rr, patient, model, rtol, atol, stiff, max_steps)
    return rr


def set_tolerances(rr, patient, model, rtol: float, atol: float, stiff: bool = False,
                   max_steps: int = 200_000) -> None:
    """CVODE settings of a loaded RoadRunner (see :func:`roadrunner_for`); call ``rr.resetAll()`` to rerun."""
    from ovsim.io._sbml import sbml_id

    integrator = rr.getIntegrator()
    if integrator.getName() != "cvode":
        raise RuntimeError(f"roadrunner: expected the cvode integrator (got {integrator.getName()})")
    integrator.setValue("stiff", bool(stiff))
    integrator.setValue("relative_tolerance", float(rtol))
    integrator.setValue("maximum_num_steps", int(max_steps))
    scale = {s.name: s.scale for s in model.systemic_states}
    scale |= {f"{sbml_id(les.lesion_id)}_{s.name}": s.scale for les in patient.lesions for s in model.lesion_states}
    symbols = list(rr.model.getRateRuleSymbols())
    if sorted(symbols) != sorted(scale):
        raise RuntimeError("roadrunner: the document's rate rules are not the model's states")
    for sid in symbols:
        integrator.setIndividualTolerance(sid, float(atol) * scale[sid])


def diameter_ids(patient) -> list[str]:
    from ovsim.io._sbml import sbml_id

    return [f"{sbml_id(les.lesion_id)}_longest_diameter_cm" for les in patient.lesions]


def replay_patient(patient, regimen, doses, times, horizon_days: float, rtol: float, atol: float,
                   stiff: bool = False) -> dict:
    """One patient: {"load_s": export + load (s), "simulate_s": (s), "diameters": (time, lesion) cm or NaN if
    CVODE failed, "error": '' or the message}. ``doses``: that patient's dose records (NONMEM columns)."""
    from ovsim.io import patient_sbml

    t0 = time.perf_counter()
    text = patient_sbml(patient, regimen, doses, horizon_days)
    rr = roadrunner_for(text, patient, regimen.model(), rtol, atol, stiff)
    t1 = time.perf_counter()
    err = ""
    try:
        out = np.asarray(rr.simulate(times=[float(t) for t in times], selections=["time", *diameter_ids(patient)]))
        diam = out[:, 1:]
    except RuntimeError as e:  # CV_TOO_MUCH_WORK and the like: a failed patient, flagged
        diam = np.full((len(times), patient.n_lesions), np.nan)
        err = str(e).splitlines()[0][:200]
    t2 = time.perf_counter()
    return {"load_s": t1 - t0, "simulate_s": t2 - t1, "diameters": diam, "error": err}


def replay_cohort(pop, k: int, regimen, doses, times, horizon_days: float, rtol: float, atol: float,
                  stiff: bool = False) -> dict:
    """The first ``k`` patients of ``pop`` one after another: summed load and simulate times (s), the first
    patient's load + simulate (s), diameters per patient, failures."""
    by_id = {pid: d for pid, d in doses.groupby("ID", sort=False)}
    load = sim = 0.0
    first = None
    diameters, failed = [], []
    for i in range(k):
        p = pop.patient(i)
        d = by_id.get(p.patient_id, doses.iloc[0:0])
        r = replay_patient(p, regimen, d.reset_index(drop=True), times, horizon_days, rtol, atol, stiff)
        load, sim = load + r["load_s"], sim + r["simulate_s"]
        first = r["load_s"] + r["simulate_s"] if first is None else first
        diameters.append(r["diameters"])
        if r["error"]:
            failed.append(f"{p.patient_id}: {r['error']}")
    return {"load_seconds": load, "simulate_seconds": sim, "first_patient_seconds": first or 0.0,
            "diameters": diameters, "failed": failed}
