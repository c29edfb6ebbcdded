"""A toy cytotoxic drug, added to ovsim in this one file plus a registry entry (``register(TOY)``).

One-compartment IV pharmacokinetics (amount in mg, first-order elimination) and an Emax kill of tumour
cells, uninfected and infected alike. Illustrative values, not a real drug. Nothing in the ovsim package
mentions it: the tests check that a patient and a trial arm can be treated with it all the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import Field

from ovsim.model import Mechanism, Parameter, State, Terms
from ovsim.regimen import DOSE_RECORD_COLUMNS
from ovsim.treatments import Options, Treatment, register


class ToyOptions(Options):
    """``dose_mg`` every ``every_days`` days (days), ``n_doses`` times, as IV boluses."""

    dose_mg: float = Field(100.0, gt=0, le=10_000, allow_inf_nan=False)
    every_days: float = Field(21.0, ge=1, le=365, allow_inf_nan=False)
    n_doses: int = Field(4, ge=1, le=100)


@dataclass(frozen=True)
class ToyDosing:
    """IV boluses by the calendar into the central compartment (mg)."""

    options: ToyOptions
    target: str = "toy_central_mg"

    def _days(self, horizon_days: float) -> np.ndarray:
        days = np.arange(self.options.n_doses) * self.options.every_days
        return days[days < horizon_days]

    def event_days(self, horizon_days: float) -> np.ndarray:
        return self._days(horizon_days)

    def amounts(self, starts_day, patient):
        b = len(next(iter(patient.values())))
        given = np.isin(np.round(starts_day, 9), np.round(self._days(np.inf), 9))
        bolus = np.broadcast_to(np.where(given, self.options.dose_mg, 0.0), (b, len(starts_day)))
        return bolus.copy(), np.zeros((b, len(starts_day)))

    def records(self, patient_id, horizon_days, patient, cmt) -> pd.DataFrame:
        days = self._days(horizon_days)
        return pd.DataFrame({"ID": patient_id, "TIME": days, "EVID": 1, "AMT": self.options.dose_mg, "RATE": 0.0,
                             "CMT": cmt, "LESION_ID": "", "VOL_ML": 0.0, "CONC_PFU_ML": 0.0, "DRUG": "TOY",
                             "AMT_UNIT": "mg"}, columns=list(DOSE_RECORD_COLUMNS))


def _terms(s) -> Terms:
    return Terms(
        quantities={"toy_kill": s.toy_kill_max * s.toy_central_mg / (s.toy_central_mg + s.toy_ec50_mg)},
        rates={"toy_central_mg": -s.toy_elimination_rate * s.toy_central_mg,
               "uninfected_cells": -s.toy_kill * s.uninfected_cells,
               "sheltered_cells": -s.toy_kill * s.sheltered_cells,
               "infected_cells": -s.toy_kill * s.infected_cells},
    )


TOY = register(Treatment(
    name="toy",
    drug="TOY",
    title="toy cytotoxic (illustrative)",
    amount_unit="mg",
    model=Mechanism(
        name="toy",
        title="Toy cytotoxic",
        description="One-compartment IV drug; Emax kill of every tumour cell.",
        terms=_terms,
        states=(State("toy_central_mg", "mg", 1.0, "systemic", "toy drug in the body", "C_toy"),),
        parameters=(
            Parameter("toy_elimination_rate", math.log(2.0) / 2.0, "1/day", "first-order elimination (half-life 2 d)",
                      "illustrative (toy drug)"),
            Parameter("toy_kill_max", 0.3, "1/day", "maximal kill rate of tumour cells", "illustrative (toy drug)"),
            Parameter("toy_ec50_mg", 50.0, "mg", "amount in the body giving half-maximal kill",
                      "illustrative (toy drug)"),
        ),
    ),
    options=ToyOptions,
    dosing=ToyDosing,
))
