"""Overall survival from the joint model: per-patient hazard, survival curves, death times, censoring.

    h_i(t) = h_bg(t) + lambda0 (B_i(t) / B_ref)^beta_B exp(beta_G g_i(t) + beta_ECOG [ECOG >= 1] + beta_LDH [LDH > ULN])

with B_i and g_i from :func:`~ovsim.trial._survival_burden.burden_course` (zero tumour hazard once
tumour-free) and h_bg(t) = h_a exp(b t) the Gompertz background hazard at the patient's age
(:class:`SurvivalModel`, docs/trial.md). The log tumour hazard is linear between the course's knots
and beyond the last one, so the cumulative hazard H_i(t) is exact (sums of integrals of exponentials of
linear functions); S_i(t) = exp(-H_i(t)). A death time inverts H_i(t) = -ln U_i with the patient's own
uniform U_i (:func:`survival_draws`); censoring is administrative, at the end of follow-up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from ..model import DAYS_PER_MONTH
from ._survival_burden import BurdenCourse
from ._survival_spec import SurvivalModel, check_model

_DAYS_PER_YEAR = 365.25


def _phi(x: np.ndarray) -> np.ndarray:
    """(exp(x) - 1) / x, 1 at x = 0 (the integral of exp(x s) over s in [0, 1]); expm1 keeps small x exact."""
    x = np.where(x == 0.0, 1e-300, x)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.expm1(x) / x


def _covariates(ecog: np.ndarray, ldh_x_uln: np.ndarray, model: SurvivalModel) -> np.ndarray:
    e, l = np.asarray(ecog, dtype=float), np.asarray(ldh_x_uln, dtype=float)
    z = model.beta_ecog1 * (e >= 1) + model.beta_ldh_high * (l > 1.0)
    return np.where(np.isfinite(e) & np.isfinite(l), z, np.nan)


@dataclass(frozen=True)
class Hazard:
    """Cumulative hazard of P patients (days); build with :func:`hazard`."""

    knots_day: np.ndarray
    eta: np.ndarray          # (P, K) log tumour hazard (1/day) at the knots
    exp_eta: np.ndarray      # (P, K) the tumour hazard (1/day) at the knots
    slope: np.ndarray        # (P, K-1) its slope per segment (1/day^2 on the log scale)
    active: np.ndarray       # (P, K-1)
    at_knots: np.ndarray     # (P, K) cumulative tumour hazard at the knots
    tail_slope: np.ndarray   # (P,) log-hazard slope beyond the last knot
    tail_free_day: np.ndarray
    background_per_day: float
    gompertz_per_day: float
    valid: np.ndarray        # (P,)

    def take(self, rows: np.ndarray) -> "Hazard":
        """The hazards of patients ``rows`` (an index or boolean mask)."""
        return Hazard(self.knots_day, self.eta[rows], self.exp_eta[rows], self.slope[rows], self.active[rows],
                      self.at_knots[rows], self.tail_slope[rows], self.tail_free_day[rows], self.background_per_day,
                      self.gompertz_per_day, self.valid[rows])

    def tumour(self, t_day: np.ndarray, per_patient: bool = False) -> np.ndarray:
        """Cumulative tumour hazard at ``t_day``: a common grid (G,) -> (P, G), or one time per patient (P,)."""
        t = np.asarray(t_day, dtype=float)
        k = self.knots_day  # at least two knots (0 and the growth window)
        last = len(k) - 1
        if per_patient:
            j = np.clip(np.searchsorted(k, t, side="right") - 1, 0, last - 1)
            rows = np.arange(len(t))
            tau = np.clip(t - k[j], 0.0, None)
            seg = np.where(self.active[rows, j], self.exp_eta[rows, j] * tau * _phi(self.slope[rows, j] * tau), 0.0)
            tail_t = np.clip(np.minimum(t, self.tail_free_day) - k[-1], 0.0, None)
            tail = self.exp_eta[:, -1] * tail_t * _phi(self.tail_slope * tail_t)
            return np.where(t < k[-1], self.at_knots[rows, j] + seg, self.at_knots[:, -1] + tail)
        out = np.empty((self.eta.shape[0], len(t)))
        inside = t < k[-1]
        if inside.any():
            ti = t[inside]
            j = np.clip(np.searchsorted(k, ti, side="right") - 1, 0, last - 1)
            tau = np.clip(ti - k[j], 0.0, None)
            seg = self.exp_eta[:, j] * tau * _phi(self.slope[:, j] * tau)
            out[:, inside] = self.at_knots[:, j] + np.where(self.active[:, j], seg, 0.0)
        if not inside.all():
            tail_t = np.clip(np.minimum(t[~inside][None, :], self.tail_free_day[:, None]) - k[-1], 0.0, None)
            tail = self.exp_eta[:, -1:] * tail_t * _phi(self.tail_slope[:, None] * tail_t)
            out[:, ~inside] = self.at_knots[:, -1:] + tail
        return out

    def background(self, t_day: np.ndarray) -> np.ndarray:
        """Cumulative Gompertz background hazard at ``t_day`` (any shape)."""
        t = np.asarray(t_day, dtype=float)
        with np.errstate(over="ignore"):
            return self.background_per_day * t * _phi(self.gompertz_per_day * t)

    def cumulative(self, t_day: np.ndarray, per_patient: bool = False) -> np.ndarray:
        """H_i(t) = tumour + background; NaN for patients without a valid course or covariates."""
        t = np.asarray(t_day, dtype=float)
        h = self.tumour(t, per_patient) + (self.background(t) if per_patient else self.background(t)[None, :])
        return np.where(self.valid if per_patient else self.valid[:, None], h, np.nan)


def hazard(course: BurdenCourse, ecog: np.ndarray, ldh_x_uln: np.ndarray, model: SurvivalModel) -> Hazard:
    """The joint model's hazard for the patients of ``course`` with their ECOG (P,) and LDH (x ULN, P,)."""
    check_model(model)
    z = _covariates(ecog, ldh_x_uln, model)
    if z.shape != (len(course),):
        raise ValueError(f"ecog, ldh_x_uln: expected one value per patient ({len(course)}) (got {z.shape})")
    log_l0 = math.log(model.tumour_hazard_per_month / DAYS_PER_MONTH)
    eta = (log_l0 + model.beta_burden * (course.log_burden - math.log(model.burden_reference_cm3))
           + model.beta_growth_day * course.growth_per_day + np.nan_to_num(z)[:, None])
    dk = np.diff(course.knots_day)
    slope = np.diff(eta, axis=1) / dk
    with np.errstate(over="ignore", invalid="ignore"):
        seg = np.where(course.active, np.exp(eta[:, :-1]) * dk * _phi(slope * dk), 0.0)
    at_knots = np.concatenate([np.zeros((len(course), 1)), np.cumsum(seg, axis=1)], axis=1)
    return Hazard(course.knots_day, eta, np.exp(eta), slope, course.active, at_knots,
                  model.beta_burden * course.tail_growth_per_day, course.tail_free_day, model.background_hazard_at_start_per_year() / _DAYS_PER_YEAR,
                  model.background_gompertz_per_year / _DAYS_PER_YEAR, course.valid & np.isfinite(z))


