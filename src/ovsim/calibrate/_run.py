"""``calibrate``: plausible patients -> simulated outcomes -> prevalence weights -> survival fit -> a shipped pool."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from ..io import json_text
from ..model import PARAMETERS
from ..population import WeightedPool, calibrated_pool_path
from ..population._selection import Weights
from ..trial import SurvivalModel, TrialScenario, load_scenario, published_targets
from ._features import pool_outcomes
from ._fit import arm_weights, fit_weights
from ._plausible import plausible_pool
from ._survival_fit import fit_survival
from ._spec import CalibrationSpec, load_calibration_spec


@dataclass(frozen=True, eq=False)
class Calibration:
    """A calibrated virtual population: the weighted pool, the fitted joint survival model and the diagnostics."""

    pool: WeightedPool
    survival_model: SurvivalModel
    weights: Weights
    survival_fit: dict[str, Any]
    outcomes: pd.DataFrame
    spec: CalibrationSpec
    provenance: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Each weighting target with the achieved value, and the survival targets."""
        w = self.weights.summary()
        rows = [{"target": r["name"], "published": r["stated_target"], "tolerance": r["tolerance"],
                 "calibrated": r["stated_achieved"]} for _, r in w.iterrows()]
        for key, value in self.survival_fit["targets"].items():
            rows.append({"target": key, "published": value, "tolerance": float("nan"),
                         "calibrated": self.survival_fit["achieved"][key]})
        return pd.DataFrame(rows)

    def identifiability(self) -> pd.DataFrame:
        """For each redrawn parameter: how far the weights moved and narrowed its distribution.

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
        """Write the pool (``patients.parquet`` with weights, ``lesions.parquet``) and ``calibration.json``."""
        folder = Path(folder) if folder is not None else calibrated_pool_path()
        self.pool.save(folder)
        doc = {
            "method": "prevalence weighting by minimum relative entropy of plausible patients (docs/calibration.md)",
            "survival_model": self.survival_model.model_dump(),
            "survival_fit": self.survival_fit,
            "effective_sample_size": self.pool.effective_sample_size,
            "targets": self.summary().to_dict(orient="records"),
            "identifiability": self.identifiability().to_dict(orient="records"),
            "provenance": self.provenance,
        }
        (folder / "calibration.json").write_text(json_text(doc))
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
) -> Calibration:
    """Calibrate the virtual population (and the joint survival model) to the OPTiM targets."""
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
    out = pool_outcomes(pool, sc, spec.plausible.seed, spec.assessment_replicates, ttr_months=ttr,
                        workers=workers, progress=progress)
    weights, full = fit_weights(out, targets, spec)
    arms, sizes = list(sc.arms), base.arm_sizes()
    allocation = sizes[arms[0]] / (sizes[arms[0]] + sizes[arms[-1]])  # the trial's, e.g. OPTiM's 2:1
    survival, fit = fit_survival(out, arm_weights(out, full, spec), targets, start_model, sc.survival.follow_up_months,
                                 sc.survival.accrual_months, allocation_first=allocation, fit=spec.survival.fit,
                                 mc_patients=len(arms) * spec.survival.mc_patients_per_arm, seed=spec.plausible.seed)
    provenance = {
        "ovsim_version": __version__, "seed": spec.plausible.seed, "plausible_patients": spec.plausible.patients,
        "replicates": spec.assessment_replicates, "failed_plausible_patients": int((~out["ok"]).sum()),
        "wall_seconds": time.perf_counter() - started, "scenario": sc.name,
    }
    wpool = WeightedPool(pool, full, {**pool.provenance, **provenance, "kind": "calibrated pool"})
    return Calibration(wpool, survival, weights, fit, out, spec, provenance)
