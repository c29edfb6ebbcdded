"""Fit of the joint survival model's free coefficients to OPTiM's three survival targets.

The targets are the two arms' median overall survival and their hazard ratio (shared/targets/optim.yaml,
final analysis). Each enters a likelihood as log(value) ~ Normal(log(published), se), se = (ln hi - ln lo)
/ 3.92 from the published 95% interval; the fit maximises it (Nelder-Mead on log lambda0 and the betas,
within their bounds). Predictions are deterministic: each arm's median is the exact median of its weighted
mixture of per-patient survival curves, the hazard ratio the limit of a large trial's Cox estimate under
the trial's allocation and administrative censoring (:mod:`ovsim.trial._survival_population`). A Cox fit
of a common-random-number Monte Carlo trial is reported beside it as a check.
"""

from __future__ import annotations

import math
import time
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from ..model import DAYS_PER_MONTH
from ..trial import SurvivalModel, burden_course, censor, death_months, hazard, hazard_ratio
from ..trial._survival_population import cox_limit_hazard_ratio, mixture_median_months, mixture_survival
from ..trial._survival_spec import CALIBRATED
from ._features import volume_course

_GRID_STEP_MONTHS = 0.5  # the hazard ratio's integral: within 1e-4 of a 0.05-month grid
_SCALE = {"tumour_hazard_per_month": 1.0, "beta_burden": 0.25, "beta_growth_day": 25.0}  # optimiser steps


def survival_targets(targets: dict[str, Any], first: str, last: str) -> dict[str, tuple[float, float]]:
    """``{median_<first>, median_<last>, hazard_ratio}: (published value, se of its log)`` from ``optim.yaml``."""
    os_t = targets["overall_survival"]
    items = {f"median_{a}": os_t["median_months"][a] for a in (first, last)}
    items["hazard_ratio"] = os_t[f"hazard_ratio_{first}_vs_{last}"]
    out = {}
    for key, t in items.items():
        lo, hi = t["ci95"]
        out[key] = (float(t["value"]), (math.log(hi) - math.log(lo)) / 3.92)
    return out


class SurvivalPool:
    """The per-arm burden histories, covariates and weights that the fit needs (built once per fit)."""

    def __init__(self, out: pd.DataFrame, weights: dict[str, np.ndarray], base: SurvivalModel):
        self.arms = list(weights)
        self.rows, self.courses, self.ecog, self.ldh, self.w = {}, {}, {}, {}, {}
        for arm, w in weights.items():
            w = np.asarray(w, dtype=float)
            if w.shape != (len(out),) or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
                raise ValueError(f"weights.{arm}: expected {len(out)} finite weights >= 0 with a positive sum")
            rows = np.flatnonzero(w > 0)
            days, volume = volume_course(out, arm)
            self.rows[arm] = rows
            self.courses[arm] = burden_course(days, volume[rows], base)
            self.ecog[arm] = out["ecog"].to_numpy(dtype=float)[rows]
            self.ldh[arm] = out["ldh_x_uln"].to_numpy(dtype=float)[rows]
            self.w[arm] = w[rows] / w[rows].sum()

    def hazard(self, arm: str, model: SurvivalModel):
        return hazard(self.courses[arm], self.ecog[arm], self.ldh[arm], model)


def predict(pool: SurvivalPool, model: SurvivalModel, follow_up_months: float, accrual_months: float,
            allocation_first: float) -> dict[str, float]:
    """Median OS of each arm (months, exact) and the hazard ratio first vs last arm (Cox limit)."""
    first, last = pool.arms[0], pool.arms[-1]
    end = follow_up_months + accrual_months
    grid = np.arange(0.0, end + _GRID_STEP_MONTHS, _GRID_STEP_MONTHS)
    curves, out = {}, {}
    for arm in (first, last):
        h = pool.hazard(arm, model)
        curves[arm] = pool.w[arm] @ np.exp(-h.cumulative(grid * DAYS_PER_MONTH))
        out[f"median_{arm}"] = mixture_median_months(h, pool.w[arm])
    out["hazard_ratio"] = cox_limit_hazard_ratio(curves[first], curves[last], grid, allocation_first,
                                                 follow_up_months, accrual_months)
    return out


def landmarks(pool: SurvivalPool, model: SurvivalModel, years: Sequence[float] = (3, 5)) -> dict[str, float]:
    """Predictions, never targets: each arm's mixture survival at ``years``."""
    out = {}
    for arm in pool.arms:
        s = mixture_survival(pool.hazard(arm, model), pool.w[arm], 12.0 * np.asarray(years, dtype=float))
        out.update({f"survival_{y:g}y_{arm}": float(v) for y, v in zip(years, s)})
    return out


