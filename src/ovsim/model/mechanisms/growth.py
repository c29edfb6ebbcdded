"""Tumour growth: logistic per lesion at human doubling times, in two spatial compartments.

A lesion's tumour cells are either within reach of injected virus (``uninfected_cells``, U_j: near
injection tracks and open tumour tissue) or sheltered from it by stroma, necrosis and pressure
(``sheltered_cells``, S_j). Stromal density is what limits oncolytic spread in agent-based models
(Jenner et al. 2022, iScience 25:104395); here the lesion's ``accessibility`` a_j is the reachable
fraction at equilibrium, and cells move between the compartments slowly (tissue remodelling), so
a dose can infect at most the reachable part, and the sheltered part reaches the virus over weeks.

Dying cells: cells lysed by the virus, cleared by antiviral immunity or killed by T cells (each of
those mechanisms adds them here) do not vanish: they stay in the lesion as ``dying_cells`` (D_j) until
phagocytes clear them at ``dying_cell_clearance_rate``. This is the damaged-cell compartment of
tumour-growth inhibition models (Simeoni et al. 2004, Cancer Res 64:1094: cells hit by treatment still
count in tumour size before they die). An injected lesion therefore shrinks weeks after the killing,
not the same day (clinically, T-VEC responses develop over weeks to months: OPTiM median time to
response 4.1 months, Andtbacka et al. 2015, J Clin Oncol 33:2780). Dying cells do not grow, take no
virus and do not dilute effectors; they count in the lesion's size only (what is measured, what the
dosing policy sees, and the depth effectors must reach).

Lesion size: a lesion is a sphere of ``(tumour_cells + dying_cells) / tumour_cell_density`` cm^3; its
longest diameter (cm) is what a clinician measures (Miller et al. 1981, Cancer 47:207, for the WHO
criteria) and what the dosing policy sees.
"""

from __future__ import annotations

import math

import sympy as sp

from .._spec import LN2, PROVISIONAL, Covariate, Mechanism, Parameter, State, Symbols, Terms, fold_range, lesion_sum


def _logistic(s: Symbols, cells: sp.Expr) -> sp.Expr:
    pos = sp.Max(cells, 0)
    return (LN2 / s.doubling_time_days * cells * (1 - s.tumour_cells / s.carrying_capacity_cells)
            * pos / (pos + s.extinction_scale_cells))


def _terms(s: Symbols) -> Terms:
    exchange = s.compartment_exchange_rate * (
        s.accessibility * s.sheltered_cells - (1 - s.accessibility) * s.uninfected_cells)
    volume = sp.Max(s.tumour_cells + s.dying_cells, 0) / s.tumour_cell_density
    return Terms(
        quantities={
            "tumour_cells": s.uninfected_cells + s.sheltered_cells + s.infected_cells,
            "tumour_cells_total": lesion_sum(s.tumour_cells),
            "growth": _logistic(s, s.uninfected_cells),
            "growth_sheltered": _logistic(s, s.sheltered_cells),
            "compartment_exchange": exchange,
            "lesion_volume_cm3": volume,
            "longest_diameter_cm": sp.cbrt(6 * s.lesion_volume_cm3 / sp.pi),
        },
        rates={"uninfected_cells": s.growth + s.compartment_exchange,
               "sheltered_cells": s.growth_sheltered - s.compartment_exchange,
               "dying_cells": -s.dying_cell_clearance_rate * s.dying_cells},
        observables={
            "longest_diameter_cm": ("cm", "longest diameter of the (spherical) lesion: (6 V / pi)^(1/3)"),
            "lesion_volume_cm3": ("cm^3", "lesion volume: (tumour cells + dying cells) / tumour_cell_density"),
        },
        notes={
            "growth": "logistic per lesion and compartment; infected cells do not divide; U+/(U+ + n_ext) "
                      "stops regrowth from less than about one cell",
            "compartment_exchange": "net flow of sheltered cells into the virus's reach (1/day x cells); at "
                                    "equilibrium U/(U+S) = a_j",
            "tumour_cells": "living tumour cells; infected cells still occupy volume, and so do killed cells "
                            "until cleared (dying_cells)",
        },
    )


