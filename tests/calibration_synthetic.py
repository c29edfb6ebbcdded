"""A synthetic plausible pool shaped like ``pool_outcomes``' output, whose population expectation
reproduces every OPTiM response and lesion-level target exactly at a known population distribution.

Biology: K = 3 redrawn parameters (``kill_rate`` fold 10, ``priming_rate`` fold 10,
``inflammation_gain`` fold 3) drawn uniform on the log10 box, stage drawn from the T-VEC arm's mix,
independently. Every outcome probability is ``sigmoid(offset + SLOPE * x_kill)`` (priming and
inflammation have no effect), with offsets solved so that under ``TRUE_PHI`` (kill: mu = -0.3,
sigma = 0.25 decades) the post-stratified expectation equals the published value; durable response
has one offset for the EU stages (IIIB-IVM1a) and one for IVM1b/c, so the EU subgroup is met too.
Outcome columns hold probabilities (as the mean over replicates would), lesion columns counts x probability.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.stats import truncnorm

from ovsim.calibrate._features import LESION_CATEGORIES
from ovsim.population import STAGES, load_population_spec
from ovsim.trial import published_targets

FOLDS = {"inflammation_gain": 3.0, "kill_rate": 10.0, "priming_rate": 10.0}
NAMES = sorted(FOLDS)
TRUE_MU, TRUE_SIGMA, SLOPE = -0.3, 0.25, 3.0
EU = ("IIIB", "IIIC", "IVM1a")


def _expect_sigmoid(offset: float) -> float:
    """E[sigmoid(offset + SLOPE x)] for x ~ TN(TRUE_MU, TRUE_SIGMA) on [-1, 1] (quadrature)."""
    x = np.linspace(-1, 1, 4001)
    a, b = (-1 - TRUE_MU) / TRUE_SIGMA, (1 - TRUE_MU) / TRUE_SIGMA
    pdf = truncnorm.pdf(x, a, b, loc=TRUE_MU, scale=TRUE_SIGMA)
    f = pdf / (1 + np.exp(-(offset + SLOPE * x)))
    return float(np.sum((f[1:] + f[:-1]) / 2 * np.diff(x)))


def _offset(p: float) -> float:
    return brentq(lambda o: _expect_sigmoid(o) - p, -40, 40)


def _sig(o: float, x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(o + SLOPE * x)))


def synthetic_pool(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    a = np.array([math.log10(FOLDS[k]) for k in NAMES])
    X = rng.uniform(-a, a, size=(n, len(NAMES)))
    mixes = load_population_spec().stage_mix
    mix = np.array([mixes["tvec"][s] for s in STAGES], float)
    stage = np.array(STAGES)[rng.choice(len(STAGES), size=n, p=mix / mix.sum())]
    xk = X[:, NAMES.index("kill_rate")]
    t = published_targets()["targets"]
    out = pd.DataFrame({"patient_id": [f"P{i}" for i in range(n)], "stage": stage})
    eu = np.isin(stage, EU)
    for arm in ("tvec", "gmcsf"):
        m = np.array([mixes[arm][s] for s in STAGES], float)
        share_eu = m[[STAGES.index(s) for s in EU]].sum() / m.sum()
        p_eu = t["eu_indication_subgroup"]["durable_response_rate"][arm]["value"]
        p_itt = t["durable_response_rate"][arm]["value"]
        p_rest = (p_itt - share_eu * p_eu) / (1 - share_eu)
        out[f"{arm}_durable_response"] = np.where(eu, _sig(_offset(p_eu), xk), _sig(_offset(p_rest), xk))
        for key, col in (("objective_response_rate", "objective_response"), ("complete_response_rate", "complete_response")):
            out[f"{arm}_{col}"] = _sig(_offset(t[key][arm]["value"]), xk)
    out["tvec_responded_by_ttr"] = 0.5 * out["tvec_objective_response"]
    lesions = rng.poisson(3.0, size=(n, len(LESION_CATEGORIES))) + 1
    for j, cat in enumerate(LESION_CATEGORIES):
        v = t["lesion_level_tvec_arm"][cat]
        out[f"tvec_{cat}_lesions"] = lesions[:, j].astype(float)
        out[f"tvec_{cat}_decrease"] = lesions[:, j] * _sig(_offset(v["decrease_ge_50pct"]), xk)
        out[f"tvec_{cat}_resolved"] = lesions[:, j] * _sig(_offset(v["complete_resolution"]), xk)
    out["ok"] = True
    out.attrs["arms"] = ["tvec", "gmcsf"]
    return out, X, list(NAMES)
