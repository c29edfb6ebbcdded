"""Eligibility: the trial's inclusion criteria, checked on every enrolled virtual patient.

Defaults are OPTiM's (``shared/targets/optim.yaml``, eligibility): ECOG 0-1, stage IIIB-IVM1c,
LDH <= 1.5 x ULN, measurable disease with at least one injectable lesion, at most 3 visceral
lesions other than lung and none of them larger than 3 cm. Only lesions seen at baseline
(longest diameter >= the detection limit) count; occult deposits do not. Patients with a label
contraindication (``immunocompromised`` or ``pregnant`` true: ``ovsim.population.CONTRAINDICATIONS``)
are excluded (``exclude_contraindicated``), as OPTiM excluded them.
"""

from __future__ import annotations

from typing import Annotated, Literal

import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from .._read import MAX_DIAMETER_CM, MAX_LDH_X_ULN, MAX_LESIONS, Flag, Integer, Number, not_bool

from ..population import Population
from ..population._contraindications import REFUSAL_NAMES, contraindication, refusal_text

_INJECTABLE = ("cutaneous", "subcutaneous", "nodal")
_VISCERAL_OTHER = ("liver", "visceral_other")


class Eligibility(BaseModel):
    """Inclusion criteria (OPTiM by default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ecog: list[Annotated[Literal[0, 1, 2, 3, 4], BeforeValidator(not_bool)]] = Field([0, 1], max_length=5)
    stages: list[Literal["IIIB", "IIIC", "IVM1a", "IVM1b", "IVM1c"]] = Field(
        ["IIIB", "IIIC", "IVM1a", "IVM1b", "IVM1c"], max_length=5)
    ldh_max_x_uln: Number = Field(1.5, gt=0, le=MAX_LDH_X_ULN)
    min_injectable_measurable_cm: Number = Field(1.0, ge=0, le=MAX_DIAMETER_CM)
    max_visceral_other_lesions: Integer = Field(3, ge=0, le=MAX_LESIONS)
    max_visceral_other_cm: Number = Field(3.0, gt=0, le=MAX_DIAMETER_CM)
    exclude_contraindicated: Flag = True

    @model_validator(mode="after")
    def _unique(self) -> "Eligibility":
        for name in ("ecog", "stages"):
            values = getattr(self, name)
            if len(set(values)) != len(values):
                raise ValueError(f"{name}: expected each value at most once (got {values!r})")
        return self

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
            "exclude_contraindicated": self._contraindicated(p) if self.exclude_contraindicated else None,
        }
        counts = pd.Series({k: int(v.sum()) for k, v in fails.items() if v is not None}, dtype=int)
        return counts[counts > 0]

    def check(self, population: Population, detection_limit_cm: float, what: str) -> None:
        """Raise ``ValueError`` in one line if any patient of ``population`` is not eligible."""
        bad = self.failures(population, detection_limit_cm)
        if len(bad):
            name, n = bad.index[0], int(bad.iloc[0])
            if name == "exclude_contraindicated":
                col = next(c for c in REFUSAL_NAMES if _flags(population.patients, c).any())
                why = refusal_text(contraindication(col), "patients")
            else:
                why = f"expected {getattr(self, name)!r}"
            raise ValueError(f"{what}: {n} of {len(population)} patients fail eligibility.{name} "
                             f"({why}); use a population that meets the criteria")

    @staticmethod
    def _contraindicated(p: pd.DataFrame) -> pd.Series | None:
        """True for patients with any label contraindication; ``None`` if no such column exists."""
        cols = [c for c in REFUSAL_NAMES if c in p]
        if not cols:
            return None
        out = pd.Series(False, index=p.index)
        for c in cols:
            out |= _flags(p, c)
        return out


def _flags(p: pd.DataFrame, col: str) -> pd.Series:
    """Column ``col`` as booleans (missing column or empty cell: False)."""
    if col not in p:
        return pd.Series(False, index=p.index)
    return p[col].eq(True)
