"""``calibrate_bayesian``: a posterior over a stage-invariant population distribution of the biology.

pool outcomes + biology X -> likelihood of every OPTiM target (``_likelihood``) under importance
weights of a population model (``_population_model``) -> SMC posterior over its hyperparameters
(``_posterior``) -> an ensemble of M calibrated weight vectors and the predictions they imply
(``_ensemble``); Sobol indices and profile likelihoods on demand (``_sensitivity``). Method and
equations: docs/calibration.md, "Bayesian calibration".
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..model import PARAMETERS
from ..population import STAGES
from ._ensemble import posterior_draws, prediction_table
from ._likelihood import Target, build_targets, total_log_likelihood
from ._population_model import PopulationModel, kish_ess, stage_invariance
from ._posterior import SMCResult, smc
from ._predict import PoolPredictor, Survival, pool_predictor, predict_targets
from ._sensitivity import maximise_likelihood, profile_likelihood, sobol_indices
from ._spec import BayesianSpec, CalibrationSpec, load_calibration_spec

_CHUNK = 256  # weight vectors evaluated at once (memory: CHUNK x N doubles)


def biology_matrix(patients: pd.DataFrame, folds: dict[str, float]) -> tuple[np.ndarray, list[str]]:
    """``X`` (N, K) = log10(value / default) of each redrawn parameter (sorted names) of a plausible pool."""
    names = sorted(folds)
    missing = [n for n in names if n not in patients]
    if missing:
        raise ValueError(f"patients: expected a column per redrawn parameter (missing {', '.join(missing)})")
    X = np.column_stack([np.log10(patients[n].to_numpy(dtype=float) / PARAMETERS[n].value) for n in names])
    return X, names


@dataclass(frozen=True, eq=False)
class Engine:
    """Everything a log-likelihood evaluation needs (the pool, the model, the targets)."""

    model: PopulationModel
    X: np.ndarray
    mask: np.ndarray
    predictor: PoolPredictor
    targets: list[Target]
    survival: Survival | None
    ess_floor: float
    log_q: np.ndarray | None = None  # proposal log density of each pool patient (None: the uniform box)

    def weights(self, phi: np.ndarray) -> np.ndarray:
        return self.model.weights(self.X, phi, self.mask, self.log_q)

    def predict(self, phi: np.ndarray) -> dict[str, np.ndarray]:
        return predict_targets(self.predictor, self.weights(phi), self.survival)

    def log_likelihood(self, phi: np.ndarray) -> np.ndarray:
        """(P,) for phi (P, D), a float for (D,): -inf where the pool's ESS is below the floor."""
        phi = np.asarray(phi, dtype=float)
        rows = np.atleast_2d(phi)
        out = np.empty(len(rows))
        for s in range(0, len(rows), _CHUNK):
            W = self.weights(rows[s:s + _CHUNK])
            ll = total_log_likelihood(predict_targets(self.predictor, W, self.survival), self.targets)
            ll = np.where(np.isfinite(ll) & (kish_ess(W) >= self.ess_floor), ll, -np.inf)
            out[s:s + _CHUNK] = ll
        return float(out[0]) if phi.ndim == 1 else out


