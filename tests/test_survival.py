"""The joint model of tumour burden and death: hazard, survival curves, death draws, censoring."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from ovsim.model import DAYS_PER_MONTH
from ovsim.trial import (SurvivalModel, burden_course, calibrated_survival_model, censor, death_months, hazard,
                         load_scenario, survival_draws, survival_function, total_volume_cm3)
from ovsim.trial._survival_spec import check_model
from ovsim.trial._survival_population import mixture_median_months, mixture_survival

T = np.arange(0.0, 729.0, 28.0)  # the reference trial's simulated days
MODELS = [SurvivalModel(), calibrated_survival_model()]


def _course(volumes, model=None):
    return burden_course(T, np.atleast_2d(np.asarray(volumes, dtype=float)), model or SurvivalModel())


def _s(volumes, months, model, ecog=0, ldh=0.8):
    v = np.atleast_2d(np.asarray(volumes, dtype=float))
    n = v.shape[0]
    return survival_function(_course(v, model), np.full(n, ecog), np.full(n, ldh), model, np.asarray(months, float))


def test_total_volume_sums_spheres_of_existing_lesions():
    d = np.array([[[1.0, 2.0, 5.0], [0.0, 2.0, 5.0]]])  # (P=1, T=2, L=3); lesion 3 does not exist
    v = total_volume_cm3(d, np.array([[True, True, False]]))
    assert v[0] == pytest.approx([math.pi / 6 * 9.0, math.pi / 6 * 8.0])
    assert np.isnan(total_volume_cm3(np.array([[[np.nan, 1.0]]]), np.array([[True, True]])))[0, 0]


@pytest.mark.parametrize("model", MODELS)
def test_tumour_free_patient_has_only_background_mortality(model):
    s = _s(np.zeros(len(T)), [12.0, 60.0, 120.0], model)[0]
    years = np.array([1.0, 5.0, 10.0])
    h0, b = model.background_hazard_per_year, model.background_gompertz_per_year
    assert s == pytest.approx(np.exp(-h0 / b * np.expm1(b * years)), rel=1e-12)
    # the US 2010 period life table (57% male) gives 93.4% five-year survival from age 63
    assert abs(s[1] - 0.934) < 0.005
    # a covariate changes the tumour hazard only
    assert _s(np.zeros(len(T)), [60.0], model, ecog=1, ldh=1.4)[0, 0] == pytest.approx(s[1], rel=1e-12)


@pytest.mark.parametrize("model", MODELS)
def test_controlled_tumour_gives_long_term_survival_growing_disease_does_not(model):
    cr = np.where(T <= 84, 20.0 * np.exp(-0.08 * T), 0.0)           # complete response by ~3 months
    growing = 20.0 * np.exp(math.log(2) / 60.0 * T)                  # doubling every 60 days
    s = _s(np.vstack([cr, growing]), [60.0], model)[:, 0]
    assert s[0] > 0.70
    c = _course(np.vstack([cr, growing]), model)
    h = hazard(c, np.zeros(2), np.full(2, 0.8), model)
    median = death_months(h, np.full(2, 0.5))
    assert median[1] < 36.0 and median[1] < 0.25 * median[0]


@pytest.mark.parametrize("model", MODELS + [SurvivalModel(beta_burden=1.0)])
def test_hazard_increases_with_burden(model):
    v = np.array([np.full(len(T), x) for x in (1.0, 10.0, 100.0)])
    h = hazard(_course(v, model), np.zeros(3), np.full(3, 0.8), model)
    tumour = h.tumour(np.array([365.0]))[:, 0]
    assert tumour[0] < tumour[1] < tumour[2]
    assert tumour[2] / tumour[1] == pytest.approx(10.0**model.beta_burden, rel=1e-9)  # stable burden: power law
    assert (np.diff(_s(v, [6.0, 24.0], model), axis=0) < 0).all()


def _pointwise_hazard_per_day(t: float, log_v: np.ndarray, model: SurvivalModel, z: float) -> float:
    """The model's hazard written out directly from its definition (docs/trial.md), for one patient."""
    free = math.log(model.tumour_free_cm3)
    end, w = T[-1], model.growth_window_days
    span = model.extrapolation_window_days
    g_tail = float(np.clip((log_v[-1] - np.interp(end - span, T, log_v)) / span,
                           model.extrapolation_growth_min_per_day, model.extrapolation_growth_max_per_day))

    def log_b(x: float) -> float:
        if x <= end:
            return float(np.interp(x, T, log_v))
        return max(log_v[-1] + g_tail * (x - end), free) if log_v[-1] > free else free

    lb = log_b(t)
    age = model.age_years + t / 365.25
    bg = model.background_hazard_per_year * math.exp(model.background_gompertz_per_year * (age - 63.0))
    if lb <= free + 1e-12:
        return bg / 365.25
    g = (lb - log_b(max(t - w, 0.0))) / w
    return bg / 365.25 + model.tumour_hazard_per_month / DAYS_PER_MONTH * math.exp(
        model.beta_burden * (lb - math.log(model.burden_reference_cm3)) + model.beta_growth_day * g + z)


