"""The T-VEC lesion-immune model: sites, named states, parameters, right-hand side, geometry."""

from ._geometry import (
    cells_from_diameter_cm,
    diameter_cm_from_cells,
    product_diameters_cm2,
    volume_cm3_from_cells,
)
from ._parameters import (
    DAYS_PER_MONTH,
    INFILTRATION_BY_SITE,
    LESION_LEVEL,
    PARAMETERS,
    Parameter,
    check_overrides,
    default_parameters,
)
from ._rhs import rhs
from ._sites import SITE_NAMES, Site
from ._states import LESION_STATES, N_LESION_STATES, SCALE, SYSTEMIC_STATES, UNITS, StateLayout

__all__ = [
    "DAYS_PER_MONTH",
    "INFILTRATION_BY_SITE",
    "LESION_LEVEL",
    "LESION_STATES",
    "N_LESION_STATES",
    "PARAMETERS",
    "Parameter",
    "SCALE",
    "SITE_NAMES",
    "SYSTEMIC_STATES",
    "Site",
    "StateLayout",
    "UNITS",
    "cells_from_diameter_cm",
    "check_overrides",
    "default_parameters",
    "diameter_cm_from_cells",
    "product_diameters_cm2",
    "rhs",
    "volume_cm3_from_cells",
]
