"""The vocabulary of the model definition: states, parameters, covariates and mechanisms, as data.

A mechanism is a small declarative object: the states and parameters it owns, and a function that,
given a namespace of symbols, returns named quantities and the rates it contributes to states'
derivatives (sympy expressions). ``ovsim.model.ModelDefinition`` composes mechanisms (and the terms
of treatments) into one model; the JAX, numpy, scalar (numba) and SBML forms and the tables of
docs/model.md are all generated from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Literal, Mapping

import sympy as sp

from ._units import DAYS_PER_MONTH  # noqa: F401 (re-exported)

Level = Literal["lesion", "systemic"]
ParamLevel = Literal["population", "patient", "lesion"]

PROVISIONAL = "provisional: set by hand for plausible single-patient behaviour; calibrated to OPTiM targets later"
"""Source text of a value that is not measured: the OPTiM calibration constrains it (docs/calibration.md)."""


@dataclass(frozen=True)
class State:
    """One state variable.

    level: ``lesion`` (one per lesion) or ``systemic`` (one per patient); scale: reference magnitude in
    ``units`` (the solvers' absolute tolerance is ``atol x scale``); symbol: the docs' notation;
    initial: sympy expression of the value at day 0 (default 0).
    """

    name: str
    units: str
    scale: float
    level: Level
    description: str
    symbol: str = ""
    initial: sp.Expr | float = 0.0


@dataclass(frozen=True)
class Parameter:
    """One model parameter: default value, units, meaning, where the value comes from.

    level: ``population`` (one value for everyone), ``patient`` (varies between virtual patients)
    or ``lesion`` (each lesion may have its own). range: plausible interval (same units) or None.
    A value not measured says so in ``source`` (:data:`PROVISIONAL`, calibrated jointly).
    """

    name: str
    value: float
    units: str
    description: str
    source: str
    level: ParamLevel = "population"
    range: tuple[float, float] | None = None
    symbol: str = ""

    @property
    def calibrated(self) -> bool:
        """True when the value is provisional (set by hand; the OPTiM calibration constrains it)."""
        return "provisional" in self.source


@dataclass(frozen=True)
class Covariate:
    """A fact about a patient or lesion the model uses but never fits (not a parameter).

    level: ``systemic`` (patient) or ``lesion``; value: default when a patient does not give it.
    """

    name: str
    units: str
    description: str
    level: Level = "systemic"
    value: float = 0.0


def lesion_sum(expr: sp.Expr) -> sp.Expr:
    """The sum over a patient's lesions of a lesion-level expression (a systemic quantity)."""
    return LesionSum(expr)


class LesionSum(sp.Function):
    """Sum over lesions (unevaluated marker). Code generators expand it into a reduction."""

    nargs = 1

    def _latex(self, printer) -> str:  # noqa: D401 - sympy printer hook
        return r"\sum_j " + printer._print(self.args[0])


class Symbols:
    """Attribute access to sympy symbols by name: ``s.uninfected_cells``.

    Every name is a real (and, for states, parameters and covariates, non-negative) symbol; a name
    nothing defines is reported when the model is composed.
    """

    def __getattr__(self, name: str) -> sp.Symbol:
        if name.startswith("_"):
            raise AttributeError(name)
        return sp.Symbol(name, real=True)

    def __getitem__(self, name: str) -> sp.Symbol:
        return sp.Symbol(name, real=True)


@dataclass(frozen=True)
class Terms:
    """What a mechanism or treatment contributes.

    quantities: named intermediate expressions (a level is inferred: lesion if it involves any
    lesion-level symbol, unless it is a :func:`lesion_sum`); rates: additions to the derivative of
    a state (per day, in the state's units); observables: quantities exported with units
    (e.g. each lesion's longest diameter, cm).
    """

    quantities: Mapping[str, sp.Expr] = field(default_factory=dict)
    rates: Mapping[str, sp.Expr] = field(default_factory=dict)
    observables: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """{quantity name: (units, description)}"""
    notes: Mapping[str, str] = field(default_factory=dict)
    """{quantity or state name: one line for the docs (source of the form)}"""
    provides: Mapping[str, sp.Expr] = field(default_factory=dict)
    """{hook name: expression}: this part's contribution to a :class:`Hook` another part declares (e.g. a
    checkpoint inhibitor's PD-1 occupancy); contributions of several parts are combined by the hook's rule."""


HOOK_COMBINE = ("independent", "sum", "product")
"""How a hook combines its parts' contributions x_k: ``independent`` 1 - prod(1 - x_k) (occupancies of one
target by drugs binding independently), ``sum``, ``product``."""


@dataclass(frozen=True)
class Hook:
    """A quantity a core mechanism uses that other parts (treatments) supply, with a neutral default.

    Without any contribution the quantity is ``default`` (e.g. PD-1 occupancy 0 without a checkpoint
    inhibitor), so the model without the drug is the model as it was. Contributions (``Terms.provides``)
    are combined by ``combine`` (:data:`HOOK_COMBINE`). The hook becomes an ordinary quantity of the
    composed model, so every generated form (array, scalar, SBML) and the docs see it.
    """

    name: str
    default: float
    units: str
    description: str
    combine: Literal["independent", "sum", "product"] = "independent"


def combine_hook(hook: Hook, contributions: list[sp.Expr]) -> sp.Expr:
    """The expression of ``hook`` given its parts' contributions (its default when there are none)."""
    if not contributions:
        return sp.sympify(hook.default)
    if hook.combine == "sum":
        return sp.Add(*contributions)
    if hook.combine == "product":
        return sp.Mul(*contributions)
    return 1 - sp.Mul(*(1 - c for c in contributions))


@dataclass(frozen=True)
class Mechanism:
    """A piece of biology: its states, parameters and the terms it contributes.

    A new mechanism is a new module with one of these, added to the model's list of mechanisms;
    nothing else changes.
    """

    name: str
    title: str
    description: str
    terms: Callable[[Symbols], Terms]
    states: tuple[State, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    covariates: tuple[Covariate, ...] = ()
    hooks: tuple[Hook, ...] = ()
    """Quantities this mechanism uses that other parts may supply (:class:`Hook`)."""


def fold_range(value: float, fold: float) -> tuple[float, float]:
    """``(value / fold, value * fold)``: a log-symmetric plausible range."""
    return (value / fold, value * fold)


LN2 = math.log(2.0)
