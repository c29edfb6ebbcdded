"""GM-CSF made in the lesion: secreted by T-VEC-infected tumour cells (the transgene), cleared quickly."""

from __future__ import annotations

from .._spec import LN2, PROVISIONAL, Mechanism, Parameter, State, Symbols, Terms, lesion_sum


def _terms(s: Symbols) -> Terms:
    return Terms(
        quantities={"gmcsf_local_total": lesion_sum(s.gmcsf_local_ng)},
        rates={"gmcsf_local_ng": s.gmcsf_secretion_rate * s.infected_cells - s.gmcsf_clearance_rate * s.gmcsf_local_ng},
    )


MECHANISM = Mechanism(
    name="local_gmcsf",
    title="Local GM-CSF",
    description="Infected tumour cells secrete GM-CSF into the lesion; it is cleared at the sargramostim rate.",
    terms=_terms,
    states=(State("gmcsf_local_ng", "ng", 1.0, "lesion", "GM-CSF made by infected cells in the lesion", "G_j"),),
    parameters=(
        Parameter("gmcsf_secretion_rate", 3.6e-5, "ng/(cell*day)", "GM-CSF secreted by a T-VEC-infected tumour cell",
                  "tens of ng per 1e6 transduced tumour cells per day (Dranoff et al. 1993, PNAS 90:3539)",
                  symbol="p_G"),
        Parameter("gmcsf_clearance_rate", LN2 / (162.0 / 1440.0), "1/day", "clearance of local and systemic GM-CSF",
                  "sargramostim half-life 162 min after SC dosing (Leukine prescribing information)", symbol="delta_G"),
        Parameter("gmcsf_local_halfsat", 1.0, "ng", "local GM-CSF (all lesions) giving half-maximal DC licensing",
                  PROVISIONAL, symbol="K_Gl"),
    ),
)
