"""The generated parts of docs/model.md: tables of states, parameters, covariates and hooks, and the equations.

``model_markdown(definition)`` renders any :class:`~ovsim.model._definition.ModelDefinition` (the default
mechanisms, or mechanisms plus the parts of treatments) as markdown blocks keyed by block name. Equations
are LaTeX display math printed by sympy, with every name shown in the docs' notation: a state's or a
parameter's ``symbol`` (``delta_I`` -> ``\\delta_I``), quantities and covariates as ``\\mathrm{name}``
(subscript ``j`` when they are per lesion), a lesion sum as ``\\sum_j``. ``python tools/model_doc.py``
writes the blocks into docs/model.md; the output depends only on the definition (deterministic).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Iterable

import sympy as sp
from sympy.printing.latex import LatexPrinter

from ._spec import LesionSum

if TYPE_CHECKING:
    from ._definition import ModelDefinition

BLOCKS = ("states", "equations", "parameters", "covariates", "hooks")
"""Names of the blocks :func:`model_markdown` returns, in the order they appear in docs/model.md."""

_GREEK = frozenset(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau upsilon phi chi "
    "psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split()
)


def tex_symbol(symbol: str) -> str:
    """LaTeX of a docs symbol: ``delta_I`` -> ``\\delta_I``, ``K_Gl`` -> ``K_{\\mathrm{Gl}}``,
    ``Ab`` -> ``\\mathrm{Ab}``."""
    base, _, sub = symbol.partition("_")
    if base in _GREEK:
        tex = "\\" + base
    elif len(base) == 1:
        tex = base
    else:
        tex = rf"\mathrm{{{base}}}"
    if not sub:
        return tex
    if sub in _GREEK:
        return rf"{tex}_{{\{sub}}}"
    if len(sub) == 1:
        return f"{tex}_{sub}"
    if sub.isdigit():
        return f"{tex}_{{{sub}}}"
    return rf"{tex}_{{\mathrm{{{_escape_tex(sub)}}}}}"


def _escape_tex(text: str) -> str:
    return text.replace("_", r"\_")


def _tex_name(name: str, lesion: bool) -> str:
    return rf"\mathrm{{{_escape_tex(name)}}}" + ("_j" if lesion else "")


def symbol_map(definition: ModelDefinition) -> dict[str, str]:
    """LaTeX for every name of ``definition``: states, parameters, covariates and quantities."""
    names: dict[str, str] = {}
    for s in definition.states.values():
        names[s.name] = tex_symbol(s.symbol) if s.symbol else _tex_name(s.name, s.level == "lesion")
    for p in definition.parameters.values():
        names[p.name] = tex_symbol(p.symbol) if p.symbol else _tex_name(p.name, p.level == "lesion")
    for c in definition.covariates.values():
        symbol = getattr(c, "symbol", "")
        names[c.name] = tex_symbol(symbol) if symbol else _tex_name(c.name, c.level == "lesion")
    for q in definition.quantities.values():
        names[q.name] = _tex_name(q.name, q.level == "lesion")
    return names


class _DocLatexPrinter(LatexPrinter):
    """sympy's LaTeX printer with the model's names, x+ for max(x, 0), cube roots kept whole,
    ln(2) and floats to 6 significant digits."""

    def __init__(self, names: dict[str, str]):
        super().__init__({"mul_symbol": "dot"})
        self._names = names

    def _print(self, expr, **kwargs):  # noqa: D102 - sympy printer hook
        if isinstance(expr, LesionSum):  # before LesionSum._latex: here the sum's argument gets parentheses
            return self._print_LesionSum(expr, **kwargs)
        return super()._print(expr, **kwargs)

    def _print_Symbol(self, expr, style="plain"):  # noqa: D102
        return self._names.get(expr.name, _tex_name(expr.name, False))

    def _print_Mul(self, expr):  # noqa: D102
        # sympy splits cbrt(6 V / pi) into 6^(1/3) V^(1/3) pi^(-1/3); print it as one root again
        if all(isinstance(a, sp.Pow) and a.exp.is_Rational for a in expr.args):
            exps = {abs(a.exp) for a in expr.args}
            if len(exps) == 1:
                (e,) = exps
                if e.p == 1 and e.q > 1:
                    inner = self._print(sp.Mul(*(sp.Pow(a.base, 1 if a.exp > 0 else -1) for a in expr.args)))
                    return rf"\sqrt{{{inner}}}" if e.q == 2 else rf"\sqrt[{e.q}]{{{inner}}}"
        return super()._print_Mul(expr)

    def _print_LesionSum(self, expr, exp=None):  # noqa: D102
        (arg,) = expr.args
        body = self._print(arg)
        if isinstance(arg, sp.Add):
            body = rf"\left({body}\right)"
        tex = r"\sum_j " + body
        return tex if exp is None else rf"\left({tex}\right)^{{{exp}}}"

    def _print_Max(self, expr, exp=None):  # noqa: D102
        args = list(expr.args)
        if len(args) == 2 and sp.S.Zero in args:
            (x,) = [a for a in args if a != sp.S.Zero]
            inner = self._print(x)
            if not x.is_Symbol:
                inner = rf"\left({inner}\right)"
            tex = rf"{{{inner}}}^{{+}}"
            return tex if exp is None else rf"\left({tex}\right)^{{{exp}}}"
        return super()._print_Max(expr, exp=exp)

    def _print_Float(self, expr):  # noqa: D102
        value = float(expr)
        if math.isclose(value, math.log(2.0), rel_tol=1e-12):
            return r"\ln(2)"
        if math.isclose(value, math.pi, rel_tol=1e-12):
            return r"\pi"
        mantissa, _, exponent = f"{value:.6g}".partition("e")
        if not exponent:
            return mantissa
        power = rf"10^{{{int(exponent)}}}"
        return power if mantissa == "1" else rf"{mantissa} \cdot {power}"


def _latex(expr: sp.Expr, names: dict[str, str]) -> str:
    return _DocLatexPrinter(names).doprint(sp.sympify(expr))


def _display(tex: str) -> str:
    return f"$$\n{tex}\n$$"


def _derivative(tex_state: str) -> str:
    return rf"\frac{{d{tex_state}}}{{dt}}"


def _cell(text: object) -> str:
    return str(text).replace("|", r"\|").replace("*", r"\*").replace("\n", " ")


def _table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _number(value: float) -> str:
    return f"{value:.6g}"


def _math_inline(tex: str) -> str:
    return f"${tex}$"


def _states_block(d: ModelDefinition, names: dict[str, str]) -> str:
    rows = [
        (f"`{s.name}`", _math_inline(names[s.name]), s.units, s.level, s.description, f"`{d.owner[s.name]}`")
        for s in d.states.values()
    ]
    return _table(("state", "symbol", "units", "level", "meaning", "mechanism"), rows)


def _parameters_block(d: ModelDefinition, names: dict[str, str]) -> str:
    rows = []
    for p in d.parameters.values():
        plausible = "—" if p.range is None else f"{_number(p.range[0])} – {_number(p.range[1])}"
        rows.append((f"`{p.name}`", _math_inline(names[p.name]), _number(p.value), p.units, p.level, plausible,
                     p.description, p.source, f"`{d.owner[p.name]}`"))
    return _table(("name", "symbol", "value", "units", "level", "plausible range", "meaning", "source", "mechanism"),
                  rows)


def _covariates_block(d: ModelDefinition, names: dict[str, str]) -> str:
    rows = [
        (f"`{c.name}`", _math_inline(names[c.name]), c.units, c.level, _number(c.value), c.description,
         f"`{d.owner[c.name]}`")
        for c in d.covariates.values()
    ]
    return _table(("covariate", "symbol", "units", "level", "default", "meaning", "mechanism"), rows)


def _hooks_block(d: ModelDefinition, names: dict[str, str]) -> str:
    rows = [
        (f"`{h.name}`", _math_inline(names[h.name]), h.units, _number(h.default), h.combine, h.description,
         f"`{d.owner[h.name]}`", ", ".join(f"`{p}`" for p in d.hook_providers[h.name]) or "—")
        for h in d.hooks.values()
    ]
    return _table(("hook", "symbol", "units", "default", "combined", "meaning", "declared by", "supplied by"), rows)


def _sum_terms(terms: Iterable[str]) -> str:
    """Join LaTeX terms with + (or - where a term starts with a minus sign), in the given order."""
    out = ""
    for tex in terms:
        if not out:
            out = tex
        elif tex.startswith("-"):
            out += " - " + tex[1:].lstrip()
        else:
            out += " + " + tex
    return out or "0"


def _used_names(d: ModelDefinition, exprs: Iterable[sp.Expr]) -> list[str]:
    """States, parameters and covariates that ``exprs`` use directly, in the definition's order."""
    used = {str(s) for e in exprs for s in sp.sympify(e).free_symbols}
    order = [*d.states, *d.parameters, *d.covariates]
    return [n for n in order if n in used]


