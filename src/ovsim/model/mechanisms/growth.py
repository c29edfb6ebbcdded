"""Tumour growth: logistic per lesion at human doubling times, with no regrowth below about one cell.

Lesion size: a lesion is a sphere of ``tumour_cells / tumour_cell_density`` cm^3; its longest diameter
(cm) is what a clinician measures (Miller et al. 1981, Cancer 47:207, for the WHO criteria).
"""

from __future__ import annotations

import sympy as sp

from .._spec import LN2, Covariate, Mechanism, Parameter, State, Symbols, Terms, lesion_sum


def _terms(s: Symbols) -> Terms:
    u_pos = sp.Max(s.uninfected_cells, 0)
    growth = (
        LN2 / s.doubling_time_days * s.uninfected_cells * (1 - s.tumour_cells / s.carrying_capacity_cells)
        * u_pos / (u_pos + s.extinction_scale_cells)
    )
    volume = sp.Max(s.tumour_cells, 0) / s.tumour_cell_density
    return Terms(
        quantities={
            "tumour_cells": s.uninfected_cells + s.infected_cells,
            "tumour_cells_total": lesion_sum(s.tumour_cells),
            "growth": growth,
            "lesion_volume_cm3": volume,
            "longest_diameter_cm": sp.cbrt(6 * s.lesion_volume_cm3 / sp.pi),
        },
        rates={"uninfected_cells": s.growth},
        observables={
            "longest_diameter_cm": ("cm", "longest diameter of the (spherical) lesion: (6 V / pi)^(1/3)"),
            "lesion_volume_cm3": ("cm^3", "lesion volume: tumour cells / tumour_cell_density"),
        },
        notes={
            "growth": "logistic per lesion; infected cells do not divide; U+/(U+ + n_ext) stops regrowth "
                      "from less than about one cell",
            "tumour_cells": "infected cells still occupy volume; lysed and killed cells are cleared at once",
        },
    )


MECHANISM = Mechanism(
    name="growth",
    title="Tumour growth and lesion size",
    description="Uninfected tumour cells grow logistically in each lesion with the lesion's doubling time.",
    terms=_terms,
    states=(
        State("uninfected_cells", "cells", 1e6, "lesion", "uninfected tumour cells", "U_j",
              initial=sp.pi / 6 * sp.Symbol("baseline_diameter_cm", real=True) ** 3
              * sp.Symbol("tumour_cell_density", real=True)),
    ),
    parameters=(
        Parameter("tumour_cell_density", 1.0e8, "cells/cm^3", "tumour cells per cm^3 of lesion volume",
                  "Del Monte 2009, Cell Cycle 8:505 (about 1e8 cells per gram of solid tumour)", symbol="rho_c"),
        Parameter("doubling_time_days", 60.0, "day", "lesion volume doubling time without treatment or immunity",
                  "melanoma metastases double in weeks to months (Carlson 2003, Am J Dermatopathol 25:291); "
                  "60 d chosen as a human-scale reference, replacing mouse values of ~2-4 d", "lesion",
                  range=(20.0, 300.0), symbol="T_d"),
        Parameter("carrying_capacity_cells", 1.0e12, "cells", "cells at which a single lesion stops growing (logistic)",
                  "assumed (about 10 kg of tissue at 1e8 cells/cm^3): keeps growth exponential at clinical sizes",
                  symbol="K"),
        Parameter("extinction_scale_cells", 1.0, "cells",
                  "scale below which a lesion cannot regrow (growth x U/(U+scale))",
                  "modelling device: a lesion reduced below about one cell is extinct, not a fraction of a cell",
                  symbol="n_ext"),
    ),
    covariates=(
        Covariate("baseline_diameter_cm", "cm", "longest diameter of the lesion at day 0 (sets U_j(0))", "lesion"),
    ),
)
