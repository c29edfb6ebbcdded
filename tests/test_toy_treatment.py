"""A new drug is one new file plus a registry entry: the toy cytotoxic in a patient and in a trial arm."""

from __future__ import annotations

import math
import subprocess

import numpy as np
import pytest

import toy_cytotoxic  # noqa: F401  (registers the treatment "toy")
from conftest import EVERY, HORIZON, REPO, make_patient
from ovsim.engine import simulate_patient
from ovsim.treatments import full_model, model_for, treatment_names


def test_the_package_never_mentions_the_toy():
    hits = subprocess.run(["grep", "-rilI", "toy", str(REPO / "src" / "ovsim")], capture_output=True, text=True)
    assert hits.stdout == "", hits.stdout


def test_registered_with_its_parameters_and_state():
    assert "toy" in treatment_names()
    model = full_model()
    assert "toy_central_mg" in model.states and "toy_ec50_mg" in model.parameters


@pytest.fixture(scope="module")
def toy_result():
    return simulate_patient(make_patient(), {"toy": {"dose_mg": 200, "every_days": 21, "n_doses": 4}},
                            horizon_days=HORIZON, output_every_days=EVERY)


def test_pk_is_one_compartment_first_order(toy_result):
    """Amount (mg) after one bolus: D e^{-k t}; on day 21 the next dose adds D (doses recorded in mg)."""
    a = toy_result.systemic.toy_central_mg.values
    t = toy_result.systemic.time_day.values
    k = math.log(2.0) / 2.0
    assert a[0] == 0.0  # output is taken before that day's dose
    np.testing.assert_allclose(a[1:3], 200 * np.exp(-k * t[1:3]), rtol=1e-5)  # solver at rtol 1e-6
    d = toy_result.doses
    assert list(d.TIME) == [0.0, 21.0, 42.0, 63.0] and set(d.DRUG) == {"TOY"} and set(d.AMT_UNIT) == {"mg"}
    model = model_for(("toy",))  # the model of its regimen (full_model has every registered treatment)
    assert set(d.CMT) == {model.index("toy_central_mg", 4) + 1}  # its own compartment (1-based), 4 lesion slots


def test_it_kills_tumour_cells(toy_result):
    untreated = simulate_patient(make_patient(), None, horizon_days=HORIZON, output_every_days=EVERY)
    day42 = {"time": 6}
    treated = toy_result.lesions.tumour_cells.isel(**day42).values
    assert np.all(treated < 0.9 * untreated.lesions.tumour_cells.isel(**day42).values)


def test_combined_with_tvec_in_one_regimen():
    r = simulate_patient(make_patient(), {"tvec": "label", "toy": {"n_doses": 2}}, horizon_days=HORIZON,
                         output_every_days=EVERY)
    assert set(r.doses.DRUG) == {"TVEC", "TOY"}
    assert r.provenance["regimen"]["toy"]["n_doses"] == 2


def test_a_trial_arm_on_the_toy(tmp_path):
    from ovsim.trial import TrialScenario, load_scenario, run_trial

    raw = load_scenario().model_dump()
    raw.update(name="toy_trial", population="reference", arms={
        "toy": {"n": 6, "label": "toy cytotoxic 200 mg q3w x4", "regimen": {"toy": {"dose_mg": 200}}},
        "untreated": {"n": 6, "label": "no treatment", "regimen": {}},
    })
    trial = run_trial(TrialScenario.model_validate(raw), seed=5)
    patients = trial.patients
    assert set(patients.arm) == {"toy", "untreated"} and patients.ok.all()
    assert (patients[patients.arm == "toy"].toy_visits == 4).all()
    assert set(trial.endpoints["arms"]) == {"toy", "untreated"}
    assert trial.endpoints["arms"]["toy"]["n"] == 6
    out = trial.write(tmp_path / "toy")
    assert (out / "report.html").exists()
    assert "toy cytotoxic 200 mg q3w x4" in (out / "report.html").read_text()