def test_cumulative_hazard_is_the_integral_of_the_defined_hazard():
    model = SurvivalModel(beta_burden=0.7, beta_growth_day=60.0)
    rng = np.random.default_rng(3)
    v = np.vstack([20.0 * np.exp(0.004 * T), 30.0 * np.exp(-0.002 * T),
                   np.exp(np.cumsum(rng.normal(0, 0.3, len(T)))) * 5.0, 50.0 * np.exp(0.1 * T)])
    c = burden_course(T, v, model)
    ecog, ldh = np.array([0, 1, 0, 1]), np.array([0.8, 1.3, 1.1, 0.9])
    h = hazard(c, ecog, ldh, model)
    z = model.beta_ecog1 * (ecog >= 1) + model.beta_ldh_high * (ldh > 1)
    for i in range(len(v)):
        log_v = np.log(np.maximum(v[i], model.tumour_free_cm3))
        for end in (400.0, 2000.0):
            points = [x for x in np.concatenate([T, T + model.growth_window_days]) if x < end]
            ref = quad(_pointwise_hazard_per_day, 0.0, end, args=(log_v, model, z[i]), points=points, limit=400)[0]
            assert h.cumulative(np.array([end]))[i, 0] == pytest.approx(ref, rel=1e-6)
    assert c.tail_growth_per_day[3] == model.extrapolation_growth_max_per_day  # 0.1/day is clipped


def test_shrinking_burden_beyond_the_horizon_becomes_and_stays_tumour_free():
    model = SurvivalModel()
    c = _course(np.vstack([0.1 * np.exp(-0.01 * T), np.zeros(len(T))]), model)
    assert c.tail_growth_per_day[0] == pytest.approx(-0.01)
    free_day = c.tail_free_day[0]
    assert T[-1] < free_day < np.inf
    h = hazard(c, np.zeros(2), np.full(2, 0.8), model)
    tumour = h.tumour(np.array([free_day, free_day + 365.0, free_day + 3650.0]))
    assert tumour[0, 0] > 0 and tumour[0, 0] == tumour[0, 1] == tumour[0, 2]
    assert (h.tumour(np.array([10.0, 5000.0]))[1] == 0).all()


def test_death_times_follow_the_survival_function():
    model = calibrated_survival_model()
    n = 40000
    v = np.tile(20.0 * np.exp(0.003 * T), (n, 1))
    c = burden_course(T, v, model)
    h = hazard(c, np.zeros(n), np.full(n, 0.8), model)
    u = np.random.default_rng(5).random(n)
    t = death_months(h, u)
    assert h.cumulative(t * DAYS_PER_MONTH, per_patient=True) == pytest.approx(-np.log(u), rel=1e-9)
    s = survival_function(c.take(np.arange(1)), np.zeros(1), np.full(1, 0.8), model, np.array([6.0, 24.0, 60.0]))[0]
    for month, expected in zip((6.0, 24.0, 60.0), s):
        assert abs(np.mean(t > month) - expected) < 0.01


