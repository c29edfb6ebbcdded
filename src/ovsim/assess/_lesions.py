"""Lesion-level outcomes: OPTiM's per-lesion analysis (Andtbacka et al. Ann Surg Oncol 2016;23:4169).

Each lesion is followed by its own product of diameters (cm2) relative to its first
measurement, and grouped as injected, uninjected non-visceral or uninjected visceral.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._measurements import Measurements, prepare
from ._rules import BURDEN_TOL

CATEGORIES = ("injected", "uninjected_nonvisceral", "uninjected_visceral")
LESION_COLUMNS = ("patient_index", "lesion_index", "site", "category", "new_lesion", "first_seen_day",
                  "baseline_product_cm2", "best_change_pct", "decrease_ge_50pct", "complete_resolution",
                  "time_to_decrease_50pct_day")


def lesion_outcomes(meas: Measurements, *, include_new: bool = False) -> pd.DataFrame:
    """One row per real baseline lesion (lesion seen at visit 0 of an assessed baseline).

    category: 'injected' if ``meas.injected``, else 'uninjected_visceral' for visceral sites
      (:attr:`ovsim.model.Site.visceral`) and 'uninjected_nonvisceral' otherwise.
    baseline_product_cm2: longest x perpendicular at baseline.
    best_change_pct: smallest (product / baseline product - 1) x 100 over assessed visits after
      baseline (NaN if there is none).
    decrease_ge_50pct: best change <= -50%. complete_resolution: product 0 at some assessed
      visit after baseline.
    time_to_decrease_50pct_day: days from the lesion's first measurement (``first_seen_day``; day 0 for a
      baseline lesion) to the first assessed visit after it whose product is <= 50% of the first one
      (the visit the lesion first meets ``decrease_ge_50pct``); NaN if it never does.
    include_new: also one row per lesion first seen after baseline, followed from the visit it is
      first seen (its "baseline"); ``new_lesion`` tells them apart, ``first_seen_day`` gives the day.
    """
    m = prepare(meas)
    keep = m.baseline | (m.new if include_new else False)
    pi, li = np.nonzero(keep)
    first = m.first_seen[pi, li]
    product = (m.longest_cm * m.perpendicular_cm)[pi, :, li]          # (N, V)
    base = product[np.arange(pi.size), first]
    visit = np.arange(meas.n_visits)[None, :]
    after = m.assessed[pi, :] & (visit > first[:, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        change = np.where(after, (product / base[:, None] - 1.0) * 100.0, np.inf)
    best = change.min(axis=1, initial=np.inf)
    best = np.where(np.isfinite(best), best, np.nan)
    resolved = np.any(after & (product <= 0.0), axis=1)
    halved = change <= -50.0 + BURDEN_TOL                               # False where not assessed (change inf)
    day_halved = np.where(halved.any(axis=1), m.time_day[np.argmax(halved, axis=1)], np.nan)
    injected = meas.injected[pi, li]
    category = np.where(injected, CATEGORIES[0], np.where(m.visceral[pi, li], CATEGORIES[2], CATEGORIES[1]))
    return pd.DataFrame({
        "patient_index": pi.astype(int),
        "lesion_index": li.astype(int),
        "site": np.asarray(meas.site, dtype=object)[pi, li].astype(str),
        "category": category.astype(str),
        "new_lesion": m.new[pi, li],
        "first_seen_day": m.time_day[first],
        "baseline_product_cm2": base,
        "best_change_pct": best,
        "decrease_ge_50pct": best <= -50.0 + BURDEN_TOL,
        "complete_resolution": resolved,
        "time_to_decrease_50pct_day": day_halved - m.time_day[first],
    }, columns=list(LESION_COLUMNS))
