"""A patient: lesions with site and size, covariates, and parameter overrides."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

import numpy as np

from .._read import MAX_LESIONS
from ..model import Site, check_overrides
from ..treatments import REFERENCE_WEIGHT_KG, parameter_registry, positive_parameters
from ._contraindications import CONTRAINDICATION_NAMES

_REAL = (int, float, np.integer, np.floating)

MIN_WEIGHT_KG, MAX_WEIGHT_KG = 20.0, 300.0
"""Accepted body weight of a patient (kg; assumed bounds of an adult, wide of the drawn 35-200 kg)."""


@dataclass(frozen=True)
class Lesion:
    """One lesion at baseline.

    lesion_id: a label unique within the patient; site: where it is;
    longest_diameter_cm: baseline longest diameter (cm, > 0);
    accessibility / doubling_time_days / immune_infiltration: lesion-level values (``None``: the patient's
    default);
    injection_intent: the investigator plans to inject it when present (only lesions at an injectable
    site with intent are injected; ignored at visceral sites).
    """

    lesion_id: str
    site: Site
    longest_diameter_cm: float
    accessibility: float | None = None
    doubling_time_days: float | None = None
    injection_intent: bool = True
    immune_infiltration: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "site", Site.parse(self.site) if not isinstance(self.site, Site) else self.site)
        if not isinstance(self.injection_intent, (bool, np.bool_)):
            raise ValueError(f"injection_intent: expected true or false (got {self.injection_intent!r})")
        object.__setattr__(self, "injection_intent", bool(self.injection_intent))
        for name in ("longest_diameter_cm", "accessibility", "doubling_time_days", "immune_infiltration"):
            value = getattr(self, name)
            if (value is not None or name == "longest_diameter_cm") and (
                    isinstance(value, (bool, np.bool_)) or not isinstance(value, _REAL)):
                raise ValueError(f"{name}: expected a number (got {value!r})")
        if not (math.isfinite(self.longest_diameter_cm) and self.longest_diameter_cm > 0):
            raise ValueError(f"longest_diameter_cm: expected a number > 0 (got {self.longest_diameter_cm!r})")
        if self.accessibility is not None and not (0 < self.accessibility <= 1):
            raise ValueError(f"accessibility: expected 0 < accessibility <= 1 (got {self.accessibility!r})")
        if self.immune_infiltration is not None and not (
                math.isfinite(self.immune_infiltration) and self.immune_infiltration > 0):
            raise ValueError(f"immune_infiltration: expected a number > 0 (got {self.immune_infiltration!r})")
        if self.doubling_time_days is not None and not (
            math.isfinite(self.doubling_time_days) and self.doubling_time_days > 0
        ):
            raise ValueError(f"doubling_time_days: expected a number > 0 (got {self.doubling_time_days!r})")


@dataclass(frozen=True)
class Patient:
    """A (virtual or real) patient.

    hsv1_seropositive: HSV-1 antibodies at baseline; bsa_m2: body surface area (m^2, scales GM-CSF
    doses); weight_kg: body weight (kg; mg/kg checkpoint-inhibitor doses and pembrolizumab PK; default
    76.8 kg, the pembrolizumab PK model's reference weight; 20-300 kg); stage (AJCC 7th), ecog, ldh_x_uln:
    covariates carried for reporting and eligibility;
    parameters: model parameter overrides by name (``ovsim.treatments.parameter_registry()``: the
    mechanisms' and treatments' parameters), e.g. ``{"kill_rate": 0.2}``.
    immunocompromised, pregnant, prior_tvec, active_herpetic_lesions, antiherpetic_medication:
    the label's contraindication and warning covariates (``ovsim.population.CONTRAINDICATIONS``;
    checked by ``ovsim.population.screen``, not by the model).
    """

    patient_id: str
    lesions: tuple[Lesion, ...]
    hsv1_seropositive: bool = True
    stage: str | None = None
    ecog: int | None = None
    ldh_x_uln: float | None = None
    parameters: Mapping[str, float] = field(default_factory=dict)
    bsa_m2: float = 1.9
    immunocompromised: bool = False
    pregnant: bool = False
    prior_tvec: bool = False
    active_herpetic_lesions: bool = False
    antiherpetic_medication: bool = False
    weight_kg: float = REFERENCE_WEIGHT_KG

    def __post_init__(self) -> None:
        for name in CONTRAINDICATION_NAMES:
            value = getattr(self, name)
            if not isinstance(value, (bool, np.bool_)):
                raise ValueError(f"{name}: expected true or false (got {value!r})")
            object.__setattr__(self, name, bool(value))
        if not isinstance(self.hsv1_seropositive, (bool, np.bool_)):
            raise ValueError(f"hsv1_seropositive: expected true or false (got {self.hsv1_seropositive!r})")
        object.__setattr__(self, "hsv1_seropositive", bool(self.hsv1_seropositive))
        ldh = self.ldh_x_uln
        if ldh is not None and not (isinstance(ldh, _REAL) and not isinstance(ldh, (bool, np.bool_))
                                    and math.isfinite(ldh) and ldh >= 0):
            raise ValueError(f"ldh_x_uln: expected a finite number >= 0 (x ULN) or None (got {self.ldh_x_uln!r})")
        if self.ecog is not None and (isinstance(self.ecog, (bool, np.bool_)) or self.ecog not in range(5)):
            raise ValueError(f"ecog: expected 0, 1, 2, 3 or 4 or None (got {self.ecog!r})")
        object.__setattr__(self, "lesions", tuple(self.lesions))
        if not self.lesions:
            raise ValueError("lesions: expected at least one lesion")
        if len(self.lesions) > MAX_LESIONS:
            raise ValueError(f"lesions: expected at most {MAX_LESIONS} lesions per patient (got {len(self.lesions)})")
        ids = [les.lesion_id for les in self.lesions]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"lesions: lesion ids must be unique (repeated: {', '.join(dupes)})")
        if isinstance(self.bsa_m2, (bool, np.bool_)) or not (math.isfinite(self.bsa_m2) and 0.3 <= self.bsa_m2 <= 4.0):
            raise ValueError(f"bsa_m2: expected a body surface area between 0.3 and 4 m^2 (got {self.bsa_m2!r})")
        w = self.weight_kg
        if isinstance(w, (bool, np.bool_)) or not isinstance(w, _REAL) or not (
                math.isfinite(w) and MIN_WEIGHT_KG <= w <= MAX_WEIGHT_KG):
            raise ValueError(f"weight_kg: expected a body weight between {MIN_WEIGHT_KG:g} and {MAX_WEIGHT_KG:g} kg "
                             f"(got {w!r})")
        object.__setattr__(self, "weight_kg", float(w))
        object.__setattr__(self, "parameters",
                           MappingProxyType(check_overrides(self.parameters, parameter_registry(),
                                                           positive=positive_parameters())))

    @property
    def n_lesions(self) -> int:
        """Number of lesions."""
        return len(self.lesions)

    @property
    def has_injectable_lesion(self) -> bool:
        """True if any lesion is at an injectable site."""
        return any(les.site.injectable for les in self.lesions)

    @property
    def injectable_mask(self) -> list[bool]:
        """Per lesion: at an injectable site and intended for injection (what the dosing policy may inject)."""
        return [les.site.injectable and les.injection_intent for les in self.lesions]

    def parameter(self, name: str) -> float:
        """The patient's value of model parameter ``name`` (override or default)."""
        return float(self.parameters.get(name, parameter_registry()[name].value))
