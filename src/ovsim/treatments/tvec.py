"""Talimogene laherparepvec (T-VEC, Imlygic): intralesional virus dosed by the label's state-dependent policy.

At each scheduled visit (day 0, day 21, then every 14 days) the Imlygic label policy looks at the
lesions' longest diameters and decides volumes (mL) per injectable lesion and the strength (PFU/mL);
a fraction ``dose_retention`` of the PFU stays in the lesion's free virus (``virus_pfu``). The
policy, its OPTiM duration rules and the label facts live in :mod:`ovsim.regimen`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Mapping

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from .._read import Flag, Integer, Number

from ..model import Mechanism, Parameter, Terms
from ..regimen import RESEARCH_FIELDS, LabelPolicy, load_label, policy_init, policy_step, tvec_dose_records, visit_days
from ._protocol import Options, Treatment

MAX_MONTHS = 1200.0
"""Longest duration an option may give (months: a century, beyond any horizon)."""


class TvecOptions(Options):
    """``rules``: ``label`` (the label alone) or ``optim`` (OPTiM's duration rules); any explicit field
    overrides the rules' value. Months are 30.44-day months (at most 1200: a century); detection limit in cm.

    Research regimens (outside the label; unset = the label's value): ``first_concentration_pfu_per_ml`` (label
    1e6), ``concentration_pfu_per_ml`` (label 1e8), ``max_volume_ml_per_visit`` (label 4 mL),
    ``first_interval_days`` (label 21), ``interval_days`` (label 14), ``volume_scale`` (factor on each lesion's
    label volume; label 1). Any of them different from the label makes the regimen "not the label"
    (:attr:`label_conformant` False, :meth:`not_label` says what differs)."""

    rules: Literal["label", "optim"] = "label"
    min_months: Number | None = Field(None, ge=0, le=MAX_MONTHS)
    max_months: Number | None = Field(None, gt=0, le=MAX_MONTHS)
    extend_months_if_responding: Number | None = Field(None, ge=0, le=MAX_MONTHS)
    stop_on_progression: Flag | None = None
    detection_limit_cm: Number = Field(0.2, ge=0, le=10)
    first_concentration_pfu_per_ml: Number | None = Field(None, ge=1e3, le=1e10)
    concentration_pfu_per_ml: Number | None = Field(None, ge=1e3, le=1e10)
    max_volume_ml_per_visit: Number | None = Field(None, ge=0.1, le=20.0)
    first_interval_days: Number | None = Field(None, ge=1, le=365)
    interval_days: Number | None = Field(None, ge=1, le=365)
    volume_scale: Number | None = Field(None, ge=0.1, le=10.0)
    late_interval_days: Number | None = Field(None, ge=1, le=365)
    late_interval_from_visit: Integer | None = Field(None, ge=2, le=1000)
    """With ``late_interval_days``: after the visit of this number (1-based), visits every ``late_interval_days``
    (MASTERKEY-265 phase III: 21 days from visit 5)."""

    @model_validator(mode="after")
    def _consistent(self) -> "TvecOptions":
        self.policy()  # a cross-field rule (max_months >= min_months) names its field: ``max_months: expected ...``
        return self

    def policy(self) -> LabelPolicy:
        """The label policy these options describe."""
        base = LabelPolicy.optim() if self.rules == "optim" else LabelPolicy()
        given = {k: v for k, v in self.model_dump().items() if k != "rules" and v is not None}
        fields = {**{k: getattr(base, k) for k in ("min_months", "max_months", "extend_months_if_responding",
                                                    "stop_on_progression", "detection_limit_cm")}, **given}
        return LabelPolicy(**fields)

    @property
    def label_conformant(self) -> bool:
        """True when dose, volume cap and schedule are the Imlygic label's (duration rules do not count)."""
        return self.policy().label_conformant

    def not_label(self) -> list[str]:
        """What differs from the label's dosing, one short line each (``[]``: the label)."""
        return self.policy().not_label()

    def dump(self) -> dict[str, Any]:
        """The options as JSON (research settings only when set, so a label regimen's record is unchanged)."""
        return {k: v for k, v in self.model_dump().items() if not (k in RESEARCH_FIELDS and v is None)}


@dataclass(frozen=True)
class TvecDosing:
    """The label policy as a :class:`~ovsim.treatments.PolicyDosing` into each lesion's free virus."""

    policy: LabelPolicy
    target: str = "virus_pfu"
    fraction: str | None = "dose_retention"

    def visit_days(self, horizon_days: float) -> np.ndarray:
        days = visit_days(horizon_days, first_interval_days=self.policy.first_interval_days,
                          late_interval_days=self.policy.late_interval_days,
                          late_interval_from_visit=self.policy.late_interval_from_visit,
                          interval_days=self.policy.interval_days)
        return days[days < horizon_days]

    def options_array(self) -> Mapping[str, float]:
        return self.policy.as_arrays()

    def init(self, n_lesions: int, xp: Any) -> Any:
        return policy_init(n_lesions, xp)

    def step(self, options, state, t_day, visit_index, diameter_cm, injectable, xp):
        new_state, volume_ml, conc = policy_step(options, state, t_day, visit_index, diameter_cm, injectable, xp,
                                                 load_label())
        return new_state, volume_ml * conc, {"volume_ml": volume_ml, "concentration_pfu_per_ml": conc}

    def records(self, patient_id, starts_day, record, lesion_ids, cmt) -> pd.DataFrame:
        return tvec_dose_records(patient_id, starts_day, record["volume_ml"], record["concentration_pfu_per_ml"],
                                 lesion_ids, cmt)

    def check_patient(self, injectable: np.ndarray) -> str | None:
        if not np.any(injectable):
            return "T-VEC needs at least one injectable (cutaneous, subcutaneous or nodal) lesion"
        return None


MODEL = Mechanism(
    name="tvec",
    title="T-VEC dosing",
    description="Intralesional doses add the retained fraction of the injected PFU to the lesion's free virus.",
    terms=lambda s: Terms(),
    parameters=(
        Parameter("dose_retention", 0.5, "1", "fraction of an intralesional dose retained in the lesion",
                  "assumed; T-VEC DNA reaches blood and urine after injection (Imlygic label, shedding)",
                  range=(0.1, 1.0), symbol="f_R"),
    ),
)

TVEC = Treatment(
    name="tvec",
    drug="TVEC",
    title="T-VEC (Imlygic label)",
    amount_unit="PFU",
    model=MODEL,
    options=TvecOptions,
    dosing=lambda o: TvecDosing(o.policy()),
    shorthand={"label": {"rules": "label"}, "optim": {"rules": "optim"}},
)
