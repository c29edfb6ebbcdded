"""Ipilimumab (Yervoy), anti-CTLA-4: two-compartment population PK, IV infusion over 90 min, CTLA-4 occupancy.

PK: linear two-compartment model (Feng et al. 2014, population PK of ipilimumab): CL 0.36 L/day, V1 4.15 L,
Q 0.99 L/day, V2 3.11 L; beta-phase half-life 15.0 days (label: 15.4 days). Body-weight effects on the PK
are not modelled (not among the targets' facts); mg/kg doses scale with the covariate ``weight_kg``.

Target engagement: CTLA-4 occupancy ``C / (C + Kd)`` with C the serum concentration (ug/mL) and Kd 18.2 nM
x 148 kDa = 2.69 ug/mL; it feeds the ``ctla4_occupancy`` hook (:mod:`ovsim.model.mechanisms.priming`:
more divisions after priming). The tumour is assumed to see the serum concentration.

Treg depletion: ipilimumab does not deplete intratumoral FOXP3+ regulatory T cells in human tumours (Sharma
et al. 2019, Clin Cancer Res 25:1233), so it is off by default (``ipilimumab_treg_depletion`` = 0); set > 0
it raises killing by the factor 1 + depletion x occupancy (a what-if, not a calibrated effect).
Label regimen: 3 mg/kg q3w x 4 (a fixed calendar; no stop on progression).
"""

from __future__ import annotations

from typing import Optional

from pydantic import Field

from .._read import Integer
from ..model import Mechanism, Parameter, State, Terms
from ._antibody import AntibodyOptions, two_compartment_rates
from ._infusion import WEIGHT_KG, InfusionDosing
from ._protocol import Treatment

INFUSION_MINUTES = 90.0
"""Ipilimumab infusion duration (min; label)."""

DEFAULT_DOSE_MG_PER_KG = 3.0
"""The dose when a regimen gives neither dose_mg nor dose_mg_per_kg (mg/kg; label)."""

CTLA4_KD_NM = 18.2
MOLECULAR_WEIGHT_KDA = 148.0
CTLA4_KD_UG_PER_ML = CTLA4_KD_NM * 1e-9 * MOLECULAR_WEIGHT_KDA * 1e3 * 1e3
"""Kd in ug/mL (= mg/L): 18.2e-9 mol/L x 148e3 g/mol = 2.69e-3 g/L = 2.69 ug/mL."""

_FENG = "Feng et al. 2014, population PK of ipilimumab"


class IpilimumabOptions(AntibodyOptions):
    """``{dose_mg_per_kg: 3, every_days: 21, n_doses: 4, start_day: 0}`` by default (the label); ``dose_mg``
    instead of ``dose_mg_per_kg`` for a flat dose; ``max_months`` (default 24)."""

    n_doses: Optional[Integer] = Field(4, ge=1, le=10_000)


def _terms(s) -> Terms:
    rates = two_compartment_rates(s.ipilimumab_central_mg, s.ipilimumab_peripheral_mg,
                                  s.ipilimumab_clearance_l_per_day, s.ipilimumab_central_volume_l,
                                  s.ipilimumab_intercompartmental_clearance_l_per_day, s.ipilimumab_peripheral_volume_l)
    conc = s.ipilimumab_serum_ug_per_ml
    boost = s.ipilimumab_treg_depletion * s.ipilimumab_ctla4_occupancy * s.kill
    return Terms(
        quantities={
            "ipilimumab_serum_ug_per_ml": s.ipilimumab_central_mg / s.ipilimumab_central_volume_l,
            "ipilimumab_ctla4_occupancy": conc / (conc + s.ipilimumab_ctla4_kd_ug_per_ml),
            "ipilimumab_treg_kill": boost,
        },
        rates={
            "ipilimumab_central_mg": rates["central"],
            "ipilimumab_peripheral_mg": rates["peripheral"],
            "uninfected_cells": -s.ipilimumab_treg_kill * s.uninfected_cells,
            "sheltered_cells": -s.ipilimumab_treg_kill * s.sheltered_cells,
            "infected_cells": -s.ipilimumab_treg_kill * s.infected_cells,
            "dying_cells": s.ipilimumab_treg_kill * s.tumour_cells,
        },
        provides={"ctla4_occupancy": s.ipilimumab_ctla4_occupancy},
        notes={
            "ipilimumab_serum_ug_per_ml": "serum concentration (ug/mL = mg/L): central amount / V1",
            "ipilimumab_ctla4_occupancy": "CTLA-4 occupancy C / (C + Kd); the tumour is assumed to see the serum "
                                          "concentration",
            "ipilimumab_treg_kill": "extra kill (1/day) from Treg depletion: depletion x occupancy x kill; 0 by "
                                    "default (Sharma et al. 2019: no intratumoral Treg depletion in human tumours)",
        },
    )


