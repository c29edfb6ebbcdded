"""Validation of the shipped calibration on seeds never used to calibrate: a 10x trial, and the
spread over fresh seeds at OPTiM's own size."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import pandas as pd

from ..engine import dask_session
from ..model import DAYS_PER_MONTH
from ..trial import EU_INDICATION, TrialResult, TrialScenario, load_scenario, published_targets, rate, run_trial

LESION_TOLERANCE = 0.05  # issue 5: lesion-level rates within 5 percentage points


def _exact_interval(events: int, n: int) -> tuple[float, float]:
    """Clopper-Pearson 95% interval of ``events / n``."""
    return rate(events, n).ci95


def target_table(targets: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Each calibration target: name, published value, acceptance interval (and where it comes from), extractor."""
    t = targets or published_targets()["targets"]
    design = published_targets()["design"]["arms"]
    rows: list[dict[str, Any]] = []

    for key, label in (("durable_response_rate", "durable response"), ("objective_response_rate", "objective response"),
                       ("complete_response_rate", "complete response")):
        for arm, v in t[key].items():
            if "ci95" in v:
                interval, basis = tuple(v["ci95"]), "published 95% CI"
            else:
                interval, basis = _exact_interval(v["events"], v["n"]), f"exact binomial 95% CI for {v['events']}/{v['n']}"
            rows.append({"target": f"{label} rate, {arm}", "published": v["value"], "interval": interval, "basis": basis,
                         "get": (lambda r, arm=arm, key=key: r.endpoints["arms"][arm][key]["value"])})
    for arm, v in t["median_time_to_response_months"].items():
        n_resp = round(t["objective_response_rate"][arm]["value"] * design[arm]["n"])
        lo, hi = _exact_interval(n_resp // 2, n_resp)
        rows.append({"target": f"responders responding by {v['value']} months, {arm} (median time to response)",
                     "published": 0.5, "interval": (lo, hi),
                     "basis": f"exact binomial 95% CI for half of OPTiM's {n_resp} responders",
                     "get": (lambda r, arm=arm, m=v["value"]: _share_by(r, arm, m))})
    os_ = t["overall_survival"]
    for arm, v in os_["median_months"].items():
        rows.append({"target": f"median overall survival (months), {arm}", "published": v["value"],
                     "interval": tuple(v["ci95"]), "basis": "published 95% CI",
                     "get": (lambda r, arm=arm: r.endpoints["arms"][arm]["median_overall_survival_months"]["value"])})
    hr = os_["hazard_ratio_tvec_vs_gmcsf"]
    rows.append({"target": "hazard ratio OS, tvec vs gmcsf", "published": hr["value"], "interval": tuple(hr["ci95"]),
                 "basis": "published 95% CI", "get": lambda r: r.endpoints["comparisons"]["hazard_ratio_os"]["value"]})
    for arm, v in (t.get("eu_indication_subgroup") or {}).get("durable_response_rate", {}).items():
        rows.append({"target": f"durable response rate, EU indication (IIIB-IVM1a), {arm}", "published": v["value"],
                     "interval": _exact_interval(v["events"], v["n"]),
                     "basis": f"exact binomial 95% CI for {v['events']}/{v['n']}",
                     "get": (lambda r, arm=arm: r.endpoints["subgroups"]["eu_indication"][EU_INDICATION][arm]
                             ["durable_response_rate"]["value"])})
    for cat, v in t["lesion_level_tvec_arm"].items():
        for key in ("decrease_ge_50pct", "complete_resolution"):
            rows.append({"target": f"lesions {cat}: {key}, tvec", "published": v[key],
                         "interval": (v[key] - LESION_TOLERANCE, v[key] + LESION_TOLERANCE),
                         "basis": "published +- 5 percentage points",
                         "get": (lambda r, cat=cat, key=key: r.endpoints["arms"]["tvec"]["lesion_level"][cat][key]["value"])})
    return rows


def _share_by(result: TrialResult, arm: str, months: float) -> float:
    p = result.patients[(result.patients.arm == arm) & result.patients.ok & result.patients.objective_response]
    if not len(p):
        return float("nan")
    return float((p.time_to_response_days <= months * DAYS_PER_MONTH + 1e-9).mean())


def validate(
    scenario: TrialScenario | None = None,
    *,
    large_seed: int = 3001,
    scale: int = 10,
    seeds: Iterable[int] = range(2001, 2011),
    workers: int = 1,
    progress: bool = False,
    dask: Any = None,
) -> pd.DataFrame:
    """One row per target: published value and acceptance interval, the value in a ``scale``-times
    trial (``large_seed``), whether it is inside, and the spread over ``seeds`` at OPTiM's size."""
    sc = scenario or load_scenario()
    rows = target_table()
    with dask_session(dask):  # one connection (one local cluster) for every trial; ``dask``: docs/dask.md
        large = run_trial(sc, seed=large_seed, patients=sc.n_patients * scale, workers=workers, progress=progress,
                          dask=dask)
        small = [run_trial(sc, seed=s, workers=workers, progress=False, dask=dask) for s in seeds]
    out = []
    for row in rows:
        v = row["get"](large)
        vals = np.array([np.nan if (x := row["get"](r)) is None else x for r in small], dtype=float)
        lo, hi = row["interval"]
        out.append({
            "target": row["target"], "published": row["published"], "interval_low": lo, "interval_high": hi,
            "basis": row["basis"], f"simulated_{scale}x": v, "inside": v is not None and lo <= v <= hi,
            "seeds_mean": float(np.nanmean(vals)), "seeds_sd": float(np.nanstd(vals, ddof=1)) if len(vals) > 1 else np.nan,
            "seeds_min": float(np.nanmin(vals)), "seeds_max": float(np.nanmax(vals)),
            "seeds_inside": int(np.sum((vals >= lo) & (vals <= hi))), "n_seeds": len(vals),
        })
    table = pd.DataFrame(out)
    table.attrs.update({"large_seed": large_seed, "scale": scale, "seeds": list(seeds)})
    return table


def validation_markdown(table: pd.DataFrame) -> str:
    """The validation table as Markdown (for docs/calibration.md and the report)."""
    scale = table.attrs.get("scale", 10)
    col = f"simulated_{scale}x"
    lines = [f"| target | published | acceptance interval | simulated, {scale}x (seed {table.attrs.get('large_seed')}) | inside | "
             f"{int(table['n_seeds'].iloc[0])} seeds at OPTiM size: mean ± SD [min, max] | seeds inside |",
             "|---|---|---|---|---|---|---|"]
    for _, r in table.iterrows():
        lines.append(
            f"| {r['target']} | {r['published']:.3g} | {r['interval_low']:.3g} to {r['interval_high']:.3g} ({r['basis']}) | "
            f"{r[col]:.3g} | {'yes' if r['inside'] else '**no**'} | {r['seeds_mean']:.3g} ± {r['seeds_sd']:.2g} "
            f"[{r['seeds_min']:.3g}, {r['seeds_max']:.3g}] | {r['seeds_inside']}/{r['n_seeds']} |")
    return "\n".join(lines) + "\n"
