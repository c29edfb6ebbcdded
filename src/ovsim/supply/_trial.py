"""A trial's vial use and drug costs per arm, as a JSON-able block for endpoints.json and a table for the report."""

from __future__ import annotations

import math
from typing import Any, Mapping

import pandas as pd

from ._costs import GMCSF_CYCLE, gmcsf_cycles, trial_costs
from ._vials import usage_summary, vial_usage


def supply_endpoints(patients: pd.DataFrame, doses: pd.DataFrame, prices: Mapping[str, float] | None = None,
                     seed: int = 0, *, resamples: int = 2000, cycle_days: float = 28.0) -> dict[str, Any]:
    """Per arm: vials by strength (mean per patient, total, visits, waste fraction) and GM-CSF cycles; with
    ``prices`` (``{"1e6": x, "1e8": y, "gmcsf_cycle": z}``) also the costs of :func:`trial_costs`.

    ``patients``, ``doses``: a trial's tables (``trial.patients``, ``trial.doses``, which carries ``ARM``);
    evaluable (``ok``) patients are counted, as in the endpoints. For ``endpoints.json``:
    ``doc["supply"] = supply_endpoints(trial.patients, trial.doses, prices, seed=trial.endpoints["seed"])``.
    """
    usage = vial_usage(doses)
    summary = usage_summary(usage, patients)
    cycles = gmcsf_cycles(doses, cycle_days)
    out: dict[str, Any] = {"vials": {}, "gmcsf_cycles_mean": {}}
    for arm, rows in summary.groupby("arm", sort=False):
        out["vials"][arm] = {
            r["strength"]: {"vials_mean": r["vials_mean"], "vials_total": int(r["vials_total"]),
                            "visits_mean": r["visits_mean"], "waste_fraction": r["waste_fraction"]}
            for r in rows.to_dict(orient="records")}
    ok = patients[patients["ok"].astype(bool)] if "ok" in patients.columns else patients
    for arm, p in ok.groupby("arm", sort=False):
        c = cycles[cycles["arm"] == str(arm)].set_index("patient_id")["cycles"]
        out["gmcsf_cycles_mean"][str(arm)] = float(c.reindex(p["patient_id"].astype(str)).fillna(0).mean())
    out["costs"] = None
    if prices is not None:
        costs = trial_costs(patients, usage, prices, seed, cycles=cycles, resamples=resamples)
        out["costs"] = costs.to_dict()
    out["assumptions"] = ("1 mL single-use vials; each visit thaws ceil(volume of each strength / 1 mL) vials; vials "
                          "are not shared between patients or visits; a GM-CSF cycle (%g days from day 0) in which any "
                          "dose is given is paid in full" % cycle_days)
    return _strict(out)


def _strict(x: Any) -> Any:
    """NaN and infinities -> None, numpy scalars -> Python numbers, recursively (valid JSON)."""
    if isinstance(x, dict):
        return {k: _strict(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_strict(v) for v in x]
    if hasattr(x, "item") and getattr(x, "ndim", 0) == 0:
        x = x.item()
    return None if isinstance(x, float) and not math.isfinite(x) else x


def supply_table(doc: Mapping[str, Any]) -> pd.DataFrame:
    """The block of :func:`supply_endpoints` as a readable table: one row per arm."""
    rows = []
    costs = (doc.get("costs") or {}).get("arms", {})
    for arm, by_strength in doc["vials"].items():
        row: dict[str, Any] = {"arm": arm}
        for strength, v in by_strength.items():
            name = "vials (all strengths)" if strength == "all" else f"vials {strength} PFU/mL"
            row[f"{name} per patient"] = "—" if v["vials_mean"] is None else f"{v['vials_mean']:.1f}"
        waste = by_strength.get("all", {}).get("waste_fraction")
        row["waste of thawed volume"] = "—" if waste is None else f"{waste:.0%}"
        row["GM-CSF cycles per patient"] = f"{doc['gmcsf_cycles_mean'].get(arm, 0.0):.1f}"
        if arm in costs:
            c = costs[arm]
            row["cost per patient"] = _fmt(c["cost_mean"])
            row["cost per durable responder"] = _fmt(c["cost_per_durable_responder"])
        rows.append(row)
    return pd.DataFrame(rows)


def _fmt(v: Mapping[str, Any]) -> str:
    """``12,300 (9,800 to 15,100)``; undefined or unbounded ends as such."""
    if v.get("value") is None:
        return "undefined"
    lo, hi = v["ci95"]
    def end(x: float | None) -> str:
        return "unbounded" if x is None else f"{x:,.0f}"

    return f"{v['value']:,.0f} ({end(lo)} to {end(hi)})"


__all__ = ["GMCSF_CYCLE", "supply_endpoints", "supply_table"]
