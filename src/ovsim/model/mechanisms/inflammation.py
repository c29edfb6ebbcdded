"""Local inflammation: the innate and inflammatory infiltrate of a lesion, built over days.

Infected tumour cells, the GM-CSF they secrete and HSV-specific T cells recognising them (interferon-
gamma) recruit innate immune cells into the lesion (Friedman et al. 2006, Cancer Res 66:2314: innate
cells clear virus-infected glioma cells). Tumour-specific T cells killing in the lesion do the same
(interferon-gamma induces CXCL9/10, which recruit more effectors: Chow et al. 2019, Immunity 50:1498),
a lesion-local loop that lets a lesion the effectors have begun to clear become hot. The infiltrate builds over days and resolves over about a
week after the stimulus stops, so an injected lesion stays inflamed between doses given every 14 days;
the infiltrate clears infected cells (:mod:`.antiviral`), lets effector T cells in (:mod:`.tcells`) and
induces PD-L1 (adaptive resistance; Taube et al. 2012, Sci Transl Med 4:127ra37).
"""

from __future__ import annotations

import sympy as sp

from .._spec import PROVISIONAL, Mechanism, Parameter, State, Symbols, Terms


def _terms(s: Symbols) -> Terms:
    infected_fraction = sp.Max(s.infected_cells, 0) / (sp.Max(s.tumour_cells, 0) + 1)
    s_i = infected_fraction / (infected_fraction + s.inflammation_infected_halfsat)
    s_g = s.gmcsf_local_ng / (s.gmcsf_local_ng + s.gmcsf_local_halfsat)
    s_h = s.hsv_t_cells * s_i
    s_t = s.kill / (s.kill + s.inflammation_kill_halfsat)
    return Terms(
        quantities={"inflammation_signal": 1 - (1 - s_i) * (1 - s_g) * (1 - s_h) * (1 - s_t)},
        rates={"local_inflammation": s.inflammation_onset_rate * s.inflammation_signal * (1 - s.local_inflammation)
               - s.inflammation_resolution_rate * s.local_inflammation},
        notes={"inflammation_signal": "either infection, local GM-CSF, HSV-specific T cells meeting infected "
                                      "cells or tumour-specific T cells killing (1 - product of the complements): 0..1"},
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
        Parameter("inflammation_kill_halfsat", 0.02, "1/day",
                  "per-cell T-cell kill rate in a lesion giving a half-maximal inflammatory stimulus",
                  "killing effector T cells secrete interferon-gamma, which induces CXCL9/10 and recruits more "
                  "CXCR3+ effectors into that lesion (Chow et al. 2019, Immunity 50:1498; Spranger et al. 2017, "
                  "Cancer Cell 31:711): a lesion-local amplification loop; value " + PROVISIONAL,
                  symbol="K_Phi,T"),
    ),
)
