"""Binomial rates and two-arm comparisons: exact (Clopper-Pearson) rates, relative risk, odds ratio,
rate difference (Newcombe) and Fisher's exact test. All intervals are two-sided 95%."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

Z95 = float(stats.norm.ppf(0.975))  # 1.959963984540054


def _finite_or_none(x: float | None) -> float | None:
    """``x`` as a plain float, or None when it is None, NaN or infinite (valid JSON)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class Rate:
    """A proportion ``events / n`` (fraction, 0..1) with its exact 95% interval; NaN when n == 0."""

    value: float
    ci95: tuple[float, float]
    events: int
    n: int

    def to_dict(self) -> dict:
        """``{"value", "ci95": [lo, hi], "events", "n"}`` with plain Python numbers; NaN -> None."""
        return {
            "value": _finite_or_none(self.value),
            "ci95": [_finite_or_none(self.ci95[0]), _finite_or_none(self.ci95[1])],
            "events": int(self.events),
            "n": int(self.n),
        }


@dataclass(frozen=True)
class Comparison:
    """A two-arm effect measure (arm a vs arm b) with its 95% interval, a p-value and how both were got.

    Non-finite values (e.g. an odds ratio of infinity when arm b has no events) are kept as floats here
    and written as None by ``to_dict``.
    """

    value: float
    ci95: tuple[float, float]
    p_value: float | None
    method: str

    def to_dict(self) -> dict:
        """``{"value", "ci95": [lo, hi], "p_value", "method"}`` with plain Python numbers; NaN -> None."""
        return {
            "value": _finite_or_none(self.value),
            "ci95": [_finite_or_none(self.ci95[0]), _finite_or_none(self.ci95[1])],
            "p_value": _finite_or_none(self.p_value),
            "method": self.method,
        }


def _count(x: object, name: str) -> int:
    """``x`` as a non-negative int, or ValueError naming ``name``."""
    if isinstance(x, (bool, np.bool_)):
        raise ValueError(f"{name}: expected a non-negative integer (got {x!r})")  # noqa: TRY004
    try:
        as_float = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a non-negative integer (got {x!r})") from None
    if not math.isfinite(as_float) or as_float < 0 or as_float != int(as_float):
        raise ValueError(f"{name}: expected a non-negative integer (got {x!r})")
    return int(as_float)