def monte_carlo_hazard_ratio(pool: SurvivalPool, model: SurvivalModel, follow_up_months: float,
                             accrual_months: float, allocation_first: float, patients: int, seed: int) -> float:
    """Cox hazard ratio of one simulated trial of ``patients`` patients (common random numbers: ``seed``)."""
    first, last = pool.arms[0], pool.arms[-1]
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0, 6)))
    n1 = int(round(patients * allocation_first))
    times, events, group = [], [], []
    for arm, n in ((first, n1), (last, patients - n1)):
        pick = rng.choice(len(pool.w[arm]), size=n, p=pool.w[arm])
        u_death, u_accrual = rng.random(n), rng.random(n)
        h = hazard(pool.courses[arm].take(pick), pool.ecog[arm][pick], pool.ldh[arm][pick], model)
        died = death_months(h, np.clip(u_death, 1e-300, 1 - 2.0**-53))
        t, e = censor(died, u_accrual, follow_up_months, accrual_months)
        times.append(t), events.append(e), group.append(np.full(n, arm == first))
    return float(hazard_ratio(np.concatenate(times), np.concatenate(events), np.concatenate(group)).value)


def fit_survival(out: pd.DataFrame, weights: dict[str, np.ndarray], targets: dict[str, Any], base: SurvivalModel,
                 follow_up_months: float, accrual_months: float, *, allocation_first: float,
                 fit: Sequence[str] = CALIBRATED, mc_patients: int = 0, seed: int = 0,
                 ) -> tuple[SurvivalModel, dict[str, Any]]:
    """Fit ``fit`` (at most three of the calibrated coefficients) by maximum likelihood of the survival targets.

    out: :func:`~ovsim.calibrate._features.pool_outcomes`' table (volume columns, ``ecog``, ``ldh_x_uln``);
    weights: ``{arm: (P,) weights}`` for the first (experimental) and last (control) arm, e.g.
    ``PoolPredictor.arm_weights`` (post-stratified to each arm's stage mix); allocation_first: share of trial patients on the first arm;
    mc_patients > 0 adds a Monte Carlo Cox check of that many patients. Returns the fitted model and a report
    (``achieved``, ``targets``, ``standard_errors``, ``loss``: the negative log-likelihood, and more)."""
    started = time.perf_counter()
    free = list(fit)
    if len(free) > 3 or len(set(free)) != len(free) or not set(free) <= set(CALIBRATED):
        raise ValueError(f"fit: expected at most three distinct coefficients of {CALIBRATED} (got {free})")
    pool = SurvivalPool(out, weights, base)
    first, last = pool.arms[0], pool.arms[-1]
    tgt = survival_targets(targets, first, last)
    lo_hi = {n: _bounds(n) for n in free}

    def model_of(x: np.ndarray) -> SurvivalModel:
        return base.model_copy(update={n: float(np.clip(_from_x(n, v), *lo_hi[n])) for n, v in zip(free, x)})

    keys, calls = list(tgt), [0]

    def residuals(x: np.ndarray) -> np.ndarray:  # z-scores of the log targets: the likelihood is exp(-|z|^2 / 2)
        calls[0] += 1
        try:
            p = predict(pool, model_of(x), follow_up_months, accrual_months, allocation_first)
        except ValueError:
            return np.full(len(keys), 1e3)
        return np.array([(math.log(p[k]) - math.log(tgt[k][0])) / tgt[k][1] for k in keys])

    x0 = np.array([_to_x(n, getattr(base, n)) for n in free])
    lower, upper = np.array([_to_x(n, lo_hi[n][0]) for n in free]), np.array([_to_x(n, lo_hi[n][1]) for n in free])
    res = least_squares(residuals, np.clip(x0, lower + 1e-9, upper - 1e-9), bounds=(lower, upper), method="trf",
                        diff_step=1e-4, xtol=1e-10, ftol=1e-12, gtol=1e-12, max_nfev=200)
    model = model_of(res.x)
    achieved = predict(pool, model, follow_up_months, accrual_months, allocation_first)
    report: dict[str, Any] = {
        "method": "maximum likelihood: log median OS (both arms) and log HR ~ Normal, se from the published 95% CI",
        "fitted": free, "loss": float(0.5 * np.sum(res.fun**2)), "evaluations": calls[0],
        "converged": bool(res.success),
        "achieved": {k: achieved[k] for k in tgt}, "targets": {k: v for k, (v, _) in tgt.items()},
        "standard_errors": {k: se for k, (_, se) in tgt.items()},
        "predictions": landmarks(pool, model),
        "allocation_first": allocation_first, "wall_seconds": time.perf_counter() - started,
    }
    if mc_patients > 0:
        report["hazard_ratio_monte_carlo"] = monte_carlo_hazard_ratio(
            pool, model, follow_up_months, accrual_months, allocation_first, mc_patients, seed)
        report["monte_carlo_patients"] = int(mc_patients)
    return model, report


def _bounds(name: str) -> tuple[float, float]:
    """The field's bounds (a strict lower bound of 0 becomes a tiny positive number)."""
    lo, hi = -math.inf, math.inf
    for m in SurvivalModel.model_fields[name].metadata:
        lo = float(getattr(m, "ge", lo))
        lo = max(float(getattr(m, "gt", lo - 1.0)) + 1e-12, lo) if hasattr(m, "gt") else lo
        hi = float(getattr(m, "le", hi))
    return lo, hi


def _to_x(name: str, value: float) -> float:
    """Optimiser coordinate of a coefficient: log lambda0, the betas scaled to steps of order 1."""
    return math.log(value) if name == "tumour_hazard_per_month" else value / _SCALE[name]


def _from_x(name: str, x: float) -> float:
    return math.exp(x) if name == "tumour_hazard_per_month" else x * _SCALE[name]
