"""Draw each patient's adverse events from their own random stream.

Patient ``i`` (the population index) uses ``SeedSequence(seed, spawn_key=(i, 7))`` — a stream no efficacy
draw uses, so adding or changing the safety model never changes efficacy results for a seed. Per event one
uniform ``u`` decides: the event happens at the first visit whose cumulative probability
``1 - exp(-H_v)`` exceeds ``u`` (so incidence and onset come from one draw).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from ._events import SafetyModel, exposures, visit_table

STREAM = 7
"""Spawn-key tag of the adverse-event stream (population 0/none, measurement 1, survival 2, ...)."""


def _visit_exposures(model: SafetyModel, patients: pd.DataFrame, doses: pd.DataFrame):
    """(patient ids, their T-VEC visit rows, per-event exposure of each row); serostatus from ``patients``."""
    ids = patients["patient_id"].astype(str).to_numpy()
    sero_pos = patients["hsv1_seropositive"].to_numpy(dtype=bool) if "hsv1_seropositive" in patients \
        else np.ones(len(ids), dtype=bool)
    visits = visit_table(doses.assign(ID=doses["ID"].astype(str)))
    visits = visits[visits["ID"].isin(ids)]
    return ids, visits, exposures(model, visits, dict(zip(ids, ~sero_pos)))


def draw_adverse_events(model: SafetyModel, seed: int, patients: pd.DataFrame, doses: pd.DataFrame,
                        rates: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Per patient (rows of ``patients``: ``patient_id``, ``index``, ``hsv1_seropositive``) and event:
    ``ae_<name>`` (bool) and ``ae_<name>_day`` (onset day, NaN if none). Doses: that arm's records."""
    rates = dict(rates if rates is not None else model.rates)
    missing = [k for k in model.events if k not in rates]
    if missing:
        raise ValueError(f"adverse events: no calibrated rate for {missing[0]!r} (run tools/calibrate_safety.py)")
    ids, visits, exp = _visit_exposures(model, patients, doses)
    index = patients["index"].to_numpy(dtype=int) if "index" in patients else np.arange(len(ids))
    u = np.array([np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(i), STREAM)))
                  .uniform(size=len(model.events)) for i in index]).reshape(len(ids), len(model.events))
    rows = {i: np.flatnonzero(visits["ID"].to_numpy() == pid) for i, pid in enumerate(ids)}
    days = visits["TIME"].to_numpy(float)
    out = {}
    for k, name in enumerate(model.events):
        hazard = rates[name] * exp[name]
        happened = np.zeros(len(ids), dtype=bool)
        onset = np.full(len(ids), np.nan)
        for i, r in rows.items():
            if len(r) == 0:
                continue
            cum = -np.expm1(-np.cumsum(hazard[r]))
            hit = np.flatnonzero(cum > u[i, k])
            if len(hit):
                happened[i], onset[i] = True, days[r[hit[0]]]
        out[f"ae_{name}"] = happened
        out[f"ae_{name}_day"] = onset
    return pd.DataFrame(out, index=patients.index)


def patient_exposure(model: SafetyModel, patients: pd.DataFrame, doses: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per event, each patient's summed exposure (0 without T-VEC visits): the calibration's input."""
    ids, visits, exp = _visit_exposures(model, patients, doses)
    out = {}
    for name, e in exp.items():
        total = pd.Series(e).groupby(visits["ID"].to_numpy()).sum()
        out[name] = total.reindex(ids, fill_value=0.0).to_numpy(dtype=float)
    return out
