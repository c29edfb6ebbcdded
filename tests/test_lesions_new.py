"""New lesions count in the trial's lesion-level outcomes and the calibration features, as OPTiM counted
them (Andtbacka et al. Ann Surg Oncol 2016;23:4169): each followed from its first measurement."""

from __future__ import annotations

import pandas as pd
import pytest

from ovsim.population import Population, generate_population
from ovsim.trial import load_scenario, run_trial

NEW_ID = "VP0000000-O99"


@pytest.fixture(scope="module")
def pop():
    """Two reference patients; patient 0 also carries an unseen lung deposit that grows fast (doubling 8 d)."""
    base = generate_population(2, seed=1)
    les = base.lesions[~base.lesions.lesion_id.str.contains("-O")]  # drop the random occult deposits
    extra = pd.DataFrame([{"patient_id": "VP0000000", "lesion_id": NEW_ID, "site": "lung",
                           "longest_diameter_cm": 0.15, "doubling_time_days": 8.0, "accessibility": 0.1,
                           "injection_intent": False}])
    les = pd.concat([les, extra], ignore_index=True)
    patients = base.patients.copy()
    patients["n_lesions"] = les.groupby("patient_id").size().reindex(patients.patient_id).to_numpy()
    patients["n_occult"] = [1, 0]
    return Population.from_tables(patients, les, base.provenance)


@pytest.fixture(scope="module")
def trial(pop):
    return run_trial(load_scenario(), seed=3, population=pop)


def test_lesion_table_includes_the_new_lesion(trial):
    les = trial.lesions[trial.lesions.lesion_id == NEW_ID]
    assert len(les) == 2  # one row per arm (the population is treated on every arm)
    assert les.new_lesion.all() and (les.first_seen_day > 0).all()
    assert (les.category == "uninjected_visceral").all()
    baseline = trial.lesions[~trial.lesions.new_lesion]
    assert len(baseline) > 0 and (baseline.first_seen_day == 0).all()


def test_endpoints_say_how_many_lesions_are_new(trial):
    for arm in ("tvec", "gmcsf"):
        level = trial.endpoints["arms"][arm]["lesion_level"]["uninjected_visceral"]
        assert level["n_new_lesions"] >= 1
        assert level["n_lesions"] == level["decrease_ge_50pct"]["n"]
        rows = trial.lesions[(trial.lesions.arm == arm) & (trial.lesions.category == "uninjected_visceral")]
        assert level["n_lesions"] == len(rows) and level["n_new_lesions"] == int(rows.new_lesion.sum())


def test_calibration_features_count_new_lesions(pop, trial):
    from ovsim.calibrate._features import pool_outcomes

    out = pool_outcomes(pop, load_scenario(), seed=3, replicates=1, ttr_months=4.1).set_index("patient_id")
    rows = trial.lesions[(trial.lesions.arm == "tvec") & (trial.lesions.category == "uninjected_visceral")]
    visible = pop.lesions[pop.lesions.site.isin(["lung", "liver", "visceral_other"])
                          & (pop.lesions.longest_diameter_cm >= 0.2)].groupby("patient_id").size()
    got = out.loc["VP0000000", "tvec_uninjected_visceral_lesions"]
    assert got == visible.get("VP0000000", 0) + 1  # its baseline visceral lesions and the new one
    assert got == int((rows.patient_id == "VP0000000").sum())
