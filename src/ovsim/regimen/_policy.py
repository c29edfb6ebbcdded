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
from ._label import LabelFacts, allocate_volumes_ml, load_label, strength_pfu_per_ml


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
    """

    min_months: float = 6.0
    max_months: float | None = None
    extend_months_if_responding: float = 0.0
    stop_on_progression: bool = False
    detection_limit_cm: float = 0.2

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
    volumes = allocate_volumes_ml(d, eligible, new, first, xp, label) * give
    concentration = strength_pfu_per_ml(visit_index, xp, label) * give

    new_state = PolicyState(
        prev_present=present,
        visits_given=state.visits_given + give,
        baseline_spd_cm2=baseline,
        nadir_spd_cm2=xp.minimum(nadir, spd),
        stopped=stopped,
    )
    return new_state, volumes, concentration
