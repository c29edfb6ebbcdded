"""Virtual-population selection: prevalence weights meet their targets, tolerances, infeasibility,
determinism and stratified / per-patient resampling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ovsim.calibrate import (
    Constraint,
    Weights,
    prevalence_weights,
    quantile_constraint,
    rate_constraint,
    ratio_constraint,
    resample,
    resample_indexed,
    resample_one,
    share_constraint,
)


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """Smallest x whose weighted CDF reaches q."""
    order = np.argsort(x)
    cdf = np.cumsum(w[order]) / w.sum()
    return float(x[order][np.searchsorted(cdf, q)])


@pytest.fixture(scope="module")
def normal_pps() -> np.ndarray:
    return np.random.default_rng(20240611).standard_normal(20000)


@pytest.fixture(scope="module")
def tilted(normal_pps) -> Weights:
    x = normal_pps
    return prevalence_weights([Constraint("mean", x, 0.7), Constraint("second_moment", x**2, 1.0 + 0.49)])


# ----------------------------------------------------------------- known target distribution


def test_tilt_of_standard_normal_matches_shifted_normal(normal_pps, tilted):
    x, w = normal_pps, tilted.weights
    assert tilted.converged
    assert w.sum() == pytest.approx(1.0, abs=1e-12) and (w > 0).all()
    np.testing.assert_allclose(w @ x, 0.7, atol=1e-10)
    np.testing.assert_allclose(w @ x**2, 1.49, atol=1e-10)
    # exponential tilting of N(0,1) by exp(0.7 x) is exactly N(0.7, 1): λ ≈ (0.7, 0)
    assert tilted.lambdas[0] == pytest.approx(0.7, abs=0.05) and abs(tilted.lambdas[1]) < 0.05
    for q in np.arange(0.1, 0.91, 0.1):
        assert weighted_quantile(x, w, q) == pytest.approx(stats.norm.ppf(q, loc=0.7), abs=0.05), q
    # the unweighted PPs are far from N(0.7, 1): the checks above can fail
    assert abs(weighted_quantile(x, np.ones_like(x), 0.5) - 0.7) > 0.5


def test_resample_of_tilted_population_passes_ks(normal_pps, tilted):
    draws = normal_pps[resample(tilted, 5000, seed=7)]
    assert stats.kstest(draws, stats.norm(0.7, 1.0).cdf).pvalue > 0.01
    uniform = normal_pps[resample(np.ones_like(normal_pps), 5000, seed=7)]
    assert stats.kstest(uniform, stats.norm(0.7, 1.0).cdf).pvalue < 1e-6


def test_rate_and_ratio_met_exactly_2d():
    rng = np.random.default_rng(5)
    n = 4000
    z = rng.standard_normal((n, 2))
    responder = z[:, 0] > 0.3  # unweighted rate ~0.38
    lesions = 1 + rng.poisson(2.0 + z[:, 1].clip(-1.5, None), n)
    shrunk = rng.binomial(lesions, 1.0 / (1.0 + np.exp(-z[:, 1])))  # unweighted ratio ~0.5
    w = prevalence_weights(
        [rate_constraint("orr", responder, 0.264), ratio_constraint("lesion_response", shrunk, lesions, 0.64)]
    ).weights
    assert abs(w @ responder - 0.264) < 1e-8
    assert abs((w @ shrunk) / (w @ lesions) - 0.64) < 1e-8
    assert abs(responder.mean() - 0.264) > 0.05 and abs(shrunk.sum() / lesions.sum() - 0.64) > 0.05


def test_rate_within_subgroup_and_share():
    rng = np.random.default_rng(6)
    n = 3000
    stage = rng.choice(["IIIB", "IIIC", "IVM1a", "IVM1b", "IVM1c"], n)
    responder = rng.random(n) < np.where(np.isin(stage, ["IIIB", "IIIC"]), 0.4, 0.15)
    flags = np.where(stage == "IVM1c", np.nan, responder)  # undefined outside the subgroup: allowed
    early = np.isin(stage, ["IIIB", "IIIC", "IVM1a"])
    res = prevalence_weights(
        [rate_constraint("orr_early", flags, 0.33, among=early), share_constraint("m1c", stage, "IVM1c", 0.27)]
    )
    w = res.weights
    assert abs((w @ (responder & early)) / (w @ early) - 0.33) < 1e-8
    assert abs(w @ (stage == "IVM1c") - 0.27) < 1e-8
    table = res.summary()
    assert list(table.columns[:5]) == ["name", "target", "tolerance", "achieved", "violation"]
    assert table.set_index("name").loc["orr_early", "stated_achieved"] == pytest.approx(0.33, abs=1e-8)
    with pytest.raises(ValueError, match="^flags:"):
        rate_constraint("bad", flags, 0.3)  # NaN inside the (whole-population) subgroup


# ----------------------------------------------------------------- quantiles and tolerances


def test_quantile_constraint_puts_subgroup_median_at_value():
    rng = np.random.default_rng(8)
    n = 5000
    seropositive = rng.random(n) < 0.6
    days = np.where(seropositive, rng.gamma(2.0, 60.0, n), np.nan)  # NaN outside the subgroup
    at = 150.0  # unweighted median ~100 days
    res = prevalence_weights([quantile_constraint("ttr_median", days, at, q=0.5, among=seropositive)])
    w = res.weights
    cdf = w[seropositive & (days <= at)].sum() / w[seropositive].sum()
    assert abs(cdf - 0.5) < 1e-6
    assert abs(np.mean(days[seropositive] <= at) - 0.5) > 0.1
    assert weighted_quantile(days[seropositive], w[seropositive], 0.5) <= at
    assert weighted_quantile(days[seropositive], w[seropositive], 0.5 + 1e-3) > at - 5.0


def test_tolerance_already_met_keeps_uniform_weights():
    flags = np.zeros(1000)
    flags[:310] = 1.0  # unweighted rate 0.31
    res = prevalence_weights([rate_constraint("orr", flags, 0.30, tolerance=0.02)])
    np.testing.assert_array_equal(res.weights, np.full(1000, 1e-3))
    assert res.lambdas[0] == 0.0 and res.max_violation == 0.0
    assert res.effective_sample_size == pytest.approx(1000.0, rel=1e-12)


def test_tolerance_lands_on_nearest_edge_of_band():
    flags = np.zeros(1000)
    flags[:310] = 1.0
    res = prevalence_weights([rate_constraint("orr", flags, 0.20, tolerance=0.02)])
    assert res.weights @ flags == pytest.approx(0.22, abs=1e-9)
    exact = prevalence_weights([rate_constraint("orr", flags, 0.20)])
    assert exact.weights @ flags == pytest.approx(0.20, abs=1e-9)
    # within the band the tilt is smaller: less information lost
    assert res.effective_sample_size > exact.effective_sample_size


def test_subgroup_tolerance_is_in_rate_units():
    rng = np.random.default_rng(9)
    group = rng.random(2000) < 0.3
    flags = rng.random(2000) < 0.5
    res = prevalence_weights([rate_constraint("sub", flags, 0.7, tolerance=0.05, among=group)])
    w = res.weights
    assert (w @ (flags & group)) / (w @ group) == pytest.approx(0.65, abs=1e-9)


# ----------------------------------------------------------------- infeasibility


def test_infeasible_rate_raises_naming_constraint():
    rng = np.random.default_rng(10)
    x = rng.standard_normal(500)
    never = np.zeros(500, bool)
    with pytest.raises(ValueError, match=r"'orr_m1c' achieved 0 vs target 0\.9"):
        prevalence_weights([Constraint("mean", x, 0.1), rate_constraint("orr_m1c", never, 0.9)])


def test_jointly_infeasible_rates_raise():
    a = np.random.default_rng(11).random(800) < 0.4
    with pytest.raises(ValueError, match="'cr'.*'pr'|'pr'.*'cr'"):
        prevalence_weights([rate_constraint("cr", a, 0.7), rate_constraint("pr", ~a, 0.7)])


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="^tolerance"):
        Constraint("x", np.ones(3), 1.0, tolerance=-1.0)
    with pytest.raises(ValueError, match="^base:"):
        prevalence_weights([Constraint("x", np.arange(3.0), 1.0)], base=np.ones(4))
    with pytest.raises(ValueError, match="^constraints: duplicate"):
        prevalence_weights([Constraint("x", np.arange(3.0), 1.0), Constraint("x", np.arange(3.0), 1.0)])
    with pytest.raises(ValueError, match="^q:"):
        quantile_constraint("m", np.arange(3.0), 1.0, q=1.0)


# ----------------------------------------------------------------- determinism and resampling


def test_same_inputs_identical_weights(normal_pps, tilted):
    again = prevalence_weights([Constraint("mean", normal_pps, 0.7), Constraint("second_moment", normal_pps**2, 1.49)])
    np.testing.assert_array_equal(again.weights, tilted.weights)
    np.testing.assert_array_equal(resample(tilted, 300, seed=3), resample(again, 300, seed=3))
    assert not np.array_equal(resample(tilted, 300, seed=3), resample(tilted, 300, seed=4))


def test_stratified_resample_counts_match_shares():
    rng = np.random.default_rng(12)
    strata = rng.choice(["IIIB-IIIC", "IVM1a", "IVM1b", "IVM1c"], 2000)
    w = rng.random(2000)
    shares = {"IIIB-IIIC": 0.52, "IVM1a": 0.27, "IVM1b": 0.12, "IVM1c": 0.09}
    idx = resample(w, 1000, seed=1, strata=strata, shares=shares)
    counts = pd.Series(strata[idx]).value_counts().to_dict()
    assert counts == {"IIIB-IIIC": 520, "IVM1a": 270, "IVM1b": 120, "IVM1c": 90}
    thirds = resample(w, 7, seed=1, strata=strata, shares={"IVM1a": 1 / 3, "IVM1b": 1 / 3, "IVM1c": 1 / 3})
    assert sorted(pd.Series(strata[thirds]).value_counts().tolist()) == [2, 2, 3]
    np.testing.assert_array_equal(idx, resample(w, 1000, seed=1, strata=strata, shares=shares))


def test_resample_follows_weights():
    w = np.array([0.0, 1.0, 3.0, 0.0, 6.0])
    idx = resample(w, 20000, seed=2)
    assert set(np.unique(idx)) == {1, 2, 4}
    np.testing.assert_allclose(np.bincount(idx, minlength=5) / 20000, w / w.sum(), atol=0.015)


def test_indexed_resample_independent_of_split(tilted):
    whole = resample_indexed(tilted, 99, np.arange(100))
    first, second = resample_indexed(tilted, 99, np.arange(50)), resample_indexed(tilted, 99, np.arange(50, 100))
    split = np.concatenate([first, second])
    np.testing.assert_array_equal(whole, split)
    assert [resample_one(tilted, 99, i) for i in (0, 37, 99)] == whole[[0, 37, 99]].tolist()
    assert len(np.unique(whole)) > 90  # distinct streams, not one repeated draw


def test_indexed_resample_within_strata():
    rng = np.random.default_rng(13)
    strata = rng.choice(["a", "b"], 500)
    w = rng.random(500)
    labels = np.array(["a", "b"] * 30)
    got = resample_indexed(w, 5, np.arange(60), labels=labels, strata=strata)
    assert (strata[got] == labels).all()
    assert resample_one(w, 5, 41, strata=strata, label="b") == got[41]
    part = resample_indexed(w, 5, np.arange(40, 60), labels=labels[40:], strata=strata)
    np.testing.assert_array_equal(part, got[40:])


def test_effective_sample_size_uniform_equals_n():
    x = np.linspace(-1.0, 1.0, 801)  # symmetric: mean 0 already met
    res = prevalence_weights([Constraint("mean", x, 0.0)])
    assert res.effective_sample_size == pytest.approx(801.0, rel=1e-9)
    assert res.to_frame()["weight"].sum() == pytest.approx(1.0)
    shifted = prevalence_weights([Constraint("mean", x, 0.3)])
    assert shifted.effective_sample_size < 801.0 * 0.95
