"""Clearance of infected tumour cells by innate and HSV-specific immunity.

Infected cells die by viral lysis (:mod:`.virus`) and are also cleared by the lesion's innate
infiltrate (Friedman et al. 2006, Cancer Res 66:2314) and by HSV-specific cytotoxic T cells, which
clear HSV from human skin lesions (Koelle et al. 1998, J Clin Invest 101:1500). These responses end
each wave of viral spread within one to two weeks, so the fraction of a lesion infected grows with the
dose instead of flipping between none and all. Cells cleared this way die immunogenically and release
tumour antigen as lysis does (:mod:`.antigen_dc`). HSV-1 seropositive patients carry HSV-specific
memory T cells, which respond faster and more strongly (recall); pre-existing antiviral immunity can
potentiate, not only limit, an oncolytic virus's immunotherapeutic effect (Ricca et al. 2018, Mol
Ther 26:1008, Newcastle disease virus in mice).
"""

from __future__ import annotations

import sympy as sp

from .._spec import PROVISIONAL, Mechanism, Parameter, State, Symbols, Terms, fold_range, lesion_sum


def _terms(s: Symbols) -> Terms:
    sero = s.hsv1_seropositive
    return Terms(
        quantities={
            "infected_total": lesion_sum(s.infected_cells),
            "antiviral_clearance": (s.innate_clearance_rate * s.local_inflammation
                                    + s.hsv_t_clearance_rate * s.hsv_t_cells) * s.infected_cells,
        },
        rates={
            "infected_cells": -s.antiviral_clearance,
            "dying_cells": s.antiviral_clearance,
            "hsv_t_cells": s.hsv_t_activation_rate * (1 + s.hsv_t_memory_boost * sero)
            * s.infected_total / (s.infected_total + s.hsv_t_infected_halfsat) * (1 - s.hsv_t_cells)
            - s.hsv_t_decay_rate * (s.hsv_t_cells - sero * s.hsv_t_memory_baseline),
        },
        notes={"antiviral_clearance": "infected cells (cells/day) cleared by the lesion's innate infiltrate and by "
                                      "HSV-specific T cells"},
    )


MECHANISM = Mechanism(
    name="antiviral",
    title="Innate and HSV-specific clearance of infected cells",
    description="The lesion's innate infiltrate and HSV-specific T cells clear infected cells, ending each wave of spread.",
    terms=_terms,
    states=(State("hsv_t_cells", "1", 1.0, "systemic",
                  "HSV-specific effector T-cell activity relative to its maximum (0..1)", "H",
                  initial=sp.Symbol("hsv1_seropositive", real=True) * sp.Symbol("hsv_t_memory_baseline", real=True)),),
    parameters=(
        Parameter("innate_clearance_rate", 1.0, "1/day", "maximal clearance of infected cells by a full innate infiltrate",
                  "innate clearance of infected cells (Friedman et al. 2006, Cancer Res 66:2314); value "
                  + PROVISIONAL, "patient", fold_range(1.0, 3), "c_N"),
        Parameter("hsv_t_clearance_rate", 2.0, "1/day", "maximal clearance of infected cells by HSV-specific T cells",
                  "HSV-specific CTLs clear infected skin cells within days (Koelle et al. 1998, J Clin Invest "
                  "101:1500); value " + PROVISIONAL, symbol="c_H"),
        Parameter("hsv_t_activation_rate", 0.1, "1/day", "activation of HSV-specific T cells in a naive patient",
                  "primary antiviral CD8 responses peak 1-2 weeks after infection; assumed", symbol="k_H"),
        Parameter("hsv_t_memory_boost", 4.0, "1", "fold-faster HSV-specific T-cell activation in seropositive patients",
                  "assumed; recall responses of memory T cells are faster and larger than primary ones",
                  symbol="m_H"),
        Parameter("hsv_t_memory_baseline", 0.05, "1", "resting HSV-specific T-cell activity of a seropositive patient",
                  "assumed; HSV-1 seropositive adults carry HSV-specific memory T cells", symbol="H_0"),
        Parameter("hsv_t_decay_rate", 0.1, "1/day", "contraction of HSV-specific effector activity",
                  "assumed (effector half-life about 7 days, as for tumour-specific effectors)", symbol="delta_H"),
        Parameter("hsv_t_infected_halfsat", 1.0e7, "cells", "infected cells (all lesions) giving half-maximal activation",
                  PROVISIONAL, symbol="K_H"),
    ),
)
