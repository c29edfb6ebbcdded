"""A trial's decision rule ("success"), its parser and its evaluation on an endpoints document.

A rule is a list of conditions that must all hold, each on one numeric endpoint of ``endpoints.json``
named by its dotted path (list items by their position: ``ci95.0`` is the lower bound, ``ci95.1`` the upper)::

    success:
      - {endpoint: comparisons.durable_response_difference.p_value, below: 0.05}
      - {endpoint: comparisons.durable_response_difference.value, above: 0}

``below: x`` holds when the value is < x, ``above: x`` when it is > x. An endpoint that is not estimable in a
trial (``null``: e.g. no death, so no hazard ratio) fails its condition. On the command line the same rule is
``--success "comparisons.durable_response_difference.p_value<0.05"`` (repeat the option, or join conditions with
``and``). Paths are checked when the scenario is loaded against the endpoints a trial of that scenario
reports (:func:`endpoint_skeleton`): ``arms``, ``comparisons``, ``subgroups``, ``adverse_events`` and
``failed_patients`` (the supply figures cannot be used in a rule).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .._read import Number, Text
from ._endpoints import arm_endpoints, comparisons
from ._subgroups import SEROSTATUS_GROUPS, subgroup_labels

MAX_CONDITIONS = 20
"""Most conditions in one decision rule."""
RULE_SECTIONS = ("arms", "comparisons", "subgroups", "adverse_events", "failed_patients")
"""Top-level sections of endpoints.json a rule may name."""


class Condition(BaseModel):
    """One condition of a decision rule: the endpoint at ``endpoint`` is < ``below`` or > ``above``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoint: Text = Field(min_length=1, max_length=300)
    below: Number | None = None
    above: Number | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> "Condition":
        if (self.below is None) == (self.above is None):
            raise ValueError("expected exactly one of below or above")
        bound = self.below if self.below is not None else self.above
        if not math.isfinite(bound):
            raise ValueError(f"expected a finite bound (got {bound!r})")
        return self

    def text(self) -> str:
        """``path<x`` or ``path>x`` (the command-line form)."""
        return f"{self.endpoint}<{self.below:g}" if self.below is not None else f"{self.endpoint}>{self.above:g}"

    def holds(self, doc: Mapping[str, Any]) -> bool:
        """Whether the condition holds in an endpoints document (False when the value is absent or null)."""
        v = lookup(doc, self.endpoint)
        if v is None or isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)):
            return False
        return float(v) < self.below if self.below is not None else float(v) > self.above


def rule_text(rule: list[Condition]) -> str:
    """The rule in its command-line form (conditions joined by `` and ``)."""
    return " and ".join(c.text() for c in rule)


def meets(rule: list[Condition], doc: Mapping[str, Any]) -> bool:
    """Whether every condition of ``rule`` holds in the endpoints document ``doc``."""
    return all(c.holds(doc) for c in rule)


def lookup(doc: Any, path: str) -> Any:
    """The value at a dotted path (list items by position), or None when absent."""
    node = doc
    for key in path.split("."):
        if isinstance(node, Mapping) and key in node:
            node = node[key]
        elif isinstance(node, (list, tuple)) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None
    return node


_CONDITION = re.compile(r"^\s*([A-Za-z0-9_./\-]+)\s*([<>])\s*(\S+)\s*$")


def parse_rule(texts: str | list[str], flag: str = "--success") -> list[Condition]:
    """Conditions from ``path<number`` / ``path>number`` texts (each may join several with `` and ``).

    ``ValueError`` in one line naming ``flag`` and what was expected."""
    texts = [texts] if isinstance(texts, str) else list(texts)
    parts = [p for t in texts for p in re.split(r"\s+and\s+|\s*&\s*", t.strip()) if p.strip()]
    if not parts:
        raise ValueError(f"{flag}: expected ENDPOINT<NUMBER or ENDPOINT>NUMBER (got an empty rule)")
    if len(parts) > MAX_CONDITIONS:
        raise ValueError(f"{flag}: expected at most {MAX_CONDITIONS} conditions (got {len(parts)})")
    out = []
    for part in parts:
        m = _CONDITION.match(part)
        if m is None:
            raise ValueError(f"{flag}: expected ENDPOINT<NUMBER or ENDPOINT>NUMBER, e.g. "
                             f"'comparisons.hazard_ratio_os.ci95.1<1' (got {part.strip()[:80]!r})")
        path, op, number = m.groups()
        if number[:1] in "=<>":
            raise ValueError(f"{flag}: {path}: expected the operator < or > (got {(op + number[:1])!r})")
        try:
            value = float(number)
        except ValueError:
            raise ValueError(f"{flag}: {path}: expected a number after {op} (got {number[:40]!r})") from None
        if not math.isfinite(value):
            raise ValueError(f"{flag}: {path}: expected a finite number after {op} (got {number[:40]!r})")
        out.append(Condition(endpoint=path, **{"below" if op == "<" else "above": value}))
    return out


