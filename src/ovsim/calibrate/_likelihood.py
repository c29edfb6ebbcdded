"""OPTiM's targets as likelihoods with their published uncertainty (not hard-edged constraints).

Every target of ``optim.yaml`` ``targets:`` becomes a :class:`Target` whose ``loglik`` is the log
probability of the published figure given a predicted value (vectorised over predictions):

* **rates with events/n** (durable and complete response, both arms; EU-indication subgroup
  durable response, both arms): binomial ``log P(events | n, p_pred)``.
* **objective response** (published with a 95% CI, no counts): events = round(value x n) with the
  arm's ``design.arms.n`` (0.264 x 295 -> 78; 0.057 x 141 -> 8), then binomial.
* **median time to response** (4.1 months, T-VEC): half of the arm's 78 objective responders
  responded by 4.1 months: binomial 39 of 78 for the predicted share of responders by then.
* **lesion-level rates** (``n_lesions`` per category): lesions cluster in patients, so the binomial
  uses the effective count n_eff = n_lesions / design effect and events = value x n_eff (non-integer:
  the binomial coefficient by gamma functions). Design effect = 1 + (m - 1) ICC (Kish); the default
  3 (``bayesian.lesion_design_effect``) is assumed: m ~ 7 injected lesions per T-VEC patient
  (2116 / 295) with ICC ~ 0.3 gives 2.9 (docs/calibration.md).
* **survival** (median OS of each arm, hazard ratio): ``log(published) ~ Normal(log(pred), SE)``,
  SE = (ln hi - ln lo) / 3.92 from the published 95% CI (a Wald interval on the log scale).

Each target also carries an interval (``within_interval``): the published 95% CI where given, else
the exact (Clopper-Pearson) binomial interval of the events/n used in the likelihood.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import gammaln
from scipy.stats import beta

from ..trial import published_targets

_RATES = (("durable_response_rate", "durable response"), ("objective_response_rate", "objective response"),
          ("complete_response_rate", "complete response"))
_LESION_KEYS = ("decrease_ge_50pct", "complete_resolution")
_P_FLOOR = 1e-12


@dataclass(frozen=True)
class Target:
    """One published figure: ``name`` is also the key of its prediction (see ``_predict``)."""

    name: str
    published: float
    kind: str  # "binomial" | "lesion_binomial" (overdispersed) | "log_normal"
    events: float = math.nan  # binomial: events (effective for lesions)
    n: float = math.nan  # binomial: trials (effective for lesions)
    sd_log: float = math.nan  # log_normal: SE of the log published value
    interval: tuple[float, float] = (math.nan, math.nan)
    basis: str = ""

    def loglik(self, predicted: float | np.ndarray) -> np.ndarray:
        """Log-likelihood of the published figure at each predicted value (-inf where undefined)."""
        p = np.asarray(predicted, dtype=float)
        bad = ~np.isfinite(p)
        if self.kind == "log_normal":
            bad |= p <= 0
            z = (math.log(self.published) - np.log(np.where(bad, 1.0, p))) / self.sd_log
            out = -0.5 * z * z - math.log(self.sd_log) - 0.5 * math.log(2 * math.pi)
        else:
            bad |= (p < 0) | (p > 1)
            q = np.clip(np.where(bad, 0.5, p), _P_FLOOR, 1 - _P_FLOOR)
            k, n = self.events, self.n
            out = (gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1) + k * np.log(q) + (n - k) * np.log1p(-q))
        return np.where(bad, -np.inf, out)

    def within_interval(self, predicted: float) -> bool:
        lo, hi = self.interval
        return bool(lo <= float(predicted) <= hi)


def _exact(k: float, n: float) -> tuple[float, float]:
    """Clopper-Pearson 95% interval of k/n (k, n may be non-integer effective counts)."""
    lo = 0.0 if k <= 0 else float(beta.ppf(0.025, k, n - k + 1))
    hi = 1.0 if k >= n else float(beta.ppf(0.975, k + 1, n - k))
    return lo, hi


def _binomial(name: str, value: float, k: float, n: float, kind: str, basis: str,
              ci: tuple[float, float] | None = None) -> Target:
    if not (n > 0 and 0 <= k <= n):
        raise ValueError(f"{name}: expected 0 <= events <= n and n > 0 (got {k}/{n})")
    interval, ib = (tuple(float(c) for c in ci), "published 95% CI") if ci else (_exact(k, n), "exact binomial 95% CI")
    return Target(name, float(value), kind, float(k), float(n), interval=interval, basis=f"{basis}; interval: {ib}")


def _log_normal(name: str, v: dict[str, Any]) -> Target:
    lo, hi = (float(c) for c in v.get("ci95", (math.nan, math.nan)))
    if not (0 < lo < float(v["value"]) < hi):
        raise ValueError(f"{name}.ci95: expected 0 < low < value < high (got {v.get('ci95')})")
    se = (math.log(hi) - math.log(lo)) / 3.92
    return Target(name, float(v["value"]), "log_normal", sd_log=se, interval=(lo, hi),
                  basis=f"log value ~ Normal, SE (ln hi - ln lo)/3.92 = {se:.4f}; interval: published 95% CI")


def build_targets(published: dict[str, Any] | None = None, *, design_effect: float = 3.0,
                  survival: bool = True) -> list[Target]:
    """Targets from the published document (``published_targets()``: its ``targets`` and ``design``)."""
    published = published_targets() if published is None else published
    if not (1.0 <= float(design_effect) <= 100.0):
        raise ValueError(f"design_effect: expected a number from 1 to 100 (got {design_effect})")
    t, arms_n = published["targets"], {a: int(v["n"]) for a, v in published["design"]["arms"].items()}
    out: list[Target] = []
    for key, label in _RATES:
        for arm, v in t.get(key, {}).items():
            if "events" in v:
                k, n, basis = v["events"], v["n"], f"binomial {v['events']}/{v['n']}"
            else:
                n = arms_n[arm]
                k = round(float(v["value"]) * n)
                basis = f"binomial round({v['value']} x {n}) = {k}/{n} (no counts published)"
            out.append(_binomial(f"{key}:{arm}", v["value"], k, n, "binomial", basis, v.get("ci95")))
    for arm, v in t.get("eu_indication_subgroup", {}).get("durable_response_rate", {}).items():
        out.append(_binomial(f"eu_durable_response_rate:{arm}", v["value"], v["events"], v["n"], "binomial",
                             f"binomial {v['events']}/{v['n']} (stage IIIB-IVM1a)"))
    for arm, v in t.get("median_time_to_response_months", {}).items():
        orr = [x for x in out if x.name == f"objective_response_rate:{arm}"]
        if not orr:
            raise ValueError(f"median_time_to_response_months.{arm}: expected an objective response rate for the arm")
        n = int(orr[0].events)
        out.append(_binomial(f"responded_by_median_ttr:{arm}", 0.5, n / 2, n, "binomial",
                             f"half of the {n} responders by {v['value']} months: binomial {n / 2:g}/{n}"))
    for block, cats in t.items():
        m = re.fullmatch(r"lesion_level_(\w+)_arm", block)
        if not m:
            continue
        for cat, v in cats.items():
            n_eff = float(v["n_lesions"]) / float(design_effect)
            for key in _LESION_KEYS:
                out.append(_binomial(f"lesion_{key}:{cat}:{m.group(1)}", v[key], float(v[key]) * n_eff, n_eff,
                                     "lesion_binomial", f"binomial on {v['n_lesions']} lesions / design effect "
                                     f"{design_effect:g} = {n_eff:.1f} effective"))
    if survival and "overall_survival" in t:
        os_ = t["overall_survival"]
        for arm, v in os_.get("median_months", {}).items():
            out.append(_log_normal(f"median_os_months:{arm}", v))
        for key, v in os_.items():
            m = re.fullmatch(r"hazard_ratio_(\w+)_vs_(\w+)", key)
            if m:
                out.append(_log_normal(f"hazard_ratio_os:{m.group(1)}_vs_{m.group(2)}", v))
    return out


def total_log_likelihood(predicted: dict[str, np.ndarray], targets: list[Target]) -> np.ndarray:
    """Sum of every target's log-likelihood, vectorised over predictions (P,) per key."""
    missing = [t.name for t in targets if t.name not in predicted]
    if missing:
        raise ValueError(f"predicted: expected a value for every target (missing {', '.join(missing)})")
    total = 0.0
    for t in targets:
        total = total + t.loglik(predicted[t.name])
    return np.asarray(total, dtype=float)


def log_likelihood(predicted: dict[str, float], targets: list[Target]) -> tuple[float, pd.DataFrame]:
    """Total log-likelihood and a per-target table (published, predicted, contribution, interval)."""
    total = float(total_log_likelihood({k: np.asarray(v, dtype=float) for k, v in predicted.items()}, targets))
    rows = [{"target": t.name, "kind": t.kind, "published": t.published, "predicted": float(predicted[t.name]),
             "log_likelihood": float(t.loglik(predicted[t.name])), "interval_low": t.interval[0],
             "interval_high": t.interval[1], "within_interval": t.within_interval(predicted[t.name]),
             "basis": t.basis} for t in targets]
    return total, pd.DataFrame(rows)
