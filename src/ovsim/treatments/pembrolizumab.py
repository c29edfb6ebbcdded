"""Pembrolizumab (Keytruda), anti-PD-1: two-compartment population PK, IV infusion over 30 min, PD-1 occupancy.

PK: linear two-compartment model of Ahamadi et al. 2017 (CPT Pharmacometrics Syst Pharmacol 6:49; 2,188
patients): CL 0.22 L/day, V1 3.48 L, Q 0.795 L/day, V2 4.06 L at the reference weight 76.8 kg, with
clearances scaled by (weight / 76.8)^0.595 and volumes by (weight / 76.8)^0.489. Its beta phase gives a
terminal half-life of 25.8 days; the label's 22 days comes from the later model with clearance falling
over treatment (time-varying clearance, not modelled here).

Target engagement: the PD-1 occupancy ``C / (C + IC50)`` with C the serum concentration (ug/mL) and the
ex vivo IC50 0.535 ug/mL (Ahamadi 2017 / US label, which report about 95% PD-1 engagement at 2 mg/kg
q3w); it feeds the model's
``pd1_occupancy`` hook (:mod:`ovsim.model.mechanisms.tcells`). The tumour is assumed to see the serum
concentration. Regimens: 200 mg q3w, 400 mg q6w, 2 mg/kg q3w, 10 mg/kg q2w/q3w (KEYNOTE-006), up to 24
months; a fixed calendar (no stop on progression).
"""

from __future__ import annotations


from ..model import Mechanism, Parameter, State, Terms
from ._antibody import AntibodyOptions, two_compartment_rates
from ._infusion import REFERENCE_WEIGHT_KG, WEIGHT_KG, InfusionDosing
from ._protocol import Treatment

INFUSION_MINUTES = 30.0
"""Pembrolizumab infusion duration (min; label)."""

DEFAULT_DOSE_MG = 200.0
"""The flat dose when a regimen gives neither dose_mg nor dose_mg_per_kg (mg; label q3w)."""

_AHAMADI = "Ahamadi et al. 2017, CPT Pharmacometrics Syst Pharmacol 6:49 (population PK, 2,188 patients)"


class PembrolizumabOptions(AntibodyOptions):
    """``{dose_mg: 200}`` or ``{dose_mg_per_kg: 2}``, ``every_days`` (days, default 21), ``start_day`` (day),
    ``max_months`` (default 24), ``n_doses`` (optional). Neither dose given: 200 mg."""


def _terms(s) -> Terms:
    ratio = s.weight_kg / s.pembrolizumab_reference_weight_kg
    cl = s.pembrolizumab_clearance_l_per_day * ratio ** s.pembrolizumab_weight_exponent_clearance
    q = s.pembrolizumab_intercompartmental_clearance_l_per_day * ratio ** s.pembrolizumab_weight_exponent_clearance
    v1 = s.pembrolizumab_central_volume_l * ratio ** s.pembrolizumab_weight_exponent_volume
    v2 = s.pembrolizumab_peripheral_volume_l * ratio ** s.pembrolizumab_weight_exponent_volume
    rates = two_compartment_rates(s.pembrolizumab_central_mg, s.pembrolizumab_peripheral_mg, cl, v1, q, v2)
    conc = s.pembrolizumab_serum_ug_per_ml
    return Terms(
        quantities={
            "pembrolizumab_serum_ug_per_ml": s.pembrolizumab_central_mg / v1,
            "pembrolizumab_pd1_occupancy": conc / (conc + s.pembrolizumab_pd1_ic50_ug_per_ml),
        },
        rates={"pembrolizumab_central_mg": rates["central"], "pembrolizumab_peripheral_mg": rates["peripheral"]},
        provides={"pd1_occupancy": s.pembrolizumab_pd1_occupancy},
        notes={
            "pembrolizumab_serum_ug_per_ml": "serum concentration (ug/mL = mg/L): central amount / V1 (weight-scaled)",
            "pembrolizumab_pd1_occupancy": "PD-1 occupancy C / (C + IC50) (ex vivo IC50); the tumour is assumed to "
                                           "see the serum concentration",
        },
    )


MODEL = Mechanism(
    name="pembrolizumab",
    title="Pembrolizumab (anti-PD-1)",
    description="IV infusions into a two-compartment linear PK model (Ahamadi 2017); serum concentration occupies "
                "PD-1, supplied to the pd1_occupancy hook.",
    terms=_terms,
    states=(
        State("pembrolizumab_central_mg", "mg", 1.0, "systemic", "pembrolizumab in the central compartment", "A_pem1"),
        State("pembrolizumab_peripheral_mg", "mg", 1.0, "systemic", "pembrolizumab in the peripheral compartment",
              "A_pem2"),
    ),
    parameters=(
        Parameter("pembrolizumab_clearance_l_per_day", 0.22, "L/day", "clearance at 76.8 kg", _AHAMADI,
                  symbol="CL_pem"),
        Parameter("pembrolizumab_central_volume_l", 3.48, "L", "central volume at 76.8 kg", _AHAMADI,
                  symbol="V_pem1"),
        Parameter("pembrolizumab_intercompartmental_clearance_l_per_day", 0.795, "L/day",
                  "intercompartmental clearance at 76.8 kg", _AHAMADI, symbol="Q_pem"),
        Parameter("pembrolizumab_peripheral_volume_l", 4.06, "L", "peripheral volume at 76.8 kg", _AHAMADI,
                  symbol="V_pem2"),
        Parameter("pembrolizumab_reference_weight_kg", REFERENCE_WEIGHT_KG, "kg",
                  "reference body weight of the PK parameters", _AHAMADI, symbol="WT_ref"),
        Parameter("pembrolizumab_weight_exponent_clearance", 0.595, "1",
                  "allometric exponent of body weight on CL and Q", _AHAMADI, symbol="a_CL"),
        Parameter("pembrolizumab_weight_exponent_volume", 0.489, "1",
                  "allometric exponent of body weight on V1 and V2", _AHAMADI, symbol="a_V"),
        Parameter("pembrolizumab_pd1_ic50_ug_per_ml", 0.535, "ug/mL",
                  "serum concentration giving half-maximal PD-1 engagement (ex vivo IC50)",
                  "ex vivo IC50 (" + _AHAMADI + "; US label)",
                  symbol="IC50_pem"),
    ),
    covariates=(WEIGHT_KG,),
)


def _dosing(o: PembrolizumabOptions) -> InfusionDosing:
    dose_mg = DEFAULT_DOSE_MG if o.dose_mg is None and o.dose_mg_per_kg is None else o.dose_mg
    return InfusionDosing("pembrolizumab_central_mg", "PEMBROLIZUMAB", dose_mg, o.dose_mg_per_kg, o.every_days,
                          o.start_day, o.max_months, o.n_doses, INFUSION_MINUTES)


PEMBROLIZUMAB = Treatment(
    name="pembrolizumab",
    drug="PEMBROLIZUMAB",
    title="Pembrolizumab 200 mg IV q3w (30-min infusion), up to 24 months",
    amount_unit="mg",
    model=MODEL,
    options=PembrolizumabOptions,
    dosing=_dosing,
    shorthand={
        "q3w": {"dose_mg": 200.0, "every_days": 21.0},
        "q6w": {"dose_mg": 400.0, "every_days": 42.0},
        "keynote006_q2w": {"dose_mg_per_kg": 10.0, "every_days": 14.0},
        "keynote006_q3w": {"dose_mg_per_kg": 10.0, "every_days": 21.0},
    },
)
