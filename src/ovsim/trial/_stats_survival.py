"""Right-censored survival: Kaplan-Meier with log(-log) intervals and Brookmeyer-Crowley median CI,
the (Mantel) log-rank test and the Cox proportional-hazards model (Efron or Breslow ties).

Inputs everywhere: ``time`` (N,) float >= 0 in any unit (results are in the same unit) and ``event``
(N,) bool, True = event (death/progression), False = censored at that time. All intervals are
two-sided 95%.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ._stats_binomial import Z95, Comparison

_HALF_TOL = 1e-12  # S within this of 0.5 counts as exactly 0.5 (median convention)


def _check(time: object, event: object) -> tuple[np.ndarray, np.ndarray]:
    """Validated ``time`` (N,) float and ``event`` (N,) bool."""
    t = np.asarray(time)
    if t.ndim != 1 or t.size < 1:
        raise ValueError(f"time: expected a 1-D array with at least one value (got shape {np.shape(t)})")
    if not np.issubdtype(t.dtype, np.number) or t.dtype == bool:
        raise ValueError(f"time: expected numbers (got dtype {t.dtype})")
    t = t.astype(float)
    if not np.isfinite(t).all():
        raise ValueError("time: expected finite values (got NaN or infinity)")
    if (t < 0).any():
        raise ValueError(f"time: expected values >= 0 (got {t.min():g})")
    e = np.asarray(event)
    if e.ndim != 1 or e.size != t.size:
        raise ValueError(f"event: expected a 1-D array of the same length as time ({t.size}) (got shape {e.shape})")
    if e.dtype != bool:
        if not (np.issubdtype(e.dtype, np.number) and np.isin(e, (0, 1)).all()):
            raise ValueError(f"event: expected bool values (True = event, False = censored) (got dtype {e.dtype})")
        e = e.astype(bool)
    return t, e


def _counts(t: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct times (K,) and, at each, number at risk (time >= t), events and censorings."""
    utime, inv = np.unique(t, return_inverse=True)
    events = np.bincount(inv, weights=e, minlength=utime.size).astype(np.int64)
    total = np.bincount(inv, minlength=utime.size).astype(np.int64)
    at_risk = np.cumsum(total[::-1])[::-1]
    return utime, at_risk, events, total - events


