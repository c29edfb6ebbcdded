"""The cohort engine: equals the one-patient path, chunk-size invariant, failures flagged and isolated."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ovsim.engine import population_inputs, simulate_cohort, simulate_patient
from ovsim.engine._simulate import patient_population
from ovsim.population import Population, generate_population, load_population_spec
from ovsim.treatments import parse_regimen

HORIZON, EVERY = 364.0, 28.0


@pytest.fixture(scope="module")
def pop() -> Population:
    """Ten virtual patients with at most 8 lesions (two slot groups: 4 and 8), from the reference spec with
    fewer injectable lesions (the engine's equivalences do not depend on how many a patient has)."""
    spec = load_population_spec()
    few = spec.model_copy(update={"stages": {k: v.model_copy(update={"injectable_mean": 3.0})
                                             for k, v in spec.stages.items()}})
    big = generate_population(40, seed=21, spec=few)
    keep = np.flatnonzero(big.patients.n_lesions.to_numpy() <= 8)[:10]
    return big.subset(keep)


@pytest.fixture(scope="module")
def cohort(pop):
    return simulate_cohort(pop, horizon_days=HORIZON, output_every_days=EVERY, chunk_size=4)


def test_population_inputs_equal_one_patient_inputs(pop):
    model = parse_regimen("tvec+gmcsf").model()
    batched = population_inputs(pop, model, 8)
    for i in range(len(pop)):
        single = population_inputs(patient_population(pop.patient(i)), model, 8)
        assert np.array_equal(single.y0[0], batched.y0[i])
        assert set(single.patient) == set(model.patient_names()) and set(single.lesion) == set(model.lesion_names())
        for name, value in single.patient.items():
            assert value[0] == batched.patient[name][i], name
        for name, value in single.lesion.items():
            assert np.array_equal(value[0], batched.lesion[name][i]), name


def test_batched_equals_one_patient_path(pop, cohort):
    for i in (0, 3, 7):
        single = simulate_patient(pop.patient(i), horizon_days=HORIZON, output_every_days=EVERY)
        d_single = single.lesions.longest_diameter_cm.values
        d_batch = cohort.trajectories.longest_diameter_cm.values[i, :, : d_single.shape[1]]
        np.testing.assert_allclose(d_batch, d_single, rtol=1e-12, atol=1e-12)
        tvec = cohort.doses[cohort.doses.ID == pop.patients.patient_id[i]].reset_index(drop=True)
        cols = ["TIME", "LESION_ID", "VOL_ML", "CONC_PFU_ML", "CMT"]
        pd.testing.assert_frame_equal(tvec[cols], single.doses[cols].reset_index(drop=True))


def test_same_results_whatever_the_chunk_size(pop, cohort):
    other = simulate_cohort(pop, horizon_days=HORIZON, output_every_days=EVERY, chunk_size=16)
    assert np.array_equal(other.trajectories.longest_diameter_cm.values,
                          cohort.trajectories.longest_diameter_cm.values)
    pd.testing.assert_frame_equal(other.status, cohort.status)


def test_named_dimensions_and_provenance(pop, cohort):
    ds = cohort.trajectories
    assert ds.longest_diameter_cm.dims == ("patient", "time", "lesion")
    assert list(ds.patient.values) == list(pop.patients.patient_id)
    assert ds.time_day.values[-1] == HORIZON
    n_les = pop.lesions.groupby("patient_id", sort=False).size().to_numpy()
    assert np.array_equal(ds.has_lesion.values.sum(axis=1), n_les)
    p = cohort.provenance
    assert p["seed"] == 21 and len(p["scenario_sha256"]) == 64 and p["ovsim_version"]
    assert cohort.n_failed == 0 and cohort.status.ok.all()


def test_broken_patient_is_flagged_and_others_unaffected(pop, cohort):
    patients = pop.patients.copy()
    patients.loc[2, "kill_effector_halfsat_cells"] = 0.0  # 0/0 in the killing term at t = 0: non-finite
    broken = Population.from_tables(patients, pop.lesions, pop.provenance)
    res = simulate_cohort(broken, horizon_days=HORIZON, output_every_days=EVERY, chunk_size=4)
    assert res.n_failed == 1
    bad = res.failed.iloc[0]
    assert bad.patient_id == pop.patients.patient_id[2] and "solve failed on day 0" in bad.reason
    assert np.isnan(res.trajectories.longest_diameter_cm.values[2]).all()  # never a silent number
    assert "failed: 1" in res.summary()
    others = np.arange(len(pop)) != 2
    assert np.array_equal(res.trajectories.longest_diameter_cm.values[others],
                          cohort.trajectories.longest_diameter_cm.values[others])
    assert pop.patients.patient_id[2] not in set(res.doses.ID)


def test_streaming_to_disk_matches_memory(tmp_path, pop, cohort):
    res = simulate_cohort(pop, horizon_days=HORIZON, output_every_days=EVERY, chunk_size=4, out_dir=tmp_path)
    assert res.trajectories is None and (tmp_path / "status.parquet").exists()
    disk = res.lesion_frame().sort_values(["lesion_id", "time_day"]).reset_index(drop=True)
    mem = cohort.lesion_frame().sort_values(["lesion_id", "time_day"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(disk, mem)


def test_sharded_over_two_workers_equals_one_process(pop, cohort):
    res = simulate_cohort(pop, horizon_days=HORIZON, output_every_days=EVERY, chunk_size=4, workers=2)
    assert res.provenance["workers"] == 2
    assert np.array_equal(res.trajectories.longest_diameter_cm.values,
                          cohort.trajectories.longest_diameter_cm.values)
    pd.testing.assert_frame_equal(res.status, cohort.status)
    assert len(res.doses) == len(cohort.doses)
