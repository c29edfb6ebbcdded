"""Treatments by name, and the model composed for a set of them.

The built-in treatments are T-VEC (``tvec``), subcutaneous GM-CSF (``gmcsf``) and the checkpoint inhibitors
pembrolizumab (``pembrolizumab``) and ipilimumab (``ipilimumab``); :func:`register`
adds another (a new module with a :class:`Treatment`), after which regimens in patient files, trial
scenarios and the CLI can name it.
"""

from __future__ import annotations

import functools
from types import MappingProxyType
from typing import Iterable, Mapping

from ..model import MECHANISMS, ModelDefinition, Parameter
from ._protocol import Treatment
from .gmcsf import GMCSF
from .ipilimumab import IPILIMUMAB
from .pembrolizumab import PEMBROLIZUMAB
from .tvec import TVEC

_REGISTRY: dict[str, Treatment] = {t.name: t for t in (TVEC, GMCSF, PEMBROLIZUMAB, IPILIMUMAB)}
BUILTIN_TREATMENTS: tuple[str, ...] = tuple(_REGISTRY)
"""Treatments that ship with ovsim (documented in docs/model.md)."""


def register(treatment: Treatment) -> Treatment:
    """Make ``treatment`` available by its name; its parameters must not clash with the model's."""
    if treatment.name in _REGISTRY and _REGISTRY[treatment.name] is not treatment:
        raise ValueError(f"treatment {treatment.name!r} is already registered")
    ModelDefinition((*MECHANISMS, *[t.model for t in _REGISTRY.values() if t.name != treatment.name],
                     treatment.model))  # raises on clashes
    _REGISTRY[treatment.name] = treatment
    model_for.cache_clear()
    parameter_registry.cache_clear()
    positive_parameters.cache_clear()
    return treatment


def treatment(name: str) -> Treatment:
    """The registered treatment ``name``; ``KeyError`` names the registered ones."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown treatment {name!r} (expected one of {', '.join(_REGISTRY)})") from None


def treatment_names() -> tuple[str, ...]:
    """Names of the registered treatments."""
    return tuple(_REGISTRY)


@functools.cache
def model_for(names: tuple[str, ...]) -> ModelDefinition:
    """The model of the default mechanisms plus the parts of the named treatments (in registry order)."""
    order = [n for n in _REGISTRY if n in names]
    return ModelDefinition((*MECHANISMS, *[_REGISTRY[n].model for n in order]))


def builtin_model() -> ModelDefinition:
    """The model with the treatments that ship with ovsim (docs/model.md documents it)."""
    return model_for(BUILTIN_TREATMENTS)


def full_model() -> ModelDefinition:
    """The model with every registered treatment (docs, parameter lookup)."""
    return model_for(tuple(_REGISTRY))


@functools.cache
def parameter_registry() -> Mapping[str, Parameter]:
    """Every parameter a patient may override: the mechanisms' and every registered treatment's."""
    return MappingProxyType(dict(full_model().parameters))


@functools.cache
def positive_parameters() -> frozenset[str]:
    """Parameters that divide in the model with every registered treatment (a denominator of a quantity,
    rate or initial value): a value must be > 0 (``ovsim.model.check_overrides(..., positive=...)``)."""
    return full_model().denominator_parameters()


def covariate_names() -> tuple[str, ...]:
    """Every covariate the mechanisms and registered treatments use."""
    return tuple(full_model().covariates)


def names_in(items: Iterable[Treatment]) -> tuple[str, ...]:
    """Names of ``items`` in registry order (the key of their composed model)."""
    wanted = {t.name for t in items}
    return tuple(n for n in _REGISTRY if n in wanted)
