"""Trial statistics checked against hand computations, published values, scipy and statsmodels."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

from ovsim.trial._stats_binomial import (
    Comparison,
    fisher_exact,
    odds_ratio,
    rate,
    rate_difference,
    rate_of,
    relative_risk,
)
from ovsim.trial._stats_survival import (
    cox_ph,
    hazard_ratio,
    kaplan_meier,
    landmark_survival,
    logrank,
)

sm_survfunc = pytest.importorskip("statsmodels.duration.survfunc")
sm_phreg = pytest.importorskip("statsmodels.duration.hazard_regression")
sm_prop = pytest.importorskip("statsmodels.stats.proportion")

Z = 1.959963984540054


def _ties_data(seed: int, n: int = 120) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Times rounded to whole months (many ties), ~30% censored, a binary arm and a continuous covariate."""
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 2, n)
    age = rng.normal(60.0, 10.0, n)
    time = np.round(rng.exponential(12.0 * np.exp(0.4 * arm - 0.02 * (age - 60.0))))
    event = rng.random(n) < 0.7
    return time, event, arm, age


# ---------------------------------------------------------------- binomial


@pytest.mark.parametrize("k,n", [(0, 1), (1, 1), (0, 10), (1, 10), (5, 10), (10, 10), (3, 7), (48, 295)])
def test_clopper_pearson_matches_scipy_binomtest(k, n):
    r = rate(k, n)
    ref = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    assert r.value == pytest.approx(k / n)
    assert r.ci95 == pytest.approx((ref.low, ref.high), abs=1e-12)
    assert (r.events, r.n) == (k, n)
    if k == 0:
        assert r.ci95[0] == 0.0
    if k == n:
        assert r.ci95[1] == 1.0


def test_rate_optim_durable_response_and_json():
    r = rate(48, 295)  # OPTiM T-VEC arm durable response, 48/295 = 16.3%
    assert r.value == pytest.approx(0.16271186440677965, rel=1e-14)
    assert r.ci95[0] < r.value < r.ci95[1]
    d = r.to_dict()
    assert d == {"value": r.value, "ci95": [r.ci95[0], r.ci95[1]], "events": 48, "n": 295}
    assert all(type(v) is float for v in [d["value"], *d["ci95"]])
    flags = np.zeros(295, bool)
    flags[:48] = True
    assert rate_of(flags) == r
    assert rate_of(flags.astype(int)) == r


def test_rate_empty_is_nan_and_json_null():
    r = rate(0, 0)
    assert math.isnan(r.value) and all(math.isnan(x) for x in r.ci95)
    d = r.to_dict()
    assert d == {"value": None, "ci95": [None, None], "events": 0, "n": 0}
    json.dumps(d, allow_nan=False)
    assert rate_of(np.array([], bool)).n == 0


def _fisher_by_enumeration(a: int, n1: int, c: int, n2: int) -> float:
    """Two-sided Fisher p: sum of hypergeometric probabilities of tables (same margins) no likelier than the observed."""
    m = a + c
    total = math.comb(n1 + n2, m)
    prob = {x: Fraction(math.comb(n1, x) * math.comb(n2, m - x), total)
            for x in range(max(0, m - n2), min(n1, m) + 1)}
    return float(sum(p for p in prob.values() if p <= prob[a]))


@pytest.mark.parametrize("a,n1,c,n2", [(3, 10, 8, 12), (0, 6, 5, 7), (2, 5, 2, 5), (9, 10, 3, 10)])
def test_fisher_matches_hand_enumeration(a, n1, c, n2):
    assert fisher_exact(rate(a, n1), rate(c, n2)) == pytest.approx(_fisher_by_enumeration(a, n1, c, n2), rel=1e-10)


def test_relative_risk_and_odds_ratio_hand_formulas():
    a, n1, c, n2 = 30, 100, 15, 90
    rr, orr = relative_risk(rate(a, n1), rate(c, n2)), odds_ratio(rate(a, n1), rate(c, n2))
    assert rr.value == pytest.approx((30 / 100) / (15 / 90))
    se = math.sqrt(1 / 30 - 1 / 100 + 1 / 15 - 1 / 90)
    assert rr.ci95 == pytest.approx((rr.value * math.exp(-Z * se), rr.value * math.exp(Z * se)))
    assert orr.value == pytest.approx((30 * 75) / (70 * 15))
    se = math.sqrt(1 / 30 + 1 / 70 + 1 / 15 + 1 / 75)
    assert orr.ci95 == pytest.approx((orr.value * math.exp(-Z * se), orr.value * math.exp(Z * se)))
    p = _fisher_by_enumeration(a, n1, c, n2)
    assert rr.p_value == pytest.approx(p, rel=1e-9) and orr.p_value == pytest.approx(p, rel=1e-9)
    assert "Katz" in rr.method and "Woolf" in orr.method and "continuity" not in rr.method