@dataclass(frozen=True, eq=False)
class KaplanMeier:
    """Product-limit estimate; one row per distinct observed time, the first row at time 0.

    time (K,) distinct event-or-censor times (first 0); survival (K,) S(t) just after t; lower, upper (K,)
    pointwise 95% interval (log(-log) transform, Greenwood variance; [1, 1] while S = 1 and [0, 0] once
    S = 0); at_risk (K,) number with time >= t; events (K,), censored (K,) number at exactly t.
    """

    time: np.ndarray
    survival: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    censored: np.ndarray

    def _row(self, t: float) -> int:
        """Index of the last row with time <= t (-1 if t < 0)."""
        return int(np.searchsorted(self.time, t, side="right")) - 1

    def survival_at(self, t: float) -> tuple[float, float, float]:
        """(S(t), lower, upper): right-continuous step function; (1, 1, 1) for t < 0.

        Beyond the last observed time S is not estimable: NaN, unless S has already reached 0.
        """
        t = float(t)
        if not math.isfinite(t):
            raise ValueError(f"t: expected a finite time (got {t})")
        k = self._row(t)
        if k < 0:
            return 1.0, 1.0, 1.0
        if t > self.time[-1] and self.survival[-1] > 0:
            return math.nan, math.nan, math.nan
        return float(self.survival[k]), float(self.lower[k]), float(self.upper[k])

    def at_risk_at(self, t: float) -> int:
        """Number still at risk at time t (observed time >= t)."""
        k = int(np.searchsorted(self.time, float(t), side="left"))
        return 0 if k >= self.time.size else int(self.at_risk[k])

    def median(self) -> float:
        """Median survival time: the smallest time with S(t) < 0.5; NaN if S never drops below 0.5.

        Strict inequality, as statsmodels' ``SurvfuncRight.quantile`` and SAS PROC LIFETEST: when S equals
        0.5 exactly over [t_j, t_j+1) the median is t_j+1 (R's survfit takes the midpoint instead). S within
        1e-12 of 0.5 counts as exactly 0.5, so rounding in the product does not change the answer.
        """
        ii = np.flatnonzero(self.survival < 0.5 - _HALF_TOL)
        return float(self.time[ii[0]]) if ii.size else math.nan

    def median_ci95(self) -> tuple[float, float]:
        """Brookmeyer-Crowley 95% interval for the median with the log(-log) transform.

        The interval is the set of event times t_j whose S(t_j) is not rejected by a z-test of S = 0.5 on the
        log(-log) scale (Greenwood variance): lower = first such time, upper = the next event time after the
        last such one (as statsmodels' ``quantile_ci(0.5)``, method "cloglog", and SAS). A bound that is not
        reached within follow-up is NaN (statsmodels reports an unreached upper bound as infinity).
        """
        rows = self.events > 0
        s, times = self.survival[rows], self.time[rows]
        var = _greenwood(self.at_risk, self.events)[rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            loglog = np.log(-np.log(s))
            se = np.sqrt(var) / np.abs(np.log(s))
            z = (loglog - math.log(-math.log(0.5))) / se
        ok = np.flatnonzero(np.abs(z) <= Z95)
        if ok.size == 0:
            return math.nan, math.nan
        lo = float(times[ok[0]])
        hi = float(times[ok[-1] + 1]) if ok[-1] + 1 < times.size else math.nan
        return lo, hi

    def to_frame(self) -> pd.DataFrame:
        """Columns time, survival, lower, upper, at_risk, events, censored (one row per distinct time)."""
        return pd.DataFrame({
            "time": self.time, "survival": self.survival, "lower": self.lower, "upper": self.upper,
            "at_risk": self.at_risk, "events": self.events, "censored": self.censored,
        })


def _greenwood(at_risk: np.ndarray, events: np.ndarray) -> np.ndarray:
    """(K,) cumulative Greenwood sum d / (n (n - d)) (Var S / S^2); infinite once everyone at risk has died."""
    n, d = at_risk.astype(float), events.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(d > 0, d / (n * (n - d)), 0.0)
    return np.cumsum(term)


def kaplan_meier(time: np.ndarray, event: np.ndarray) -> KaplanMeier:
    """Kaplan-Meier estimate from ``time`` (N,) >= 0 and ``event`` (N,) bool; see ``KaplanMeier``."""
    t, e = _check(time, event)
    utime, at_risk, events, censored = _counts(t, e)
    if utime[0] > 0:
        utime = np.concatenate([[0.0], utime])
        at_risk = np.concatenate([[t.size], at_risk])
        events = np.concatenate([[0], events])
        censored = np.concatenate([[0], censored])
    surv = np.cumprod(1.0 - events / at_risk)
    surv[surv < 1e-15] = 0.0
    var = _greenwood(at_risk, events)
    lower, upper = surv.copy(), surv.copy()
    mid = (surv > 0) & (surv < 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.exp(Z95 * np.sqrt(var[mid]) / np.abs(np.log(surv[mid])))
    lower[mid] = surv[mid] ** spread
    upper[mid] = surv[mid] ** (1.0 / spread)
    return KaplanMeier(utime, surv, lower, upper, at_risk, events, censored)


def landmark_survival(km: KaplanMeier, times: np.ndarray | list[float]) -> dict[float, tuple[float, float, float]]:
    """{t: (S(t), lower, upper)} at each landmark time (same unit as the data); see ``survival_at``."""
    return {float(t): km.survival_at(float(t)) for t in np.atleast_1d(np.asarray(times, dtype=float))}


@dataclass(frozen=True)
class LogRank:
    """Log-rank test: chi-square statistic (df = groups - 1), its p-value, observed and expected events per group.

    observed, expected, groups: one entry per group, groups in sorted label order.
    """

    chi2: float
    p_value: float
    observed: tuple[float, ...]
    expected: tuple[float, ...]
    groups: tuple = ()
    df: int = 1


def logrank(time: np.ndarray, event: np.ndarray, group: np.ndarray) -> LogRank:
    """Mantel log-rank test that two or more groups (``group`` (N,) labels) share one survival function.

    Hypergeometric variance with ties; chi2 = (O - E)' V^- (O - E) with V the (G, G) covariance.
    """
    t, e = _check(time, event)
    g = np.asarray(group)
    if g.ndim != 1 or g.size != t.size:
        raise ValueError(f"group: expected a 1-D array of the same length as time ({t.size}) (got shape {g.shape})")
    labels, gi = np.unique(g, return_inverse=True)
    if labels.size < 2:
        raise ValueError("group: expected at least two distinct groups")
    if not e.any():
        raise ValueError("event: expected at least one event (all observations are censored)")
    utime, inv = np.unique(t, return_inverse=True)
    n_groups, n_times = labels.size, utime.size
    cell = gi * n_times + inv
    d_gt = np.bincount(cell, weights=e, minlength=n_groups * n_times).reshape(n_groups, n_times)
    c_gt = np.bincount(cell, minlength=n_groups * n_times).reshape(n_groups, n_times)
    r_gt = np.cumsum(c_gt[:, ::-1], axis=1)[:, ::-1].astype(float)  # (G, T) at risk
    d, r = d_gt.sum(0), r_gt.sum(0)  # (T,)
    keep = d > 0
    d_gt, r_gt, d, r = d_gt[:, keep], r_gt[:, keep], d[keep], r[keep]
    frac = r_gt / r  # (G, T)
    observed = d_gt.sum(1)
    expected = (frac * d).sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(r > 1, d * (r - d) / (r - 1), 0.0)  # (T,)
    cov = -(frac * w) @ frac.T
    cov[np.diag_indices(n_groups)] += (frac * w).sum(1)
    diff = observed - expected
    chi2 = float(diff @ np.linalg.pinv(cov) @ diff)
    df = n_groups - 1
    return LogRank(chi2, float(stats.chi2.sf(chi2, df)), tuple(float(x) for x in observed),
                   tuple(float(x) for x in expected), tuple(labels.tolist()), df)


@dataclass(frozen=True, eq=False)
class CoxFit:
    """Cox proportional-hazards fit, one entry per covariate (p of them).

    coef (p,) log hazard ratio per unit of the covariate; se (p,) its standard error (inverse observed
    information); hazard_ratio (p,) exp(coef); ci95 (p, 2) Wald 95% interval of the hazard ratio;
    p_value (p,) Wald two-sided; loglik log partial likelihood at the fit; n subjects; events; ties
    "efron" or "breslow".
    """

    coef: np.ndarray
    se: np.ndarray
    hazard_ratio: np.ndarray
    ci95: np.ndarray
    p_value: np.ndarray
    loglik: float
    n: int
    events: int
    ties: str


class _PartialLikelihood:
    """Log partial likelihood, score and information for fixed data (covariates centred)."""

    def __init__(self, t: np.ndarray, e: np.ndarray, x: np.ndarray, ties: str):
        order = np.argsort(-t, kind="stable")  # descending time: risk sets are prefixes
        self.t, self.e, self.x = t[order], e[order], x[order]
        ev_times, d = np.unique(self.t[self.e], return_counts=True)  # (J,)
        # risk set of event time j = rows [0, end_j) of the descending order
        self.end = self.t.size - np.searchsorted(np.sort(t), ev_times, side="left")
        self.j_of_event = np.searchsorted(ev_times, self.t[self.e])  # (E,) event -> its time
        # one term per event: the l-th (l = 0..d_j-1) of its tied group gets fraction l / d_j (Efron)
        j_rep = np.repeat(np.arange(ev_times.size), d)
        if ties == "efron":
            start = np.repeat(np.cumsum(d) - d, d)
            self.frac = (np.arange(j_rep.size) - start) / d[j_rep]
        else:
            self.frac = np.zeros(j_rep.size)
        self.j_rep, self.n_times = j_rep, ev_times.size
        self.x_ev = self.x[self.e]  # (E, p)

    def __call__(self, beta: np.ndarray, derivs: bool = True):
        """(loglik, score (p,), information (p, p)) at beta; only loglik if not derivs."""
        eta = self.x @ beta
        shift = eta.max()
        w = np.exp(eta - shift)  # (N,)
        s0 = np.cumsum(w)[self.end - 1]  # (J,) risk-set sums
        we = w[self.e]
        s0d = np.bincount(self.j_of_event, we, self.n_times)  # (J,) tied-event sums
        den = s0[self.j_rep] - self.frac * s0d[self.j_rep]  # (E,)
        loglik = float(eta[self.e].sum() - np.log(den).sum() - shift * den.size)
        if not derivs:
            return loglik
        p = self.x.shape[1]
        wx = w[:, None] * self.x
        s1 = np.cumsum(wx, axis=0)[self.end - 1]  # (J, p)
        s1d = np.zeros((self.n_times, p))
        np.add.at(s1d, self.j_of_event, wx[self.e])
        wxx = wx[:, :, None] * self.x[:, None, :]
        s2 = np.cumsum(wxx, axis=0)[self.end - 1]  # (J, p, p)
        s2d = np.zeros((self.n_times, p, p))
        np.add.at(s2d, self.j_of_event, wxx[self.e])
        f = self.frac[:, None]
        a = (s1[self.j_rep] - f * s1d[self.j_rep]) / den[:, None]  # (E, p)
        b = (s2[self.j_rep] - f[:, :, None] * s2d[self.j_rep]) / den[:, None, None]  # (E, p, p)
        score = self.x_ev.sum(0) - a.sum(0)
        info = b.sum(0) - a.T @ a
        return loglik, score, info


class _MonotoneLikelihood(ValueError):
    """The partial likelihood keeps increasing as a coefficient goes to +-infinity."""


def _as_matrix(covariates: object, n: int) -> np.ndarray:
    """Covariates as (N, p) float, validated."""
    x = np.asarray(covariates)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] != n or x.shape[1] < 1:
        raise ValueError(f"covariates: expected shape ({n},) or ({n}, p) (got {np.shape(covariates)})")
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise ValueError(f"covariates: expected numbers (got dtype {x.dtype})")
    x = x.astype(float)
    if not np.isfinite(x).all():
        raise ValueError("covariates: expected finite values (got NaN or infinity)")
    flat = np.flatnonzero(np.ptp(x, axis=0) == 0)
    if flat.size:
        raise ValueError(f"covariates: column {int(flat[0])} has no variation (hazard ratio not estimable)")
    return x


def cox_ph(time: np.ndarray, event: np.ndarray, covariates: np.ndarray, ties: str = "efron",
           max_iter: int = 50) -> CoxFit:
    """Cox proportional-hazards fit by Newton-Raphson with step halving on the log partial likelihood.

    covariates (N, p) or (N,); ties "efron" (default) or "breslow". Raises ValueError when there are no
    events, a covariate has no variation, the covariates are collinear, or the likelihood has no finite
    maximum (monotone likelihood, e.g. no events in one arm: the hazard ratio would be 0 or infinity).
    """
    t, e = _check(time, event)
    if ties not in ("efron", "breslow"):
        raise ValueError(f"ties: expected 'efron' or 'breslow' (got {ties!r})")
    x = _as_matrix(covariates, t.size)
    if not e.any():
        raise ValueError("event: expected at least one event (all observations are censored)")
    # Fit on centred, unit-variance covariates: the partial likelihood is unchanged by centring, exp()
    # cannot overflow, and the tolerances below are in standard-deviation units.
    sd = x.std(axis=0)
    pl = _PartialLikelihood(t, e, (x - x.mean(0)) / sd, ties)
    b = np.zeros(x.shape[1])
    ll, score, info = pl(b)
    for it in range(max_iter):
        step = _newton_step(info, score, monotone=it > 0)
        if np.max(np.abs(step)) <= 1e-9:
            break
        scale = 1.0
        while pl(b + scale * step, derivs=False) < ll - 1e-12 * abs(ll):
            scale /= 2
            if scale < 1e-8:
                break
        if scale < 1e-8:
            break  # no ascent along the Newton direction: judged below
        b = b + scale * step
        ll_old = ll
        ll, score, info = pl(b)
        if ll - ll_old <= 1e-10 * (1.0 + abs(ll)):
            break
    else:
        raise ValueError(f"max_iter: Newton-Raphson did not converge in {max_iter} iterations")
    # Monotone likelihood: the log-likelihood has flattened out but Newton still points far away
    # (the check of R's coxph: final step large relative to the coefficient).
    step = _newton_step(info, score, monotone=True)
    if np.any((np.abs(step) > 1e-4) & (np.abs(step) > 1e-4 * np.abs(b))):
        raise _MonotoneLikelihood(_MONOTONE)
    if np.max(np.abs(step)) > 1e-12:  # polish: one last (tiny) Newton step
        ll_new, _, info_new = pl(b + step)
        if ll_new >= ll:
            b, ll, info = b + step, ll_new, info_new
    beta = b / sd
    se = np.sqrt(np.diag(np.linalg.inv(info))) / sd
    hr = np.exp(beta)
    ci = np.exp(np.column_stack([beta - Z95 * se, beta + Z95 * se]))
    p = 2 * stats.norm.sf(np.abs(beta / se))
    return CoxFit(beta, se, hr, ci, p, ll, int(t.size), int(e.sum()), ties)


_MONOTONE = ("covariates: partial likelihood has no finite maximum (monotone likelihood, e.g. no events "
             "in one group); hazard ratio not estimable")


def _newton_step(info: np.ndarray, score: np.ndarray, monotone: bool) -> np.ndarray:
    """info^-1 score; ValueError if the information is not positive definite: collinear covariates at the
    start, else (``monotone``) a likelihood flattening out as a coefficient runs off to infinity."""
    try:
        chol = np.linalg.cholesky(info)
    except np.linalg.LinAlgError:
        if monotone:
            raise _MonotoneLikelihood(_MONOTONE) from None
        raise ValueError("covariates: information matrix is singular (collinear covariates, or one that "
                         "does not vary within any risk set at an event); "
                         "hazard ratio not estimable") from None
    return np.linalg.solve(chol.T, np.linalg.solve(chol, score))


def hazard_ratio(time: np.ndarray, event: np.ndarray, group_is_treated: np.ndarray,
                 ties: str = "efron") -> Comparison:
    """Hazard ratio of treated vs control (Cox PH, Wald 95% interval) with the log-rank p-value.

    group_is_treated (N,) bool. If the hazard ratio is not estimable (monotone likelihood, e.g. no events in
    one arm) the value and interval are NaN and ``method`` says why; the log-rank p-value is still given.
    """
    t, e = _check(time, event)
    g = np.asarray(group_is_treated)
    if g.ndim != 1 or g.size != t.size:
        raise ValueError(f"group_is_treated: expected a 1-D bool array of length {t.size} (got shape {g.shape})")
    if g.dtype != bool:
        if not (np.issubdtype(g.dtype, np.number) and np.isin(g, (0, 1)).all()):
            raise ValueError(f"group_is_treated: expected bool values (got dtype {g.dtype})")
        g = g.astype(bool)
    if g.all() or not g.any():
        raise ValueError("group_is_treated: expected both treated (True) and control (False) subjects")
    p = logrank(t, e, g).p_value
    method = f"Cox PH ({ties.capitalize()} ties), Wald 95% CI; log-rank p"
    try:
        fit = cox_ph(t, e, g.astype(float), ties=ties)
    except _MonotoneLikelihood:
        why = "no events in one arm" if not (e[g].any() and e[~g].any()) else "monotone likelihood"
        return Comparison(math.nan, (math.nan, math.nan), p, f"{method}; HR not estimable: {why}")
    return Comparison(float(fit.hazard_ratio[0]), (float(fit.ci95[0, 0]), float(fit.ci95[0, 1])), p, method)
