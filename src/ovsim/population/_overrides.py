"""Model-parameter overrides of a population: a fixed value for everyone, or a distribution drawn per patient.

An override replaces the drawn (or calibrated) value of a model parameter (``docs/parameters.md``):

* ``kill_rate: 0.05`` — every patient (every lesion, for a lesion-level parameter) gets 0.05, in the
  registry's units (``ovsim model --describe``);
* ``kill_rate: {distribution: lognormal, median: 0.05, cv: 0.3}`` — drawn per patient (per lesion for a
  lesion-level parameter); also ``{distribution: normal, mean: m, sd: s}`` and
  ``{distribution: uniform, low: a, high: b}``.

Patient ``i`` (the population's ``index``) draws parameter ``name`` from its own stream
``SeedSequence(seed, spawn_key=(i, 5, crc32(name)))``: the other streams (population ``(i,)``, measurement
``(i, 1)``, survival ``(i, 2)``, selection ``(i, 3)``, adverse events ``(i, 7)``) are untouched, and a draw does not
depend on the chunking, the arm's other patients or the other overrides. A lognormal with median ``m`` and
coefficient of variation ``c`` is ``m * exp(s z)``, ``s = sqrt(ln(1 + c^2))``, ``z`` standard normal.
"""

from __future__ import annotations

import difflib
import math
import zlib
from typing import Any, Literal, Mapping

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from .._errors import first_error
from .._read import Number, shorten
from ..model import check_overrides
from ..model._parameters import override_limit
from ..treatments import covariate_names, parameter_registry, positive_parameters
from ._population import _COVARIATES, Population

OVERRIDE_STREAM = 5
"""``spawn_key`` tag of the per-patient override streams ``(i, 5, crc32(name))``."""
MIN_NORMAL_Z = 5.0
"""A normal override of a parameter >= 0 needs ``mean >= 5 sd`` (a draw below 0 has probability < 3e-7)."""
MAX_CV = 10.0
"""Largest coefficient of variation of a lognormal override (dimensionless)."""


