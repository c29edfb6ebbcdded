"""T-cell priming: DCs prime tumour-specific T cells, which become effectors after a delay.

The delay is an Erlang-3 distribution (linear chain trick, MacDonald 1978, Time Lags in Biological
Models): three transit compartments with rate 3 / priming_delay_days each.

CTLA-4 blockade strengthens priming: CD28 co-stimulation raises the number of divisions after priming,
at most 2^3-fold (QSP-IO: Sove et al. 2020, CPT Pharmacometrics Syst Pharmacol 9:484), so the effectors
made per DC are multiplied by 2^(n_max g O_CTLA4), with the hook ``ctla4_occupancy`` (0, and so the
factor exactly 1, without a CTLA-4 antibody). Ipilimumab raises intratumoral CD4 and CD8 T cells without
depleting FOXP3+ regulatory T cells in human tumours (Sharma et al. 2019, Clin Cancer Res 25:1233), so
the blockade is modelled as stronger priming and expansion.
"""

from __future__ import annotations

from .._spec import PROVISIONAL, Hook, Mechanism, Parameter, State, Symbols, Terms, fold_range


def _terms(s: Symbols) -> Terms:
    k = s.priming_transit_rate
    return Terms(
        quantities={
            "priming_transit_rate": 3 / s.priming_delay_days,
            "ctla4_priming_boost": 2 ** (s.ctla4_extra_divisions_max * s.ctla4_division_gain * s.ctla4_occupancy),
        },
        rates={
            "primed_1": s.priming_rate * s.ctla4_priming_boost * s.dendritic_cells - k * s.primed_1,
            "primed_2": k * (s.primed_1 - s.primed_2),
            "primed_3": k * (s.primed_2 - s.primed_3),
            "effector_t_cells": k * s.primed_3,
        },
        notes={"ctla4_priming_boost": "extra divisions after priming under CTLA-4 blockade: "
                                      "2^(n_max g O_CTLA4), 1 without a CTLA-4 antibody (QSP-IO)"},
    )


MECHANISM = Mechanism(
    name="priming",
    title="T-cell priming",
    description="Dendritic cells prime T cells; primed cells mature into effectors through a three-stage delay.",
    terms=_terms,
    states=tuple(
        State(f"primed_{k}", "cells", 1e6, "systemic", f"T cells in priming, stage {k} of 3", f"P_{k}")
        for k in (1, 2, 3)
    ),
    parameters=(
        Parameter("priming_rate", 100.0, "cells/(DC*day)", "effector T cells generated per DC per day (incl. clonal expansion)",
                  PROVISIONAL, "patient", fold_range(100.0, 10), "k_P"),
        Parameter("priming_delay_days", 7.0, "day", "mean delay from DC priming to effector T cells (Erlang, 3 stages)",
                  "effector T cells peak ~1 week after priming (standard immunology; linear chain trick, MacDonald 1978)",
                  symbol="tau_P"),
        Parameter("ctla4_extra_divisions_max", 3.0, "1",
                  "extra T-cell divisions after priming at full CTLA-4 blockade (CD28 co-stimulation)",
                  "at most 2^3-fold more divisions (QSP-IO: Sove et al. 2020, CPT Pharmacometrics Syst Pharmacol "
                  "9:484)", symbol="n_CTLA4"),
        Parameter("ctla4_division_gain", 1.0, "1",
                  "scale of the CTLA-4 division boost (1 = the QSP-IO maximum; no effect without a CTLA-4 antibody)",
                  PROVISIONAL + " (to checkpoint-inhibitor monotherapy targets)", range=(0.0, 1.0),
                  symbol="g_CTLA4"),
    ),
    hooks=(
        Hook("ctla4_occupancy", 0.0, "1", "fraction of CTLA-4 occupied by CTLA-4 antibodies"),
    ),
)
