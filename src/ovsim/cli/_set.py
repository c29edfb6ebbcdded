"""``--set NAME=VALUE`` (repeatable) of ``ovsim trial``, ``simulate`` and ``cohort``: model-parameter overrides.

``--set kill_rate=0.05`` sets a parameter for everyone (the registry's units, ``ovsim model --describe``);
``--set kill_rate=lognormal:0.05:0.3`` (median, cv), ``normal:MEAN:SD`` or ``uniform:LOW:HIGH`` draws it per
patient; ``--set arms.tvec.kill_rate=0.05`` sets it for one arm of a trial. The same validation as a scenario's
``parameters:`` block (``ovsim.population.parse_overrides``); a bad option fails in one line naming it.
"""

from __future__ import annotations

import math
from typing import Any

from ._app import fail, warn

DISTRIBUTIONS = {"lognormal": ("median", "cv"), "normal": ("mean", "sd"), "uniform": ("low", "high")}
"""``--set`` distribution shorthand: ``<name>:<first>:<second>``."""


def parse_sets(items: list[str] | None, arms: bool = False) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """``(everyone, {arm: overrides})`` from the ``--set`` options, validated; ``ValueError`` (one line) if bad.

    ``arms``: whether ``arms.<arm>.<name>=...`` is allowed (``ovsim trial``)."""
    from ..population import parse_overrides

    everyone: dict[str, Any] = {}
    per_arm: dict[str, dict[str, Any]] = {}
    for item in items or []:
        shown = item if len(item) <= 120 and item.isprintable() else repr(item[:120])
        name, sep, text = item.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name or not text:
            raise ValueError(f"--set {shown}: expected NAME=VALUE (e.g. kill_rate=0.05 or "
                             "kill_rate=lognormal:0.05:0.3)")
        value = _value(text, name)
        if name.startswith("arms."):
            arm, dot, param = name[len("arms."):].partition(".")
            if not arms:
                raise ValueError(f"--set {shown}: per-arm values (arms.<arm>.<name>) are for ovsim trial only")
            if not (dot and arm and param):
                raise ValueError(f"--set {shown}: expected arms.<arm>.<name>=VALUE")
            per_arm.setdefault(arm, {})[param] = value
        else:
            everyone[name] = value
    for where, values in (("--set", everyone), *((f"--set arms.{a}", v) for a, v in per_arm.items())):
        parse_overrides(values, where)  # names, domains; range warnings are reported by the caller
    return everyone, per_arm


def _value(text: str, name: str) -> Any:
    """A number, or ``{distribution: ...}`` from ``lognormal:M:CV`` / ``normal:MEAN:SD`` / ``uniform:LOW:HIGH``."""
    kind, _, rest = text.partition(":")
    if kind in DISTRIBUTIONS:
        parts = rest.split(":")
        numbers = [_number(p) for p in parts]
        if len(parts) != 2 or any(n is None for n in numbers):
            a, b = DISTRIBUTIONS[kind]
            raise ValueError(f"--set {name}: expected {kind}:{a.upper()}:{b.upper()} with two numbers "
                             f"(got {text[:80]!r})")
        return {"distribution": kind, **dict(zip(DISTRIBUTIONS[kind], numbers))}
    number = _number(text)
    if number is None:
        raise ValueError(f"--set {name}: expected a number or lognormal:MEDIAN:CV, normal:MEAN:SD, uniform:LOW:HIGH "
                         f"(got {text[:80]!r})")
    return number


def _number(text: str) -> float | None:
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def sets_or_fail(items: list[str] | None, arms: bool = False) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """:func:`parse_sets`, failing in one line (exit 2) on a bad option; prints each range warning once."""
    from ..population import parse_overrides

    try:
        everyone, per_arm = parse_sets(items, arms)
    except ValueError as err:
        fail(str(err).replace("--set.", "--set ", 1))
    for where, values in (("--set", everyone), *((f"--set arms.{a}", v) for a, v in per_arm.items())):
        for line in parse_overrides(values, where)[1]:
            warn(line.replace("--set.", "--set ", 1))
    return everyone, per_arm
