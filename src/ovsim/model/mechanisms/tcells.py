"""Effector and memory T cells: ratio-dependent killing in every lesion, contraction into memory, recall.

Killing is ratio-dependent (de Pillis, Radunskaya & Wiseman 2005, Cancer Res 65:7950), scaled by the
lesion's site infiltration (a covariate from the site table, :data:`INFILTRATION_BY_SITE`) and boosted by
the lesion's own GM-CSF (inflammation). Effector T cells are systemic and reach every lesion, injected
or not. Memory T cells outlive the tumour and re-expand into effectors when antigen returns.
"""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Mapping

from .._sites import Site
from .._spec import PROVISIONAL, Covariate, Mechanism, Parameter, State, Symbols, Terms, fold_range

INFILTRATION_BY_SITE: Mapping[Site, float] = MappingProxyType({
    Site.CUTANEOUS: 1.0,
    Site.SUBCUTANEOUS: 1.0,
    Site.NODAL: 0.9,
    Site.LUNG: 0.6,
    Site.LIVER: 0.3,
    Site.VISCERAL_OTHER: 0.5,
})
"""Relative effector T-cell infiltration by site (1 = skin). Lower in viscera, lowest in liver:
Tumeh et al. 2017, Cancer Immunol Res 5:417 (reduced CD8 density in liver metastases); values provisional."""


def _terms(s: Symbols) -> Terms:
    ratio = s.effector_t_cells / (s.tumour_cells_total + 1)
    inflammation = 1 + s.inflammation_gain * s.gmcsf_local_ng / (s.gmcsf_local_ng + s.gmcsf_local_halfsat)
    return Terms(
        quantities={
            "effector_ratio": ratio,
            "kill": s.kill_rate * s.site_infiltration * inflammation
            * s.effector_ratio / (s.kill_ratio_halfsat + s.effector_ratio),
            "memory_recall": s.memory_recall_rate * s.memory_t_cells * s.antigen_loading,
        },
        rates={
            "uninfected_cells": -s.kill * s.uninfected_cells,
            "infected_cells": -s.kill * s.infected_cells,
            "effector_t_cells": s.memory_expansion * s.memory_recall - s.effector_death_rate * s.effector_t_cells,
            "memory_t_cells": s.memory_fraction * s.effector_death_rate * s.effector_t_cells - s.memory_recall
            - s.memory_death_rate * s.memory_t_cells,
        },
        notes={
            "kill": "per-cell kill rate in lesion j (1/day): ratio-dependent, site infiltration, boosted by the "
                    "lesion's own GM-CSF",
            "memory_recall": "recall loop gain memory_fraction x memory_expansion = 0.5 < 1: effectors cannot "
                             "expand without antigen",
        },
    )


MECHANISM = Mechanism(
    name="tcells",
    title="Effector and memory T cells",
    description="Effectors kill tumour cells in every lesion; dying effectors leave memory, recalled on antigen.",
    terms=_terms,
    states=(
        State("effector_t_cells", "cells", 1e6, "systemic", "tumour-specific effector T cells", "E"),
        State("memory_t_cells", "cells", 1e6, "systemic", "tumour-specific memory T cells", "M"),
    ),
    parameters=(
        Parameter("effector_death_rate", 0.1, "1/day", "loss of effector T cells (death and contraction)",
                  "assumed (effector half-life ~7 d)", symbol="delta_E"),
        Parameter("memory_fraction", 0.1, "1", "fraction of dying effectors that become memory T cells",
                  "5-10% of effectors survive contraction (Kaech & Cui 2012, Nat Rev Immunol 12:749)", symbol="f_M"),
        Parameter("memory_recall_rate", 0.05, "1/day",
                  "maximal rate at which memory cells re-enter the effector pool on antigen",
                  PROVISIONAL, "patient", fold_range(0.05, 5), "k_R"),
        Parameter("memory_expansion", 5.0, "1",
                  "effectors produced per recalled memory cell (recall loop gain = fraction x expansion < 1)",
                  PROVISIONAL, symbol="X_M"),
        Parameter("memory_death_rate", math.log(2.0) / (8.0 * 365.25), "1/day", "loss of memory T cells",
                  "virus-specific memory T cells half-life 8-15 years (Hammarlund et al. 2003, Nat Med 9:1131)",
                  symbol="delta_M"),
        Parameter("kill_rate", 0.1, "1/day", "maximal per-cell kill rate of tumour cells by infiltrating effectors",
                  PROVISIONAL, "patient", fold_range(0.1, 10), "k_K"),
        Parameter("kill_ratio_halfsat", 0.1, "1", "effector:tumour-cell ratio giving half-maximal killing",
                  "ratio-dependent killing (de Pillis, Radunskaya & Wiseman 2005, Cancer Res 65:7950); value "
                  + PROVISIONAL, "patient", fold_range(0.1, 5), "s_K"),
        Parameter("inflammation_gain", 1.0, "1",
                  "maximal extra T-cell infiltration of a lesion from its own GM-CSF/inflammation",
                  "assumed; injected lesions respond more than uninjected ones (Andtbacka et al. 2016)",
                  "patient", fold_range(1.0, 3), "chi"),
    ),
    covariates=(
        Covariate("site_infiltration", "1", "relative effector T-cell infiltration of the lesion's site "
                  "(INFILTRATION_BY_SITE, 1 = skin)", "lesion", 1.0),
    ),
)