def check_rule(rule: list[Condition], arms: Mapping[str, Any], adverse_events: bool, field: str = "success") -> None:
    """``ValueError`` (``success[k].endpoint: ...``, one line) if a condition names no endpoint of a trial with
    these arms (a scenario's ``{arm: ArmSpec}``; with ``adverse_events``, tabulated on the arms given T-VEC),
    listing the closest valid paths."""
    ae_arms = [a for a, spec in arms.items() if "tvec" in spec.regimen] if adverse_events else []
    valid = endpoint_skeleton(tuple(arms), tuple(ae_arms))
    for k, cond in enumerate(rule):
        if cond.endpoint not in valid:
            close = difflib.get_close_matches(cond.endpoint, sorted(valid), n=3, cutoff=0.6)
            hint = f"; closest: {', '.join(close)}" if close else \
                f"; expected a path under {', '.join(RULE_SECTIONS)} with the arms' names"
            raise ValueError(f"{field}[{k}].endpoint: {cond.endpoint[:120]!r} is not a numeric endpoint of "
                             f"endpoints.json{hint}")


def leaf_paths(node: Any, prefix: str = "") -> list[str]:
    """Dotted paths of the numeric (or null) leaves of a document; text leaves left out."""
    if isinstance(node, Mapping):
        return [p for k, v in node.items() for p in leaf_paths(v, f"{prefix}{k}.")]
    if isinstance(node, (list, tuple)):
        return [p for i, v in enumerate(node) for p in leaf_paths(v, f"{prefix}{i}.")]
    if isinstance(node, str) or isinstance(node, (bool, np.bool_)):
        return []
    return [prefix[:-1]]


def endpoint_skeleton(arms: tuple[str, ...], adverse_event_arms: tuple[str, ...] = ()) -> frozenset[str]:
    """Every path a rule may name in the endpoints of a trial with ``arms`` (first vs last compared) whose
    ``adverse_event_arms`` have adverse events tabulated."""
    return _skeleton(tuple(arms), tuple(adverse_event_arms))


_SKELETONS: dict[tuple, frozenset[str]] = {}


def _skeleton(arms: tuple[str, ...], ae_arms: tuple[str, ...]) -> frozenset[str]:
    if (arms, ae_arms) in _SKELETONS:
        return _SKELETONS[(arms, ae_arms)]
    patients, lesions = _synthetic()
    arm = leaf_paths(arm_endpoints(patients.iloc[:0], lesions.iloc[:0]))
    paths = [f"arms.{a}.{p}" for a in arms for p in arm]
    if len(arms) > 1:
        paths += [f"comparisons.{p}" for p in leaf_paths(comparisons(patients, patients))]
    families = subgroup_labels(patients)
    for family, (_, groups) in families.items():
        paths += [f"subgroups.{family}.{g}.{a}.{p}" for g in groups for a in arms for p in arm]
    if ae_arms:
        from ..safety import load_safety_model

        events = _event_names(load_safety_model())
        paths += [f"adverse_events.{a}.{e}.{k}" for a in ae_arms for e in events
                  for k in ("value", "ci95.0", "ci95.1", "events", "n", "label_incidence")]
    paths.append("failed_patients")
    out = frozenset(paths)
    _SKELETONS[(arms, ae_arms)] = out
    return out


def _event_names(model: Any) -> list[str]:
    events = getattr(model, "events", None)
    if isinstance(events, Mapping):
        return [str(k) for k in events]
    return [str(getattr(e, "name", e)) for e in (events or [])]


def _synthetic() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two patients with every outcome (for the shape of the endpoints only; no number of them is used)."""
    patients = pd.DataFrame({
        "patient_key": ["a:1", "a:2"], "stage": ["IIIB", "IVM1c"], "hsv1_seropositive": list(SEROSTATUS_GROUPS),
        "durable_response": [True, False], "objective_response": [True, False], "complete_response": [True, False],
        "progression_before_response": [False, False], "os_event": [True, True], "os_months": [10.0, 20.0],
        "time_to_response_days": [50.0, np.nan], "time_to_complete_response_days": [80.0, np.nan],
        "best_overall_response": ["CR", "PD"], "pfs_months": [12.0, 2.0], "pfs_event": [True, True],
    })
    lesions = pd.DataFrame({"patient_key": ["a:1"], "category": ["injected"], "decrease_ge_50pct": [True],
                            "complete_resolution": [True], "time_to_decrease_50pct_day": [30.0], "new_lesion": [False]})
    return patients, lesions
