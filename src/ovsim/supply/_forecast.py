"""Supply forecast: vials per week for a centre starting patients at random, from simulated courses.

A centre starts patients as a Poisson process of rate ``patients_per_month`` over ``months``
(30.44-day months); each new patient follows a course drawn with replacement from the simulated
courses (a bootstrap of virtual patients). Replicate ``r`` draws from its own stream,
``np.random.SeedSequence(seed, spawn_key=(r, 8))`` (stream key 8 is reserved for supply), so any
replicate is the same however many are run. Demand is counted by visit day: in the window
(visits before the end of ``months``, by week and by month) and committed (every vial the patients
started in the window will need, after the window too).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..model import DAYS_PER_MONTH
from ._courses import Courses, course_arrays

SUPPLY_STREAM = 8
QUANTILES = (5.0, 50.0, 95.0)
_BATCH_ENTRIES = 4_000_000  # visit rows expanded at once (bounds memory)


def _bands(draws: np.ndarray) -> dict[str, np.ndarray]:
    """Mean, median and 5-95% percentiles over the first axis (replicates)."""
    p05, med, p95 = np.percentile(draws, QUANTILES, axis=0)
    return {"mean": draws.mean(axis=0), "median": med, "p05": p05, "p95": p95}


@dataclass(frozen=True, eq=False)
class SupplyForecast:
    """Result of :func:`forecast_supply`. ``draws``: per replicate, ``week`` (R, strengths, weeks),
    ``month`` (R, strengths, months), ``window`` and ``committed`` totals (R, strengths), ``started`` (R,)."""

    strengths: list[str]
    patients_per_month: float
    months: int
    replicates: int
    seed: int
    draws: dict[str, np.ndarray]
    courses: dict[str, Any] = field(default_factory=dict)

    @property
    def window_days(self) -> float:
        """Length of the forecast window (days)."""
        return self.months * DAYS_PER_MONTH

    def _long(self, key: str, unit: str) -> pd.DataFrame:
        b = _bands(self.draws[key].astype(float))
        n_s, n_t = b["mean"].shape
        out = pd.DataFrame({unit: np.tile(np.arange(n_t), n_s), "strength": np.repeat(self.strengths, n_t),
                            **{k: v.reshape(-1) for k, v in b.items()}})
        return out

    @property
    def weekly(self) -> pd.DataFrame:
        """Vials per week (0-based weeks from the centre's first day; the last may be partial): ``week``,
        ``start_day``, ``strength``, ``mean``, ``median``, ``p05``, ``p95``."""
        out = self._long("week", "week")
        out.insert(1, "start_day", out["week"] * 7)
        return out

    @property
    def monthly(self) -> pd.DataFrame:
        """Vials per month (30.44 days; 0-based): ``month``, ``strength``, ``mean``, ``median``, ``p05``, ``p95``."""
        return self._long("month", "month")

    @property
    def totals(self) -> pd.DataFrame:
        """Per strength: ``scope`` ``window`` (vials used within the months) or ``committed`` (every vial of the
        patients started, after the window too), with ``mean``, ``median``, ``p05``, ``p95``."""
        rows = []
        for scope in ("window", "committed"):
            b = _bands(self.draws[scope].astype(float))
            for k, s in enumerate(self.strengths):
                rows.append({"strength": s, "scope": scope, **{q: float(v[k]) for q, v in b.items()}})
        return pd.DataFrame(rows)

    @property
    def started(self) -> dict[str, float]:
        """Patients started in the window: mean, median, p05, p95 over replicates."""
        return {k: float(v) for k, v in _bands(self.draws["started"].astype(float)).items()}

    def costs(self, prices: Mapping[str, float]) -> pd.DataFrame:
        """Vial cost (currency units) per ``scope`` (window, committed) and per month, with bands, for ``prices``
        per vial of each strength (``{"1e6": x, "1e8": y}``; a strength without a price costs 0)."""
        p = np.array([float(prices.get(s, 0.0)) for s in self.strengths])
        rows = []
        for scope in ("window", "committed"):
            b = _bands(self.draws[scope] @ p)
            rows.append({"scope": scope, **{k: float(v) for k, v in b.items()}})
        month = np.einsum("rsm,s->rm", self.draws["month"], p)
        b = _bands(month)
        rows += [{"scope": f"month {m}", **{k: float(v[m]) for k, v in b.items()}} for m in range(self.months)]
        return pd.DataFrame(rows)

    def to_dict(self, prices: Mapping[str, float] | None = None) -> dict[str, Any]:
        """The forecast as a JSON-able document (totals, monthly and weekly bands, inputs, method)."""
        doc: dict[str, Any] = {
            "inputs": {"patients_per_month": self.patients_per_month, "months": self.months,
                       "replicates": self.replicates, "seed": self.seed, "stream_key": SUPPLY_STREAM},
            "method": ("Poisson arrivals over the window; each patient follows a course resampled with replacement from "
                       "the simulated courses; one replicate = one centre; bands are 5th-95th percentiles over replicates"),
            "courses": self.courses,
            "patients_started": self.started,
            "totals": self.totals.to_dict(orient="records"),
            "monthly": self.monthly.to_dict(orient="records"),
            "weekly": self.weekly.to_dict(orient="records"),
        }
        if prices is not None:
            doc["prices_per_vial"] = {s: float(prices.get(s, 0.0)) for s in self.strengths}
            doc["costs"] = self.costs(prices).to_dict(orient="records")
        return doc


def forecast_supply(
    courses: Courses,
    patients_per_month: float,
    months: int,
    *,
    replicates: int = 1000,
    seed: int = 0,
) -> SupplyForecast:
    """Vials per week and month by strength for a centre starting ``patients_per_month`` patients a month
    (Poisson) for ``months`` months, from ``courses`` resampled into ``replicates`` centres (seeded)."""
    if not (math.isfinite(patients_per_month) and patients_per_month > 0):
        raise ValueError(f"patients_per_month: expected > 0 (got {patients_per_month})")
    if int(months) != months or months < 1:
        raise ValueError(f"months: expected an integer >= 1 (got {months})")
    if int(replicates) != replicates or replicates < 1:
        raise ValueError(f"replicates: expected an integer >= 1 (got {replicates})")
    if not (isinstance(seed, (int, np.integer)) and seed >= 0):
        raise ValueError(f"seed: expected an integer >= 0 (got {seed!r})")
    months, replicates, seed = int(months), int(replicates), int(seed)
    a = course_arrays(courses)
    n_s, k = len(courses.strengths), courses.n_courses
    window = months * DAYS_PER_MONTH
    n_w = math.ceil(window / 7.0)
    rate = patients_per_month * months
    draws = {"week": np.zeros((replicates, n_s, n_w), np.int64), "month": np.zeros((replicates, n_s, months), np.int64),
             "window": np.zeros((replicates, n_s), np.int64), "committed": np.zeros((replicates, n_s), np.int64),
             "started": np.zeros(replicates, np.int64)}
    per_rep = max(1.0, rate * max(float(a["counts"].mean()), 1.0))
    batch = max(1, int(_BATCH_ENTRIES // per_rep))
    for lo in range(0, replicates, batch):
        reps = range(lo, min(lo + batch, replicates))
        picks, starts, owner = [], [], []
        for r in reps:
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(r, SUPPLY_STREAM)))
            n = int(rng.poisson(rate))
            picks.append(rng.integers(0, k, size=n))
            starts.append(rng.uniform(0.0, window, size=n))
            owner.append(np.full(n, r - lo, dtype=np.int64))
            draws["started"][r] = n
        c, s, o = np.concatenate(picks), np.concatenate(starts), np.concatenate(owner)
        n_b = len(reps)
        np.add.at(draws["committed"][lo:lo + n_b], o, a["totals"][c])  # every vial of each started course
        cnt = a["counts"][c]
        total = int(cnt.sum())
        if total == 0:
            continue
        row = np.repeat(a["offsets"][c] - (np.cumsum(cnt) - cnt), cnt) + np.arange(total)  # each course's visit rows
        day = np.repeat(s, cnt) + a["day"][row]
        rep, strength, vials = np.repeat(o, cnt), a["strength"][row], a["vials"][row]
        inside = day < window
        day, rep, strength, vials = day[inside], rep[inside], strength[inside], vials[inside]
        week = np.minimum((day // 7.0).astype(np.int64), n_w - 1)
        month = np.minimum((day // DAYS_PER_MONTH).astype(np.int64), months - 1)
        cell = rep * n_s + strength
        for key, bins, n_bins in (("week", week, n_w), ("month", month, months)):
            counts = np.bincount(cell * n_bins + bins, weights=vials, minlength=n_b * n_s * n_bins)
            draws[key][lo:lo + n_b] = counts.reshape(n_b, n_s, n_bins).round().astype(np.int64)
    draws["window"] = draws["month"].sum(axis=2)
    provenance = {"n_courses": k, "vials_per_course_mean": dict(zip(courses.strengths, a["totals"].mean(axis=0).tolist())),
                  **courses.provenance}
    return SupplyForecast(strengths=list(courses.strengths), patients_per_month=float(patients_per_month), months=months,
                          replicates=replicates, seed=seed, draws=draws, courses=provenance)
