"""Local inflammation: the innate and inflammatory infiltrate of a lesion, built over days.

Infected tumour cells, the GM-CSF they secrete and HSV-specific T cells recognising them (interferon-
gamma) recruit innate immune cells into the lesion (Friedman et al. 2006, Cancer Res 66:2314: innate
cells clear virus-infected glioma cells). The infiltrate builds over days and resolves over about a
week after the stimulus stops, so an injected lesion stays inflamed between doses given every 14 days;
the infiltrate clears infected cells (:mod:`.antiviral`), lets effector T cells in (:mod:`.tcells`) and
induces PD-L1 (adaptive resistance; Taube et al. 2012, Sci Transl Med 4:127ra37).
"""

from __future__ import annotations

from .._spec import PROVISIONAL, Mechanism, Parameter, State, Symbols, Terms


def _terms(s: Symbols) -> Terms:
    infected_fraction = s.infected_cells / (s.tumour_cells + 1)
    s_i = infected_fraction / (infected_fraction + s.inflammation_infected_halfsat)
    s_g = s.gmcsf_local_ng / (s.gmcsf_local_ng + s.gmcsf_local_halfsat)
    s_h = s.hsv_t_cells * s_i
    return Terms(
        quantities={"inflammation_signal": 1 - (1 - s_i) * (1 - s_g) * (1 - s_h)},
        rates={"local_inflammation": s.inflammation_onset_rate * s.inflammation_signal * (1 - s.local_inflammation)
               - s.inflammation_resolution_rate * s.local_inflammation},
        notes={"inflammation_signal": "either infection, local GM-CSF or HSV-specific T cells meeting infected "
                                      "cells (1 - product of the complements): 0..1"},
    )


MECHANISM = Mechanism(
    name="inflammation",
    title="Local inflammation",
    description="Infection, GM-CSF and antiviral T cells build an inflammatory infiltrate in the lesion over days.",
    terms=_terms,
    states=(State("local_inflammation", "1", 1.0, "lesion",
                  "innate/inflammatory infiltrate of the lesion relative to its maximum (0..1)", "Phi_j"),),
    parameters=(
        Parameter("inflammation_onset_rate", 0.5, "1/day", "rate at which a maximal stimulus builds the infiltrate",
                  "assumed: innate infiltrates of HSV-infected tissue build within 1-3 days (Friedman et al. 2006 "
                  "model innate cells recruited in proportion to infected cells); " + PROVISIONAL, symbol="k_Phi"),
        Parameter("inflammation_resolution_rate", 0.15, "1/day", "resolution of the infiltrate without stimulus",
                  "assumed: half-life about 5 days, so injected lesions stay inflamed between 14-day visits",
                  symbol="delta_Phi"),
        Parameter("inflammation_infected_halfsat", 0.01, "1",
                  "infected fraction of a lesion's cells giving a half-maximal inflammatory stimulus",
                  PROVISIONAL, symbol="K_Phi"),
    ),
)
