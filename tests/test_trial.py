"""Virtual trials: scenario files, measurement, the descriptive growth rate, and a small trial end to end."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ovsim.assess import measure, measurement_normals
from ovsim.trial import (
    draw_arms,
    fit_growth_rate,
    kaplan_meier,
    load_scenario,
    rate_of,
    run_trial,
)

RATE_KEYS = {"value", "ci95", "events", "n"}
ARM_KEYS = {
    "n", "durable_response_rate", "objective_response_rate", "complete_response_rate",
    "median_time_to_response_months", "median_time_to_complete_response_months",
    "median_overall_survival_months", "overall_survival_at_months",
    "progression_before_response_among_durable_responders", "lesion_level",
    "progression_before_response_among_objective_responders", "best_overall_response",
    "median_progression_free_survival_months", "progression_free_survival_at_months",
}


# --- scenario files ------------------------------------------------------------------------------

def test_reference_scenario_is_optim():
    sc = load_scenario()
    assert sc.name == "optim" and list(sc.arms) == ["tvec", "gmcsf"]
    assert sc.arm_sizes() == {"tvec": 295, "gmcsf": 141} and sc.n_patients == 436
    arms = sc.regimens()
    assert arms["tvec"].names == ("tvec",) and arms["gmcsf"].names == ("gmcsf",)
    tvec, gmcsf = arms["tvec"].policy()[1].policy, arms["gmcsf"].scheduled()[0][1].regimen
    assert (tvec.min_months, tvec.max_months, tvec.extend_months_if_responding, tvec.stop_on_progression) == (6, 12, 6, True)
    assert (gmcsf.dose_ug_per_m2_per_day, gmcsf.days_on, gmcsf.cycle_days) == (125.0, 14, 28)
    assert sc.assessment.durable_months == 6.0 and sc.assessment.onset_within_months == 12.0
    assert sc.survival.follow_up_months >= 60


def test_arm_sizes_split_in_proportion():
    sc = load_scenario()
    assert sc.arm_sizes(12) == {"tvec": 8, "gmcsf": 4}
    assert sum(sc.arm_sizes(1001).values()) == 1001
    with pytest.raises(ValueError, match="patients"):
        sc.arm_sizes(1)


@pytest.mark.parametrize("text, field", [
    ("name: x\narms: {a: {n: 0, regimen: {}}}\n", "arms.a.n"),
    ("name: x\narms: {a: {n: 3, regimen: {tvec: weekly}}}\n", "arms.a.regimen.tvec"),
    ("name: x\narms: {a: {n: 3, regimen: {}}}\nassessment: {criterion: who}\n", "assessment.criterion"),
    ("name: x\narms: {a: {n: 3, regimen: {}}}\nsurvival: {model: {beta_burden: -1}}\n", "survival.model.beta_burden"),
    ("name: x\narms: {a: {n: 3, regimen: {}}}\ndesing: paired\n", "desing"),
    ("name: x\narms: {}\n", "arms"),
    ("- just a list\n", "top level"),
])
def test_bad_scenario_is_one_line_naming_file_and_field(tmp_path, text, field):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ValueError) as err:
        load_scenario(path)
    msg = str(err.value)
    assert "\n" not in msg and str(path) in msg and field in msg


def test_paired_design_clones_patients_randomised_does_not():
    sc = load_scenario()
    pops = draw_arms(sc, seed=3, patients=9)
    assert set(pops["tvec"].patients.patient_id).isdisjoint(pops["gmcsf"].patients.patient_id)
    paired = sc.model_copy(update={"design": "paired"})
    pops = draw_arms(paired, seed=3, patients=9)
    pd.testing.assert_frame_equal(pops["tvec"].patients, pops["gmcsf"].patients)


# --- measurement ---------------------------------------------------------------------------------

def test_measurement_noise_detection_and_streams():
    t = np.array([0.0, 28.0])
    true = np.full((400, 2, 3), 2.0)
    true[:, :, 2] = 0.1  # below detection
    exists = np.ones((400, 3), bool)
    site = np.full((400, 3), "cutaneous")
    normals = measurement_normals(7, np.arange(400), 2, 3)
    m = measure(t, true, exists, site, exists, normals, cv=0.1, detection_limit_cm=0.2)
    assert (m.longest_cm[:, :, 2] == 0).all() and (m.longest_cm >= m.perpendicular_cm).all()
    both = np.concatenate([m.longest_cm[:, :, :2], m.perpendicular_cm[:, :, :2]]).reshape(-1)
    assert abs(both.mean() / 2.0 - 1) < 0.01 and abs(np.std(np.log(both)) - 0.1) < 0.01
    # a patient's draws depend on its index only, not on who else is in the batch
    assert np.array_equal(measurement_normals(7, np.array([5]), 2, 3)[0], normals[5])
    off = measure(t, true, exists, site, exists, normals, assessed=np.array([[True, False]] * 400))
    assert np.isnan(off.longest_cm[:, 1]).all() and not np.isnan(off.longest_cm[:, 0]).any()


# --- descriptive growth rate (survival itself: tests/test_survival*.py) ------------------------------

def test_stein_fit_recovers_known_rates():
    t = np.arange(0.0, 729.0, 28.0)
    truth = [(0.02, 0.006), (0.0, 0.01), (0.05, 0.002)]
    burden = np.array([np.exp(-ks * t) + np.exp(kg * t) - 1 for ks, kg in truth]) * 4.0
    kg, ks = fit_growth_rate(t, burden, np.full(3, 4.0))
    for (ks0, kg0), g, s in zip(truth, kg, ks):
        assert abs(g / kg0 - 1) < 0.05
        assert abs(s - ks0) < 0.05 * ks0 + 2e-3
    # a sustained complete response gets the floor; a missing baseline, or a single assessment (death
    # before the second), gives NaN, not a number
    cr = np.where(t > 100, 0.0, np.exp(-0.02 * t))[None, :]
    assert fit_growth_rate(t, cr, np.ones(1), 1e-4)[0][0] == pytest.approx(1e-4)
    assert np.isnan(fit_growth_rate(t, cr, np.zeros(1))[0][0])
    once = np.where(t > 0, np.nan, 1.0)[None, :]
    assert np.isnan(fit_growth_rate(t, once, np.ones(1))[0][0])


# --- a small trial end to end ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def small():
    return run_trial(load_scenario(), seed=11, patients=12)


def test_endpoints_have_the_documented_shape(small):
    e = small.endpoints
    assert {"scenario", "seed", "ovsim_version", "arms", "comparisons", "subgroups"} <= set(e)
    assert e["scenario"] == "optim" and e["seed"] == 11
    assert set(e["arms"]) == {"tvec", "gmcsf"}
    for arm in e["arms"].values():
        assert set(arm) == ARM_KEYS
        for key in ("durable_response_rate", "objective_response_rate", "complete_response_rate"):
            assert set(arm[key]) == RATE_KEYS
        assert set(arm["overall_survival_at_months"]) == {"12", "24", "36", "48"}
        assert set(arm["lesion_level"]) == {"injected", "uninjected_nonvisceral", "uninjected_visceral"}
        assert set(arm["best_overall_response"]) == {"CR", "PR", "SD", "PD", "NE"}
        assert sum(r["value"] for r in arm["best_overall_response"].values()) == pytest.approx(1.0)
        for cat in arm["lesion_level"].values():
            assert set(cat) == {"decrease_ge_50pct", "complete_resolution", "median_time_to_decrease_50pct_months",
                                "n_lesions", "n_new_lesions"}
            assert 0 <= cat["n_new_lesions"] <= cat["n_lesions"]
            assert set(cat["complete_resolution"]) == RATE_KEYS
    assert {"value", "ci95"} <= set(e["comparisons"]["hazard_ratio_os"])
    assert set(e["subgroups"]["stage"]) == {"IIIB/IIIC", "IVM1a", "IVM1b", "IVM1c"}
    for grp in e["subgroups"]["stage"].values():
        assert set(grp) == {"tvec", "gmcsf"} and set(grp["tvec"]) == ARM_KEYS
    assert set(e["subgroups"]) == {"stage", "eu_indication", "serostatus"}
    assert set(e["subgroups"]["eu_indication"]) == {"IIIB/IIIC/IVM1a", "IVM1b/IVM1c"}
    assert set(e["subgroups"]["serostatus"]) == {"seropositive", "seronegative"}
    json.dumps(e)  # valid JSON, no NaN objects


def test_every_endpoint_of_a_trial_has_a_role(small):
    from ovsim.trial import PREDICTION, TARGET, endpoint_paths, scenario_targets
    from ovsim.trial._roles import unmatched_targets

    e = small.endpoints
    paths = endpoint_paths(e)
    assert list(e["roles"]) == paths and len(paths) > 300
    assert set(e["roles"].values()) == {TARGET, PREDICTION}
    assert unmatched_targets(e, scenario_targets("optim")) == []   # every target names an endpoint of the trial
    roles = e["roles"]
    assert roles["arms.tvec.durable_response_rate"] == TARGET and roles["comparisons.hazard_ratio_os"] == TARGET
    assert roles["subgroups.eu_indication.IIIB/IIIC/IVM1a.gmcsf.durable_response_rate"] == TARGET
    assert roles["arms.tvec.overall_survival_at_months.24"] == PREDICTION
    assert roles["arms.gmcsf.median_time_to_response_months"] == PREDICTION   # OPTiM gives the T-VEC arm's only
    assert roles["subgroups.stage.IVM1a.tvec.durable_response_rate"] == PREDICTION
    assert roles["adverse_events.tvec.pyrexia"] == TARGET                      # fitted to the label incidence
    assert roles["supply.vials"] == PREDICTION
    # the per-lesion time to a 50% decrease is from the same measurements as the flag
    les = small.lesions
    assert les.loc[les.decrease_ge_50pct, "time_to_decrease_50pct_day"].notna().all()
    assert les.loc[~les.decrease_ge_50pct, "time_to_decrease_50pct_day"].isna().all()


def test_endpoints_recomputed_from_the_tables(small):
    p = small.patients
    assert len(p) == 12 and p.ok.all() and small.endpoints["failed_patients"] == 0
    for arm in ("tvec", "gmcsf"):
        q = p[p.arm == arm]
        e = small.endpoints["arms"][arm]
        assert e["n"] == len(q)
        assert e["durable_response_rate"]["events"] == int(q.durable_response.sum())
        assert e["objective_response_rate"]["value"] == pytest.approx(q.objective_response.mean())
        km = kaplan_meier(q.os_months.to_numpy(), q.os_event.to_numpy())
        assert e["median_overall_survival_months"]["value"] == (None if np.isnan(km.median()) else pytest.approx(km.median()))
        les = small.lesions[(small.lesions.arm == arm) & (small.lesions.category == "injected")]
        assert e["lesion_level"]["injected"]["complete_resolution"] == rate_of(les.complete_resolution.to_numpy()).to_dict()
    # durable responders are objective responders whose onset was within 12 months
    assert (p.objective_response | ~p.durable_response).all()
    assert (p.loc[p.durable_response, "time_to_response_days"] <= 12 * 365.25 / 12 + 1e-9).all()
    # the GM-CSF arm is never injected; every injected lesion is at an injectable site
    les = small.lesions
    assert not (les[les.arm == "gmcsf"].category == "injected").any()
    assert (small.measurements.loc[small.measurements.injected, "site"].isin(["cutaneous", "subcutaneous", "nodal"])).all()
    # assessments stop at death
    a = small.assessments.merge(p[["patient_key", "os_months", "os_event"]], on="patient_key")
    after = a.time_day > a.os_months * 365.25 / 12
    assert a.loc[after, "burden"].isna().all()


def test_same_seed_same_trial_and_outputs_written(small, tmp_path):
    again = run_trial(load_scenario(), seed=11, patients=12)
    assert json.dumps(again.endpoints["arms"]) == json.dumps(small.endpoints["arms"])
    out = small.write(tmp_path / "optim", report=False)
    files = {p.name for p in out.iterdir()}
    assert {"endpoints.json", "patients.parquet", "lesions.parquet", "assessments.parquet",
            "measurements.parquet", "doses.csv", "scenario.json"} <= files
    back = json.loads((out / "endpoints.json").read_text())
    assert back["arms"]["tvec"]["n"] == small.endpoints["arms"]["tvec"]["n"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left


def test_eligibility_is_checked_on_enrolled_patients():
    sc = load_scenario()
    pops = draw_arms(sc, seed=2, patients=40)
    for pop in pops.values():
        assert sc.eligibility.failures(pop, 0.2).empty  # the reference population is eligible
    strict = sc.eligibility.model_copy(update={"ecog": [0]})
    fails = strict.failures(pops["tvec"], 0.2)
    assert fails["ecog"] == int((pops["tvec"].patients.ecog == 1).sum()) > 0
    with pytest.raises(ValueError, match=r"arms.tvec: \d+ of \d+ patients fail eligibility.ecog"):
        run_trial(sc.model_copy(update={"eligibility": strict}), seed=2, patients=6)


def test_prices_in_a_scenario_are_validated(tmp_path):
    from conftest import EXAMPLES

    sc = load_scenario(EXAMPLES / "trial_costs.yaml")
    assert sc.prices == {"1e6": 1000.0, "1e8": 2000.0, "gmcsf_cycle": 500.0}
    bad = tmp_path / "bad.yaml"
    bad.write_text((EXAMPLES / "trial_costs.yaml").read_text().replace("1e8: 2000", "1e8: -5"))
    with pytest.raises(ValueError, match=r"prices\.1e8: expected a finite price >= 0"):
        load_scenario(bad)
    bad.write_text((EXAMPLES / "trial_costs.yaml").read_text().replace("1e8: 2000", "1e9: 5"))
    with pytest.raises(ValueError, match="prices"):
        load_scenario(bad)
