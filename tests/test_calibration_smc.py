"""Tempered SMC, Sobol indices, profile likelihood and the ensemble table, on problems with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ovsim.calibrate import (
    build_targets,
    posterior_draws,
    prediction_table,
    profile_likelihood,
    smc,
    sobol_indices,
)
from ovsim.calibrate._posterior import ess_of_log_weights, next_temperature, systematic_resample

BOX = np.array([[-5.0, 5.0], [-5.0, 5.0]])
MEAN, SD = np.array([1.0, -0.5]), np.array([0.3, 0.6])


def _gauss(x: np.ndarray) -> np.ndarray:
    """A normalised Gaussian density as likelihood: evidence under U(BOX) = 1/100."""
    z = (x - MEAN) / SD
    return -0.5 * np.sum(z * z, axis=1) - np.sum(np.log(SD)) - math.log(2 * math.pi)


def _prior(x: np.ndarray) -> np.ndarray:
    inside = np.all((x >= BOX[:, 0]) & (x <= BOX[:, 1]), axis=-1)
    return np.where(inside, -math.log(100.0), -np.inf)


def _sample(rng, n):
    return rng.uniform(BOX[:, 0], BOX[:, 1], size=(n, 2))


def test_smc_recovers_a_gaussian_posterior_and_its_evidence():
    res = smc(_gauss, _prior, _sample, ["a", "b"], particles=1000, seed=3, moves=4)
    assert res.temperatures[0] == 0 and res.temperatures[-1] == 1 and len(res.temperatures) > 3
    assert np.all(np.diff(res.temperatures) > 0)
    assert np.allclose(res.particles.mean(axis=0), MEAN, atol=0.06)
    assert np.allclose(res.particles.std(axis=0), SD, rtol=0.15)
    assert res.log_evidence == pytest.approx(-math.log(100.0), abs=0.25)
    assert all(0.05 < a < 0.9 for a in res.acceptance)
    again = smc(_gauss, _prior, _sample, ["a", "b"], particles=1000, seed=3, moves=4)
    assert np.array_equal(res.particles, again.particles)  # explicit seed: reproducible


def test_infeasible_region_is_excluded_and_counted_in_the_evidence():
    def ll(x):
        out = _gauss(x)
        return np.where(x[:, 0] > 0, out, -np.inf)  # e.g. the pool ESS floor

    res = smc(ll, _prior, _sample, ["a", "b"], particles=600, seed=4, moves=4)
    assert res.feasible_fraction == pytest.approx(0.5, abs=0.05)
    assert np.all(res.particles[:, 0] > 0)
    # the Gaussian's mass at a <= 0 is negligible (1 / 0.3 = 3.3 SD): same evidence as without the cut
    assert res.log_evidence == pytest.approx(-math.log(100.0), abs=0.3)


def test_tempering_step_keeps_half_the_ess_and_resampling_is_unbiased():
    ll = np.random.default_rng(0).normal(-50, 20, 500)
    t = next_temperature(ll, 0.0, 0.5)
    assert 0 < t < 1
    assert ess_of_log_weights(t * ll) == pytest.approx(250, rel=1e-3)
    assert next_temperature(np.zeros(10), 0.3, 0.5) == 1.0
    w = np.array([0.1, 0.2, 0.7])
    idx = systematic_resample(np.random.default_rng(1), w)
    assert np.array_equal(np.bincount(idx, minlength=3), [0, 1, 2]) or np.array_equal(np.bincount(idx, minlength=3), [1, 0, 2])


def test_smc_rejects_bad_settings_and_an_empty_feasible_set():
    with pytest.raises(ValueError, match="ess_fraction"):
        smc(_gauss, _prior, _sample, ["a", "b"], ess_fraction=1.5)
    with pytest.raises(ValueError, match="finite log-likelihood"):
        smc(lambda x: np.full(len(x), -np.inf), _prior, _sample, ["a", "b"], particles=20, max_prior_draws=100)


def _ishigami(x: np.ndarray) -> dict[str, np.ndarray]:
    return {"y": np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0]),
            "linear": 1.0 * x[:, 0] + 2.0 * x[:, 1]}


def test_sobol_indices_of_the_ishigami_function():
    bounds = np.tile([-math.pi, math.pi], (3, 1))
    t = sobol_indices(_ishigami, bounds, ["x1", "x2", "x3"], n=8192, seed=2)
    y = t[t.output == "y"].set_index("input")
    # analytic indices of the Ishigami function with a = 7, b = 0.1
    assert y.first_order.to_numpy() == pytest.approx([0.3139, 0.4424, 0.0], abs=0.03)
    assert y.total.to_numpy() == pytest.approx([0.5576, 0.4424, 0.2437], abs=0.03)
    lin = t[t.output == "linear"].set_index("input")
    assert lin.first_order.to_numpy() == pytest.approx([0.2, 0.8, 0.0], abs=0.02)
    assert lin.total.to_numpy() == pytest.approx([0.2, 0.8, 0.0], abs=0.02)


def test_profile_likelihood_of_a_correlated_gaussian():
    cov = np.array([[0.04, 0.03], [0.03, 0.09]])
    prec = np.linalg.inv(cov)
    centre = np.array([0.2, -0.1])

    def ll(x):
        d = np.asarray(x) - centre
        return float(-0.5 * d @ prec @ d)

    bounds = np.array([[-1.0, 1.0], [-1.0, 1.0]])
    grid = np.linspace(-1, 1, 81)
    prof = profile_likelihood(ll, centre, bounds, 0, grid, name="a")
    # profile of a correlated Gaussian = its marginal: -0.5 (a - 0.2)^2 / 0.04
    assert np.allclose(prof.log_likelihood, -0.5 * (prof.value - 0.2) ** 2 / 0.04, atol=1e-4)
    assert 0.2 in prof.value.to_numpy()  # the maximum is on the grid
    lo, hi = prof.attrs["interval"]
    assert lo == pytest.approx(0.2 - 1.96 * 0.2, abs=0.03) and hi == pytest.approx(0.2 + 1.96 * 0.2, abs=0.03)
    assert prof.attrs["bounded_low"] and prof.attrs["bounded_high"]
    flat = profile_likelihood(lambda x: -0.5 * (x[1] / 0.1) ** 2, centre, bounds, 0, grid)
    assert not flat.attrs["bounded_low"] and not flat.attrs["bounded_high"]  # the targets say nothing about a
    cut = profile_likelihood(lambda x: ll(x) if x[0] < 0.5 else -np.inf, centre, bounds, 0, grid)
    assert cut.attrs["bounded_high"] and cut.attrs["infeasible_high"] and not cut.attrs["infeasible_low"]


def test_ensemble_draws_and_prediction_table():
    particles = np.arange(40.0).reshape(20, 2)
    d = posterior_draws(particles, 8, seed=1)
    assert len({tuple(r) for r in d}) == 8
    assert np.array_equal(d, posterior_draws(particles, 8, seed=1))
    with pytest.raises(ValueError, match="m: expected"):
        posterior_draws(particles, 21, seed=1)
    targets = build_targets()
    pred = {t.name: np.full(10, t.published) for t in targets}
    table = prediction_table(pred, targets, seed=0, draws_per_member=2000)
    assert len(table) == len(targets) and table.within_interval.all()
    drr = table.set_index("target").loc["durable_response_rate:tvec"]
    assert drr.predicted_q025 == drr.predicted_q975 == 0.163  # no calibration spread
    # posterior predictive at OPTiM's size: the binomial 95% range for 295 patients at 0.163
    assert drr.predictive_q025 == pytest.approx(0.122, abs=0.01) and drr.predictive_q975 == pytest.approx(0.207, abs=0.01)
    hr = table.set_index("target").loc["hazard_ratio_os:tvec_vs_gmcsf"]
    assert hr.predictive_q025 == pytest.approx(0.62, abs=0.02) and hr.predictive_q975 == pytest.approx(1.0, abs=0.03)


def test_smc_started_from_feasible_points_reaches_the_same_posterior():
    def ll(x):
        return np.where(np.abs(x[:, 1] + 0.5) < 2.0, _gauss(x), -np.inf)  # a feasible band

    res = smc(ll, _prior, _sample, ["a", "b"], particles=800, seed=6, moves=4,
              initial=np.array([[1.0, -0.5], [1.1, -0.4]]), initial_moves=30)
    assert math.isnan(res.feasible_fraction) and res.info["initial"] == 2
    assert np.allclose(res.particles.mean(axis=0), MEAN, atol=0.07)
    assert np.allclose(res.particles.std(axis=0), SD, rtol=0.2)
    # evidence relative to the prior restricted to the band (4/10 of the box): 1/40
    assert res.log_evidence == pytest.approx(-math.log(40.0), abs=0.3)
    with pytest.raises(ValueError, match="initial"):
        smc(ll, _prior, _sample, ["a", "b"], particles=20, initial=np.array([[9.0, 9.0]]))