def test_zero_cell_uses_continuity_correction_for_interval():
    rr = relative_risk(rate(0, 10), rate(5, 10))
    assert rr.value == 0.0 and "0.5 continuity correction" in rr.method
    centre = (0.5 / 11) / (5.5 / 11)
    se = math.sqrt(1 / 0.5 - 1 / 11 + 1 / 5.5 - 1 / 11)
    assert rr.ci95 == pytest.approx((centre * math.exp(-Z * se), centre * math.exp(Z * se)))
    orr = odds_ratio(rate(4, 10), rate(0, 10))
    assert math.isinf(orr.value) and "0.5 continuity correction" in orr.method
    centre = (4.5 * 10.5) / (6.5 * 0.5)
    se = math.sqrt(1 / 4.5 + 1 / 6.5 + 1 / 0.5 + 1 / 10.5)
    assert orr.ci95 == pytest.approx((centre * math.exp(-Z * se), centre * math.exp(Z * se)))
    d = orr.to_dict()
    assert d["value"] is None and d["ci95"][0] == pytest.approx(orr.ci95[0])
    json.dumps(d, allow_nan=False)


# Newcombe (1998) Stat Med 17:873-890, Table II, method 10 (hybrid score, no continuity correction).
NEWCOMBE_TABLE_II = [
    ((56, 70), (48, 80), (0.0524, 0.3339)),
    ((9, 10), (3, 10), (0.1705, 0.8090)),
    ((6, 7), (2, 7), (0.0582, 0.8062)),
    ((5, 56), (0, 29), (-0.0381, 0.1926)),
    ((0, 10), (0, 20), (-0.1611, 0.2775)),
    ((10, 10), (0, 20), (0.6791, 1.0000)),
]


@pytest.mark.parametrize("arm_a,arm_b,ci", NEWCOMBE_TABLE_II)
def test_newcombe_interval_published_values(arm_a, arm_b, ci):
    d = rate_difference(rate(*arm_a), rate(*arm_b))
    assert d.value == pytest.approx(arm_a[0] / arm_a[1] - arm_b[0] / arm_b[1])
    assert d.ci95 == pytest.approx(ci, abs=5e-5)
    ref = sm_prop.confint_proportions_2indep(*arm_a, *arm_b, method="newcomb", compare="diff")
    assert d.ci95 == pytest.approx(tuple(float(x) for x in ref), abs=1e-12)
    assert "Newcombe" in d.method


def test_comparison_with_empty_arm_is_nan():
    for f in (relative_risk, odds_ratio, rate_difference):
        c = f(rate(0, 0), rate(3, 10))
        assert isinstance(c, Comparison) and math.isnan(c.value)
        json.dumps(c.to_dict(), allow_nan=False)


@pytest.mark.parametrize("args,name", [((-1, 5), "events"), ((6, 5), "events"), ((1.5, 5), "events"),
                                       ((1, -2), "n"), ((1, "x"), "n")])
def test_rate_bad_input(args, name):
    with pytest.raises(ValueError, match=f"^{name}:"):
        rate(*args)


def test_rate_of_bad_input():
    with pytest.raises(ValueError, match="^flags:"):
        rate_of(np.array([0, 2, 1]))
    with pytest.raises(ValueError, match="^flags:"):
        rate_of(np.ones((2, 2), bool))


# ---------------------------------------------------------------- Kaplan-Meier

#            1  2  2  3+ 4  4  4+ 6  8+ 9
HAND_T = np.array([1, 2, 2, 3, 4, 4, 4, 6, 8, 9], float)
HAND_E = np.array([1, 1, 1, 0, 1, 1, 0, 1, 0, 1], bool)


