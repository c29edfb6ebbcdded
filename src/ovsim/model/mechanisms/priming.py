"""T-cell priming: DCs prime tumour-specific T cells, which become effectors after a delay.

The delay is an Erlang-3 distribution (linear chain trick, MacDonald 1978, Time Lags in Biological
Models): three transit compartments with rate 3 / priming_delay_days each.
"""

from __future__ import annotations

from .._spec import PROVISIONAL, Mechanism, Parameter, State, Symbols, Terms, fold_range


def _terms(s: Symbols) -> Terms:
    k = s.priming_transit_rate
    return Terms(
        quantities={"priming_transit_rate": 3 / s.priming_delay_days},
        rates={
            "primed_1": s.priming_rate * s.dendritic_cells - k * s.primed_1,
            "primed_2": k * (s.primed_1 - s.primed_2),
            "primed_3": k * (s.primed_2 - s.primed_3),
            "effector_t_cells": k * s.primed_3,
        },
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
    ),
)
