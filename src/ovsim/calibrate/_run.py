"""``calibrate``: plausible patients -> simulated outcomes -> Bayesian population posterior -> survival fit -> shipped pool.

1. Plausible patients: disease features from the population specification, biology redrawn over
   documented ranges independently of stage (``_plausible``).
2. Their outcomes on every arm (``_features.pool_outcomes``).
3. A posterior over a stage-invariant population distribution of the biology, every target a likelihood
   (``_bayesian.calibrate_bayesian``); its ensemble of M weight vectors over the pool carries calibration
   uncertainty into predictions.
4. The joint survival model fitted to the survival targets at the posterior-mean weights and at each
   ensemble member's (``_survival_fit.fit_survival``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from .._parquet import write_parquet
from ..engine import scheduler_label
from ..io import json_text
from ._columns import COLUMN_DOCS
from ..model import PARAMETERS
from ..population import WeightedPool, calibrated_pool_path
from ..trial import SurvivalModel, TrialScenario, load_scenario, published_targets
from ._bayesian import BayesianCalibration, biology_matrix, calibrate_bayesian
from ._features import check_outcomes, pool_outcomes
from ._plausible import plausible_pool
from ._spec import CalibrationSpec, load_calibration_spec
from ._survival_fit import fit_survival


@dataclass(frozen=True, eq=False)
class Calibration:
    """A calibrated virtual population: the pool with posterior-mean and ensemble weights, the fitted joint
    survival model (posterior mean and per member) and the diagnostics."""

    pool: WeightedPool
    survival_model: SurvivalModel
    member_survival: tuple[SurvivalModel, ...]
    bayes: BayesianCalibration
    survival_fit: dict[str, Any]
    outcomes: pd.DataFrame
    spec: CalibrationSpec
    provenance: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Every target: published value, the ensemble's mean and 95% interval, its log-likelihood share;
        then the survival targets as fitted at the posterior-mean weights."""
        rows = self.bayes.summary()
        surv = [{"target": k, "published": v, "calibrated": self.survival_fit["achieved"][k]}
                for k, v in self.survival_fit["targets"].items()]
        return pd.concat([rows, pd.DataFrame(surv)], ignore_index=True)

    def identifiability(self) -> pd.DataFrame:
        """For each redrawn parameter: how far the posterior-mean weights moved and narrowed its distribution.

        ``shift``: weighted minus unweighted mean of log10(value / default) (decades);
        ``narrowing``: 1 - weighted SD / unweighted SD of that log value (0 = the targets say
        nothing about it, 1 = fully pinned); ``ks``: Kolmogorov distance between the two.
        """
        p = self.pool.population.patients
        w = self.pool.weights
        rows = []
        for name in sorted(self.spec.plausible.log_uniform_fold):
            x = np.log10(p[name].to_numpy(dtype=float) / PARAMETERS[name].value)
            m0, m1 = x.mean(), float(np.sum(w * x))
            s0, s1 = x.std(), math.sqrt(float(np.sum(w * (x - m1) ** 2)))
            order = np.argsort(x)
            ks = float(np.max(np.abs(np.cumsum(w[order]) - np.arange(1, len(x) + 1) / len(x))))
            rows.append({"parameter": name, "fold_range": self.spec.plausible.log_uniform_fold[name],
                         "weighted_median_x_default": 10 ** float(_weighted_quantile(x, w, 0.5)),
                         "shift_decades": m1 - m0, "narrowing": 1 - s1 / s0, "ks": ks})
        return pd.DataFrame(rows)

    def ship(self, folder: str | Path | None = None) -> Path:
        """Write the pool (``patients.parquet`` with ``weight`` and ``weight_<k>``, ``lesions.parquet``),
        ``calibration.json`` and ``outcomes.parquet`` (the pool's simulated outcomes, burden courses included, for
        sensitivity, profile and survival analyses without re-simulating)."""
        folder = Path(folder) if folder is not None else calibrated_pool_path()
        self.pool.save(folder)
        doc = {
            "method": "Bayesian: stage-invariant population distribution of the biology by importance weights of "
                      "plausible patients, targets as likelihoods, SMC posterior, ensemble (docs/calibration.md)",
            "survival_model": self.survival_model.model_dump(),
            "survival_members": [m.model_dump() for m in self.member_survival],
            "survival_fit": self.survival_fit,
            "effective_sample_size": self.pool.effective_sample_size,
            "targets": self.summary().to_dict(orient="records"),
            "hyperparameters": self.bayes.hyperparameters().to_dict(orient="records"),
            "stage_invariance": self.bayes.stage_invariance().to_dict(orient="records"),
            "identifiability": self.identifiability().to_dict(orient="records"),
            "posterior": {"temperatures": [float(t) for t in self.bayes.posterior.temperatures],
                          "log_evidence": float(self.bayes.posterior.log_evidence),
                          "population_model": list(self.spec.bayesian.population_model)},
            "provenance": self.provenance,
        }
        (folder / "calibration.json").write_text(json_text(doc))
        write_parquet(self.outcomes, folder / "outcomes.parquet", "pool/outcomes.parquet",
                      COLUMN_DOCS["pool/outcomes.parquet"])
        return folder


