"""Modified WHO criteria as used in OPTiM (Andtbacka et al. J Clin Oncol 2015;33:2780).

Tumour burden = sum over all lesions seen of longest x perpendicular diameter (cm2); lesions
that appear after baseline are added to the burden from the visit they appear (OPTiM's
modification, which lets treatment continue through early progression). Per visit:

* CR: no lesion seen (burden 0);
* PR: burden <= 50% of the baseline burden (a decrease >= 50%);
* PD: burden >= 125% of the nadir (smallest burden at earlier visits, baseline included), or a
  lesion first seen at this visit (``new_lesion_is_progression``);
* SD otherwise. PD is checked first, then CR, then PR.

Assessment continues after PD, so a later PR or CR counts ("progression before response").
"""

from __future__ import annotations

import numpy as np

from ._measurements import Measurements, prepare
from ._rules import BURDEN_TOL, classify, confirm_response, running_nadir
from ._table import ResponseTable

PR_FRACTION = 0.50
"""PR: burden at most this fraction of baseline (a decrease of at least 50%)."""
PD_FRACTION = 1.25
"""PD: burden at least this multiple of the nadir (an increase of at least 25%)."""


def modified_who(meas: Measurements, *, new_lesion_is_progression: bool = True,
                 confirm_response_days: float | None = None) -> ResponseTable:
    """Per-visit modified-WHO responses (OPTiM).

    new_lesion_is_progression: a visit where a new lesion is first seen is PD (OPTiM protocol,
      ``shared/targets/optim.yaml``); if False, new lesions only add to the burden.
    confirm_response_days: if given, a CR/PR must be confirmed by a repeat assessment at least
      this many days later (see :func:`ovsim.assess._rules.confirm_response`); default None
      (no confirmation: optim.yaml states none).
    """
    m = prepare(meas)
    product = m.longest_cm * m.perpendicular_cm
    burden = np.where(m.assessed, product.sum(axis=2), np.nan)
    base = burden[:, 0]
    nadir = running_nadir(burden, m.assessed)
    with np.errstate(invalid="ignore"):
        cr = ~m.seen.any(axis=2)
        pr = burden <= PR_FRACTION * base[:, None] + BURDEN_TOL
        pd = (burden > 0) & (burden >= PD_FRACTION * nadir - BURDEN_TOL)
    if new_lesion_is_progression:
        pd = pd | m.new_lesion
    code = classify(m.evaluable, m.assessed, cr, pr, pd)
    if confirm_response_days is not None:
        code = confirm_response(code, m.time_day, confirm_response_days)
    return ResponseTable("modified_who", m.time_day, burden, base, code, m.new_lesion, m.evaluable, "cm2")
