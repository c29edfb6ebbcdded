"""The backend conformance suite: every backend must pass every check (like scikit-learn's estimator_checks).

``check_backend(backend)`` runs them all; ``BACKEND_CHECKS`` lists them by name so a test suite can
parametrise over (backend, check). A check raises ``AssertionError`` naming what failed. They cover:
declared capabilities; an exactly solvable reference (untreated logistic growth); a mechanistic
reference patient on T-VEC against a tight-tolerance implicit solve; scheduled zero-order dosing
against its analytic solution; the label's dose records; failure flagging and isolation; invariance
under chunking and sharding.
"""

from __future__ import annotations

import functools
import math
from typing import Callable

import numpy as np
import pandas as pd

from ..engine import DENSE_OUTPUT, DIFFERENTIABLE, GPU, Backend, ScipyBackend, SolverOptions, get_backend
from ..engine import simulate_cohort, simulate_patient
from ..model import cells_from_diameter_cm
from ..population import Lesion, Patient, Population, generate_population
from ..treatments import model_for

HORIZON_DAYS, EVERY_DAYS = 364.0, 7.0
"""Simulated time and output grid of the checks (days)."""
ACCURATE = SolverOptions(rtol=1e-8, atol=1e-8)
"""Tolerances of the accuracy checks: every backend must reach the stated errors at these settings."""


def reference_patient(**overrides: float) -> Patient:
    """Three injectable lesions and one lung metastasis (4 lesion slots)."""
    return Patient("REF", (Lesion("C1", "cutaneous", 2.0), Lesion("S1", "subcutaneous", 1.2),
                           Lesion("N1", "nodal", 3.0, accessibility=0.06), Lesion("P1", "lung", 1.5)),
                   parameters=overrides)


@functools.cache
def _reference_solution():
    """The reference patient on T-VEC, solved by scipy's implicit Radau IIA at rtol 1e-10 (cached)."""
    return simulate_patient(reference_patient(), "tvec", horizon_days=HORIZON_DAYS, output_every_days=EVERY_DAYS,
                            solver=SolverOptions(rtol=1e-10, atol=1e-10), backend=ScipyBackend("Radau"))


@functools.cache
def _small_population() -> Population:
    """Six virtual patients of at most 8 lesions (two slot groups)."""
    big = generate_population(30, seed=11)
    return big.subset(np.flatnonzero(big.patients.n_lesions.to_numpy() <= 8)[:6])


def _cohort(backend: Backend, population: Population, **kw):
    return simulate_cohort(population, "tvec", horizon_days=HORIZON_DAYS / 2, output_every_days=28.0,
                           backend=backend, **kw)


def check_declares_capabilities(backend: Backend) -> None:
    assert isinstance(backend.name, str) and backend.name, "a backend has a name"
    assert set(backend.capabilities) <= {DIFFERENTIABLE, GPU, DENSE_OUTPUT}, backend.capabilities
    assert isinstance(backend.device(), str) and backend.device()


def check_untreated_growth_is_exact(backend: Backend) -> None:
    """No virus, no killing: every lesion follows the logistic solution (relative error < 1e-6 at rtol 1e-8)."""
    p = reference_patient(kill_rate=0.0)
    r = simulate_patient(p, None, horizon_days=HORIZON_DAYS, output_every_days=EVERY_DAYS, backend=backend,
                         solver=ACCURATE)
    t = r.lesions.time_day.values
    cells0 = cells_from_diameter_cm(np.array([2.0, 1.2, 3.0, 1.5]), p.parameter("tumour_cell_density"))
    rate = math.log(2) / p.parameter("doubling_time_days")
    k = p.parameter("carrying_capacity_cells")
    exact = k / (1 + (k / cells0[None, :] - 1) * np.exp(-rate * t[:, None]))
    err = np.max(np.abs(r.lesions.tumour_cells.values / exact - 1))
    assert err < 1e-6, f"untreated growth off by {err:.2e} (relative)"


def check_reference_patient(backend: Backend) -> None:
    """T-VEC on the label at rtol 1e-8: diameters within 1e-5 cm of a Radau solve at rtol 1e-10; the same doses."""
    ref = _reference_solution()
    r = simulate_patient(reference_patient(), "tvec", horizon_days=HORIZON_DAYS, output_every_days=EVERY_DAYS,
                         backend=backend, solver=ACCURATE)
    err = np.max(np.abs(r.lesions.longest_diameter_cm.values - ref.lesions.longest_diameter_cm.values))
    assert err < 1e-5, f"diameters off the reference by {err:.2e} cm"
    cols = ["TIME", "LESION_ID", "VOL_ML", "CONC_PFU_ML", "AMT", "CMT", "DRUG"]
    pd.testing.assert_frame_equal(r.doses[cols].reset_index(drop=True), ref.doses[cols].reset_index(drop=True))


