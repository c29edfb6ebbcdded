"""The survival calibration: deterministic medians and hazard ratio, and the fit recovering known coefficients."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ovsim.calibrate._features import VOLUME_COLUMN, volume_course
from ovsim.calibrate._survival_fit import SurvivalPool, fit_survival, monte_carlo_hazard_ratio, predict
from ovsim.trial import SurvivalModel
from ovsim.trial._survival_population import cox_limit_hazard_ratio

T = np.arange(0.0, 729.0, 28.0)
ARMS = ("tvec", "gmcsf")
TRUTH = SurvivalModel(tumour_hazard_per_month=0.025, beta_burden=0.3, beta_growth_day=40.0)


def synthetic_pool(n: int = 400, seed: int = 1) -> pd.DataFrame:
    """A paired pool: each patient's true volume on the experimental arm (more cures, slower growth) and control."""
    rng = np.random.default_rng(seed)
    v0 = np.exp(rng.normal(math.log(20.0), 1.0, n))
    cols = {}
    for arm, cured, shift in (("tvec", 0.15, 0.0), ("gmcsf", 0.03, 0.003)):
        rate = rng.uniform(-0.004, 0.012, n) + shift
        v = v0[:, None] * np.exp(np.outer(rate, T))
        cure = rng.random(n) < cured
        v[cure] = np.where(T[None, :] < rng.uniform(56, 200, cure.sum())[:, None], v[cure] * np.exp(-0.05 * T), 0.0)
        with np.errstate(divide="ignore"):
            logv = np.maximum(np.log10(v), -30.0).astype(np.float32)
        cols.update({VOLUME_COLUMN.format(arm=arm, day=day): logv[:, k] for k, day in enumerate(T)})
    out = pd.DataFrame({"ecog": rng.random(n) < 0.3, "ldh_x_uln": rng.uniform(0.5, 1.4, n), **cols})
    out["ecog"] = out["ecog"].astype(int)
    out.attrs["arms"] = list(ARMS)
    return out


def _targets(values: dict[str, float]) -> dict:
    def entry(v):
        return {"value": v, "ci95": [v / 1.25, v * 1.25]}
    return {"overall_survival": {"median_months": {a: entry(values[f"median_{a}"]) for a in ARMS},
                                 "hazard_ratio_tvec_vs_gmcsf": entry(values["hazard_ratio"])}}


def test_volume_columns_round_trip():
    out = synthetic_pool(20)
    days, v = volume_course(out, "gmcsf")
    assert np.array_equal(days, T) and v.shape == (20, len(T))
    assert np.allclose(np.log10(np.maximum(v, 1e-30)), out.filter(like="gmcsf_log10").to_numpy(), atol=1e-6)


def test_cox_limit_equals_the_hazard_ratio_under_proportional_hazards():
    months = np.arange(0.0, 84.01, 0.5)
    s0 = np.exp(-0.04 * months)
    for hr in (0.5, 0.79, 1.3):
        s1 = np.exp(-0.04 * hr * months)
        assert cox_limit_hazard_ratio(s1, s0, months, 0.68, 60.0, 24.0) == pytest.approx(hr, rel=1e-4)


def test_cox_limit_agrees_with_a_large_simulated_trial():
    out = synthetic_pool(300)
    w = {a: np.full(len(out), 1.0) for a in ARMS}
    pool = SurvivalPool(out, w, TRUTH)
    limit = predict(pool, TRUTH, 60.0, 24.0, 0.68)["hazard_ratio"]
    mc = monte_carlo_hazard_ratio(pool, TRUTH, 60.0, 24.0, 0.68, 60000, seed=3)
    assert limit < 0.95 and abs(math.log(mc / limit)) < 0.03  # Monte Carlo SE of log HR ~0.01


def test_fit_recovers_known_coefficients():
    out = synthetic_pool()
    rng = np.random.default_rng(7)
    w = {a: rng.uniform(0.5, 1.5, len(out)) for a in ARMS}
    truth_values = predict(SurvivalPool(out, w, TRUTH), TRUTH, 60.0, 24.0, 0.68)
    start = SurvivalModel(tumour_hazard_per_month=0.01, beta_burden=1.0, beta_growth_day=5.0)
    model, report = fit_survival(out, w, _targets(truth_values), start, 60.0, 24.0, allocation_first=0.68)
    assert model.tumour_hazard_per_month == pytest.approx(TRUTH.tumour_hazard_per_month, rel=0.02)
    assert model.beta_burden == pytest.approx(TRUTH.beta_burden, rel=0.02)
    assert model.beta_growth_day == pytest.approx(TRUTH.beta_growth_day, rel=0.02)
    assert report["loss"] < 1e-8 and report["converged"]
    for key in ("median_tvec", "median_gmcsf", "hazard_ratio"):
        assert report["achieved"][key] == pytest.approx(truth_values[key], rel=1e-4)
        assert report["standard_errors"][key] == pytest.approx(math.log(1.25**2) / 3.92)
    # other coefficients are never touched by the fit
    assert model.model_copy(update={k: getattr(start, k) for k in report["fitted"]}) == start


def test_fit_refuses_more_than_three_or_unknown_coefficients():
    out = synthetic_pool(30)
    w = {a: np.ones(len(out)) for a in ARMS}
    with pytest.raises(ValueError, match="fit: expected at most three"):
        fit_survival(out, w, _targets({"median_tvec": 20, "median_gmcsf": 15, "hazard_ratio": 0.8}), TRUTH, 60, 24,
                     allocation_first=0.68, fit=["beta_ecog1"])
    with pytest.raises(ValueError, match="weights.tvec"):
        fit_survival(out, {"tvec": -np.ones(len(out)), "gmcsf": np.ones(len(out))},
                     _targets({"median_tvec": 20, "median_gmcsf": 15, "hazard_ratio": 0.8}), TRUTH, 60, 24,
                     allocation_first=0.68)