def survival_function(course: BurdenCourse, ecog: np.ndarray, ldh_x_uln: np.ndarray, model: SurvivalModel,
                      months: np.ndarray) -> np.ndarray:
    """S_i(t) = exp(-H_i(t)) on the grid ``months`` (M,): (P, M); NaN rows for invalid patients."""
    m = np.asarray(months, dtype=float)
    if m.ndim != 1 or not np.isfinite(m).all() or (m < 0).any():
        raise ValueError("months: expected a 1-D grid of finite months >= 0")
    return np.exp(-hazard(course, ecog, ldh_x_uln, model).cumulative(m * DAYS_PER_MONTH))


def death_months(h: Hazard, u: np.ndarray, iterations: int = 64) -> np.ndarray:
    """Each patient's death time (months): the t with H_i(t) = -ln u_i, u_i in (0, 1) (bisection, exact to
    ~1e-12 of the bracket). H_i >= the background's, which bounds the search; NaN for invalid patients."""
    u = np.asarray(u, dtype=float)
    if u.shape != h.valid.shape or not (np.isfinite(u) & (u > 0) & (u < 1)).all():
        raise ValueError(f"u: expected one number in (0, 1) per patient ({h.valid.shape[0]})")
    target = -np.log(u)
    lo = np.zeros_like(target)
    hi = np.log1p(target * h.gompertz_per_day / h.background_per_day) / h.gompertz_per_day  # background alone
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        below = h.cumulative(mid, per_patient=True) < target
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return np.where(h.valid, 0.5 * (lo + hi) / DAYS_PER_MONTH, np.nan)