_INITIAL_CELLS = (sp.pi / 6 * sp.Symbol("baseline_diameter_cm", real=True) ** 3
                  * sp.Symbol("tumour_cell_density", real=True))

MECHANISM = Mechanism(
    name="growth",
    title="Tumour growth and lesion size",
    description="Tumour cells within and beyond the virus's reach grow logistically with the lesion's doubling "
                "time and exchange slowly.",
    terms=_terms,
    states=(
        State("uninfected_cells", "cells", 1e6, "lesion", "uninfected tumour cells within the virus's reach", "U_j",
              initial=_INITIAL_CELLS * sp.Symbol("accessibility", real=True)),
        State("sheltered_cells", "cells", 1e6, "lesion",
              "tumour cells sheltered from the virus (stroma, necrosis, pressure)", "S_j",
              initial=_INITIAL_CELLS * (1 - sp.Symbol("accessibility", real=True))),
        State("dying_cells", "cells", 1e6, "lesion",
              "killed tumour cells not yet cleared (they count in the lesion's measured size)", "D_j"),
    ),
    parameters=(
        Parameter("dying_cell_clearance_rate", math.log(2.0) / 14.0, "1/day",
                  "clearance of killed tumour cells from a lesion",
                  "damaged-cell compartment (Simeoni et al. 2004, Cancer Res 64:1094); half-life 14 days assumed, "
                  + PROVISIONAL, "patient", fold_range(math.log(2.0) / 14.0, 3), "k_D"),
        Parameter("tumour_cell_density", 1.0e8, "cells/cm^3", "tumour cells per cm^3 of lesion volume",
                  "Del Monte 2009, Cell Cycle 8:505 (about 1e8 cells per gram of solid tumour)", symbol="rho_c"),
        Parameter("doubling_time_days", 60.0, "day", "lesion volume doubling time without treatment or immunity",
                  "melanoma metastases double in weeks to months (Carlson 2003, Am J Dermatopathol 25:291); "
                  "60 d chosen as a human-scale reference, replacing mouse values of ~2-4 d", "lesion",
                  range=(20.0, 300.0), symbol="T_d"),
        Parameter("carrying_capacity_cells", 1.0e12, "cells", "cells at which a single lesion stops growing (logistic)",
                  "assumed (about 10 kg of tissue at 1e8 cells/cm^3): keeps growth exponential at clinical sizes",
                  symbol="K"),
        Parameter("accessibility", 0.3, "1",
                  "fraction of the lesion's tumour cells within reach of injected virus, at equilibrium",
                  "stromal density limits oncolytic spread (Jenner et al. 2022, iScience 25:104395); value assumed "
                  "(varies between lesions, docs/population.md)", "lesion", (0.0, 1.0), "a_j"),
        Parameter("compartment_exchange_rate", 0.03, "1/day",
                  "rate at which tumour cells move between the sheltered and reachable compartments",
                  "assumed: tissue remodelling over about a month; sets how fast repeated doses reach a lesion's "
                  "sheltered cells (clinical responses develop over months: OPTiM median time to response "
                  "4.1 months, Andtbacka et al. 2015)", symbol="k_x"),
        Parameter("extinction_scale_cells", 1.0, "cells",
                  "scale below which a lesion cannot regrow (growth x U/(U+scale))",
                  "modelling device: a lesion reduced below about one cell is extinct, not a fraction of a cell",
                  symbol="n_ext"),
    ),
    covariates=(
        Covariate("baseline_diameter_cm", "cm", "longest diameter of the lesion at day 0 (sets U_j(0))", "lesion"),
    ),
)
