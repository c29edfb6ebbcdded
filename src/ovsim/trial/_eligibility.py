"""Eligibility: the trial's inclusion criteria, checked on every enrolled virtual patient.

Defaults are OPTiM's (``shared/targets/optim.yaml``, eligibility): ECOG 0-1, stage IIIB-IVM1c,
LDH <= 1.5 x ULN, measurable disease with at least one injectable lesion, at most 3 visceral
lesions other than lung and none of them larger than 3 cm. Only lesions seen at baseline
(longest diameter >= the detection limit) count; occult deposits do not.
"""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from ..population import Population

_INJECTABLE = ("cutaneous", "subcutaneous", "nodal")
_VISCERAL_OTHER = ("liver", "visceral_other")


class Eligibility(BaseModel):
    """Inclusion criteria (OPTiM by default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ecog: list[int] = [0, 1]
    stages: list[str] = ["IIIB", "IIIC", "IVM1a", "IVM1b", "IVM1c"]
    ldh_max_x_uln: float = Field(1.5, gt=0)
    min_injectable_measurable_cm: float = Field(1.0, ge=0)
    max_visceral_other_lesions: int = Field(3, ge=0)
    max_visceral_other_cm: float = Field(3.0, gt=0)

    def failures(self, population: Population, detection_limit_cm: float) -> pd.Series:
        """Per criterion, the number of patients who fail it (criteria nobody fails are left out)."""
        p = population.patients.set_index("patient_id")
        les = population.lesions[population.lesions["longest_diameter_cm"] >= detection_limit_cm]
        inj = les[les["site"].isin(_INJECTABLE)].groupby("patient_id")["longest_diameter_cm"].max()
        visc = les[les["site"].isin(_VISCERAL_OTHER)].groupby("patient_id")["longest_diameter_cm"]
        n_visc = visc.size().reindex(p.index, fill_value=0)
        max_visc = visc.max().reindex(p.index, fill_value=0.0)
        fails = {
            "ecog": ~p["ecog"].isin(self.ecog) if "ecog" in p else None,
            "stages": ~p["stage"].isin(self.stages) if "stage" in p else None,
            "ldh_max_x_uln": p["ldh_x_uln"] > self.ldh_max_x_uln if "ldh_x_uln" in p else None,
            "min_injectable_measurable_cm": ~(inj.reindex(p.index, fill_value=0.0) >= self.min_injectable_measurable_cm),
            "max_visceral_other_lesions": n_visc > self.max_visceral_other_lesions,
            "max_visceral_other_cm": max_visc > self.max_visceral_other_cm,
        }
        counts = pd.Series({k: int(v.sum()) for k, v in fails.items() if v is not None}, dtype=int)
        return counts[counts > 0]

    def check(self, population: Population, detection_limit_cm: float, what: str) -> None:
        """Raise ``ValueError`` in one line if any patient of ``population`` is not eligible."""
        bad = self.failures(population, detection_limit_cm)
        if len(bad):
            name, n = bad.index[0], int(bad.iloc[0])
            raise ValueError(f"{what}: {n} of {len(population)} patients fail eligibility.{name} "
                             f"(expected {getattr(self, name)!r}); use a population that meets the criteria")
