"""Predictions with their uncertainty: each predicted quantity's spread over trial runs.

``prediction_table(endpoint_docs, targets)`` takes the ``endpoints.json`` documents of several trial runs
(each at OPTiM's size, each with its own seed and, where the shipped calibration has an ensemble, its own
calibration-ensemble member: ``ovsim.trial._prediction_runs``) and gives one row per quantity: the mean
over runs and the 2.5 and 97.5 percentiles (linear interpolation, ``numpy.percentile``). The interval
therefore holds both calibration uncertainty (the members) and trial sampling (the seeds). With 20 runs
the 2.5-97.5 percentiles lie close to the smallest and largest run.

The quantities are the predictions of ``FAMILIES`` (roles from each document's ``roles`` block, else from
``targets``) and, for reference, every calibration target with its published value. Nothing here feeds
back into calibration: the table is computed after the fact and never tuned to.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._roles import PREDICTION, TARGET, endpoint_paths, endpoint_roles, target_paths

_ARM = r"(?P<arm>[A-Za-z0-9_]+)"
_GROUP = r"(?P<group>[^.]+)"
_SUB_ENDPOINTS = r"(?:durable_response_rate|objective_response_rate|complete_response_rate|median_overall_survival_months)"
#: (key, title, path pattern) of the predicted quantities, in document order; a path goes to the first match.
FAMILIES: tuple[tuple[str, str, str], ...] = (
    ("stage", "Stage subgroups", rf"subgroups\.stage\.{_GROUP}\.{_ARM}\.{_SUB_ENDPOINTS}"),
    ("eu_indication", "EU-indication subgroup (stage IIIB/IIIC/IVM1a) and the rest",
     rf"subgroups\.eu_indication\.{_GROUP}\.{_ARM}\.{_SUB_ENDPOINTS}"),
    ("serostatus", "HSV-1 serostatus subgroups", rf"subgroups\.serostatus\.{_GROUP}\.{_ARM}\.{_SUB_ENDPOINTS}"),
    ("survival", "Overall survival at 12, 24, 36 and 48 months (Kaplan-Meier)",
     rf"arms\.{_ARM}\.overall_survival_at_months\.\d+"),
    ("progression_before_response", "Progression before response", rf"arms\.{_ARM}\.progression_before_response_\w+"),
    ("time_to_complete_response", "Time to complete response", rf"arms\.{_ARM}\.median_time_to_complete_response_months"),
    ("best_overall_response", "Best overall response (primary criterion)", rf"arms\.{_ARM}\.best_overall_response\.\w+"),
    ("lesion_time_to_response", "Lesion-level time to response",
     rf"arms\.{_ARM}\.lesion_level\.\w+\.median_time_to_decrease_50pct_months"),
    ("other", "Other per-arm predictions and comparisons",
     rf"arms\.{_ARM}\.(?:\w+_rate|median_\w+_months|lesion_level\.\w+\.\w+)|comparisons\.\w+"),
)
TARGETS_FAMILY = ("targets", "Calibration targets (for reference: fitted, not predicted)")
COLUMNS = ("family", "quantity", "group", "arm", "path", "role", "kind", "published", "mean", "p2_5", "p97_5",
           "n_runs")
_NAMES = {
    "durable_response_rate": "durable response rate", "objective_response_rate": "objective response rate",
    "complete_response_rate": "complete response rate", "median_time_to_response_months": "median time to response",
    "median_time_to_complete_response_months": "median time to complete response (complete responders)",
    "median_overall_survival_months": "median overall survival",
    "progression_before_response_among_durable_responders": "progression before response, among durable responders",
    "progression_before_response_among_objective_responders":
        "progression before response, among objective responders",
    "decrease_ge_50pct": "\u2265 50% decrease", "complete_resolution": "complete resolution",
    "median_time_to_decrease_50pct_months": "median time to \u2265 50% decrease (lesions reaching it)",
    "hazard_ratio_os": "hazard ratio, overall survival", "durable_response_difference": "durable response difference",
    "durable_response_odds_ratio": "durable response odds ratio",
    "objective_response_relative_risk": "objective response relative risk",
}
_BOR = {"CR": "complete response", "PR": "partial response", "SD": "stable disease", "PD": "progressive disease",
        "NE": "not evaluable"}


def _value(node: Any) -> float:
    """An endpoint's point value as a float (NaN when not estimable)."""
    v = node.get("value") if isinstance(node, Mapping) else node
    if v is None or isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        return math.nan
    return float(v)


def _get(doc: Mapping[str, Any], path: str) -> Any:
    """The node at a dotted endpoint path (keys may contain '/', never '.'); None if absent."""
    node: Any = doc
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _kind(path: str) -> str:
    """share, months, count, ratio or difference: how the quantity is shown."""
    last = path.rsplit(".", 1)[-1]
    if last.endswith("_months"):
        return "months"
    if last.startswith("n_"):
        return "count"
    if path.startswith("comparisons."):
        return "difference" if "difference" in last else "ratio"
    return "share"


def quantity_label(path: str) -> tuple[str, str, str]:
    """(quantity, group, arm) of an endpoint path, in words."""
    parts = path.split(".")
    group, arm = "", ""
    if parts[0] == "arms":
        arm, rest = parts[1], parts[2:]
    elif parts[0] == "subgroups":
        group, arm, rest = f"{parts[1].replace('_', ' ')}: {parts[2]}", parts[3], parts[4:]
    elif parts[0] == "adverse_events":
        arm, rest = parts[1], ["adverse event", *parts[2:]]
    else:
        rest = parts[1:]
    if rest[:1] == ["overall_survival_at_months"]:
        words = [f"overall survival at {rest[1]} months"]
    elif rest[:1] == ["best_overall_response"]:
        words = [f"best overall response {rest[1]} ({_BOR.get(rest[1], rest[1])})"]
    elif rest[:1] == ["lesion_level"]:
        words = [f"{rest[1].replace('_', ' ')} lesions", *(_NAMES.get(r, r.replace("_", " ")) for r in rest[2:])]
    else:
        words = [_NAMES.get(r, r.replace("_", " ")) for r in rest]
    return ": ".join(words), group, arm


