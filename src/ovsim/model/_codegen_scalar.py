"""Generate the plain scalar form of a model and its analytic Jacobian (for numba CPU and CUDA kernels).

Generated from the one model definition (:class:`~ovsim.model.ModelDefinition`), like the array form
(``_codegen_array``): nothing here writes an equation. The two generated functions use only scalar
arithmetic, ``math`` functions, ``max``/``min``, ``range`` loops and array indexing (no dicts, numpy
calls or allocation), so ``numba.njit`` and ``numba.cuda.jit(device=True)`` compile them as they are:

``rhs_scalar(t, y, P, Q, rate, n, dy)``
  t: day; y: (n_state,) lesion-major state (each state in its own units); P: (len(patient_names),)
  patient inputs; Q: (n, len(lesion_names)) lesion inputs; rate: (n_state,) zero-order input
  (units/day), added to dy; n: lesion slots; dy (out): (n_state,) derivative, units/day.
``jac_scalar(t, y, P, Q, n, J)``
  J (out): (n_state, n_state) dense d(dy)/dy, every entry overwritten; entry (r, c) is in
  (units of r)/day per (unit of c).

Lesion sums are reduced in staged loops over lesions (a sum that uses another comes in a later loop).
The Jacobian is derived with sympy on the quantities inlined down to states, inputs and lesion sums
(kept as symbols); the chain rule through the sums is done in the generated code:
``dS_m/dv = sum_l dg_m(l)/dv + sum_k (sum_l dg_m(l)/dS_k) dS_k/dv`` for the sum ``S_m = sum_l g_m(l)``,
so a sum couples every lesion to every other (the lesion-lesion blocks are diagonal plus low rank,
filled in O(n^2) lesion pairs).

Kinks: ``max(0, x)`` differentiates to Heaviside(x), printed ``1 if x > 0 else 0``, so at a tie the
derivative is that of the constant branch (d max(0, x)/dx = 0 at x = 0; d min(0, x)/dx = 0 at x = 0).
A max/min of several varying arguments is first rewritten as ``a + max(0, b - a)`` (``a - max(0, a -
b)``), so at a tie the derivative is that of its first argument. (``jax`` gives 0.5 at exact ties.)
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np
import sympy as sp

from ._definition import ModelDefinition, ModelDefinitionError
from ._printer import SourcePrinter
from ._spec import LesionSum


@dataclass(frozen=True)
class ScalarModel:
    """Generated scalar functions of one model definition (see the module docstring for signatures)."""

    rhs: Callable[..., None]
    """``rhs_scalar(t, y, P, Q, rate, n, dy)``: writes dy (units/day)."""
    jac: Callable[..., None]
    """``jac_scalar(t, y, P, Q, n, J)``: writes the dense Jacobian d(dy)/dy (per day, in state units)."""
    source: str
    patient_names: tuple[str, ...]
    lesion_names: tuple[str, ...]

    def pack_patient(self, patient: Mapping[str, Any]) -> np.ndarray:
        """P from ``{name: scalar or (B,)}`` (the array form's ``RhsArgs.patient``): (k,) or (B, k) floats."""
        return pack_inputs(patient, self.patient_names)

    def pack_lesion(self, lesion: Mapping[str, Any]) -> np.ndarray:
        """Q from ``{name: (n,) or (B, n)}`` (the array form's ``RhsArgs.lesion``): (n, k) or (B, n, k) floats."""
        return pack_inputs(lesion, self.lesion_names)


def pack_inputs(values: Mapping[str, Any], names: tuple[str, ...]) -> np.ndarray:
    """The scalar form's packed inputs: ``values[name]`` for each of ``names`` (the definition's
    ``patient_names()`` or ``lesion_names()``) stacked along a new last axis, as floats."""
    return np.stack(np.broadcast_arrays(*(np.asarray(values[k], float) for k in names)), axis=-1)


@functools.cache
def generate_scalar_model(definition: ModelDefinition) -> ScalarModel:
    """Compile the scalar form of ``definition`` into plain Python functions (njit-able); cached."""
    source = scalar_source(definition)
    namespace: dict[str, Any] = {"math": math}
    exec(compile(source, f"<ovsim generated scalar model: {', '.join(p.name for p in definition.parts)}>", "exec"),
         namespace)
    return ScalarModel(namespace["rhs_scalar"], namespace["jac_scalar"], source,
                       definition.patient_names(), definition.lesion_names())


def _sym(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


def _one_varying(e: sp.Expr) -> sp.Expr:
    """Rewrite every max/min so that at most one argument varies (see the module docstring on kinks)."""
    if not e.args:
        return e
    args = [_one_varying(a) for a in e.args]
    if isinstance(e, (sp.Max, sp.Min)):
        fixed, varying = [a for a in args if a.is_number], [a for a in args if not a.is_number]
        if len(varying) > 1:
            sign = 1 if isinstance(e, sp.Max) else -1
            out = varying[0]
            for v in varying[1:]:
                out = out + sign * sp.Max(0, sign * (v - out))
            return e.func(out, *fixed) if fixed else out
    return e.func(*args)


class _Model:
    """The definition split for code generation: lesion sums as symbols, stages, inlined rates."""

    def __init__(self, d: ModelDefinition, observable: str | None = None):
        self.d = d
        if any(n.startswith("__") for n in d.owner):
            raise ModelDefinitionError("names starting with '__' are reserved for the scalar code generator")
        self.nl, self.ns = d.n_lesion_states, d.n_systemic_states
        self.X = [s.name for s in d.lesion_states]
        self.Z = [s.name for s in d.systemic_states]
        needed = d.used([sp.Symbol(observable)] if observable else list(d.rates.values()))
        self.items: dict[str, tuple[str, sp.Expr]] = {}   # name -> (kind: lesion|systemic|sum, expr), in order
        for q in d.quantities.values():
            if q.name not in needed:
                continue
            if isinstance(q.expr, LesionSum):
                self.items[q.name] = ("sum", self._no_sums(q.expr.args[0]))
            else:
                self.items[q.name] = (q.level, self._no_sums(q.expr))
        self.rates = {s: self._no_sums(e) for s, e in d.rates.items()}
        self.stage: dict[str, int] = {}
        for name, (kind, e) in self.items.items():
            base = max([self.stage.get(str(s), 0) for s in e.free_symbols], default=0)
            self.stage[name] = base + (kind == "sum")
        self.sums = [k for k, (kind, _) in self.items.items() if kind == "sum"]
        self.full: dict[str, sp.Expr] = {}  # quantities inlined down to states, inputs and sum symbols
        for name, (_, e) in self.items.items():
            self.full[name] = self.inline(e)

    def _no_sums(self, e: sp.Expr) -> sp.Expr:
        """``e`` with each lesion sum inside it replaced by a new sum symbol (added to the items)."""
        repl = {}
        for ls in e.find(LesionSum):
            if ls.args[0].find(LesionSum):
                raise ModelDefinitionError(f"a lesion sum inside a lesion sum: {ls}")
            name = f"__sum{sum(1 for k in self.items if k.startswith('__sum'))}"
            self.items[name] = ("sum", ls.args[0])
            repl[ls] = _sym(name)
        return e.xreplace(repl)

    def inline(self, e: sp.Expr) -> sp.Expr:
        return _one_varying(e.xreplace({s: self.full[s.name] for s in e.free_symbols
                                        if s.name in self.full and self.items[s.name][0] != "sum"}))

    def closure(self, exprs, kinds) -> list[str]:
        """Items of the given kinds that ``exprs`` use, transitively through items, in order."""
        seen, todo = set(), [str(s) for e in exprs for s in e.free_symbols]
        while todo:
            k = todo.pop()
            if k in self.items and k not in seen and self.items[k][0] in kinds:
                seen.add(k)
                todo += [str(s) for s in self.items[k][1].free_symbols]
        return [k for k in self.items if k in seen]


PR = SourcePrinter("math.", scalar=True)


def _load_lesion(m: _Model, j: str, indent: str, suffix: str = "") -> list[str]:
    out = [f"{indent}{x}{suffix} = y[{j} * {m.nl} + {k}]" for k, x in enumerate(m.X)]
    return out + [f"{indent}{q}{suffix} = Q[{j}, {k}]" for k, q in enumerate(m.d.lesion_names())]


def _preamble(m: _Model, signature: str) -> list[str]:
    lines = [f"def {signature}:"]
    lines += [f"    {z} = y[n * {m.nl} + {k}]" for k, z in enumerate(m.Z)]
    return lines + [f"    {p} = P[{k}]" for k, p in enumerate(m.d.patient_names())]


def _sums_and_systemic(m: _Model) -> list[str]:
    """Staged loops computing every lesion sum, then every systemic quantity (``rhs`` and ``jac`` share it)."""
    lines, done = [], set()
    for stage in range(1, max([m.stage[s] for s in m.sums], default=0) + 1):
        lines += [f"    {k} = {PR(e)}" for k, (kind, e) in m.items.items()
                  if kind == "systemic" and m.stage[k] < stage and k not in done]
        done |= {k for k, (kind, _) in m.items.items() if kind == "systemic" and m.stage[k] < stage}
        sums = [s for s in m.sums if m.stage[s] == stage]
        lines += [f"    {s} = 0.0" for s in sums] + ["    for j in range(n):"] + _load_lesion(m, "j", "        ")
        lines += [f"        {k} = {PR(m.items[k][1])}" for k in m.closure([m.items[s][1] for s in sums], {"lesion"})]
        lines += [f"        {s} += {PR(m.items[s][1])}" for s in sums]
    return lines + [f"    {k} = {PR(e)}" for k, (kind, e) in m.items.items() if kind == "systemic" and k not in done]


def _rhs_source(m: _Model) -> list[str]:
    lines = _preamble(m, "rhs_scalar(t, y, P, Q, rate, n, dy)") + _sums_and_systemic(m)
    lines += ["    for j in range(n):"] + _load_lesion(m, "j", "        ")
    lines += [f"        {k} = {PR(m.items[k][1])}" for k in m.closure([m.rates[x] for x in m.X], {"lesion"})]
    lines += [f"        dy[j * {m.nl} + {a}] = {PR(m.rates[x])} + rate[j * {m.nl} + {a}]" for a, x in enumerate(m.X)]
    return lines + [f"    dy[n * {m.nl} + {b}] = {PR(m.rates[z])} + rate[n * {m.nl} + {b}]" for b, z in enumerate(m.Z)]


def _block(named: dict[str, sp.Expr], indent: str, tag: str) -> list[str]:
    """Assignments of the nonzero ``named`` expressions, with common subexpressions shared."""
    named = {k: e for k, e in named.items() if e != 0}
    subs, reduced = sp.cse(list(named.values()), symbols=sp.numbered_symbols(f"__{tag}", real=True))
    return [f"{indent}{s} = {PR(e)}" for s, e in subs] + [f"{indent}{k} = {PR(e)}" for k, e in zip(named, reduced)]


def _dot(pairs) -> str:
    """Source of sum(a * b) over the (a, b) name pairs, '' when there are none (structural zero)."""
    return " + ".join(f"{a} * {b}" for a, b in pairs)


def _jac_source(m: _Model) -> list[str]:
    nl, S, X, Z = m.nl, m.sums, m.X, m.Z
    g = {s: m.full[s] for s in S}
    F = {x: m.inline(m.rates[x]) for x in X}
    G = {z: m.inline(m.rates[z]) for z in Z}
    lesion_sfx = {_sym(v): _sym(v + "__i") for v in X + list(m.d.lesion_names())}
    diff = lambda e, v: sp.diff(e, _sym(v))  # noqa: E731
    A = {f"__A_{a}_{b}": diff(g[s], z) for a, s in enumerate(S) for b, z in enumerate(Z)}
    C = {f"__C_{a}_{k}": diff(g[s], r) for a, s in enumerate(S) for k, r in enumerate(S)}
    nzA, nzC = {k for k, e in A.items() if e != 0}, {k for k, e in C.items() if e != 0}
    lines = _preamble(m, "jac_scalar(t, y, P, Q, n, J)")
    lines += ["    for __r in range(n * %d + %d):" % (nl, m.ns), "        for __c in range(n * %d + %d):" % (nl, m.ns),
              "            J[__r, __c] = 0.0"]
    lines += _sums_and_systemic(m)
    # sums over lesions of the partial derivatives of each sum's terms: A (systemic states), C (other sums)
    if nzA | nzC:
        lines += [f"    {k} = 0.0" for k in sorted(nzA | nzC)]
        lines += ["    for j in range(n):"] + _load_lesion(m, "j", "        ")
        lines += _block({"__p" + k: e for k, e in {**A, **C}.items()}, "        ", "a")
        lines += [f"        {k} += __p{k}" for k in sorted(nzA | nzC)]
    # W: total derivatives of the sums by the systemic states (forward substitution in stage order)
    nzW = set()
    for a in range(len(S)):
        for b in range(len(Z)):
            terms = [(f"__C_{a}_{k}", f"__W_{k}_{b}") for k in range(a)
                     if f"__C_{a}_{k}" in nzC and (k, b) in nzW]
            if f"__A_{a}_{b}" in nzA or terms:
                nzW.add((a, b))
                lines.append(f"    __W_{a}_{b} = " + " + ".join(([f"__A_{a}_{b}"] if f"__A_{a}_{b}" in nzA else [])
                                                                  + [f"{c} * {w}" for c, w in terms]))
    # systemic rows
    H = {f"__H_{b}_{c}": diff(G[z], v) for b, z in enumerate(Z) for c, v in enumerate(Z)}
    R = {f"__R_{b}_{k}": diff(G[z], s) for b, z in enumerate(Z) for k, s in enumerate(S)}
    nzR = {k for k, e in R.items() if e != 0}
    lines += _block({**H, **R}, "    ", "s")
    for b in range(len(Z)):
        for c in range(len(Z)):
            rhs = " + ".join(([f"__H_{b}_{c}"] if H[f"__H_{b}_{c}"] != 0 else [])
                             + [f"__R_{b}_{k} * __W_{k}_{c}" for k in range(len(S))
                                if f"__R_{b}_{k}" in nzR and (k, c) in nzW])
            if rhs:
                lines.append(f"    J[n * {nl} + {b}, n * {nl} + {c}] = {rhs}")
    # lesion rows: U = d(rate)/d(sums), D = d(rate)/d(own lesion states), E = d(rate)/d(systemic states)
    U = {f"__U_{a}_{k}": diff(F[x], s) for a, x in enumerate(X) for k, s in enumerate(S)}
    D = {f"__D_{a}_{c}": diff(F[x], v) for a, x in enumerate(X) for c, v in enumerate(X)}
    E = {f"__E_{a}_{b}": diff(F[x], z) for a, x in enumerate(X) for b, z in enumerate(Z)}
    nzU = {k for k, e in U.items() if e != 0}
    lines += ["    for j in range(n):"] + _load_lesion(m, "j", "        ") + _block({**U, **E}, "        ", "e")
    for a in range(nl):
        for b in range(len(Z)):
            rhs = " + ".join(([f"__E_{a}_{b}"] if E[f"__E_{a}_{b}"] != 0 else [])
                             + [f"__U_{a}_{k} * __W_{k}_{b}" for k in range(len(S))
                                if f"__U_{a}_{k}" in nzU and (k, b) in nzW])
            if rhs:
                lines.append(f"        J[j * {nl} + {a}, n * {nl} + {b}] = {rhs}")
    # lesion columns (lesion i): V = total derivatives of the sums by lesion i's states
    V = {f"__V_{k}_{c}": diff(g[s], x).xreplace(lesion_sfx) for k, s in enumerate(S) for c, x in enumerate(X)}
    lines += ["    for i in range(n):"] + _load_lesion(m, "i", "        ", "__i")
    lines += _block({"__p" + k: e for k, e in V.items()}, "        ", "v")
    nzV = set()
    for k in range(len(S)):
        for c in range(nl):
            terms = [f"__C_{k}_{r} * __V_{r}_{c}" for r in range(k) if f"__C_{k}_{r}" in nzC and (r, c) in nzV]
            if V[f"__V_{k}_{c}"] != 0 or terms:
                nzV.add((k, c))
                lines.append(f"        __V_{k}_{c} = " + " + ".join(
                    ([f"__p__V_{k}_{c}"] if V[f"__V_{k}_{c}"] != 0 else []) + terms))
    for b in range(len(Z)):
        for c in range(nl):
            rhs = _dot((f"__R_{b}_{k}", f"__V_{k}_{c}") for k in range(len(S))
                       if f"__R_{b}_{k}" in nzR and (k, c) in nzV)
            if rhs:
                lines.append(f"        J[n * {nl} + {b}, i * {nl} + {c}] = {rhs}")
    lines += ["        for j in range(n):"] + _load_lesion(m, "j", "            ") + _block(U, "            ", "u")
    for a in range(nl):
        for c in range(nl):
            rhs = _dot((f"__U_{a}_{k}", f"__V_{k}_{c}") for k in range(len(S))
                       if f"__U_{a}_{k}" in nzU and (k, c) in nzV)
            if rhs:
                lines.append(f"            J[j * {nl} + {a}, i * {nl} + {c}] = {rhs}")
    lines += ["            if i == j:"] + _block(D, "                ", "d")
    lines += [f"                J[j * {nl} + {a}, j * {nl} + {c}] += __D_{a}_{c}"
              for a in range(nl) for c in range(nl) if D[f"__D_{a}_{c}"] != 0]
    return lines


def _observable_source(d: ModelDefinition, name: str) -> list[str]:
    """``observe_<name>(y, P, Q, n, out)``: the lesion-level observable ``name`` of each lesion into out (n,)."""
    m = _Model(d, observable=name)
    if d.quantities[name].level != "lesion":
        raise ModelDefinitionError(f"observable {name}: the scalar form serves lesion-level observables only")
    lines = _preamble(m, f"observe_{name}(y, P, Q, n, out)") + _sums_and_systemic(m)
    lines += ["    for j in range(n):"] + _load_lesion(m, "j", "        ")
    lines += [f"        {k} = {PR(m.items[k][1])}" for k in m.closure([sp.Symbol(name, real=True)], {"lesion"})]
    return lines + [f"        out[j] = {name}"]


def scalar_source(definition: ModelDefinition) -> str:
    """The Python source of ``rhs_scalar``, ``jac_scalar`` and ``observe_longest_diameter_cm`` for ``definition``."""
    m = _Model(definition)
    return "\n".join(_rhs_source(m) + ["", ""] + _jac_source(m) + ["", ""]
                     + _observable_source(definition, "longest_diameter_cm")) + "\n"
