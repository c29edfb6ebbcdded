"""What each target pins down: Sobol indices over the hyperparameters and profile likelihoods.

**Sobol indices.** For a model output Y = f(theta), theta uniform on a box, two independent
(n, D) sample matrices A and B and, for each input i, A_B^(i) = A with column i from B:

    first order   S_i  = mean(f(B) (f(A_B^(i)) - f(A))) / Var(Y)       (Saltelli et al. 2010, Comput Phys Commun 181:259)
    total         ST_i = mean((f(A) - f(A_B^(i)))^2) / 2 / Var(Y)       (Jansen 1999, "Analysis of variance
                                                                          designs for model output")

n (D + 2) evaluations; A and B from a scrambled Sobol sequence of dimension 2D (scipy.stats.qmc).

**Profile likelihood** (Raue et al. 2009, Bioinformatics 25:1923): for a grid of values of one
hyperparameter, the log-likelihood maximised over all the others (scipy Nelder-Mead within the
prior box, started from the neighbouring grid point's optimum, walking outwards from the maximum,
and from the overall maximum; the grid includes the maximum's own value). The 95%
confidence set is where the profile lies within chi2_1(0.95)/2 = 1.92 of the maximum; a profile
that stays above that threshold to a bound of the box means the targets do not bound it there.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.stats import chi2, qmc

PROFILE_DROP = float(chi2.ppf(0.95, 1) / 2)  # 1.92: 95% pointwise threshold of a profile (1 parameter)
_PENALTY = 1e10  # the objective where the log-likelihood is -inf (outside the feasible set)


def sobol_indices(f: Callable[[np.ndarray], dict[str, np.ndarray]], bounds: np.ndarray, names: list[str], *,
                  n: int = 1024, seed: int = 0) -> pd.DataFrame:
    """First-order and total Sobol indices of every output of ``f`` ((M, D) -> {output: (M,)}) over
    the box ``bounds`` (D, 2). ``n`` is rounded up to a power of 2. One row per output and input."""
    bounds = np.asarray(bounds, dtype=float)
    D = len(names)
    if bounds.shape != (D, 2) or not np.all(bounds[:, 1] > bounds[:, 0]):
        raise ValueError(f"bounds: expected ({D}, 2) with low < high")
    m = max(int(math.ceil(math.log2(max(int(n), 8)))), 3)
    u = qmc.Sobol(2 * D, scramble=True, seed=np.random.default_rng(np.random.SeedSequence(int(seed)))).random_base2(m)
    lo, width = bounds[:, 0], bounds[:, 1] - bounds[:, 0]
    A, B = lo + width * u[:, :D], lo + width * u[:, D:]
    N = len(A)
    mats = [A, B] + [np.where(np.arange(D) == i, B, A) for i in range(D)]
    ys = f(np.vstack(mats))
    rows = []
    for out, y in ys.items():
        y = np.asarray(y, dtype=float).reshape(D + 2, N)
        fa, fb = y[0], y[1]
        good = np.isfinite(y).all(axis=0)
        var = float(np.var(np.concatenate([fa[good], fb[good]]))) if good.sum() > 1 else math.nan
        for i, name in enumerate(names):
            fab = y[2 + i]
            s1 = float(np.mean((fb * (fab - fa))[good]) / var) if var > 0 else math.nan  # NaN var: not > 0
            st = float(np.mean(((fa - fab) ** 2)[good]) / 2 / var) if var > 0 else math.nan
            rows.append({"output": out, "input": name, "first_order": s1, "total": st, "variance": var,
                         "samples": int(good.sum())})
    return pd.DataFrame(rows)


def _maximise(loglik: Callable[[np.ndarray], float], starts: list[np.ndarray], bounds: np.ndarray) -> tuple[np.ndarray, float]:
    """Nelder-Mead from each start, within ``bounds`` by a logistic map of each coordinate (scipy's
    clipping collapses the simplex at a bound); the best point found."""
    lo, width = bounds[:, 0], bounds[:, 1] - bounds[:, 0]

    def to_x(z: np.ndarray) -> np.ndarray:
        return lo + width / (1.0 + np.exp(-np.clip(z, -40, 40)))

    def obj(z: np.ndarray) -> float:
        v = float(loglik(to_x(z)))
        return -v if math.isfinite(v) else _PENALTY

    best_x, best_v = None, -math.inf
    for x0 in starts:
        u = np.clip((np.asarray(x0, dtype=float) - lo) / width, 1e-6, 1 - 1e-6)
        z0 = np.log(u / (1 - u))
        res = minimize(obj, z0, method="Nelder-Mead", options={
            "initial_simplex": np.vstack([z0, z0 + np.diag(np.where(z0 > 0, -0.5, 0.5))]),
            "xatol": 1e-4, "fatol": 1e-6, "maxfev": 300 * len(z0), "adaptive": True})
        for x in (to_x(res.x), np.asarray(x0, dtype=float)):
            v = float(loglik(x))
            if best_x is None or v > best_v:
                best_x, best_v = x, v
    return best_x, best_v


def maximise_likelihood(loglik: Callable[[np.ndarray], float], x0: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, float]:
    """The maximum of ``loglik`` (D,) -> float within ``bounds`` (D, 2), started at ``x0`` (Nelder-Mead)."""
    return _maximise(loglik, [np.asarray(x0, dtype=float)], np.asarray(bounds, dtype=float))


def profile_likelihood(loglik: Callable[[np.ndarray], float], x_hat: np.ndarray, bounds: np.ndarray, index: int,
                       grid: np.ndarray, *, name: str = "") -> pd.DataFrame:
    """The profile of input ``index`` over ``grid``: columns ``value``, ``log_likelihood`` and the
    maximising inputs ``x`` (tuple). ``attrs``: ``max_log_likelihood`` (over the profile and
    ``x_hat``), ``threshold`` (max - 1.92), ``interval`` (lowest and highest grid values at or above
    it), ``bounded_low`` / ``bounded_high`` (the profile falls below the threshold before the box ends)
    and ``infeasible_low`` / ``infeasible_high`` (it falls to -inf there: the edge of the feasible set)."""
    bounds = np.asarray(bounds, dtype=float)
    x_hat = np.asarray(x_hat, dtype=float)
    grid = np.asarray(grid, dtype=float)
    if bounds[index, 0] <= x_hat[index] <= bounds[index, 1]:
        grid = np.append(grid, x_hat[index])
    grid = np.unique(grid)
    if not (0 <= index < len(x_hat)) or bounds.shape != (len(x_hat), 2):
        raise ValueError(f"index, bounds: expected 0 <= index < {len(x_hat)} and bounds ({len(x_hat)}, 2)")
    others = np.arange(len(x_hat)) != index
    sub = bounds[others]

    def fixed(v: float) -> Callable[[np.ndarray], float]:
        def ll(y: np.ndarray) -> float:
            x = np.empty(len(x_hat))
            x[index], x[others] = v, y
            return float(loglik(x))
        return ll

    results: dict[int, tuple[float, np.ndarray]] = {}
    start = int(np.argmin(np.abs(grid - x_hat[index])))
    for order in (range(start, len(grid)), range(start - 1, -1, -1)):
        y0 = x_hat[others]
        for j in order:
            if sub.size:
                y, v = _maximise(fixed(grid[j]), [y0, x_hat[others]] if j != start else [y0], sub)
            else:
                y, v = np.empty(0), fixed(grid[j])(np.empty(0))
            x = np.empty(len(x_hat))
            x[index], x[others] = grid[j], y
            results[j] = (v, x)
            y0 = y if math.isfinite(v) else y0
    table = pd.DataFrame({"parameter": name, "value": grid, "log_likelihood": [results[j][0] for j in range(len(grid))],
                          "x": [tuple(results[j][1]) for j in range(len(grid))]})
    best = max(float(table["log_likelihood"].max()), float(loglik(x_hat)))
    threshold = best - PROFILE_DROP
    inside = table["log_likelihood"].to_numpy() >= threshold
    values = grid[inside]
    ll = table["log_likelihood"].to_numpy()
    first, last = (int(np.argmax(inside)), len(grid) - 1 - int(np.argmax(inside[::-1]))) if len(values) else (0, 0)
    table.attrs.update({"max_log_likelihood": best, "threshold": threshold,
                        "interval": (float(values.min()), float(values.max())) if len(values) else (math.nan, math.nan),
                        "bounded_low": bool(len(values) and not inside[0]),
                        "bounded_high": bool(len(values) and not inside[-1]),
                        # the bound is the feasible set's edge (e.g. the pool ESS floor), not the targets' information
                        "infeasible_low": bool(len(values) and first > 0 and not np.isfinite(ll[first - 1])),
                        "infeasible_high": bool(len(values) and last < len(grid) - 1 and not np.isfinite(ll[last + 1]))})
    return table
