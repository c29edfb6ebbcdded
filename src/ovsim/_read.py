"""Reading user input within bounds: files, strict YAML and JSON, strict values, and the caps on sizes.

Every file a user gives is read by :func:`read_text` (at most :data:`MAX_FILE_BYTES`, UTF-8, a regular
file) and parsed by :func:`loads_yaml` or :func:`loads_json`:

- YAML is read by the core schema of YAML 1.2 (``true``/``false`` are the only booleans, ``yes``, ``no``,
  ``on``, ``off`` and dates are text, ``1e-6`` is a number); mapping keys are always text; aliases and
  anchors are refused (this is what makes a "billion laughs" file harmless), as are duplicate keys, tags
  other than the core ones (``!!binary``, ``!!timestamp``, ``!!python/...``) and nesting deeper than
  :data:`MAX_DEPTH`;
- JSON refuses duplicate keys, ``NaN``/``Infinity`` and numbers that overflow, and the same nesting depth.

Errors are :class:`InputFileError`: one line naming the file (and line), never echoing more than
:data:`MAX_ECHO` characters of what the user wrote.

The value types :data:`Number`, :data:`Integer`, :data:`Text` and :data:`Flag` are what the schemas use for
every value a user gives: finite numbers that are not booleans or text, integers that are not booleans,
text that is text, and booleans that are ``true`` or ``false``.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import yaml
from pydantic import AfterValidator, AllowInfNan, BeforeValidator, Strict, StrictBool
from pydantic_core import PydanticCustomError
from yaml.events import (AliasEvent, CollectionStartEvent, DocumentEndEvent, MappingEndEvent, ScalarEvent,
                         SequenceEndEvent, SequenceStartEvent, StreamEndEvent)

# --------------------------------------------------------------------------------------------- caps

MAX_FILE_BYTES = 1 << 20
"""Largest input file (1 MiB): the shipped inputs are under 10 kB (a patient with 64 lesions is ~5 kB), so a
bigger file is a mistake; reading one takes well under a second."""
MAX_DEPTH = 50
"""Deepest nesting of mappings and lists in a YAML or JSON input (the shipped ones nest 5 deep)."""
MAX_ECHO = 200
"""Most characters of a user's value an error message repeats."""

MAX_HORIZON_DAYS = 36_525.0
"""Longest simulated time (100 years, days): beyond any follow-up of a patient."""
MAX_OUTPUT_POINTS = 100_000
"""Most output times of one simulation: each stores every lesion's states (100,000 x 64 lesions x
8 states x 8 bytes ~ 0.3 GB for one patient); a daily grid over 100 years has 36,525."""
MAX_SEGMENTS = 200_000
"""Most integration segments of one schedule (output times, visits and dose events together)."""
MAX_LESIONS = 64
"""Most lesions of one patient: the solver's work and memory grow with the lesions of the largest patient
of a batch (every patient is padded to it); OPTiM patients had fewer than 20."""
MAX_PATIENTS = 1_000_000
"""Most virtual patients in a population, an arm or a trial: the engine simulates ~10 patients a second per
CPU core over a 2-year horizon (measured on this project's CI machine), so a million is about a core-day
(hours on a GPU); a population table holds ~0.2 kB per patient."""
MAX_PATIENT_ASSESSMENTS = 20_000_000
"""Most patients x assessment times in a trial: the assessment tables keep one row per lesion and time
(~5 lesions of ~100 bytes: ~10 GB at this cap)."""
MAX_DIAMETER_CM = 100.0
"""Largest lesion diameter (cm): a metre; a larger number is a unit error (mm or um for cm)."""
MAX_LDH_X_ULN = 1_000.0
"""Largest LDH (x the upper limit of normal); measured values stay below ~50."""
MAX_REPLICATES = 10_000
"""Most resampled replicates of a Monte-Carlo summary (e.g. the supply forecast's centres)."""


class InputFileError(ValueError):
    """A user file is invalid; the message is one line: file, field, what was expected."""


# --------------------------------------------------------------------------------------------- echo