class Distribution(BaseModel):
    """A per-patient (per-lesion) distribution of a parameter, in the parameter's units."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    distribution: Literal["lognormal", "normal", "uniform"]
    median: Number | None = None
    cv: Number | None = None
    mean: Number | None = None
    sd: Number | None = None
    low: Number | None = None
    high: Number | None = None

    @model_validator(mode="after")
    def _fields(self) -> "Distribution":
        need = {"lognormal": ("median", "cv"), "normal": ("mean", "sd"), "uniform": ("low", "high")}[self.distribution]
        for k in ("median", "cv", "mean", "sd", "low", "high"):
            given = getattr(self, k) is not None
            if given != (k in need):
                raise ValueError(f"{k}: {'expected' if not given else 'not used'} with distribution "
                                 f"{self.distribution} (give {' and '.join(need)})")
            if given and not math.isfinite(getattr(self, k)):
                raise ValueError(f"{k}: expected a finite number (got {getattr(self, k)!r})")
        if self.distribution == "lognormal" and not (self.median > 0 and 0 <= self.cv <= MAX_CV):
            raise ValueError(f"median: expected > 0 with cv from 0 to {MAX_CV:g} (got median {self.median!r}, "
                             f"cv {self.cv!r})")
        if self.distribution == "normal" and not self.sd >= 0:
            raise ValueError(f"sd: expected a number >= 0 (got {self.sd!r})")
        if self.distribution == "uniform" and not self.low <= self.high:
            raise ValueError(f"high: expected >= low (got low {self.low!r}, high {self.high!r})")
        return self

    def edges(self) -> tuple[float, float]:
        """The values whose domain is checked: uniform's bounds, the normal's mean - 5 sd and mean, the median."""
        if self.distribution == "uniform":
            return self.low, self.high
        if self.distribution == "normal":
            return self.mean - MIN_NORMAL_Z * self.sd, self.mean
        return self.median, self.median

    def centre(self) -> float:
        """Median (lognormal), mean (normal) or midpoint (uniform), in the parameter's units."""
        if self.distribution == "uniform":
            return 0.5 * (self.low + self.high)
        return self.median if self.distribution == "lognormal" else self.mean

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` values."""
        if self.distribution == "uniform":
            return rng.uniform(self.low, self.high, n)
        z = rng.standard_normal(n)
        if self.distribution == "normal":
            return self.mean + self.sd * z
        return self.median * np.exp(math.sqrt(math.log1p(self.cv ** 2)) * z)

    def describe(self) -> str:
        d = self.model_dump(exclude_none=True)
        return f"{d.pop('distribution')}(" + ", ".join(f"{k}={v:g}" for k, v in d.items()) + ")"


Override = float | Distribution
"""A fixed value (the parameter's units) or a :class:`Distribution`."""


def parse_overrides(raw: Mapping[str, Any], where: str = "parameters") -> tuple[dict[str, Override], list[str]]:
    """Validated overrides and warnings from ``{name: number | {distribution: ...}}``.

    Names must be model parameters (of the mechanisms or a registered treatment; a typo gets a "did you
    mean"), values finite and in the parameter's domain (>= 0; > 0 where it divides in the model; at most
    10^6 x its default). A value outside the parameter's documented plausible range is accepted with a warning
    (one line each, returned). Raises ``ValueError`` with one line naming ``<where>.<name>``."""
    registry = parameter_registry()
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: expected a mapping of model parameter names to values (got {shorten(raw)})")
    out: dict[str, Override] = {}
    warnings: list[str] = []
    for name, value in raw.items():
        check_name(name, where)
        field = f"{where}.{name}"
        if isinstance(value, Distribution):
            dist = value
        elif isinstance(value, Mapping):
            try:
                dist = Distribution.model_validate(dict(value))
            except ValidationError as err:
                raise ValueError(f"{field}.{first_error(err)}") from None
        else:
            out[name] = check_overrides({name: value}, registry, where, positive=positive_parameters())[name]
            warnings += _range_warning(field, name, out[name], out[name])
            continue
        low, high = dist.edges()
        for v in (low, high):
            _check_value(name, v, field, dist)
        warnings += _range_warning(field, name, low if dist.distribution == "uniform" else dist.centre(),
                                   high if dist.distribution == "uniform" else dist.centre())
        out[name] = dist
    return out, warnings


def check_name(name: Any, where: str = "parameters") -> None:
    """``ValueError`` unless ``name`` is a model parameter (one line, with a close match if any)."""
    registry = parameter_registry()
    if isinstance(name, str) and name in registry:
        return
    shown = name if isinstance(name, str) and len(name) <= 80 and name.isprintable() else shorten(name, 80)
    if isinstance(name, str) and (name in covariate_names() or name in _COVARIATES):
        raise ValueError(f"{where}.{shown}: expected a model parameter ({name} is a covariate of the population, "
                         "not a parameter)")
    close = difflib.get_close_matches(name, list(registry), n=1) if isinstance(name, str) else []
    hint = f"did you mean {close[0]}?" if close else "see ovsim model --describe"
    raise ValueError(f"{where}.{shown}: expected a model parameter ({hint})")


def _check_value(name: str, value: float, field: str, dist: Distribution) -> None:
    what = {"uniform": "low and high", "normal": "mean and mean - 5 sd", "lognormal": "median"}[dist.distribution]
    try:
        check_overrides({name: value}, parameter_registry(), field, positive=positive_parameters())
    except ValueError as err:
        detail = str(err).split(": ", 1)[-1].removeprefix("expected ")
        hint = "; a lognormal keeps draws > 0" if dist.distribution == "normal" else ""
        raise ValueError(f"{field}: expected {what} of {dist.describe()} to be {detail}{hint}") from None


def _range_warning(field: str, name: str, low: float, high: float) -> list[str]:
    p = parameter_registry()[name]
    if p.range is None or (p.range[0] <= low and high <= p.range[1]):
        return []
    shown = f"{low:g}" if low == high else f"{low:g}..{high:g}"
    return [f"{field}: {shown} {p.units} is outside the plausible range {p.range[0]:g}..{p.range[1]:g} "
            f"(docs/model.md); accepted"]


def describe_overrides(overrides: Mapping[str, Override]) -> dict[str, Any]:
    """JSON-able ``{name: value | {distribution: ...}}`` (provenance)."""
    return {k: v.model_dump(exclude_none=True) if isinstance(v, Distribution) else float(v)
            for k, v in overrides.items()}


def apply_overrides(population: Population, overrides: Mapping[str, Override], seed: int) -> Population:
    """``population`` with each overridden parameter replaced: a fixed value everywhere, or a distribution drawn
    per patient (per lesion for a lesion-level parameter) from ``SeedSequence(seed, spawn_key=(i, 5, crc32(name)))``
    of patient index ``i`` (column ``index``, else the row). Draws outside the domain are clipped to it.
    ``overrides`` come from :func:`parse_overrides`. Pure: the input population is not changed."""
    if not overrides:
        return population
    registry = parameter_registry()
    pats, les = population.patients.copy(), population.lesions.copy()
    index = (pats["index"].to_numpy(dtype=np.int64) if "index" in pats else np.arange(len(pats), dtype=np.int64))
    counts = les.groupby("patient_id", sort=False).size().reindex(pats["patient_id"]).fillna(0).to_numpy(dtype=int)
    for name, value in overrides.items():
        p = registry[name]
        lesion_level = p.level == "lesion"
        if not isinstance(value, Distribution):
            pats[name] = float(value)
            if lesion_level:
                les[name] = float(value)
            continue
        key = zlib.crc32(name.encode())
        draws = [value.draw(np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(i), OVERRIDE_STREAM,
                                                                                              key))),
                            int(c) if lesion_level else 1) for i, c in zip(index, counts)]
        lower = 1e-12 * max(abs(p.value), 1e-300) if name in positive_parameters() else 0.0
        clip = (lambda a: np.clip(a, lower, override_limit(p)))
        if lesion_level:  # lesions are stored in patient order (Population.from_tables): draws line up row by row
            les[name] = clip(np.concatenate(draws)) if draws else np.zeros(0)
            # the patient's own value (padded lesion slots): the median of its lesions' draws
            pats[name] = clip(np.array([float(np.median(d)) if len(d) else value.centre() for d in draws]))
        else:
            pats[name] = clip(np.array([d[0] for d in draws], dtype=float))
    prov = dict(population.provenance)
    prov["overrides"] = {**prov.get("overrides", {}), **describe_overrides(overrides)}
    return Population(pats.reset_index(drop=True), les.reset_index(drop=True), prov)
