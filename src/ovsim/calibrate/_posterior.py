"""Posterior over the population hyperparameters by Sequential Monte Carlo with likelihood tempering.

Targets pi_t(phi) ~ prior(phi) L(phi)^t for temperatures 0 = t_0 < t_1 < ... < t_J = 1 (Del Moral,
Doucet & Jasra 2006, JRSS-B 68:411), the temperatures chosen adaptively:

1. P particles from the prior, restricted to where the log-likelihood is finite (the pool's ESS
   floor and defined predictions: a hard constraint); the feasible fraction enters the evidence.
2. Each step chooses t_{j+1} by bisection so that the ESS of the incremental weights
   ``exp((t_{j+1} - t_j) L_i)`` is ``ess_fraction`` x P (or t = 1 if that keeps it above),
   adds ``log mean_i exp((t_{j+1} - t_j) L_i)`` to the log evidence, resamples systematically
   and moves every particle by ``moves`` random-walk Metropolis steps targeting pi_{t_{j+1}} with
   proposal covariance ``scale^2 / D`` x the particles' covariance (2.38^2/D: Roberts & Rosenthal
   2001, Stat Sci 16:351), the scale adapted between steps towards an acceptance rate of about
   0.25 (0.234 is asymptotically optimal: Gelman, Gilks & Roberts 1997, Ann Appl Probab 7:110).

All randomness from ``np.random.SeedSequence(seed)``; the log-likelihood is evaluated for all
particles at once (vectorised callables: (P, D) -> (P,)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy.special import logsumexp

Vectorised = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True, eq=False)
class SMCResult:
    """Equally weighted particles from the posterior and the run's diagnostics."""

    names: tuple[str, ...]
    particles: np.ndarray  # (P, D)
    log_likelihood: np.ndarray  # (P,)
    temperatures: tuple[float, ...]  # t_0 = 0 ... t_J = 1
    acceptance: tuple[float, ...]  # mean Metropolis acceptance rate at each step
    log_evidence: float  # log of the marginal likelihood, prior restricted to the feasible set included
    feasible_fraction: float  # share of prior draws with a finite log-likelihood
    evaluations: int  # log-likelihood evaluations (particles x calls)
    info: dict = field(default_factory=dict)

    def summary(self) -> list[dict]:
        q = np.quantile(self.particles, [0.025, 0.5, 0.975], axis=0)
        return [{"hyperparameter": n, "mean": float(self.particles[:, j].mean()), "sd": float(self.particles[:, j].std()),
                 "q025": float(q[0, j]), "median": float(q[1, j]), "q975": float(q[2, j])} for j, n in enumerate(self.names)]


def ess_of_log_weights(logw: np.ndarray) -> float:
    """Kish ESS of unnormalised log weights (0 when all are -inf)."""
    if not np.isfinite(logw).any():
        return 0.0
    w = np.exp(logw - np.max(logw))
    return float(w.sum() ** 2 / np.sum(w * w))


def next_temperature(loglik: np.ndarray, t: float, ess_fraction: float) -> float:
    """The largest t' in (t, 1] whose incremental-weight ESS is >= ess_fraction x P (bisection)."""
    target = ess_fraction * len(loglik)
    if ess_of_log_weights((1.0 - t) * loglik) >= target:
        return 1.0
    lo, hi = 0.0, 1.0 - t
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if ess_of_log_weights(mid * loglik) >= target:
            lo = mid
        else:
            hi = mid
    return t + max(lo, 1e-12)


def systematic_resample(rng: np.random.Generator, w: np.ndarray) -> np.ndarray:
    """Indices (P,) drawn by systematic resampling of normalised weights ``w``."""
    n = len(w)
    c = np.cumsum(w)
    c[-1] = 1.0
    return np.searchsorted(c, (rng.random() + np.arange(n)) / n)


def _initial(rng: np.random.Generator, log_likelihood: Vectorised, sample_prior, n: int, max_draws: int):
    keep_x, keep_l, drawn = [], [], 0
    while sum(len(x) for x in keep_x) < n:
        if drawn >= max_draws:
            raise ValueError(f"prior: fewer than {n} of {drawn} draws have a finite log-likelihood "
                             "(loosen the pool ESS floor or use a larger pool)")
        x = sample_prior(rng, n)
        ll = np.asarray(log_likelihood(x), dtype=float)
        drawn += n
        ok = np.isfinite(ll)
        keep_x.append(x[ok]), keep_l.append(ll[ok])
    x, ll = np.concatenate(keep_x), np.concatenate(keep_l)
    feasible = len(x) / drawn
    return x[:n], ll[:n], feasible, drawn


def _move(rng: np.random.Generator, x: np.ndarray, ll: np.ndarray, t: float, log_likelihood: Vectorised,
          log_prior: Vectorised, chol: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, int]:
    """One random-walk Metropolis step of every particle targeting prior x L^t on the feasible set."""
    P, D = x.shape
    prop = x + rng.standard_normal((P, D)) @ chol.T
    lp_prop = np.asarray(log_prior(prop), dtype=float)
    ll_prop = np.full(P, -np.inf)
    inside = np.isfinite(lp_prop)
    if inside.any():
        ll_prop[inside] = np.asarray(log_likelihood(prop[inside]), dtype=float)
    lp = np.asarray(log_prior(x), dtype=float)
    with np.errstate(invalid="ignore"):
        log_ratio = np.where(np.isfinite(ll_prop), lp_prop + t * ll_prop - lp - t * ll, -np.inf)
    ok = np.log(rng.random(P)) < log_ratio
    x, ll = x.copy(), ll.copy()
    x[ok], ll[ok] = prop[ok], ll_prop[ok]
    return x, ll, float(ok.mean()), int(inside.sum())