def _part_section(d: ModelDefinition, part, names: dict[str, str]) -> str:
    quantities = [q for q in d.quantities.values() if q.part == part.name]
    rates = [(state, expr) for state in d.states for owner, expr in d.contributions[state] if owner == part.name]
    initial = [s for s in part.states if not sp.sympify(s.initial).is_zero]
    observables = {k: v for k, v in d.observables.items() if d.owner.get(k) == part.name}
    lines = [f"### {part.title} (`{part.name}`)", "", part.description]
    if quantities:
        lines += ["", "Quantities:"]
        for q in quantities:
            lines += ["", _display(f"{names[q.name]} = {_latex(q.expr, names)}")]
            if q.note:
                lines += ["", f"`{q.name}`: {q.note}."]
    if rates:
        lines += ["", "Rate terms, added to the derivatives of the states:"]
        for state, expr in rates:
            lines += ["", _display(rf"{_derivative(names[state])} \mathrel{{+}}= {_latex(expr, names)}")]
    if initial:
        lines += ["", "Initial values:"]
        for s in initial:
            lines += ["", _display(f"{names[s.name]}(0) = {_latex(sp.sympify(s.initial), names)}")]
    if observables:
        lines += ["", "Observables: " + "; ".join(
            f"`{name}` ({units}): {description}" for name, (units, description) in observables.items()) + "."]
    exprs = [q.expr for q in quantities] + [e for _, e in rates] + [sp.sympify(s.initial) for s in initial]
    used = _used_names(d, exprs)
    if used:
        lines += ["", "Symbols: " + ", ".join(f"{_math_inline(names[n])} `{n}`" for n in used) + "."]
    return "\n".join(lines)


def _equations_block(d: ModelDefinition, names: dict[str, str]) -> str:
    sections = [_part_section(d, part, names) for part in d.parts]
    full = ["### Full derivatives", "",
            "Each state's derivative is the sum of the rate terms of every part, in composition order "
            "(per lesion j for lesion states):"]
    for state in d.states:
        terms = [_latex(expr, names) for _, expr in d.contributions[state]]
        full += ["", _display(f"{_derivative(names[state])} = {_sum_terms(terms)}")]
    return "\n\n".join(sections + ["\n".join(full)])


def model_markdown(definition: ModelDefinition) -> dict[str, str]:
    """Markdown blocks of ``definition`` keyed by name (:data:`BLOCKS`): ``states``, ``equations``,
    ``parameters``, ``covariates`` and ``hooks``. Tables list every name with its units, level, meaning and the
    part (mechanism or treatment) that defines it; equations are LaTeX display math (``$$``)."""
    names = symbol_map(definition)
    return {
        "states": _states_block(definition, names),
        "equations": _equations_block(definition, names),
        "parameters": _parameters_block(definition, names),
        "covariates": _covariates_block(definition, names),
        "hooks": _hooks_block(definition, names),
    }