def rate(events: int, n: int) -> Rate:
    """``events / n`` with the exact Clopper-Pearson 95% interval (beta quantiles).

    0 events gives a lower limit of exactly 0 and ``events == n`` an upper limit of exactly 1;
    ``n == 0`` gives NaN for the value and both limits.
    """
    k = _count(events, "events")
    n = _count(n, "n")
    if k > n:
        raise ValueError(f"events: expected at most n = {n} (got {k})")
    if n == 0:
        return Rate(math.nan, (math.nan, math.nan), 0, 0)
    lo = 0.0 if k == 0 else float(stats.beta.ppf(0.025, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(0.975, k + 1, n - k))
    return Rate(k / n, (lo, hi), k, n)


def rate_of(flags: np.ndarray) -> Rate:
    """The rate of True in ``flags`` (N,) bool (0/1 integers accepted), with its exact 95% interval."""
    f = np.asarray(flags)
    if f.ndim != 1:
        raise ValueError(f"flags: expected a 1-D array of bool (got shape {f.shape})")
    if f.dtype != bool:
        if f.size and not (np.issubdtype(f.dtype, np.number) and np.isin(f, (0, 1)).all()):
            raise ValueError(f"flags: expected bool values (True/False or 0/1) (got dtype {f.dtype})")
        f = f.astype(bool)
    return rate(int(f.sum()), int(f.size))


def _table(a: Rate, b: Rate) -> tuple[int, int, int, int]:
    """2x2 cells (events a, non-events a, events b, non-events b)."""
    for name, r in (("a", a), ("b", b)):
        if not isinstance(r, Rate):
            raise ValueError(f"{name}: expected a Rate (got {type(r).__name__})")  # noqa: TRY004
    return a.events, a.n - a.events, b.events, b.n - b.events


def fisher_exact(a: Rate, b: Rate) -> float:
    """Two-sided p-value of Fisher's exact test of equal proportions in arms a and b (NaN if an arm is empty)."""
    x1, y1, x2, y2 = _table(a, b)
    if a.n == 0 or b.n == 0:
        return math.nan
    return float(stats.fisher_exact([[x1, y1], [x2, y2]], alternative="two-sided").pvalue)


_EMPTY = (math.nan, (math.nan, math.nan), None)
_FISHER = "Fisher exact two-sided p"


def _log_interval(centre_ratio: float, se: float) -> tuple[float, float]:
    """95% interval ``exp(log(centre_ratio) -/+ z se)`` for a ratio estimated on the log scale."""
    if not (centre_ratio > 0 and math.isfinite(se)):
        return math.nan, math.nan
    centre = math.log(centre_ratio)
    return math.exp(centre - Z95 * se), math.exp(centre + Z95 * se)


def _ratio(num: float, den: float) -> float:
    """num / den with x/0 = inf (x > 0) and 0/0 = NaN."""
    if den == 0:
        return math.nan if num == 0 else math.inf
    return num / den


def relative_risk(a: Rate, b: Rate) -> Comparison:
    """Relative risk (risk ratio) p_a / p_b, Katz log 95% interval, Fisher exact p.

    With a zero cell the interval uses 0.5 added to all four cells (the point value stays uncorrected,
    so 0 or infinity); ``method`` says so.
    """
    x1, y1, x2, y2 = _table(a, b)
    if a.n == 0 or b.n == 0:
        return Comparison(*_EMPTY, "Katz log interval; empty arm")
    value = _ratio(x1 / a.n, x2 / b.n)
    method = "Katz log interval"
    c1, d1, c2, d2 = float(x1), float(y1), float(x2), float(y2)
    if min(x1, y1, x2, y2) == 0:
        c1, d1, c2, d2 = c1 + 0.5, d1 + 0.5, c2 + 0.5, d2 + 0.5
        method += " with 0.5 continuity correction (zero cell)"
    m1, m2 = c1 + d1, c2 + d2
    se = math.sqrt(1 / c1 - 1 / m1 + 1 / c2 - 1 / m2)
    ci = _log_interval((c1 / m1) / (c2 / m2), se)
    return Comparison(value, ci, fisher_exact(a, b), f"{method}; {_FISHER}")


def odds_ratio(a: Rate, b: Rate) -> Comparison:
    """Odds ratio (x_a / (n_a - x_a)) / (x_b / (n_b - x_b)), Woolf logit 95% interval, Fisher exact p.

    This is the sample (unconditional) odds ratio, not the conditional MLE. With a zero cell the interval
    uses 0.5 added to all four cells (the point value stays uncorrected); ``method`` says so.
    """
    x1, y1, x2, y2 = _table(a, b)
    if a.n == 0 or b.n == 0:
        return Comparison(*_EMPTY, "Woolf logit interval; empty arm")
    value = _ratio(x1 * y2, y1 * x2)
    method = "Woolf logit interval"
    c1, d1, c2, d2 = float(x1), float(y1), float(x2), float(y2)
    if min(x1, y1, x2, y2) == 0:
        c1, d1, c2, d2 = c1 + 0.5, d1 + 0.5, c2 + 0.5, d2 + 0.5
        method += " with 0.5 continuity correction (zero cell)"
    se = math.sqrt(1 / c1 + 1 / d1 + 1 / c2 + 1 / d2)
    ci = _log_interval((c1 * d2) / (d1 * c2), se)
    return Comparison(value, ci, fisher_exact(a, b), f"{method}; {_FISHER}")


def wilson(events: int, n: int) -> tuple[float, float]:
    """Wilson score 95% interval (no continuity correction) for ``events / n``; (NaN, NaN) when n == 0."""
    if n == 0:
        return math.nan, math.nan
    p = events / n
    z2 = Z95 * Z95
    centre = p + z2 / (2 * n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    den = 1 + z2 / n
    lo = 0.0 if events == 0 else max(0.0, (centre - half) / den)
    hi = 1.0 if events == n else min(1.0, (centre + half) / den)
    return lo, hi


def rate_difference(a: Rate, b: Rate) -> Comparison:
    """Rate difference p_a - p_b (fraction), Newcombe hybrid score 95% interval, Fisher exact p.

    Newcombe (1998, Stat Med 17:873) method 10: combines the Wilson score intervals of both arms
    (no continuity correction).
    """
    _table(a, b)
    method = "Newcombe hybrid score interval (method 10)"
    if a.n == 0 or b.n == 0:
        return Comparison(*_EMPTY, f"{method}; empty arm")
    p1, p2 = a.events / a.n, b.events / b.n
    l1, u1 = wilson(a.events, a.n)
    l2, u2 = wilson(b.events, b.n)
    d = p1 - p2
    lo = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    hi = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Comparison(d, (max(-1.0, lo), min(1.0, hi)), fisher_exact(a, b), f"{method}; {_FISHER}")