def _weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x)
    cdf = np.cumsum(w[order])
    return float(x[order][min(np.searchsorted(cdf, q), len(x) - 1)])


def calibrate(
    spec: CalibrationSpec | None = None,
    *,
    patients: int | None = None,
    seed: int | None = None,
    scenario: TrialScenario | None = None,
    workers: int = 1,
    progress: bool = False,
    outcomes: pd.DataFrame | None = None,
    dask: Any = None,
) -> Calibration:
    """Calibrate the virtual population (and the joint survival model) to the OPTiM targets.

    outcomes: the pool's simulated outcomes from an earlier run of the same spec and seed (its
    ``outcomes.parquet``), to redo the posterior and the survival fit without re-simulating; checked
    against the pool's patient ids. dask: simulate the pool on a Dask cluster (``"local"``, ``tcp://host:8786``
    or a ``distributed.Client``; the same results; docs/dask.md).
    """
    spec = spec or load_calibration_spec()
    if seed is not None or patients is not None:
        spec = spec.model_copy(update={"plausible": spec.plausible.model_copy(update={
            **({"seed": int(seed)} if seed is not None else {}),
            **({"patients": int(patients)} if patients is not None else {})})})
    base = scenario or load_scenario()
    start_model = SurvivalModel()  # deaths end the assessments while simulating; the fit starts from it too
    sc = base.model_copy(update={"design": "paired", "survival": base.survival.model_copy(
        update={"model": start_model})})
    targets = published_targets()["targets"]
    started = time.perf_counter()
    pool = plausible_pool(spec)
    ttr = targets["median_time_to_response_months"][list(sc.arms)[0]]["value"]
    if outcomes is None:
        out = pool_outcomes(pool, sc, spec.plausible.seed, spec.assessment_replicates, ttr_months=ttr,
                            workers=workers, progress=progress, dask=dask)
    else:
        out = check_outcomes(outcomes, pool.patients["patient_id"].to_numpy(), list(sc.arms))
    simulated = time.perf_counter()
    X, names = biology_matrix(pool.patients, spec.plausible.log_uniform_fold)
    bayes = calibrate_bayesian(out, X, names, spec)
    if progress:
        print(f"posterior: {len(bayes.posterior.temperatures)} tempering steps, ensemble of {len(bayes.weights)}")
    arms, sizes = list(sc.arms), base.arm_sizes()
    allocation = sizes[arms[0]] / (sizes[arms[0]] + sizes[arms[-1]])  # the trial's, e.g. OPTiM's 2:1
    predictor = bayes.engine.predictor

    def fit(w: np.ndarray) -> tuple[SurvivalModel, dict[str, Any]]:
        per_arm = {a: predictor.arm_weights(w, a) for a in (arms[0], arms[-1])}
        return fit_survival(out, per_arm, targets, start_model, sc.survival.follow_up_months, sc.survival.accrual_months,
                            allocation_first=allocation, fit=spec.survival.fit,
                            mc_patients=len(arms) * spec.survival.mc_patients_per_arm, seed=spec.plausible.seed)

    mean = bayes.mean_weights
    survival, report = fit(mean)
    members = tuple(fit(w)[0] for w in bayes.weights)
    provenance = {
        "ovsim_version": __version__, "seed": spec.plausible.seed, "plausible_patients": spec.plausible.patients,
        "replicates": spec.assessment_replicates, "failed_plausible_patients": int((~out["ok"]).sum()),
        "simulation_seconds": simulated - started, "wall_seconds": time.perf_counter() - started, "scenario": sc.name,
        "outcomes_reused": outcomes is not None,
        "workers": workers, "bayesian": bayes.provenance,
        **({"dask": scheduler_label(dask)} if dask is not None else {}),
    }
    wpool = WeightedPool(pool, mean, {**pool.provenance, **provenance, "kind": "calibrated pool"}, members=bayes.weights)
    return Calibration(wpool, survival, members, bayes, report, out, spec, provenance)
