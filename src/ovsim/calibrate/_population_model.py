"""A stage-invariant population distribution of the biology, by importance reweighting of the pool.

The pool's biology ``X`` (N x K) holds ``x_ik = log10(value_ik / default_k)`` (decades) of the K
redrawn parameters; they were drawn from the proposal ``q`` = independent uniforms on
``[-a_k, +a_k]``, ``a_k = log10(fold_k)`` (``plausible.log_uniform_fold``), independently of stage,
lesions and covariates (docs/calibration.md). The population model is

    p_phi(x) = prod_{k in modelled} TN(x_k; mu_k, sigma_k, [-a_k, a_k])      (others: uniform, as q)

with ``TN`` a normal (mean ``mu_k``, SD ``sigma_k``, decades) truncated to the proposal box. The
importance weight of pool patient i is ``w_i = p_phi(x_i) / q(x_i)``, normalised to sum 1. Since
``w`` depends on ``x`` alone and ``x`` is independent of stage in the pool, the weighted biology
distribution is the same in every stage (up to pool sampling): stage acts on outcomes only through
the measured disease features. :func:`stage_invariance` checks it.

A pool whose biology was drawn from another proposal (``PopulationModel.sample``: a defensive
mixture of the uniform box and a posterior's populations, to put more pool patients where the
targets want them) is reweighted the same way with its own ``log q``.

``phi`` is a flat vector: ``mu:<p>`` for every modelled parameter, then ``log_sigma:<p>``
(natural log of sigma in decades). Prior (assumed, weakly informative): ``mu_k ~ U(-a_k, a_k)``
(anywhere in the plausible range), ``log sigma_k ~ U(ln 0.05, ln 1)``: from a 12% coefficient of
variation (0.05 decades, tighter than any between-patient spread the pool could resolve) to one
decade (as wide as the widest plausible range, i.e. nearly the proposal itself).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import logsumexp, ndtr, ndtri
from scipy.stats import t as student_t

LOG_SIGMA_BOUNDS = (math.log(0.05), math.log(1.0))  # ln(decades): prior range of log sigma (assumed)
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


@dataclass(frozen=True)
class PopulationModel:
    """Which columns of ``X`` get a truncated-normal population distribution, and the proposal box."""

    names: tuple[str, ...]  # the K columns of X
    half_widths: tuple[float, ...]  # a_k = log10(fold_k), decades
    modelled: tuple[str, ...]  # the parameters with a population distribution (others: proposal)

    def __post_init__(self) -> None:
        if len(self.names) != len(self.half_widths):
            raise ValueError(f"half_widths: expected one per name ({len(self.names)}), got {len(self.half_widths)}")
        if any(not (a > 0 and math.isfinite(a)) for a in self.half_widths):
            raise ValueError("half_widths: expected positive finite log10 folds (a fold of 1 has no range to model)")
        unknown = [p for p in self.modelled if p not in self.names]
        if unknown or len(set(self.modelled)) != len(self.modelled) or not self.modelled:
            raise ValueError(f"modelled: expected distinct names among {', '.join(self.names)} (got {list(self.modelled)})")

    @classmethod
    def from_folds(cls, folds: dict[str, float], modelled: list[str] | tuple[str, ...]) -> "PopulationModel":
        """From ``plausible.log_uniform_fold`` (columns in sorted name order, as ``plausible_pool`` draws them)."""
        names = tuple(sorted(folds))
        return cls(names, tuple(math.log10(float(folds[n])) for n in names), tuple(modelled))

    @property
    def phi_names(self) -> list[str]:
        return [f"mu:{p}" for p in self.modelled] + [f"log_sigma:{p}" for p in self.modelled]

    @property
    def columns(self) -> np.ndarray:
        return np.array([self.names.index(p) for p in self.modelled])

    def bounds(self) -> np.ndarray:
        """(D, 2) prior box of phi: mu in [-a_k, a_k] decades, log sigma in LOG_SIGMA_BOUNDS."""
        a = np.array(self.half_widths)[self.columns]
        return np.vstack([np.column_stack([-a, a]), np.tile(LOG_SIGMA_BOUNDS, (len(a), 1))])

    def log_prior(self, phi: np.ndarray) -> np.ndarray:
        """Log density of the uniform prior at ``phi`` (..., D); -inf outside the box."""
        phi = self._phi(phi)
        b = self.bounds()
        inside = np.all((phi >= b[:, 0]) & (phi <= b[:, 1]), axis=-1)
        return np.where(inside, -float(np.sum(np.log(b[:, 1] - b[:, 0]))), -np.inf)

    def sample_prior(self, rng: np.random.Generator, n: int) -> np.ndarray:
        b = self.bounds()
        return b[:, 0] + (b[:, 1] - b[:, 0]) * rng.random((int(n), len(b)))

    def log_ratio(self, X: np.ndarray, phi: np.ndarray, log_q: np.ndarray | None = None) -> np.ndarray:
        """log p_phi(x_i) / q(x_i): (P, N) for ``phi`` (P, D), (N,) for ``phi`` (D,). ``q`` is the
        uniform box unless ``log_q`` (N,) gives each patient's proposal log density (a refined pool)."""
        X = self.check_X(X)
        phi = self._phi(phi)
        single = phi.ndim == 1
        phi = np.atleast_2d(phi)
        m = len(self.modelled)
        out = np.zeros((phi.shape[0], X.shape[0]))
        for j, col in enumerate(self.columns):
            a = self.half_widths[col]
            mu, sigma = phi[:, j, None], np.exp(phi[:, m + j, None])
            mass = ndtr((a - mu) / sigma) - ndtr((-a - mu) / sigma)  # truncation to the box
            z = (X[None, :, col] - mu) / sigma
            out += -0.5 * z * z - np.log(sigma) - _HALF_LOG_2PI - np.log(mass) + math.log(2 * a)
        if log_q is not None:
            log_q = np.asarray(log_q, dtype=float)
            if log_q.shape != (X.shape[0],) or not np.isfinite(log_q).all():
                raise ValueError(f"log_q: expected ({X.shape[0]},) finite proposal log densities")
            out += -float(np.sum(np.log(2 * np.array(self.half_widths)))) - log_q
        return out[0] if single else out

    def weights(self, X: np.ndarray, phi: np.ndarray, mask: np.ndarray | None = None,
                log_q: np.ndarray | None = None) -> np.ndarray:
        """Normalised importance weights (P, N) or (N,); patients outside ``mask`` (N,) bool get 0."""
        lr = self.log_ratio(X, phi, log_q)
        if mask is not None:
            mask = np.asarray(mask, dtype=bool)
            if mask.shape != (lr.shape[-1],) or not mask.any():
                raise ValueError(f"mask: expected ({lr.shape[-1]},) bool with some True")
            lr = np.where(mask, lr, -np.inf)
        return np.exp(lr - logsumexp(lr, axis=-1, keepdims=True))

    def log_density(self, X: np.ndarray, phi: np.ndarray) -> np.ndarray:
        """log p_phi(x) (N,) or (P, N): a density on the box, in decades^-K."""
        return self.log_ratio(X, phi) - float(np.sum(np.log(2 * np.array(self.half_widths))))

    def sample(self, phis: np.ndarray, n: int, seed: int, defensive: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
        """A refined pool's biology: ``n`` draws (n, K) from the mixture ``defensive`` x uniform box +
        (1 - defensive) x the mean of p_phi over the rows of ``phis`` (e.g. posterior draws), drawn
        independently of everything else (so stage invariance still holds), with each draw's proposal
        log density (n,) to pass as ``log_q``. The uniform share (assumed 0.2) keeps the weights
        bounded (<= 1/defensive) wherever the posterior that built the pool was wrong."""
        phis = np.atleast_2d(self._phi(phis))
        if not 0 < defensive <= 1:
            raise ValueError(f"defensive: expected a share in (0, 1] (got {defensive})")
        n = int(n)
        rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(9,)))
        a = np.array(self.half_widths)
        X = rng.uniform(-a, a, size=(n, len(a)))
        comp = rng.integers(0, len(phis), n)
        from_model = rng.random(n) >= defensive
        m = len(self.modelled)
        for j, col in enumerate(self.columns):
            mu, sigma = phis[comp, j], np.exp(phis[comp, m + j])
            lo, hi = ndtr((-a[col] - mu) / sigma), ndtr((a[col] - mu) / sigma)
            draw = np.clip(mu + sigma * ndtri(lo + (hi - lo) * rng.random(n)), -a[col], a[col])
            X[from_model, col] = draw[from_model]
        log_uniform = -float(np.sum(np.log(2 * a)))
        log_mix = logsumexp(np.atleast_2d(self.log_density(X, phis)), axis=0) - math.log(len(phis))
        if defensive >= 1:
            return X, np.full(n, log_uniform)
        return X, np.logaddexp(math.log(defensive) + log_uniform, math.log1p(-defensive) + log_mix)

    def check_X(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != len(self.names) or not np.isfinite(X).all():
            raise ValueError(f"X: expected a finite (N, {len(self.names)}) array of log10(value/default)")
        if np.any(np.abs(X) > np.array(self.half_widths) + 1e-9):
            raise ValueError("X: expected every log10(value/default) within +-log10(fold) (the proposal box)")
        return X

    def _phi(self, phi: np.ndarray) -> np.ndarray:
        phi = np.asarray(phi, dtype=float)
        if phi.ndim not in (1, 2) or phi.shape[-1] != 2 * len(self.modelled):
            raise ValueError(f"phi: expected (D,) or (P, D) with D = {2 * len(self.modelled)} ({', '.join(self.phi_names)})")
        return phi


def kish_ess(w: np.ndarray) -> np.ndarray:
    """Kish's effective sample size (sum w)^2 / sum w^2 along the last axis (a count of patients)."""
    w = np.asarray(w, dtype=float)
    s2 = np.sum(w * w, axis=-1)
    return np.where(s2 > 0, np.sum(w, axis=-1) ** 2 / np.where(s2 > 0, s2, 1.0), 0.0)


def _weighted(x: np.ndarray, w: np.ndarray) -> tuple[float, float, float]:
    """Weighted mean, SD and the (delta-method) variance of the self-normalised mean."""
    s = w.sum()
    m = float(np.sum(w * x) / s)
    sd = math.sqrt(float(np.sum(w * (x - m) ** 2) / s))
    return m, sd, float(np.sum(w * w * (x - m) ** 2) / s**2)


def stage_invariance(X: np.ndarray, w: np.ndarray, stage: np.ndarray, names: list[str] | tuple[str, ...] | None = None,
                     level: float = 0.05) -> pd.DataFrame:
    """Per stage and parameter: weight share, ESS, weighted mean and SD of x, the mean over the
    other stages and ``z`` = (mean - mean of the others) / its standard error (self-normalised
    importance-sampling variance), compared with ``threshold``: the Bonferroni two-sided quantile at
    ``level`` over all rows of Student's t with ESS - 1 degrees of freedom (the stage's Kish ESS; a stage
    carried by a handful of effective patients, as in one ensemble member, would make the normal quantile
    too strict). ``attrs``: ``max_abs_z`` and ``threshold`` of the row closest to (or furthest over) its
    threshold, and ``invariant`` (every |z| below its threshold)."""
    X = np.asarray(X, dtype=float)
    w = np.asarray(w, dtype=float)
    stage = np.asarray(stage)
    if X.ndim != 2 or w.shape != (X.shape[0],) or stage.shape != (X.shape[0],):
        raise ValueError(f"w, stage: expected ({X.shape[0]},) arrays matching the rows of X")
    if np.any(w < 0) or not w.sum() > 0:
        raise ValueError("w: expected non-negative weights with a positive sum")
    names = list(names) if names is not None else [f"x{k}" for k in range(X.shape[1])]
    rows = []
    for s in sorted(set(stage.tolist())):
        inside = stage == s
        ws, wr = w[inside], w[~inside]
        for k, name in enumerate(names):
            m, sd, var = _weighted(X[inside, k], ws) if ws.sum() > 0 else (math.nan, math.nan, math.nan)
            mr, _, var_r = _weighted(X[~inside, k], wr) if wr.sum() > 0 else (math.nan, math.nan, math.nan)
            se = math.sqrt(var + var_r)
            rows.append({"stage": s, "parameter": name, "weight_share": float(ws.sum() / w.sum()),
                         "ess": float(kish_ess(ws)), "mean": m, "sd": sd, "mean_other_stages": mr,
                         "z": (m - mr) / se if se > 0 else math.nan})
    table = pd.DataFrame(rows)
    q = 1 - level / (2 * max(len(table), 1))
    table["threshold"] = student_t.ppf(q, np.maximum(table["ess"].to_numpy() - 1.0, 1.0))
    ratio = (table["z"].abs() / table["threshold"]).fillna(0.0)
    worst = int(ratio.to_numpy().argmax()) if len(table) else 0
    table.attrs.update({"max_abs_z": float(abs(table["z"].iloc[worst])) if len(table) else 0.0,
                        "threshold": float(table["threshold"].iloc[worst]) if len(table) else math.inf,
                        "invariant": bool((ratio < 1.0).all())})
    return table
