"""Population summaries of the joint model without Monte Carlo: a weighted mixture's median overall survival
and the hazard ratio a large trial's Cox fit would estimate.

Median: the t with sum_i w_i S_i(t) = 1/2, bracketed on a grid and refined by bisection on the exact
per-patient cumulative hazards. Hazard ratio: two arms with mixture survival S_1, S_0, allocation
pi_1 : pi_0 and administrative censoring (enrolment uniform over the accrual period, analysis at accrual +
follow-up: the censoring survival G(t) is 1 until follow-up, then falls linearly to 0 at accrual +
follow-up) give the Cox partial-likelihood score per unit of patients

    U(beta) = int G(t) [pi_1 f_1(t) - (pi_1 f_1(t) + pi_0 f_0(t)) p_beta(t)] dt,
    p_beta(t) = pi_1 S_1(t) e^beta / (pi_1 S_1(t) e^beta + pi_0 S_0(t)),

(events of arm 1 minus their expectation given the risk sets); its root is the limit of the Cox estimate
as the trial grows. It is evaluated on a grid (midpoint risk sets) and solved by Newton's method; the
tests check it against Cox fits of large simulated trials.
"""

from __future__ import annotations

import math

import numpy as np

from ..model import DAYS_PER_MONTH
from ._survival import Hazard


def mixture_survival(h: Hazard, weights: np.ndarray, months: np.ndarray) -> np.ndarray:
    """sum_i w_i S_i(t) on ``months`` (M,), with w normalised to 1; patients of weight 0 may be invalid."""
    w = _weights(h, weights)
    use = w > 0
    s = np.exp(-h.take(use).cumulative(np.asarray(months, dtype=float) * DAYS_PER_MONTH))
    return w[use] @ s


def mixture_median_months(h: Hazard, weights: np.ndarray, *, iterations: int = 60) -> float:
    """Median (months) of the weighted mixture of the patients' survival curves (exact to ~1e-12 month)."""
    w = _weights(h, weights)
    use = w > 0
    sub, w = h.take(use), w[use]

    def mix(t_month: float) -> float:
        return float(w @ np.exp(-sub.cumulative(np.array([t_month * DAYS_PER_MONTH]))[:, 0]))

    lo, hi = 0.0, 12.0
    while mix(hi) > 0.5:  # the background hazard makes every curve fall to 0
        lo, hi = hi, 2.0 * hi
        if hi > 1e5:
            raise ValueError("weights: the mixture's survival stays above 1/2 for 10,000 years")
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if mix(mid) > 0.5 else (lo, mid)
    return 0.5 * (lo + hi)


def censoring_survival(months: np.ndarray, follow_up_months: float, accrual_months: float) -> np.ndarray:
    """G(t): probability of still being under follow-up at t (months) under uniform accrual."""
    t = np.asarray(months, dtype=float)
    if accrual_months <= 0:
        return (t < follow_up_months).astype(float)
    return np.clip((follow_up_months + accrual_months - t) / accrual_months, 0.0, 1.0)


def cox_limit_hazard_ratio(s1: np.ndarray, s0: np.ndarray, months: np.ndarray, allocation_1: float,
                           follow_up_months: float, accrual_months: float) -> float:
    """The Cox hazard ratio (arm 1 vs arm 0) of a large trial: the root of the score above.

    s1, s0: mixture survival of each arm on ``months`` (M,; from 0 to at least accrual + follow-up, fine
    enough for the curves, e.g. 0.25 month); allocation_1: share of patients on arm 1 (0, 1)."""
    t = np.asarray(months, dtype=float)
    if not 0.0 < allocation_1 < 1.0:
        raise ValueError(f"allocation_1: expected a share in (0, 1) (got {allocation_1!r})")
    if t[0] != 0.0 or t[-1] < follow_up_months + accrual_months or np.any(np.diff(t) <= 0):
        raise ValueError("months: expected an increasing grid from 0 to at least accrual + follow-up")
    pi1, pi0 = allocation_1, 1.0 - allocation_1
    d1, d0 = pi1 * -np.diff(s1), pi0 * -np.diff(s0)          # deaths per bin
    r1, r0 = pi1 * 0.5 * (s1[1:] + s1[:-1]), pi0 * 0.5 * (s0[1:] + s0[:-1])  # at risk at mid-bin
    g = censoring_survival(0.5 * (t[1:] + t[:-1]), follow_up_months, accrual_months)
    keep = (g > 0) & (r1 + r0 > 0)
    d1, d0, r1, r0, g = d1[keep], d0[keep], r1[keep], r0[keep], g[keep]
    if d1.sum() <= 0 or d0.sum() <= 0:
        raise ValueError("s1, s0: expected deaths in both arms before the end of follow-up")
    beta = 0.0
    for _ in range(50):
        p = r1 * math.exp(beta) / (r1 * math.exp(beta) + r0)
        score = float(np.sum(g * (d1 - (d1 + d0) * p)))
        info = float(np.sum(g * (d1 + d0) * p * (1.0 - p)))
        step = score / info
        beta += float(np.clip(step, -2.0, 2.0))
        if abs(step) < 1e-12:
            break
    return math.exp(beta)


def _weights(h: Hazard, weights: np.ndarray) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    if w.shape != h.valid.shape or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"weights: expected {h.valid.shape[0]} finite weights >= 0 with a positive sum")
    if (~h.valid & (w > 0)).any():
        raise ValueError("weights: a patient without a valid burden course or covariates has a weight > 0")
    return w / w.sum()

