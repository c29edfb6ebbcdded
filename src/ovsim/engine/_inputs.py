"""A population as the model's inputs: initial states, per-patient and per-lesion values (numpy).

Lesions are padded to ``n_slots`` (multiples of 4) so patients of similar size share one compiled
function; padded slots hold no cells, are never dosed and take the patient's own lesion-level values.
Which values the model needs comes from the composed :class:`~ovsim.model.ModelDefinition`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model import INFILTRATION_BY_SITE, INJECTABLE_SITE_NAMES, ModelDefinition, Site, generate_array_model
from ..population import Population

_SITE_INFILTRATION = {s.value: INFILTRATION_BY_SITE[s] for s in Site}


def n_slots_for(n_lesions: int) -> int:
    """Lesion slots: ``n_lesions`` rounded up to a multiple of 4."""
    return max(4, 4 * math.ceil(n_lesions / 4))


@dataclass(frozen=True)
class PatientInputs:
    """Model inputs of a batch of patients (leading axis = patient)."""

    y0: np.ndarray
    """(B, n_state) initial state."""
    patient: dict[str, np.ndarray]
    """{name: (B,)} patient-level parameters and covariates (``model.patient_names()``)."""
    lesion: dict[str, np.ndarray]
    """{name: (B, L)} lesion-level parameters and covariates (``model.lesion_names()``)."""
    injectable: np.ndarray
    """(B, L) bool: lesion the dosing policy may inject: at an injectable site and intended for injection
    (lesion column ``injection_intent``, missing or empty = true); padded slots False."""
    n_slots: int

    def one(self, i: int) -> "PatientInputs":
        """Patient ``i`` alone, keeping a leading axis of 1."""
        return PatientInputs(self.y0[i:i + 1], {k: v[i:i + 1] for k, v in self.patient.items()},
                             {k: v[i:i + 1] for k, v in self.lesion.items()}, self.injectable[i:i + 1], self.n_slots)


def population_inputs(population: Population, model: ModelDefinition, n_slots: int) -> PatientInputs:
    """The inputs of every patient of ``population`` for ``model`` with ``n_slots`` lesion slots (vectorised)."""
    pats, les = population.patients, population.lesions
    n = len(pats)
    if population.max_lesions > n_slots:
        raise ValueError(f"n_slots: expected >= {population.max_lesions} (got {n_slots})")
    patient: dict[str, np.ndarray] = {}
    for name in model.patient_names():
        spec = model.parameters.get(name) or model.covariates[name]
        patient[name] = _column(pats, name, np.full(n, float(spec.value)))
    if "hsv1_seropositive" in patient and "hsv1_seropositive" in pats:
        patient["hsv1_seropositive"] = pats["hsv1_seropositive"].to_numpy(dtype=bool).astype(float)

    row = pd.Index(pats["patient_id"]).get_indexer(les["patient_id"])
    slot = les.groupby("patient_id", sort=False).cumcount().to_numpy()
    sites = les["site"].astype(str)
    lesion: dict[str, np.ndarray] = {}
    for name in model.lesion_names():
        if name == "baseline_diameter_cm":
            pad, values = 0.0, les["longest_diameter_cm"].to_numpy(dtype=float)
        elif name == "site_infiltration":
            pad, values = 1.0, sites.map(_SITE_INFILTRATION).to_numpy(dtype=float)
        elif name == "liver_site":
            pad, values = 0.0, (sites == Site.LIVER.value).to_numpy(dtype=float)
        else:
            spec = model.parameters.get(name) or model.covariates[name]
            per_patient = _column(pats, name, np.full(n, float(spec.value)))
            pad = per_patient[:, None]
            values = _column(les, name, per_patient[row])
        out = np.broadcast_to(np.asarray(pad, dtype=float), (n, n_slots)).copy() if n else np.zeros((0, n_slots))
        out[row, slot] = values
        lesion[name] = out
    injectable = np.zeros((n, n_slots), dtype=bool)
    injectable[row, slot] = sites.isin(INJECTABLE_SITE_NAMES).to_numpy(dtype=bool) & _intent(les)
    y0 = np.asarray(generate_array_model(model, np).initial_state(patient, lesion)) if n else \
        np.zeros((0, model.size(n_slots)))
    return PatientInputs(y0=y0, patient=patient, lesion=lesion, injectable=injectable, n_slots=n_slots)


def _column(frame: pd.DataFrame, name: str, default: np.ndarray) -> np.ndarray:
    """``frame[name]`` as floats with NaN (or a missing column) replaced by ``default``."""
    if name not in frame.columns:
        return np.asarray(default, dtype=float)
    col = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
    return np.where(np.isnan(col), default, col)


def _intent(lesions: pd.DataFrame) -> np.ndarray:
    """Per lesion row, ``injection_intent`` as bools (a missing column or an empty cell: True)."""
    if "injection_intent" not in lesions.columns:
        return np.ones(len(lesions), dtype=bool)
    col = lesions["injection_intent"]
    return np.where(col.isna().to_numpy(), True, col.to_numpy(dtype=object)).astype(bool)
