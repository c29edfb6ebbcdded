"""Shared pieces of the checkpoint-inhibitor treatments: two-compartment linear PK terms and options.

Amounts are in mg, volumes in L and clearances in L/day, so the serum concentration ``central / V1`` is in
mg/L = ug/mL. The tumour is assumed to see the serum concentration (no tissue partition; QSP-IO uses a
tumour compartment: Sove et al. 2020, CPT Pharmacometrics Syst Pharmacol 9:484).
"""

from __future__ import annotations

from typing import Optional

import sympy as sp
from pydantic import Field, model_validator

from .._read import Integer, Number
from ._protocol import Options


def two_compartment_rates(central: sp.Expr, peripheral: sp.Expr, cl: sp.Expr, v1: sp.Expr, q: sp.Expr,
                          v2: sp.Expr) -> dict[str, sp.Expr]:
    """d(central)/dt and d(peripheral)/dt (mg/day) of linear two-compartment PK (L/day, L)."""
    flow = q * (central / v1 - peripheral / v2)
    return {"central": -cl * central / v1 - flow, "peripheral": flow}


class AntibodyOptions(Options):
    """IV antibody by the calendar: ``dose_mg`` or ``dose_mg_per_kg`` (exactly one; the treatment's default when
    neither), every ``every_days`` days from ``start_day`` (days), for at most ``max_months`` months and
    ``n_doses`` doses (None: no limit)."""

    dose_mg: Optional[Number] = Field(None, gt=0, le=5000)
    dose_mg_per_kg: Optional[Number] = Field(None, gt=0, le=50)
    every_days: Number = Field(21.0, ge=1, le=3650)
    start_day: Number = Field(0.0, ge=0, le=36500)
    max_months: Number = Field(24.0, gt=0, le=1200)
    n_doses: Optional[Integer] = Field(None, ge=1, le=10_000)

    @model_validator(mode="after")
    def _one_dose(self):
        if self.dose_mg is not None and self.dose_mg_per_kg is not None:
            raise ValueError("dose_mg: expected either dose_mg or dose_mg_per_kg, not both")
        return self