MODEL = Mechanism(
    name="ipilimumab",
    title="Ipilimumab (anti-CTLA-4)",
    description="IV infusions into a two-compartment linear PK model (Feng 2014); serum concentration occupies "
                "CTLA-4, supplied to the ctla4_occupancy hook (stronger priming); optional Treg depletion.",
    terms=_terms,
    states=(
        State("ipilimumab_central_mg", "mg", 1.0, "systemic", "ipilimumab in the central compartment", "A_ipi1"),
        State("ipilimumab_peripheral_mg", "mg", 1.0, "systemic", "ipilimumab in the peripheral compartment",
              "A_ipi2"),
    ),
    parameters=(
        Parameter("ipilimumab_clearance_l_per_day", 0.36, "L/day", "clearance", _FENG, symbol="CL_ipi"),
        Parameter("ipilimumab_central_volume_l", 4.15, "L", "central volume", _FENG, symbol="V_ipi1"),
        Parameter("ipilimumab_intercompartmental_clearance_l_per_day", 0.99, "L/day", "intercompartmental clearance",
                  _FENG, symbol="Q_ipi"),
        Parameter("ipilimumab_peripheral_volume_l", 3.11, "L", "peripheral volume", _FENG, symbol="V_ipi2"),
        Parameter("ipilimumab_ctla4_kd_ug_per_ml", CTLA4_KD_UG_PER_ML, "ug/mL",
                  "serum concentration at half CTLA-4 occupancy (binding Kd 18.2 nM x 148 kDa)",
                  "CTLA-4 binding Kd 18.2 nM and molecular weight 148 kDa (" + _FENG + "; US label); the tumour "
                  "is assumed to see the serum concentration", symbol="K_ipi"),
        Parameter("ipilimumab_treg_depletion", 0.0, "1",
                  "maximal fractional rise of killing from intratumoral Treg depletion (0 = off)",
                  "off by default: ipilimumab does not deplete intratumoral FOXP3+ Tregs in human tumours (Sharma "
                  "et al. 2019, Clin Cancer Res 25:1233); a what-if option", range=(0.0, 2.0), symbol="D_Treg"),
    ),
    covariates=(WEIGHT_KG,),
)


def _dosing(o: IpilimumabOptions) -> InfusionDosing:
    per_kg = DEFAULT_DOSE_MG_PER_KG if o.dose_mg is None and o.dose_mg_per_kg is None else o.dose_mg_per_kg
    return InfusionDosing("ipilimumab_central_mg", "IPILIMUMAB", o.dose_mg, per_kg, o.every_days, o.start_day,
                          o.max_months, o.n_doses, INFUSION_MINUTES)


IPILIMUMAB = Treatment(
    name="ipilimumab",
    drug="IPILIMUMAB",
    title="Ipilimumab 3 mg/kg IV q3w x 4 (90-min infusion)",
    amount_unit="mg",
    model=MODEL,
    options=IpilimumabOptions,
    dosing=_dosing,
    shorthand={"label": {"dose_mg_per_kg": 3.0, "every_days": 21.0, "n_doses": 4}},
)