def check_label_dose_records(backend: Backend) -> None:
    """Visits on days 0, 21, 35, ...; 1e6 then 1e8 PFU/mL; at most 4 mL; lungs never; CMT = virus compartments."""
    r = simulate_patient(reference_patient(), "tvec", horizon_days=HORIZON_DAYS, output_every_days=EVERY_DAYS,
                         backend=backend)
    d = r.doses
    assert sorted(d.TIME.unique())[:4] == [0.0, 21.0, 35.0, 49.0]
    assert set(d[d.TIME == 0].CONC_PFU_ML) == {1e6} and set(d[d.TIME > 0].CONC_PFU_ML) == {1e8}
    assert d.groupby("TIME").VOL_ML.sum().max() <= 4.0 + 1e-12
    assert "P1" not in set(d.LESION_ID) and set(d.AMT_UNIT) == {"PFU"}
    model = model_for(("tvec",))
    virus = {model.index("virus_pfu", 4, j) + 1 for j in range(3)}  # 1-based CMT of lesions 1-3's free virus
    assert set(d.CMT) == virus, f"CMT: expected the virus compartments {sorted(virus)} of lesions 1-3"
    assert d[d.TIME == 0].set_index("LESION_ID").VOL_ML.to_dict() == {"N1": 2.0, "C1": 1.0, "S1": 0.5}


def check_scheduled_zero_order_input(backend: Backend) -> None:
    """GM-CSF 125 ug/m^2/day: G_s(t) = R/k (1 - e^{-kt}) while dosed; nothing left a week after a cycle's doses."""
    p = reference_patient()
    r = simulate_patient(p, {"gmcsf": {}}, horizon_days=HORIZON_DAYS, output_every_days=EVERY_DAYS, backend=backend)
    k = p.parameter("gmcsf_clearance_rate")
    rate = 125.0 * p.bsa_m2
    g = r.systemic.gmcsf_systemic_ug.values
    t = r.systemic.time_day.values
    exact = rate / k * (1 - np.exp(-k * t[1]))
    assert abs(g[1] / exact - 1) < 1e-4, f"G_s on day 7: {g[1]:.6g} vs {exact:.6g} ug"
    assert np.all(g[np.mod(t, 28) == 21] < 1e-3)
    d = r.doses
    assert set(d.DRUG) == {"GMCSF"} and len(d) == 14 * 13 and np.allclose(d.AMT, rate) and np.allclose(d.RATE, rate)


def check_failure_flagged_and_isolated(backend: Backend) -> None:
    """A patient whose solve fails is flagged with a reason, NaN, without doses; the others are untouched."""
    pop = _small_population()
    patients = pop.patients.copy()
    patients.loc[1, "kill_effector_halfsat_cells"] = 0.0  # 0/0 in the killing term at t = 0: non-finite
    broken = Population.from_tables(patients, pop.lesions, pop.provenance)
    res = _cohort(backend, broken, chunk_size=4)
    good = _cohort(backend, pop, chunk_size=4)
    assert res.n_failed == 1 and res.failed.iloc[0].patient_id == pop.patients.patient_id[1]
    assert "solve failed on day 0" in res.failed.iloc[0].reason
    d = res.trajectories.longest_diameter_cm.values
    assert np.isnan(d[1]).all(), "a failed patient is NaN, never a silent number"
    others = np.arange(len(pop)) != 1
    assert np.array_equal(d[others], good.trajectories.longest_diameter_cm.values[others])
    assert pop.patients.patient_id[1] not in set(res.doses.ID)


def check_chunk_invariance(backend: Backend) -> None:
    """The same numbers, bit for bit, whatever the chunk size."""
    pop = _small_population()
    a, b = _cohort(backend, pop, chunk_size=2), _cohort(backend, pop, chunk_size=8)
    assert np.array_equal(a.trajectories.longest_diameter_cm.values, b.trajectories.longest_diameter_cm.values)
    pd.testing.assert_frame_equal(a.status, b.status)
    pd.testing.assert_frame_equal(a.doses, b.doses)


def check_shard_invariance(backend: Backend) -> None:
    """The same numbers, bit for bit, over two worker processes as in one."""
    pop = _small_population()
    a, b = _cohort(backend, pop, chunk_size=4), _cohort(backend, pop, chunk_size=4, workers=2)
    assert b.provenance["workers"] == 2
    assert np.array_equal(a.trajectories.longest_diameter_cm.values, b.trajectories.longest_diameter_cm.values)
    pd.testing.assert_frame_equal(a.status, b.status)
    pd.testing.assert_frame_equal(a.doses, b.doses)


BACKEND_CHECKS: dict[str, Callable[[Backend], None]] = {
    f.__name__.removeprefix("check_"): f
    for f in (check_declares_capabilities, check_untreated_growth_is_exact, check_reference_patient,
              check_label_dose_records, check_scheduled_zero_order_input, check_failure_flagged_and_isolated,
              check_chunk_invariance, check_shard_invariance)
}
"""Every conformance check by name."""


def check_backend(backend: str | Backend) -> None:
    """Run every conformance check on ``backend`` (raises ``AssertionError`` at the first failure)."""
    engine = get_backend(backend)
    for check in BACKEND_CHECKS.values():
        check(engine)
