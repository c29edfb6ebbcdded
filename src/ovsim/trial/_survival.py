"""From simulated tumour burden to overall survival: Stein-model KG, then a log-normal OS draw.

Each patient's measured tumour burden relative to baseline is fitted by the Stein model
``y(t) = exp(-ks t) + exp(kg t) - 1`` (Stein et al. Clin Cancer Res 2011;17:907), on the log
scale, by a vectorised grid search refined once around each patient's best point. KG (1/day)
then sets the patient's survival time with :class:`SurvivalModel` (a Claret-type log-normal
model); censoring is administrative, at the end of follow-up.
"""

from __future__ import annotations

import math

import numpy as np

from ..model import DAYS_PER_MONTH
from ._survival_spec import SurvivalModel

_OFFSET = 0.05  # log(y + offset): a complete response (y = 0) stays finite, small burdens still count
_KS_MAX, _KG_MAX = 0.2, 0.05  # 1/day: grid upper bounds (shrinkage half-life 3.5 days, doubling 14 days)


def _loss(log_obs: np.ndarray, mask: np.ndarray, log_pred: np.ndarray) -> np.ndarray:
    """Sum over visits of mask * (log_obs - log_pred)^2: (P, V), (P, V), (G, V) -> (P, G)."""
    m = mask.astype(float)
    yy = np.sum(m * log_obs**2, axis=1, keepdims=True)
    return yy - 2.0 * (m * log_obs) @ log_pred.T + m @ (log_pred**2).T


def _stein(t: np.ndarray, ks: np.ndarray, kg: np.ndarray) -> np.ndarray:
    """log(y + offset) of the Stein model; broadcasts ks, kg against t (days)."""
    return np.log(np.exp(-ks * t) + np.exp(kg * t) - 1.0 + _OFFSET)


def fit_growth_rate(
    time_day: np.ndarray, burden: np.ndarray, baseline: np.ndarray, kg_floor_per_day: float = 1e-4
) -> tuple[np.ndarray, np.ndarray]:
    """Stein-model rates per patient: returns (kg, ks), each (P,) in 1/day.

    time_day: (V,) assessment days; burden: (P, V) tumour burden (NaN = not assessed);
    baseline: (P,) baseline burden (> 0; patients with a non-positive or NaN baseline get NaN rates).
    """
    t = np.asarray(time_day, dtype=float)
    b = np.asarray(burden, dtype=float)
    b0 = np.asarray(baseline, dtype=float)
    if b.ndim != 2 or b.shape[1] != t.shape[0] or b0.shape != (b.shape[0],):
        raise ValueError(f"burden: expected shape (P, {t.shape[0]}) with baseline (P,) (got {b.shape}, {b0.shape})")
    ok = np.isfinite(b0) & (b0 > 0)
    y = np.where(ok[:, None], b / np.where(ok, b0, 1.0)[:, None], np.nan)
    mask = np.isfinite(y)
    log_obs = np.where(mask, np.log(np.where(mask, y, 0.0) + _OFFSET), 0.0)

    ks_grid = np.concatenate([[0.0], np.geomspace(1e-4, _KS_MAX, 40)])
    kg_grid = np.geomspace(kg_floor_per_day, _KG_MAX, 48)
    ks_all, kg_all = (a.reshape(-1) for a in np.meshgrid(ks_grid, kg_grid, indexing="ij"))
    best = np.argmin(_loss(log_obs, mask, _stein(t[None, :], ks_all[:, None], kg_all[:, None])), axis=1)
    ks, kg = ks_all[best], kg_all[best]

    # refine: a 9 x 9 grid spanning one coarse step either side, per patient
    step_g = (kg_grid[1] / kg_grid[0]) ** np.linspace(-1, 1, 9)
    step_s = (ks_grid[2] / ks_grid[1]) ** np.linspace(-1, 1, 9)
    ks_loc = np.clip(ks[:, None, None] * step_s[None, :, None], 0.0, _KS_MAX) + 0.0 * step_g[None, None, :]
    kg_loc = np.clip(kg[:, None, None] * step_g[None, None, :], kg_floor_per_day, _KG_MAX) + 0.0 * step_s[None, :, None]
    ks_loc, kg_loc = ks_loc.reshape(len(ks), -1), kg_loc.reshape(len(kg), -1)
    pred = _stein(t[None, None, :], ks_loc[:, :, None], kg_loc[:, :, None])  # (P, 81, V)
    loss = np.sum(mask[:, None, :] * (log_obs[:, None, :] - pred) ** 2, axis=2)
    pick = np.argmin(loss, axis=1)
    rows = np.arange(len(ks))
    ks, kg = ks_loc[rows, pick], kg_loc[rows, pick]
    return np.where(ok, kg, np.nan), np.where(ok, ks, np.nan)


def survival_months(
    kg_per_day: np.ndarray, baseline_cm2: np.ndarray, ecog: np.ndarray, ldh_x_uln: np.ndarray,
    normal: np.ndarray, model: SurvivalModel,
) -> np.ndarray:
    """Overall survival (months) from the log-normal model; ``normal`` (P,) are standard normal draws.

    The model's coefficients must be finite (``ValueError`` naming the coefficient otherwise: a NaN or
    infinite coefficient would give every patient the same non-finite or degenerate survival). A
    patient whose own inputs are not finite (no growth rate: failed or unmeasurable) gets NaN, which
    :func:`censor` passes on so that the patient is flagged, never censored.
    """
    check_model(model)
    kg = np.maximum(np.asarray(kg_per_day, dtype=float), model.kg_floor_per_day)
    mu = (
        model.intercept_log_months
        + model.beta_log_kg * np.log(kg / model.kg_reference_per_day)
        + model.beta_log_baseline * np.log(np.asarray(baseline_cm2, dtype=float) / model.baseline_reference_cm2)
        + model.beta_ecog1 * (np.asarray(ecog) >= 1)
        + model.beta_ldh_high * (np.asarray(ldh_x_uln, dtype=float) > 1.0)
    )
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        os_months = np.exp(mu + model.sigma * np.asarray(normal, dtype=float))
    # 0 (underflow) or infinity (overflow) is not a survival time either: NaN, so the patient is flagged
    return np.where(np.isfinite(os_months) & (os_months > 0), os_months, np.nan)


def check_model(model: SurvivalModel) -> None:
    """``ValueError`` (one line, ``survival.model.<coefficient>``) if a coefficient is not a finite number."""
    for name, value in model.model_dump().items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"survival.model.{name}: expected a finite number (got {value!r})")


def survival_draws(seed: int, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per patient: a standard normal (OS) and a uniform (accrual time), from the patient's own stream.

    Patient ``i`` uses ``SeedSequence(seed, spawn_key=(i, 2))``, so the draws do not depend on how
    patients are split or ordered (key 2: distinct from the population's and the measurement's streams).
    """
    out = np.empty((len(index), 2))
    for k, i in enumerate(np.asarray(index, dtype=int)):
        rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(i), 2)))
        out[k] = rng.standard_normal(), rng.random()
    return out[:, 0], out[:, 1]


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
