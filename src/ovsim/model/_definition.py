"""One model definition composed from mechanisms (and the terms of treatments): the single source of truth.

``ModelDefinition(parts)`` checks that every name is defined once, infers the level (lesion or systemic)
of every intermediate quantity, orders quantities by dependency, and sums each state's rate terms.
The code generators (``_codegen_array``, ``_codegen_scalar``), the SBML exporter and the docs tables
read it; nothing else writes the equations.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping, Sequence

import sympy as sp

from .mechanisms import MECHANISMS
from ._spec import Covariate, Hook, LesionSum, Mechanism, Parameter, State, Symbols, Terms, combine_hook

RESERVED = frozenset({"t", "y", "args", "P", "Q", "rate", "n", "x", "xp", "math", "dy", "j", "J", "sp"})
"""Names the generated code uses itself; no state, parameter or quantity may take them."""


class ModelDefinitionError(ValueError):
    """A mechanism or treatment is inconsistent with the rest of the model (one line)."""


@dataclass(frozen=True)
class Quantity:
    """A named intermediate expression, its level and where it comes from."""

    name: str
    expr: sp.Expr
    level: str  # "lesion" or "systemic"
    part: str
    note: str = ""


class ModelDefinition:
    """States, parameters, covariates, quantities and rates of a model built from ``parts``.

    parts: mechanisms (and treatment model parts) in composition order; the order fixes the state
    layout: every lesion state (in part order), then every systemic state.
    """

    def __init__(self, parts: Sequence[Mechanism]):
        self.parts = tuple(parts)
        owner: dict[str, str] = {}

        def claim(name: str, part: str) -> None:
            if name in owner:
                raise ModelDefinitionError(f"{part}: {name!r} is already defined by {owner[name]}")
            if name in RESERVED or not name.isidentifier():
                raise ModelDefinitionError(f"{part}: {name!r} is not allowed as a name (reserved or not an identifier)")
            owner[name] = part

        states: list[State] = []
        params: dict[str, Parameter] = {}
        covs: dict[str, Covariate] = {}
        terms: dict[str, Terms] = {}
        hooks: dict[str, tuple[Hook, str]] = {}
        for part in self.parts:
            for s in part.states:
                claim(s.name, part.name)
                states.append(s)
            for p in part.parameters:
                claim(p.name, part.name)
                params[p.name] = p
            for c in part.covariates:
                if covs.get(c.name) == c:
                    continue  # a covariate declared identically by several parts is shared (body weight)
                claim(c.name, part.name)
                covs[c.name] = c
            for h in part.hooks:
                claim(h.name, part.name)
                hooks[h.name] = (h, part.name)
            terms[part.name] = part.terms(Symbols())
            for q in terms[part.name].quantities:
                claim(q, part.name)
        self.lesion_states: tuple[State, ...] = tuple(s for s in states if s.level == "lesion")
        self.systemic_states: tuple[State, ...] = tuple(s for s in states if s.level == "systemic")
        self.states: Mapping[str, State] = MappingProxyType({s.name: s for s in self.lesion_states + self.systemic_states})
        self.parameters: Mapping[str, Parameter] = MappingProxyType(params)
        self.covariates: Mapping[str, Covariate] = MappingProxyType(covs)
        self.owner: Mapping[str, str] = MappingProxyType(owner)

        lesion_names = {s.name for s in self.lesion_states}
        lesion_names |= {p.name for p in params.values() if p.level == "lesion"}
        lesion_names |= {c.name for c in covs.values() if c.level == "lesion"}
        raw = {q: (e, part) for part, t in terms.items() for q, e in t.quantities.items()}
        notes = {k: v for t in terms.values() for k, v in t.notes.items()}
        providers: dict[str, list[tuple[str, sp.Expr]]] = {h: [] for h in hooks}
        for part, t in terms.items():
            for h, e in t.provides.items():
                if h not in hooks:
                    raise ModelDefinitionError(f"{part}: provides {h!r}, which no mechanism declares as a hook"
                                               + (f" (hooks: {', '.join(hooks)})" if hooks else ""))
                providers[h].append((part, sp.sympify(e)))
        for h, (hook, part) in hooks.items():
            raw[h] = (combine_hook(hook, [e for _, e in providers[h]]), part)
            given = ", ".join(p for p, _ in providers[h]) or f"none: default {hook.default:g}"
            notes.setdefault(h, f"{hook.description} (hook, combined {hook.combine}; supplied by {given})")
        self.hooks: Mapping[str, Hook] = MappingProxyType({h: v[0] for h, v in hooks.items()})
        self.hook_providers: Mapping[str, tuple[str, ...]] = MappingProxyType(
            {h: tuple(p for p, _ in v) for h, v in providers.items()})
        known = set(owner)
        for name, (expr, part) in raw.items():
            unknown = sorted(str(s) for s in expr.free_symbols if str(s) not in known)
            if unknown:
                raise ModelDefinitionError(f"{part}: quantity {name!r} uses undefined name(s) {', '.join(unknown)}")
        order = _topological(raw)
        quantities: dict[str, Quantity] = {}
        for name in order:
            expr, part = raw[name]
            level = "lesion" if _outer_symbols(expr) & (lesion_names | {q for q, v in quantities.items()
                                                                         if v.level == "lesion"}) else "systemic"
            quantities[name] = Quantity(name, expr, level, part, notes.get(name, ""))
        self.quantities: Mapping[str, Quantity] = MappingProxyType(quantities)
        self.lesion_level = frozenset(lesion_names | {q for q, v in quantities.items() if v.level == "lesion"})

        contributions: dict[str, list[tuple[str, sp.Expr]]] = {s: [] for s in self.states}
        for part, t in terms.items():
            for state, expr in t.rates.items():
                if state not in self.states:
                    raise ModelDefinitionError(f"{part}: rate for {state!r}, which is not a state")
                unknown = sorted(str(s) for s in expr.free_symbols if str(s) not in known)
                if unknown:
                    raise ModelDefinitionError(f"{part}: rate of {state!r} uses undefined name(s) {', '.join(unknown)}")
                if self.states[state].level == "systemic" and _outer_symbols(expr) & self.lesion_level:
                    raise ModelDefinitionError(
                        f"{part}: rate of systemic state {state!r} uses lesion-level names; sum them with lesion_sum")
                contributions[state].append((part, expr))
        self.contributions: Mapping[str, tuple[tuple[str, sp.Expr], ...]] = MappingProxyType(
            {s: tuple(c) for s, c in contributions.items()})
        self.rates: Mapping[str, sp.Expr] = MappingProxyType(
            {s: sp.Add(*(e for _, e in c)) for s, c in contributions.items()})
        self.observables: Mapping[str, tuple[str, str]] = MappingProxyType(
            {k: v for t in terms.values() for k, v in t.observables.items()})
        for name in self.observables:
            if name not in quantities:
                raise ModelDefinitionError(f"observable {name!r} is not a quantity")
        for s in self.states.values():
            expr = sp.sympify(s.initial)
            unknown = sorted(str(x) for x in expr.free_symbols if str(x) not in params and str(x) not in covs)
            if unknown:
                raise ModelDefinitionError(f"initial value of {s.name!r} uses {', '.join(unknown)} "
                                           "(expected parameters and covariates only)")

    # ---------------------------------------------------------------- layout
    @property
    def n_lesion_states(self) -> int:
        """States per lesion."""
        return len(self.lesion_states)

    @property
    def n_systemic_states(self) -> int:
        """Systemic states."""
        return len(self.systemic_states)

    def size(self, n_lesions: int) -> int:
        """Length of the state vector of a patient with ``n_lesions`` lesion slots."""
        return n_lesions * self.n_lesion_states + self.n_systemic_states

    def index(self, state: str, n_lesions: int, lesion: int = 0) -> int:
        """0-based position of ``state`` (of lesion ``lesion`` for a lesion state) in the flat vector."""
        s = self.states[state]
        if s.level == "lesion":
            if not 0 <= lesion < n_lesions:
                raise IndexError(f"lesion {lesion} outside 0..{n_lesions - 1}")
            return lesion * self.n_lesion_states + [x.name for x in self.lesion_states].index(state)
        return n_lesions * self.n_lesion_states + [x.name for x in self.systemic_states].index(state)

    def scale(self, n_lesions: int) -> list[float]:
        """Reference magnitude of every entry of the state vector (solver tolerance ``atol x scale``)."""
        return [s.scale for s in self.lesion_states] * n_lesions + [s.scale for s in self.systemic_states]

    def patient_names(self) -> tuple[str, ...]:
        """Per-patient inputs of the right-hand side: patient/population parameters and patient covariates."""
        return tuple([p for p, v in self.parameters.items() if v.level != "lesion"]
                     + [c for c, v in self.covariates.items() if v.level != "lesion"])

    def lesion_names(self) -> tuple[str, ...]:
        """Per-lesion inputs: lesion-level parameters and lesion covariates."""
        return tuple([p for p, v in self.parameters.items() if v.level == "lesion"]
                     + [c for c, v in self.covariates.items() if v.level == "lesion"])

    def used(self, exprs: Sequence[sp.Expr]) -> set[str]:
        """Names used by ``exprs`` through quantities, transitively."""
        seen: set[str] = set()
        todo = [str(s) for e in exprs for s in sp.sympify(e).free_symbols]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            if name in self.quantities:
                todo.extend(str(s) for s in self.quantities[name].expr.free_symbols)
        return seen

    def denominator_parameters(self) -> frozenset[str]:
        """Parameters that appear in a denominator (or under a negative power) of any quantity, rate or
        initial value: a zero there divides by zero, so an override must be > 0 (``check_overrides``)."""
        exprs = [q.expr for q in self.quantities.values()] + list(self.rates.values())
        exprs += [sp.sympify(s.initial) for s in self.states.values()]
        found: set[str] = set()
        for expr in exprs:
            for power in expr.atoms(sp.Pow):
                if power.exp.is_negative:
                    found |= {str(x) for x in power.base.free_symbols if str(x) in self.parameters}
        return frozenset(found)

    def describe(self) -> str:
        """A plain-text table of states, parameters, covariates, hooks and parts (``ovsim model --describe``)."""
        lines = [f"parts: {', '.join(p.name for p in self.parts)}", "", "states:"]
        for s in self.states.values():
            lines.append(f"  {s.name:<24} {s.level:<9} {s.units:<8} {s.description}  [{self.owner[s.name]}]")
        lines += ["", "parameters:"]
        for p in self.parameters.values():
            tag = "calibrated" if p.calibrated else "literature/assumed"
            lines.append(f"  {p.name:<32} {p.value:<12.6g} {p.units:<16} {p.level:<10} {tag}  [{self.owner[p.name]}]")
        lines += ["", "covariates:"]
        for c in self.covariates.values():
            lines.append(f"  {c.name:<24} {c.level:<9} {c.units:<6} {c.description}  [{self.owner[c.name]}]")
        lines += ["", "hooks:"]
        for h in self.hooks.values():
            given = ", ".join(self.hook_providers[h.name]) or f"default {h.default:g}"
            lines.append(f"  {h.name:<24} {h.combine:<11} {h.description}  [{self.owner[h.name]}; supplied by {given}]")
        return "\n".join(lines)


def _outer_symbols(expr: sp.Expr) -> set[str]:
    """Names in ``expr`` outside any lesion sum (a lesion sum is systemic)."""
    if isinstance(expr, LesionSum):
        return set()
    if isinstance(expr, sp.Symbol):
        return {expr.name}
    out: set[str] = set()
    for a in expr.args:
        out |= _outer_symbols(a)
    return out


def _topological(raw: Mapping[str, tuple[sp.Expr, str]]) -> list[str]:
    """Quantity names ordered so that each comes after the quantities it uses (declaration order kept)."""
    deps = {q: {str(s) for s in e.free_symbols if str(s) in raw} for q, (e, _) in raw.items()}
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(q: str, path: tuple[str, ...]) -> None:
        if state.get(q) == 2:
            return
        if state.get(q) == 1:
            raise ModelDefinitionError(f"quantities depend on each other in a loop: {' -> '.join(path + (q,))}")
        state[q] = 1
        for d in sorted(deps[q], key=list(raw).index):
            visit(d, path + (q,))
        state[q] = 2
        order.append(q)

    for q in raw:
        visit(q, ())
    return order


@functools.cache
def default_model() -> ModelDefinition:
    """The model of the default mechanisms, without treatments."""
    return ModelDefinition(MECHANISMS)