def survival_draws(seed: int, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per patient: the uniform U of its death time and the uniform of its accrual time, from its own stream.

    Patient ``i`` uses ``SeedSequence(seed, spawn_key=(i, 2))`` (key 2: distinct from the population's and
    the measurement's streams): its first draw is a standard normal z, its second the accrual uniform, as in
    earlier versions; U = Phi(-z), so a larger z still means a later death. The draws do not depend on how
    patients are split or ordered."""
    out = np.empty((len(index), 2))
    for k, i in enumerate(np.asarray(index, dtype=int)):
        rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(i), 2)))
        out[k] = rng.standard_normal(), rng.random()
    u = np.clip(ndtr(-out[:, 0]), 1e-300, 1.0 - 2.0**-53)
    return u, out[:, 1]


def censor(os_months: np.ndarray, accrual_u: np.ndarray, follow_up_months: float, accrual_months: float
           ) -> tuple[np.ndarray, np.ndarray]:
    """Administrative censoring: a patient enrolled at ``u * accrual`` is followed until the analysis at
    ``accrual + follow_up`` months. Returns (observed time in months, event observed).

    Non-finite results are failures, never data: a survival time that is NaN, infinite or not > 0 is
    neither an event nor censored at the analysis: its observed time is NaN and its event False, so the
    caller flags the patient (``ok`` False) and counts it. Follow-up and accrual must be finite numbers
    >= 0 and the accrual draws finite numbers in [0, 1] (``ValueError`` otherwise: these are the
    trial's, not one patient's).
    """
    for name, value in (("follow_up_months", follow_up_months), ("accrual_months", accrual_months)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not math.isfinite(value) or value < 0:
            raise ValueError(f"survival.{name}: expected a finite number >= 0 (got {value!r})")
    try:
        os_, u = np.broadcast_arrays(np.asarray(os_months, dtype=float), np.asarray(accrual_u, dtype=float))
    except ValueError:
        raise ValueError(f"accrual_u: expected the shape of os_months {np.shape(os_months)} "
                         f"(got {np.shape(accrual_u)})") from None
    bad_u = ~(np.isfinite(u) & (u >= 0) & (u <= 1))
    if bad_u.any():
        raise ValueError(f"accrual_u: expected finite numbers in [0, 1] (got {float(u[bad_u].flat[0])!r} "
                         f"at position {int(np.flatnonzero(bad_u.reshape(-1))[0])})")
    limit = follow_up_months + accrual_months * (1.0 - u)
    valid = np.isfinite(os_) & (os_ > 0)
    event = valid & (os_ <= limit)
    return np.where(valid, np.where(event, os_, limit), np.nan), event


def days_to_months(days: np.ndarray) -> np.ndarray:
    """Days to months (365.25 / 12 days)."""
    return np.asarray(days, dtype=float) / DAYS_PER_MONTH
