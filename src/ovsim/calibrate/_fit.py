"""From plausible-patient outcomes to calibrated weights and survival parameters.

1. Prevalence weights (minimum relative entropy) so that the weighted pool matches every
   response and lesion-level target of ``optim.yaml`` and the first arm's stage mix; the second
   arm's outcomes are reweighted to its own stage mix within the same weights.
2. With the weights fixed, the joint survival model's three free coefficients are fitted to the two
   arms' median overall survival and their hazard ratio (:mod:`ovsim.calibrate._survival_fit`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..population import STAGES, load_population_spec
from ..population._selection import Constraint, Weights, prevalence_weights, ratio_constraint, share_constraint
from ._features import LESION_CATEGORIES
from ._spec import CalibrationSpec
from ._survival_fit import fit_survival  # noqa: F401  (step 2 lives in its own module; importable from here)

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


def arm_weights(out: pd.DataFrame, weights: np.ndarray, spec: CalibrationSpec) -> dict[str, np.ndarray]:
    """Each arm's patient weights (normalised): the pool's weights reweighted to the arm's stage mix."""
    stages = out["stage"].to_numpy()
    w = {a: np.asarray(weights, dtype=float) * stage_ratio(stages, a, spec.plausible.stage_mix)
         for a in out.attrs["arms"]}
    return {a: v / v.sum() for a, v in w.items()}