def endpoint_value(doc: Mapping[str, Any], path: str) -> float:
    """The point value of the endpoint at ``path`` in an endpoints document (NaN if absent or not estimable)."""
    return _value(_get(doc, path))


def _published(targets: Mapping[str, Any] | None, name: str | None) -> float:
    """The published value of a target (dotted name in the targets file), NaN if unknown."""
    if not name or not isinstance(targets, Mapping):
        return math.nan
    root = targets if "targets" in targets else {"targets": targets}
    return _value(_get(root, name))


def _family(path: str, role: str) -> tuple[str, str] | None:
    if role == TARGET:
        return TARGETS_FAMILY
    for key, title, pattern in FAMILIES:
        if re.fullmatch(pattern, path):
            return key, title
    return None


def prediction_table(endpoint_docs: Sequence[Mapping[str, Any] | Any], targets: Mapping[str, Any] | None = None
                     ) -> pd.DataFrame:
    """One row per quantity (``COLUMNS``) over the runs' ``endpoints.json`` documents (or ``TrialResult``s).

    ``targets``: the targets file (or its ``targets:`` block) for roles of documents without a ``roles`` block
    and for the published values of the targets. Predictions come first (``FAMILIES`` order), then the
    targets. ``ValueError`` if ``endpoint_docs`` is empty."""
    docs = [getattr(d, "endpoints", d) for d in endpoint_docs]
    if not docs or not all(isinstance(d, Mapping) for d in docs):
        raise ValueError("endpoint_docs: expected at least one endpoints.json document (a mapping)")
    roles: dict[str, str] = {}
    for doc in docs:
        own = doc.get("roles") if isinstance(doc.get("roles"), Mapping) else endpoint_roles(doc, targets)
        for path in endpoint_paths(doc):
            roles.setdefault(path, own.get(path, PREDICTION))
    arms = list((docs[0].get("arms") or {}).keys())
    names = target_paths(targets, arms)
    order = {key: i for i, (key, _, _) in enumerate((*FAMILIES, (*TARGETS_FAMILY, "")))}
    rows = []
    for path, role in roles.items():
        family = _family(path, role)
        if family is None:
            continue
        values = np.array([endpoint_value(doc, path) for doc in docs], dtype=float)
        finite = values[np.isfinite(values)]
        quantity, group, arm = quantity_label(path)
        if path.startswith("comparisons.") and len(arms) > 1:
            arm = f"{arms[0]} vs {arms[-1]}"
        lo, hi = (np.percentile(finite, [2.5, 97.5]) if finite.size else (math.nan, math.nan))
        rows.append({"family": family[1], "quantity": quantity, "group": group, "arm": arm, "path": path,
                     "role": role, "kind": _kind(path), "published": _published(targets, names.get(path)),
                     "mean": float(finite.mean()) if finite.size else math.nan, "p2_5": float(lo), "p97_5": float(hi),
                     "n_runs": int(finite.size), "_order": order[family[0]]})
    table = pd.DataFrame(rows, columns=[*COLUMNS, "_order"])
    return table.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


def format_value(value: Any, kind: str) -> str:
    """A number as shown: shares in percent, counts whole, months and ratios with 1 and 2 decimals, differences
    in points."""
    if value is None or not isinstance(value, (int, float, np.integer, np.floating)) or not math.isfinite(value):
        return "\u2014"
    if kind == "share":
        return f"{100.0 * value:.1f}%"
    if kind == "difference":
        return f"{100.0 * value:+.1f} pp"
    if kind == "count":
        return f"{value:,.0f}"
    return f"{value:.2f}" if kind == "ratio" else f"{value:.1f}"


def prediction_sections(table: pd.DataFrame) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows of plain text) of each family of a prediction table, for Markdown and HTML alike.

    With more than one run a row gives the mean and the 2.5-97.5 percentile interval; with one run, its
    value. Target rows also give the published value."""
    many = bool(len(table)) and int(table["n_runs"].max()) > 1
    out = []
    for title, rows in table.groupby("family", sort=False):
        grouped = bool((rows["group"] != "").any())
        target = bool((rows["role"] == TARGET).any())
        header = ["quantity", *(["subgroup"] if grouped else []), "arm",
                  *(["mean", "95% interval", "runs"] if many else ["value"]), *(["published"] if target else [])]
        body = []
        for r in rows.itertuples(index=False):
            cells = [r.quantity, *([r.group] if grouped else []), r.arm]
            if many:
                cells += [format_value(r.mean, r.kind),
                          f"{format_value(r.p2_5, r.kind)} to {format_value(r.p97_5, r.kind)}", str(r.n_runs)]
            else:
                cells.append(format_value(r.mean, r.kind))
            if target:
                cells.append(format_value(r.published, r.kind))
            body.append(cells)
        out.append((str(title), header, body))
    return out


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def predictions_markdown(table: pd.DataFrame) -> str:
    """The prediction table as Markdown: one section (``###``) and table per family."""
    parts = []
    for title, header, rows in prediction_sections(table):
        lines = [f"### {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"
