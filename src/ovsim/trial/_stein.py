"""Descriptive tumour growth-rate constant: the Stein model fitted to a patient's measured burden.

Each patient's measured tumour burden relative to baseline is fitted by the Stein model
``y(t) = exp(-ks t) + exp(kg t) - 1`` (Stein et al. Clin Cancer Res 2011;17:907), on the log
scale, by a vectorised grid search refined once around each patient's best point. KG (1/day) is
reported per patient (``growth_rate_per_day``), fitted over the assessments while the patient is alive; it no
longer drives survival (the joint model does, ``ovsim.trial._survival``).
"""

from __future__ import annotations

import numpy as np

KG_FLOOR_PER_DAY = 1e-4
"""Smallest growth-rate constant of the fit (1/day): a sustained complete response gets this floor."""
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
    time_day: np.ndarray, burden: np.ndarray, baseline: np.ndarray, kg_floor_per_day: float = KG_FLOOR_PER_DAY
) -> tuple[np.ndarray, np.ndarray]:
    """Stein-model rates per patient: returns (kg, ks), each (P,) in 1/day.

    time_day: (V,) assessment days; burden: (P, V) tumour burden (NaN = not assessed);
    baseline: (P,) baseline burden (> 0; patients with a non-positive or NaN baseline, or fewer than two
    assessments, get NaN rates: there is no growth to fit).
    """
    t = np.asarray(time_day, dtype=float)
    b = np.asarray(burden, dtype=float)
    b0 = np.asarray(baseline, dtype=float)
    if b.ndim != 2 or b.shape[1] != t.shape[0] or b0.shape != (b.shape[0],):
        raise ValueError(f"burden: expected shape (P, {t.shape[0]}) with baseline (P,) (got {b.shape}, {b0.shape})")
    ok = np.isfinite(b0) & (b0 > 0)
    y = np.where(ok[:, None], b / np.where(ok, b0, 1.0)[:, None], np.nan)
    mask = np.isfinite(y)
    ok &= mask.sum(axis=1) >= 2
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
