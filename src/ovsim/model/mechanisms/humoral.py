"""Anti-HSV humoral immunity: virus activates B cells (faster in seropositives); neutralising antibody
clears the cell-free share of the virus.

HSV spreads largely from cell to cell across cell junctions (glycoproteins gE/gI: Dingwell et al. 1994,
J Virol 68:834), where neutralising antibody reaches it poorly: antibody acts only on the cell-free share
of spread (``cell_free_spread_fraction``). Seronegative patients seroconvert within weeks of the first
dose (Hu et al. 2006, Clin Cancer Res 12:6737). The label's 10^6 PFU/mL first dose exists for
tolerability: seronegative patients had more febrile and local reactions to a first high dose (Hu et
al. 2006); it is not there to seroconvert patients for efficacy.
"""

from __future__ import annotations

import math

import sympy as sp

from .._spec import PROVISIONAL, Covariate, Mechanism, Parameter, State, Symbols, Terms, fold_range, lesion_sum


def _terms(s: Symbols) -> Terms:
    sero = s.hsv1_seropositive
    return Terms(
        quantities={
            "virus_total": lesion_sum(sp.Max(s.virus_pfu, 0)),
            "hsv_stimulus": s.virus_total / (s.virus_total + s.antibody_virus_halfsat),
        },
        rates={
            "hsv_b_cells": s.bcell_activation_rate * (1 + s.bcell_memory_boost * sero) * s.hsv_stimulus
            * (1 - s.hsv_b_cells) - s.bcell_decay_rate * s.hsv_b_cells,
            "hsv_antibody_titre": s.antibody_production_rate * s.hsv_b_cells
            - s.antibody_decay_rate * (s.hsv_antibody_titre - sero * s.antibody_seropositive_baseline),
            "virus_pfu": -s.neutralisation_rate * s.cell_free_spread_fraction * s.hsv_antibody_titre * s.virus_pfu,
        },
    )


MECHANISM = Mechanism(
    name="humoral",
    title="Anti-HSV humoral immunity",
    description="Virus activates anti-HSV B cells; their neutralising antibody raises the clearance of free virus.",
    terms=_terms,
    states=(
        State("hsv_b_cells", "1", 1.0, "systemic", "activity of anti-HSV B cells / plasmablasts (0..1)", "B"),
        State("hsv_antibody_titre", "titre", 1.0, "systemic",
              "neutralising anti-HSV-1 titre, relative to a typical seropositive adult", "Ab",
              initial=sp.Symbol("hsv1_seropositive", real=True) * sp.Symbol("antibody_seropositive_baseline", real=True)),
    ),
    parameters=(
        Parameter("neutralisation_rate", 1.0, "1/(day*titre)",
                  "extra clearance of cell-free virus per unit of anti-HSV titre",
                  PROVISIONAL, "patient", fold_range(1.0, 5), "k_N"),
        Parameter("cell_free_spread_fraction", 0.05, "1",
                  "share of the virus's spread that is cell-free (exposed to neutralising antibody)",
                  "HSV spreads mainly cell to cell, resistant to neutralising antibody (Dingwell et al. 1994, J Virol "
                  "68:834; HSV plaques form under a neutralising-antibody overlay); value assumed", symbol="f_free"),
        Parameter("antibody_seropositive_baseline", 1.0, "titre",
                  "baseline neutralising titre of an HSV-1 seropositive patient",
                  "definition: titres are relative to a typical seropositive adult", symbol="Ab_0"),
        Parameter("antibody_virus_halfsat", 1.0e6, "PFU", "total free virus giving half-maximal B-cell stimulation",
                  PROVISIONAL, symbol="K_V"),
        Parameter("bcell_activation_rate", 0.2, "1/day", "rate at which virus activates anti-HSV B cells (naive patient)",
                  "seroconversion within ~3 weeks of the first dose (Hu et al. 2006, Clin Cancer Res 12:6737); "
                  + PROVISIONAL, symbol="k_B"),
        Parameter("bcell_memory_boost", 4.0, "1", "fold-faster B-cell activation in seropositive patients (recall)",
                  "assumed; recall responses are faster and larger than primary ones", symbol="m_B"),
        Parameter("bcell_decay_rate", 0.1, "1/day", "decay of activated anti-HSV B-cell (plasmablast) activity",
                  "assumed; plasmablast responses wane over 1-2 weeks", symbol="delta_B"),
        Parameter("antibody_production_rate", 0.5, "titre/day", "titre produced per unit B-cell activity",
                  PROVISIONAL, symbol="k_Ab"),
        Parameter("antibody_decay_rate", math.log(2.0) / 21.0, "1/day", "decay of neutralising IgG towards baseline",
                  "IgG half-life ~21 d (Morell, Terry & Waldmann 1970, J Clin Invest 49:673)", symbol="delta_Ab"),
    ),
    covariates=(
        Covariate("hsv1_seropositive", "1", "HSV-1 antibodies at baseline (1) or not (0)", "systemic", 1.0),
    ),
)