def test_kaplan_meier_hand_computed():
    km = kaplan_meier(HAND_T, HAND_E)
    # product limit: at t=1 10 at risk 1 death; t=2 9 at risk 2 deaths; t=3 one censored; t=4 6 at risk
    # 2 deaths 1 censored; t=6 3 at risk 1 death; t=8 one censored; t=9 1 at risk 1 death.
    s1 = Fraction(9, 10)
    s2 = s1 * Fraction(7, 9)
    s4 = s2 * Fraction(4, 6)
    s6 = s4 * Fraction(2, 3)
    np.testing.assert_array_equal(km.time, [0, 1, 2, 3, 4, 6, 8, 9])
    np.testing.assert_allclose(km.survival, [float(x) for x in (1, s1, s2, s2, s4, s6, s6, 0)], rtol=1e-14)
    np.testing.assert_array_equal(km.at_risk, [10, 10, 9, 7, 6, 3, 2, 1])
    np.testing.assert_array_equal(km.events, [0, 1, 2, 0, 2, 1, 0, 1])
    np.testing.assert_array_equal(km.censored, [0, 0, 0, 1, 1, 0, 1, 0])
    assert float(s4) == pytest.approx(7 / 15)
    # log(-log) interval at t=4 with the Greenwood sum written out
    greenwood = 1 / (10 * 9) + 2 / (9 * 7) + 2 / (6 * 4)
    s = 7 / 15
    w = math.exp(Z * math.sqrt(greenwood) / abs(math.log(s)))
    assert km.survival_at(4.0) == pytest.approx((s, s**w, s ** (1 / w)))
    assert km.survival_at(5.99) == km.survival_at(4.0)  # step function, right-continuous
    assert km.survival_at(0.5) == (1.0, 1.0, 1.0)
    assert km.survival_at(100.0) == (0.0, 0.0, 0.0)  # S reached 0 at the last time
    assert km.median() == 4.0  # first time with S < 0.5
    # Brookmeyer-Crowley: z = (log(-log S) - log(log 2)) / (sqrt(Greenwood) / |log S|) at each event time
    zs = {t: (math.log(-math.log(sv)) - math.log(math.log(2))) / (math.sqrt(g) / abs(math.log(sv)))
          for t, sv, g in [(1, 0.9, 1 / 90), (2, 0.7, 1 / 90 + 2 / 63), (4, s, greenwood),
                           (6, float(s6), greenwood + 1 / 6)]}
    assert all(abs(z) <= Z for z in zs.values())  # all accepted -> lower 1, upper = next event time 9
    assert km.median_ci95() == (1.0, 9.0)
    assert [km.at_risk_at(t) for t in (0, 1, 1.5, 4, 4.5, 9, 9.5)] == [10, 10, 9, 6, 3, 1, 0]
    assert landmark_survival(km, [2, 6]) == {2.0: km.survival_at(2), 6.0: km.survival_at(6)}
    df = km.to_frame()
    assert list(df.columns) == ["time", "survival", "lower", "upper", "at_risk", "events", "censored"]
    assert len(df) == 8


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kaplan_meier_matches_statsmodels(seed):
    time, event, _, _ = _ties_data(seed, n=80)
    km = kaplan_meier(time, event)
    sf = sm_survfunc.SurvfuncRight(time, event.astype(float))
    rows = km.events > 0
    np.testing.assert_array_equal(km.time[rows], sf.surv_times)
    np.testing.assert_allclose(km.survival[rows], sf.surv_prob, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(km.at_risk[rows], sf.n_risk)
    # pointwise log(-log) interval from statsmodels' Greenwood standard error
    ok = (sf.surv_prob > 0) & (sf.surv_prob < 1)
    sp, se = sf.surv_prob[ok], sf.surv_prob_se[ok]
    w = np.exp(Z * se / (sp * np.abs(np.log(sp))))
    np.testing.assert_allclose(km.lower[rows][ok], sp**w, rtol=1e-10)
    np.testing.assert_allclose(km.upper[rows][ok], sp ** (1 / w), rtol=1e-10)
    assert km.median() == pytest.approx(sf.quantile(0.5), nan_ok=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        lo, hi = sf.quantile_ci(0.5, method="cloglog")
    lo, hi = (math.nan if math.isinf(x) else float(x) for x in (lo, hi))
    assert km.median_ci95() == pytest.approx((lo, hi), nan_ok=True)


def test_median_exactly_half_uses_next_time_and_beyond_follow_up_is_nan():
    # S = 0.75, 0.5, 0.25, 0: S is exactly 0.5 on [2, 3) -> median 3 (strict S < 0.5, as statsmodels/SAS)
    assert kaplan_meier([1, 2, 3, 4], [1, 1, 1, 1]).median() == 3.0
    assert kaplan_meier([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1]).median() == 4.0
    km = kaplan_meier([1, 2, 3, 4], [1, 1, 0, 0])  # S stays at 0.5 to the end: never below
    assert math.isnan(km.median())
    assert math.isnan(km.survival_at(4.5)[0])  # beyond the last time, S > 0: not estimable
    assert km.survival_at(4.0)[0] == pytest.approx(0.5)


def test_all_censored_and_all_events_at_one_time():
    km = kaplan_meier(np.arange(1.0, 11.0), np.zeros(10, bool))
    assert np.all(km.survival == 1.0) and np.all(km.lower == 1.0) and np.all(km.upper == 1.0)
    assert math.isnan(km.median()) and all(math.isnan(x) for x in km.median_ci95())
    km = kaplan_meier(np.full(5, 3.0), np.ones(5, bool))
    np.testing.assert_array_equal(km.time, [0.0, 3.0])
    np.testing.assert_array_equal(km.survival, [1.0, 0.0])
    assert km.median() == 3.0
    assert all(math.isnan(x) for x in km.median_ci95())
    lr = logrank(np.full(6, 3.0), np.ones(6, bool), np.array([0, 0, 0, 1, 1, 1]))
    assert lr.chi2 == pytest.approx(0.0, abs=1e-12) and lr.p_value == pytest.approx(1.0)
    km = kaplan_meier([0.0, 0.0, 1.0, 2.0], [1, 0, 1, 0])  # an event at time 0 is in the first row
    assert km.time[0] == 0.0 and km.survival[0] == pytest.approx(0.75)


@pytest.mark.parametrize("time,event,msg", [
    ([1.0, -1.0], [1, 1], "^time: expected values >= 0"),
    ([1.0, np.nan], [1, 1], "^time: expected finite"),
    ([1.0, np.inf], [1, 1], "^time: expected finite"),
    ([], [], "^time:"),
    ([[1.0, 2.0]], [1, 1], "^time:"),
    (["a", "b"], [1, 1], "^time:"),
    ([1.0, 2.0], [1], "^event:"),
    ([1.0, 2.0], [2, 0], "^event: expected bool"),
])
def test_survival_bad_input(time, event, msg):
    with pytest.raises(ValueError, match=msg):
        kaplan_meier(time, event)
    with pytest.raises(ValueError, match=msg):
        logrank(time, event, np.arange(len(event)) % 2)


# ---------------------------------------------------------------- log-rank


def test_logrank_hand_computed():
    # group A: 1, 3, 5+ ; group B: 2, 3, 4 -- distinct event times 1, 2, 3 (tie), 4
    t = np.array([1, 3, 5, 2, 3, 4], float)
    e = np.array([1, 1, 0, 1, 1, 1], bool)
    g = np.array(["A", "A", "A", "B", "B", "B"])
    # (n_A, n, d): t=1 (3, 6, 1); t=2 (2, 5, 1); t=3 (2, 4, 2); t=4 (1, 2, 1)
    terms = [(3, 6, 1), (2, 5, 1), (2, 4, 2), (1, 2, 1)]
    e_a = sum(na * d / n for na, n, d in terms)
    v = sum(na * (n - na) * d * (n - d) / (n * n * (n - 1)) for na, n, d in terms)
    lr = logrank(t, e, g)
    assert lr.groups == ("A", "B") and lr.df == 1
    assert lr.observed == (2.0, 3.0)
    assert lr.expected == pytest.approx((e_a, 5 - e_a))
    assert lr.chi2 == pytest.approx((2 - e_a) ** 2 / v)
    assert lr.p_value == pytest.approx(stats.chi2.sf((2 - e_a) ** 2 / v, 1))


@pytest.mark.parametrize("n_groups", [2, 3, 4])
def test_logrank_matches_statsmodels(n_groups):
    time, event, _, _ = _ties_data(7, n=150)
    group = np.random.default_rng(11).integers(0, n_groups, time.size)
    lr = logrank(time, event, group)
    chi2, p = sm_survfunc.survdiff(time, event.astype(float), group)
    assert lr.chi2 == pytest.approx(chi2, rel=1e-10)
    assert lr.p_value == pytest.approx(p, rel=1e-8)
    assert lr.df == n_groups - 1 and sum(lr.observed) == event.sum()
    assert sum(lr.expected) == pytest.approx(event.sum())


def test_logrank_bad_input():
    with pytest.raises(ValueError, match="^group: expected at least two"):
        logrank([1.0, 2.0], [1, 1], [0, 0])
    with pytest.raises(ValueError, match="^group:"):
        logrank([1.0, 2.0], [1, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="^event: expected at least one event"):
        logrank([1.0, 2.0], [0, 0], [0, 1])


# ---------------------------------------------------------------- Cox


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("two_covariates", [False, True])
def test_cox_matches_statsmodels_phreg(ties, two_covariates):
    time, event, arm, age = _ties_data(3, n=150)
    x = np.column_stack([arm, age]) if two_covariates else arm.astype(float)
    fit = cox_ph(time, event, x, ties=ties)
    ref = sm_phreg.PHReg(time, np.reshape(x, (time.size, -1)), status=event.astype(float), ties=ties).fit()
    np.testing.assert_allclose(fit.coef, ref.params, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(fit.se, ref.bse, rtol=1e-6)
    np.testing.assert_allclose(fit.ci95, np.exp(ref.conf_int()), rtol=1e-6)
    np.testing.assert_allclose(fit.p_value, ref.pvalues, rtol=1e-5, atol=1e-12)
    assert fit.loglik == pytest.approx(ref.llf, rel=1e-10)
    np.testing.assert_allclose(fit.hazard_ratio, np.exp(fit.coef))
    assert (fit.n, fit.events, fit.ties) == (150, int(event.sum()), ties)


def test_cox_efron_differs_from_breslow_with_ties():
    time, event, arm, _ = _ties_data(3, n=150)
    efron, breslow = cox_ph(time, event, arm), cox_ph(time, event, arm, ties="breslow")
    assert abs(efron.coef[0] - breslow.coef[0]) > 1e-4
    assert abs(breslow.coef[0]) < abs(efron.coef[0])  # Breslow is attenuated towards 0


def test_hazard_ratio_convenience():
    time, event, arm, _ = _ties_data(5, n=150)
    treated = arm == 1
    hr = hazard_ratio(time, event, treated)
    fit = cox_ph(time, event, treated.astype(float))
    assert hr.value == pytest.approx(fit.hazard_ratio[0])
    assert hr.ci95 == pytest.approx(tuple(fit.ci95[0]))
    assert hr.p_value == pytest.approx(logrank(time, event, treated).p_value)
    assert "Cox PH (Efron ties)" in hr.method and "log-rank" in hr.method
    assert hazard_ratio(time, event, ~treated).value == pytest.approx(1 / hr.value)  # control vs treated


def test_cox_degenerate_cases():
    t = np.arange(1.0, 21.0)
    treated = np.arange(20) >= 10
    with pytest.raises(ValueError, match="^event: expected at least one event"):
        cox_ph(t, np.zeros(20, bool), treated)
    with pytest.raises(ValueError, match="^covariates: column 1 has no variation"):
        cox_ph(t, np.ones(20, bool), np.column_stack([treated, np.ones(20)]))
    with pytest.raises(ValueError, match="^covariates:"):
        cox_ph(t, np.ones(20, bool), np.column_stack([treated, 2.0 * treated]))  # collinear
    with pytest.raises(ValueError, match="^covariates: expected shape"):
        cox_ph(t, np.ones(20, bool), np.ones(19))
    with pytest.raises(ValueError, match="^ties:"):
        cox_ph(t, np.ones(20, bool), treated, ties="exact")
    no_treated_events = ~treated  # all events in the control arm: hazard ratio 0, no finite MLE
    with pytest.raises(ValueError, match="monotone likelihood"):
        cox_ph(t, no_treated_events, treated)
    hr = hazard_ratio(t, no_treated_events, treated)
    assert math.isnan(hr.value) and "not estimable" in hr.method and 0 < hr.p_value < 1e-3
    json.dumps(hr.to_dict(), allow_nan=False)
    with pytest.raises(ValueError, match="^group_is_treated: expected both"):
        hazard_ratio(t, np.ones(20, bool), np.ones(20, bool))
    # all events at one time: every ordering is equally likely, so the estimate is HR = 1
    fit = cox_ph(np.full(6, 3.0), np.ones(6, bool), [0, 0, 0, 1, 1, 1])
    assert fit.coef[0] == pytest.approx(0.0, abs=1e-12)
