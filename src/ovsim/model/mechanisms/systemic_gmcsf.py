"""GM-CSF in the body: the pool that subcutaneous GM-CSF (the OPTiM comparator) doses into.

Treatments add their input to ``gmcsf_systemic_ug``; it is cleared at the same rate as local GM-CSF
(sargramostim half-life 162 min, Leukine prescribing information).
"""

from __future__ import annotations

from .._spec import PROVISIONAL, Mechanism, Parameter, State, Symbols, Terms


def _terms(s: Symbols) -> Terms:
    return Terms(rates={"gmcsf_systemic_ug": -s.gmcsf_clearance_rate * s.gmcsf_systemic_ug})


MECHANISM = Mechanism(
    name="systemic_gmcsf",
    title="Systemic GM-CSF",
    description="GM-CSF in the body from subcutaneous dosing, cleared first-order.",
    terms=_terms,
    states=(State("gmcsf_systemic_ug", "ug", 1.0, "systemic", "GM-CSF in the body from subcutaneous dosing", "G_s"),),
    parameters=(
        Parameter("gmcsf_systemic_halfsat", 20.0, "ug", "systemic GM-CSF amount giving half-maximal DC licensing",
                  PROVISIONAL, symbol="K_Gs"),
    ),
)
