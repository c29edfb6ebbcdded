"""The adverse-event table of a trial: per arm and event, incidence with an exact 95% interval."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ._stats_binomial import rate
from ..safety import SafetyModel


def adverse_event_table(model: SafetyModel, patients: pd.DataFrame, arms: list[str]) -> dict[str, Any]:
    """``{arm: {event: {events, n, value, ci95, grade, label_incidence}}}`` over the arm's evaluable patients.

    Only arms that received T-VEC are tabulated (the model covers T-VEC's reactions; comparator events
    are not modelled: no published incidence is among ovsim's targets)."""
    out: dict[str, Any] = {}
    for arm in arms:
        p = patients[(patients["arm"] == arm) & patients["ok"].astype(bool)]
        if "tvec_visits" not in p or not (p["tvec_visits"] > 0).any():
            out[arm] = None
            continue
        rows = {}
        for name, ev in model.events.items():
            r = rate(int(p[f"ae_{name}"].sum()), int(len(p))).to_dict()
            rows[name] = {**r, "grade": ev.grade, "label_incidence": ev.label_incidence}
        out[arm] = rows
    return out
