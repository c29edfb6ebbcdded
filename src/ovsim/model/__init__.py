"""The T-VEC lesion-immune model as data: mechanisms (one module each), composed into one definition.

``ModelDefinition`` is the single source of truth; the array form (numpy/JAX), the scalar form
(numba), the SBML export and the tables of docs/model.md are generated from it.
"""

from ._codegen_array import ArrayModel, RhsArgs, array_source, generate_array_model
from ._codegen_scalar import ScalarModel, generate_scalar_model
from ._definition import ModelDefinition, ModelDefinitionError, Quantity, default_model
from ._geometry import (
    cells_from_diameter_cm,
    diameter_cm_from_cells,
    product_diameters_cm2,
    volume_cm3_from_cells,
)
from ._parameters import LESION_LEVEL, PARAMETERS, check_overrides, default_parameters
from ._sites import INJECTABLE_SITE_NAMES, SITE_NAMES, Site
from ._spec import (
    DAYS_PER_MONTH,
    PROVISIONAL,
    Covariate,
    Hook,
    LesionSum,
    Mechanism,
    Parameter,
    State,
    Symbols,
    Terms,
    fold_range,
    lesion_sum,
)
from .mechanisms import INFILTRATION_BY_SITE, MECHANISMS

__all__ = [
    "ArrayModel",
    "Covariate",
    "DAYS_PER_MONTH",
    "Hook",
    "INFILTRATION_BY_SITE",
    "INJECTABLE_SITE_NAMES",
    "LESION_LEVEL",
    "LesionSum",
    "MECHANISMS",
    "Mechanism",
    "ModelDefinition",
    "ModelDefinitionError",
    "PARAMETERS",
    "PROVISIONAL",
    "Parameter",
    "Quantity",
    "RhsArgs",
    "SITE_NAMES",
    "ScalarModel",
    "Site",
    "State",
    "Symbols",
    "Terms",
    "array_source",
    "cells_from_diameter_cm",
    "check_overrides",
    "default_model",
    "default_parameters",
    "diameter_cm_from_cells",
    "fold_range",
    "generate_array_model",
    "generate_scalar_model",
    "lesion_sum",
    "product_diameters_cm2",
    "volume_cm3_from_cells",
]
