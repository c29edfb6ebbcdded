"""Virus infection and spread: ratio-dependent infection of the reachable tumour cells, lysis, burst, clearance.

Plain mass action (beta U V) lets a virus sweep any tumour and is known to be over-optimistic; the
force of infection here is ratio-dependent (virions per reachable tumour cell; Wodarz & Komarova 2009,
PLoS ONE 4:e4271; Novozhilov et al. 2006, Biol Direct 1:6) and acts only on the cells within the
virus's reach (``uninfected_cells``; the sheltered ones are in :mod:`.growth`). Infected cells are
also cleared by innate and HSV-specific immunity (:mod:`.antiviral`), which ends each wave of spread.
The virus replicates only in tumour cells (T-VEC is ICP34.5-deleted; Liu et al. 2003, Gene Ther 10:292).
"""

from __future__ import annotations

import sympy as sp

from .._spec import PROVISIONAL, Mechanism, Parameter, State, Symbols, Terms, fold_range


def _terms(s: Symbols) -> Terms:
    u_pos = sp.Max(s.uninfected_cells, 0)
    v_pos = sp.Max(s.virus_pfu, 0)
    moi = v_pos / (u_pos + sp.Max(s.infected_cells, 0) + 1)
    infection = (
        s.infection_rate * s.multiplicity / (1 + s.multiplicity / s.infection_moi_saturation) * u_pos
        * v_pos / (v_pos + s.virus_extinction_pfu)
    )
    return Terms(
        quantities={"multiplicity": moi, "infection": infection, "lysis": s.lysis_rate * s.infected_cells},
        rates={
            "uninfected_cells": -s.infection,
            "infected_cells": s.infection - s.lysis,
            "dying_cells": s.lysis,
            "virus_pfu": s.burst_size * s.lysis - s.infection
            - (s.virus_decay_rate + s.healthy_uptake_rate) * s.virus_pfu,
        },
        notes={
            "multiplicity": "free virus per reachable cell (PFU/cell); the 1 cell in the denominator keeps it finite "
                            "when a lesion is gone",
            "infection": "per-cell rate beta x MOI, saturating at beta x MOI_sat (a cell is infected once, however "
                         "many virions reach it); one PFU is consumed per infection; V+/(V+ + v_ext) stops a "
                         "femto-virus from re-seeding a lesion",
        },
    )


MECHANISM = Mechanism(
    name="virus",
    title="Virus infection and spread",
    description="Free virus infects uninfected tumour cells; infected cells burst and release new virus.",
    terms=_terms,
    states=(
        State("infected_cells", "cells", 1e6, "lesion", "T-VEC-infected tumour cells", "I_j"),
        State("virus_pfu", "PFU", 1e6, "lesion", "free infectious virus in the lesion", "V_j"),
    ),
    parameters=(
        Parameter("infection_rate", 1.0, "1/day",
                  "rate at which a free PFU infects a tumour cell within the virus's reach",
                  PROVISIONAL, "patient", fold_range(1.0, 10), "beta"),
        Parameter("infection_moi_saturation", 10.0, "PFU/cell",
                  "multiplicity of infection above which a reachable cell's infection rate stops rising",
                  "a cell is infected once however many virions reach it (the chance of at least one infectious "
                  "hit, 1 - exp(-MOI), saturates within a few PFU per cell); value assumed. It also bounds the "
                  "infection rate of a lesion's last few cells when a large dose meets them", symbol="m_sat"),
        Parameter("burst_size", 8.0, "PFU/cell", "infectious virus released per lysed tumour cell (in vivo)",
                  "no T-VEC value in human tumours is published; assumed below the b = 50 a glioma model used for "
                  "another HSV-1 mutant (Friedman et al. 2006, Cancer Res 66:2314): in vivo yields are lower than "
                  "in culture; varies between patients (docs/population.md)", "patient", fold_range(8.0, 3), "b"),
        Parameter("lysis_rate", 1.0, "1/day", "rate at which infected tumour cells burst (1/lifetime)",
                  "HSV-1 replication cycle ~18-24 h (Friedman et al. 2006)", symbol="delta_I"),
        Parameter("virus_decay_rate", 0.5, "1/day", "loss of infectivity of free virus in tissue",
                  "assumed; HSV-1 infectivity half-life of hours to days in tissue", symbol="delta_V"),
        Parameter("healthy_uptake_rate", 1.5, "1/day", "non-productive uptake of virus by healthy cells (sink)",
                  "assumed; T-VEC (ICP34.5-deleted) does not replicate in normal cells (Liu et al. 2003, Gene Ther 10:292)",
                  symbol="delta_H"),
        Parameter("virus_extinction_pfu", 1.0, "PFU",
                  "scale below which free virus cannot sustain infection (infection x V/(V+scale))",
                  "modelling device, as for cells: less than about one infectious particle cannot infect",
                  symbol="v_ext"),
    ),
)
