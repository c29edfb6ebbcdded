"""Targets as likelihoods and the vectorised predictor over a pool-outcome table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom, norm

from calibration_synthetic import synthetic_pool
from ovsim.calibrate import build_targets, log_likelihood, pool_predictor, predict_targets, total_log_likelihood
from ovsim.population import STAGES, load_population_spec


def _by_name(targets):
    return {t.name: t for t in targets}


def test_targets_cover_optim_with_documented_counts():
    t = _by_name(build_targets(design_effect=3.0))
    assert len(t) == 2 * 3 + 2 + 1 + 6 + 3  # ITT rates, EU subgroup, time to response, lesion level, survival
    assert (t["durable_response_rate:tvec"].events, t["durable_response_rate:tvec"].n) == (48, 295)
    # objective response: no counts published -> round(value x arm n)
    assert (t["objective_response_rate:tvec"].events, t["objective_response_rate:tvec"].n) == (78, 295)
    assert (t["objective_response_rate:gmcsf"].events, t["objective_response_rate:gmcsf"].n) == (8, 141)
    assert t["objective_response_rate:tvec"].interval == (0.21, 0.32)  # published CI
    assert (t["eu_durable_response_rate:tvec"].events, t["eu_durable_response_rate:tvec"].n) == (41, 163)
    assert (t["eu_durable_response_rate:gmcsf"].events, t["eu_durable_response_rate:gmcsf"].n) == (1, 86)
    ttr = t["responded_by_median_ttr:tvec"]
    assert (ttr.events, ttr.n, ttr.published) == (39, 78, 0.5)
    les = t["lesion_decrease_ge_50pct:injected:tvec"]
    assert les.kind == "lesion_binomial" and les.n == pytest.approx(2116 / 3) and les.events == pytest.approx(0.64 * 2116 / 3)
    hr = t["hazard_ratio_os:tvec_vs_gmcsf"]
    assert hr.sd_log == pytest.approx((math.log(1.0) - math.log(0.62)) / 3.92)
    assert "median_os_months:gmcsf" not in _by_name(build_targets(survival=False))


def test_binomial_and_log_normal_log_likelihoods():
    t = _by_name(build_targets())
    drr = t["durable_response_rate:tvec"]
    p = np.array([0.1, 0.163, 0.3])
    assert np.allclose(drr.loglik(p), binom.logpmf(48, 295, p))
    grid = np.linspace(0.05, 0.4, 3501)
    assert grid[np.argmax(drr.loglik(grid))] == pytest.approx(48 / 295, abs=1e-4)
    # overdispersed lesions: flatter than the plain binomial on all lesions
    les = t["lesion_complete_resolution:injected:tvec"]
    drop = les.loglik(0.47) - les.loglik(0.42)
    plain = binom.logpmf(round(0.47 * 2116), 2116, 0.47) - binom.logpmf(round(0.47 * 2116), 2116, 0.42)
    assert 0 < drop < plain / 2
    hr = t["hazard_ratio_os:tvec_vs_gmcsf"]
    assert hr.loglik(0.9) == pytest.approx(norm.logpdf(math.log(0.79), math.log(0.9), hr.sd_log))
    assert hr.loglik(-1.0) == -np.inf and drr.loglik(np.nan) == -np.inf and drr.loglik(1.5) == -np.inf
    assert drr.within_interval(0.15) and not drr.within_interval(0.25)


def test_log_likelihood_table_and_missing_predictions():
    targets = build_targets(survival=False)
    pred = {t.name: t.published for t in targets}
    total, table = log_likelihood(pred, targets)
    assert total == pytest.approx(table["log_likelihood"].sum()) and table["within_interval"].all()
    worse = dict(pred, **{"durable_response_rate:tvec": 0.3})
    assert log_likelihood(worse, targets)[0] < total
    arr = total_log_likelihood({k: np.array([v, v]) for k, v in pred.items()}, targets)
    assert arr.shape == (2,) and np.allclose(arr, total)
    with pytest.raises(ValueError, match="missing durable_response_rate:tvec"):
        log_likelihood({k: v for k, v in pred.items() if k != "durable_response_rate:tvec"}, targets)
    with pytest.raises(ValueError, match="design_effect"):
        build_targets(design_effect=0.5)


def _toy_table():
    """Two patients per stage; durable response 1 in the first patient of each stage."""
    stages = [s for s in STAGES for _ in range(2)]
    df = pd.DataFrame({"stage": stages, "tvec_durable_response": [1.0, 0.0] * 5, "gmcsf_durable_response": 0.0,
                       "tvec_objective_response": [1.0, 1.0] * 5, "tvec_responded_by_ttr": [1.0, 0.0] * 5})
    df.attrs["arms"] = ["tvec", "gmcsf"]
    return df


def test_post_stratification_to_each_arms_stage_mix():
    df = _toy_table()
    pred = pool_predictor(df)
    mix = load_population_spec().stage_mix["tvec"]
    w = np.ones(10)
    w[np.array(df.stage) == "IVM1c"] *= 7  # stage shares of the weights do not matter
    # stage-wise rate 1/2 everywhere -> 1/2; tilt the within-stage weight in IVM1a towards the responder
    w[4] = 3.0
    out = pred.predict(w / w.sum())
    m = np.array([mix[s] for s in STAGES]) / sum(mix.values())
    per_stage = np.array([0.5, 0.5, 0.75, 0.5, 0.5])
    assert out["durable_response_rate:tvec"] == pytest.approx(float(m @ per_stage))
    eu = m[:3] / m[:3].sum()
    assert out["eu_durable_response_rate:tvec"] == pytest.approx(float(eu @ per_stage[:3]))
    assert out["responded_by_median_ttr:tvec"] == pytest.approx(float(m @ per_stage))  # responders all
    aw = pred.arm_weights(w / w.sum(), "gmcsf")
    gm = load_population_spec().stage_mix["gmcsf"]
    for s in STAGES:
        assert aw[np.array(df.stage) == s].sum() == pytest.approx(gm[s] / sum(gm.values()))


def test_vectorised_prediction_matches_single_and_survival_is_injected():
    out, X, names = synthetic_pool(400, 3)
    pred = pool_predictor(out)
    W = np.random.default_rng(1).dirichlet(np.ones(400), size=5)
    many = pred.predict(W)
    for p in range(5):
        one = pred.predict(W[p])
        assert all(many[k][p] == pytest.approx(one[k]) for k in one)
    seen = []

    def survival(weights_by_arm):
        seen.append({a: w.copy() for a, w in weights_by_arm.items()})
        return {"median_tvec": 20.0, "median_gmcsf": 17.0, "hazard_ratio": 0.8}

    res = predict_targets(pred, W, survival)
    assert len(seen) == 5 and set(seen[0]) == {"tvec", "gmcsf"} and seen[0]["tvec"].sum() == pytest.approx(1)
    assert np.allclose(res["hazard_ratio_os:tvec_vs_gmcsf"], 0.8) and np.allclose(res["median_os_months:tvec"], 20)
    with pytest.raises(ValueError, match="hazard_ratio"):
        predict_targets(pred, W[0], lambda w: {"median_tvec": 1.0, "median_gmcsf": 1.0})


def test_predictor_rejects_bad_tables():
    df = _toy_table()
    with pytest.raises(ValueError, match="outcomes.stage"):
        pool_predictor(df.assign(stage="IV"))
    with pytest.raises(ValueError, match="stage_mix"):
        pool_predictor(df, stage_mix={"tvec": {"IIIB": 1.0}})
    with pytest.raises(ValueError, match="weights"):
        pool_predictor(df).predict(np.ones(3))
