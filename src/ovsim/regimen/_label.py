"""Imlygic label facts and the per-visit volume allocation, as pure array functions.

Every function takes an array namespace ``xp`` (``numpy`` or ``jax.numpy``) so the same
rule serves ``ovsim plan``, the scipy reference engine and the batched JAX engine.
Volumes are computed in whole tenths of a millilitre, so the 4 mL cap is exact.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import yaml

DECI_ML_PER_ML = 10.0


@dataclass(frozen=True)
class LabelFacts:
    """Numbers of the Imlygic label (EU SmPC / US PI) that drive dosing."""

    first_strength_pfu_per_ml: float
    later_strength_pfu_per_ml: float
    vial_ml: float
    second_visit_day: float
    interval_days: float
    max_volume_per_visit_ml: float
    band_lower_cm: tuple[float, ...]
    """Exclusive lower bound of each diameter band, ascending (cm)."""
    band_volume_ml: tuple[float, ...]
    """Largest volume for a lesion in the matching band (mL)."""
    source: str


@functools.cache
def load_label() -> LabelFacts:
    """The label facts shipped in ``ovsim/data/imlygic_label.yaml``."""
    raw = yaml.safe_load(resources.files("ovsim.data").joinpath("imlygic_label.yaml").read_text())
    bands = sorted(raw["volume_by_longest_diameter_cm"], key=lambda b: b["above"])
    return LabelFacts(
        first_strength_pfu_per_ml=float(raw["strengths_pfu_per_ml"]["first_visit"]),
        later_strength_pfu_per_ml=float(raw["strengths_pfu_per_ml"]["later_visits"]),
        vial_ml=float(raw["vial_ml"]),
        second_visit_day=float(raw["schedule_days"]["second_visit_after_first"]),
        interval_days=float(raw["schedule_days"]["interval_after"]),
        max_volume_per_visit_ml=float(raw["max_volume_per_visit_ml"]),
        band_lower_cm=tuple(float(b["above"]) for b in bands),
        band_volume_ml=tuple(float(b["ml"]) for b in bands),
        source=str(raw["source"]),
    )


def visit_days(horizon_days: float, label: LabelFacts | None = None, *, first_interval_days: float | None = None,
               interval_days: float | None = None, late_interval_days: float | None = None,
               late_interval_from_visit: float | None = None) -> np.ndarray:
    """Scheduled visit days within ``[0, horizon_days]``: 0, 21, then every 14 days (days).

    ``first_interval_days`` (day 0 to the second visit) and ``interval_days`` (between later visits) replace the
    label's 21 and 14 days (a research regimen); ``None``: the label's. ``late_interval_days`` from the visit
    numbered ``late_interval_from_visit`` (1-based) on: after that visit, visits come every ``late_interval_days``
    (MASTERKEY-265 phase III: 0, 21, 35, 49, 63, then every 21 days)."""
    label = label or load_label()
    if horizon_days < 0:
        raise ValueError(f"horizon_days: expected >= 0 (got {horizon_days})")
    second = label.second_visit_day if first_interval_days is None else float(first_interval_days)
    every = label.interval_days if interval_days is None else float(interval_days)
    later = np.arange(second, horizon_days + 1e-9, every)
    days = np.concatenate([[0.0], later])
    if late_interval_days is not None and late_interval_from_visit is not None:
        k = int(late_interval_from_visit)
        if k < days.size:
            days = np.concatenate([days[:k], np.arange(days[k - 1] + float(late_interval_days), horizon_days + 1e-9,
                                                       float(late_interval_days))])
    return days


def strength_pfu_per_ml(visit_index: Any, xp: Any = np, label: LabelFacts | None = None) -> Any:
    """Concentration for the 0-based visit index: 1e6 PFU/mL at the first visit, 1e8 later."""
    label = label or load_label()
    return xp.where(
        xp.asarray(visit_index) == 0, label.first_strength_pfu_per_ml, label.later_strength_pfu_per_ml
    )


def label_volume_ml(diameter_cm: Any, xp: Any = np, label: LabelFacts | None = None) -> Any:
    """Largest label volume (mL) for lesions of the given longest diameter (cm); 0 where <= 0."""
    label = label or load_label()
    d = xp.asarray(diameter_cm)
    vol = xp.zeros_like(d, dtype=float) if hasattr(xp, "zeros_like") else 0.0 * d
    for lower, ml in zip(label.band_lower_cm, label.band_volume_ml):
        vol = xp.where(d > lower, ml, vol)
    return vol


def _stable_argsort(values: Any, xp: Any) -> Any:
    """Indices that sort ``values`` ascending, equal values kept in position order."""
    if xp is np:
        return np.argsort(values, kind="stable")
    return xp.argsort(values, stable=True)


def injection_order(diameter_cm: Any, eligible: Any, new: Any, first_visit: Any, xp: Any = np) -> Any:
    """Lesion indices in the label's priority order for one visit (highest priority first).

    First visit: eligible lesions by decreasing diameter (cm). Later visits: eligible new
    lesions first, each group by decreasing diameter. Ineligible lesions come last; ties keep
    list order. Two stable sorts (size, then group) keep the order exact in float32 as well.
    """
    d = xp.asarray(diameter_cm, dtype=float)
    eligible = xp.asarray(eligible, dtype=bool)
    new_first = xp.logical_and(xp.asarray(new, dtype=bool), xp.logical_not(xp.asarray(first_visit)))
    by_size = _stable_argsort(-xp.where(eligible, d, -1.0), xp)
    group = xp.where(eligible, xp.where(new_first, 2, 1), 0)  # 2: new, 1: other eligible, 0: not
    return by_size[_stable_argsort(-group[by_size], xp)]


def allocate_volumes_ml(
    diameter_cm: Any,
    eligible: Any,
    new: Any,
    first_visit: Any,
    xp: Any = np,
    label: LabelFacts | None = None,
    cap_ml: Any = None,
    volume_scale: Any = 1.0,
) -> Any:
    """Volumes (mL) to inject into each lesion at one visit, following the label's priority.

    diameter_cm: (L,) longest diameters (cm); eligible: (L,) bool, injectable and present;
    new: (L,) bool, present now but not at the previous visit; first_visit: scalar bool.
    Order: first visit, largest first; later visits, new lesions first, then by size;
    ties by position. Each lesion gets its band volume until the visit's 4 mL are used;
    the lesion where the cap falls gets what remains (the label gives volumes "up to").
    A research regimen may replace the cap (``cap_ml``, mL per visit; ``None``: the label's 4 mL) and scale
    each band volume (``volume_scale``, dimensionless; 1 = the label), still in whole tenths of a mL.
    """
    label = label or load_label()
    d = xp.asarray(diameter_cm, dtype=float)
    eligible = xp.asarray(eligible, dtype=bool)
    want = xp.round(label_volume_ml(d, xp, label) * volume_scale * DECI_ML_PER_ML) * eligible
    order = injection_order(d, eligible, new, first_visit, xp)
    want_sorted = want[order]
    used_before = xp.cumsum(want_sorted) - want_sorted
    cap = xp.round((label.max_volume_per_visit_ml if cap_ml is None else cap_ml) * DECI_ML_PER_ML)
    give_sorted = xp.clip(cap - used_before, 0.0, want_sorted)
    inverse = xp.argsort(order)
    return give_sorted[inverse] / DECI_ML_PER_ML


def vials_to_thaw(total_volume_ml: float, label: LabelFacts | None = None) -> int:
    """Number of 1 mL vials needed for a visit's total volume (mL)."""
    label = label or load_label()
    tenths = round(total_volume_ml * DECI_ML_PER_ML)
    per_vial = round(label.vial_ml * DECI_ML_PER_ML)
    return -(-tenths // per_vial)
