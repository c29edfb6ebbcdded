"""Each plausible patient's outcomes on every arm, averaged over measurement-noise replicates.

The pool is treated on every arm of the scenario (a paired comparison), simulated once, then
measured and assessed ``replicates`` times with different measurement-error streams; each
outcome is the mean over replicates (a probability), so the selection weights respond to the
patient's biology, not to one draw of measurement error.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..model import DAYS_PER_MONTH
from ..population import Population
from ..trial import TrialScenario, assess_arms, simulate_arms, total_volume_cm3

LESION_CATEGORIES = ("injected", "uninjected_nonvisceral", "uninjected_visceral")
VOLUME_COLUMN = "{arm}_log10_volume_cm3_day{day:g}"
"""Column of a patient's true total tumour volume (log10 cm^3, float32) on an arm at a simulated day."""
_LOG10_FLOOR = -30.0  # log10 cm^3 stored for a volume of 0 (far below any tumour-free threshold)


def replicate_seed(seed: int, replicate: int) -> int:
    """The assessment seed of noise replicate ``replicate`` of calibration ``seed`` (never a trial seed < 10^6)."""
    return 1_000_000 * (replicate + 1) + int(seed)


def pool_outcomes(
    pool: Population, scenario: TrialScenario, seed: int, replicates: int, *, ttr_months: float,
    workers: int = 1, progress: bool = False, dask: Any = None,
) -> pd.DataFrame:
    """One row per plausible patient (pool order): stage, covariates, and per arm the mean durable /
    objective / complete response and the true total tumour volume at every simulated day (noise-free, so
    not replicated; :func:`volume_course` reads it back); for the first arm the mean share
    responding by ``ttr_months`` and per lesion category the mean lesions, >= 50% decreases and
    complete resolutions (baseline and new lesions, each from its first measurement, as OPTiM counted). ``ok`` is False if any arm or replicate failed for the patient."""
    populations = {arm: pool for arm in scenario.arms}
    results = simulate_arms(scenario, populations, workers=workers, progress=progress, dask=dask)
    ids = pool.patients["patient_id"].to_numpy()
    out = pd.DataFrame({"patient_id": ids, "stage": pool.patients["stage"].to_numpy(),
                        "ecog": pool.patients["ecog"].to_numpy(), "ldh_x_uln": pool.patients["ldh_x_uln"].to_numpy()})
    ok = np.ones(len(ids), bool)
    first = list(scenario.arms)[0]
    sums: dict[str, np.ndarray] = {}

    def add(key: str, values: np.ndarray) -> None:
        sums[key] = sums.get(key, 0.0) + np.nan_to_num(np.asarray(values, dtype=float))

    for arm in scenario.arms:
        out = pd.concat([out, volume_columns(arm, results[arm])], axis=1)
    for r in range(replicates):
        tables = assess_arms(scenario, replicate_seed(seed, r), populations, results)
        pts, les = tables["patients"], tables["lesions"]
        for arm in scenario.arms:
            p = pts[pts.arm == arm].set_index("patient_id").reindex(ids)
            ok &= p["ok"].to_numpy(dtype=bool)
            for col in ("durable_response", "objective_response", "complete_response"):
                add(f"{arm}_{col}", p[col].to_numpy(dtype=float))
            if arm == first:
                early = p["objective_response"].to_numpy(dtype=bool) & (
                    p["time_to_response_days"].to_numpy(dtype=float) <= ttr_months * DAYS_PER_MONTH + 1e-9)
                add(f"{arm}_responded_by_ttr", early)
                lf = les[les.arm == arm]
                for cat in LESION_CATEGORIES:
                    g = lf[lf.category == cat].groupby("patient_id")
                    add(f"{arm}_{cat}_lesions", g.size().reindex(ids, fill_value=0).to_numpy())
                    add(f"{arm}_{cat}_decrease", g["decrease_ge_50pct"].sum().reindex(ids, fill_value=0).to_numpy())
                    add(f"{arm}_{cat}_resolved", g["complete_resolution"].sum().reindex(ids, fill_value=0).to_numpy())
    for key, total in sums.items():
        out[key] = total / replicates
    out["ok"] = ok
    out.attrs["replicates"] = replicates
    out.attrs["arms"] = list(scenario.arms)
    return out


def check_outcomes(outcomes: pd.DataFrame, ids: np.ndarray, arms: list[str]) -> pd.DataFrame:
    """``outcomes`` (an earlier :func:`pool_outcomes` table, e.g. a shipped ``outcomes.parquet``) checked
    against the pool it must describe: one row per patient id of ``ids`` in order, and every column
    :func:`pool_outcomes` writes for ``arms`` (a missing one would silently drop a target); ValueError
    naming the first problem."""
    first = arms[0]
    needed = ["patient_id", "stage", "ok",
              *[f"{arm}_{c}" for arm in arms for c in ("durable_response", "objective_response", "complete_response")],
              f"{first}_responded_by_ttr",
              *[f"{first}_{cat}_{k}" for cat in LESION_CATEGORIES for k in ("lesions", "decrease", "resolved")]]
    missing = [c for c in needed if c not in outcomes.columns]
    if missing:
        raise ValueError(f"outcomes.{missing[0]}: expected the column (an outcomes.parquet that ovsim calibrate "
                         f"wrote for arms {', '.join(arms)})")
    if not np.array_equal(outcomes["patient_id"].to_numpy(), ids):
        raise ValueError("outcomes.patient_id: expected one row per plausible patient of this spec and seed, in pool "
                         f"order ({len(ids)} rows; got {len(outcomes)})")
    for arm in arms:
        volume_course(outcomes, arm)  # ValueError if the arm's volume columns are missing
    return outcomes.reset_index(drop=True)


def volume_columns(arm: str, result) -> pd.DataFrame:
    """The true total tumour volume of each simulated patient (rows) at each simulated day (columns,
    ``VOLUME_COLUMN``), log10 cm^3 as float32 (NaN for a failed simulation)."""
    ds = result.trajectories
    t = np.asarray(ds["time_day"].values, dtype=float)
    ok = np.array(result.status["ok"], dtype=bool)
    d = np.asarray(ds["longest_diameter_cm"].values, dtype=float)
    v = total_volume_cm3(np.where(ok[:, None, None], d, np.nan), np.asarray(ds["has_lesion"].values, dtype=bool))
    with np.errstate(divide="ignore"):
        logv = np.where(np.isfinite(v), np.maximum(np.log10(v), _LOG10_FLOOR), np.nan).astype(np.float32)
    return pd.DataFrame({VOLUME_COLUMN.format(arm=arm, day=day): logv[:, k] for k, day in enumerate(t)})


def volume_course(out: pd.DataFrame, arm: str) -> tuple[np.ndarray, np.ndarray]:
    """(days (T,), total volume cm^3 (P, T)) of ``arm`` from :func:`pool_outcomes`' columns."""
    prefix = VOLUME_COLUMN.format(arm=arm, day=0).rsplit("day", 1)[0] + "day"
    cols = [c for c in out.columns if c.startswith(prefix) and c[len(prefix):].replace(".", "", 1).isdigit()]
    if not cols:
        raise ValueError(f"outcomes: expected the {arm} arm's volume columns ({prefix}<day>)")
    days = np.array([float(c[len(prefix):]) for c in cols])
    order = np.argsort(days)
    logv = out[[cols[i] for i in order]].to_numpy(dtype=float)
    return days[order], np.where(logv <= _LOG10_FLOOR, 0.0, 10.0 ** logv)
