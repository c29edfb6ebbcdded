"""Print sympy expressions of the model definition as Python source (array or scalar form).

A deliberately small printer: the model uses +, *, /, integer and cube-root powers, max, log, exp and
lesion sums, and every float is printed with ``repr`` so that it round-trips exactly.
"""

from __future__ import annotations

from typing import Callable

import sympy as sp

from ._spec import LesionSum


class SourcePrinter:
    """Python source for an expression.

    fn: prefix of elementwise functions (``xp.`` for arrays, ``math.`` for scalars); name: maps a
    symbol name to the source that reads it; lesion_sum: prints a lesion sum (array form only).
    """

    def __init__(self, fn: str, name: Callable[[str], str] = str,
                 lesion_sum: Callable[[str], str] | None = None, scalar: bool = False):
        self.fn = fn
        self.name = name
        self.lesion_sum = lesion_sum
        self.scalar = scalar

    def __call__(self, e: sp.Expr) -> str:
        return self.p(sp.sympify(e))

    def p(self, e: sp.Expr) -> str:  # noqa: C901 - one branch per node type
        if isinstance(e, sp.Symbol):
            return self.name(e.name)
        if e is sp.pi:
            return "3.141592653589793"
        if isinstance(e, (sp.Integer, sp.Float, sp.Rational)) or e.is_Number:
            return repr(float(e))
        if isinstance(e, LesionSum):
            if self.lesion_sum is None:
                raise ValueError("a lesion sum cannot be printed in this form")
            return self.lesion_sum(self.p(e.args[0]))
        if isinstance(e, sp.Add):
            return "(" + " + ".join(self.p(a) for a in e.args) + ")"
        if isinstance(e, sp.Mul):
            num, den = [], []
            for a in e.args:
                if isinstance(a, sp.Pow) and a.exp.is_Number and a.exp < 0:
                    den.append(self.p(a.base) if a.exp == -1 else self.p(sp.Pow(a.base, -a.exp)))
                else:
                    num.append(self.p(a))
            text = "*".join(num) if num else "1.0"
            return "(" + text + "".join("/" + d for d in den) + ")"
        if isinstance(e, sp.Pow):
            base, exp = e.args
            if exp == sp.Rational(1, 3):
                return f"({self.p(base)})**(1.0/3.0)" if self.scalar else f"{self.fn}cbrt({self.p(base)})"
            if exp == sp.Rational(1, 2):
                return f"{self.fn}sqrt({self.p(base)})"
            if exp.is_Integer and exp < 0:
                return f"(1.0/{self.p(base)}**{int(-exp)})"
            if exp.is_Integer:
                return f"({self.p(base)}**{int(exp)})"
            return f"({self.p(base)}**{self.p(exp)})"
        if isinstance(e, (sp.Max, sp.Min)):
            f = ("max" if isinstance(e, sp.Max) else "min") if self.scalar else (
                "maximum" if isinstance(e, sp.Max) else "minimum")
            prefix = "" if self.scalar else self.fn
            args = [self.p(a) for a in e.args]
            out = args[0]
            for a in args[1:]:
                out = f"{prefix}{f}({out}, {a})"
            return out
        if isinstance(e, sp.Heaviside):
            x = self.p(e.args[0])
            return f"(1.0 if {x} > 0.0 else 0.0)" if self.scalar else f"{self.fn}where({x} > 0.0, 1.0, 0.0)"
        if isinstance(e, (sp.exp, sp.log)):
            return f"{self.fn}{type(e).__name__}({self.p(e.args[0])})"
        if isinstance(e, sp.Piecewise):
            raise ValueError("piecewise expressions are not supported by the code generator")
        raise ValueError(f"cannot print {type(e).__name__} in the model's source form")
