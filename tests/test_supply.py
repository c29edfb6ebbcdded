"""ovsim.supply: vials per visit and patient, the supply forecast's resampling, trial costs, ``ovsim supply``."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ovsim.cli import app
from ovsim.supply import (
    Courses,
    courses_from_doses,
    forecast_supply,
    gmcsf_cycles,
    supply_endpoints,
    supply_table,
    trial_costs,
    usage_summary,
    vial_usage,
    visit_vials,
)

runner = CliRunner()
E6, E8 = 1e6, 1e8


def tvec(pid, day, vols, conc, arm=None):
    rows = [{"ID": pid, "TIME": float(day), "EVID": 1, "AMT": v * conc, "RATE": 0.0, "CMT": 1, "LESION_ID": f"{pid}-L{k}",
             "VOL_ML": v, "CONC_PFU_ML": conc, "DRUG": "TVEC", "AMT_UNIT": "PFU"} for k, v in enumerate(vols)]
    return [{**r, "ARM": arm} for r in rows] if arm else rows


def gmcsf(pid, days, arm=None):
    rows = [{"ID": pid, "TIME": float(d), "EVID": 1, "AMT": 250.0, "RATE": 250.0, "CMT": 9, "LESION_ID": "",
             "VOL_ML": 0.0, "CONC_PFU_ML": 0.0, "DRUG": "GMCSF", "AMT_UNIT": "ug"} for d in days]
    return [{**r, "ARM": arm} for r in rows] if arm else rows


# --- vials -------------------------------------------------------------------------------------------------------------

def test_vials_per_visit_and_patient():
    doses = pd.DataFrame(
        tvec("P1", 0, [0.4, 0.2], E6)            # 0.6 mL of 1e6: 1 vial, 0.4 mL waste
        + tvec("P1", 21, [2.0, 0.5], E8)         # 2.5 mL of 1e8: 3 vials, 0.5 mL waste
        + tvec("P1", 35, [0.7, 0.2, 0.1], E8)    # 1.0 mL (summed in floating point): 1 vial, no waste
        + tvec("P1", 49, [4.0], E8)              # 4 mL: 4 vials
        + tvec("P2", 0, [4.0], E6)
        + gmcsf("P2", range(3)))                 # other drugs are ignored
    visits = visit_vials(doses)
    assert visits[["day", "strength", "volume_ml", "vials", "waste_ml"]].values.tolist()[:4] == [
        [0.0, "1e6", 0.6, 1, 0.4], [21.0, "1e8", 2.5, 3, 0.5], [35.0, "1e8", 1.0, 1, 0.0], [49.0, "1e8", 4.0, 4, 0.0]]
    usage = vial_usage(doses).set_index(["patient_id", "strength"])
    assert usage.loc[("P1", "1e6"), ["visits", "vials"]].tolist() == [1, 1]
    assert usage.loc[("P1", "1e8"), ["visits", "volume_ml", "vials", "waste_ml"]].tolist() == [3, 7.5, 8, 0.5]
    assert usage.loc[("P2", "1e6"), ["vials", "waste_ml"]].tolist() == [4, 0.0]
    assert set(usage.reset_index()["arm"]) == {"all"}


def test_paired_arms_are_kept_apart_and_summary_counts_zeros():
    doses = pd.DataFrame(tvec("P1", 0, [2.5], E6, "tvec") + tvec("P1", 21, [3.0], E8, "tvec")
                         + gmcsf("P1", range(14), "gmcsf") + tvec("P2", 0, [1.0], E6, "tvec"))
    usage = vial_usage(doses)
    assert set(zip(usage.arm, usage.patient_id)) == {("tvec", "P1"), ("tvec", "P2")}
    patients = pd.DataFrame({"arm": ["tvec", "tvec", "tvec", "gmcsf", "gmcsf"], "patient_id": ["P1", "P2", "P3", "P1", "P2"],
                             "ok": [True, True, False, True, True]})
    s = usage_summary(usage, patients).set_index(["arm", "strength"])
    assert s.loc[("tvec", "1e6"), "patients"] == 2  # P3 failed: not counted
    assert s.loc[("tvec", "1e6"), "vials_mean"] == pytest.approx(2.0) and s.loc[("tvec", "1e6"), "vials_total"] == 4
    assert s.loc[("tvec", "1e6"), "waste_fraction"] == pytest.approx(0.5 / 4)
    assert s.loc[("tvec", "all"), "vials_total"] == 7 and s.loc[("tvec", "all"), "visits_mean"] == pytest.approx(1.5)
    assert s.loc[("gmcsf", "all"), "vials_total"] == 0 and s.loc[("gmcsf", "all"), "vials_mean"] == 0
    with pytest.raises(ValueError, match="ARM"):  # records without arms cannot be matched to a trial's arms
        usage_summary(vial_usage(doses.drop(columns="ARM")), patients)


def test_gmcsf_cycles_started():
    doses = pd.DataFrame(gmcsf("P1", list(range(14)) + list(range(28, 42)) + [56]) + gmcsf("P2", [3]))
    c = gmcsf_cycles(doses).set_index("patient_id")["cycles"]
    assert c.to_dict() == {"P1": 3, "P2": 1}


# --- forecast ----------------------------------------------------------------------------------------------------------

def synthetic_courses() -> Courses:
    """Three courses: 4 + 3 + 3 vials over 5 weeks; 1 vial at day 0; none (a patient who needs nothing)."""
    visits = pd.DataFrame({"course": [0, 0, 0, 1], "patient_id": ["A", "A", "A", "B"], "day": [0.0, 21.0, 35.0, 0.0],
                           "strength": ["1e6", "1e8", "1e8", "1e6"], "volume_ml": [3.5, 2.5, 3.0, 0.3],
                           "vials": [4, 3, 3, 1]})
    return Courses(visits, 3, {"source": "test"})


def test_forecast_is_deterministic_ordered_and_keyed_by_replicate():
    courses = synthetic_courses()
    a = forecast_supply(courses, 4.0, 6, replicates=200, seed=3)
    b = forecast_supply(courses, 4.0, 6, replicates=200, seed=3)
    for key in a.draws:
        np.testing.assert_array_equal(a.draws[key], b.draws[key])
    assert not np.array_equal(a.draws["week"], forecast_supply(courses, 4.0, 6, replicates=200, seed=4).draws["week"])
    first = forecast_supply(courses, 4.0, 6, replicates=50, seed=3)  # replicate r has its own stream
    np.testing.assert_array_equal(first.draws["week"], a.draws["week"][:50])
    for frame in (a.weekly, a.monthly, a.totals):
        assert (frame["p05"] <= frame["median"]).all() and (frame["median"] <= frame["p95"]).all()
    assert len(a.weekly) == 2 * math.ceil(6 * 365.25 / 12 / 7)
    np.testing.assert_array_equal(a.draws["week"].sum(axis=2), a.draws["window"])  # weeks and months add up alike
    assert (a.draws["window"] <= a.draws["committed"]).all()
    assert a.draws["window"][:, 0].tolist() == a.draws["committed"][:, 0].tolist()  # 1e6 only at day 0: all inside


def test_forecast_total_matches_rate_times_mean_vials():
    """Committed vials of one centre are compound Poisson: T = sum of v_c over n ~ Poisson(lam) patients
    (lam = N x months), c uniform over the K courses, so E[T] = lam * mean(v) and Var[T] = lam * mean(v^2).
    The mean of R replicates has SD sqrt(lam * mean(v^2) / R); we allow 5 SD (a false alarm ~ 1e-6)."""
    courses = synthetic_courses()
    n, months, reps = 5.0, 12, 400
    f = forecast_supply(courses, n, months, replicates=reps, seed=11)
    v = courses.vials_per_course().to_numpy(dtype=float)  # (K, strengths)
    lam = n * months
    expected, sd = lam * v.mean(axis=0), np.sqrt(lam * (v**2).mean(axis=0) / reps)
    got = f.draws["committed"].mean(axis=0)
    assert np.all(np.abs(got - expected) < 5 * sd), (got, expected, sd)
    assert abs(f.draws["started"].mean() - lam) < 5 * math.sqrt(lam / reps)
    totals = f.totals.set_index(["strength", "scope"])
    assert totals.loc[("1e8", "committed"), "mean"] == pytest.approx(got[1])


def test_forecast_costs_and_document():
    f = forecast_supply(synthetic_courses(), 2.0, 3, replicates=100, seed=0)
    cost = f.costs({"1e6": 10.0, "1e8": 100.0}).set_index("scope")
    expected = (f.draws["committed"] @ np.array([10.0, 100.0])).mean()
    assert cost.loc["committed", "mean"] == pytest.approx(expected)
    doc = json.loads(json.dumps(f.to_dict({"1e6": 10.0, "1e8": 100.0})))
    assert doc["inputs"]["stream_key"] == 8 and doc["prices_per_vial"] == {"1e6": 10.0, "1e8": 100.0}
    assert len(doc["weekly"]) == len(f.weekly)


def test_courses_round_trip_and_from_doses(tmp_path):
    doses = pd.DataFrame(tvec("P1", 7, [1.0], E6) + tvec("P1", 28, [2.5], E8) + tvec("P2", 0, [0.5], E6))
    c = courses_from_doses(doses, ["P1", "P2", "P3"], {"seed": 1})
    assert c.n_courses == 3 and c.visits[c.visits.course == 0]["day"].tolist() == [0.0, 21.0]  # days from first visit
    assert c.vials_per_course().to_numpy().tolist() == [[1, 3], [1, 0], [0, 0]]
    back = Courses.load(c.save(tmp_path / "c.parquet"))
    assert back.n_courses == 3 and back.provenance == {"seed": 1}
    pd.testing.assert_frame_equal(back.visits, c.visits)
    with pytest.raises(ValueError, match="not a courses file"):
        pd.DataFrame({"a": [1]}).to_parquet(tmp_path / "x.parquet")
        Courses.load(tmp_path / "x.parquet")


# --- costs -------------------------------------------------------------------------------------------------------------

def synthetic_trial(n_a: int, dr_a: int, n_b: int, dr_b: int, paired: bool = False):
    """Arm tvec: each patient 2 vials of 1e6 (day 0) and 10 of 1e8 (days 21, 35: 5 mL... as 4 + 1 vials x2);
    arm gmcsf: each patient 3 GM-CSF cycles. ``dr_*`` durable responders per arm."""
    ids_a = [f"P{i}" for i in range(n_a)]
    ids_b = ids_a if paired else [f"Q{i}" for i in range(n_b)]
    rows = []
    for pid in ids_a:
        rows += tvec(pid, 0, [1.5], E6, "tvec") + tvec(pid, 21, [4.0, 1.0], E8, "tvec") + tvec(pid, 35, [4.0, 1.0], E8, "tvec")
    for pid in ids_b:
        rows += gmcsf(pid, list(range(14)) + list(range(28, 42)) + list(range(56, 70)), "gmcsf")
    patients = pd.DataFrame({
        "patient_key": [f"tvec:{p}" for p in ids_a] + [f"gmcsf:{p}" for p in ids_b],
        "patient_id": ids_a + ids_b, "arm": ["tvec"] * n_a + ["gmcsf"] * len(ids_b), "ok": True,
        "durable_response": [i < dr_a for i in range(n_a)] + [i < dr_b for i in range(len(ids_b))],
    })
    return patients, pd.DataFrame(rows)


PRICES = {"1e6": 100.0, "1e8": 1000.0, "gmcsf_cycle": 500.0}


def test_costs_known_answers():
    patients, doses = synthetic_trial(100, 60, 100, 10)
    res = trial_costs(patients, vial_usage(doses), PRICES, seed=5, cycles=gmcsf_cycles(doses), resamples=500)
    arms = res.arms.set_index("arm")
    assert arms.loc["tvec", "cost_mean"] == pytest.approx(2 * 100 + 10 * 1000)  # 10,200 per patient
    assert arms.loc["gmcsf", "cost_mean"] == pytest.approx(3 * 500)
    assert arms.loc["tvec", "cost_mean_ci95"] == pytest.approx((10200, 10200))  # every patient costs the same
    assert arms.loc["tvec", "cost_per_durable_responder"] == pytest.approx(100 * 10200 / 60)
    assert arms.loc["gmcsf", "cost_per_durable_responder"] == pytest.approx(100 * 1500 / 10)
    lo, hi = arms.loc["gmcsf", "cost_per_durable_responder_ci95"]
    assert lo < 15000 < hi
    icer = res.comparison["incremental_cost_per_durable_responder"]
    assert icer["defined"] and icer["value"] == pytest.approx((10200 - 1500) / (0.6 - 0.1))  # 17,400
    assert icer["ci95"][0] < icer["value"] < icer["ci95"][1]
    assert res.method["design"].startswith("independent") and res.method["stream_key"] == 9
    again = trial_costs(patients, vial_usage(doses), PRICES, seed=5, cycles=gmcsf_cycles(doses), resamples=500)
    assert again.comparison == res.comparison  # seeded
    json.dumps(res.to_dict(), allow_nan=False)


def test_costs_undefined_ratio_is_reported_as_such():
    patients, doses = synthetic_trial(20, 3, 20, 0)  # difference 0.15, its interval includes 0
    res = trial_costs(patients, vial_usage(doses), PRICES, seed=1, cycles=gmcsf_cycles(doses), resamples=400)
    icer = res.comparison["incremental_cost_per_durable_responder"]
    assert icer["defined"] is False and icer["value"] is None and icer["ci95"] == [None, None]
    assert "includes 0" in icer["note"] and "undefined" in icer["note"]
    assert res.comparison["delta_durable_response_rate"]["value"] == pytest.approx(0.15)
    gm = res.to_dict()["arms"]["gmcsf"]
    assert gm["cost_per_durable_responder"] == {"value": None, "ci95": [None, None]}  # no responder at all
    assert any("gmcsf: no durable responder" in n for n in res.notes)
    tv = res.to_dict()["arms"]["tvec"]["cost_per_durable_responder"]
    assert tv["value"] == pytest.approx(20 * 10200 / 3)  # upper end unbounded if a resample had no responder
    assert tv["ci95"][1] is None or tv["ci95"][1] > tv["value"]
    json.dumps(res.to_dict(), allow_nan=False)


def test_costs_paired_design_and_errors():
    patients, doses = synthetic_trial(30, 20, 30, 5, paired=True)
    res = trial_costs(patients, vial_usage(doses), PRICES, seed=2, cycles=gmcsf_cycles(doses), resamples=200)
    assert res.method["design"].startswith("paired")
    with pytest.raises(ValueError, match="cycles"):
        trial_costs(patients, vial_usage(doses), PRICES, seed=2)
    with pytest.raises(ValueError, match="prices.1e8"):
        trial_costs(patients, vial_usage(doses), {"1e8": -1.0}, seed=2)
    doc = supply_endpoints(patients, doses, PRICES, seed=2, resamples=200)
    assert doc["vials"]["tvec"]["1e8"]["vials_mean"] == 10 and doc["gmcsf_cycles_mean"] == {"tvec": 0.0, "gmcsf": 3.0}
    assert doc["costs"]["arms"]["tvec"]["cost_mean"]["value"] == pytest.approx(10200)
    table = supply_table(doc)
    assert list(table["arm"]) == ["tvec", "gmcsf"] and "cost per durable responder" in table
    json.dumps(doc, allow_nan=False)


# --- command line ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, expected", [
    (["--patients-per-month", "0", "--months", "3"], "--patients-per-month: expected a number > 0"),
    (["--patients-per-month", "-2", "--months", "3"], "--patients-per-month"),
    (["--patients-per-month", "2", "--months", "121"], "--months: expected an integer from 1 to 120"),
    (["--patients-per-month", "2", "--months", "0"], "--months"),
    (["--patients-per-month", "2", "--months", "3", "--courses-patients", "5001"], "--courses-patients"),
    (["--patients-per-month", "2", "--months", "3", "--replicates", "10001"], "--replicates"),
    (["--patients-per-month", "2", "--months", "3", "--price-1e6", "-5"], "--price-1e6: expected a price"),
    (["--patients-per-month", "2", "--months", "3", "--seed", "-1"], "--seed"),
])
def test_bad_options_are_one_line(tmp_path, args, expected):
    res = runner.invoke(app, ["supply", *args, "--out", str(tmp_path / "x")])
    assert res.exit_code == 2
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("ovsim: error: ") and expected in lines[0], res.output
    assert not (tmp_path / "x").exists()


def test_supply_end_to_end(tmp_path):
    out, cache = tmp_path / "supply", tmp_path / "courses.parquet"
    res = runner.invoke(app, ["supply", "--patients-per-month", "2", "--months", "4", "--courses-patients", "16",
                              "--replicates", "200", "--price-1e6", "900", "--price-1e8", "2500", "--courses", str(cache),
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "1e8 PFU/mL" in res.output and "Vial cost" in res.output
    assert {p.name for p in out.iterdir()} == {"forecast.csv", "forecast.png", "supply.json", ".ovsim-output.json"}
    weekly = pd.read_csv(out / "forecast.csv", dtype={"strength": str})
    assert list(weekly.columns) == ["week", "start_day", "strength", "mean", "median", "p05", "p95"]
    assert set(weekly.strength) == {"1e6", "1e8"} and (weekly.p05 <= weekly.p95).all()
    doc = json.loads((out / "supply.json").read_text())
    assert doc["courses"]["n_courses"] + doc["courses"]["failed"] == 16 and doc["courses"]["horizon_days"] == 730
    assert doc["courses"]["regimen"] == {"tvec": "optim"}
    committed = {r["strength"]: r["mean"] for r in doc["totals"] if r["scope"] == "committed"}
    assert committed["1e8"] > committed["1e6"] > 0
    # the cached courses are reused (no simulation) and the forecast is the same for the same seed
    again = runner.invoke(app, ["supply", "--patients-per-month", "2", "--months", "4", "--replicates", "200",
                                "--courses", str(cache), "--out", str(tmp_path / "again"), "--format", "json"])
    assert again.exit_code == 0, again.output
    summary = json.loads(again.output)
    assert summary["totals"] == doc["totals"]
    bad = runner.invoke(app, ["supply", "--patients-per-month", "2", "--months", "4", "--courses-patients", "20",
                              "--courses", str(cache), "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 2 and "holds courses of 16" in bad.output and not (tmp_path / "bad").exists()


def test_cohort_writes_vials(tmp_path):
    out = tmp_path / "cohort"
    res = runner.invoke(app, ["cohort", "--patients", "3", "--seed", "1", "--horizon-days", "84", "--every-days", "28",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    vials = pd.read_csv(out / "vials.csv")
    doses = pd.concat([pd.read_parquet(p) for p in out.glob("doses-part-*.parquet")])
    assert vials["vials"].sum() == visit_vials(doses)["vials"].sum() > 0
    assert "T-VEC vials, 1e8 PFU/mL" in res.output
    assert not list(tmp_path.glob(".cohort.tmp-*"))
