"""Replicated trials: replicate r is the single trial of its derived seed; shards and workers do not matter;
the decision rule's parser and its one-line errors; the probability of success."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ovsim.trial import load_scenario, parse_rule, probability_of_success, replicate_seed, run_replicates, run_trial
from ovsim.trial._decision import Condition, endpoint_skeleton, leaf_paths, meets
from ovsim.trial._replicate_stats import flat_values

SEED, N = 11, 12


@pytest.fixture(scope="module")
def five():
    return run_replicates(load_scenario(), 5, seed=SEED, patients=N)


def _same(a: dict, b: dict) -> list[str]:
    return [k for k in set(a) | set(b)
            if not (a.get(k) == b.get(k) or (math.isnan(a.get(k, 0.0)) and math.isnan(b.get(k, 0.0))))]


def test_replicate_is_the_single_trial_of_its_seed(five):
    single = run_trial(load_scenario(), seed=replicate_seed(SEED, 1), patients=N)
    doc = {k: v for k, v in single.endpoints.items() if k not in ("provenance", "roles")}
    a, b = flat_values(doc), flat_values(five.endpoints[1])
    assert len(a) > 1000 and _same(a, b) == []
    assert five.seeds[1] == replicate_seed(SEED, 1) == five.table.loc[1, "seed"]


def test_shards_workers_and_chunks_do_not_change_replicates(five):
    three = run_replicates(load_scenario(), 3, seed=SEED, patients=N, workers=2, chunk_size=4, batch_patients=8)
    assert three.seeds == five.seeds[:3]
    for r in range(3):
        assert _same(flat_values(three.endpoints[r]), flat_values(five.endpoints[r])) == []


def test_seeds_are_distinct_and_in_range():
    seeds = [replicate_seed(2015, r) for r in range(200)]
    assert len(set(seeds)) == 200 and all(0 <= s < 2**63 for s in seeds)
    assert replicate_seed(2015, 3) != replicate_seed(2016, 3)


def test_summary_and_probability_of_success(five):
    s = five.success
    assert s["n_replicates"] == 5 and s["successes"] == int(five.table["success"].sum())
    assert s["ci95"][0] <= s["probability"] <= s["ci95"][1]
    row = five.summary.set_index("path").loc["arms.tvec.durable_response_rate.value"]
    v = five.table["arms.tvec.durable_response_rate.value"].to_numpy(dtype=float)
    assert row["median"] == pytest.approx(np.median(v)) and row["n_replicates"] == 5
    assert row["q05"] <= row["median"] <= row["q95"] and row["arm"] == "tvec"


def test_probability_interval_is_clopper_pearson():
    p = probability_of_success(np.array([True] * 3 + [False] * 7))
    assert p["probability"] == pytest.approx(0.3)
    assert p["ci95"] == pytest.approx([0.0667395, 0.6524529], abs=1e-6)  # exact beta quantiles
    assert probability_of_success(np.zeros(5, bool))["ci95"][0] == 0.0


def test_rule_parser_and_evaluation():
    rule = parse_rule(["comparisons.hazard_ratio_os.ci95.1<1 and arms.tvec.n>3", "failed_patients<1"])
    assert [c.text() for c in rule] == ["comparisons.hazard_ratio_os.ci95.1<1", "arms.tvec.n>3", "failed_patients<1"]
    doc = {"comparisons": {"hazard_ratio_os": {"ci95": [0.5, 0.9]}}, "arms": {"tvec": {"n": 4}}, "failed_patients": 0}
    assert meets(rule, doc)
    doc["comparisons"]["hazard_ratio_os"]["ci95"][1] = None  # not estimable: the condition fails
    assert not meets(rule, doc)


@pytest.mark.parametrize("text, message", [
    ("comparisons.hazard_ratio_os.ci95.1<=1", "expected the operator < or > (got '<=')"),
    ("comparisons.hazard_ratio_os.ci95.1=1", "expected ENDPOINT<NUMBER or ENDPOINT>NUMBER"),
    ("comparisons.hazard_ratio_os.ci95.1<one", "expected a number after <"),
    ("comparisons.hazard_ratio_os.ci95.1<nan", "expected a finite number"),
    ("", "empty rule"),
])
def test_rule_parser_errors_are_one_line(text, message):
    with pytest.raises(ValueError) as err:
        parse_rule(text)
    assert message in str(err.value) and "\n" not in str(err.value) and str(err.value).startswith("--success: ")


def test_scenario_rule_paths_are_checked_at_load(tmp_path):
    sc = load_scenario()
    assert [c.endpoint for c in sc.success] == ["comparisons.durable_response_difference.p_value",
                                                "comparisons.durable_response_difference.value"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\narms: {a: {n: 2, regimen: {tvec: optim}}, b: {n: 2, regimen: {}}}\n"
                   "success: [{endpoint: comparisons.hazard_ratio_os.ci95.2, below: 1}]\n")
    with pytest.raises(ValueError) as err:
        load_scenario(bad)
    msg = str(err.value)
    assert "\n" not in msg and "bad.yaml" in msg and "success[0].endpoint" in msg
    assert "comparisons.hazard_ratio_os.ci95.1" in msg  # a close valid path is listed
    both = tmp_path / "both.yaml"
    both.write_text("name: x\narms: {a: {n: 2, regimen: {}}}\nsuccess: [{endpoint: arms.a.n, below: 1, above: 0}]\n")
    with pytest.raises(ValueError, match=r"success\[0\]: expected exactly one of below or above"):
        load_scenario(both)


def test_skeleton_covers_a_real_trial(five):
    real = {p for p in leaf_paths(five.endpoints[0]) if p.split(".")[0] in ("arms", "comparisons", "subgroups")}
    assert real and real <= endpoint_skeleton(("tvec", "gmcsf"), ("tvec",))


def test_digest_leaves_the_rule_out():
    sc = load_scenario()
    assert sc.digest() == sc.model_copy(update={"success": None}).digest()
    assert isinstance(sc.success[0], Condition)


def test_assurance_cycles_calibration_members_and_needs_the_calibrated_population(tmp_path):
    from ovsim.trial._replicates import ensemble_size, replicate_members

    m = ensemble_size()
    assert replicate_members(load_scenario(), m + 2, True) == [*range(m), 0, 1]
    ref = tmp_path / "ref.yaml"
    ref.write_text("name: r\npopulation: reference\narms: {a: {n: 2, regimen: {}}}\n")
    with pytest.raises(ValueError, match="--assurance: expected a scenario with population: optim_calibrated"):
        run_replicates(load_scenario(ref), 2, assurance=True)


def test_assurance_replicate_is_the_trial_of_its_member():
    sc = load_scenario()
    res = run_replicates(sc, 2, seed=SEED, patients=6, assurance=True)
    assert res.members == [0, 1] and list(res.table["calibration_member"]) == [0, 1]
    member = sc.model_copy(update={"calibration_member": 1})
    single = run_trial(member, seed=replicate_seed(SEED, 1), patients=6)
    doc = {k: v for k, v in single.endpoints.items() if k not in ("provenance", "roles")}
    assert _same(flat_values(doc), flat_values(res.endpoints[1])) == []
    assert res.success["assurance"] and res.success["calibration_members"] == [0, 1]
