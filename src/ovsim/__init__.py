"""ovsim: oncolytic virotherapy (talimogene laherparepvec, T-VEC) in silico.

The flow of data, one subpackage per step::

    patient file -> population -> regimen x engine -> trajectories -> report

``import ovsim`` is cheap: JAX and the numerical core load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "configure_jax": "ovsim._jax",
    "parse_regimen": "ovsim.treatments",
    "simulate_cohort": "ovsim.engine",
    "Patient": "ovsim.population",
    "Lesion": "ovsim.population",
    "Site": "ovsim.model",
    "default_parameters": "ovsim.model",
    "PARAMETERS": "ovsim.model",
    "plan_visit": "ovsim.regimen",
    "simulate_patient": "ovsim.engine",
    "load_patient": "ovsim.io",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ovsim' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
