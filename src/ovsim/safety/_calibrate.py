"""Calibrate the adverse-event base rates to the label's patient-level incidences.

For event ``k`` the simulated arm's expected incidence is ``mean_i (1 - exp(-lambda_k E_ik))`` with
``E_ik`` the patient's summed exposure (:func:`ovsim.safety.exposures`); it rises monotonically with
``lambda_k``, so each rate is the unique root of ``expected incidence = label incidence`` (Brent's method).
Patients without any T-VEC visit count with zero exposure. Nothing else is fitted.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
from scipy.optimize import brentq


def expected_incidence(rate: float, exposure: np.ndarray) -> float:
    """Mean probability of at least one event over patients with summed exposures ``exposure``."""
    return float(np.mean(-np.expm1(-rate * np.asarray(exposure, dtype=float))))


def fit_rates(patient_exposure: Mapping[str, np.ndarray], targets: Mapping[str, float]) -> dict[str, float]:
    """The per-visit base rate of each event whose expected incidence equals its target (0 < target < 1)."""
    out = {}
    for name, target in targets.items():
        e = np.asarray(patient_exposure[name], dtype=float)
        if not 0.0 < target < 1.0:
            raise ValueError(f"{name}: expected a target incidence in (0, 1) (got {target!r})")
        if expected_incidence(1e6, e) <= target:
            raise ValueError(f"{name}: the exposures cannot reach incidence {target} (too few dosed patients)")
        out[name] = float(brentq(lambda r: expected_incidence(r, e) - target, 0.0, 1e6, xtol=1e-14, rtol=1e-12))
    return out
