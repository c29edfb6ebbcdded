"""Tables of replicated trials: one row per replicate (flattened endpoints), the distribution of each endpoint
over the replicates, and the probability of success with its exact Monte Carlo interval."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ._decision import Condition, meets
from ._stats_binomial import rate

ID_COLUMNS = ("replicate", "seed", "calibration_member", "success")
"""The first columns of ``replicates.parquet``; every other column is a numeric endpoint by its dotted path."""
_NOT_ENDPOINTS = {"replicate", "seed", "calibration_member", "scenario"}

COLUMN_DOCS: dict[str, dict[str, tuple[str, str]]] = {
    "replicates.parquet": {
        "replicate": ("1", "replicate number r (0, 1, ...)"),
        "seed": ("", "the replicate's trial seed: replicate_seed(run seed, r), in [0, 2**63)"),
        "calibration_member": ("", "calibration-ensemble member used (assurance: r mod M); empty: the scenario's"),
        "success": ("1", "1 if the replicate meets the decision rule (every condition), else 0; empty without a rule"),
        "<endpoint path>": ("as in endpoints.json", "every numeric endpoint of the replicate, named by its dotted "
                            "path in endpoints.json (ci95.0 / ci95.1: lower / upper 95% limit); empty: not estimable"),
    },
    "replicates_summary.csv": {
        "path": ("", "the endpoint's dotted path in endpoints.json"),
        "section": ("", "arms, comparisons, subgroups, adverse_events, supply or failed_patients"),
        "arm": ("", "the arm (arms, subgroups, adverse events), the comparison (first vs last arm) or empty"),
        "endpoint": ("", "the endpoint within the section and arm (subgroups: family.group.endpoint)"),
        "median": ("as the endpoint", "median over the replicates where it is estimable"),
        "q05": ("as the endpoint", "5% quantile over the replicates (linear interpolation)"),
        "q95": ("as the endpoint", "95% quantile over the replicates (linear interpolation)"),
        "mean": ("as the endpoint", "mean over the replicates where it is estimable"),
        "n_replicates": ("1", "replicates where the endpoint is estimable (a number)"),
    },
}


def flat_values(doc: Any, prefix: str = "") -> dict[str, float]:
    """``{dotted path: value}`` of the numeric (or null: NaN) leaves of an endpoints document."""
    out: dict[str, float] = {}
    if isinstance(doc, Mapping):
        for k, v in doc.items():
            if not prefix and k in _NOT_ENDPOINTS:
                continue
            out.update(flat_values(v, f"{prefix}{k}."))
    elif isinstance(doc, (list, tuple)):
        for i, v in enumerate(doc):
            out.update(flat_values(v, f"{prefix}{i}."))
    elif doc is None:
        out[prefix[:-1]] = math.nan
    elif isinstance(doc, (bool, np.bool_)):
        out[prefix[:-1]] = float(doc)
    elif isinstance(doc, (int, float, np.integer, np.floating)):
        out[prefix[:-1]] = float(doc)
    return out


def replicate_table(docs: list[dict[str, Any]], rule: list[Condition] | None = None) -> pd.DataFrame:
    """``replicates.parquet``: one row per replicate (``ID_COLUMNS`` then every endpoint path)."""
    rows = []
    for doc in docs:
        ids = {"replicate": int(doc["replicate"]), "seed": int(doc["seed"]),
               "calibration_member": doc.get("calibration_member"),
               "success": None if rule is None else bool(meets(rule, doc))}
        rows.append({**ids, **flat_values(doc)})
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in ID_COLUMNS})
    table["calibration_member"] = table["calibration_member"].astype("Int64")
    table["success"] = table["success"].astype("boolean")
    return table


def _split_path(path: str, arms: set[str]) -> tuple[str, str, str]:
    parts = path.split(".")
    section = parts[0]
    if section in ("arms", "adverse_events") and len(parts) > 1:
        return section, parts[1], ".".join(parts[2:])
    if section == "comparisons" and len(parts) > 1:
        return section, parts[1], ".".join(parts[2:])
    if section == "subgroups" and len(parts) > 3:
        return section, parts[3], ".".join(parts[1:3] + parts[4:])
    if section == "supply" and len(parts) > 2 and parts[2] in arms:
        return section, parts[2], ".".join(parts[1:2] + parts[3:])
    return section, "", ".".join(parts[1:])


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """``replicates_summary.csv``: each endpoint's median, 5% and 95% quantiles and mean over the replicates."""
    cols = [c for c in table.columns if c not in ID_COLUMNS]
    arms = {c.split(".")[1] for c in cols if c.startswith("arms.") and c.count(".") > 1}
    values = table[cols].to_numpy(dtype=float) if cols else np.zeros((len(table), 0))
    rows = []
    for j, path in enumerate(cols):
        v = values[:, j][np.isfinite(values[:, j])]
        section, arm, endpoint = _split_path(path, arms)
        stats = ((float(np.median(v)), float(np.quantile(v, 0.05)), float(np.quantile(v, 0.95)), float(v.mean()))
                 if len(v) else (math.nan,) * 4)
        rows.append({"path": path, "section": section, "arm": arm, "endpoint": endpoint,
                     **dict(zip(("median", "q05", "q95", "mean"), stats)), "n_replicates": int(len(v))})
    return pd.DataFrame(rows, columns=list(COLUMN_DOCS["replicates_summary.csv"]))


def probability_of_success(success: np.ndarray) -> dict[str, Any]:
    """``{successes, n_replicates, probability, ci95}``: the share of replicates meeting the rule with its exact
    (Clopper-Pearson) 95% interval, the Monte Carlo uncertainty of the estimate."""
    s = np.asarray(success, dtype=bool)
    r = rate(int(s.sum()), int(len(s)))
    return {"successes": int(s.sum()), "n_replicates": int(len(s)), "probability": r.value,
            "ci95": [r.ci95[0], r.ci95[1]], "interval": "Clopper-Pearson exact 95% (Monte Carlo uncertainty)"}


KEY_ENDPOINTS = (
    ("comparisons.durable_response_difference.value", "durable response difference (first - last arm)", None),
    ("comparisons.hazard_ratio_os.value", "hazard ratio, overall survival", "hazard_ratio"),
    ("arms.{first}.durable_response_rate.value", "durable response rate, {first}", "durable_response_rate"),
    ("arms.{last}.durable_response_rate.value", "durable response rate, {last}", "durable_response_rate"),
    ("arms.{first}.median_overall_survival_months.value", "median OS (months), {first}", "median_months"),
    ("arms.{last}.median_overall_survival_months.value", "median OS (months), {last}", "median_months"),
)
"""Endpoints drawn in ``replicates.png``: (path template, title, published-value kind)."""
