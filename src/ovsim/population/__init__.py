"""Patients and virtual populations: specification, generation, weighted pools and selection."""

from ._contraindications import (
    CONTRAINDICATION_NAMES,
    CONTRAINDICATIONS,
    Contraindication,
    contraindication,
    screen,
)
from ._generate import generate_population
from ._overrides import Distribution, Override, apply_overrides, check_name, describe_overrides, parse_overrides
from ._patient import Lesion, Patient
from ._pool import WeightedPool, calibrated_pool_path, draw_from_pool, load_calibrated_pool
from ._population import Population
from ._spec import SHIPPED_POPULATIONS, STAGES, PopulationSpec, load_population_spec, shipped_population_spec

__all__ = [
    "CONTRAINDICATIONS",
    "CONTRAINDICATION_NAMES",
    "Contraindication",
    "Distribution",
    "Override",
    "apply_overrides",
    "check_name",
    "describe_overrides",
    "parse_overrides",
    "Lesion",
    "Patient",
    "Population",
    "PopulationSpec",
    "STAGES",
    "WeightedPool",
    "calibrated_pool_path",
    "contraindication",
    "draw_from_pool",
    "generate_population",
    "load_calibrated_pool",
    "load_population_spec",
    "SHIPPED_POPULATIONS",
    "shipped_population_spec",
    "screen",
]