def test_death_draws_are_reproducible_and_independent_of_order_and_chunking():
    model = SurvivalModel()
    rng = np.random.default_rng(0)
    v = 10.0 * np.exp(np.outer(rng.uniform(-0.01, 0.01, 6), T))
    index = np.array([11, 3, 7, 40, 2, 9])
    u, acc = survival_draws(2015, index)
    u2, acc2 = survival_draws(2015, index)
    assert np.array_equal(u, u2) and np.array_equal(acc, acc2)
    part_u, part_acc = survival_draws(2015, index[[4, 1]])
    assert np.array_equal(part_u, u[[4, 1]]) and np.array_equal(part_acc, acc[[4, 1]])
    assert not np.array_equal(survival_draws(2016, index)[0], u)
    c = burden_course(T, v, model)
    ecog, ldh = np.array([0, 1, 0, 1, 0, 0]), np.full(6, 0.8)
    whole = death_months(hazard(c, ecog, ldh, model), u)
    order = np.array([5, 0, 3, 1, 4, 2])
    perm = death_months(hazard(c.take(order), ecog[order], ldh[order], model), u[order])
    chunk = death_months(hazard(c.take(np.arange(2)), ecog[:2], ldh[:2], model), u[:2])
    assert np.array_equal(perm, whole[order]) and np.array_equal(chunk, whole[:2])
    # the accrual draw and the stream's first number are those of earlier versions (key (i, 2))
    rng0 = np.random.default_rng(np.random.SeedSequence(2015, spawn_key=(11, 2)))
    z, a = rng0.standard_normal(), rng0.random()
    assert acc[0] == a and u[0] == pytest.approx(0.5 * math.erfc(z / math.sqrt(2)))


def test_censoring_is_administrative_and_unchanged():
    t, e = censor(np.array([10.0, 100.0, 70.0]), np.array([0.5, 0.5, 0.0]), 60.0, 24.0)
    assert t.tolist() == [10.0, 72.0, 70.0] and e.tolist() == [True, False, True]


def test_mixture_median_is_exact():
    model = SurvivalModel()
    v = np.vstack([20.0 * np.exp(0.01 * T), np.zeros(len(T)), 15.0 * np.exp(0.002 * T)])
    h = hazard(_course(v, model), np.array([0, 0, 1]), np.full(3, 0.8), model)
    w = np.array([0.5, 0.2, 0.3])
    m = mixture_median_months(h, w)
    assert mixture_survival(h, w, np.array([m]))[0] == pytest.approx(0.5, abs=1e-10)
    assert mixture_median_months(h, np.array([1.0, 0.0, 0.0])) == pytest.approx(death_months(h, np.full(3, 0.5))[0])


def test_invalid_histories_are_flagged_not_given_a_time():
    model = SurvivalModel()
    v = np.vstack([np.full(len(T), 10.0), np.full(len(T), np.nan)])
    h = hazard(_course(v, model), np.array([0, 0]), np.array([0.8, 0.8]), model)
    t = death_months(h, np.array([0.5, 0.5]))
    assert np.isfinite(t[0]) and np.isnan(t[1])
    obs, event = censor(t, np.array([0.5, 0.5]), 60.0, 24.0)
    assert np.isnan(obs[1]) and not event[1]


@pytest.mark.parametrize("call, field", [
    (lambda: burden_course(T[1:], np.ones((1, len(T) - 1)), SurvivalModel()), "time_day"),
    (lambda: burden_course(T, np.ones((1, 3)), SurvivalModel()), "volume_cm3"),
    (lambda: death_months(hazard(_course(np.ones(len(T))), np.zeros(1), np.ones(1), SurvivalModel()),
                          np.array([1.0])), "u"),
    (lambda: hazard(_course(np.ones(len(T))), np.zeros(2), np.ones(2), SurvivalModel()), "ecog"),
    (lambda: check_model(SurvivalModel.model_construct(**{**SurvivalModel().model_dump(), "beta_burden": math.nan})),
     "survival.model.beta_burden"),
    (lambda: check_model(SurvivalModel.model_construct(**{**SurvivalModel().model_dump(), "tumour_free_cm3": 0.0})),
     "survival.model.tumour_free_cm3"),
])
def test_bad_input_is_a_one_line_value_error(call, field):
    with pytest.raises(ValueError) as err:
        call()
    assert field in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("text, field", [
    ("beta_burden: -1", "survival.model.beta_burden"),
    ("tumour_hazard_per_month: 0", "survival.model.tumour_hazard_per_month"),
    ("sigma: 0.9", "survival.model.sigma"),            # a coefficient of the former log-normal model
    ("age_years: .nan", "survival.model.age_years"),
])
def test_bad_survival_parameters_in_a_scenario_are_one_line(tmp_path, text, field):
    path = tmp_path / "bad.yaml"
    path.write_text(f"name: x\narms: {{a: {{n: 3, regimen: {{}}}}}}\nsurvival: {{model: {{{text}}}}}\n")
    with pytest.raises(ValueError) as err:
        load_scenario(path)
    assert field in str(err.value) and str(path) in str(err.value) and "\n" not in str(err.value)
