"""Patients and virtual populations."""

from ._generate import generate_population
from ._patient import Lesion, Patient
from ._population import Population
from ._spec import STAGES, PopulationSpec, load_population_spec

__all__ = ["Lesion", "Patient", "Population", "PopulationSpec", "STAGES", "generate_population", "load_population_spec"]
