"""Effector and memory T cells: killing in every lesion, lesion by lesion; suppression; contraction into memory.

Killing saturates in the circulating effectors: T cells enter a lesion in proportion to their blood
concentration and its volume, so their density there follows the effectors, not the other lesions'
size (trafficking-limited, as in QSP-IO: Jafarnejad et al. 2019, AAPS J 21:79). The effectors needed
grow with the total burden to a power theta between 0 (trafficking-limited) and 1 (ratio-dependent,
de Pillis, Radunskaya & Wiseman 2005, Cancer Res 65:7950): a large burden dilutes them, and a shrinking
one makes them more effective. Each lesion's kill rate is then its own: scaled by the site's
infiltration (:data:`INFILTRATION_BY_SITE`), by the lesion's own infiltration (hot and cold lesions of
one patient: Reuben et al. 2017, npj Genom Med 2:10), by the share of it effectors reach from its
margin (large lesions are killed from the rim: Galon et al. 2006, Science 313:1960), and raised by the
lesion's inflammatory infiltrate (:mod:`.inflammation`), which killing itself feeds (interferon-gamma,
CXCL9/10). So lesions of one patient can respond discordantly, as they do clinically. Two brakes act on
killing: dysfunction that grows with the total tumour burden (Huang et al. 2017, Nature 545:60) and the
PD-1/PD-L1 checkpoint, with PD-L1 induced by inflammation (adaptive resistance: Taube et al. 2012, Sci
Transl Med 4:127ra37). The lesion's inflammation is fed by T-cell killing (interferon-gamma), infection and
GM-CSF, so effector T cells induce the PD-L1 that brakes them: the adaptive-resistance loop of Kosinsky et
al. 2018 (J Immunother Cancer 6:17); T-VEC raises PD-L1 in responders' lesions (Ribas et al. 2017, Cell
170:1109). Checkpoint inhibitors act through the hook ``pd1_occupancy`` (0 without one; several drugs
combine as 1 - prod(1 - occupancy)). The PD-1 signal is a Hill function (n = 2, as in QSP-IO: Sove et al.
2020, CPT Pharmacometrics Syst Pharmacol 9:484) of the unblocked PD-1 fraction, normalised to 1 when
nothing is blocked, so without a drug the brake is exactly the linear one it replaces; the same signal
scales a share of the burden-driven dysfunction (PD-1 drives exhaustion in QSP-IO), again the identity
without a drug.
Liver metastases remove activated T cells body-wide (Yu et al. 2021, Nat Med 27:152). Memory T cells
outlive the tumour and re-expand into effectors when antigen returns.
"""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Mapping

import sympy as sp

