"""One-line messages for pydantic validation errors: ``field.path: expected ... (got ...)``.

Files are read by :mod:`ovsim._read` (bounded, strict YAML/JSON); :func:`validated` turns a schema's
first error into ``<file>: <field.path>: expected ... (got ...)``, echoing at most ~200 characters of
the user's value. A cross-field check (a model validator) raises ``ValueError("field: expected ...")``
with the field relative to its model; the message then carries the full path.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ._read import InputFileError, one_line, shorten
from ._read import read_yaml as _read_yaml

M = TypeVar("M", bound=BaseModel)

_FIELD_MESSAGE = re.compile(r"^([A-Za-z_]\w*(?:\.\w+|\[\d+\])*): (.+)$", re.S)
"""A check's message that starts with the field it names (relative to the model checked)."""

__all__ = ["InputFileError", "first_error", "location", "read_yaml", "shorten", "validated"]


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
    if e["type"] in ("value_error", "assertion_error"):
        text = one_line(re.sub(r"^(Value|Assertion) error, ", "", msg))
        named = _FIELD_MESSAGE.match(text)
        if named:  # a check that names its field: ``days_on: expected <= cycle_days``
            return f"{named[1] if not e['loc'] else loc + '.' + named[1]}: {named[2]}"
        if isinstance(got, (dict, list)):  # a check over a whole mapping: its message says what
            return f"{loc}: {text}"
        return f"{loc}: expected a valid value: {text} (got {shorten(got)})"
    ctx = e.get("ctx", {})
    if e["type"] == "string_too_long":
        return f"{loc}: expected text of at most {ctx.get('max_length')} characters (got {len(got)} characters)"
    if e["type"] == "string_too_short":
        return f"{loc}: expected text of at least {ctx.get('min_length')} character(s) (got {shorten(got)})"
    if e["type"] == "string_pattern_mismatch":
        return f"{loc}: expected text matching {ctx.get('pattern')} (got {shorten(got)})"
    if e["type"] == "too_short":
        msg = f"expected at least {ctx.get('min_length', 1)} item(s)"
    elif e["type"] == "too_long":
        msg = f"expected at most {ctx.get('max_length')} item(s)"
        return f"{loc}: {msg} (got {len(got) if hasattr(got, '__len__') else shorten(got)})"
    elif msg.startswith("Input should be "):
        msg = "expected " + msg[len("Input should be "):]
    else:
        msg = "expected a valid value: " + one_line(msg)
    return f"{loc}: {msg} (got {shorten(got)})"


def _union_tags() -> set[str]:
    """Names pydantic puts in a location for the member of a union (model classes)."""
    seen, todo = set(), [BaseModel]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__name__ not in seen:
                seen.add(sub.__name__)
                todo.append(sub)
    return seen


def location(parts: tuple[Any, ...]) -> str:
    """``a.b[0].c`` from a pydantic location tuple (union member tags left out; long keys cut)."""
    out = ""
    tags = _union_tags()
    for part in parts:
        if isinstance(part, str) and (part in tags or part.startswith(("literal[", "function-", "constrained-"))):
            continue
        if isinstance(part, str) and part.endswith(("-keys", "[key]")):
            continue
        if isinstance(part, str) and (len(part) > 80 or not part.isprintable()):
            part = shorten(part, 80)
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def read_yaml(path: Path) -> object:
    """The YAML document in ``path`` (bounded and strict: :mod:`ovsim._read`); ``InputFileError`` (a
    ``ValueError``) in one line naming the file if unreadable or invalid."""
    return _read_yaml(path)


def validated(model: type[M], raw: object, name: str) -> M:
    """``model`` validated from ``raw``; ``InputFileError`` (a ``ValueError``) ``<name>: <field>: expected ...``."""
    if not isinstance(raw, dict):
        raise InputFileError(f"{name}: expected a mapping of fields at the top level (got {_kind(raw)})")
    try:
        return model.model_validate(raw)
    except ValidationError as err:
        raise InputFileError(f"{name}: {first_error(err)}") from None


def _kind(raw: object) -> str:
    """A short name of what a document is instead of a mapping."""
    if raw is None:
        return "an empty document"
    if isinstance(raw, list):
        return "a list"
    return f"{type(raw).__name__} {shorten(raw, 60)}"
