"""Roles (calibration target / prediction), the endpoints added with them, the prediction table and its
document, the report's role tags and Predictions section, and the calibration_member option."""

from __future__ import annotations

import copy
import importlib.util
import json

import numpy as np
import pandas as pd
import pytest

from conftest import REPO
from ovsim.assess import Measurements, lesion_outcomes
from ovsim.model import DAYS_PER_MONTH
from ovsim.trial import (
    PREDICTION,
    RESERVED_SEEDS,
    TARGET,
    endpoint_paths,
    endpoint_roles,
    endpoint_value,
    load_scenario,
    prediction_runs,
    prediction_seeds,
    prediction_table,
    predictions_markdown,
    scenario_targets,
    target_paths,
    trial_endpoints,
)
from ovsim.trial._roles import unmatched_targets

OPTIM = scenario_targets("optim")


# --- hand-made trial tables ------------------------------------------------------------------------------

def hand_patients() -> pd.DataFrame:
    """8 patients per arm: stages, serostatus, best overall responses and responses set by hand."""
    rows = []
    for arm in ("tvec", "gmcsf"):
        for i, (stage, sero, bor, pbr, ttr) in enumerate([
            ("IIIB", True, "CR", False, 60.0), ("IIIC", True, "PR", True, 120.0), ("IVM1a", False, "PR", False, 90.0),
            ("IVM1a", False, "SD", False, np.nan), ("IVM1b", True, "SD", False, np.nan),
            ("IVM1b", True, "PD", False, np.nan), ("IVM1c", False, "PD", False, np.nan),
            ("IVM1c", True, "NE", False, np.nan),
        ]):
            resp = bor in ("CR", "PR")
            rows.append({"patient_key": f"{arm}:P{i}", "patient_id": f"P{i}", "arm": arm, "stage": stage,
                         "hsv1_seropositive": sero, "ok": True, "reason": "", "best_overall_response": bor,
                         "objective_response": resp, "complete_response": bor == "CR",
                         "durable_response": resp and i < 2, "progression_before_response": pbr,
                         "time_to_response_days": ttr, "time_to_complete_response_days": 60.0 if bor == "CR" else np.nan,
                         "os_months": 6.0 + 3 * i, "os_event": i % 2 == 0})
    return pd.DataFrame(rows)


