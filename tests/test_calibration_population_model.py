"""The stage-invariant population model: importance weights, prior, ESS and the stage-invariance check."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import truncnorm

from ovsim.calibrate import PopulationModel, kish_ess, stage_invariance
from ovsim.calibrate._population_model import LOG_SIGMA_BOUNDS

FOLDS = {"a_rate": 10.0, "b_rate": 3.0, "c_rate": 5.0}
STAGES = np.array(["IIIB", "IIIC", "IVM1a", "IVM1b", "IVM1c"])


def _pool(n: int, seed: int):
    rng = np.random.default_rng(seed)
    model = PopulationModel.from_folds(FOLDS, ["a_rate", "b_rate"])
    a = np.array(model.half_widths)
    X = rng.uniform(-a, a, size=(n, len(a)))
    stage = STAGES[rng.integers(0, len(STAGES), n)]
    return model, X, stage


def test_phi_layout_bounds_and_prior():
    model = PopulationModel.from_folds(FOLDS, ["a_rate", "b_rate"])
    assert model.names == ("a_rate", "b_rate", "c_rate")
    assert model.phi_names == ["mu:a_rate", "mu:b_rate", "log_sigma:a_rate", "log_sigma:b_rate"]
    b = model.bounds()
    assert np.allclose(b[:2, 1], [1.0, math.log10(3)]) and np.allclose(b[:2, 0], -b[:2, 1])
    assert np.allclose(b[2:], [LOG_SIGMA_BOUNDS] * 2) and LOG_SIGMA_BOUNDS[0] == pytest.approx(math.log(0.05))
    draws = model.sample_prior(np.random.default_rng(0), 500)
    assert np.all(draws >= b[:, 0]) and np.all(draws <= b[:, 1])
    lp = model.log_prior(draws)
    assert np.allclose(lp, -np.sum(np.log(b[:, 1] - b[:, 0])))
    outside = draws[0].copy()
    outside[0] = 1.5
    assert model.log_prior(outside) == -np.inf


def test_weighted_marginals_are_the_truncated_normals_and_unmodelled_stay_uniform():
    model, X, _ = _pool(200_000, 1)
    mu, sigma = np.array([-0.4, 0.1]), np.array([0.3, 0.15])
    w = model.weights(X, np.concatenate([mu, np.log(sigma)]))
    assert w.shape == (len(X),) and w.sum() == pytest.approx(1.0) and np.all(w >= 0)
    for k in range(2):
        a = model.half_widths[k]
        tn = truncnorm((-a - mu[k]) / sigma[k], (a - mu[k]) / sigma[k], loc=mu[k], scale=sigma[k])
        assert np.sum(w * X[:, k]) == pytest.approx(tn.mean(), abs=0.01)
        assert math.sqrt(np.sum(w * (X[:, k] - tn.mean()) ** 2)) == pytest.approx(tn.std(), abs=0.01)
    # the unmodelled column keeps the proposal (uniform: mean 0, SD a / sqrt 3)
    a = model.half_widths[2]
    assert abs(np.sum(w * X[:, 2])) < 0.01
    assert math.sqrt(np.sum(w * X[:, 2] ** 2)) == pytest.approx(a / math.sqrt(3), abs=0.01)
    # unnormalised ratios p/q average to 1 over the proposal (the truncated normal is a density)
    assert np.exp(model.log_ratio(X, np.concatenate([mu, np.log(sigma)]))).mean() == pytest.approx(1.0, abs=0.02)


def test_vectorised_weights_and_mask():
    model, X, _ = _pool(300, 2)
    phi = model.sample_prior(np.random.default_rng(3), 4)
    W = model.weights(X, phi)
    assert W.shape == (4, 300)
    for p in range(4):
        assert np.allclose(W[p], model.weights(X, phi[p]))
    mask = np.arange(300) % 3 != 0
    Wm = model.weights(X, phi, mask)
    assert np.all(Wm[:, ~mask] == 0) and np.allclose(Wm.sum(axis=1), 1)


def test_kish_ess():
    assert kish_ess(np.ones(50)) == pytest.approx(50)
    assert kish_ess(np.array([1.0, 0, 0, 0])) == pytest.approx(1)
    assert np.allclose(kish_ess(np.array([[1.0, 1.0], [3.0, 1.0]])), [2.0, 1.6])


def test_stage_invariance_holds_for_biology_weights_and_fails_for_stage_dependent_ones():
    model, X, stage = _pool(20_000, 4)
    w = model.weights(X, np.array([0.3, -0.2, math.log(0.3), math.log(0.2)]))
    table = stage_invariance(X, w, stage, model.names)
    assert set(table.columns) >= {"stage", "parameter", "mean", "sd", "z", "ess", "weight_share"}
    assert len(table) == 5 * 3
    assert table.attrs["invariant"], table.attrs
    assert table.attrs["max_abs_z"] < table.attrs["threshold"]
    # per-stage weighted means agree with the overall weighted mean within sampling error
    overall = np.sum(w * X[:, 0])
    assert np.all(np.abs(table[table.parameter == "a_rate"]["mean"] - overall) < 0.05)
    # a reweighting that depends on stage (lower a_rate in IVM1b) must fail the check
    tilted = w * np.where(stage == "IVM1b", np.exp(-1.5 * X[:, 0]), 1.0)
    bad = stage_invariance(X, tilted / tilted.sum(), stage, model.names)
    assert not bad.attrs["invariant"] and bad.attrs["max_abs_z"] > 5
    worst = bad.loc[bad["z"].abs().idxmax()]
    assert worst["stage"] == "IVM1b" and worst["parameter"] == "a_rate"


def test_bad_input_is_one_line_value_error():
    model, X, stage = _pool(50, 5)
    with pytest.raises(ValueError, match="phi: expected"):
        model.weights(X, np.zeros(3))
    with pytest.raises(ValueError, match="X: expected"):
        model.weights(X[:, :2], np.zeros(4))
    with pytest.raises(ValueError, match="proposal box"):
        model.weights(X * 5, np.zeros(4))
    with pytest.raises(ValueError, match="modelled"):
        PopulationModel.from_folds(FOLDS, ["nope"])
    with pytest.raises(ValueError, match="half_widths"):
        PopulationModel.from_folds({"a": 1.0}, ["a"])
    with pytest.raises(ValueError, match="w, stage"):
        stage_invariance(X, np.ones(10), stage)


def test_a_refined_pool_from_a_mixture_proposal_is_reweighted_exactly():
    model = PopulationModel.from_folds(FOLDS, ["a_rate", "b_rate"])
    phis = np.array([[-0.5, 0.2, math.log(0.15), math.log(0.1)], [-0.3, 0.0, math.log(0.2), math.log(0.2)]])
    X, log_q = model.sample(phis, 100_000, seed=6, defensive=0.2)
    assert X.shape == (100_000, 3) and log_q.shape == (100_000,)
    assert np.all(np.abs(X) <= np.array(model.half_widths))
    again = model.sample(phis, 100_000, seed=6, defensive=0.2)
    assert np.array_equal(X, again[0]) and np.array_equal(log_q, again[1])
    # 20% uniform: the share of draws far from both components
    assert np.mean(X[:, 0] > 0.3) == pytest.approx(0.2 * 0.35, abs=0.01)
    # a target population near the mixture: the weights reproduce its truncated-normal moments
    target = np.array([-0.4, 0.1, math.log(0.2), math.log(0.15)])
    w = model.weights(X, target, log_q=log_q)
    tn = truncnorm((-1 + 0.4) / 0.2, (1 + 0.4) / 0.2, loc=-0.4, scale=0.2)
    assert np.sum(w * X[:, 0]) == pytest.approx(tn.mean(), abs=0.01)
    assert np.exp(model.log_density(X, target) - log_q).mean() == pytest.approx(1.0, abs=0.03)
    assert kish_ess(w) > 0.3 * len(X)  # far more efficient than the uniform box for this population
    with pytest.raises(ValueError, match="log_q"):
        model.weights(X[:10], target, log_q=log_q)
