"""Generate the array form of a model: the right-hand side, initial state and lesion observables.

The generated functions are plain Python over an array namespace (``numpy`` for the reference engine,
``jax.numpy`` for the diffrax engine), vectorised over a patient's lesions:

``rhs(t, y, args)`` with ``args = RhsArgs(patient, lesion, rate)``:
  patient: ``{name: scalar}`` for every name of ``definition.patient_names()``;
  lesion: ``{name: (L,)}`` for every name of ``definition.lesion_names()``;
  rate: ``(n_state,)`` zero-order inputs (doses given as infusions), amount/day.
The state vector is lesion-major (see :class:`~ovsim.model.ModelDefinition`). ``source`` keeps the
generated text, so what runs can be read.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping, NamedTuple

import sympy as sp

from ._definition import ModelDefinition
from ._printer import SourcePrinter


class RhsArgs(NamedTuple):
    """Inputs of the right-hand side besides time and state (a pytree: vmap maps every leaf)."""

    patient: Mapping[str, Any]
    """{name: scalar}: patient-level parameters and covariates."""
    lesion: Mapping[str, Any]
    """{name: (L,)}: lesion-level parameters and covariates."""
    rate: Any
    """(n_state,) zero-order input into each state (its units per day)."""


@dataclass(frozen=True)
class ArrayModel:
    """Generated array functions of one model definition for one array namespace."""

    rhs: Callable[[Any, Any, RhsArgs], Any]
    observables: Callable[[Any, RhsArgs], dict[str, Any]]
    initial_state: Callable[[Mapping[str, Any], Mapping[str, Any]], Any]
    source: str


@functools.cache
def generate_array_model(definition: ModelDefinition, xp: Any) -> ArrayModel:
    """Compile the array form of ``definition`` for namespace ``xp`` (numpy or jax.numpy); cached."""
    source = array_source(definition)
    namespace: dict[str, Any] = {"xp": xp, "math": math}
    exec(compile(source, f"<ovsim generated model: {', '.join(p.name for p in definition.parts)}>", "exec"),
         namespace)
    return ArrayModel(namespace["rhs"], namespace["observables"], namespace["initial_state"], source)


def array_source(d: ModelDefinition) -> str:
    """The Python source of ``rhs``, ``observables`` and ``initial_state`` for ``d``."""
    pr = SourcePrinter("xp.", lesion_sum=lambda a: f"xp.sum({a})")
    nl, ns = d.n_lesion_states, d.n_systemic_states
    lines = ["def rhs(t, y, args):", "    P, Q, rate = args"]
    lines += _unpack(d, nl, ns)
    lines += [f"    {q.name} = {pr(q.expr)}" for q in d.quantities.values()]
    for s in d.states.values():
        lines.append(f"    d_{s.name} = {pr(d.rates[s.name])}")
    lesion_cols = ", ".join(f"xp.broadcast_to(d_{s.name}, (n,))" for s in d.lesion_states)
    sys_cols = ", ".join(f"d_{s.name}" for s in d.systemic_states)
    lines.append(f"    lesion_part = xp.reshape(xp.stack([{lesion_cols}], axis=-1), (-1,))")
    lines.append(f"    return xp.concatenate([lesion_part, xp.stack([{sys_cols}])]) + rate")

    obs = list(d.observables)
    needed = d.used([sp.Symbol(o) for o in obs])
    lines += ["", "", "def observables(y, args):", "    P, Q, rate = args"]
    lines += _unpack(d, nl, ns)
    lines += [f"    {q.name} = {pr(q.expr)}" for q in d.quantities.values() if q.name in needed]
    lines.append("    return {" + ", ".join(f"{o!r}: xp.broadcast_to({o}, (n,))" if d.quantities[o].level == "lesion"
                                          else f"{o!r}: {o}" for o in obs) + "}")

    # initial values: patient inputs (B,) or scalars, lesion inputs (B, L) or (L,)
    lines += ["", "", "def initial_state(P, Q):", f"    shape = xp.shape(Q[{d.lesion_names()[0]!r}])"]
    lesion_pr = SourcePrinter("xp.", name=lambda v: f"xp.asarray(Q[{v!r}])" if v in d.lesion_names()
                              else f"xp.asarray(P[{v!r}])[..., None]")
    sys_pr = SourcePrinter("xp.", name=lambda v: f"xp.asarray(P[{v!r}])")
    lesion0 = ", ".join(f"xp.broadcast_to({lesion_pr(s.initial)} * 1.0, shape)" for s in d.lesion_states)
    sys0 = ", ".join(f"xp.broadcast_to({sys_pr(s.initial)} * 1.0, shape[:-1])" for s in d.systemic_states)
    lines.append(f"    lesion_part = xp.reshape(xp.stack([{lesion0}], axis=-1), shape[:-1] + (-1,))")
    lines.append(f"    return xp.concatenate([lesion_part, xp.stack([{sys0}], axis=-1)], axis=-1)")
    return "\n".join(lines) + "\n"


def _unpack(d: ModelDefinition, nl: int, ns: int) -> list[str]:
    lines = [f"    n = (y.shape[-1] - {ns}) // {nl}", f"    x = xp.reshape(y[:n * {nl}], (n, {nl}))"]
    lines += [f"    {s.name} = x[:, {k}]" for k, s in enumerate(d.lesion_states)]
    lines += [f"    {s.name} = y[n * {nl} + {k}]" for k, s in enumerate(d.systemic_states)]
    lines += [f"    {name} = P[{name!r}]" for name in d.patient_names()]
    lines += [f"    {name} = Q[{name!r}]" for name in d.lesion_names()]
    return lines
