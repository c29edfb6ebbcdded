"""Adverse events of T-VEC: the per-visit hazard model and its exposure from the doses a patient received.

At each T-VEC visit ``v`` at which virus is injected, event ``k`` occurs with hazard

    h_kv = lambda_k * early_k(v) * sero_k(v) * dose_k(v)

- ``early_k(v)`` = early_factor for the first ``early_visits`` treatments (flu-like reactions are most
  frequent during the first 6 treatments: Imlygic US PI 6.1), else 1;
- ``sero_k(v)`` = seronegative_factor for an HSV-1 seronegative patient's first ``seronegative_visits``
  treatments (before seroconversion; Hu et al. 2006, Clin Cancer Res 12:6737), else 1;
- ``dose_k(v)`` = (PFU given / 4e8)^a for systemic reactions, (mL injected / 4)^a at the injection site.

A patient's probability of at least one event ``k`` is ``1 - exp(-sum_v h_kv)``. Only ``lambda_k`` is
calibrated, to the label's patient-level incidence (:mod:`._calibrate`); every other number is an assumption
documented in ``ovsim/data/adverse_events.yaml`` and docs/safety.md.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Mapping

import numpy as np
import pandas as pd
import yaml


@dataclass(frozen=True)
class EventClass:
    """How a class of events depends on the visit number, serostatus and dose."""

    early_visits: int
    early_factor: float
    seronegative_visits: int
    seronegative_factor: float
    dose: str  # "pfu" or "volume"
    dose_exponent: float


@dataclass(frozen=True)
class AdverseEvent:
    """One modelled adverse event: its class, the grade it counts and the label's incidence (T-VEC arm)."""

    name: str
    event_class: str
    grade: str
    label_incidence: float


@dataclass(frozen=True)
class SafetyModel:
    """The adverse-event model: classes, events, reference dose and the calibrated base rates (per visit)."""

    classes: Mapping[str, EventClass]
    events: Mapping[str, AdverseEvent]
    reference_dose_pfu: float
    reference_volume_ml: float
    rates: Mapping[str, float]
    calibration: Mapping[str, object]
    source: str


@functools.cache
def load_safety_model() -> SafetyModel:
    """The shipped model (``ovsim/data/adverse_events.yaml``) with its calibrated rates (``calibrated`` block)."""
    raw = yaml.safe_load(resources.files("ovsim.data").joinpath("adverse_events.yaml").read_text())
    classes = {k: EventClass(**v) for k, v in raw["classes"].items()}
    events = {k: AdverseEvent(k, v["class"], str(v["grade"]), float(v["label_incidence"]))
              for k, v in raw["events"].items()}
    cal = raw.get("calibrated") or {}
    return SafetyModel(MappingProxyType(classes), MappingProxyType(events), float(raw["reference_dose_pfu"]),
                       float(raw["reference_volume_ml"]), MappingProxyType(dict(cal.get("rates", {}))),
                       MappingProxyType({k: v for k, v in cal.items() if k != "rates"}), str(raw["source"]))


def visit_table(doses: pd.DataFrame, drug: str = "TVEC") -> pd.DataFrame:
    """One row per patient (``ID``, and ``ARM`` if present) and dosing visit: day, visit number, PFU, mL."""
    keys = [c for c in ("ARM", "ID") if c in doses.columns]
    given = doses[(doses["DRUG"] == drug) & (doses["AMT"] > 0)]
    visits = given.groupby([*keys, "TIME"], sort=True).agg(pfu=("AMT", "sum"), volume_ml=("VOL_ML", "sum"))
    visits = visits.reset_index()
    visits["visit"] = visits.groupby(keys).cumcount() + 1
    return visits


def exposures(model: SafetyModel, visits: pd.DataFrame, seronegative: Mapping[str, bool]) -> dict[str, np.ndarray]:
    """Per event, the hazard of each visit row divided by ``lambda_k`` (the part the model fixes).

    seronegative: patient ID -> HSV-1 seronegative at baseline.
    """
    sero_neg = visits["ID"].map(lambda i: bool(seronegative.get(i, False))).to_numpy(dtype=bool)
    out = {}
    for name, ev in model.events.items():
        c = model.classes[ev.event_class]
        v = visits["visit"].to_numpy()
        early = np.where(v <= c.early_visits, c.early_factor, 1.0)
        sero = np.where(sero_neg & (v <= c.seronegative_visits), c.seronegative_factor, 1.0)
        if c.dose == "pfu":
            dose = (visits["pfu"].to_numpy(float) / model.reference_dose_pfu) ** c.dose_exponent
        else:
            dose = (visits["volume_ml"].to_numpy(float) / model.reference_volume_ml) ** c.dose_exponent
        out[name] = early * sero * dose
    return out
