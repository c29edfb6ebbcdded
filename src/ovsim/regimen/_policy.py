"""The Imlygic dosing policy applied at a visit to the current lesion sizes.

The decision at each visit is a pure function of the policy's options, its carried state and
the lesion diameters then, over arrays (``xp`` = numpy or jax.numpy), so it runs inside the
batched JAX engine and in the scipy reference engine alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ..model import DAYS_PER_MONTH
from ._label import LabelFacts, allocate_volumes_ml, load_label

RESEARCH_FIELDS: dict[str, tuple[float, float, str]] = {
    "first_concentration_pfu_per_ml": (1e3, 1e10, "PFU/mL"),
    "concentration_pfu_per_ml": (1e3, 1e10, "PFU/mL"),
    "max_volume_ml_per_visit": (0.1, 20.0, "mL"),
    "first_interval_days": (1.0, 365.0, "days"),
    "interval_days": (1.0, 365.0, "days"),
    "volume_scale": (0.1, 10.0, ""),
    "late_interval_days": (1.0, 365.0, "days"),
    "late_interval_from_visit": (2.0, 1000.0, ""),
}
"""Research (non-label) settings of the T-VEC policy: {name: (lowest, highest, units)} accepted."""


@dataclass(frozen=True)
class LabelPolicy:
    """Imlygic label dosing: which lesions get how much, and when treatment stops.

    min_months: treat at least this long (months); before it, progression does not stop treatment.
    max_months: stop after this long (months); ``None`` = no limit (the label's own rule).
    extend_months_if_responding: extra months allowed past ``max_months`` while responding.
    stop_on_progression: after ``min_months``, stop when the sum of products of diameters has
        grown >= 25% over its nadir (OPTiM: "until clinically relevant progression").
    detection_limit_cm: lesions smaller than this (longest diameter, cm) are not seen and not injected.
    Without any injectable lesion a visit gives nothing; treatment re-initiates at the next visit
    when an injectable lesion is seen again (label: re-initiate on new lesions after a CR).

    Research settings (outside the label; ``None`` = the label's value, see :data:`RESEARCH_FIELDS`):
    first_concentration_pfu_per_ml (label 1e6 PFU/mL at the first visit), concentration_pfu_per_ml (label 1e8
    PFU/mL later), max_volume_ml_per_visit (label 4 mL), first_interval_days (label 21: day 0 to the second
    visit), interval_days (label 14: between later visits), volume_scale (dimensionless factor on each lesion's
    band volume; label 1), late_interval_days and late_interval_from_visit (from the visit numbered
    late_interval_from_visit, 1-based, the next visit comes late_interval_days later: MASTERKEY-265 phase III gives
    visits 1-5 every 14 days after day 21, then every 21 days, late_interval_days 21 from visit 5; label: the
    interval_days from visit 2 on). A policy with any of them different from the label is not the label
    (:attr:`label_conformant`).
    """

    min_months: float = 6.0
    max_months: float | None = None
    extend_months_if_responding: float = 0.0
    stop_on_progression: bool = False
    detection_limit_cm: float = 0.2
    first_concentration_pfu_per_ml: float | None = None
    concentration_pfu_per_ml: float | None = None
    max_volume_ml_per_visit: float | None = None
    first_interval_days: float | None = None
    interval_days: float | None = None
    volume_scale: float | None = None
    late_interval_days: float | None = None
    late_interval_from_visit: float | None = None

    def __post_init__(self) -> None:
        for name in ("min_months", "extend_months_if_responding", "detection_limit_cm"):
            value = getattr(self, name)
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
                    or not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name}: expected a finite number >= 0 (got {value!r})")
        if self.max_months is not None and (isinstance(self.max_months, (bool, np.bool_))
                                            or not math.isfinite(self.max_months)):
            raise ValueError(f"max_months: expected None or a finite number (got {self.max_months!r})")
        if self.max_months is not None and not (self.max_months >= self.min_months):
            raise ValueError(f"max_months: expected None or >= min_months (got {self.max_months!r})")
        if not isinstance(self.stop_on_progression, (bool, np.bool_)):
            raise ValueError(f"stop_on_progression: expected true or false (got {self.stop_on_progression!r})")
        for name, (low, high, units) in RESEARCH_FIELDS.items():
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
                    or not (math.isfinite(value) and low <= value <= high):
                raise ValueError(f"{name}: expected a number from {low:g} to {high:g} {units} (got {value!r})".rstrip())

    def label_values(self) -> dict[str, float]:
        """Each research setting's value in effect (the label's where not set): PFU/mL, mL, days, factor."""
        label = load_label()
        defaults = {"first_concentration_pfu_per_ml": label.first_strength_pfu_per_ml,
                    "concentration_pfu_per_ml": label.later_strength_pfu_per_ml,
                    "max_volume_ml_per_visit": label.max_volume_per_visit_ml,
                    "first_interval_days": label.second_visit_day, "interval_days": label.interval_days,
                    "volume_scale": 1.0}
        out = {k: float(v if getattr(self, k) is None else getattr(self, k)) for k, v in defaults.items()}
        out["late_interval_days"] = float(out["interval_days"] if self.late_interval_days is None
                                          else self.late_interval_days)
        out["late_interval_from_visit"] = float(2 if self.late_interval_from_visit is None
                                                else self.late_interval_from_visit)
        return out

    def not_label(self) -> list[str]:
        """What differs from the Imlygic label, one short line each (``[]``: the label's dosing)."""
        out = []
        label = LabelPolicy().label_values()
        mine = self.label_values()
        for name, value in mine.items():
            if name == "late_interval_days" and value == mine["interval_days"]:
                continue  # no change of interval: the same schedule, whatever visit it is said to start at
            if name == "late_interval_from_visit" and mine["late_interval_days"] == mine["interval_days"]:
                continue
            if name == "late_interval_days" and self.late_interval_from_visit is not None:
                out.append(f"interval {value:g} days from visit {mine['late_interval_from_visit']:g} "
                           f"(label {label['interval_days']:g})")
                continue
            if name == "late_interval_from_visit":
                continue
            if value != label[name]:
                units = RESEARCH_FIELDS[name][2]
                out.append(f"{name} {value:g}{' ' + units if units else ''} (label {label[name]:g})")
        return out

    @property
    def label_conformant(self) -> bool:
        """True when the dose, volume cap and schedule are the label's (duration rules do not count)."""
        return not self.not_label()

    @classmethod
    def optim(cls) -> "LabelPolicy":
        """OPTiM's duration rules: >= 6 months through early progression, then until progression,
        up to 12 months, 6 more while responding (Andtbacka et al. 2015)."""
        return cls(min_months=6.0, max_months=12.0, extend_months_if_responding=6.0, stop_on_progression=True)

    def as_arrays(self) -> dict[str, float]:
        """Options as numbers (``max_months`` None -> inf), to pass into compiled code."""
        return {
            "min_months": float(self.min_months),
            "max_months": math.inf if self.max_months is None else float(self.max_months),
            "extend_months": float(self.extend_months_if_responding),
            "stop_on_progression": float(self.stop_on_progression),
            "detection_limit_cm": float(self.detection_limit_cm),
            **{k: v for k, v in self.label_values().items() if k not in ("first_interval_days", "interval_days", "late_interval_days", "late_interval_from_visit")},
        }


class PolicyState(NamedTuple):
    """What the policy remembers between visits (arrays)."""

    prev_present: Any  # (L,) bool: lesions seen at the previous visit
    visits_given: Any  # () number of visits at which virus was given
    baseline_spd_cm2: Any  # () sum of products of diameters at the first visit
    nadir_spd_cm2: Any  # () smallest sum of products of diameters so far
    stopped: Any  # () bool: treatment ended for good


def policy_init(n_lesions: int, xp: Any = np) -> PolicyState:
    """The policy state before the first visit."""
    return PolicyState(
        prev_present=xp.zeros((n_lesions,), dtype=bool),
        visits_given=xp.asarray(0.0),
        baseline_spd_cm2=xp.asarray(0.0),
        nadir_spd_cm2=xp.asarray(0.0),
        stopped=xp.asarray(False),
    )


def policy_step(
    options: dict[str, Any],
    state: PolicyState,
    t_day: Any,
    visit_index: Any,
    diameter_cm: Any,
    injectable: Any,
    xp: Any = np,
    label: LabelFacts | None = None,
) -> tuple[PolicyState, Any, Any]:
    """Decide one scheduled visit.

    options: :meth:`LabelPolicy.as_arrays`; t_day: visit time (days); visit_index: 0-based index
    of the scheduled visit (0 = day 0); diameter_cm: (L,) longest diameters now (cm);
    injectable: (L,) bool. Returns (new state, volumes (L,) mL, concentration PFU/mL).
    """
    label = label or load_label()
    d = xp.asarray(diameter_cm)
    present = d >= options["detection_limit_cm"]
    eligible = xp.logical_and(present, xp.asarray(injectable, dtype=bool))
    first = xp.asarray(visit_index) == 0
    months = xp.asarray(t_day) / DAYS_PER_MONTH

    spd = xp.sum(xp.where(present, d * d, 0.0))
    baseline = xp.where(first, spd, state.baseline_spd_cm2)
    nadir = xp.where(first, spd, state.nadir_spd_cm2)
    responding = spd <= 0.5 * baseline
    progressed = xp.logical_and(spd >= 1.25 * nadir, spd > 0.0)

    past_max = xp.logical_and(
        months >= options["max_months"],
        xp.logical_not(
            xp.logical_and(responding, months < options["max_months"] + options["extend_months"])
        ),
    )
    stop_progression = xp.logical_and(
        options["stop_on_progression"] > 0.5,
        xp.logical_and(months >= options["min_months"], progressed),
    )
    stopped = xp.logical_or(state.stopped, xp.logical_or(past_max, stop_progression))
    give = xp.logical_and(xp.logical_not(stopped), xp.any(eligible))

    new = xp.logical_and(present, xp.logical_not(state.prev_present))
    volumes = allocate_volumes_ml(d, eligible, new, first, xp, label, cap_ml=options["max_volume_ml_per_visit"],
                                  volume_scale=options["volume_scale"]) * give
    concentration = xp.where(first, options["first_concentration_pfu_per_ml"],
                             options["concentration_pfu_per_ml"]) * give

    new_state = PolicyState(
        prev_present=present,
        visits_given=state.visits_given + give,
        baseline_spd_cm2=baseline,
        nadir_spd_cm2=xp.minimum(nadir, spd),
        stopped=stopped,
    )
    return new_state, volumes, concentration
