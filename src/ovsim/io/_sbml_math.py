"""A small content-MathML printer for the model's sympy expressions (SBML Level 3 Version 2).

Covers what the model uses: +, -, *, /, integer powers and roots (``root`` with ``degree``: the cube
root of the lesion diameter), ``max``/``min`` (L3V2 MathML, read by libRoadRunner), exp, ln,
Heaviside (as ``piecewise``), pi and lesion sums (expanded by the caller's ``lesion_sum``). Every
literal number carries ``sbml:units``: dimensionless in products and powers, the units of its
siblings in sums and maxima, so libsbml can check unit consistency. Floats are written with ``repr``
and read back exactly.
"""

from __future__ import annotations

from typing import Callable

import sympy as sp

from ..model import LesionSum

MATHML = "http://www.w3.org/1998/Math/MathML"
SBML_NS = "http://www.sbml.org/sbml/level3/version2/core"
TIME = '<csymbol encoding="text" definitionURL="http://www.sbml.org/sbml/symbols/time">time</csymbol>'


def math_element(body: str) -> str:
    """``<math>`` around ``body``, declaring the ``sbml`` prefix that ``cn``'s units use."""
    return f'<math xmlns="{MATHML}" xmlns:sbml="{SBML_NS}">{body}</math>'


def cn(value: float, units: str) -> str:
    """A literal number with its units (exact: integers as integers, floats by ``repr``)."""
    v = float(value)
    if v != v or v in (float("inf"), float("-inf")):
        raise ValueError(f"cannot write {v!r} as an SBML number")
    if v.is_integer() and abs(v) < 2**53:
        return f'<cn sbml:units="{units}" type="integer">{int(v)}</cn>'
    return f'<cn sbml:units="{units}">{v!r}</cn>'


def apply(op: str, *args: str) -> str:
    return f"<apply><{op}/>{''.join(args)}</apply>"


class MathPrinter:
    """MathML for an expression.

    name(symbol, lesion): the SBML id of a model name (lesion: the lesion index, or None outside a
    lesion); units_id(expr): the unit id a bare number takes beside ``expr`` (its siblings' units);
    n_lesions: how many lesions a lesion sum expands over.
    """

    def __init__(self, name: Callable[[str, int | None], str], units_id: Callable[[sp.Expr], str], n_lesions: int):
        self.name = name
        self.units_id = units_id
        self.n_lesions = n_lesions

    def __call__(self, e: sp.Expr, lesion: int | None = None, number_units: str = "dimensionless") -> str:
        return self.p(sp.sympify(e), lesion, number_units)

    def p(self, e: sp.Expr, j: int | None, nu: str = "dimensionless") -> str:  # noqa: C901 - one branch per node
        if isinstance(e, sp.Symbol):
            return f"<ci>{self.name(e.name, j)}</ci>"
        if e is sp.pi:
            return "<pi/>"
        if e is sp.E:
            return "<exponentiale/>"
        if e.is_Number:
            return cn(float(e), nu)
        if isinstance(e, LesionSum):
            terms = [self.p(e.args[0], k, nu) for k in range(self.n_lesions)]
            return cn(0, self.units_id(e)) if not terms else terms[0] if len(terms) == 1 else apply("plus", *terms)
        if isinstance(e, (sp.Add, sp.Max, sp.Min)):
            u = self.units_id(e)
            op = "plus" if isinstance(e, sp.Add) else "max" if isinstance(e, sp.Max) else "min"
            return apply(op, *(self.p(a, j, u) for a in e.args))
        if isinstance(e, sp.Mul):
            coeff, rest = e.as_coeff_Mul()
            if coeff == -1:
                return apply("minus", self.p(rest, j))
            num, den = [], []
            for a in e.args:
                if isinstance(a, sp.Pow) and a.exp.is_Number and a.exp < 0:
                    den.append(self.p(a.base if a.exp == -1 else sp.Pow(a.base, -a.exp), j))
                else:
                    num.append(self.p(a, j))
            top = num[0] if len(num) == 1 else apply("times", *num) if num else cn(1, "dimensionless")
            if not den:
                return top
            return apply("divide", top, den[0] if len(den) == 1 else apply("times", *den))
        if isinstance(e, sp.Pow):
            base, exp = e.args
            if exp.is_Rational and exp.p == 1 and exp.q > 1:
                degree = "" if exp.q == 2 else f"<degree>{cn(exp.q, 'dimensionless')}</degree>"
                return f"<apply><root/>{degree}{self.p(base, j)}</apply>"
            if exp.is_Number and exp < 0:
                return apply("divide", cn(1, "dimensionless"), self.p(sp.Pow(base, -exp, evaluate=False), j))
            return apply("power", self.p(base, j), self.p(exp, j))
        if isinstance(e, sp.exp):
            return apply("exp", self.p(e.args[0], j))
        if isinstance(e, sp.log):
            return apply("ln", self.p(e.args[0], j))
        if isinstance(e, sp.Heaviside):
            x = e.args[0]
            zero = cn(0, self.units_id(x))
            return (f"<piecewise><piece>{cn(1, 'dimensionless')}{apply('gt', self.p(x, j), zero)}</piece>"
                    f"<otherwise>{cn(0, 'dimensionless')}</otherwise></piecewise>")
        raise ValueError(f"cannot write {type(e).__name__} as SBML MathML")
