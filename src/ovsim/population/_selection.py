"""Virtual-population selection by prevalence weighting (minimum relative entropy).

Method
------
In QSP calibration one simulates many *plausible patients* (PPs) drawn over documented
parameter ranges, then weights or selects a *virtual population* whose summaries match the
clinical targets (Allen, Rieger & Musante 2016, CPT Pharmacometrics Syst Pharmacol 5:140;
Rieger et al. 2018, Prog Biophys Mol Biol). Here the weights are the *prevalence weights* of
minimum relative entropy, also known as exponential tilting or entropy balancing
(Hainmueller 2012, Political Analysis 20:25)::

    minimise   KL(w || base) = sum_i w_i log(w_i / base_i)
    subject to sum_i w_i F[i, k] = t_k   (k = 1..K),   sum_i w_i = 1,   w >= 0.

The solution is ``w_i ∝ base_i exp(F_i · λ)`` with ``λ`` minimising the convex dual
``log sum_i base_i exp((F_i - t) · λ)``. Every target used in practice is linear in ``w`` once
written as a feature:

* a rate (mean of an indicator): feature ``flags``, target ``t``; within a subgroup ``g``:
  feature ``g (flags - t)``, target 0;
* a ratio ``sum w s / sum w n = r``: feature ``s - r n``, target 0;
* a quantile (``q``-quantile of ``x`` within ``g`` is ``m``): feature ``g (1[x <= m] - q)``,
  target 0;
* a stratum share: feature ``1[label == l]``, target ``share``.

Tolerances
----------
A constraint with ``tolerance = τ > 0`` only has to hold within ``± τ``. When the
constraint has a ``denominator`` ``d`` (the subgroup indicator of a rate or quantile, the
denominators of a ratio) the band is ``|sum w F - t| <= τ sum w d``, which is exactly
``|stated value - stated target| <= τ`` for the subgroup rate, ratio or quantile level; without
one, ``d = 1`` and the band is ``|sum w F - t| <= τ``. Either way the band is two linear
inequalities, handled by splitting the multiplier ``λ = λ+ - λ-`` with ``λ± >= 0``
(L-BFGS-B bounds). With ``d = 1`` this is the dual ``log sum base exp(F λ) - t λ + τ |λ|``, an
L1 penalty: a target already met within its tolerance leaves ``λ = 0`` (weights unchanged),
one that is not is met on the nearest edge of its band.

Numerics
--------
Features are centred on their targets and scaled by their standard deviation under ``base``
(conditioning); the dual uses a log-sum-exp with analytic gradient (weighted means) and
Hessian (weighted covariance). L-BFGS-B gives a first solution and its active set; an
active-set Newton polish (pseudo-inverse steps, line search) then solves the active constraints to machine
precision. Constraints must be met to ``max(100 tol, 1e-12)`` standard deviations of their
feature beyond their tolerance; if they are not — the targets lie outside the convex hull of
what the PPs span, jointly or singly — :func:`prevalence_weights` raises a ``ValueError``
naming the most violated constraints with achieved against target, rather than return wrong
weights.

Resampling
---------- (in :mod:`ovsim.population._resample`)
:func:`resample` draws ``n`` PP indices ∝ weights (optionally ``round(n share)`` per stratum,
largest remainder) from ``SeedSequence(seed)``. :func:`resample_one` and
:func:`resample_indexed` give virtual patient ``index`` its own stream
``SeedSequence(seed, spawn_key=(index, 3))`` (3 tags the selection purpose, apart from the
patient-generation stream ``(index,)``), so a population drawn that way is the same however
it is split into batches.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize

__all__ = [
    "Constraint",
    "Weights",
    "prevalence_weights",
    "quantile_constraint",
    "rate_constraint",
    "ratio_constraint",
    "share_constraint",
]

_THETA_MAX = 1e6  # bound on standardised multipliers: keeps an infeasible dual finite
_SELECT_KEY = 3  # spawn_key tag of the per-virtual-patient selection stream


# --------------------------------------------------------------------------- validation


def _vector(name: str, value: Any, n: int | None = None, *, allow_nan: bool = False) -> np.ndarray:
    """A 1-D float copy of ``value``, of length ``n`` if given, finite unless ``allow_nan``."""
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a 1-D array of numbers (got {type(value).__name__})") from None
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array (got shape {arr.shape})")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name}: expected length {n} (got {arr.shape[0]})")
    bad = np.isinf(arr) if allow_nan else ~np.isfinite(arr)
    if bad.any():
        raise ValueError(f"{name}: expected finite values (got {arr[bad][0]} at index {int(np.flatnonzero(bad)[0])})")
    return arr


def _number(name: str, value: Any, low: float | None = None, high: float | None = None) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a number (got {value!r})") from None
    if not math.isfinite(x) or (low is not None and x < low) or (high is not None and x > high):
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ValueError(f"{name}: expected a finite number in [{lo}, {hi}] (got {value!r})")
    return x


def _mask(name: str, value: Any, n: int | None = None) -> np.ndarray:
    """A boolean subgroup mask with at least one True."""
    arr = np.asarray(value)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D boolean array (got shape {arr.shape})")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name}: expected length {n} (got {arr.shape[0]})")
    if arr.dtype != bool:
        if not np.issubdtype(arr.dtype, np.number) or not np.isin(arr, (0, 1)).all():
            raise ValueError(f"{name}: expected booleans (got dtype {arr.dtype})")
        arr = arr.astype(bool)
    if not arr.any():
        raise ValueError(f"{name}: expected at least one True (the subgroup is empty)")
    return arr.copy()


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr.setflags(write=False)
    return arr


def _seed(seed: Any) -> int:
    if isinstance(seed, bool) or not (isinstance(seed, (int, np.integer)) and seed >= 0):
        raise ValueError(f"seed: expected an integer >= 0 (got {seed!r})")
    return int(seed)


# --------------------------------------------------------------------------- constraints


@dataclass(frozen=True, eq=False)
class Constraint:
    """One linear moment target: ``sum_i w_i feature_i = target`` within ``± tolerance``.

    ``denominator`` (N,) >= 0, optional: the band becomes ``|sum w feature - target| <=
    tolerance * sum w denominator`` — the tolerance of a subgroup rate, ratio or quantile level in
    its own units. ``stated``, optional: the target as stated (rate, ratio, quantile level) when
    ``feature`` encodes it with target 0; it only serves reports (``Weights.summary``).
    """

    name: str
    feature: np.ndarray
    target: float
    tolerance: float = 0.0
    denominator: np.ndarray | None = None
    stated: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name: expected a non-empty string (got {self.name!r})")
        feature = _vector(f"feature ({self.name})", self.feature)
        object.__setattr__(self, "feature", _frozen(feature))
        object.__setattr__(self, "target", _number(f"target ({self.name})", self.target))
        object.__setattr__(self, "tolerance", _number(f"tolerance ({self.name})", self.tolerance, low=0.0))
        if self.denominator is not None:
            den = _vector(f"denominator ({self.name})", self.denominator, feature.shape[0])
            if (den < 0).any():
                raise ValueError(f"denominator ({self.name}): expected values >= 0 (got {den.min():g})")
            if not (den > 0).any():
                raise ValueError(f"denominator ({self.name}): expected some value > 0 (all are 0)")
            object.__setattr__(self, "denominator", _frozen(den))
        if self.stated is not None:
            object.__setattr__(self, "stated", _number(f"stated ({self.name})", self.stated))

    def __len__(self) -> int:
        return int(self.feature.shape[0])


def rate_constraint(
    name: str, flags: Any, target: float, tolerance: float = 0.0, among: Any = None
) -> Constraint:
    """The weighted mean of ``flags`` (within the subgroup ``among`` if given) is ``target``.

    Within a subgroup the feature is ``among (flags - target)`` with target 0 and the
    tolerance applies to the subgroup rate itself; ``flags`` may be NaN outside ``among``.
    """
    target = _number("target", target)
    tolerance = _number("tolerance", tolerance, low=0.0)
    if among is None:
        return Constraint(name, _vector("flags", flags), target, tolerance)
    raw = _vector("flags", flags, allow_nan=True)
    group = _mask("among", among, raw.shape[0])
    if np.isnan(raw[group]).any():
        raise ValueError("flags: expected finite values within among (NaN only outside the subgroup)")
    feature = np.where(group, np.nan_to_num(raw) - target, 0.0)
    return Constraint(name, feature, 0.0, tolerance, denominator=group.astype(float), stated=target)


def ratio_constraint(
    name: str, successes: Any, denominators: Any, target: float, tolerance: float = 0.0
) -> Constraint:
    """``sum w successes / sum w denominators`` is ``target``: feature ``s - target n``, target 0."""
    s = _vector("successes", successes)
    d = _vector("denominators", denominators, s.shape[0])
    if (d < 0).any():
        raise ValueError(f"denominators: expected values >= 0 (got {d.min():g})")
    if not (d > 0).any():
        raise ValueError("denominators: expected some value > 0 (all are 0)")
    target = _number("target", target)
    tolerance = _number("tolerance", tolerance, low=0.0)
    return Constraint(name, s - target * d, 0.0, tolerance, denominator=d, stated=target)


def quantile_constraint(
    name: str, values: Any, at: float, q: float = 0.5, among: Any = None, tolerance: float = 0.0
) -> Constraint:
    """The weighted ``q``-quantile of ``values`` (within ``among``) is ``at``.

    Written as the weighted CDF at ``at`` being ``q``: feature ``among (1[values <= at] - q)``,
    target 0; ``tolerance`` is on the CDF level. NaN values are allowed only outside ``among``.
    """
    raw = _vector("values", values, allow_nan=True)
    at = _number("at", at)
    q = _number("q", q, low=0.0, high=1.0)
    if not 0.0 < q < 1.0:
        raise ValueError(f"q: expected a level strictly between 0 and 1 (got {q!r})")
    tolerance = _number("tolerance", tolerance, low=0.0)
    group = np.ones(raw.shape[0], bool) if among is None else _mask("among", among, raw.shape[0])
    if np.isnan(raw[group]).any():
        where = "within among" if among is not None else "(give among to exclude NaN patients)"
        raise ValueError(f"values: expected finite values {where}")
    below = np.where(group, np.nan_to_num(raw, nan=np.inf) <= at, False)
    feature = np.where(group, below - q, 0.0)
    den = None if among is None else group.astype(float)
    return Constraint(name, feature, 0.0, tolerance, denominator=den, stated=q)


def share_constraint(name: str, labels: Any, label: Any, share: float, tolerance: float = 0.0) -> Constraint:
    """The weighted share of patients whose ``labels`` equal ``label`` is ``share``."""
    lab = np.asarray(labels)
    if lab.ndim != 1:
        raise ValueError(f"labels: expected a 1-D array (got shape {lab.shape})")
    share = _number("share", share, low=0.0, high=1.0)
    tolerance = _number("tolerance", tolerance, low=0.0)
    flags = (lab == label).astype(float)
    if not flags.any() and share > tolerance:
        raise ValueError(f"label: {label!r} does not occur in labels (share {share:g} cannot be met)")
    return Constraint(name, flags, share, tolerance)


# --------------------------------------------------------------------------- weights


@dataclass(frozen=True, eq=False)
class Weights:
    """Prevalence weights and how well they meet each constraint.

    ``weights`` (N,) sum to 1; ``lambdas`` (K,) are the multipliers in feature units
    (``w ∝ base exp(F λ)`` when no tolerance uses a denominator); ``achieved`` and ``targets``
    (K,) are weighted feature means and their targets; ``max_violation`` is the largest miss
    beyond the tolerances, in stated units; ``effective_sample_size`` is Kish's ``1 / sum w²``;
    ``converged`` says the optimality conditions were certified (not only feasibility).
    """

    weights: np.ndarray
    lambdas: np.ndarray
    names: tuple[str, ...]
    achieved: np.ndarray
    targets: np.ndarray
    max_violation: float
    effective_sample_size: float
    converged: bool
    tolerances: np.ndarray = field(default_factory=lambda: np.zeros(0))
    violations: np.ndarray = field(default_factory=lambda: np.zeros(0))
    stated_targets: np.ndarray = field(default_factory=lambda: np.zeros(0))
    stated_achieved: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __len__(self) -> int:
        return int(self.weights.shape[0])

    def summary(self) -> pd.DataFrame:
        """One row per constraint: name, target, tolerance, achieved, violation (+ stated units)."""
        k = len(self.names)

        def col(arr: np.ndarray) -> np.ndarray:
            return arr if arr.shape[0] == k else np.full(k, np.nan)

        return pd.DataFrame(
            {
                "name": list(self.names),
                "target": self.targets,
                "tolerance": col(self.tolerances),
                "achieved": self.achieved,
                "violation": col(self.violations),
                "stated_target": col(self.stated_targets),
                "stated_achieved": col(self.stated_achieved),
                "lambda": self.lambdas,
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per plausible patient (index ``pp``): its weight."""
        return pd.DataFrame({"weight": self.weights}, index=pd.RangeIndex(len(self), name="pp"))


