"""Building blocks shared by the criteria: nadirs, runs of visits, confirmation, lesion selection.

Every function works on (P, V) or (P, L) arrays, looping over visits or lesion ranks only.
Threshold comparisons carry a tiny tolerance so that a change of exactly the threshold counts
(floating-point sums of diameters are rarely exact): ``BURDEN_TOL`` in the burden's own units
(cm or cm2), ``DAY_TOL`` in days.
"""

from __future__ import annotations

import numpy as np

from ._table import Response

BURDEN_TOL = 1e-9
"""Tolerance of burden comparisons (cm or cm2): 'a decrease >= 50%' includes exactly 50%."""
DAY_TOL = 1e-9
"""Tolerance of day comparisons: 'at least 28 days later' includes exactly 28.0 days."""


def running_nadir(burden: np.ndarray, assessed: np.ndarray) -> np.ndarray:
    """(P, V) smallest burden over assessed visits *before* each visit (baseline included; inf at visit 0)."""
    p, v = burden.shape
    out = np.full((p, v), np.inf)
    low = np.full(p, np.inf)
    for j in range(v):
        out[:, j] = low
        low = np.where(assessed[:, j], np.fmin(low, burden[:, j]), low)
    return out


def run_bounds(state: np.ndarray, assessed: np.ndarray, time_day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last day of the run each visit belongs to.

    A run is a maximal sequence of consecutive *assessed* visits where ``state`` holds (visits
    not assessed are skipped, they neither break nor extend a run). Returns (start_day, end_day),
    each (P, V), NaN where the visit is not in a run.
    """
    p, v = state.shape
    inside = state & assessed
    start = np.full((p, v), np.nan)
    end = np.full((p, v), np.nan)
    cur = np.full(p, np.nan)
    for j in range(v):
        nxt = np.where(inside[:, j], np.where(np.isnan(cur), time_day[j], cur), np.nan)
        cur = np.where(assessed[:, j], nxt, cur)
        start[:, j] = np.where(inside[:, j], cur, np.nan)
    cur = np.full(p, np.nan)
    for j in range(v - 1, -1, -1):
        nxt = np.where(inside[:, j], np.where(np.isnan(cur), time_day[j], cur), np.nan)
        cur = np.where(assessed[:, j], nxt, cur)
        end[:, j] = np.where(inside[:, j], cur, np.nan)
    return start, end


def run_lasts(state: np.ndarray, assessed: np.ndarray, time_day: np.ndarray, days: float) -> np.ndarray:
    """(P, V) True where the visit is in a run of ``state`` whose last visit is >= ``days`` after its first."""
    start, end = run_bounds(state, assessed, time_day)
    with np.errstate(invalid="ignore"):
        return (end - start) >= days - DAY_TOL


def classify(evaluable: np.ndarray, assessed: np.ndarray, cr: np.ndarray, pr: np.ndarray,
             pd: np.ndarray) -> np.ndarray:
    """(P, V) codes: PD over CR over PR over SD; NE at visit 0, unassessed visits and non-evaluable patients."""
    code = np.where(pd, Response.PD, np.where(cr, Response.CR, np.where(pr, Response.PR, Response.SD)))
    ok = assessed & evaluable[:, None]
    ok[:, 0] = False
    return np.where(ok, code, Response.NE).astype(int)


def confirm_response(code: np.ndarray, time_day: np.ndarray, days: float) -> np.ndarray:
    """Responses confirmed by a repeat assessment >= ``days`` later, with no non-response between.

    A CR or PR stands when its visit lies in a run of consecutive assessed CR/PR visits spanning
    >= ``days``; otherwise it becomes SD. A CR also needs a run of CRs spanning >= ``days``,
    otherwise (response confirmed, CR not) it becomes PR.
    """
    assessed = code != Response.NE
    resp = (code == Response.CR) | (code == Response.PR)
    ok = run_lasts(resp, assessed, time_day, days)
    ok_cr = run_lasts(code == Response.CR, assessed, time_day, days)
    out = np.where(resp & ~ok, Response.SD, code)
    out = np.where((code == Response.CR) & ok & ~ok_cr, Response.PR, out)
    return out.astype(int)


def first_index(mask: np.ndarray) -> np.ndarray:
    """(P,) index of the first True along axis 1; the axis length where none."""
    return np.where(mask.any(axis=1), np.argmax(mask, axis=1), mask.shape[1])


def last_index(mask: np.ndarray) -> np.ndarray:
    """(P,) index of the last True along axis 1; -1 where none."""
    n = mask.shape[1]
    return np.where(mask.any(axis=1), n - 1 - np.argmax(mask[:, ::-1], axis=1), -1)


def select_largest(size: np.ndarray, eligible: np.ndarray, group: np.ndarray, max_total: int,
                   max_per_group: int | None = None) -> np.ndarray:
    """(P, L) mask of the largest eligible lesions: at most ``max_total``, at most ``max_per_group``
    from one group (organ); ties keep the lower lesion index. Greedy by size, so a third lesion of
    a full organ is skipped and the next organ's lesion taken."""
    p, n = size.shape
    order = np.argsort(np.where(eligible, -size, np.inf), axis=1, kind="stable")
    n_groups = int(group.max(initial=-1)) + 2
    per_group = np.zeros((p, n_groups), dtype=int)
    total = np.zeros(p, dtype=int)
    chosen = np.zeros((p, n), dtype=bool)
    rows = np.arange(p)
    cap = n if max_per_group is None else max_per_group
    for k in range(n):
        idx = order[:, k]
        g = group[rows, idx] + 1
        take = eligible[rows, idx] & (total < max_total) & (per_group[rows, g] < cap)
        chosen[rows, idx] = take
        total += take
        per_group[rows, g] += take
    return chosen


def drop_after_progression(code: np.ndarray, burden: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Visits after the first PD set to NE (burden NaN): assessment stops at progression."""
    first = first_index(code == Response.PD)
    after = np.arange(code.shape[1])[None, :] > first[:, None]
    return np.where(after, int(Response.NE), code), np.where(after, np.nan, burden)
