"""Treatments as modules: T-VEC (label policy), subcutaneous GM-CSF, pembrolizumab, ipilimumab, and any
registered addition.

A treatment declares its model part (PK states, parameters, the terms through which it acts), its regimen
options, its dosing (by schedule or by a state-dependent policy) and its dose records. Regimens name
treatments from the registry: ``parse_regimen({"tvec": "optim", "gmcsf": {}})``.
"""

from ._infusion import REFERENCE_WEIGHT_KG
from ._protocol import Options, PolicyDosing, ScheduledDosing, Treatment
from ._regimen import Regimen, RegimenError, parse_regimen
from ._registry import (
    BUILTIN_TREATMENTS,
    builtin_model,
    covariate_names,
    full_model,
    model_for,
    parameter_registry,
    positive_parameters,
    register,
    treatment,
    treatment_names,
)
from .gmcsf import GMCSF, GmcsfOptions
from .ipilimumab import IPILIMUMAB, IpilimumabOptions
from .pembrolizumab import PEMBROLIZUMAB, PembrolizumabOptions
from .tvec import TVEC, TvecOptions

__all__ = [
    "BUILTIN_TREATMENTS",
    "builtin_model",
    "GMCSF",
    "GmcsfOptions",
    "IPILIMUMAB",
    "IpilimumabOptions",
    "PEMBROLIZUMAB",
    "PembrolizumabOptions",
    "Options",
    "PolicyDosing",
    "REFERENCE_WEIGHT_KG",
    "Regimen",
    "RegimenError",
    "ScheduledDosing",
    "TVEC",
    "Treatment",
    "TvecOptions",
    "covariate_names",
    "full_model",
    "model_for",
    "parameter_registry",
    "parse_regimen",
    "positive_parameters",
    "register",
    "treatment",
    "treatment_names",
]
