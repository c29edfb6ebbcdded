"""From the posterior to predictions: an ensemble of calibrated populations.

M posterior draws phi_m (distinct SMC particles, chosen with an explicit seed) give M weight
vectors w_m over the pool; their mean is the predictive population (the posterior mean of the
population distribution, as one weighted pool). Every prediction is made under each w_m, so its
spread over m is the calibration uncertainty. For comparison with the published figure, each
draw's prediction is also passed through the sampling of a trial of OPTiM's size (the likelihood's
own sampling model: binomial at the target's n, effective n for lesions, log-normal with the
published SE for survival): the posterior predictive interval of the published statistic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._likelihood import Target


def posterior_draws(particles: np.ndarray, m: int, seed: int) -> np.ndarray:
    """``m`` particles (rows of ``particles`` (P, D)), distinct positions drawn without replacement."""
    particles = np.asarray(particles, dtype=float)
    if particles.ndim != 2 or not 1 <= int(m) <= len(particles):
        raise ValueError(f"m: expected 1 to {len(particles)} draws from (P, D) particles (got {m})")
    rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(7,)))
    return particles[np.sort(rng.choice(len(particles), size=int(m), replace=False))]


def sample_published(target: Target, predicted: np.ndarray, rng: np.random.Generator, k: int) -> np.ndarray:
    """``k`` draws per prediction of the statistic a trial of the target's size would publish: (M, k)."""
    p = np.asarray(predicted, dtype=float)[:, None]
    if target.kind == "log_normal":
        return np.exp(np.log(np.where(p > 0, p, np.nan)) + target.sd_log * rng.standard_normal((len(p), k)))
    n = max(int(round(target.n)), 1)
    good = np.isfinite(p) & (p >= 0) & (p <= 1)
    events = rng.binomial(n, np.where(good, p, 0.0), size=(len(p), k)).astype(float)
    return np.where(good, events / n, np.nan)


def prediction_table(predicted: dict[str, np.ndarray], targets: list[Target], *, seed: int,
                     draws_per_member: int = 200) -> pd.DataFrame:
    """One row per target: published value and interval, the ensemble's mean, 2.5% and 97.5%
    (calibration uncertainty), the posterior predictive 2.5% and 97.5% at OPTiM's size, the mean
    log-likelihood contribution over the ensemble, and whether the ensemble mean is inside the
    published interval."""
    rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(8,)))
    rows = []
    for t in targets:
        v = np.asarray(predicted[t.name], dtype=float)
        sim = sample_published(t, v, rng, int(draws_per_member)).ravel()
        mean = float(np.nanmean(v)) if np.isfinite(v).any() else np.nan
        rows.append({
            "target": t.name, "kind": t.kind, "published": t.published, "interval_low": t.interval[0],
            "interval_high": t.interval[1], "predicted_mean": mean,
            "predicted_q025": float(np.nanquantile(v, 0.025)) if np.isfinite(v).any() else np.nan,
            "predicted_q975": float(np.nanquantile(v, 0.975)) if np.isfinite(v).any() else np.nan,
            "predictive_q025": float(np.nanquantile(sim, 0.025)) if np.isfinite(sim).any() else np.nan,
            "predictive_q975": float(np.nanquantile(sim, 0.975)) if np.isfinite(sim).any() else np.nan,
            "log_likelihood": float(np.mean(t.loglik(v))),
            "within_interval": bool(np.isfinite(mean) and t.within_interval(mean)),
        })
    return pd.DataFrame(rows)