def hand_lesions(patients: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for key, arm in zip(patients.patient_key, patients.arm):
        for cat, day in (("injected", 28.0), ("injected", 84.0), ("uninjected_nonvisceral", np.nan)):
            rows.append({"patient_key": key, "arm": arm, "category": cat, "decrease_ge_50pct": not np.isnan(day),
                         "complete_resolution": False, "time_to_decrease_50pct_day": day})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def hand() -> dict:
    p = hand_patients()
    return trial_endpoints(p, hand_lesions(p), ["tvec", "gmcsf"])


def test_new_endpoints_on_hand_tables(hand):
    tvec = hand["arms"]["tvec"]
    bor = tvec["best_overall_response"]
    assert {k: v["events"] for k, v in bor.items()} == {"CR": 1, "PR": 2, "SD": 2, "PD": 2, "NE": 1}
    assert sum(v["value"] for v in bor.values()) == pytest.approx(1.0)
    assert tvec["progression_before_response_among_objective_responders"]["events"] == 1
    assert tvec["progression_before_response_among_objective_responders"]["n"] == 3
    assert tvec["progression_before_response_among_durable_responders"]["n"] == 2
    assert tvec["median_time_to_complete_response_months"] == pytest.approx(60.0 / DAYS_PER_MONTH)
    inj = tvec["lesion_level"]["injected"]
    assert inj["median_time_to_decrease_50pct_months"] == pytest.approx(56.0 / DAYS_PER_MONTH)  # of 28 and 84 days
    assert tvec["lesion_level"]["uninjected_nonvisceral"]["median_time_to_decrease_50pct_months"] is None
    sero = hand["subgroups"]["serostatus"]
    assert sero["seropositive"]["tvec"]["n"] == 5 and sero["seronegative"]["tvec"]["n"] == 3
    assert sero["seropositive"]["tvec"]["objective_response_rate"]["events"] == 2       # P0 CR, P1 PR
    assert sero["seronegative"]["tvec"]["objective_response_rate"]["value"] == pytest.approx(1 / 3)
    assert sero["seropositive"]["tvec"]["durable_response_rate"]["events"] == 2
    eu = hand["subgroups"]["eu_indication"]
    assert eu["IIIB/IIIC/IVM1a"]["tvec"]["n"] == 4 and eu["IVM1b/IVM1c"]["gmcsf"]["n"] == 4
    assert eu["IIIB/IIIC/IVM1a"]["tvec"]["durable_response_rate"]["events"] == 2
    assert "hazard_ratio_os" in hand["subgroup_comparisons"]["serostatus"]["seronegative"]


def test_bad_best_overall_response_is_one_line():
    p = hand_patients()
    p.loc[3, "best_overall_response"] = "XX"
    with pytest.raises(ValueError, match=r"P3: best_overall_response is 'XX' \(expected one of CR, PR") as err:
        trial_endpoints(p, hand_lesions(p), ["tvec", "gmcsf"])
    assert "\n" not in str(err.value)


def test_lesion_time_to_50pct_decrease_from_the_measurements():
    t = [0.0, 28.0, 56.0, 84.0]
    longest = np.array([[[2.0, 1.0, 1.0, 0.0],    # rows: visits; columns: lesions (slot 3 is new at day 28)
                         [1.5, 1.0, 0.7, 2.0],    # lesion 0: -43.75%, then -51% at day 56; lesion 1 never halves
                         [1.4, 1.0, 1.0, 2.0],
                         [1.0, 1.0, 1.0, 1.0]]])
    meas = Measurements(time_day=np.array(t), longest_cm=longest, perpendicular_cm=longest.copy(),
                        site=np.array([["cutaneous"] * 4], dtype=object), exists=np.ones((1, 4), bool),
                        injected=np.zeros((1, 4), bool))
    out = lesion_outcomes(meas)
    assert out["time_to_decrease_50pct_day"].iloc[0] == 56.0
    assert np.isnan(out["time_to_decrease_50pct_day"].iloc[1])
    assert out["time_to_decrease_50pct_day"].iloc[2] == 28.0                 # 0.7 x 0.7 = 0.49 of 1.0
    assert (out["decrease_ge_50pct"] == out["time_to_decrease_50pct_day"].notna()).all()
    new = lesion_outcomes(meas, include_new=True).query("new_lesion")
    assert new["time_to_decrease_50pct_day"].tolist() == [56.0]               # day 84 - first seen day 28


# --- roles ------------------------------------------------------------------------------------------------

def test_roles_come_from_the_targets_file(hand):
    roles = endpoint_roles(hand, OPTIM)
    assert list(roles) == endpoint_paths(hand) and set(roles.values()) == {TARGET, PREDICTION}
    assert roles["arms.tvec.objective_response_rate"] == TARGET
    assert roles["arms.tvec.median_time_to_response_months"] == TARGET
    assert roles["arms.gmcsf.median_overall_survival_months"] == TARGET
    assert roles["arms.tvec.lesion_level.uninjected_visceral.complete_resolution"] == TARGET
    assert roles["subgroups.eu_indication.IIIB/IIIC/IVM1a.tvec.durable_response_rate"] == TARGET
    for path in ("arms.tvec.overall_survival_at_months.12", "arms.tvec.overall_survival_at_months.48",
                 "arms.tvec.best_overall_response.PR", "arms.tvec.median_time_to_complete_response_months",
                 "arms.gmcsf.lesion_level.injected.decrease_ge_50pct",
                 "arms.tvec.lesion_level.injected.median_time_to_decrease_50pct_months",
                 "subgroups.eu_indication.IIIB/IIIC/IVM1a.tvec.objective_response_rate",
                 "subgroups.serostatus.seronegative.tvec.durable_response_rate",
                 "comparisons.durable_response_difference"):
        assert roles[path] == PREDICTION, path
    assert "arms.tvec.n" not in roles
    # derived from the file: drop a target there and its endpoint becomes a prediction; add one and it is a target
    edited = copy.deepcopy(OPTIM)
    del edited["targets"]["complete_response_rate"]["gmcsf"]
    edited["targets"]["median_time_to_response_months"]["gmcsf"] = {"value": 3.0}
    roles = endpoint_roles(hand, edited)
    assert roles["arms.gmcsf.complete_response_rate"] == PREDICTION and roles["arms.tvec.complete_response_rate"] == TARGET
    assert roles["arms.gmcsf.median_time_to_response_months"] == TARGET
    # other scenarios, without a targets file: predictions only
    assert scenario_targets("my_trial") is None
    assert set(endpoint_roles(hand, scenario_targets("my_trial")).values()) == {PREDICTION}


def test_every_target_of_the_file_names_an_endpoint(hand):
    names = target_paths(OPTIM, ["tvec", "gmcsf"])
    assert sum(n.startswith("targets.") for n in names.values()) == 18   # the file's targets: 2x3 + 1 + 2 + 1 + 2 + 6
    assert all(n.startswith("label.adverse_reactions_tvec_arm.") for n in names.values() if not n.startswith("targets."))
    assert unmatched_targets({k: v for k, v in hand.items()}, {"targets": OPTIM["targets"]}) == []
    odd = {"targets": {**OPTIM["targets"], "progression_free_survival": {"tvec": {"value": 5.0}}}}
    assert unmatched_targets(hand, odd) == ["targets.progression_free_survival.tvec"]


# --- the prediction table ----------------------------------------------------------------------------------

def synthetic_docs(n: int = 41) -> list[dict]:
    """n endpoint documents whose 12-month survival runs 0, 1/(n-1), ..., 1 and whose DRR is a target."""
    docs = []
    for i in range(n):
        arm = {"n": 100, "durable_response_rate": {"value": 0.15 + 0.001 * i, "ci95": [0.1, 0.2], "events": 15, "n": 100},
               "overall_survival_at_months": {"12": {"value": i / (n - 1), "ci95": [None, None]}},
               "median_time_to_complete_response_months": None if i % 2 else 5.0 + i}
        docs.append({"arms": {"tvec": arm, "gmcsf": copy.deepcopy(arm)}, "comparisons": {}})
    return docs


def test_prediction_table_percentiles():
    docs = synthetic_docs()
    table = prediction_table(docs, OPTIM)
    row = table[table.path == "arms.tvec.overall_survival_at_months.12"].iloc[0]
    values = np.arange(41) / 40
    assert row.role == PREDICTION and row.n_runs == 41 and row.arm == "tvec"
    assert row["mean"] == pytest.approx(0.5) and row.p2_5 == pytest.approx(np.percentile(values, 2.5))
    assert row.p97_5 == pytest.approx(0.975) and row.quantity == "overall survival at 12 months"
    ttcr = table[table.path == "arms.tvec.median_time_to_complete_response_months"].iloc[0]
    assert ttcr.n_runs == 21 and ttcr["mean"] == pytest.approx(np.mean(5.0 + np.arange(0, 41, 2)))  # None: not a run
    drr = table[table.path == "arms.tvec.durable_response_rate"].iloc[0]
    assert drr.role == TARGET and drr.published == pytest.approx(0.163)
    assert list(table.role.drop_duplicates()) == [PREDICTION, TARGET]                 # predictions first
    md = predictions_markdown(table)
    assert "| overall survival at 12 months | tvec | 50.0% | 2.5% to 97.5% | 41 |" in md
    assert "### Calibration targets" in md and "| durable response rate | tvec | 17.0% |" in md
    with pytest.raises(ValueError, match="endpoint_docs"):
        prediction_table([], OPTIM)


def test_prediction_runs_use_fresh_seeds_and_members():
    seen = []

    def fake(scenario, seed, patients, workers):
        seen.append((seed, scenario.calibration_member, patients))
        return {"arms": {}, "seed": seed}

    sc = load_scenario()
    out = prediction_runs(3, scenario=sc, patients=12, members=[0, 1, 0], run=fake)
    assert [s for s, _, _ in seen] == [4001, 4002, 4003] and [m for _, m, _ in seen] == [0, 1, 0]
    assert [r["seed"] for r in out] == [4001, 4002, 4003] and out[0]["endpoints"]["seed"] == 4001
    assert not set(prediction_seeds(3000)) & RESERVED_SEEDS and 2015 not in prediction_seeds(20, first=2010,
                                                                                                   reserved=(2015,))
    with pytest.raises(ValueError, match="seeds: expected none of the calibration") as err:
        prediction_runs(2, scenario=sc, seeds=[4001, 2005], members=[None, None], run=fake)
    assert "\n" not in str(err.value)


# --- the report --------------------------------------------------------------------------------------------

def test_report_has_role_tags_and_predictions_section(tmp_path):
    from test_trial_report import synthetic_inputs

    from ovsim.report import render_trial_report

    inputs = synthetic_inputs()
    inputs["endpoints"]["roles"] = endpoint_roles(inputs["endpoints"], OPTIM)
    html = render_trial_report(**inputs)
    assert '<span class="role target">calibration target</span>' in html
    assert '<span class="role prediction">prediction</span>' in html
    assert '<section id="predictions"><h2>Predictions</h2>' in html and "Predictions, not calibrated" in html
    assert "overall survival at 24 months" in html
    table = prediction_table(synthetic_docs(), OPTIM)
    table.attrs["members"] = list(range(41))
    html = render_trial_report(**inputs, predictions=table)
    assert "interval over 41 calibration draws \u00d7 trial sampling" in html and "2.5% to 97.5%" in html
    del inputs["endpoints"]["roles"]                        # older outputs: no tags, and a note saying so
    html = render_trial_report(**inputs)
    assert 'class="role ' not in html and "carry no roles" in html


# --- calibration_member -------------------------------------------------------------------------------------

def test_calibration_member_out_of_range_is_one_line(tmp_path):
    from ovsim.population import WeightedPool, draw_from_pool, load_calibrated_pool

    pool = load_calibrated_pool()
    mix, m = {"IVM1a": 1.0}, pool.n_members
    expected = "null" if m == 0 else rf"0\.\.{m - 1}"
    with pytest.raises(ValueError, match=rf"^calibration_member: expected {expected} \(the shipped calibration has {m} members"):
        draw_from_pool(pool, 2, 5, mix, "tvec", member=m)
    uniform = np.ones(len(pool.population))
    two = WeightedPool(pool.population, pool.weights, {}, members=np.vstack([pool.weights, uniform]))
    with pytest.raises(ValueError, match=r"^calibration_member: expected 0\.\.1 \(the shipped calibration has 2 members") as err:
        draw_from_pool(two, 2, 5, mix, "tvec", member=2)
    assert "\n" not in str(err.value)
    assert np.allclose(two.member(1).weights, uniform / uniform.sum())
    assert (draw_from_pool(two, 3, 5, mix, "tvec", member=0).patients.pool_patient_id.tolist()
            == draw_from_pool(pool, 3, 5, mix, "tvec").patients.pool_patient_id.tolist())
    back = WeightedPool.load(two.save(tmp_path / "pool"))
    assert back.n_members == 2 and np.allclose(back.members, two.members)
    assert "weight_0" not in back.population.patients.columns
    from ovsim.trial import run_trial

    sc = load_scenario().model_copy(update={"calibration_member": m + 7})
    with pytest.raises(ValueError, match=rf"^calibration_member: expected {expected} "):
        run_trial(sc, patients=4)


def test_calibration_member_needs_the_calibrated_population(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: x\npopulation: reference\ncalibration_member: 1\narms: {a: {n: 3, regimen: {}}}\n")
    with pytest.raises(ValueError, match="calibration_member: expected null unless population is optim_calibrated"):
        load_scenario(path)
    path.write_text("name: x\npopulation: optim_calibrated\ncalibration_member: -1\narms: {a: {n: 3, regimen: {}}}\n")
    with pytest.raises(ValueError, match="calibration_member"):
        load_scenario(path)


# --- tools/predictions_doc.py -------------------------------------------------------------------------------

def _tool():
    spec = importlib.util.spec_from_file_location("_ovsim_tools_predictions_doc", REPO / "tools" / "predictions_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_predictions_doc_check_rebuilds_without_running_a_trial(tmp_path):
    tool = _tool()
    docs = synthetic_docs(3)
    table = prediction_table(docs, OPTIM)
    roles = dict(zip(table.path, table.role))
    record = {"inputs": tool.inputs(), "patients": 40, "optim_patients": 436, "workers": 1, "finished": "2026-01-01",
              "wall_seconds": 3.0, "roles": roles,
              "runs": [{"seed": 4001 + i, "member": None, "wall_seconds": 1.0,
                        "values": {p: tool._json_number(endpoint_value(d, p)) for p in roles}}
                       for i, d in enumerate(docs)]}
    out = tmp_path / "predictions.md"
    out.with_suffix(".json").write_text(json.dumps(record))
    out.write_text(tool.document(record))
    assert tool.check(out) is None
    text = out.read_text()
    assert "seeds 4001-4003" in text and "Reduced size: 40 patients" in text and "Nothing here was tuned" in text
    assert "trial sampling only" in text and "| overall survival at 12 months | tvec | 50.0% | 2.5% to 97.5% | 3 |" in text
    out.write_text(text.replace("50.0%", "51.0%"))
    assert "differs from what predictions.json gives" in tool.check(out)
    record["inputs"]["pool_sha256"] = "0" * 64
    out.with_suffix(".json").write_text(json.dumps(record))
    assert tool.check(out).startswith("predictions.md: stale: pool_sha256 changed")


def test_counts_are_shown_as_counts_not_shares():
    from ovsim.trial._predictions import _kind, format_value

    assert format_value(1871.75, _kind("arms.tvec.lesion_level.injected.n_lesions")) == "1,872"
    assert format_value(0.163, _kind("arms.tvec.durable_response_rate")) == "16.3%"
