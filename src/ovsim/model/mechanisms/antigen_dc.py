"""Tumour antigen and dendritic cells: antigen released by oncolysis and killing, DCs licensed by GM-CSF.

Model structure after Cassidy & Craig 2019 (PLoS Comput Biol 15:e1007495: virus, GM-CSF and immune
arms); GM-CSF recruits and matures DCs (Dranoff et al. 1993, PNAS 90:3539). Recruitment of DC
precursors and their maturation take days, not the hours GM-CSF itself lasts: DC activation follows
the GM-CSF signal with its own time constant, so a dose's GM-CSF pulse primes for days.
"""

from __future__ import annotations

import sympy as sp

from .._spec import PROVISIONAL, Mechanism, Parameter, State, Symbols, Terms, fold_range, lesion_sum


def _terms(s: Symbols) -> Terms:
    released = lesion_sum(s.antigen_lysis_yield * (s.lysis + s.antiviral_clearance)
                          + s.antigen_kill_yield * s.kill * s.tumour_cells)
    licensing = (
        s.dc_licensing_baseline
        + s.dc_licensing_local * s.gmcsf_local_total / (s.gmcsf_local_total + s.gmcsf_local_halfsat)
        + s.dc_licensing_systemic * s.gmcsf_systemic_ug / (s.gmcsf_systemic_ug + s.gmcsf_systemic_halfsat)
    )
    return Terms(
        quantities={
            "antigen_released": released,
            "antigen_loading": s.antigen / (s.antigen + s.antigen_halfsat),
            "dc_licensing": licensing,
        },
        rates={
            "antigen": s.antigen_released + s.antigen_baseline_release * s.tumour_cells_total
            - s.antigen_clearance_rate * s.antigen,
            "dc_activation": (s.dc_licensing - s.dc_activation) / s.dc_maturation_days,
            "dendritic_cells": s.dc_recruitment_rate * s.dc_activation * s.antigen_loading
            - s.dc_death_rate * s.dendritic_cells,
        },
        notes={"dc_licensing": "GM-CSF made by infected cells (local) licenses DCs strongly, systemic GM-CSF modestly; "
                               "DC activation follows it over dc_maturation_days"},
    )


MECHANISM = Mechanism(
    name="antigen_dc",
    title="Antigen and dendritic cells",
    description="Antigen from lysed and killed cells loads dendritic cells, which GM-CSF licenses.",
    terms=_terms,
    states=(
        State("antigen", "cell-eq", 1e6, "systemic",
              "tumour antigen available to dendritic cells, in cell-equivalents of viral lysis", "A"),
        State("dc_activation", "1", 1.0, "systemic",
              "recruitment and maturation state of dendritic cells (follows the licensing signal over days)", "L_D",
              initial=sp.Symbol("dc_licensing_baseline", real=True)),
        State("dendritic_cells", "cells", 1e4, "systemic",
              "licensed, antigen-loaded dendritic cells in draining lymph nodes", "D"),
    ),
    parameters=(
        Parameter("antigen_lysis_yield", 1.0, "1", "antigen released per virus-lysed tumour cell (cell-equivalents)",
                  "definition: antigen is counted in cell-equivalents of immunogenic (viral) lysis", symbol="omega_L"),
        Parameter("antigen_kill_yield", 0.2, "1", "antigen released per T-cell-killed tumour cell, relative to viral lysis",
                  "assumed; immunogenic cell death by oncolysis is the stronger signal (epitope spreading weaker)",
                  symbol="omega_K"),
        Parameter("antigen_baseline_release", 1.0e-4, "1/day", "antigen shed per tumour cell per day without therapy",
                  PROVISIONAL, "patient", fold_range(1.0e-4, 10), "rho_0"),
        Parameter("antigen_clearance_rate", 0.5, "1/day", "clearance of tumour antigen available to dendritic cells",
                  "assumed (half-life ~1.4 d)", symbol="delta_A"),
        Parameter("antigen_halfsat", 1.0e7, "cell-eq", "antigen giving half-maximal DC loading", PROVISIONAL,
                  symbol="K_A"),
        Parameter("dc_recruitment_rate", 1.0e5, "cells/day",
                  "maximal influx of licensed, antigen-loaded DCs to lymph nodes",
                  PROVISIONAL, "patient", fold_range(1.0e5, 10), "k_D"),
        Parameter("dc_licensing_baseline", 0.05, "1", "DC licensing without GM-CSF", PROVISIONAL, symbol="l_0"),
        Parameter("dc_licensing_local", 1.0, "1", "maximal extra licensing from GM-CSF made in injected lesions",
                  "GM-CSF recruits and matures DCs (Dranoff et al. 1993); " + PROVISIONAL, symbol="l_loc"),
        Parameter("dc_licensing_systemic", 0.15, "1", "maximal extra licensing from systemic GM-CSF",
                  "modest effect: GM-CSF alone gave 5.7% ORR in OPTiM (Andtbacka et al. 2015); " + PROVISIONAL,
                  "patient", fold_range(0.15, 5), "l_sys"),
        Parameter("dc_maturation_days", 5.0, "day",
                  "time constant of DC recruitment and maturation following a change in GM-CSF",
                  "GM-CSF-secreting vaccine sites fill with dendritic cells over several days (Dranoff et al. 1993, "
                  "PNAS 90:3539); 5 d assumed", symbol="tau_D"),
        Parameter("dc_death_rate", 0.3, "1/day", "loss of mature DCs in lymph nodes",
                  "mature DC lifespan of ~2-3 d in lymph nodes (Kamath et al. 2002, Blood 100:1734; mouse, not rescaled)",
                  symbol="delta_D"),
    ),
)
