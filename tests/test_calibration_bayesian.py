"""``calibrate_bayesian`` end to end: a synthetic pool with a known answer, and the real simulator on a tiny pool."""

from __future__ import annotations

import math

import numpy as np
import pytest

from calibration_synthetic import FOLDS, TRUE_MU, synthetic_pool
from ovsim.calibrate import BayesianCalibration, CalibrationSpec, calibrate_bayesian, load_calibration_spec

SPEC = load_calibration_spec()


def _spec(folds=FOLDS, **bayes):
    settings = {"population_model": ["kill_rate", "priming_rate"], "particles": 200, "moves_per_step": 3, **bayes}
    return SPEC.model_copy(update={"plausible": SPEC.plausible.model_copy(update={"log_uniform_fold": folds}),
                                   "bayesian": SPEC.bayesian.model_copy(update=settings)})


@pytest.fixture(scope="module")
def synthetic() -> BayesianCalibration:
    out, X, names = synthetic_pool(3000, 1)
    return calibrate_bayesian(out, X, names, _spec(), seed=5)


def test_recovers_the_population_that_generated_the_targets(synthetic):
    hyper = synthetic.hyperparameters().set_index("hyperparameter")
    kill, priming = hyper.loc["mu:kill_rate"], hyper.loc["mu:priming_rate"]
    assert kill.q025 < TRUE_MU < kill.q975 and kill.q975 - kill.q025 < 0.3
    assert priming.sd > 0.35  # outcomes do not depend on priming: its mean stays as uncertain as the prior (SD 0.58)
    post = synthetic.posterior
    assert post.temperatures[-1] == 1.0 and math.isfinite(post.log_evidence) and 0 < post.feasible_fraction <= 1


def test_ensemble_weights_predictions_and_summary(synthetic):
    M, N = synthetic.weights.shape
    assert (M, N) == (20, 3000) and np.allclose(synthetic.weights.sum(axis=1), 1)
    assert synthetic.mean_weights.shape == (N,) and synthetic.mean_weights.sum() == pytest.approx(1)
    assert min(synthetic.provenance["pool_ess_of_draws"]) >= synthetic.spec.pool_ess_floor
    s = synthetic.summary()
    assert len(s) == 15 and synthetic.provenance["skipped_targets"] == []  # no survival callable: no survival targets
    assert s.within_interval.all(), s[~s.within_interval]
    assert (s.predictive_q025 <= s.published).all() and (s.published <= s.predictive_q975).all()
    assert (s.predicted_q025 < s.predicted_q975).sum() >= 14  # calibration uncertainty reaches predictions
    assert np.isfinite(s.log_likelihood).all()


def test_biology_is_stage_invariant_under_the_predictive_population(synthetic):
    table = synthetic.stage_invariance()
    assert table.attrs["invariant"], table.sort_values("z").to_string()


def test_sensitivity_and_profiles_show_what_the_targets_pin_down(synthetic, tmp_path):
    sob = synthetic.sensitivity(n=256, seed=1)
    drr = sob[sob.output == "durable_response_rate:tvec"].set_index("input")
    assert drr.loc["mu:kill_rate", "first_order"] > 0.85
    assert sob[sob.input == "mu:priming_rate"]["total"].abs().max() < 0.05
    prof = synthetic.profiles(points=9, which=["mu:kill_rate", "mu:priming_rate"])
    kill, priming = prof["mu:kill_rate"].attrs, prof["mu:priming_rate"].attrs
    assert kill["bounded_low"] and kill["bounded_high"] and kill["interval"][0] <= TRUE_MU + 0.25
    assert not (priming["bounded_low"] and priming["bounded_high"])
    assert synthetic.plot(tmp_path / "targets.png").stat().st_size > 1000


def test_same_seed_same_result_and_bad_input():
    out, X, names = synthetic_pool(800, 2)
    spec = _spec(particles=40, moves_per_step=1, pool_ess_floor=50, ensemble_size=5)
    a = calibrate_bayesian(out, X, names, spec, seed=3)
    b = calibrate_bayesian(out, X, names, spec, seed=3)
    assert np.array_equal(a.weights, b.weights)
    with pytest.raises(ValueError, match="X: expected"):
        calibrate_bayesian(out, X[:10], names, spec)
    with pytest.raises(ValueError, match="names: expected"):
        calibrate_bayesian(out, X, ["a", "b", "c"], spec)
    with pytest.raises(ValueError, match="none in IIIB"):
        calibrate_bayesian(out.assign(ok=out.stage != "IIIB"), X, names, spec)
    doc = _spec().model_dump()
    doc["bayesian"]["population_model"] = ["memory_recall_rate"]  # not redrawn in this pool
    with pytest.raises(ValueError, match="bayesian.population_model"):
        CalibrationSpec.model_validate(doc)


def test_engine_on_the_real_simulator_with_a_tiny_pool():
    """60 plausible patients, one replicate, paired design (as ``calibrate`` sets it up), and a
    survival callable from the joint survival model (exact mixture medians and its HR) so that every
    target takes part."""
    from ovsim.calibrate import biology_matrix, plausible_pool
    from ovsim.calibrate._features import pool_outcomes
    from ovsim.calibrate._survival_fit import SurvivalPool, predict
    from ovsim.trial import SurvivalModel, load_scenario

    base = load_scenario()
    sc = base.model_copy(update={"design": "paired", "survival": base.survival.model_copy(update={"model": SurvivalModel()})})
    spec = SPEC.model_copy(update={"bayesian": SPEC.bayesian.model_copy(update={
        "particles": 30, "moves_per_step": 1, "pool_ess_floor": 5, "ensemble_size": 5})})
    pool = plausible_pool(spec, n=60, seed=7)
    out = pool_outcomes(pool, sc, 7, 1, ttr_months=4.1)
    X, names = biology_matrix(pool.patients, spec.plausible.log_uniform_fold)
    model = SurvivalModel()

    def survival(w):
        p = predict(SurvivalPool(out, w, model), model, 60.0, 24.0, 295 / 436)
        return {k: p[k] for k in ("median_tvec", "median_gmcsf", "hazard_ratio")}

    res = calibrate_bayesian(out, X, names, spec, survival=survival, seed=1)
    s = res.summary()
    assert len(s) == 18 and res.provenance["skipped_targets"] == []
    assert res.weights.shape == (5, 60) and np.isfinite(s.predicted_mean).all()
    assert X.shape == (60, len(spec.plausible.log_uniform_fold)) and np.all(np.abs(X) <= 1 + 1e-9)
