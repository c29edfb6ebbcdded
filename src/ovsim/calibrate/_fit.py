"""From plausible-patient outcomes to calibrated weights and survival parameters.

1. Prevalence weights (minimum relative entropy) so that the weighted pool matches every
   response and lesion-level target of ``optim.yaml`` and the first arm's stage mix; the second
   arm's outcomes are reweighted to its own stage mix within the same weights.
2. With the weights fixed, the survival link's intercept, spread and growth-rate effect are fitted
   to the two arms' median overall survival and their hazard ratio.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.stats import norm

from ..population import STAGES, load_population_spec
from ..population._selection import Constraint, Weights, prevalence_weights, ratio_constraint, share_constraint
from ..trial import SurvivalModel, censor, hazard_ratio
from ._features import LESION_CATEGORIES
from ._spec import CalibrationSpec

_RATES = (("durable_response_rate", "durable_response"), ("objective_response_rate", "objective_response"),
          ("complete_response_rate", "complete_response"))


def stage_ratio(stages: np.ndarray, arm: str, reference_arm: str) -> np.ndarray:
    """Per patient: the arm's stage share over the reference arm's (reweights one arm's mix to another's)."""
    mix = load_population_spec().stage_mix
    a, b = mix[arm], mix[reference_arm]
    ta, tb = sum(a.values()), sum(b.values())
    return np.array([(a[s] / ta) / (b[s] / tb) for s in stages])


def build_constraints(out: pd.DataFrame, targets: dict[str, Any], spec: CalibrationSpec) -> list[Constraint]:
    """The linear constraints of the weighting (targets of ``optim.yaml`` only)."""
    arms = out.attrs["arms"]
    first, ref = arms[0], spec.plausible.stage_mix
    tol = spec.tolerance
    stages = out["stage"].to_numpy()
    mix = load_population_spec().stage_mix[ref]
    total = sum(mix.values())
    cons = [share_constraint(f"stage share {s}", stages, s, mix[s] / total) for s in STAGES]
    for arm in arms:
        ratio = stage_ratio(stages, arm, ref)
        for key, col in _RATES:
            t = targets[key].get(arm)
            if t is not None:
                cons.append(Constraint(f"{arm} {key}", out[f"{arm}_{col}"].to_numpy() * ratio, float(t["value"]),
                                       tol.response_rate, stated=float(t["value"])))
    ttr = targets["median_time_to_response_months"].get(first)
    if ttr is not None:
        responders = out[f"{first}_objective_response"].to_numpy()
        cons.append(Constraint(f"{first} share of responders responding by {ttr['value']} months",
                               out[f"{first}_responded_by_ttr"].to_numpy() - 0.5 * responders, 0.0,
                               tol.time_to_response_quantile, denominator=responders, stated=0.5))
    lesion_targets = targets.get(f"lesion_level_{first}_arm", {})
    for cat in LESION_CATEGORIES:
        t = lesion_targets.get(cat)
        if t is None:
            continue
        n = out[f"{first}_{cat}_lesions"].to_numpy()
        for key, col in (("decrease_ge_50pct", "decrease"), ("complete_resolution", "resolved")):
            cons.append(ratio_constraint(f"{first} {cat} {key}", out[f"{first}_{cat}_{col}"].to_numpy(), n,
                                         float(t[key]), tol.lesion_level))
    return cons


def fit_weights(out: pd.DataFrame, targets: dict[str, Any], spec: CalibrationSpec) -> tuple[Weights, np.ndarray]:
    """Prevalence weights over the patients with ``ok``, and the full weight vector (0 for the others)."""
    ok = out["ok"].to_numpy(dtype=bool)
    sub = out[ok]
    sub.attrs.update(out.attrs)
    w = prevalence_weights(build_constraints(sub, targets, spec))
    full = np.zeros(len(out))
    full[ok] = w.weights
    return w, full


def _mu(model: SurvivalModel, log_kg: np.ndarray, baseline: np.ndarray, ecog: np.ndarray, ldh: np.ndarray) -> np.ndarray:
    return (model.intercept_log_months + model.beta_log_kg * (log_kg - math.log(model.kg_reference_per_day))
            + model.beta_log_baseline * np.log(np.maximum(baseline, 1e-9) / model.baseline_reference_cm2)
            + model.beta_ecog1 * (ecog >= 1) + model.beta_ldh_high * (ldh > 1.0))


def weighted_median_os(w: np.ndarray, mu: np.ndarray, sigma: float) -> float:
    """Median (months) of the weighted log-normal mixture: solves sum w Phi((ln m - mu) / sigma) = 1/2."""
    lo, hi = float(mu.min() - 6 * sigma), float(mu.max() + 6 * sigma)
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if np.sum(w * norm.cdf((mid - mu) / sigma)) < 0.5:
            lo = mid
        else:
            hi = mid
    return math.exp(0.5 * (lo + hi))


def fit_survival(out: pd.DataFrame, weights: np.ndarray, targets: dict[str, Any], spec: CalibrationSpec,
                 base: SurvivalModel, follow_up_months: float, accrual_months: float) -> tuple[SurvivalModel, dict]:
    """Fit the survival link's free parameters to both arms' median OS and the hazard ratio."""
    arms = out.attrs["arms"]
    first, last, ref = arms[0], arms[-1], spec.plausible.stage_mix
    stages = out["stage"].to_numpy()
    w = {a: weights * stage_ratio(stages, a, ref) for a in (first, last)}
    w = {a: v / v.sum() for a, v in w.items()}
    cov = {a: (out[f"{a}_log_kg"].to_numpy(), out[f"{a}_baseline_cm2"].to_numpy()) for a in (first, last)}
    ecog, ldh = out["ecog"].to_numpy(), out["ldh_x_uln"].to_numpy()
    os_t = targets["overall_survival"]
    med_t = {a: os_t["median_months"][a]["value"] for a in (first, last)}
    hr_t = os_t[f"hazard_ratio_{first}_vs_{last}"]["value"]
    n_mc = spec.survival.mc_patients_per_arm
    rng = np.random.default_rng(np.random.SeedSequence(spec.plausible.seed, spawn_key=(0, 6)))
    mc = {a: (rng.choice(len(out), size=n_mc, p=w[a]), rng.standard_normal(n_mc), rng.random(n_mc))
          for a in (first, last)}
    free = spec.survival.fit

    def model_of(x: np.ndarray) -> SurvivalModel:
        upd = dict(zip(free, x))
        if "sigma" in upd:
            upd["sigma"] = math.exp(upd["sigma"])
        return base.model_copy(update=upd)

    def predict(m: SurvivalModel) -> dict[str, float]:
        mus = {a: _mu(m, cov[a][0], cov[a][1], ecog, ldh) for a in (first, last)}
        res = {f"median_{a}": weighted_median_os(w[a], mus[a], m.sigma) for a in (first, last)}
        times, events, group = [], [], []
        for a in (first, last):
            pick, eps, u = mc[a]
            t, e = censor(np.exp(mus[a][pick] + m.sigma * eps), u, follow_up_months, accrual_months)
            times.append(t), events.append(e), group.append(np.full(n_mc, a == first))
        res["hazard_ratio"] = hazard_ratio(np.concatenate(times), np.concatenate(events), np.concatenate(group)).value
        return res

    def loss(x: np.ndarray) -> float:
        p = predict(model_of(x))
        return ((math.log(p[f"median_{first}"] / med_t[first])) ** 2 + (math.log(p[f"median_{last}"] / med_t[last])) ** 2
                + (math.log(p["hazard_ratio"] / hr_t)) ** 2)

    x0 = np.array([math.log(getattr(base, f)) if f == "sigma" else getattr(base, f) for f in free])
    fit = minimize(loss, x0, method="Nelder-Mead", options={"xatol": 1e-4, "fatol": 1e-8, "maxiter": 400})
    model = model_of(fit.x)
    achieved = predict(model)
    return model, {"loss": float(fit.fun), "iterations": int(fit.nit), "achieved": achieved,
                   "targets": {f"median_{first}": med_t[first], f"median_{last}": med_t[last], "hazard_ratio": hr_t}}
