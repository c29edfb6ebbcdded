"""Each patient's tumour-burden history as the joint survival model sees it (pure functions over arrays).

The true total tumour volume B(t) (cm^3, every simulated lesion, seen or not, noise-free) is known at the
simulated times t_0 = 0 < ... < t_n. Between them ln B is interpolated linearly; beyond t_n it continues
with the growth rate of the last ``extrapolation_window_days`` (clipped). A burden below
``tumour_free_cm3`` counts as no tumour, and a tumour-free course stays tumour-free. The growth rate is
g(t) = [ln B(t) - ln B(max(t - W, 0))] / W with W = ``growth_window_days`` (before day 0 the burden is its
baseline). Both ln B and g are then linear between the common knots {t_k} U {t_k + W}, so the log tumour
hazard is too, and its integral is exact (``ovsim.trial._survival``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._survival_spec import SurvivalModel

_PI_6 = math.pi / 6.0


def total_volume_cm3(diameter_cm: np.ndarray, exists: np.ndarray) -> np.ndarray:
    """Total tumour volume (cm^3) per patient and time: the sum of pi/6 d^3 over existing lesions.

    diameter_cm: (P, T, L) longest diameters (cm) of the simulated (spherical) lesions; exists: (P, L).
    A non-finite diameter of an existing lesion gives NaN (a failed simulation, never a burden)."""
    d = np.asarray(diameter_cm, dtype=float)
    e = np.asarray(exists, dtype=bool)
    if d.ndim != 3 or e.shape != (d.shape[0], d.shape[2]):
        raise ValueError(f"diameter_cm: expected shape (P, T, L) with exists (P, L) (got {d.shape}, {e.shape})")
    v = np.where(e[:, None, :], _PI_6 * np.maximum(np.where(e[:, None, :], d, 0.0), 0.0) ** 3, 0.0)
    bad = e[:, None, :] & ~np.isfinite(d)
    return np.where(bad.any(axis=2), np.nan, v.sum(axis=2))


@dataclass(frozen=True)
class BurdenCourse:
    """Parameter-free history of P patients on common knots (days); see the module docstring.

    log_burden, growth_per_day: (P, K) ln(B / cm^3) (floored at the tumour-free level) and g (1/day) at the
    knots; active: (P, K-1) whether each segment carries tumour; beyond the last knot ln B grows at
    tail_growth_per_day (P,) until tail_free_day (P,; inf: never tumour-free); valid: (P,) finite history."""

    knots_day: np.ndarray
    log_burden: np.ndarray
    growth_per_day: np.ndarray
    active: np.ndarray
    tail_growth_per_day: np.ndarray
    tail_free_day: np.ndarray
    valid: np.ndarray

    def __len__(self) -> int:
        return self.log_burden.shape[0]

    def take(self, rows: np.ndarray) -> "BurdenCourse":
        """The courses of patients ``rows`` (an index or boolean mask)."""
        return BurdenCourse(self.knots_day, self.log_burden[rows], self.growth_per_day[rows], self.active[rows],
                            self.tail_growth_per_day[rows], self.tail_free_day[rows], self.valid[rows])


def _interp_rows(t: np.ndarray, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Row-wise linear interpolation of y (P, T) given at t (T,) to x (X,) inside [t_0, t_n]: (P, X)."""
    x = np.clip(x, t[0], t[-1])
    j = np.clip(np.searchsorted(t, x, side="right") - 1, 0, len(t) - 2) if len(t) > 1 else np.zeros(len(x), int)
    if len(t) == 1:
        return np.repeat(y[:, :1], len(x), axis=1)
    a = (x - t[j]) / (t[j + 1] - t[j])
    return y[:, j] * (1.0 - a) + y[:, j + 1] * a


def check_times(time_day: np.ndarray) -> np.ndarray:
    """The simulated times (days) as floats: finite, strictly increasing, from 0 (``ValueError`` otherwise)."""
    t = np.asarray(time_day, dtype=float)
    if t.ndim != 1 or len(t) == 0 or not np.isfinite(t).all() or t[0] != 0.0 or np.any(np.diff(t) <= 0):
        raise ValueError(f"time_day: expected finite, strictly increasing days from 0 (got {t[:5].tolist()}...)")
    return t


def burden_course(time_day: np.ndarray, volume_cm3: np.ndarray, model: SurvivalModel) -> BurdenCourse:
    """The courses of P patients from their total volume (P, T) at the simulated times ``time_day`` (T,)."""
    t = check_times(time_day)
    v = np.asarray(volume_cm3, dtype=float)
    if v.ndim != 2 or v.shape[1] != len(t):
        raise ValueError(f"volume_cm3: expected shape (P, {len(t)}) (got {v.shape})")
    valid = np.isfinite(v).all(axis=1) & (v >= 0).all(axis=1)
    free = math.log(model.tumour_free_cm3)
    log_b = np.log(np.maximum(np.where(valid[:, None], v, 0.0), model.tumour_free_cm3))
    end, window = t[-1], model.growth_window_days

    # extrapolation beyond the horizon: the growth rate of the last window, clipped; tumour-free stays so
    span = min(model.extrapolation_window_days, end)
    if span > 0:
        g_tail = (log_b[:, -1] - _interp_rows(t, log_b, np.array([end - span]))[:, 0]) / span
    else:  # a single simulated time: nothing to extrapolate
        g_tail = np.zeros(len(v))
    g_tail = np.clip(g_tail, model.extrapolation_growth_min_per_day, model.extrapolation_growth_max_per_day)
    g_tail = np.where(log_b[:, -1] > free, g_tail, 0.0)

    def extended(x: np.ndarray) -> np.ndarray:  # ln B at days x (any >= 0), floored at the tumour-free level
        inside = _interp_rows(t, log_b, x)
        beyond = np.maximum(log_b[:, -1:] + g_tail[:, None] * (x[None, :] - end), free)
        return np.where(x[None, :] <= end, inside, beyond)

    knots = np.unique(np.concatenate([t, t + window]))
    lk = extended(knots)
    gk = (lk - extended(np.maximum(knots - window, 0.0))) / window
    active = (lk[:, :-1] > free) | (lk[:, 1:] > free)

    last = lk[:, -1]
    shrinking = np.where(g_tail < 0, g_tail, -1.0)
    free_day = np.where(last <= free, knots[-1], np.where(g_tail >= 0, np.inf, knots[-1] + (free - last) / shrinking))
    return BurdenCourse(knots, lk, gk, active, g_tail, free_day, valid)
