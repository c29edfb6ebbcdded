"""Predicted target values from the pool's outcome table (``pool_outcomes``) and weights.

Every prediction is post-stratified to an arm's published stage mix (``population_optim.yaml``
``stage_mix``): with stage-conditional weighted means ``E_s(y) = sum_{i in s} w_i y_i / sum_{i in s} w_i``,

    rate_arm(y) = sum_s m_arm,s E_s(y),        ratio targets: rate_arm(num) / rate_arm(den).

This holds whatever stage mix the weighted pool has (the population weights depend on biology
only). The EU-indication subgroup uses each arm's mix restricted to IIIB, IIIC
and IVM1a (renormalised). Targets: response rates per arm (``{arm}_durable_response`` etc.), the
share of responders responding by the median time to response (``{arm}_responded_by_ttr`` over
``{arm}_objective_response``), lesion-level rates (``{arm}_{category}_decrease`` / ``_resolved``
over ``_lesions``). Survival comes from an injected callable of the per-arm patient weights.
Vectorised: one matrix product ``W @ M`` (P x N times N x S(1 + C)) gives every stage sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from ..population import STAGES, load_population_spec
from ._features import LESION_CATEGORIES

EU_STAGES = ("IIIB", "IIIC", "IVM1a")  # EU indication: stage IIIB-IVM1a (optim.yaml eu_indication_subgroup)
_RATES = (("durable_response_rate", "durable_response"), ("objective_response_rate", "objective_response"),
          ("complete_response_rate", "complete_response"))
_LESION = (("decrease_ge_50pct", "decrease"), ("complete_resolution", "resolved"))
Survival = Callable[[dict[str, np.ndarray]], dict[str, float]]


@dataclass(frozen=True, eq=False)
class PoolPredictor:
    """Stage-sum matrix of the pool's outcome columns and the definition of each predicted target."""

    arms: tuple[str, ...]
    stage_index: np.ndarray  # (N,) index into STAGES
    columns: tuple[str, ...]  # outcome columns in M
    M: np.ndarray  # (N, S (1 + C)): stage indicators, then indicator x column
    mixes: dict[str, np.ndarray]  # name -> (S,) stage shares summing to 1
    definitions: tuple[tuple[str, int, int, str], ...]  # key, numerator column, denominator column (-1: none), mix

    @property
    def keys(self) -> list[str]:
        return [d[0] for d in self.definitions]

    def predict(self, W: np.ndarray) -> dict[str, np.ndarray]:
        """Every target's prediction for weights ``W`` (P, N) -> (P,) arrays, or (N,) -> floats."""
        W = np.asarray(W, dtype=float)
        single = W.ndim == 1
        W = np.atleast_2d(W)
        if W.ndim != 2 or W.shape[1] != self.M.shape[0]:
            raise ValueError(f"weights: expected (N,) or (P, N) with N = {self.M.shape[0]} (got {W.shape})")
        S = len(STAGES)
        G = (W @ self.M).reshape(W.shape[0], 1 + len(self.columns), S)
        ws = G[:, 0, :]
        E = np.divide(G[:, 1:, :], ws[:, None, :], out=np.full(G[:, 1:, :].shape, np.nan), where=ws[:, None, :] > 0)
        out = {}
        for key, num, den, mix in self.definitions:
            m = self.mixes[mix]
            use = m > 0
            value = E[:, num, use] @ m[use]
            if den >= 0:
                d = E[:, den, use] @ m[use]
                value = np.divide(value, d, out=np.full_like(value, np.nan), where=d > 0)
            out[key] = float(value[0]) if single else value
        return out

    def arm_weights(self, w: np.ndarray, arm: str) -> np.ndarray:
        """Per-patient weights (N,) of the pool post-stratified to ``arm``'s stage mix (sum 1)."""
        w = np.asarray(w, dtype=float)
        if arm not in self.mixes:
            raise ValueError(f"arm: expected one of {', '.join(self.arms)} (got {arm!r})")
        ws = np.bincount(self.stage_index, weights=w, minlength=len(STAGES))
        factor = np.divide(self.mixes[arm], ws, out=np.zeros(len(STAGES)), where=ws > 0)
        out = w * factor[self.stage_index]
        return out / out.sum()


def infer_arms(outcomes: pd.DataFrame) -> tuple[str, ...]:
    """``outcomes.attrs['arms']`` or the arms with a ``{arm}_durable_response`` column (column order)."""
    arms = outcomes.attrs.get("arms") or [c[: -len("_durable_response")] for c in outcomes.columns
                                          if c.endswith("_durable_response")]
    if not arms:
        raise ValueError("outcomes: expected attrs['arms'] or columns named {arm}_durable_response")
    return tuple(arms)


