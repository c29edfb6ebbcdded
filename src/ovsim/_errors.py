"""One-line messages for pydantic validation errors: ``field.path: expected ... (got ...)``."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


def first_error(err: ValidationError, hint: str = "") -> str:
    """``field.path: expected ... (got ...)`` for the first error; ``hint`` follows unknown fields."""
    e = err.errors(include_url=False)[0]
    loc = location(e["loc"])
    got = e.get("input")
    msg = e["msg"]
    if e["type"] == "extra_forbidden":
        return f"{loc}: unknown field (check the spelling{'; ' + hint if hint else ''})"
    if e["type"] == "missing":
        return f"{loc}: required field is missing"
    if e["type"] == "too_short":
        msg = f"expected at least {e.get('ctx', {}).get('min_length', 1)} item(s)"
    elif msg.startswith("Input should be "):
        msg = "expected " + msg[len("Input should be "):]
    else:
        msg = "expected a valid value: " + msg.replace("Value error, ", "")
    return f"{loc}: {msg} (got {got!r})"


def location(parts: tuple[Any, ...]) -> str:
    """``a.b[0].c`` from a pydantic location tuple."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"
