"""Units for the SBML export: the model's unit strings as SBML unit definitions, and units of expressions.

A unit string is a product of named units with ``*``, ``/``, parentheses and integer powers ``^n``
(``1/(day*titre)``, ``ng/(cell*day)``, ``cells/cm^3``); ``1`` is dimensionless. Counts (cells, PFU,
cell-equivalents, DCs) are SBML ``item``; titres are relative, hence dimensionless. :func:`infer_units`
gives the units of a model expression so that literal numbers can carry ``sbml:units``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

import sympy as sp

from ..model import LesionSum

BASE: dict[str, tuple[str, int, float]] = {
    **{n: ("item", 0, 1.0) for n in ("cells", "cell", "PFU", "cell-eq", "DC", "item")},
    "ng": ("gram", -9, 1.0), "ug": ("gram", -6, 1.0), "mg": ("gram", -3, 1.0), "g": ("gram", 0, 1.0), "kg": ("gram", 3, 1.0),
    "day": ("second", 0, 86400.0), "h": ("second", 0, 3600.0), "min": ("second", 0, 60.0), "s": ("second", 0, 1.0),
    "mm": ("metre", -3, 1.0), "cm": ("metre", -2, 1.0), "m": ("metre", 0, 1.0),
    "mL": ("litre", -3, 1.0), "L": ("litre", 0, 1.0),
    "titre": ("dimensionless", 0, 1.0), "1": ("dimensionless", 0, 1.0),
}
"""Named unit -> (SBML kind, scale, multiplier): one of it is ``(multiplier x 10^scale) kind``."""

_SBML_KINDS = frozenset({
    "ampere", "avogadro", "becquerel", "candela", "coulomb", "dimensionless", "farad", "gram", "gray", "henry",
    "hertz", "item", "joule", "katal", "kelvin", "kilogram", "litre", "lumen", "lux", "metre", "mole", "newton",
    "ohm", "pascal", "radian", "second", "siemens", "sievert", "steradian", "tesla", "volt", "watt", "weber"})
_TOKEN = re.compile(r"\s*([A-Za-z][A-Za-z0-9_]*(?:-[A-Za-z]+)*|\d+|\^-?\d+|[*/()])")


@dataclass(frozen=True)
class Units:
    """A unit as ``{SBML kind: (exponent, SI factor of that kind's part)}``; a cancelled kind's factor
    moves to ``dimensionless`` (exponent 0)."""

    parts: tuple[tuple[str, Fraction, float], ...] = ()

    @staticmethod
    def of(kind: str, scale: int = 0, multiplier: float = 1.0) -> "Units":
        factor = multiplier * 10.0**scale
        if kind == "dimensionless":
            return Units((("dimensionless", Fraction(0), factor),) if factor != 1.0 else ())
        return Units(((kind, Fraction(1), factor),))

    def __mul__(self, other: "Units") -> "Units":
        acc: dict[str, list] = {k: [e, f] for k, e, f in self.parts}
        for k, e, f in other.parts:
            acc.setdefault(k, [Fraction(0), 1.0])
            acc[k][0] += e
            acc[k][1] *= f
        out: dict[str, list] = {}
        for k, (e, f) in acc.items():
            key = k if e != 0 else "dimensionless"
            cur = out.setdefault(key, [Fraction(0), 1.0])
            cur[0] += e
            cur[1] *= f
        return Units(tuple(sorted((k, e, f) for k, (e, f) in out.items() if e != 0 or not math.isclose(f, 1.0))))

    def __pow__(self, r: Fraction) -> "Units":
        return Units(tuple((k, e * r, f**float(r)) for k, e, f in self.parts if e * r != 0 or k == "dimensionless"))

    def same(self, other: "Units") -> bool:
        """Equal kinds and exponents and the same overall factor."""
        dims = lambda u: {(k, e) for k, e, _ in u.parts if e != 0}  # noqa: E731
        total = lambda u: math.prod(f for _, _, f in u.parts)  # noqa: E731
        return dims(self) == dims(other) and math.isclose(total(self), total(other), rel_tol=1e-9)

    def elements(self) -> list[tuple[str, float, int, float]]:
        """SBML ``<unit>`` elements: (kind, exponent, scale, multiplier)."""
        out = []
        for k, e, f in self.parts:
            e_f = float(e) if e != 0 else 1.0
            m = f ** (1.0 / e_f)
            lg = math.log10(m)
            scale = round(lg) if abs(lg - round(lg)) < 1e-9 else 0
            out.append((k, e_f, scale, 1.0 if scale or m == 1.0 else float(f"{m:.15g}")))
        return out or [("dimensionless", 1.0, 0, 1.0)]


DIMENSIONLESS = Units()


def parse_units(text: str) -> Units:
    """The :class:`Units` of a unit string; ``ValueError`` names what is not understood."""
    tokens, pos = [], 0
    while pos < len(text.rstrip()):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"unit {text!r}: cannot read {text[pos:]!r}")
        tokens.append(m.group(1))
        pos = m.end()

    def product(i: int) -> tuple[Units, int]:
        u, i = factor(i)
        while i < len(tokens) and tokens[i] in "*/":
            v, j = factor(i + 1)
            u, i = (u * v if tokens[i] == "*" else u * v ** Fraction(-1)), j
        return u, i

    def factor(i: int) -> tuple[Units, int]:
        if i >= len(tokens):
            raise ValueError(f"unit {text!r}: unexpected end")
        if tokens[i] == "(":
            u, i = product(i + 1)
            if i >= len(tokens) or tokens[i] != ")":
                raise ValueError(f"unit {text!r}: expected ')'")
            i += 1
        elif tokens[i] in BASE:
            u, i = Units.of(*BASE[tokens[i]]), i + 1
        else:
            raise ValueError(f"unit {text!r}: unknown unit {tokens[i]!r} (expected one of {', '.join(BASE)})")
        if i < len(tokens) and tokens[i].startswith("^"):
            u, i = u ** Fraction(int(tokens[i][1:])), i + 1
        return u, i

    u, i = product(0)
    if i != len(tokens):
        raise ValueError(f"unit {text!r}: unexpected {tokens[i]!r}")
    return u


class UnitBook:
    """Unit definitions of one document: an id per unit string (or inferred unit), written as XML."""

    def __init__(self) -> None:
        self.defs: dict[str, Units] = {}

    def id_for_text(self, text: str) -> str:
        """The id of unit string ``text`` (``1`` is SBML's ``dimensionless``)."""
        if text.strip() == "1":
            return "dimensionless"
        base = re.sub(r"[()\s]", "", text).replace("/", "_per_").replace("*", "_").replace("^", "")
        base = re.sub(r"[^A-Za-z0-9_]", "_", re.sub(r"^1_per_", "per_", base))
        if base in _SBML_KINDS or not (base[:1].isalpha() or base[:1] == "_"):
            base = f"u_{base}"
        return self._add(base, parse_units(text))

    def id_for(self, units: Units | None) -> str:
        """The id of an inferred unit: a defined one with the same meaning, or a new definition."""
        if units is None or units.same(DIMENSIONLESS):
            return "dimensionless"
        for uid, u in self.defs.items():
            if u.same(units):
                return uid
        return self._add(f"u_inferred_{len(self.defs) + 1}", units)

    def _add(self, base: str, units: Units) -> str:
        uid, k = base, 1
        while uid in self.defs and not self.defs[uid].same(units):
            k += 1
            uid = f"{base}_{k}"
        self.defs[uid] = units
        return uid

    def xml(self) -> str:
        """``<listOfUnitDefinitions>`` of every unit used."""
        out = ["<listOfUnitDefinitions>"]
        for uid, u in self.defs.items():
            units = "".join(f'<unit kind="{k}" exponent="{e!r}" scale="{s}" multiplier="{m!r}"/>'
                            for k, e, s, m in u.elements())
            out.append(f'<unitDefinition id="{uid}"><listOfUnits>{units}</listOfUnits></unitDefinition>')
        return "\n".join(out + ["</listOfUnitDefinitions>"])


def infer_units(expr: sp.Expr, of_symbol: Callable[[str], Units | None]) -> Units | None:
    """Units of ``expr`` from its symbols' units; ``None`` for a bare number (it takes its context's)."""
    if isinstance(expr, sp.Symbol):
        return of_symbol(expr.name)
    if expr.is_Number or expr in (sp.pi, sp.E):
        return None
    if isinstance(expr, LesionSum):
        return infer_units(expr.args[0], of_symbol)
    if isinstance(expr, (sp.Add, sp.Max, sp.Min)):
        for a in expr.args:
            u = infer_units(a, of_symbol)
            if u is not None:
                return u
        return None
    if isinstance(expr, sp.Mul):
        found = [u for u in (infer_units(a, of_symbol) for a in expr.args) if u is not None]
        return math.prod(found[1:], start=found[0]) if found else None
    if isinstance(expr, sp.Pow):
        base = infer_units(expr.base, of_symbol)
        if base is None or not expr.exp.is_Rational:
            return None if base is None else DIMENSIONLESS
        return base ** Fraction(int(expr.exp.p), int(expr.exp.q))
    return DIMENSIONLESS  # exp, log, Heaviside, piecewise indicator