def _mix(shares: dict[str, float], stages: tuple[str, ...], label: str) -> np.ndarray:
    m = np.array([float(shares.get(s, 0.0)) if s in stages else 0.0 for s in STAGES])
    if not m.sum() > 0 or np.any(m < 0):
        raise ValueError(f"stage_mix.{label}: expected non-negative shares with a positive sum over {', '.join(stages)}")
    return m / m.sum()


def pool_predictor(outcomes: pd.DataFrame, stage_mix: dict[str, dict[str, float]] | None = None) -> PoolPredictor:
    """The predictor for an outcome table shaped like ``pool_outcomes``' output (rows: pool patients)."""
    arms = infer_arms(outcomes)
    mixes_in = load_population_spec().stage_mix if stage_mix is None else stage_mix
    if "stage" not in outcomes:
        raise ValueError("outcomes.stage: expected a column of stages")
    stage = outcomes["stage"].astype(str).to_numpy()
    bad = sorted(set(stage) - set(STAGES))
    if bad:
        raise ValueError(f"outcomes.stage: expected one of {', '.join(STAGES)} (got {bad[0]!r})")
    mixes: dict[str, np.ndarray] = {}
    for arm in arms:
        if arm not in mixes_in:
            raise ValueError(f"stage_mix: expected a stage mix for arm {arm!r}")
        mixes[arm] = _mix(mixes_in[arm], STAGES, arm)
        mixes[f"eu:{arm}"] = _mix(mixes_in[arm], EU_STAGES, f"{arm} (EU stages)")
    columns: list[str] = []
    definitions: list[tuple[str, int, int, str]] = []

    def col(name: str) -> int:
        if name not in columns:
            columns.append(name)
        return columns.index(name)

    for arm in arms:
        for key, c in _RATES:
            if f"{arm}_{c}" in outcomes:
                definitions.append((f"{key}:{arm}", col(f"{arm}_{c}"), -1, arm))
        if f"{arm}_durable_response" in outcomes:
            definitions.append((f"eu_durable_response_rate:{arm}", col(f"{arm}_durable_response"), -1, f"eu:{arm}"))
        if f"{arm}_responded_by_ttr" in outcomes and f"{arm}_objective_response" in outcomes:
            definitions.append((f"responded_by_median_ttr:{arm}", col(f"{arm}_responded_by_ttr"),
                                col(f"{arm}_objective_response"), arm))
        for cat in LESION_CATEGORIES:
            if f"{arm}_{cat}_lesions" not in outcomes:
                continue
            for key, c in _LESION:
                definitions.append((f"lesion_{key}:{cat}:{arm}", col(f"{arm}_{cat}_{c}"), col(f"{arm}_{cat}_lesions"), arm))
    index = np.array([STAGES.index(s) for s in stage], dtype=int)
    ind = np.zeros((len(stage), len(STAGES)))
    ind[np.arange(len(stage)), index] = 1.0
    values = [np.nan_to_num(outcomes[c].to_numpy(dtype=float)) for c in columns]
    M = np.hstack([ind] + [ind * v[:, None] for v in values])
    return PoolPredictor(arms, index, tuple(columns), M, mixes, tuple(definitions))


def predict_targets(predictor: PoolPredictor, W: np.ndarray, survival: Survival | None = None) -> dict[str, np.ndarray]:
    """``predictor.predict(W)`` plus, with ``survival``, ``median_os_months:<arm>`` and
    ``hazard_ratio_os:<first>_vs_<last>`` from ``survival({arm: weights (N,)})`` (its keys
    ``median_<arm>`` and ``hazard_ratio``), called once per weight vector."""
    out = predictor.predict(W)
    if survival is None:
        return out
    W = np.asarray(W, dtype=float)
    rows = np.atleast_2d(W)
    first, last = predictor.arms[0], predictor.arms[-1]
    res = [survival({a: predictor.arm_weights(w, a) for a in predictor.arms}) for w in rows]
    keys = {f"median_os_months:{a}": f"median_{a}" for a in predictor.arms}
    keys[f"hazard_ratio_os:{first}_vs_{last}"] = "hazard_ratio"
    for key, src in keys.items():
        if any(src not in r for r in res):
            raise ValueError(f"survival: expected the callable to return {src!r}")
        values = np.array([float(r[src]) for r in res])
        out[key] = float(values[0]) if W.ndim == 1 else values
    return out
