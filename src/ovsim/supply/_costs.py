"""Trial costs: drug cost per patient, per durable responder, and incremental cost per additional
durable responder (first arm vs last), with percentile bootstrap intervals.

Drug costs only: T-VEC vials thawed (a price per vial of each strength) and comparator courses (a
price per GM-CSF cycle started: a patient who receives any GM-CSF dose in a 28-day cycle counted
from day 0 pays the whole cycle). Resample ``b`` draws from ``SeedSequence(seed, spawn_key=(b, 9))``
(stream key 9 is reserved for costs). Arms are resampled independently, or, in a paired design
(every arm counts the same patients), the patients are resampled once for all arms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ._vials import NO_ARM, label_strengths, patient_keys

COST_STREAM = 9
GMCSF_CYCLE = "gmcsf_cycle"


def gmcsf_cycles(doses: pd.DataFrame, cycle_days: float = 28.0) -> pd.DataFrame:
    """GM-CSF cycles started per arm and patient: distinct ``floor(TIME / cycle_days)`` among GM-CSF doses
    (``arm``, ``patient_id``, ``cycles``; only patients with GM-CSF doses)."""
    arm_col = next((c for c in ("ARM", "arm") if c in doses.columns), None)
    given = doses[(doses["DRUG"].astype(str) == "GMCSF") & (doses["AMT"].astype(float) > 0)]
    frame = pd.DataFrame({
        "arm": given[arm_col].astype(str).to_numpy() if arm_col else NO_ARM,
        "patient_id": given["ID"].astype(str).to_numpy(),
        "cycle": np.floor(given["TIME"].astype(float).to_numpy() / float(cycle_days)).astype(np.int64),
    })
    out = frame.groupby(["arm", "patient_id"])["cycle"].nunique().rename("cycles").reset_index()
    out["cycles"] = out["cycles"].astype(int)
    return out


def check_prices(prices: Mapping[str, float]) -> dict[str, float]:
    """Prices as floats; keys are strengths (``1e6``, ``1e8``) and ``gmcsf_cycle``; each finite and >= 0."""
    known = set(label_strengths()) | {GMCSF_CYCLE}
    out = {}
    for key, value in prices.items():
        if key not in known:
            raise ValueError(f"prices.{key}: unknown item (expected {', '.join(sorted(known))})")
        v = float(value)
        if not math.isfinite(v) or v < 0:
            raise ValueError(f"prices.{key}: expected a finite number >= 0 (got {value})")
        out[key] = v
    return out


@dataclass(frozen=True, eq=False)
class TrialCosts:
    """Result of :func:`trial_costs`. ``arms``: one row per arm; ``comparison``: first arm vs last;
    ``per_patient``: each counted patient's cost; ``notes``: what could not be estimated and why."""

    arms: pd.DataFrame
    comparison: dict[str, Any]
    per_patient: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    method: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able (NaN and infinities become None; ``ci95`` as ``[low, high]``)."""
        arms = {}
        for row in self.arms.to_dict(orient="records"):
            arms[row["arm"]] = {
                "patients": int(row["patients"]), "durable_responders": int(row["durable_responders"]),
                "cost_mean": _value(row["cost_mean"], row["cost_mean_ci95"]),
                "cost_per_durable_responder": _value(row["cost_per_durable_responder"],
                                                     row["cost_per_durable_responder_ci95"]),
                "vials_mean": {s: row[f"vials_{s}_mean"] for s in label_strengths()},
                "gmcsf_cycles_mean": row["gmcsf_cycles_mean"],
            }
        return {"arms": arms, "comparison": self.comparison, "notes": list(self.notes), "method": self.method}


def _finite(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(float(x)) else None


def _value(v: float, ci: tuple[float, float]) -> dict[str, Any]:
    return {"value": _finite(v), "ci95": [_finite(ci[0]), _finite(ci[1])]}


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den with x/0 = +-inf (sign of x) and 0/0 = NaN."""
    num, den = np.asarray(num, float), np.asarray(den, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    return np.where(den == 0, np.where(num == 0, np.nan, np.sign(num) * np.inf), out)


_HUGE = 1e300


def _ci(draws: np.ndarray) -> tuple[float, float]:
    """2.5th and 97.5th percentiles; an infinite end (resamples with a zero denominator) stays infinite."""
    d = np.asarray(draws, float)
    if np.isnan(d).any():
        return (math.nan, math.nan)
    lo, hi = np.percentile(np.clip(d, -_HUGE, _HUGE), [2.5, 97.5])
    return tuple(float(np.sign(x) * np.inf) if abs(x) > _HUGE / 1e10 else float(x) for x in (lo, hi))  # type: ignore


def patient_costs(patients: pd.DataFrame, usage: pd.DataFrame, prices: Mapping[str, float],
                  cycles: pd.DataFrame | None = None, only_ok: bool = True) -> pd.DataFrame:
    """One row per counted patient (see :func:`~ovsim.supply.patient_keys`): ``arm``, ``patient_id``,
    ``durable_response``, vials by strength, ``gmcsf_cycles`` and ``cost`` (currency units)."""
    prices = check_prices(prices)
    if "durable_response" not in patients.columns:
        raise ValueError("patients: missing column durable_response (expected a trial's patients table)")
    keys = patient_keys(patients, usage, only_ok)
    p = patients[patients["ok"].astype(bool)] if (only_ok and "ok" in patients.columns) else patients
    out = keys.copy()
    out["durable_response"] = p["durable_response"].astype(bool).to_numpy()
    cost = np.zeros(len(out))
    for s in label_strengths():
        v = usage[usage["strength"] == s].set_index(["arm", "patient_id"])["vials"]
        out[f"vials_{s}"] = v.reindex(pd.MultiIndex.from_frame(keys)).fillna(0).to_numpy(dtype=int)
        cost += out[f"vials_{s}"].to_numpy() * prices.get(s, 0.0)
    if cycles is not None:
        c = cycles.set_index(["arm", "patient_id"])["cycles"]
        out["gmcsf_cycles"] = c.reindex(pd.MultiIndex.from_frame(keys)).fillna(0).to_numpy(dtype=int)
    elif prices.get(GMCSF_CYCLE, 0.0) > 0:
        raise ValueError("cycles: a price per GM-CSF cycle needs the cycles (gmcsf_cycles(doses))")
    else:
        out["gmcsf_cycles"] = 0
    out["cost"] = cost + out["gmcsf_cycles"].to_numpy() * prices.get(GMCSF_CYCLE, 0.0)
    return out


def trial_costs(
    patients: pd.DataFrame,
    usage: pd.DataFrame,
    prices: Mapping[str, float],
    seed: int = 0,
    *,
    cycles: pd.DataFrame | None = None,
    resamples: int = 2000,
    only_ok: bool = True,
) -> TrialCosts:
    """Per arm: mean cost per patient and cost per durable responder (total cost / durable responders); first arm
    vs last: incremental cost per additional durable responder (delta mean cost / delta durable response rate);
    each with a 95% percentile bootstrap interval over ``resamples`` resamples within arms (seeded, stream 9).

    ``patients``: a trial's ``patients`` (``arm``, ``patient_id``, ``ok``, ``durable_response``); ``usage``:
    :func:`~ovsim.supply.vial_usage` of the trial's doses; ``prices``: per vial (``{"1e6": x, "1e8": y}``) and
    per GM-CSF cycle started (``"gmcsf_cycle"``, needs ``cycles`` = :func:`gmcsf_cycles` of the doses).
    A ratio whose denominator's interval includes 0 is reported as undefined (None) with a note, not as a number.
    """
    if int(resamples) != resamples or resamples < 1:
        raise ValueError(f"resamples: expected an integer >= 1 (got {resamples})")
    if not (isinstance(seed, (int, np.integer)) and seed >= 0):
        raise ValueError(f"seed: expected an integer >= 0 (got {seed!r})")
    table = patient_costs(patients, usage, prices, cycles, only_ok)
    arms = list(dict.fromkeys(table["arm"]))
    groups = {a: table[table["arm"] == a].reset_index(drop=True) for a in arms}
    if any(len(g) == 0 for g in groups.values()):
        raise ValueError("patients: an arm has no counted patients")
    ids = [tuple(g["patient_id"]) for g in groups.values()]
    paired = len(arms) > 1 and all(sorted(i) == sorted(ids[0]) for i in ids)
    if paired:  # same order in every arm, so one resample of rows picks the same patients everywhere
        order = groups[arms[0]]["patient_id"].tolist()
        groups = {a: g.set_index("patient_id").loc[order].reset_index() for a, g in groups.items()}
    cost = {a: g["cost"].to_numpy(float) for a, g in groups.items()}
    resp = {a: g["durable_response"].to_numpy(float) for a, g in groups.items()}
    boot_cost = {a: np.empty(resamples) for a in arms}
    boot_resp = {a: np.empty(resamples) for a in arms}
    for b in range(int(resamples)):
        rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(b, COST_STREAM)))
        shared = rng.integers(0, len(cost[arms[0]]), len(cost[arms[0]])) if paired else None
        for a in arms:
            i = shared if paired else rng.integers(0, len(cost[a]), len(cost[a]))
            boot_cost[a][b], boot_resp[a][b] = cost[a][i].mean(), resp[a][i].mean()

    notes: list[str] = []
    rows = []
    for a in arms:
        n, d = len(cost[a]), int(resp[a].sum())
        per_dr = _ratio(boot_cost[a], boot_resp[a])  # total / responders = mean cost / response rate
        value = float(_ratio(cost[a].mean(), resp[a].mean()))
        ci = _ci(per_dr)
        if d == 0:
            notes.append(f"{a}: no durable responder; cost per durable responder undefined")
            value, ci = math.nan, (math.nan, math.nan)
        elif not all(math.isfinite(x) for x in ci):
            notes.append(f"{a}: cost per durable responder unbounded above (resamples without a durable responder)")
            ci = (ci[0], math.nan)
        rows.append({"arm": a, "patients": n, "durable_responders": d, "durable_response_rate": d / n,
                     "cost_mean": float(cost[a].mean()), "cost_mean_ci95": _ci(boot_cost[a]),
                     "cost_per_durable_responder": value, "cost_per_durable_responder_ci95": ci,
                     **{f"vials_{s}_mean": float(groups[a][f"vials_{s}"].mean()) for s in label_strengths()},
                     "gmcsf_cycles_mean": float(groups[a]["gmcsf_cycles"].mean())})
    comparison: dict[str, Any] = {}
    if len(arms) > 1:
        first, last = arms[0], arms[-1]
        d_cost, d_resp = boot_cost[first] - boot_cost[last], boot_resp[first] - boot_resp[last]
        dc, de = float(cost[first].mean() - cost[last].mean()), float(resp[first].mean() - resp[last].mean())
        resp_ci = _ci(d_resp)
        comparison = {"arms": [first, last], "delta_cost_mean": _value(dc, _ci(d_cost)),
                      "delta_durable_response_rate": _value(de, resp_ci)}
        if de == 0 or resp_ci[0] <= 0 <= resp_ci[1]:
            comparison["incremental_cost_per_durable_responder"] = {
                "value": None, "ci95": [None, None], "defined": False,
                "note": (f"the durable-response difference ({first} - {last}: {de:.3f}, 95% CI {resp_ci[0]:.3f} to "
                         f"{resp_ci[1]:.3f}) includes 0, so the cost per additional durable responder is undefined "
                         "(unbounded); compare the cost and response differences separately")}
            notes.append(comparison["incremental_cost_per_durable_responder"]["note"])
        else:
            icer = _ratio(d_cost, d_resp)
            comparison["incremental_cost_per_durable_responder"] = {**_value(dc / de, _ci(icer)), "defined": True}
    method = {"resamples": int(resamples), "seed": int(seed), "stream_key": COST_STREAM,
              "design": "paired (patients resampled jointly)" if paired else "independent arms (resampled within arms)",
              "interval": "95% percentile bootstrap", "prices": check_prices(prices),
              "patients": "evaluable (ok) patients only" if only_ok else "all patients"}
    return TrialCosts(arms=pd.DataFrame(rows), comparison=comparison, per_patient=table, notes=notes, method=method)