@dataclass(frozen=True, eq=False)
class BayesianCalibration:
    """The posterior, its ensemble of weight vectors over the pool and the predictions they imply."""

    engine: Engine
    posterior: SMCResult
    draws: np.ndarray  # (M, D) hyperparameters of the ensemble
    weights: np.ndarray  # (M, N) weights over the pool (0 for patients with ok False)
    predictions: dict[str, np.ndarray]  # target -> (M,)
    table: pd.DataFrame
    stage: np.ndarray
    spec: BayesianSpec
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def mean_weights(self) -> np.ndarray:
        """The predictive population: the ensemble's mean weight vector (N,)."""
        return self.weights.mean(axis=0)

    def summary(self) -> pd.DataFrame:
        """Every target: published value and interval, predicted mean and 95% interval over the
        ensemble, posterior predictive interval at OPTiM's size, mean log-likelihood contribution."""
        return self.table.copy()

    def hyperparameters(self) -> pd.DataFrame:
        """Posterior mean, SD and quantiles of each hyperparameter (mu in decades, log_sigma in ln decades)."""
        return pd.DataFrame(self.posterior.summary())

    def stage_invariance(self) -> pd.DataFrame:
        """Per stage weighted means of the biology under the predictive population (see ``stage_invariance``)."""
        return stage_invariance(self.engine.X, self.mean_weights, self.stage, self.engine.model.names)

    def sensitivity(self, n: int = 512, seed: int = 0, log_sigma: np.ndarray | None = None) -> pd.DataFrame:
        """Sobol indices of each predicted target over each mu_k (uniform over the prior box), each
        log sigma_k fixed at ``log_sigma`` (default: its posterior median)."""
        model = self.engine.model
        m = len(model.modelled)
        ls = np.median(self.posterior.particles[:, m:], axis=0) if log_sigma is None else np.asarray(log_sigma, float)

        def f(mu: np.ndarray) -> dict[str, np.ndarray]:
            phi = np.column_stack([mu, np.tile(ls, (len(mu), 1))])
            parts = [self.engine.predict(phi[s:s + _CHUNK]) for s in range(0, len(phi), _CHUNK)]
            return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

        table = sobol_indices(f, model.bounds()[:m], model.phi_names[:m], n=n, seed=seed)
        table.attrs["log_sigma"] = dict(zip(model.phi_names[m:], map(float, ls)))
        return table

    def profiles(self, points: int = 13, which: list[str] | None = None) -> dict[str, pd.DataFrame]:
        """Profile likelihood of each hyperparameter (or those named in ``which``) over its prior range."""
        names = self.engine.model.phi_names
        bounds = self.engine.model.bounds()
        best = self.posterior.particles[int(np.argmax(self.posterior.log_likelihood))]
        x_hat, _ = maximise_likelihood(self.engine.log_likelihood, best, bounds)
        out = {}
        for j, name in enumerate(names):
            if which is None or name in which:
                grid = np.linspace(bounds[j, 0], bounds[j, 1], int(points))
                out[name] = profile_likelihood(self.engine.log_likelihood, x_hat, bounds, j, grid, name=name)
        return out

    def plot(self, path: str | Path) -> Path:
        """Forest plot: each target's published interval and predicted intervals, as ratios to the published value."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        t = self.table
        y = np.arange(len(t))[::-1]
        fig, ax = plt.subplots(figsize=(8, 0.35 * len(t) + 1.2))
        pub = t["published"].to_numpy()
        ax.hlines(y + 0.15, t["interval_low"] / pub, t["interval_high"] / pub, color="k", lw=2, label="published 95%")
        ax.hlines(y - 0.15, t["predictive_q025"] / pub, t["predictive_q975"] / pub, color="C0", lw=1,
                  label="posterior predictive at OPTiM size")
        ax.hlines(y, t["predicted_q025"] / pub, t["predicted_q975"] / pub, color="C1", lw=4, label="calibration 95%")
        ax.plot(t["predicted_mean"] / pub, y, "o", color="C1")
        ax.axvline(1.0, color="grey", lw=0.5)
        ax.set_yticks(y, t["target"], fontsize=7)
        ax.set_xscale("log")
        ax.set_xlabel("value / published value")
        ax.legend(fontsize=7, loc="lower right")
        fig.tight_layout()
        path = Path(path)
        fig.savefig(path, dpi=120)
        plt.close(fig)
        return path


def calibrate_bayesian(outcomes: pd.DataFrame, X: np.ndarray, names: list[str], spec: CalibrationSpec | None = None,
                       survival: Survival | None = None, seed: int | None = None,
                       log_q: np.ndarray | None = None, initial: np.ndarray | None = None) -> BayesianCalibration:
    """Posterior over the population distribution of the biology given OPTiM's targets.

    ``outcomes``: one row per pool patient as ``pool_outcomes`` returns it (``ok`` False rows get
    weight 0); ``X`` (N, K) and ``names``: log10(value/default) of the redrawn parameters
    (:func:`biology_matrix`); ``survival``: optional callable ``{arm: weights (N,)} ->
    {"median_<arm>": months, "hazard_ratio": ...}`` (survival targets are skipped without it);
    ``log_q`` (N,): each patient's proposal log density when the pool's biology was drawn by
    ``PopulationModel.sample`` (a refined pool), None for the plausible pool's uniform box;
    ``initial`` (Q, D): feasible hyperparameters to start the SMC from (e.g. the draws that built
    the refined pool) when the feasible set is too small a part of the prior to find by rejection."""
    started = time.perf_counter()
    spec = spec or load_calibration_spec()
    b = spec.bayesian
    seed = b.seed if seed is None else int(seed)
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape != (len(outcomes), len(names)):
        raise ValueError(f"X: expected ({len(outcomes)}, {len(names)}) (a row per outcome row, a column per name)")
    unknown = [n for n in names if n not in spec.plausible.log_uniform_fold]
    if unknown:
        raise ValueError(f"names: expected parameters of plausible.log_uniform_fold (got {unknown[0]!r})")
    model = PopulationModel(tuple(names), tuple(math.log10(spec.plausible.log_uniform_fold[n]) for n in names),
                            tuple(b.population_model))
    mask = outcomes["ok"].to_numpy(dtype=bool) if "ok" in outcomes else np.ones(len(outcomes), bool)
    empty = sorted(set(STAGES) - set(outcomes["stage"].astype(str)[mask]))
    if empty:
        raise ValueError(f"outcomes.stage: expected simulated (ok) patients in every stage (none in {', '.join(empty)})")
    predictor = pool_predictor(outcomes)
    available = set(predictor.keys)
    targets = build_targets(design_effect=b.lesion_design_effect, survival=survival is not None)
    if survival is not None:
        available |= {t.name for t in targets if t.kind == "log_normal"}
    skipped = [t.name for t in targets if t.name not in available]
    targets = [t for t in targets if t.name in available]
    engine = Engine(model, model.check_X(X), mask, predictor, targets, survival, float(b.pool_ess_floor),
                    None if log_q is None else np.asarray(log_q, dtype=float))
    post = smc(engine.log_likelihood, model.log_prior, model.sample_prior, model.phi_names, particles=b.particles,
               seed=seed, ess_fraction=b.ess_fraction, moves=b.moves_per_step, initial=initial)
    draws = posterior_draws(post.particles, min(b.ensemble_size, len(post.particles)), seed)
    W = engine.weights(draws)
    predictions = predict_targets(predictor, W, survival)
    table = prediction_table(predictions, targets, seed=seed)
    provenance = {"seed": seed, "pool_patients": len(outcomes), "pool_ok": int(mask.sum()),
                  "targets": [t.name for t in targets], "skipped_targets": skipped,
                  "pool_ess_of_draws": [float(e) for e in kish_ess(W)], "pool_ess_of_mean_weights": float(kish_ess(W.mean(0))),
                  "wall_seconds": time.perf_counter() - started}
    return BayesianCalibration(engine, post, draws, W, predictions, table, outcomes["stage"].astype(str).to_numpy(),
                               b, provenance)
