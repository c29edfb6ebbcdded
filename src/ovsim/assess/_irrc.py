"""Immune-related response criteria, irRC (Wolchok et al. Clin Cancer Res 2009;15:7412-7420).

Baseline (visit 0): index lesions are the largest measurable lesions (both diameters >= 0.5 cm)
by product of diameters. Wolchok et al. allow up to 5 per organ, up to 10 visceral and 5
cutaneous index lesions; ovsim approximates this by the ``max_index_lesions`` (15) largest,
without per-organ caps. Other baseline lesions are non-index lesions.

Total measured tumour burden (TMTB, cm2) = sum of products of the index lesions + sum of
products of *new measurable* lesions (>= 0.5 x 0.5 cm), each added from the first visit it is
measurable. New lesions do not by themselves define progression. Per visit:

* irCR: no lesion seen (index, non-index and new lesions all gone);
* irPR: TMTB <= 50% of the baseline TMTB (a decrease >= 50%);
* irPD: TMTB > 0 and >= 125% of the nadir (smallest TMTB at earlier visits, baseline included),
  confirmed by a repeat assessment >= 28 days later (``confirm_progression``): it stands when the
  visit lies in a run of consecutive assessed visits meeting the irPD rule whose last visit is
  >= 28 days after its first. An unconfirmed irPD visit (including one at the patient's last
  assessment) is classified without the irPD rule (irSD, or irPR/irCR if those hold);
* irSD otherwise. irPD is checked first, then irCR, then irPR.
"""

from __future__ import annotations

import numpy as np

from ._measurements import Measurements, prepare
from ._rules import BURDEN_TOL, classify, run_lasts, running_nadir, select_largest
from ._rules import confirm_response as _confirm
from ._table import ResponseTable

MIN_MEASURABLE_CM = 0.5
"""Measurable lesion (index at baseline, or new): both diameters at least 0.5 cm."""
MAX_INDEX_LESIONS = 15
PR_FRACTION = 0.50
PD_FRACTION = 1.25
CONFIRM_DAYS = 28.0


def irrc(meas: Measurements, *, confirm_progression: bool = True, confirm_response: bool = False,
         confirm_days: float = CONFIRM_DAYS, max_index_lesions: int = MAX_INDEX_LESIONS) -> ResponseTable:
    """Per-visit irRC responses (codes CR/PR/SD/PD stand for irCR/irPR/irSD/irPD).

    confirm_progression: irPD needs confirmation >= ``confirm_days`` later (default True, irRC).
    confirm_response: irCR/irPR need confirmation >= ``confirm_days`` later, as Wolchok et al.
      require (default False, so that all three criteria report unconfirmed responses alike).
    """
    m = prepare(meas)
    product = m.longest_cm * m.perpendicular_cm
    tol = BURDEN_TOL
    big = (m.longest_cm >= MIN_MEASURABLE_CM - tol) & (m.perpendicular_cm >= MIN_MEASURABLE_CM - tol)
    index = select_largest(product[:, 0, :], m.baseline & big[:, 0, :], m.site_code, max_index_lesions)
    evaluable = m.evaluable & index.any(axis=1)

    visit = np.arange(product.shape[1])
    new_big = big & m.new[:, None, :]
    first_measurable = np.where(new_big.any(axis=1), np.argmax(new_big, axis=1), visit.size)
    added = m.new[:, None, :] & (visit[None, :, None] >= first_measurable[:, None, :])
    counted = index[:, None, :] | added
    tmtb = np.where(m.assessed, np.where(counted, product, 0.0).sum(axis=2), np.nan)
    base = tmtb[:, 0]
    nadir = running_nadir(tmtb, m.assessed)
    with np.errstate(invalid="ignore"):
        cr = ~m.seen.any(axis=2)
        pr = tmtb <= PR_FRACTION * base[:, None] + tol
        pd = (tmtb > 0) & (tmtb >= PD_FRACTION * nadir - tol)
    if confirm_progression:
        pd = pd & run_lasts(pd, m.assessed, m.time_day, confirm_days)
    code = classify(evaluable, m.assessed, cr, pr, pd)
    if confirm_response:
        code = _confirm(code, m.time_day, confirm_days)
    return ResponseTable("irrc", m.time_day, tmtb, base, code, m.new_lesion, evaluable, "cm2")