def shorten(value: Any, limit: int = MAX_ECHO) -> str:
    """``repr(value)`` on one line, cut to about ``limit`` characters (``...`` and the full length appended)."""
    if isinstance(value, (str, bytes)) and len(value) > 4 * limit:
        value = value[: 2 * limit]  # no need to repr a megabyte
        text = repr(value)[:limit]
        return f"{text}... (cut)"
    try:
        text = repr(value)
    except Exception:  # pragma: no cover - a broken __repr__
        text = f"<{type(value).__name__}>"
    text = " ".join(text.split())
    if len(text) > limit:
        return f"{text[:limit]}... ({len(text)} characters)"
    return text


def one_line(text: str, limit: int = 4 * MAX_ECHO) -> str:
    """``text`` with whitespace runs folded into one space, cut to ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "..."


# --------------------------------------------------------------------------------------------- values

_REAL = (int, float, np.integer, np.floating)


def _number(value: Any) -> Any:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, _REAL):
        raise PydanticCustomError("float_type", "Input should be a valid number")
    return value


def _integer(value: Any) -> Any:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, _REAL):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


Number = Annotated[float, AllowInfNan(False), BeforeValidator(_number)]
"""A finite number (int or float; not a boolean, not text, not NaN or infinite)."""
Integer = Annotated[int, BeforeValidator(_integer)]
"""An integer (``3`` or ``3.0``; not a boolean, not text)."""
Text = Annotated[str, Strict()]
"""Text (not a number, not bytes)."""
Flag = StrictBool
"""``true`` or ``false`` (not ``'no'``, not ``1``)."""


def _identifier(value: Any) -> Any:
    if isinstance(value, str) and (_ID_CONTROL.search(value) or not value.strip()):
        raise PydanticCustomError("id_text", "Input should be a name without control characters")
    return value


Id = Annotated[str, Strict(), AfterValidator(_identifier)]
"""A name (patient, lesion, vial id): text without control characters, not blank."""


def not_bool(value: Any) -> Any:
    """A before-validator for literal choices of numbers (``Literal[0, 1]`` would take ``true`` for 1)."""
    if isinstance(value, (bool, np.bool_)):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


# --------------------------------------------------------------------------------------------- files

def read_text(path: str | Path, limit: int = MAX_FILE_BYTES) -> str:
    """The text of ``path`` (UTF-8, BOM allowed, at most ``limit`` bytes); :class:`InputFileError` otherwise."""
    path = Path(path)
    try:
        if path.is_dir():
            raise InputFileError(f"{path}: is a directory, expected a file")
        if path.exists() and not path.is_file():
            raise InputFileError(f"{path}: not a regular file")
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as err:
        raise InputFileError(f"{path}: cannot read file ({err.strerror or err})") from None
    if len(data) > limit:
        raise too_large(path, limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputFileError(f"{path}: not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start}; "
                             "save the file as UTF-8)") from None


def too_large(path: str | Path, limit: int) -> InputFileError:
    """The one-line error for an input file of more than ``limit`` bytes."""
    return InputFileError(f"{path}: file larger than {_size(limit)} (the most an input file may be)")


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n % (1 << 20) == 0 else f"{n >> 10} kiB" if n % 1024 == 0 else f"{n} bytes"


def read_yaml(path: str | Path, limit: int = MAX_FILE_BYTES) -> object:
    """The YAML document in ``path`` (strict: see the module); :class:`InputFileError` in one line otherwise."""
    return loads_yaml(read_text(path, limit), str(path))


def read_json(path: str | Path, limit: int = MAX_FILE_BYTES) -> object:
    """The JSON document in ``path`` (strict: see the module); :class:`InputFileError` in one line otherwise."""
    return loads_json(read_text(path, limit), str(path))


# --------------------------------------------------------------------------------------------- YAML

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(_CORE + t for t in ("str", "int", "float", "bool", "null"))
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_ID_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""Characters no id may hold (C0 incl. tab and newline, DEL, C1): ids reach terminals, files and XML."""
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