def _check_constraints(constraints: Any) -> list[Constraint]:
    if isinstance(constraints, Constraint):
        constraints = [constraints]
    if not isinstance(constraints, Sequence):
        constraints = list(constraints)
    out = list(constraints)
    seen: set[str] = set()
    for i, c in enumerate(out):
        if not isinstance(c, Constraint):
            raise ValueError(f"constraints[{i}]: expected a Constraint (got {type(c).__name__})")  # noqa: TRY004
        if c.name in seen:
            raise ValueError(f"constraints: duplicate name {c.name!r}")
        seen.add(c.name)
        if len(c) != len(out[0]):
            raise ValueError(
                f"constraints[{i}] ({c.name}): expected {len(out[0])} patients like {out[0].name!r} (got {len(c)})"
            )
    return out


class _Dual:
    """``f(θ) = log sum_i b_i exp(H_i · θ)`` on the support of ``b``, with gradient and Hessian."""

    def __init__(self, H: np.ndarray, logb: np.ndarray) -> None:
        self.H = H
        self.logb = logb

    def weights(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = self.logb + self.H @ theta
        m = float(z.max())
        e = np.exp(z - m)
        s = float(e.sum())
        return m + math.log(s), e / s

    def fun_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        f, w = self.weights(theta)
        return f, w @ self.H

    def hess(self, theta: np.ndarray, cols: np.ndarray) -> np.ndarray:
        _, w = self.weights(theta)
        Ha = self.H[:, cols]
        g = w @ Ha
        return (Ha * w[:, None]).T @ Ha - np.outer(g, g)


def _lbfgsb(dual: _Dual, free: np.ndarray, max_iter: int, tol: float) -> tuple[np.ndarray, bool]:
    bounds = [(-_THETA_MAX, _THETA_MAX) if f else (0.0, _THETA_MAX) for f in free]
    res = minimize(
        dual.fun_grad,
        np.zeros(free.shape[0]),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": max_iter, "maxfun": 5 * max_iter, "ftol": tol, "gtol": tol},
    )
    return np.asarray(res.x, float), bool(res.success)


def _newton(dual: _Dual, cols: np.ndarray, x0: np.ndarray, max_iter: int, tol: float) -> tuple[np.ndarray, bool]:
    """Damped Newton on the dual restricted to ``cols`` (others 0), stopping at ``|grad| <= tol``.

    Steps use the pseudo-inverse of the Hessian (eigenvalues below 1e-12 of the largest are
    dropped), so redundant constraints — e.g. the shares of every stratum — are harmless; a
    backtracking line search keeps it monotone. (scipy's trust-exact stalls on such singular
    Hessians.)
    """
    m = dual.H.shape[1]

    def fg(x: np.ndarray) -> tuple[float, np.ndarray]:
        full = np.zeros(m)
        full[cols] = x
        f, g = dual.fun_grad(full)
        return f, g[cols]

    x = np.array(x0, dtype=float)
    f, g = fg(x)
    for _ in range(max_iter):
        if np.abs(g).max() <= tol:
            return x, True
        full = np.zeros(m)
        full[cols] = x
        vals, vecs = np.linalg.eigh(dual.hess(full, cols))
        keep = vals > 1e-12 * max(vals.max(), 1e-300)
        step = -(vecs[:, keep] @ ((vecs[:, keep].T @ g) / vals[keep]))
        size = float(np.linalg.norm(step))
        if size > 10.0:
            step *= 10.0 / size
        slope = float(g @ step)
        if not slope < 0:
            return x, False
        alpha = 1.0
        for _ in range(60):
            xn = np.clip(x + alpha * step, -_THETA_MAX, _THETA_MAX)
            fn, gn = fg(xn)
            if fn <= f + 1e-4 * alpha * slope or (
                np.abs(gn).max() < np.abs(g).max() and fn <= f + 1e-12 * (1.0 + abs(f))
            ):
                break
            alpha *= 0.5
        else:
            return x, False
        x, f, g = xn, fn, gn
    return x, bool(np.abs(g).max() <= tol)


def _polish(
    dual: _Dual, free: np.ndarray, theta0: np.ndarray, max_iter: int, tol: float, feas: float
) -> tuple[np.ndarray, bool]:
    """Active-set Newton: solve the active rows as equalities, drop negative multipliers of
    inequality rows, add violated inactive inequality rows, until the KKT conditions hold."""
    active = free | (theta0 > 0)
    theta = np.where(active, theta0, 0.0)
    seen: set[bytes] = set()
    for _ in range(4 * free.shape[0] + 10):
        key = active.tobytes()
        if key in seen:
            return theta, False
        seen.add(key)
        cols = np.flatnonzero(active)
        if cols.size:
            x, _ = _newton(dual, cols, theta[cols], max_iter, tol)
            theta = np.zeros_like(theta)
            theta[cols] = x
        _, g = dual.fun_grad(theta)
        negative = active & ~free & (theta < 0)
        if negative.any():
            j = int(np.flatnonzero(negative)[np.argmin(theta[negative])])
            active[j] = False
            theta[j] = 0.0
            continue
        violated = ~active & (g < -feas)
        if violated.any():
            j = int(np.flatnonzero(violated)[np.argmin(g[violated])])
            active[j] = True
            continue
        ok = bool(np.all(np.abs(g[active]) <= feas))
        return theta, ok
    return theta, False


def prevalence_weights(
    constraints: Sequence[Constraint],
    base: Any = None,
    *,
    max_iter: int = 500,
    tol: float = 1e-10,
) -> Weights:
    """Minimum-relative-entropy weights (w.r.t. ``base``, default uniform) meeting ``constraints``.

    Raises ``ValueError`` naming the most violated constraints (achieved vs target) when the
    targets cannot be met by reweighting the plausible patients (see the module docstring).
    """
    cons = _check_constraints(constraints)
    if not (isinstance(max_iter, (int, np.integer)) and not isinstance(max_iter, bool) and max_iter >= 1):
        raise ValueError(f"max_iter: expected an integer >= 1 (got {max_iter!r})")
    tol = _number("tol", tol, low=0.0)
    if tol <= 0.0:
        raise ValueError(f"tol: expected a number > 0 (got {tol!r})")
    n = len(cons[0]) if cons else None
    if base is None:
        if n is None:
            raise ValueError("base: expected the plausible patients' base weights when there are no constraints")
        b = np.full(n, 1.0 / n)
    else:
        b = _vector("base", base, n)
        if (b < 0).any():
            raise ValueError(f"base: expected weights >= 0 (got {b.min():g})")
        if not b.sum() > 0:
            raise ValueError("base: expected some weight > 0 (all are 0)")
        b = b / b.sum()
        n = b.shape[0]
    if n == 0:
        raise ValueError("constraints: expected at least one plausible patient")
    k = len(cons)
    names = tuple(c.name for c in cons)
    if k == 0:
        return Weights(_frozen(b), np.zeros(0), names, np.zeros(0), np.zeros(0), 0.0, 1.0 / float(b @ b), True)

    F = np.column_stack([c.feature for c in cons])
    t = np.array([c.target for c in cons])
    tau = np.array([c.tolerance for c in cons])
    D = np.column_stack([np.ones(n) if c.denominator is None else c.denominator for c in cons])
    mean = b @ F
    sd = np.sqrt(np.maximum(b @ (F - mean) ** 2, 0.0))
    scale = np.where(sd > 1e-12 * np.maximum(1.0, np.abs(F).max(axis=0)), sd, 1.0)

    # Rows of the standardised dual: one free row per exact constraint, two bounded rows
    # (lower / upper edge of the band) per constraint with a tolerance.
    rows: list[np.ndarray] = []
    spec: list[tuple[bool, int, float]] = []  # (free, constraint, sign of its multiplier)
    for j in range(k):
        centred = (F[:, j] - t[j]) / scale[j]
        if tau[j] == 0.0:
            rows.append(centred)
            spec.append((True, j, 1.0))
        else:
            band = tau[j] * D[:, j] / scale[j]
            rows.append(centred + band)  # lower edge: mean >= t - τ D  (multiplier λ+)
            spec.append((False, j, 1.0))
            rows.append(-(centred - band))  # upper edge: mean <= t + τ D  (multiplier λ-)
            spec.append((False, j, -1.0))
    support = b > 0
    H = np.column_stack(rows)
    dual = _Dual(H[support], np.log(b[support]))
    free_arr = np.array([f for f, _, _ in spec])
    feas = max(100.0 * tol, 1e-12)

    theta1, ok1 = _lbfgsb(dual, free_arr, int(max_iter), tol)
    theta2, ok2 = _polish(dual, free_arr, theta1, int(max_iter), tol, feas)

    def assess(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        _, ws = dual.weights(theta)
        w = np.zeros(n)
        w[support] = ws
        a = w @ F
        miss = np.maximum(np.abs(a - t) - tau * (w @ D), 0.0) / scale
        return w, miss

    w1, miss1 = assess(theta1)
    w2, miss2 = assess(theta2)
    if miss2.max() <= miss1.max() or (ok2 and miss2.max() <= feas):
        theta, w, miss, converged = theta2, w2, miss2, ok2
    else:
        theta, w, miss, converged = theta1, w1, miss1, ok1 and miss1.max() <= feas

    achieved = w @ F
    den = w @ D
    has_den = np.array([c.denominator is not None for c in cons])
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(has_den, den, 1.0)
        violations = np.maximum(np.abs(achieved - t) - tau * den, 0.0) / per
        stated_t = np.array([c.target if c.stated is None else c.stated for c in cons])
        stated_a = stated_t + (achieved - t) / per
    if not miss.max() <= feas:
        order = np.argsort(-miss)
        bad = [j for j in order if miss[j] > feas]
        parts = [
            f"{names[j]!r} achieved {stated_a[j]:.6g} vs target {stated_t[j]:.6g}"
            + (f" ± {tau[j]:g}" if tau[j] > 0 else "")
            for j in bad[:3]
        ]
        more = f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""
        raise ValueError(
            "constraints: targets cannot be met by reweighting these plausible patients "
            "(outside what they span, singly or jointly); most violated: " + "; ".join(parts) + more
        )

    lambdas = np.zeros(k)
    for r, (_, j, sgn) in enumerate(spec):
        lambdas[j] += sgn * theta[r] / scale[j]
    w = _frozen(w)
    return Weights(
        weights=w,
        lambdas=_frozen(lambdas),
        names=names,
        achieved=_frozen(achieved),
        targets=_frozen(t),
        max_violation=float(np.nanmax(violations)) if k else 0.0,
        effective_sample_size=float(1.0 / (w @ w)),
        converged=bool(converged),
        tolerances=_frozen(tau),
        violations=_frozen(violations),
        stated_targets=_frozen(stated_t),
        stated_achieved=_frozen(stated_a),
    )
