"""Body weight (kg) of a virtual patient, drawn consistently with the patient's body surface area.

Weight is not drawn directly: the patient's height is drawn and the weight follows from the Mosteller
formula ``BSA = sqrt(height_cm x weight_kg / 3600)`` (Mosteller RD. N Engl J Med 1987;317:1098), i.e.
``weight_kg = 3600 x BSA^2 / height_cm``, so weight and ``bsa_m2`` (which doses GM-CSF) describe the same
body. The weight is then clipped to a plausible adult range.

Height (cm): a two-component normal mixture, male with probability 0.57 (OPTiM's 57% men:
``shared/targets/optim.yaml``, ``baseline.male_fraction``; used for every population spec, assumed), mean
176 cm (men) and 163 cm (women), SD 7 cm each (approximately the US adult means and spreads of NCHS
anthropometric reference data 2011-2014: Fryar CD et al. 2016, Vital Health Stat 3(39)), truncated to
140-205 cm by redrawing (assumed bounds).

Reproducibility: patient ``i`` of seed ``s`` draws its height from its own stream
``SeedSequence(s, spawn_key=(i, 10))`` (key 10: no other stream of ovsim uses it; the population ``(i,)``,
measurement ``(i, 1)``, survival ``(i, 2)``, selection ``(i, 3)``, plausible ``(i, 4)``, overrides
``(i, 5, ...)``, survival fit ``(0, 6)``, safety ``(i, 7)``, supply ``(r, 8)`` and costs ``(b, 9)`` streams are
untouched), so adding the weight changes no other draw and any chunk of a population gets the same weights.
"""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np

WEIGHT_STREAM = 10
"""``spawn_key`` tag of the per-patient height stream ``(i, 10)``."""

MALE_FRACTION = 0.57
"""Share of men (OPTiM baseline, ``shared/targets/optim.yaml`` ``baseline.male_fraction``)."""

HEIGHT_CM = {"male": (176.0, 7.0), "female": (163.0, 7.0)}
"""Height mean and SD (cm) by sex: approximately NCHS anthropometric reference data for US adults 2011-2014
(Fryar et al. 2016, Vital Health Stat 3(39))."""

HEIGHT_RANGE_CM = (140.0, 205.0)
"""Truncation of the height draw (cm; assumed adult bounds)."""

WEIGHT_RANGE_KG = (35.0, 200.0)
"""Clip of the derived weight (kg; assumed plausible adult range)."""

MOSTELLER_CM_KG_PER_M4 = 3600.0
"""Mosteller's constant: BSA (m^2) = sqrt(height (cm) x weight (kg) / 3600) (Mosteller 1987)."""

_MAX_REDRAWS = 1000


def height_stream(seed: int, index: int) -> np.random.Generator:
    """The height stream of patient ``index`` of ``seed``: ``SeedSequence(seed, spawn_key=(index, 10))``."""
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(index), WEIGHT_STREAM)))


def draw_height_cm(rng: np.random.Generator) -> float:
    """One adult height (cm): sex from one uniform (male below ``MALE_FRACTION``), then the sex's normal,
    redrawn until inside ``HEIGHT_RANGE_CM``."""
    mean, sd = HEIGHT_CM["male" if rng.random() < MALE_FRACTION else "female"]
    low, high = HEIGHT_RANGE_CM
    for _ in range(_MAX_REDRAWS):
        h = mean + sd * float(rng.standard_normal())
        if low <= h <= high:
            return h
    raise ValueError(f"height: cannot draw a height in [{low}, {high}] cm")  # not reached: the range spans +-4 SD


def weight_from_bsa_kg(bsa_m2: float, height_cm: float) -> float:
    """Weight (kg) of a body of surface area ``bsa_m2`` (m^2) and height ``height_cm`` (cm) by the Mosteller
    formula, clipped to ``WEIGHT_RANGE_KG``."""
    w = MOSTELLER_CM_KG_PER_M4 * bsa_m2 * bsa_m2 / height_cm
    return float(min(max(w, WEIGHT_RANGE_KG[0]), WEIGHT_RANGE_KG[1]))


def patient_weight_kg(seed: int, index: int, bsa_m2: float) -> float:
    """Body weight (kg) of patient ``index`` of ``seed`` with surface area ``bsa_m2`` (m^2); NaN if
    ``bsa_m2`` is NaN (the patient then takes the default weight)."""
    if not math.isfinite(bsa_m2):
        return math.nan
    return weight_from_bsa_kg(bsa_m2, draw_height_cm(height_stream(seed, index)))


def weights_kg(seed: int, indices: Iterable[int], bsa_m2: Iterable[float]) -> np.ndarray:
    """Body weights (kg) of patients ``indices`` of ``seed`` with surface areas ``bsa_m2`` (m^2)."""
    return np.array([patient_weight_kg(seed, i, float(b)) for i, b in zip(indices, bsa_m2)], dtype=float)