class _Refused(yaml.MarkedYAMLError):
    """A YAML construct ovsim does not read (alias, tag, duplicate key, depth, a value of the wrong form)."""


def _refuse(problem: str, event: Any) -> _Refused:
    return _Refused(problem=problem, problem_mark=getattr(event, "start_mark", None))


class _PyParser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
    """PyYAML's pure-Python parser (events only), where libyaml is not installed."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)


def _parser(text: str) -> Any:
    try:
        from yaml._yaml import CParser  # libyaml: ~50x faster than the pure-Python parser
    except ImportError:  # pragma: no cover - PyYAML without libyaml
        return _PyParser(text)
    return CParser(text)


def _shown_tag(tag: str) -> str:
    return one_line("!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag, 60)


def _scalar(event: Any) -> Any:
    """The value of a scalar event: the core schema of YAML 1.2 for plain scalars, text when quoted."""
    value, tag = event.value, event.tag
    if tag in (None, "!"):
        if tag == "!" or not event.implicit[0]:  # quoted, or the non-specific tag: text
            return value
        for pattern, kind in ((_NULL, "null"), (_BOOL, "bool"), (_INT, "int"), (_FLOAT, "float")):
            if pattern.match(value):
                tag = _CORE + kind
                break
        else:
            return value
    if tag not in _SCALAR_TAGS:
        raise _refuse(f"tag {_shown_tag(tag)} is not allowed (only plain values, lists and mappings)", event)
    kind = tag[len(_CORE):]
    if kind == "str":
        return value
    if kind == "null":
        if not _NULL.match(value):
            raise _refuse(f"expected null (got {shorten(value, 60)})", event)
        return None
    if kind == "bool":
        if not _BOOL.match(value):
            raise _refuse(f"expected true or false (got {shorten(value, 60)})", event)
        return value.lower() == "true"
    if kind == "int":
        if not _INT.match(value) or len(value) > 40:
            raise _refuse(f"expected an integer of at most 40 digits (got {shorten(value, 60)})", event)
        if value.startswith(("0o", "0x")):
            return int(value[2:], 8 if value[1] == "o" else 16)
        return int(value, 10)
    if not _FLOAT.match(value) or len(value) > 100:
        raise _refuse(f"expected a number (got {shorten(value, 60)})", event)
    low = value.lower()
    if low.endswith(".inf"):
        return -math.inf if low.startswith("-") else math.inf
    return math.nan if low == ".nan" else float(value)


def _document(parser: Any) -> Any:
    """Build the value of one document from the parser's events, iteratively (no recursion), refusing
    aliases and anchors, tags other than the core ones, duplicate or non-text keys and deep nesting."""
    stack: list[list[Any]] = []  # [container, key or _KEY (a mapping waits for a key), {key: line}]
    while True:
        event = parser.get_event()
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _refuse("aliases and anchors are not allowed", event)
        if isinstance(event, (SequenceEndEvent, MappingEndEvent)):
            value = stack.pop()[0]
        elif isinstance(event, CollectionStartEvent):
            want = _CORE + ("seq" if isinstance(event, SequenceStartEvent) else "map")
            if event.tag not in (None, "!", want):
                raise _refuse(f"tag {_shown_tag(event.tag)} is not allowed (only plain values, lists and mappings)",
                              event)
            if stack and isinstance(stack[-1][0], dict) and stack[-1][1] is _KEY:
                raise _refuse("mapping keys must be plain text", event)
            if len(stack) >= MAX_DEPTH:
                raise _refuse(f"nested more than {MAX_DEPTH} levels deep", event)
            stack.append([[], None, None] if isinstance(event, SequenceStartEvent) else [{}, _KEY, {}])
            continue
        elif isinstance(event, ScalarEvent):
            top = stack[-1] if stack else None
            if top is not None and isinstance(top[0], dict) and top[1] is _KEY:
                if event.tag not in (None, "!") and event.tag not in _SCALAR_TAGS:
                    raise _refuse(f"tag {_shown_tag(event.tag)} is not allowed (only plain values, lists and "
                                  "mappings)", event)
                key, line = event.value, event.start_mark.line + 1  # keys are names: `1e6:` is the text "1e6"
                if key in top[2]:
                    raise _refuse(f"duplicate key {shorten(key, 80)} (first at line {top[2][key]})", event)
                top[2][key] = line
                top[1] = key
                continue
            value = _scalar(event)
        else:
            raise _refuse(f"unexpected {type(event).__name__}", event)  # pragma: no cover - parser guarantees
        if not stack:
            return value
        top = stack[-1]
        if isinstance(top[0], list):
            top[0].append(value)
        else:
            top[0][top[1]] = value
            top[1] = _KEY


_KEY = object()


def loads_yaml(text: str, name: str) -> object:
    """The single YAML document in ``text`` (``name``: the file, for messages); :class:`InputFileError` otherwise.

    Strict: see the module. The text is not bounded here: :func:`read_text` bounds files."""
    bad = _CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise InputFileError(f"{name}: line {line}: character #x{ord(bad.group()):04x} is not allowed (a control "
                             "character)")
    parser = _parser(text)
    try:
        parser.get_event()  # stream start
        if isinstance(parser.peek_event(), StreamEndEvent):
            return None
        parser.get_event()  # document start
        if isinstance(parser.peek_event(), DocumentEndEvent):
            value = None
        else:
            value = _document(parser)
        parser.get_event()  # document end
        event = parser.get_event()
        if not isinstance(event, StreamEndEvent):
            raise yaml.composer.ComposerError("expected a single document in the stream", None,
                                              "but found another document", event.start_mark)
        return value
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        what = one_line(err.problem or err.context or "")
        if "maximum nesting depth" in what:  # libyaml's own limit (1000) is above ours
            raise InputFileError(f"{name}: line {mark.line + 1}: nested more than {MAX_DEPTH} levels deep"
                                 if mark else f"{name}: nested more than {MAX_DEPTH} levels deep") from None
        if isinstance(err, _Refused):
            raise InputFileError(f"{name}: line {mark.line + 1}: {what}" if mark else f"{name}: {what}") from None
        if "single document" in (err.context or ""):
            what = "expected a single document, found another after ---"
        raise InputFileError(f"{name}: not valid YAML{where}" + (f" ({what})" if what else "")) from None
    except yaml.YAMLError as err:
        raise InputFileError(f"{name}: not valid YAML ({one_line(str(err), 200)})") from None
    finally:
        parser.dispose()


# --------------------------------------------------------------------------------------------- JSON

def _pairs(name: str):
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise InputFileError(f"{name}: duplicate key {shorten(key, 80)}")
            out[key] = value
        return out
    return hook


def _constant(name: str):
    def hook(word: str) -> float:
        raise InputFileError(f"{name}: {word} is not allowed (expected finite numbers)")
    return hook


def _float(name: str):
    def hook(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            raise InputFileError(f"{name}: number {shorten(text, 60)} is out of range (expected finite numbers)")
        return value
    return hook


def loads_json(text: str, name: str) -> object:
    """The JSON value in ``text``: no duplicate keys, no NaN/Infinity, finite numbers, at most
    :data:`MAX_DEPTH` levels; :class:`InputFileError` in one line naming ``name`` otherwise."""
    if _json_depth(text) > MAX_DEPTH:
        raise InputFileError(f"{name}: nested more than {MAX_DEPTH} levels deep")
    try:
        return json.loads(text, object_pairs_hook=_pairs(name), parse_constant=_constant(name),
                          parse_float=_float(name))
    except json.JSONDecodeError as err:
        raise InputFileError(f"{name}: not valid JSON at line {err.lineno}, column {err.colno} ({err.msg})") from None
    except InputFileError:
        raise
    except (ValueError, RecursionError) as err:  # e.g. an integer of more than 4300 digits
        raise InputFileError(f"{name}: not valid JSON ({one_line(str(err), 120)})") from None


def _json_depth(text: str) -> int:
    """Deepest bracket nesting of JSON ``text`` (strings skipped); cheap, before parsing."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    return deepest
        elif ch in "]}":
            depth -= 1
    return deepest
