"""RECIST 1.1 (Eisenhauer et al. Eur J Cancer 2009;45:228-247).

Baseline (visit 0):

* measurable: non-nodal lesion with longest diameter >= 1.0 cm; nodal lesion with short axis
  (here the perpendicular diameter) >= 1.5 cm;
* target lesions: the largest measurable lesions (by longest diameter, nodes by short axis), at
  most 5 in all and at most 2 per organ (organ = site), chosen greedily;
* non-target lesions: every other lesion seen at baseline.

Sum of diameters (cm) = longest diameters of non-nodal targets + short axes of nodal targets
(a node keeps its short axis in the sum even when below 1 cm). Per visit:

* CR: every non-nodal lesion (target or not) gone, every baseline node with short axis < 1.0 cm,
  and no new lesion seen;
* PR: sum <= 70% of the baseline sum (a decrease >= 30%);
* PD: sum >= 120% of the nadir (smallest sum at earlier visits, baseline included) and >= 0.5 cm
  above it, or a lesion first seen at this visit; unequivocal progression of non-target lesions
  is not modelled;
* SD otherwise. PD is checked first, then CR, then PR.

A patient with no measurable lesion at baseline is not evaluable here.
"""

from __future__ import annotations

import numpy as np

from ._measurements import Measurements, prepare
from ._rules import BURDEN_TOL, classify, confirm_response, drop_after_progression, running_nadir, select_largest
from ._table import ResponseTable

MIN_LONGEST_CM = 1.0
"""Measurable non-nodal lesion: longest diameter at least 1.0 cm."""
MIN_NODE_SHORT_AXIS_CM = 1.5
"""Measurable (pathological) node: short axis at least 1.5 cm."""
NORMAL_NODE_SHORT_AXIS_CM = 1.0
"""A node with short axis below 1.0 cm is normal (counts as gone for CR)."""
MAX_TARGETS = 5
MAX_TARGETS_PER_ORGAN = 2
PR_FRACTION = 0.70
PD_FRACTION = 1.20
PD_ABSOLUTE_CM = 0.5
CONFIRM_DAYS = 28.0


def recist11(meas: Measurements, *, confirm: bool = False, confirm_days: float = CONFIRM_DAYS,
             stop_at_progression: bool = False) -> ResponseTable:
    """Per-visit RECIST 1.1 responses.

    confirm: a CR/PR must be confirmed by a repeat assessment >= ``confirm_days`` later
      (RECIST 1.1 asks for it in non-randomised trials; default False, as in randomised trials);
      an unconfirmed response becomes SD, a CR confirmed only as a response becomes PR.
    stop_at_progression: visits after the first PD become NE (burden NaN), as when a patient
      leaves the study at progression; default False (assessment continues, like OPTiM).
    """
    m = prepare(meas)
    diameter = np.where(m.nodal[:, None, :], m.perpendicular_cm, m.longest_cm)
    longest0, short0 = m.longest_cm[:, 0, :], m.perpendicular_cm[:, 0, :]
    size0 = np.where(m.nodal, short0, longest0)
    measurable = m.baseline & np.where(m.nodal, short0 >= MIN_NODE_SHORT_AXIS_CM - BURDEN_TOL,
                                       longest0 >= MIN_LONGEST_CM - BURDEN_TOL)
    target = select_largest(size0, measurable, m.site_code, MAX_TARGETS, MAX_TARGETS_PER_ORGAN)
    evaluable = m.evaluable & target.any(axis=1)

    total = np.where(m.assessed, np.where(target[:, None, :], diameter, 0.0).sum(axis=2), np.nan)
    base = total[:, 0]
    nadir = running_nadir(total, m.assessed)
    baseline_node = (m.nodal & m.baseline)[:, None, :]
    gone = np.where(baseline_node, m.perpendicular_cm < NORMAL_NODE_SHORT_AXIS_CM, ~m.seen)
    with np.errstate(invalid="ignore"):
        cr = np.all(gone | ~m.exists[:, None, :], axis=2)
        pr = total <= PR_FRACTION * base[:, None] + BURDEN_TOL
        pd = ((total >= PD_FRACTION * nadir - BURDEN_TOL)
              & (total - nadir >= PD_ABSOLUTE_CM - BURDEN_TOL)) | m.new_lesion
    code = classify(evaluable, m.assessed, cr, pr, pd)
    if confirm:
        code = confirm_response(code, m.time_day, confirm_days)
    if stop_at_progression:
        code, total = drop_after_progression(code, total)
    return ResponseTable("recist11", m.time_day, total, base, code, m.new_lesion, evaluable, "cm")
