"""Parameter lookup and override checks over the model definition's one registry."""

from __future__ import annotations

import math

import numpy as np
from types import MappingProxyType
from typing import Collection, Mapping

from ._definition import default_model
from ._spec import Parameter

PARAMETERS: Mapping[str, Parameter] = MappingProxyType(dict(default_model().parameters))
"""Parameters of the default mechanisms by name (treatments add their own: ``ovsim.treatments.parameter_registry``)."""

LESION_LEVEL = tuple(p.name for p in PARAMETERS.values() if p.level == "lesion")
"""Parameters each lesion may set for itself."""


def default_parameters() -> dict[str, float]:
    """A fresh ``{name: value}`` dict of the default mechanisms' parameters (units in :data:`PARAMETERS`)."""
    return {name: p.value for name, p in PARAMETERS.items()}


def positive_parameters() -> frozenset[str]:
    """Parameters of the default mechanisms that divide in the model (a denominator): they must be > 0.

    Derived from the model's expressions (``ModelDefinition.denominator_parameters``); treatments may add
    more (``ovsim.treatments.positive_parameters``)."""
    return default_model().denominator_parameters()


OVERRIDE_FOLD = 1e6
"""An override may be at most this many times a parameter's default (or the top of its plausible range):
far beyond any plausible value, and well inside floating point (the model multiplies parameters together)."""


def override_limit(parameter: Parameter) -> float:
    """The largest value an override of ``parameter`` may take (``OVERRIDE_FOLD`` x its default or range top)."""
    top = max(abs(parameter.value), parameter.range[1] if parameter.range else 0.0)
    return OVERRIDE_FOLD * top if top > 0 else OVERRIDE_FOLD


def check_overrides(overrides: Mapping[str, float], registry: Mapping[str, Parameter] = PARAMETERS,
                    where: str = "parameters", positive: Collection[str] | None = None) -> dict[str, float]:
    """Validate parameter overrides: known names, finite numbers (not booleans or text) >= 0, and > 0 for
    the parameters in ``positive`` (default: those in a denominator of the default model), at most
    :func:`override_limit`; returns floats.

    Raises ``ValueError`` naming the field and what was expected.
    """
    positive = positive_parameters() if positive is None else frozenset(positive) | positive_parameters()
    out: dict[str, float] = {}
    for name, value in overrides.items():
        if name not in registry:
            shown = name if isinstance(name, str) and len(name) <= 80 and name.isprintable() else _short(name)
            raise ValueError(f"{where}.{shown}: unknown parameter (expected one of the names in docs/model.md)")
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError(f"{where}.{name}: expected a number (got {_short(value)})")
        v = float(value)
        if not math.isfinite(v) or v < 0:
            raise ValueError(f"{where}.{name}: expected a finite number >= 0 (got {value!r})")
        if name in positive and v <= 0:
            raise ValueError(f"{where}.{name}: expected a number > 0 (it divides in the model; got {value!r})")
        limit = override_limit(registry[name])
        if v > limit:
            raise ValueError(f"{where}.{name}: expected at most {limit:.3g} (10^6 x the default; got {value!r})")
        out[name] = v
    return out


def _short(value: object, limit: int = 80) -> str:
    """``repr(value)`` on one line, cut to ``limit`` characters (error messages echo little of the input)."""
    text = " ".join(repr(value if not isinstance(value, str) else value[: 2 * limit]).split())
    return text if len(text) <= limit else text[:limit] + "..."
