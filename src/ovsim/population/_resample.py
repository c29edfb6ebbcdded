"""Resampling a virtual population from weighted plausible patients (see :mod:`._selection`).

Every draw is deterministic for a seed: ``resample`` uses ``SeedSequence(seed)``;
``resample_indexed`` gives virtual patient ``i`` its own stream ``SeedSequence(seed, spawn_key=(i, 3))``
so any split of the indices draws the same patients.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._selection import _SELECT_KEY, Weights, _number, _seed, _vector  # shared validation helpers

__all__ = ["resample", "resample_indexed", "resample_one"]


def _weight_vector(weights: Weights | Any) -> np.ndarray:
    w = weights.weights if isinstance(weights, Weights) else weights
    w = _vector("weights", w)
    if (w < 0).any():
        raise ValueError(f"weights: expected values >= 0 (got {w.min():g})")
    if not w.sum() > 0:
        raise ValueError("weights: expected some weight > 0 (all are 0)")
    return w


class _Sampler:
    """Inverse-CDF draws ∝ weights, over all patients or over one stratum's members."""

    def __init__(self, w: np.ndarray, members: np.ndarray | None = None) -> None:
        self.members = np.arange(w.shape[0]) if members is None else members
        sub = w[self.members]
        self.cdf = np.cumsum(sub)
        self.total = float(self.cdf[-1]) if sub.size else 0.0
        self.last = int(np.flatnonzero(sub > 0)[-1]) if self.total > 0 else -1

    def draw(self, u: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(self.cdf, u * self.total, side="right")
        return self.members[np.minimum(pos, self.last)]


def _strata_samplers(w: np.ndarray, strata: Any, labels: Sequence[Any], what: str) -> dict[Any, _Sampler]:
    lab = np.asarray(strata)
    if lab.ndim != 1 or lab.shape[0] != w.shape[0]:
        raise ValueError(f"strata: expected shape ({w.shape[0]},) like the weights (got {lab.shape})")
    out = {}
    for label in labels:
        if label in out:
            continue
        sampler = _Sampler(w, np.flatnonzero(lab == label))
        if sampler.total <= 0:
            raise ValueError(f"{what}: stratum {label!r} has no patient with weight > 0")
        out[label] = sampler
    return out


def _largest_remainder(n: int, shares: Mapping[Any, float]) -> dict[Any, int]:
    fr = np.array([_number(f"shares[{k!r}]", v, low=0.0) for k, v in shares.items()])
    if abs(fr.sum() - 1.0) > 1e-6:
        raise ValueError(f"shares: expected fractions summing to 1 (got {fr.sum():.6g})")
    fr = fr / fr.sum()
    exact = n * fr
    counts = np.floor(exact).astype(int)
    left = n - int(counts.sum())
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:left]] += 1
    return dict(zip(shares, (int(c) for c in counts), strict=True))


def resample(
    weights: Weights | Any,
    n: int,
    seed: int,
    strata: Any = None,
    shares: Mapping[Any, float] | None = None,
) -> np.ndarray:
    """``n`` plausible-patient indices drawn with replacement ∝ ``weights`` from ``SeedSequence(seed)``.

    With ``strata`` (N,) labels and ``shares`` ``{label: fraction}`` (summing to 1),
    ``round(n share)`` indices (largest remainder, so they total ``n``) are drawn within each
    stratum ∝ weights, strata in the order of ``shares``.
    """
    w = _weight_vector(weights)
    if isinstance(n, bool) or not (isinstance(n, (int, np.integer)) and n >= 0):
        raise ValueError(f"n: expected an integer >= 0 (got {n!r})")
    rng = np.random.default_rng(np.random.SeedSequence(_seed(seed)))
    if (strata is None) != (shares is None):
        raise ValueError("shares: expected both strata and shares, or neither")
    if strata is None:
        return _Sampler(w).draw(rng.random(int(n)))
    if not isinstance(shares, Mapping) or not shares:
        raise ValueError(f"shares: expected a non-empty mapping label -> fraction (got {shares!r})")
    counts = _largest_remainder(int(n), shares)
    samplers = _strata_samplers(w, strata, [k for k, c in counts.items() if c > 0], "shares")
    parts = [samplers[k].draw(rng.random(c)) for k, c in counts.items() if c > 0]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.intp)


def _uniform(seed: int, index: int) -> float:
    return float(np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index, _SELECT_KEY))).random())


def resample_indexed(
    weights: Weights | Any,
    seed: int,
    indices: Any,
    labels: Any = None,
    strata: Any = None,
) -> np.ndarray:
    """The plausible patient chosen for each virtual patient in ``indices`` (∝ weights).

    Virtual patient ``i`` draws from ``SeedSequence(seed, spawn_key=(i, 3))`` only, so any split
    of the indices gives the same choices. With ``strata`` (N,) and ``labels`` (one per index),
    each is drawn within its own stratum.
    """
    w = _weight_vector(weights)
    seed = _seed(seed)
    idx = np.asarray(indices)
    if idx.ndim != 1 or (idx.size and (not np.issubdtype(idx.dtype, np.integer) or idx.min() < 0)):
        raise ValueError("indices: expected a 1-D array of integers >= 0")
    u = np.array([_uniform(seed, int(i)) for i in idx], dtype=float)
    if (strata is None) != (labels is None):
        raise ValueError("labels: expected both strata and labels, or neither")
    if strata is None:
        return _Sampler(w).draw(u)
    lab = np.asarray(labels)
    if lab.shape != idx.shape:
        raise ValueError(f"labels: expected one label per index, shape {idx.shape} (got {lab.shape})")
    samplers = _strata_samplers(w, strata, list(dict.fromkeys(lab.tolist())), "labels")
    out = np.empty(idx.shape[0], dtype=np.intp)
    for label, sampler in samplers.items():
        sel = np.flatnonzero(lab == label)
        out[sel] = sampler.draw(u[sel])
    return out


def resample_one(weights: Weights | Any, seed: int, index: int, strata: Any = None, label: Any = None) -> int:
    """The plausible patient chosen for virtual patient ``index`` (see :func:`resample_indexed`)."""
    if isinstance(index, bool) or not (isinstance(index, (int, np.integer)) and index >= 0):
        raise ValueError(f"index: expected an integer >= 0 (got {index!r})")
    if (strata is None) != (label is None):
        raise ValueError("label: expected both strata and label, or neither")
    labels = None
    if strata is not None:
        labels = np.empty(1, dtype=object)
        labels[0] = label
    return int(resample_indexed(weights, seed, np.array([int(index)]), labels=labels, strata=strata)[0])