def _chol(x: np.ndarray, factor: float, scale: float) -> np.ndarray:
    D = x.shape[1]
    cov = np.atleast_2d(np.cov(x, rowvar=False)) + 1e-12 * np.eye(D)
    return np.linalg.cholesky(factor**2 * scale**2 / D * cov + 1e-14 * np.eye(D))


def _from_seeds(rng: np.random.Generator, seeds: np.ndarray, log_likelihood: Vectorised, log_prior: Vectorised,
                n: int, moves: int, scale: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Particles spread over the feasible set from known feasible points: copies of ``seeds`` moved
    by ``moves`` Metropolis steps targeting the prior restricted to the feasible set (t = 0)."""
    ll0 = np.asarray(log_likelihood(seeds), dtype=float)
    if not np.isfinite(ll0).any():
        raise ValueError("initial: expected some starting points with a finite log-likelihood")
    good = seeds[np.isfinite(ll0)]
    pick = rng.integers(0, len(good), n)
    x, ll = good[pick].copy(), ll0[np.isfinite(ll0)][pick]
    evals, factor = len(seeds), 1.0
    for _ in range(int(moves)):
        spread = np.ptp(x, axis=0)
        chol = _chol(x, factor, scale) if spread.min() > 0 else np.diag(np.maximum(spread, 1e-3))
        x, ll, rate, e = _move(rng, x, ll, 0.0, log_likelihood, log_prior, chol)
        evals += e
        factor *= math.exp(np.clip(rate - 0.25, -0.2, 0.2) * 2.0)
    return x, ll, evals


def smc(log_likelihood: Vectorised, log_prior: Vectorised, sample_prior: Callable[[np.random.Generator, int], np.ndarray],
        names: list[str] | tuple[str, ...], *, particles: int = 400, seed: int = 0, ess_fraction: float = 0.5,
        moves: int = 5, scale: float = 2.38, max_steps: int = 200, max_prior_draws: int | None = None,
        initial: np.ndarray | None = None, initial_moves: int = 50) -> SMCResult:
    """Run adaptive tempered SMC; see the module docstring. Returns equally weighted particles.

    ``initial`` (Q, D): feasible starting points (e.g. the posterior draws that built a refined
    pool) used instead of rejection from the prior when the feasible set is a small part of it;
    the particles are spread over the feasible set by ``initial_moves`` Metropolis steps at t = 0.
    The feasible fraction is then unknown (NaN) and the log evidence is relative to the prior
    restricted to the feasible set."""
    if not 0 < ess_fraction < 1:
        raise ValueError(f"ess_fraction: expected a number in (0, 1) (got {ess_fraction})")
    if int(particles) < 10 or int(moves) < 1:
        raise ValueError(f"particles, moves: expected at least 10 particles and 1 move (got {particles}, {moves})")
    P, D = int(particles), len(names)
    rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
    if initial is None:
        x, ll, feasible, evals = _initial(rng, log_likelihood, sample_prior, P, max_prior_draws or 250 * P)
        log_z = math.log(feasible)
    else:
        initial = np.atleast_2d(np.asarray(initial, dtype=float))
        if initial.shape[1] != D:
            raise ValueError(f"initial: expected (Q, {D}) starting points")
        x, ll, evals = _from_seeds(rng, initial, log_likelihood, log_prior, P, initial_moves, scale)
        feasible, log_z = math.nan, 0.0
    t, temps, accept, factor = 0.0, [0.0], [], 1.0
    while t < 1.0:
        if len(temps) > max_steps:
            raise ValueError(f"max_steps: expected tempering to reach 1 within {max_steps} steps (stopped at t = {t:.3g})")
        t_new = next_temperature(ll, t, ess_fraction)
        logw = (t_new - t) * ll
        log_z += float(logsumexp(logw) - math.log(P))
        w = np.exp(logw - logsumexp(logw))
        idx = systematic_resample(rng, w)
        x, ll, t = x[idx], ll[idx], t_new
        temps.append(t)
        rates = []
        for _ in range(int(moves)):
            x, ll, rate, e = _move(rng, x, ll, t, log_likelihood, log_prior, _chol(x, factor, scale))
            evals += e
            rates.append(rate)
        rate = float(np.mean(rates))
        accept.append(rate)
        factor *= math.exp(np.clip(rate - 0.25, -0.2, 0.2) * 2.0)  # gentle adaptation towards ~0.25
    return SMCResult(tuple(names), x, ll, tuple(temps), tuple(accept), float(log_z), float(feasible), int(evals),
                     {"particles": P, "moves": int(moves), "ess_fraction": float(ess_fraction), "seed": int(seed),
                      "initial": None if initial is None else len(initial)})
