"""Parameter lookup and override checks over the model definition's one registry."""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Mapping

from ._definition import default_model
from ._spec import Parameter

PARAMETERS: Mapping[str, Parameter] = MappingProxyType(dict(default_model().parameters))
"""Parameters of the default mechanisms by name (treatments add their own: ``ovsim.treatments.parameter_registry``)."""

LESION_LEVEL = tuple(p.name for p in PARAMETERS.values() if p.level == "lesion")
"""Parameters each lesion may set for itself."""


def default_parameters() -> dict[str, float]:
    """A fresh ``{name: value}`` dict of the default mechanisms' parameters (units in :data:`PARAMETERS`)."""
    return {name: p.value for name, p in PARAMETERS.items()}


def check_overrides(overrides: Mapping[str, float], registry: Mapping[str, Parameter] = PARAMETERS,
                    where: str = "parameters") -> dict[str, float]:
    """Validate parameter overrides: known names, finite values >= 0; returns floats.

    Raises ``ValueError`` naming the field and what was expected.
    """
    out: dict[str, float] = {}
    for name, value in overrides.items():
        if name not in registry:
            raise ValueError(f"{where}.{name}: unknown parameter (expected one of the names in docs/model.md)")
        if isinstance(value, bool):
            raise ValueError(f"{where}.{name}: expected a number (got {value!r})")
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{where}.{name}: expected a number (got {value!r})") from None
        if not math.isfinite(v) or v < 0:
            raise ValueError(f"{where}.{name}: expected a finite number >= 0 (got {value!r})")
        out[name] = v
    return out
