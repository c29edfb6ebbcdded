"""One-line messages for pydantic validation errors: ``field.path: expected ... (got ...)``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


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
    """``a.b[0].c`` from a pydantic location tuple (union member tags left out)."""
    out = ""
    tags = _union_tags()
    for part in parts:
        if isinstance(part, str) and (part in tags or part.startswith(("literal[", "function-"))):
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def read_yaml(path: Path) -> object:
    """The YAML document in ``path``; ``ValueError`` in one line naming the file if unreadable or invalid."""
    try:
        return yaml.safe_load(Path(path).read_text())
    except OSError as err:
        raise ValueError(f"{path}: cannot read file ({err.strerror or err})") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ValueError(f"{path}: not valid YAML{where}") from None


def validated(model: type[M], raw: object, name: str) -> M:
    """``model`` validated from ``raw``; ``ValueError`` ``<name>: <field>: expected ...`` in one line."""
    if not isinstance(raw, dict):
        raise ValueError(f"{name}: expected a mapping of fields at the top level")
    try:
        return model.model_validate(raw)
    except ValidationError as err:
        raise ValueError(f"{name}: {first_error(err)}") from None
