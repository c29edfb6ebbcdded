"""Adverse events: the hazard model's structure, the calibration root, own random streams, the trial table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ovsim.safety import (
    draw_adverse_events,
    expected_incidence,
    exposures,
    fit_rates,
    load_safety_model,
    patient_exposure,
    visit_table,
)

MODEL = load_safety_model()


def _doses(patient: str, n_visits: int, volume_ml: float = 4.0) -> pd.DataFrame:
    """Label-like T-VEC records: 1e6 PFU/mL at day 0, then 1e8 every 14 days from day 21."""
    days = [0.0] + [21.0 + 14.0 * k for k in range(n_visits - 1)]
    conc = [1e6] + [1e8] * (n_visits - 1)
    return pd.DataFrame({"ID": patient, "TIME": days, "EVID": 1, "AMT": [volume_ml * c for c in conc], "RATE": 0.0,
                         "CMT": 3, "LESION_ID": "L1", "VOL_ML": volume_ml, "CONC_PFU_ML": conc, "DRUG": "TVEC",
                         "AMT_UNIT": "PFU"})


def test_every_label_reaction_is_modelled_with_its_incidence():
    import yaml
    from conftest import REPO

    label = yaml.safe_load((REPO / "src" / "ovsim" / "data" / "optim_targets.yaml").read_text())["label"]
    assert {k: e.label_incidence for k, e in MODEL.events.items()} == label["adverse_reactions_tvec_arm"]
    assert set(MODEL.rates) == set(MODEL.events), "every event has a calibrated rate"


def test_hazard_structure_early_seronegative_and_dose():
    visits = visit_table(pd.concat([_doses("A", 10), _doses("B", 10, volume_ml=1.0)]))
    e = exposures(MODEL, visits, {"A": True, "B": False})
    a = visits["ID"].to_numpy() == "A"
    v = visits["visit"].to_numpy()
    flu = e["pyrexia"]
    # seronegative A: visits 1-2 doubled on top of the early factor; B seropositive
    assert flu[a & (v == 2)][0] == pytest.approx(2 * 2 * (4e8 / 4e8) ** 0.25)
    assert flu[a & (v == 8)][0] == pytest.approx(1.0)  # late visit, full dose
    assert flu[~a & (v == 8)][0] == pytest.approx((1e8 / 4e8) ** 0.25)  # 1 mL: smaller dose, weaker reaction
    assert flu[a & (v == 1)][0] < flu[a & (v == 2)][0]  # the first visit's 1e6 PFU/mL dose is 100x smaller
    pain = e["injection_site_pain"]
    assert pain[a & (v == 1)][0] == pytest.approx(1.0) and pain[~a & (v == 1)][0] == pytest.approx(0.5)


def test_calibration_root_reproduces_the_targets():
    rng = np.random.default_rng(0)
    exp = {"fatigue": rng.gamma(2.0, 3.0, 500), "chills": np.r_[rng.gamma(2.0, 3.0, 450), np.zeros(50)]}
    rates = fit_rates(exp, {"fatigue": 0.503, "chills": 0.486})
    for k, target in (("fatigue", 0.503), ("chills", 0.486)):
        assert expected_incidence(rates[k], exp[k]) == pytest.approx(target, abs=1e-10)
    with pytest.raises(ValueError, match="cannot reach"):
        fit_rates({"x": np.r_[np.ones(10), np.zeros(90)]}, {"x": 0.5})  # only 10% of patients dosed


def test_draws_are_per_patient_streams_and_seronegatives_react_more():
    n = 2000
    patients = pd.DataFrame({"patient_id": [f"P{i}" for i in range(n)], "index": np.arange(n),
                             "hsv1_seropositive": np.arange(n) % 2 == 0})
    doses = pd.concat([_doses(f"P{i}", 12) for i in range(n)], ignore_index=True)
    a = draw_adverse_events(MODEL, 3, patients, doses)
    b = draw_adverse_events(MODEL, 3, patients.iloc[::-1], doses).loc[patients.index]  # order does not matter
    pd.testing.assert_frame_equal(a, b)
    c = draw_adverse_events(MODEL, 4, patients, doses)
    assert not a.equals(c)
    sero_neg = ~patients["hsv1_seropositive"].to_numpy()
    for name in ("pyrexia", "chills"):
        assert a[f"ae_{name}"][sero_neg].mean() > a[f"ae_{name}"][~sero_neg].mean()
    # onset: flu-like reactions come early (within the first 6 treatments, by day 91) for most patients
    onset = a.loc[a["ae_fatigue"], "ae_fatigue_day"]
    assert (onset <= 91).mean() > 0.6
    # the same exposures give the model's expected incidence (law of large numbers, 4 sigma)
    exp = patient_exposure(MODEL, patients, doses)["fatigue"]
    p = expected_incidence(MODEL.rates["fatigue"], exp)
    assert abs(a["ae_fatigue"].mean() - p) < 4 * np.sqrt(p * (1 - p) / n)


def test_patients_without_tvec_have_no_reactions():
    patients = pd.DataFrame({"patient_id": ["G1"], "index": [0], "hsv1_seropositive": [False]})
    gm = pd.DataFrame({"ID": ["G1"], "TIME": [0.0], "EVID": [1], "AMT": [237.5], "RATE": [237.5], "CMT": [26],
                       "LESION_ID": [""], "VOL_ML": [0.0], "CONC_PFU_ML": [0.0], "DRUG": ["GMCSF"], "AMT_UNIT": ["ug"]})
    out = draw_adverse_events(MODEL, 1, patients, gm)
    assert not out.filter(regex=r"^ae_[a-z0-9_]+$").filter(regex="^(?!.*_day$)").to_numpy().any()


def test_trial_reports_adverse_events_and_efficacy_is_unchanged_by_them():
    from ovsim.trial import TrialScenario, load_scenario, run_trial

    raw = load_scenario().model_dump()
    raw["arms"] = {k: {**v, "n": 6} for k, v in raw["arms"].items()}
    with_ae = run_trial(TrialScenario.model_validate(raw), seed=11)
    without = run_trial(TrialScenario.model_validate({**raw, "adverse_events": False}), seed=11)
    e1, e2 = dict(with_ae.endpoints), dict(without.endpoints)
    table = e1.pop("adverse_events")
    for doc in (e1, e2):
        doc.pop("provenance")
    roles = e1.pop("roles")                          # the adverse events' roles aside, the same roles
    assert {k: v for k, v in roles.items() if not k.startswith("adverse_events.")} == e2.pop("roles")
    assert e1 == e2
    assert table["gmcsf"] is None and set(table["tvec"]) == set(MODEL.events)
    row = table["tvec"]["fatigue"]
    assert row["n"] == 6 and 0 <= row["ci95"][0] <= row["value"] <= row["ci95"][1] <= 1
    assert "ae_fatigue" in with_ae.patients and "ae_fatigue" not in without.patients