from .._sites import Site
from .._spec import PROVISIONAL, Covariate, Hook, Mechanism, Parameter, State, Symbols, Terms, fold_range, lesion_sum

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
    pdl1 = s.pdl1_baseline + (1 - s.pdl1_baseline) * s.local_inflammation
    dilution = ((sp.Max(s.tumour_cells_total, 0) + 1) / s.effector_reference_burden_cells) ** s.effector_dilution_exponent
    unblocked = 1 - s.pd1_occupancy
    k2 = s.pd1_signal_halfsat ** 2
    return Terms(
        quantities={
            "pd1_signal": unblocked ** 2 * (1 + k2) / (unblocked ** 2 + k2),
            "effector_drive": s.effector_t_cells / (s.effector_t_cells + s.kill_effector_halfsat_cells * dilution),
            "pd1_exhaustion_factor": 1 - s.pd1_exhaustion_share * (1 - s.pd1_signal),
            "burden_suppression": 1 / (1 + s.tumour_cells_total / s.exhaustion_burden_cells * s.pd1_exhaustion_factor),
            "pd1_brake": 1 - s.pd1_max_inhibition * pdl1 * s.pd1_signal,
            "liver_tumour_cells": lesion_sum(s.liver_site * s.tumour_cells),
            "liver_t_cell_loss": s.liver_t_cell_loss_rate * s.liver_tumour_cells
            / (s.liver_tumour_cells + s.liver_loss_halfsat_cells),
            "t_cell_penetration": (1 + s.lesion_volume_cm3
                                   / (sp.pi / 6 * s.t_cell_penetration_diameter_cm ** 3)) ** sp.Rational(-1, 3),
            "lesion_infiltration": s.immune_infiltration ** s.infiltration_spread,
            "kill": s.kill_rate * s.site_infiltration * s.lesion_infiltration * s.t_cell_penetration
            * (1 + s.inflammation_gain * s.local_inflammation)
            * s.burden_suppression * s.pd1_brake
            * s.effector_drive,
            "memory_recall": s.memory_recall_rate * s.memory_t_cells * s.antigen_loading,
        },
        rates={
            "uninfected_cells": -s.kill * s.uninfected_cells,
            "sheltered_cells": -s.kill * s.sheltered_cells,
            "infected_cells": -s.kill * s.infected_cells,
            "dying_cells": s.kill * s.tumour_cells,
            "effector_t_cells": s.memory_expansion * s.memory_recall
            - (s.effector_death_rate + s.liver_t_cell_loss) * s.effector_t_cells,
            "memory_t_cells": s.memory_fraction * s.effector_death_rate * s.effector_t_cells - s.memory_recall
            - s.memory_death_rate * s.memory_t_cells,
        },
        notes={
            "kill": "per-cell kill rate in lesion j (1/day): saturating in the effectors (diluted by the burden), "
                    "site and lesion infiltration, reach from the margin, raised by the lesion's inflammation, "
                    "braked by tumour burden and PD-1/PD-L1",
            "effector_drive": "E / (E + E_50 (N / N_ref)^theta): 0..1",
            "lesion_infiltration": "the lesion's effector infiltration relative to its site's: q_j^sigma_q (median 1; "
                                   "sigma_q sets how much one patient's lesions differ)",
            "t_cell_penetration": "share of the lesion within reach of effectors entering from its margin: 1 for "
                                  "small lesions, d_T / d for a lesion of diameter d >> d_T",
            "pd1_signal": "PD-1 signal relative to no blockade: Hill function (n = 2, QSP-IO) of the unblocked PD-1 "
                          "fraction u = 1 - occupancy, u^2 (1 + K^2) / (u^2 + K^2); exactly 1 without a drug",
            "pd1_brake": "1 - (maximal PD-1 inhibition) x (PD-L1, induced by inflammation) x (PD-1 signal); without "
                         "a checkpoint inhibitor 1 - rho p (the linear brake this replaces, unchanged)",
            "pd1_exhaustion_factor": "1 - phi (1 - PD-1 signal): the burden-driven dysfunction left when PD-1 "
                                     "blockade relieves its PD-1-mediated share phi; exactly 1 without a drug",
            "burden_suppression": "1 / (1 + (N / K_X) x pd1_exhaustion_factor): burden-driven dysfunction; "
                                  "1 / (1 + N / K_X) without a drug",
            "liver_t_cell_loss": "extra loss of effector T cells (1/day) caused by liver metastases",
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
        Parameter("kill_effector_halfsat_cells", 1.0e8, "cells",
                  "circulating tumour-specific effector T cells giving half-maximal killing",
                  "T cells enter a tumour in proportion to their blood concentration and the tumour's volume, so "
                  "their density in a lesion follows the circulating effectors, not the other lesions' size "
                  "(QSP-IO: Jafarnejad et al. 2019, AAPS J 21:79; Milberg et al. 2019, Sci Rep 9:11286); value "
                  + PROVISIONAL, "patient", fold_range(1.0e8, 10), "E_50"),
        Parameter("immune_infiltration", 1.0, "1",
                  "the lesion's standardised effector infiltration (hot > 1, cold < 1): log-normal between a "
                  "patient's lesions with median 1 and log-SD 1; raised to infiltration_spread in the model",
                  "lesions of one patient differ several-fold in CD8 T-cell density and respond discordantly "
                  "(Reuben et al. 2017, npj Genom Med 2:10; Jimenez-Sanchez et al. 2017, Cell 170:927); drawn per "
                  "lesion by the population (docs/population.md)", "lesion", (0.01, 100.0), "q_j"),
        Parameter("infiltration_spread", 0.83, "1",
                  "log-SD of effector infiltration between one patient's lesions (0: all alike)",
                  "lesion-to-lesion heterogeneity of CD8 infiltration (Reuben et al. 2017; Jimenez-Sanchez et al. "
                  "2017); 0.83 (a coefficient of variation of 1) " + PROVISIONAL, "patient", fold_range(0.83, 2),
                  "sigma_q"),
        Parameter("t_cell_penetration_diameter_cm", 1.0, "cm",
                  "lesion diameter below which effectors reach the whole lesion; larger lesions are killed from "
                  "their margin, at a rate falling as 1/diameter",
                  "effector T cells concentrate at the invasive margin, not the core (Galon et al. 2006, Science "
                  "313:1960; melanoma immunotypes: Erdag et al. 2012, Cancer Res 72:1070); larger baseline tumours "
                  "respond less to anti-PD-1 (Joseph et al. 2018, Clin Cancer Res 24:4960); value " + PROVISIONAL,
                  "patient", fold_range(1.0, 3), "d_T"),
        Parameter("effector_reference_burden_cells", 1.0e10, "cells",
                  "total tumour burden at which kill_effector_halfsat_cells applies",
                  "a reference, not a fitted value (about 100 cm^3 of tumour)", symbol="N_ref"),
        Parameter("effector_dilution_exponent", 0.5, "1",
                  "how the effectors needed for half-maximal killing grow with the total tumour burden (0: not at "
                  "all, trafficking-limited; 1: in proportion, ratio-dependent killing)",
                  "between trafficking-limited infiltration (QSP-IO: Jafarnejad et al. 2019, AAPS J 21:79) and "
                  "ratio-dependent killing (de Pillis, Radunskaya & Wiseman 2005, Cancer Res 65:7950); value "
                  + PROVISIONAL, "patient", (0.25, 1.0), "theta"),
        Parameter("inflammation_gain", 2.0, "1",
                  "maximal extra T-cell infiltration of a lesion from its inflammatory infiltrate",
                  "assumed; injected lesions respond more than uninjected ones (Andtbacka et al. 2016)",
                  "patient", fold_range(2.0, 5), "chi"),
        Parameter("exhaustion_burden_cells", 3.0e10, "cells",
                  "total tumour cells at which burden-driven T-cell dysfunction halves killing",
                  "T-cell dysfunction grows with tumour burden (Huang et al. 2017, Nature 545:60); value "
                  + PROVISIONAL, "patient", fold_range(3.0e10, 10), "K_X"),
        Parameter("pd1_max_inhibition", 0.5, "1", "fraction of killing that PD-1 engagement blocks at full PD-L1",
                  "PD-1/PD-L1 brake on effector function (Taube et al. 2012, Sci Transl Med 4:127ra37); value "
                  "assumed", symbol="rho_PD1"),
        Parameter("pdl1_baseline", 0.2, "1", "PD-L1 expression of an uninflamed lesion relative to its maximum",
                  "assumed; PD-L1 rises where inflammatory infiltrates are (Taube et al. 2012)", symbol="p_0"),
        Parameter("pd1_signal_halfsat", 0.5, "1",
                  "unblocked PD-1 fraction at which the PD-1 signal is half its unblocked value (Hill n = 2)",
                  "Hill function n = 2 of the PD-1/PD-L1 signal as in QSP-IO (Sove et al. 2020, CPT "
                  "Pharmacometrics Syst Pharmacol 9:484); value assumed (no effect without a checkpoint "
                  "inhibitor)", symbol="K_PD1"),
        Parameter("pd1_exhaustion_share", 0.5, "1",
                  "share of the burden-driven T-cell dysfunction that PD-1 signalling mediates (relieved by PD-1 "
                  "blockade)",
                  "PD-1 signal drives exhaustion in QSP-IO (Sove et al. 2020); value assumed (no effect without a "
                  "checkpoint inhibitor)", symbol="phi_PD1"),
        Parameter("liver_t_cell_loss_rate", 0.1, "1/day",
                  "maximal extra loss of effector T cells caused by liver metastases",
                  "liver metastases siphon activated CD8 T cells body-wide (Yu et al. 2021, Nat Med 27:152, mouse); "
                  "value assumed (doubles effector loss)", symbol="k_liv"),
        Parameter("liver_loss_halfsat_cells", 1.0e8, "cells",
                  "liver tumour cells giving half the maximal extra T-cell loss",
                  "assumed (about 1 cm^3 of liver metastasis)", symbol="K_liv"),
    ),
    hooks=(
        Hook("pd1_occupancy", 0.0, "1", "fraction of PD-1 receptors occupied by checkpoint inhibitors"),
    ),
    covariates=(
        Covariate("site_infiltration", "1", "relative effector T-cell infiltration of the lesion's site "
                  "(INFILTRATION_BY_SITE, 1 = skin)", "lesion", 1.0),
        Covariate("liver_site", "1", "1 if the lesion is in the liver, else 0 (from the lesion's site)", "lesion", 0.0),
    ),
)
