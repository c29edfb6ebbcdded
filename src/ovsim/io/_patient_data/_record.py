"""The validated record of one patient: lesions, measured diameters, T-VEC doses, covariates."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping

import pandas as pd

from ...model import Site

DETECTION_LIMIT_CM = 0.2
"""Smallest measurable diameter (cm), as ovsim's assessment (``ovsim.assess``): a diameter of 0 or below it is a
censored observation (the lesion was looked for and not measurable)."""

MEASUREMENT_COLUMNS = ("lesion_id", "day", "longest_diameter_cm", "perpendicular_diameter_cm", "below_detection")
DOSE_COLUMNS = ("lesion_id", "day", "volume_ml", "concentration_pfu_per_ml", "amount_pfu")


@dataclass(frozen=True)
class LesionRecord:
    """One lesion: site, first diameter seen (cm) and the day it was first seen (day 0: at baseline)."""

    lesion_id: str
    site: Site
    baseline_diameter_cm: float
    first_seen_day: float

    @property
    def new(self) -> bool:
        """True for a lesion first seen after baseline (a new lesion)."""
        return self.first_seen_day > 0


@dataclass(frozen=True, eq=False)
class PatientRecord:
    """One patient's data as read by :func:`ovsim.io.load_patient_data` (treat the frames as read-only).

    measurements: ``lesion_id, day, longest_diameter_cm, perpendicular_diameter_cm`` (NaN if not given),
    ``below_detection`` (censored: 0 or below :data:`DETECTION_LIMIT_CM`; the value is kept as given);
    doses: ``lesion_id, day, volume_ml, concentration_pfu_per_ml, amount_pfu`` (one row per lesion injected
    on a day). Days count from the first treatment day (day 0 = baseline).
    """

    patient_id: str
    covariates: Mapping[str, Any]
    lesions: tuple[LesionRecord, ...]
    measurements: pd.DataFrame
    doses: pd.DataFrame
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "covariates", MappingProxyType(dict(self.covariates)))
        object.__setattr__(self, "lesions", tuple(self.lesions))

    @property
    def new_lesions(self) -> tuple[LesionRecord, ...]:
        """Lesions first seen after day 0."""
        return tuple(les for les in self.lesions if les.new)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PatientRecord):
            return NotImplemented
        return (self.patient_id == other.patient_id and dict(self.covariates) == dict(other.covariates)
                and self.lesions == other.lesions and self.measurements.equals(other.measurements)
                and self.doses.equals(other.doses))

    __hash__ = None  # type: ignore[assignment]


def build_record(patient_id: str, covariates: Mapping[str, Any], sites: Mapping[str, str], rows: pd.DataFrame,
                 source: str) -> PatientRecord:
    """The record from validated rows (``lesion_id, day, longest_cm, perp_cm, cens, volume_ml, conc``)."""
    order = list(dict.fromkeys(rows.sort_values("day", kind="stable")["lesion_id"]))  # by first day, then file order
    rank = {les: k for k, les in enumerate(order)}
    seen = rows[rows["longest_cm"].notna()]
    measurements = pd.DataFrame({
        "lesion_id": seen["lesion_id"].astype(str),
        "day": seen["day"].astype(float),
        "longest_diameter_cm": seen["longest_cm"].astype(float),
        "perpendicular_diameter_cm": seen["perp_cm"].astype(float),
        "below_detection": (seen["cens"].astype(bool) | (seen["longest_cm"] < DETECTION_LIMIT_CM)).astype(bool),
    })
    measurements = _ordered(measurements, rank)
    dosed = rows[rows["volume_ml"].fillna(0) > 0]
    doses = _ordered(pd.DataFrame({
        "lesion_id": dosed["lesion_id"].astype(str),
        "day": dosed["day"].astype(float),
        "volume_ml": dosed["volume_ml"].astype(float),
        "concentration_pfu_per_ml": dosed["conc"].astype(float),
        "amount_pfu": (dosed["volume_ml"] * dosed["conc"]).astype(float),
    }), rank)
    lesions = tuple(_lesion(les, Site.parse(sites[les]), measurements[measurements["lesion_id"] == les])
                    for les in order)
    return PatientRecord(patient_id, covariates, lesions, measurements, doses, source)


def _ordered(frame: pd.DataFrame, rank: Mapping[str, int]) -> pd.DataFrame:
    """Rows by lesion (``rank``) then day; a fresh 0.. index."""
    key = frame["lesion_id"].map(rank)
    return frame.assign(_k=key).sort_values(["_k", "day"], kind="stable").drop(columns="_k").reset_index(drop=True)


def _lesion(lesion_id: str, site: Site, measured: pd.DataFrame) -> LesionRecord:
    visible = measured[~measured["below_detection"]]
    first = visible.iloc[0] if len(visible) else measured.iloc[0]
    return LesionRecord(lesion_id, site, float(first["longest_diameter_cm"]), float(first["day"]))


def identifiability_problem(record: PatientRecord) -> str | None:
    """One sentence saying why ``record`` cannot inform a fit of the patient's response, or ``None``."""
    m = record.measurements
    if not (m["day"] > 0).any():
        return ("only baseline measurements: nothing about the response can be learned; add at least one "
                "later visit")
    baseline = m[m["day"] == 0]
    if len(baseline) and baseline["below_detection"].all():
        return (f"every lesion is below the detection limit ({DETECTION_LIMIT_CM:g} cm) at baseline: there is no "
                "measurable tumour whose response could be followed")
    if m["below_detection"].all():
        return (f"every measurement is below the detection limit ({DETECTION_LIMIT_CM:g} cm): the data hold no "
                "measured size to fit")
    if not len(record.doses):
        return "no T-VEC dose is recorded: the response to T-VEC cannot be learned; add the injections given"
    return None
