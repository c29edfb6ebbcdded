"""Malformed inputs for every ovsim input surface, run through the real CLI in-process, and judged.

Used by ``tests/test_fuzz.py`` (a fast, deterministic subset in the suite; ``OVSIM_FUZZ=long`` for the
long run) and as a script that counts what a long run finds::

    .venv/bin/python tests/fuzz_inputs.py --examples 200 --json results/fuzz/census.json

Surfaces: patient files (YAML; ``ovsim simulate`` and ``ovsim model --sbml``), trial scenarios (YAML;
``ovsim trial``), lesion lists (CSV; ``ovsim plan``), handling logs (CSV; ``ovsim handling``), saved
populations (Parquet + JSON; ``ovsim cohort --population``) and command-line flags of every command.
Each case is a valid example (``examples/``, shortened so that a valid case simulates in about a
second) with one mutation; the mutation says whether the input must be refused (``must_reject``:
NaN, infinity, wrong type, unknown or duplicate key, out of any physical bound, not UTF-8, ...) or
may be accepted (then the outputs are checked instead), and which file and field the one-line error
has to name.

Findings, by category (see :data:`CATEGORIES`): a traceback or an exception escaping, an internal
error (exit 3), a hang (past the per-case time bound), an exit code outside 0/1/2, a silent accept
(invalid input, exit 0), an error that is not exactly one line naming the file and field, something
written into ``--out`` (or beside it) on error, wrong numbers (exit 0 with NaN or infinity in the
results), unescaped user text (CSV formulas, Rich markup, terminal control characters), a valid
example refused, and a case that raised the process's peak memory by more than a bound.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import re
import resource
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"

CASE_SECONDS = float(os.environ.get("OVSIM_FUZZ_CASE_SECONDS", "30"))
"""Per-case time bound (seconds): a case still running then is stopped and counted as a hang."""
CASE_MEMORY_MB = float(os.environ.get("OVSIM_FUZZ_CASE_MEMORY_MB", "1500"))
"""Per-case memory bound: a case that raises the process's peak resident memory by more is counted."""

CATEGORIES = (
    "traceback", "internal_error", "hang", "bad_exit_code", "silent_accept", "error_format",
    "output_on_error", "wrong_numbers", "unescaped", "valid_rejected", "memory",
)

# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------

MARKUP = "[bold red]ZZMARKUP[/]"
FORMULAS = ("=cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0")
TEXT_PAYLOADS = (MARKUP, "$\\frac{$", "<script>alert(1)</script>", "x\x1b[31mRED\x1b[0m", "a\x00b", "line1\nline2",
                 "tab\there", "\u202eevil", "[/]", "Zoë ✓", *FORMULAS)
LONG_TEXT = "L" * 100_000


@dataclass(frozen=True)
class Value:
    """A replacement value and what it is (``kind``), for the must-reject rules."""

    value: Any
    kind: str


NUMBER_VALUES = (
    Value(math.nan, "nan"), Value(math.inf, "inf"), Value(-math.inf, "inf"), Value(-1, "negative"),
    Value(-1e-9, "negative"), Value(0, "zero"), Value(1e308, "huge"), Value(10**30, "huge"), Value(1e-300, "tiny"),
    Value(2.5, "fraction"), Value(True, "bool"), Value(False, "bool"), Value("abc", "text"), Value("", "text"),
    Value("12abc", "text"), Value("1.5", "numeric_text"), Value(None, "null"), Value([1, 2], "list"),
    Value({"a": 1}, "dict"),
)
BOOL_VALUES = (
    Value("yes", "text"), Value("true", "text"), Value(1, "number"), Value(0, "number"), Value(math.nan, "nan"),
    Value(None, "null"), Value([True], "list"), Value({"a": True}, "dict"), Value("", "text"),
)
TEXT_VALUES = (
    *(Value(p, "payload") for p in TEXT_PAYLOADS), Value(LONG_TEXT, "long_text"), Value("", "empty"),
    Value("zz-not-a-name", "unknown_word"), Value(5, "number"), Value(math.nan, "nan"), Value(True, "bool"),
    Value(None, "null"), Value(["a"], "list"), Value({"a": "b"}, "dict"),
)
CONTAINER_VALUES = (
    Value(5, "number"), Value(math.nan, "nan"), Value(True, "bool"), Value("zz-not-a-name", "text"), Value(None, "null"),
    Value(MARKUP, "payload"),
)

# ---------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------


@dataclass
class Case:
    """One command line over one set of input files.

    ``argv`` may hold ``{in}`` (the folder with ``files``), ``{out}`` (the output folder, absent
    beforehand) and ``{courses}`` (a shared courses cache for ``ovsim supply``).
    """

    surface: str
    label: str
    argv: list[str]
    files: dict[str, bytes] = field(default_factory=dict)
    must_reject: bool = False
    valid: bool = False
    file: str | None = None       # input file the one-line error must name
    field: str | tuple[str, ...] | None = None  # field (or flag) the one-line error must name (one of these)
    reject_codes: tuple[int, ...] = (1, 2)
    accept_codes: tuple[int, ...] = (0,)

    def __repr__(self) -> str:  # short, for Hypothesis' reports and the census
        return f"Case({self.surface}: {self.label}; argv={self.argv!r}; must_reject={self.must_reject})"


def _yaml_text(doc: Any) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=10_000)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (tuple of keys and indices) below ``node`` (not the root itself)."""
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            out.append(prefix + (k,))
            out.extend(_paths(v, prefix + (k,)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append(prefix + (i,))
            out.extend(_paths(v, prefix + (i,)))
    return out


def _get(node: Any, path: tuple) -> Any:
    for p in path:
        node = node[p]
    return node


def _set(node: Any, path: tuple, value: Any) -> None:
    _get(node, path[:-1])[path[-1]] = value


def _field_name(path: tuple) -> str | None:
    """The last key of ``path`` (the field an error about it must name)."""
    keys = [p for p in path if isinstance(p, str)]
    return keys[-1] if keys else None


def _copy(doc: Any) -> Any:
    return json.loads(json.dumps(doc))


# --- the must-reject rules for YAML documents -----------------------------------------------

SIGNED_OK = re.compile(r"^(beta_|intercept_)")   # coefficients that may be negative
UNBOUNDED_OK = {"seed"}                           # numbers without an upper bound
GRID_STEPS = {"output_every_days", "every_days"}  # a tiny step is a huge output grid
ENUMS = {"site", "stage", "criterion", "design", "population", "rules", "model", "name"}
OPTIONAL_NULL = {"parameters", "regimen", "accessibility", "doubling_time_days", "ecog", "ldh_x_uln", "stage",
                 "prices", "supply_forecast", "label", "description", "source",
                 "tvec", "gmcsf"}  # a treatment's options: null = its defaults


def _must_reject_replacement(path: tuple, original: Any, new: Value) -> bool:
    key = _field_name(path) or ""
    if isinstance(original, bool):
        return new.kind not in ("null",)
    if isinstance(original, (int, float)):
        if new.kind in ("nan", "inf", "bool", "text", "list", "dict"):
            return True
        if new.kind == "negative":
            return not SIGNED_OK.match(key)
        if new.kind == "huge":
            return key not in UNBOUNDED_OK
        if new.kind == "tiny":
            return key in GRID_STEPS
        if new.kind == "null":
            return key not in OPTIONAL_NULL
        return False
    if isinstance(original, str):
        if new.kind in ("list", "dict"):
            return True
        if key in ENUMS and new.kind in ("payload", "long_text", "empty", "unknown_word", "bool"):
            return True
        return False
    if isinstance(original, (dict, list)):
        if new.kind in ("number", "nan", "bool"):
            return True
        if new.kind == "null":
            return key not in OPTIONAL_NULL
        return new.kind == "payload" and not isinstance(original, dict)
    return False


def _values_for(original: Any) -> tuple[Value, ...]:
    if isinstance(original, bool):
        return BOOL_VALUES
    if isinstance(original, (int, float)):
        return NUMBER_VALUES
    if isinstance(original, str):
        return TEXT_VALUES
    return CONTAINER_VALUES


BILLION_LAUGHS = ("[&a [lol, lol, lol, lol, lol, lol, lol, lol, lol], &b [*a, *a, *a, *a, *a, *a, *a, *a, *a], "
                  "&c [*b, *b, *b, *b, *b, *b, *b, *b, *b], &d [*c, *c, *c, *c, *c, *c, *c, *c, *c], "
                  "&e [*d, *d, *d, *d, *d, *d, *d, *d, *d], &f [*e, *e, *e, *e, *e, *e, *e, *e, *e], "
                  "&g [*f, *f, *f, *f, *f, *f, *f, *f, *f], &h [*g, *g, *g, *g, *g, *g, *g, *g, *g], "
                  "&i [*h, *h, *h, *h, *h, *h, *h, *h, *h]]")
"""Nine levels of nine aliases: 9^9 (387 million) strings if expanded."""

HUGE_FILE_BYTES = int(os.environ.get("OVSIM_FUZZ_HUGE_BYTES", str(4 * 2**20)))
"""Size of the padded ('huge file') variants: beyond any sensible bound on an input file."""


def _text_mutation(draw, doc: dict, text: str) -> tuple[bytes, str, bool, str | None]:
    """A mutation of the YAML text: (bytes, label, must_reject, field)."""
    keys = list(doc)
    kind = draw(st.sampled_from((
        "duplicate_key", "billion_laughs", "binary_tag", "python_tag", "non_utf8", "raw_nul", "deep_nesting",
        "empty", "whitespace", "null_doc", "top_list", "huge_file", "truncate", "benign_alias", "bom", "crlf",
        "tab_indent", "yaml_merge",
    )))
    key = draw(st.sampled_from(keys))
    lines = text.splitlines(keepends=True)
    if kind == "duplicate_key":
        first = _yaml_text({key: doc[key]})
        return (text + first).encode(), f"duplicate top-level key {key!r}", True, key
    if kind == "billion_laughs":
        return (_yaml_text({k: v for k, v in doc.items() if k != key}) + f"{key}: {BILLION_LAUGHS}\n").encode(), \
            f"billion laughs as {key!r}", True, None
    if kind == "binary_tag":
        return (_yaml_text({k: v for k, v in doc.items() if k != key}) + f"{key}: !!binary aGVsbG8=\n").encode(), \
            f"!!binary as {key!r}", True, None
    if kind == "python_tag":
        return (_yaml_text({k: v for k, v in doc.items() if k != key})
                + f"{key}: !!python/object/apply:os.system ['echo pwned']\n").encode(), \
            f"!!python tag as {key!r}", True, None
    if kind == "non_utf8":
        at = draw(st.integers(0, len(lines)))
        junk = draw(st.sampled_from((b"# caf\xe9\n", b"\xff\xfe\xfa\n", b"# \xc3\x28\n")))
        data = "".join(lines[:at]).encode() + junk + "".join(lines[at:]).encode()
        return data, "non-UTF-8 bytes", True, None
    if kind == "raw_nul":
        pos = draw(st.integers(0, len(text)))
        return (text[:pos] + "\x00" + text[pos:]).encode(), "raw NUL character", True, None
    if kind == "deep_nesting":
        depth = draw(st.sampled_from((200, 5_000, 50_000)))
        return (_yaml_text({k: v for k, v in doc.items() if k != key})
                + f"{key}: " + "[" * depth + "]" * depth + "\n").encode(), f"nesting {depth} deep as {key!r}", True, None
    if kind == "empty":
        return b"", "empty file", True, None
    if kind == "whitespace":
        return b"  \n# only a comment\n\n", "comment only", True, None
    if kind == "null_doc":
        return b"null\n", "null document", True, None
    if kind == "top_list":
        return _yaml_text([doc]).encode(), "a list at the top level", True, None
    if kind == "huge_file":
        pad = b"# padding\n" * (HUGE_FILE_BYTES // 10)
        return text.encode() + pad, f"{HUGE_FILE_BYTES >> 20} MiB file", True, None
    if kind == "truncate":
        pos = draw(st.integers(0, max(0, len(text) - 1)))
        return text[:pos].encode(), f"truncated at {pos}", pos == 0, None
    if kind == "benign_alias":
        scalars = [k for k, v in doc.items() if isinstance(v, (str, int, float)) and not isinstance(v, bool)]
        if scalars:  # an anchor on a valid scalar, never used: harmless (a reader may still refuse anchors)
            k = scalars[0]
            rest = _yaml_text({kk: vv for kk, vv in doc.items() if kk != k})
            return (f"{k}: &x {json.dumps(doc[k])}\n" + rest).encode(), f"an anchor on {k!r}", False, None
        return text.encode(), "unchanged", False, None
    if kind == "bom":
        return b"\xef\xbb\xbf" + text.encode(), "UTF-8 byte-order mark", False, None
    if kind == "crlf":
        return text.replace("\n", "\r\n").encode(), "CRLF line ends", False, None
    if kind == "tab_indent":
        return text.replace("\n  ", "\n\t", 1).encode(), "a tab in the indentation", "\n  " in text, None
    return (text + f"zz_merge: {{<<: {{a: 1}}}}\n").encode(), "merge key under an unknown key", True, "zz_merge"


@st.composite
def yaml_mutation(draw, base: dict, required: set[tuple]) -> tuple[bytes, str, bool, str | None]:
    """One mutation of the document ``base``: (file bytes, label, must_reject, field the error must name)."""
    doc = _copy(base)
    op = draw(st.sampled_from(("replace", "replace", "replace", "delete", "extra", "rename", "text", "text",
                               "duplicate_item", "many_items")))
    paths = _paths(doc)
    if op == "text":
        return _text_mutation(draw, doc, _yaml_text(doc))
    if op in ("duplicate_item", "many_items"):
        lists = [p for p in paths if isinstance(_get(doc, p), list) and _get(doc, p)]
        if lists:
            path = draw(st.sampled_from(lists))
            items = _get(doc, path)
            if op == "duplicate_item":
                items.append(_copy(items[draw(st.integers(0, len(items) - 1))]))
                return _yaml_text(doc).encode(), f"duplicate item in {path!r}", True, _field_name(path)
            many = []
            for i in range(2000):
                item = _copy(items[i % len(items)])
                if isinstance(item, dict) and "id" in item:
                    item["id"] = f"{item['id']}-{i}"
                many.append(item)
            _set(doc, path, many)
            return _yaml_text(doc).encode(), f"2000 items in {path!r}", False, None
        op = "replace"
    if op == "delete":
        path = draw(st.sampled_from([p for p in paths if isinstance(p[-1], str)]))
        del _get(doc, path[:-1])[path[-1]]
        generic = tuple("*" if isinstance(p, int) or (len(path) > 1 and path[0] == "arms" and i == 1) else p
                        for i, p in enumerate(path))
        must = generic in required
        return _yaml_text(doc).encode(), f"deleted {path!r}", must, _field_name(path)
    if op in ("extra", "rename"):
        dicts = [()] + [p for p in paths if isinstance(_get(doc, p), dict)]
        path = draw(st.sampled_from(dicts))
        node = _get(doc, path)
        if op == "rename" and node:
            old = draw(st.sampled_from(sorted(node)))
            new = old[:-1] if len(old) > 2 else old + "x"
            node[new] = node.pop(old)
            free = path == ("arms",)  # arm names are the user's own
            return _yaml_text(doc).encode(), f"renamed {path + (old,)!r} to {new!r}", not free, (old, new)
        name = draw(st.sampled_from(("zz_unknown", "Horizon_days", "lesion", "idd")))
        if name in node:
            name = "zz_unknown"
        node[name] = draw(st.sampled_from((1, "x", [1], {"a": 1})))
        return _yaml_text(doc).encode(), f"extra key {name!r} at {path!r}", True, name
    path = draw(st.sampled_from(paths))
    original = _get(doc, path)
    new = draw(st.sampled_from(_values_for(original)))
    _set(doc, path, new.value)
    must = _must_reject_replacement(path, original, new)
    text = _yaml_text(doc)
    return text.encode(), f"{path!r}: {original!r} -> {new.value!r:.60} ({new.kind})", must, _field_name(path)


# --- bases ------------------------------------------------------------------------------------


def patient_bases() -> list[dict]:
    """The patient examples, shortened to 28 days on a weekly grid (a valid case simulates in ~0.5 s)."""
    out = []
    for name in ("patient_reference.yaml", "patient_gmcsf.yaml"):
        doc = yaml.safe_load((EXAMPLES / name).read_text())
        doc["horizon_days"], doc["output_every_days"] = 28, 7
        out.append(doc)
    return out


PATIENT_REQUIRED = {("patient",), ("patient", "id"), ("lesions",), ("lesions", "*", "id"), ("lesions", "*", "site"),
                    ("lesions", "*", "longest_diameter_cm"), ("regimen", "gmcsf")}
# (deleting the GM-CSF example's regimen falls back to T-VEC: a different but valid patient file)
PATIENT_REQUIRED.discard(("regimen", "gmcsf"))

SURVIVAL_MODEL = {"tumour_hazard_per_month": 0.02, "beta_burden": 0.05, "beta_growth_day": 30.0,
                  "burden_reference_cm3": 10.0, "beta_ecog1": 0.647, "beta_ldh_high": 0.85}


def scenario_bases() -> list[dict]:
    """The trial examples with an 8-week assessment (and, for the paired one, explicit survival
    coefficients; for the priced one, a small supply forecast), run with ``--patients 3``."""
    paired = yaml.safe_load((EXAMPLES / "trial_paired.yaml").read_text())
    paired["assessment"] = {"every_days": 28, "horizon_days": 56, "criterion": "modified_who"}
    paired["survival"] = {"follow_up_months": 60, "accrual_months": 24, "model": dict(SURVIVAL_MODEL)}
    costs = yaml.safe_load((EXAMPLES / "trial_costs.yaml").read_text())
    costs["assessment"] = {"every_days": 28, "horizon_days": 56}
    costs["supply_forecast"] = {"patients_per_month": 4, "months": 2, "replicates": 10}
    return [paired, costs]


SCENARIO_REQUIRED = {("name",), ("arms",), ("arms", "*", "n"), ("arms", "*", "regimen"),
                     ("supply_forecast", "patients_per_month"), ("supply_forecast", "months")}


def _patient_argv(which: str) -> list[str]:
    if which == "model":
        return ["model", "--sbml", "{in}/patient.yaml", "-o", "{out}/model.xml"]
    return ["simulate", "{in}/patient.yaml", "--out", "{out}", "--backend", "scipy", "--format", "csv"]


@st.composite
def patient_cases(draw) -> Case:
    base = draw(st.sampled_from(patient_bases()))
    data, label, must, fld = draw(yaml_mutation(base, PATIENT_REQUIRED))
    command = draw(st.sampled_from(("simulate", "simulate", "simulate", "model")))
    return Case("patient", label, _patient_argv(command), {"patient.yaml": data}, must, file="patient.yaml",
                field=fld if must else None)


@st.composite
def scenario_cases(draw) -> Case:
    base = draw(st.sampled_from(scenario_bases()))
    data, label, must, fld = draw(yaml_mutation(base, SCENARIO_REQUIRED))
    report = any(p in label for p in ("ZZMARKUP", "script", "frac")) or draw(st.integers(0, 19)) == 0
    argv = ["trial", "{in}/scenario.yaml", "--patients", "3", "--out", "{out}"] + ([] if report else ["--no-report"])
    return Case("scenario", label, argv, {"scenario.yaml": data}, must, file="scenario.yaml",
                field=fld if must else None)


# --- CSV files --------------------------------------------------------------------------------


def _csv_text(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


CSV_CELL_VALUES = ("nan", "NaN", "inf", "-inf", "Infinity", "1e400", "-1", "-300", "0", "1e308", "1e-300", "2.5",
                   " 3 ", "1_000", "0x10", "abc", "", "true", "yes", "2", *TEXT_PAYLOADS, LONG_TEXT[:5000])


def _lesion_cell_must_reject(column: str, value: str) -> bool:
    v = value.strip().lower()
    if column == "lesion_id":
        return v == ""
    if column == "site":
        return v not in ("cutaneous", "subcutaneous", "nodal", "lung", "liver", "visceral_other")
    if column == "longest_diameter_cm":
        try:
            x = float(v)
        except ValueError:
            return True
        return not (math.isfinite(x) and 0 <= x <= 1000)
    if column == "new":
        return v not in ("true", "false", "yes", "no", "1", "0")
    return False


def _handling_cell_must_reject(column: str, value: str) -> bool:
    v = value.strip().lower()
    if column == "vial_id":
        return v == ""
    if column == "strength_pfu_per_ml":
        try:
            return float(v) not in (1e6, 1e8)
        except ValueError:
            return True
    if column == "event":
        return v not in ("shipped", "stored", "thawed", "drawn", "administered", "discarded")
    if column == "time":
        return True  # none of the cell values is a date-time
    if column == "temperature_c":
        if v == "":
            return False  # may be empty on terminal events; else refused (sequence rules)
        try:
            x = float(v)
        except ValueError:
            return True
        return not (math.isfinite(x) and -273.15 <= x <= 100)
    return False


@st.composite
def csv_mutation(draw, rows: list[list[str]], cell_rule: Callable[[str, str], bool], key_column: str,
                 optional_extra: bool) -> tuple[bytes, str, bool, str | None]:
    """One mutation of a CSV table: (bytes, label, must_reject, field)."""
    rows = [list(r) for r in rows]
    header, body = rows[0], rows[1:]
    op = draw(st.sampled_from(("cell", "cell", "cell", "cell", "drop_column", "duplicate_column", "rename_header",
                               "extra_column", "header_only", "duplicate_row", "ragged", "non_utf8", "bom", "crlf",
                               "empty", "nul", "semicolons", "unbalanced_quote", "many_rows", "shuffle")))
    if op == "cell":
        r = draw(st.integers(0, len(body) - 1))
        c = draw(st.integers(0, len(header) - 1))
        value = draw(st.sampled_from(CSV_CELL_VALUES))
        original = body[r][c]
        body[r][c] = value
        must = cell_rule(header[c], value)
        return _csv_text([header] + body).encode(), f"row {r + 1} {header[c]}: {original!r} -> {value!r:.60}", \
            must, header[c]
    if op == "drop_column":
        c = draw(st.integers(0, len(header) - 1))
        name = header[c]
        return _csv_text([[x for i, x in enumerate(r) if i != c] for r in rows]).encode(), f"column {name!r} dropped", \
            True, name
    if op == "duplicate_column":
        c = draw(st.integers(0, len(header) - 1))
        return _csv_text([r + [r[c]] for r in rows]).encode(), f"column {header[c]!r} twice", True, header[c]
    if op == "rename_header":
        c = draw(st.integers(0, len(header) - 1))
        name = header[c]
        header[c] = name + "x"
        return _csv_text([header] + body).encode(), f"header {name!r} renamed", True, name
    if op == "extra_column":
        return _csv_text([header + ["zz_extra"]] + [r + ["=1+1"] for r in body]).encode(), "extra column", \
            not optional_extra, "zz_extra"
    if op == "header_only":
        return _csv_text([header]).encode(), "header only", True, None
    if op == "duplicate_row":
        r = draw(st.integers(0, len(body) - 1))
        body.insert(r, list(body[r]))
        must = key_column == "lesion_id"
        return _csv_text([header] + body).encode(), f"row {r + 1} twice", must, key_column if must else None
    if op == "ragged":
        r = draw(st.integers(0, len(body) - 1))
        body[r] = body[r] + ["extra"]
        return _csv_text([header] + body).encode(), f"row {r + 1} has an extra field", True, None
    text = _csv_text(rows)
    if op == "non_utf8":
        pos = draw(st.integers(0, len(text)))
        return text[:pos].encode() + b"\xe9\xff" + text[pos:].encode(), "non-UTF-8 bytes", True, None
    if op == "bom":
        return b"\xef\xbb\xbf" + text.encode(), "UTF-8 byte-order mark", False, None
    if op == "crlf":
        return text.replace("\n", "\r\n").encode(), "CRLF line ends", False, None
    if op == "empty":
        return b"", "empty file", True, None
    if op == "nul":
        pos = draw(st.integers(len(text.splitlines()[0]) + 1, len(text)))
        # a NUL in an id may be kept (and must then be escaped in every output); in a number it is refused
        return (text[:pos] + "\x00" + text[pos:]).encode(), "NUL character", False, None
    if op == "semicolons":
        return text.replace(",", ";").encode(), "semicolon-separated", True, None
    if op == "unbalanced_quote":
        pos = draw(st.integers(len(text.splitlines()[0]) + 1, len(text) - 1))
        return (text[:pos] + '"' + text[pos:]).encode(), "an unbalanced quote", False, None
    if op == "many_rows":
        n = draw(st.sampled_from((5_000, 200_000)))
        extra = []
        for i in range(n):
            row = list(body[i % len(body)])
            row[header.index(key_column)] = f"{row[header.index(key_column)]}-{i}"
            extra.append(row)
        return _csv_text([header] + extra).encode(), f"{n} rows", False, None
    perm = draw(st.permutations(range(len(body))))
    return _csv_text([header] + [body[i] for i in perm]).encode(), "rows shuffled", False, None


def _read_csv_rows(path: Path) -> list[list[str]]:
    with path.open(newline="") as handle:
        return [r for r in csv.reader(handle) if r]


@st.composite
def lesion_cases(draw) -> Case:
    name, visit = draw(st.sampled_from((("lesions_visit1.csv", "1"), ("lesions_visit3.csv", "3"))))
    data, label, must, fld = draw(csv_mutation(_read_csv_rows(EXAMPLES / name), _lesion_cell_must_reject,
                                               "lesion_id", optional_extra=True))
    fmt = draw(st.sampled_from(("table", "csv", "json")))
    return Case("lesions", label, ["plan", "{in}/lesions.csv", "--visit", visit, "--format", fmt],
                {"lesions.csv": data}, must, file="lesions.csv", field=fld if must else None)


@st.composite
def handling_cases(draw) -> Case:
    data, label, must, fld = draw(csv_mutation(_read_csv_rows(EXAMPLES / "handling_log.csv"),
                                               _handling_cell_must_reject, "vial_id", optional_extra=True))
    fmt = draw(st.sampled_from(("table", "json")))
    return Case("handling", label, ["handling", "{in}/log.csv", "--format", fmt], {"log.csv": data}, must,
                file="log.csv", field=fld if must else None, reject_codes=(2,), accept_codes=(0, 1))


# --- populations --------------------------------------------------------------------------------

_POPULATION_CACHE: dict[str, Any] = {}


def saved_population() -> tuple[Any, Any, dict]:
    """A small saved population (3 patients, seed 1): (patients, lesions, provenance)."""
    if "tables" not in _POPULATION_CACHE:
        from ovsim.population import generate_population

        pop = generate_population(3, seed=1)
        _POPULATION_CACHE["tables"] = (pop.patients.copy(), pop.lesions.copy(), dict(pop.provenance))
    p, les, prov = _POPULATION_CACHE["tables"]
    return p.copy(), les.copy(), json.loads(json.dumps(prov))


POP_VALUES = (Value(math.nan, "nan"), Value(math.inf, "inf"), Value(-math.inf, "inf"), Value(-1, "negative"),
              Value(0, "zero"), Value(1e308, "huge"), Value(2.0, "two"), Value("abc", "text"), Value(True, "bool"),
              Value(None, "null"), *(Value(p, "payload") for p in TEXT_PAYLOADS[:4]), Value(FORMULAS[0], "payload"))
_POP_OPTIONAL = {"ecog", "ldh_x_uln", "hsv1_seropositive", "bsa_m2", "doubling_time_days", "accessibility", "stage",
                 "arm", "n_lesions", "n_occult", "burst_size", "dc_recruitment_rate", "infection_rate", "kill_rate",
                 "priming_rate", "injection_intent"}
_POP_TEXT = {"patient_id", "lesion_id", "arm", "stage", "site"}
_POP_ENUM = {"stage", "site"}


def _population_cell_must_reject(table: str, column: str, v: Value) -> bool:
    if column in _POP_TEXT:
        if v.kind in ("nan", "null"):
            return column not in _POP_OPTIONAL
        if column in _POP_ENUM:
            return True
        return False
    if v.kind in ("nan", "null"):
        return column not in _POP_OPTIONAL
    if v.kind in ("inf", "negative", "huge", "text"):
        return True
    if v.kind == "bool":
        return column not in ("hsv1_seropositive", "injection_intent")
    if v.kind == "payload":
        return True
    if v.kind == "zero":
        return column in ("longest_diameter_cm", "accessibility", "doubling_time_days", "bsa_m2")
    if v.kind == "two":
        return column in ("accessibility", "hsv1_seropositive", "injection_intent")
    return False


def _parquet_bytes(frame) -> bytes:
    import pandas as pd

    buf = io.BytesIO()
    try:
        frame.to_parquet(buf, index=False)
    except Exception:  # a mixed column pyarrow cannot store: store it as text
        frame = frame.copy()
        for col in frame.columns:
            if frame[col].dtype == object:
                frame[col] = frame[col].map(lambda x: None if x is None else str(x))
        buf = io.BytesIO()
        pd.DataFrame(frame).to_parquet(buf, index=False)
    return buf.getvalue()


@st.composite
def population_cases(draw) -> Case:
    patients, lesions, prov = saved_population()
    op = draw(st.sampled_from(("cell", "cell", "cell", "cell", "drop_column", "extra_column", "duplicate_patient",
                               "orphan_lesion", "no_lesion", "empty", "corrupt", "no_json", "bad_json")))
    label, must, fld = "", False, None
    files: dict[str, bytes] = {}
    if op == "cell":
        table = draw(st.sampled_from(("patients", "lesions")))
        frame = patients if table == "patients" else lesions
        col = draw(st.sampled_from(list(frame.columns)))
        row = draw(st.integers(0, len(frame) - 1))
        v = draw(st.sampled_from(POP_VALUES))
        numeric = frame[col].dtype.kind in "iuf"
        frame[col] = frame[col].astype(object)
        frame.iat[row, frame.columns.get_loc(col)] = v.value
        note = ""
        if v.kind == "bool" and numeric:  # Parquet would store true as 1.0: store the column as text instead
            frame[col] = frame[col].map(str)
            note = "; column stored as text"
        label, must, fld = f"{table}.{col}[{row}] -> {v.value!r:.50} ({v.kind}{note})", \
            _population_cell_must_reject(table, col, v), col
    elif op == "drop_column":
        table = draw(st.sampled_from(("patients", "lesions")))
        frame = patients if table == "patients" else lesions
        col = draw(st.sampled_from(list(frame.columns)))
        if table == "patients":
            patients = patients.drop(columns=col)
        else:
            lesions = lesions.drop(columns=col)
        required = {"patient_id"} if table == "patients" else {"patient_id", "lesion_id", "site", "longest_diameter_cm"}
        label, must, fld = f"{table}.{col} dropped", col in required, col
    elif op == "extra_column":
        patients["zz_unknown"] = 1.0
        label, must, fld = "patients.zz_unknown added", True, "zz_unknown"
    elif op == "duplicate_patient":
        import pandas as pd

        patients = pd.concat([patients, patients.iloc[[0]]], ignore_index=True)
        label, must, fld = "a patient twice", True, "patient_id"
    elif op == "orphan_lesion":
        lesions.iat[0, lesions.columns.get_loc("patient_id")] = "NOBODY"
        label, must, fld = "a lesion of an unknown patient", True, "patient_id"
    elif op == "no_lesion":
        first = patients["patient_id"].iloc[0]
        lesions = lesions[lesions["patient_id"] != first]
        label, must, fld = "a patient without lesions", True, "patient_id"
    elif op == "empty":
        patients, lesions = patients.iloc[:0], lesions.iloc[:0]
        label, must, fld = "no patients", True, None
    files["pop/patients.parquet"] = _parquet_bytes(patients)
    files["pop/lesions.parquet"] = _parquet_bytes(lesions)
    files["pop/population.json"] = (json.dumps(prov, indent=2) + "\n").encode()
    if op == "corrupt":
        name = draw(st.sampled_from(("patients.parquet", "lesions.parquet")))
        how = draw(st.sampled_from(("truncated", "empty", "text", "garbage")))
        data = files[f"pop/{name}"]
        files[f"pop/{name}"] = {"truncated": data[: len(data) // 2], "empty": b"", "text": b"patient_id,x\nA,1\n",
                                "garbage": bytes(range(256)) * 8}[how]
        label, must, fld = f"{name} {how}", True, None
    elif op == "no_json":
        del files["pop/population.json"]
        label = "population.json missing"
    elif op == "bad_json":
        how = draw(st.sampled_from(("invalid", "non_utf8", "nan", "deep", "list", "huge_number")))
        files["pop/population.json"] = {
            "invalid": b"{not json", "non_utf8": b'{"seed": "\xff"}', "nan": b'{"seed": NaN}',
            "deep": b"[" * 100_000 + b"]" * 100_000, "list": b"[1, 2]", "huge_number": b'{"seed": 1e999}',
        }[how]
        label, must = f"population.json {how}", how in ("invalid", "non_utf8", "deep")
    argv = ["cohort", "--population", "{in}/pop", "--horizon-days", "28", "--every-days", "28", "--out", "{out}"]
    return Case("population", label, argv, files, must, file="pop", field=fld if must else None)


# --- command-line flags -----------------------------------------------------------------------------

COUNT_VALUES = ("-1", "0", "abc", "1.5", "nan", "inf", "1e3", "", "99999999999999999999999", "2000000", " 3", "0x10",
                MARKUP, FORMULAS[0])
FLOAT_VALUES = ("nan", "inf", "-inf", "-1", "0", "1e308", "1e-300", "abc", "", "1e400", MARKUP)


@dataclass(frozen=True)
class Flag:
    name: str
    kind: str                  # count, float, seed, choice, text, regimen, time, date, path
    must: Callable[[str], bool]


def _count_must(limit: float | None) -> Callable[[str], bool]:
    def rule(text: str) -> bool:
        try:
            n = int(text.strip()) if text.strip().lstrip("-").isdigit() else None
        except ValueError:
            n = None
        return n is None or n < 1 or (limit is not None and n > limit)
    return rule


def _float_must(zero_ok: bool, limit: float | None, step: bool = False) -> Callable[[str], bool]:
    """Must refuse: not a finite number, negative, zero (unless ``zero_ok``), above ``limit``, or, for a
    time step (``step``), so small that the output grid would be huge."""
    def rule(text: str) -> bool:
        try:
            x = float(text)
        except ValueError:
            return True
        return not math.isfinite(x) or x < 0 or (x == 0 and not zero_ok) or (limit is not None and x > limit) \
            or (step and 0 < x < 1e-3)
    return rule


def _seed_must(text: str) -> bool:
    t = text.strip()
    return not t.isdigit()


def _choice_must(choices: tuple[str, ...]) -> Callable[[str], bool]:
    return lambda text: text not in choices


REGIMEN_VALUES = ("zz", "{tvec: {rules: zz}}", "{tvec: .nan}", "{tvec: {rules: optim}, gmcsf: {days_on: .inf}}",
                  f"{{tvec: {BILLION_LAUGHS}}}", "{tvec: " + "[" * 5000, "{", "{}", "none", "tvec+tvec",
                  "{tvec: {rules: optim}, gmcsf: {days_on: 7}}", "{zz: 1}", "{tvec: !!binary aGVsbG8=}", "",
                  "{gmcsf: {days_on: -1}}", "{gmcsf: {dose_ug_per_m2_per_day: 1e308}}")
REGIMEN_OK = {"{}", "none", "tvec+tvec", "{tvec: {rules: optim}, gmcsf: {days_on: 7}}"}

COMMANDS: dict[str, tuple[list[str], dict[str, Flag]]] = {
    "trial": (["trial", "{in}/scenario.yaml", "--patients", "3", "--seed", "1", "--no-report", "--out", "{out}"], {
        "--patients": Flag("--patients", "count", _count_must(1_000_000)),
        "--seed": Flag("--seed", "seed", _seed_must),
        "--workers": Flag("--workers", "count", _count_must(None)),  # more than the cores: may be capped
    }),
    "cohort": (["cohort", "--patients", "2", "--seed", "1", "--horizon-days", "28", "--every-days", "28",
                "--regimen", "tvec", "--out", "{out}"], {
        "--patients": Flag("--patients", "count", _count_must(1_000_000)),
        "--seed": Flag("--seed", "seed", _seed_must),
        "--horizon-days": Flag("--horizon-days", "float", _float_must(False, 36525, step=True)),
        "--every-days": Flag("--every-days", "float", _float_must(False, 36525, step=True)),
        "--regimen": Flag("--regimen", "regimen", lambda t: t not in REGIMEN_OK),
        "--chunk-size": Flag("--chunk-size", "count", _count_must(None)),
        "--workers": Flag("--workers", "count", _count_must(None)),  # more than the cores: may be capped
    }),
    "population": (["population", "--patients", "3", "--seed", "1", "--arm", "tvec", "--out", "{out}"], {
        "--patients": Flag("--patients", "count", _count_must(1_000_000)),
        "--seed": Flag("--seed", "seed", _seed_must),
        "--arm": Flag("--arm", "choice", _choice_must(("tvec", "gmcsf"))),
    }),
    "simulate": (["simulate", "{in}/patient.yaml", "--out", "{out}", "--backend", "scipy", "--format", "csv"], {
        "--backend": Flag("--backend", "choice", _choice_must(("scipy", "jax"))),
        "--format": Flag("--format", "choice", _choice_must(("csv", "parquet"))),
    }),
    "plan": (["plan", "{in}/lesions.csv", "--visit", "3", "--format", "json", "--visit-time", "09:00",
              "--visit-date", "2025-03-04"], {
        "--visit": Flag("--visit", "count", _count_must(10_000)),
        "--format": Flag("--format", "choice", _choice_must(("table", "json"))),
        "--visit-time": Flag("--visit-time", "time", lambda t: re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", t.strip()) is None),
        "--visit-date": Flag("--visit-date", "date", lambda t: t.strip() not in ("2025-03-04", "2024-02-29")),
        "--covariate": Flag("--covariate", "choice", lambda t: t not in ("antiherpetic_medication",
                                                                        "active_herpetic_lesions", "prior_tvec")),
    }),
    "handling": (["handling", "{in}/log.csv", "--format", "json"], {
        "--format": Flag("--format", "choice", _choice_must(("table", "json"))),
    }),
    "supply": (["supply", "--patients-per-month", "4", "--months", "2", "--replicates", "10", "--courses", "{courses}",
                "--out", "{out}", "--format", "json"], {
        "--patients-per-month": Flag("--patients-per-month", "float", _float_must(False, 10_000)),
        "--months": Flag("--months", "count", _count_must(120)),
        "--replicates": Flag("--replicates", "count", _count_must(10_000)),
        "--seed": Flag("--seed", "seed", _seed_must),
        "--price-1e6": Flag("--price-1e6", "float", _float_must(True, 1e12)),
        "--price-1e8": Flag("--price-1e8", "float", _float_must(True, 1e12)),
        "--workers": Flag("--workers", "count", _count_must(None)),  # more than the cores: may be capped
    }),
    "model": (["model", "--sbml", "{in}/patient.yaml", "-o", "{out}/model.xml"], {}),
}

FLAG_VALUES = {
    "count": COUNT_VALUES, "float": FLOAT_VALUES, "seed": ("-1", "abc", "1.5", "", "1e3", "99999999999999999999999"),
    "choice": ("zz", "", MARKUP, "CSV", "pregnant", "immunocompromised", "antiherpetic_medication", "json", "table"),
    "regimen": REGIMEN_VALUES, "time": ("25:00", "9:60", "", "09:00\x00", "noon", "23:59", "0:00", MARKUP),
    "date": ("2025-02-30", "", "2025-3-4", "99999-01-01", "2024-02-29", "2025-03-04", FORMULAS[0]),
}


def _flag_files(command: str) -> dict[str, bytes]:
    if command in ("simulate", "model"):
        return {"patient.yaml": _yaml_text(patient_bases()[0]).encode()}
    if command == "trial":
        return {"scenario.yaml": _yaml_text(scenario_bases()[0]).encode()}
    if command == "plan":
        return {"lesions.csv": (EXAMPLES / "lesions_visit3.csv").read_bytes()}
    if command == "handling":
        return {"log.csv": (EXAMPLES / "handling_log.csv").read_bytes()}
    return {}


@st.composite
def flag_cases(draw) -> Case:
    command = draw(st.sampled_from(sorted(COMMANDS)))
    base, flags = COMMANDS[command]
    argv = list(base)
    files = _flag_files(command)
    codes = {"reject_codes": (2,), "accept_codes": (0, 1)} if command == "handling" else {}
    op = draw(st.sampled_from(("value", "value", "value", "value", "unknown_flag", "drop", "extra_positional",
                               "missing_file", "directory", "duplicate")))
    if op == "value" and flags:
        flag = flags[draw(st.sampled_from(sorted(flags)))]
        value = draw(st.sampled_from(FLAG_VALUES[flag.kind]))
        if flag.name in argv:
            argv[argv.index(flag.name) + 1] = value
        else:
            argv += [flag.name, value]
        must = flag.must(value)
        return Case("flags", f"{command} {flag.name} {value!r:.60}", argv, files, must, field=flag.name if must else None,
                    **codes)
    if op == "unknown_flag":
        return Case("flags", f"{command} --zz-unknown", argv + ["--zz-unknown", "1"], files, True, field="--zz-unknown",
                    **codes)
    if op == "drop":
        options = [i for i, a in enumerate(argv) if a.startswith("-") and i + 1 < len(argv)
                   and not argv[i + 1].startswith("-")
                   and a not in ("--courses", "--patients", "--horizon-days")]  # defaults: hundreds of patients, 2 years
        if options:
            i = draw(st.sampled_from(options))
            name = argv[i]
            required = {("cohort", "--out"), ("population", "--out"), ("population", "--seed"), ("simulate", "--out"),
                        ("plan", "--visit"), ("supply", "--patients-per-month"), ("supply", "--months"),
                        ("model", "-o"), ("model", "--sbml"),
                        ("plan", "--visit-time")}
            must = (command, name) in required
            return Case("flags", f"{command} without {name}", argv[:i] + argv[i + 2:], files, must,
                        field=(name if name != "--visit-time" else "--visit-date") if must else None, **codes)
    if op == "extra_positional":
        return Case("flags", f"{command} extra positional", argv + ["zz-extra"], files, True, **codes)
    if op in ("missing_file", "directory") and any("{in}/" in a for a in argv):
        i = next(i for i, a in enumerate(argv) if "{in}/" in a)
        argv[i] = "{in}/does-not-exist.yaml" if op == "missing_file" else "{in}"
        return Case("flags", f"{command} {op}", argv, files, True, file="does-not-exist" if op == "missing_file" else None,
                    **codes)
    if op == "duplicate" and flags:
        flag = flags[draw(st.sampled_from(sorted(flags)))]
        if flag.name in argv:
            return Case("flags", f"{command} {flag.name} twice", argv + [flag.name, argv[argv.index(flag.name) + 1]],
                        files, False, **codes)
    return Case("flags", f"{command} as given", argv, files, False, valid=True, **codes)


SURFACES: dict[str, Callable[[], st.SearchStrategy[Case]]] = {
    "patient": patient_cases, "scenario": scenario_cases, "lesions": lesion_cases, "handling": handling_cases,
    "population": population_cases, "flags": flag_cases,
}


def valid_cases() -> list[Case]:
    """The unmutated bases: each must be accepted (exit 0; 0 or 1 for ``ovsim handling``)."""
    out = []
    for i, doc in enumerate(patient_bases()):
        for command in ("simulate", "model"):
            out.append(Case("patient", f"base {i} {command}", _patient_argv(command),
                            {"patient.yaml": _yaml_text(doc).encode()}, valid=True, file="patient.yaml"))
    for i, doc in enumerate(scenario_bases()):
        out.append(Case("scenario", f"base {i}", ["trial", "{in}/scenario.yaml", "--patients", "3", "--out", "{out}"],
                        {"scenario.yaml": _yaml_text(doc).encode()}, valid=True, file="scenario.yaml"))
    for name, visit in (("lesions_visit1.csv", "1"), ("lesions_visit3.csv", "3")):
        for fmt in ("table", "csv", "json"):
            out.append(Case("lesions", f"{name} {fmt}", ["plan", "{in}/lesions.csv", "--visit", visit, "--format", fmt],
                            {"lesions.csv": (EXAMPLES / name).read_bytes()}, valid=True, file="lesions.csv"))
    out.append(Case("handling", "example", ["handling", "{in}/log.csv"], {"log.csv": (EXAMPLES / "handling_log.csv")
                                                                            .read_bytes()}, valid=True,
                    reject_codes=(2,), accept_codes=(0, 1)))
    p, les, prov = saved_population()
    out.append(Case("population", "saved", ["cohort", "--population", "{in}/pop", "--horizon-days", "28", "--every-days",
                                            "28", "--out", "{out}"],
                    {"pop/patients.parquet": _parquet_bytes(p), "pop/lesions.parquet": _parquet_bytes(les),
                     "pop/population.json": json.dumps(prov).encode()}, valid=True))
    for command, (argv, _) in COMMANDS.items():
        out.append(Case("flags", f"{command} as given", list(argv), _flag_files(command), valid=True,
                        **({"reject_codes": (2,), "accept_codes": (0, 1)} if command == "handling" else {})))
    return out


# ---------------------------------------------------------------------------------------------
# Running a case
# ---------------------------------------------------------------------------------------------


class CaseTimeout(BaseException):
    """Raised in the main thread when a case runs past :data:`CASE_SECONDS` (not an ``Exception``, so
    that no ``except Exception`` in the CLI can swallow it)."""


@dataclass
class Outcome:
    code: int | None
    stdout: str
    stderr: str
    exception: BaseException | None
    seconds: float
    timed_out: bool
    memory_mb: float
    root: Path


_SHARED: dict[str, Path] = {}


def shared_dir() -> Path:
    """A folder for this process's shared fixtures (the supply courses cache)."""
    if "dir" not in _SHARED:
        _SHARED["dir"] = Path(tempfile.mkdtemp(prefix="ovsim-fuzz-shared-"))
    return _SHARED["dir"]


def courses_cache() -> Path:
    """A courses cache for ``ovsim supply`` (4 patients), made once per process."""
    path = shared_dir() / "courses.parquet"
    if not path.exists():
        out = shared_dir() / "supply-warmup"
        res = invoke(["supply", "--patients-per-month", "4", "--months", "2", "--replicates", "10",
                      "--courses-patients", "4", "--courses", str(path), "--out", str(out), "--format", "json"],
                     shared_dir())
        if not path.exists():
            raise RuntimeError(f"could not make the courses cache: exit {res.code} {res.exception!r} "
                               f"{(res.stderr or res.stdout)[-1500:]}")
    return path


def _entry_point() -> Callable[[], Any]:
    import ovsim.cli

    return ovsim.cli.main


def invoke(argv: list[str], cwd: Path, timeout_s: float | None = None) -> Outcome:
    """Run ``ovsim argv`` in-process through the console script's entry point (``ovsim.cli.main``),
    with stdout and stderr captured, ``cwd`` as the working directory and a time bound."""
    from typer.testing import CliRunner

    timeout_s = CASE_SECONDS if timeout_s is None else timeout_s
    runner = CliRunner()
    main = _entry_point()
    code: int | None = None
    exception: BaseException | None = None
    timed_out = False
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def _alarm(signum, frame):
        raise CaseTimeout(f"still running after {timeout_s:g} s")

    old_cwd, old_argv = os.getcwd(), sys.argv
    previous = signal.signal(signal.SIGALRM, _alarm)
    started = time.perf_counter()
    log_dir = shared_dir() / "logs"  # where an internal error's traceback goes (exit 3), not ~/.cache
    with runner.isolation(env={"OVSIM_LOG_DIR": str(log_dir)}) as streams:
        try:
            os.chdir(cwd)
            sys.argv = ["ovsim", *argv]
            signal.setitimer(signal.ITIMER_REAL, timeout_s)
            try:
                value = main()
                code = value if isinstance(value, int) else 0
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except SystemExit as err:
            code = err.code if isinstance(err.code, int) else (0 if err.code is None else 1)
        except CaseTimeout as err:
            timed_out, exception = True, err
        except BaseException as err:  # noqa: BLE001  (an exception escaping the CLI is a finding)
            exception = err
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            sys.argv = old_argv
            os.chdir(old_cwd)
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            stdout = streams[0].getvalue().decode("utf-8", "replace")
            stderr = streams[1].getvalue().decode("utf-8", "replace")
    seconds = time.perf_counter() - started
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return Outcome(code, stdout, stderr, exception, seconds, timed_out, (rss1 - rss0) / 1024.0, cwd)


def materialise(case: Case, root: Path) -> list[str]:
    """Write the case's files under ``root/in`` and return its argv with the placeholders filled."""
    folder = root / "in"
    folder.mkdir(parents=True)
    for name, data in case.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    subs = {"{in}": str(folder), "{out}": str(root / "out")}
    if any("{courses}" in a for a in case.argv):
        subs["{courses}"] = str(courses_cache())
    argv = []
    for a in case.argv:
        for k, v in subs.items():
            a = a.replace(k, v)
        argv.append(a)
    return argv


# ---------------------------------------------------------------------------------------------
# Judging a case
# ---------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202e]")
_FORMULA_CELL = re.compile(r"^(?:[=@\t\r]|[+-](?![\d.]|$|inf|nan))")


def _strict_json(text: str) -> Any:
    def bad(token: str) -> Any:
        raise ValueError(f"{token} in JSON")
    return json.loads(text, parse_constant=bad)


def _csv_findings(text: str, where: str) -> list[tuple[str, str]]:
    out = []
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            if _FORMULA_CELL.match(cell):
                out.append(("unescaped", f"{where}: a cell starts a formula: {cell[:40]!r}"))
                return out
            if cell.strip().lower() in ("nan", "inf", "-inf", "infinity", "-infinity"):
                out.append(("wrong_numbers", f"{where}: {cell!r} in a CSV cell"))
                return out
    return out


def _output_findings(case: Case, outcome: Outcome) -> list[tuple[str, str]]:
    """Wrong numbers and unescaped text in an accepted case's outputs (files under ``out`` and stdout)."""
    found: list[tuple[str, str]] = []
    text = outcome.stdout
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            _strict_json(text)
        except ValueError as err:
            if "in JSON" in str(err):
                found.append(("wrong_numbers", f"stdout: {err}"))
    if "--format" in case.argv and case.argv[case.argv.index("--format") + 1] == "csv" and case.argv[0] == "plan":
        found += _csv_findings(text, "stdout")
    out = outcome.root / "out"
    files = sorted(p for p in out.rglob("*") if p.is_file()) if out.exists() else []
    for path in files:
        rel = path.relative_to(outcome.root)
        if path.suffix == ".json":
            try:
                _strict_json(path.read_text(encoding="utf-8"))
            except ValueError as err:
                found.append(("wrong_numbers", f"{rel}: {err}"))
        elif path.suffix == ".csv":
            found += _csv_findings(path.read_text(encoding="utf-8", errors="replace"), str(rel))
        elif path.name == "patients.parquet":
            import numpy as np
            import pandas as pd

            p = pd.read_parquet(path)
            if "ok" in p and "os_months" in p:
                ok = p[p["ok"].astype(bool)]
                if not np.isfinite(ok["os_months"].to_numpy(dtype=float)).all():
                    found.append(("wrong_numbers", f"{rel}: an evaluable patient without a finite os_months"))
        elif path.suffix == ".html":
            html = path.read_text(encoding="utf-8", errors="replace")
            if "<script>alert(1)</script>" in html:
                found.append(("unescaped", f"{rel}: a <script> from the input is in the report unescaped"))
    both = outcome.stdout + outcome.stderr
    if "ZZMARKUP" in both and "[bold red]" not in both and "\\[bold red]" not in both:
        found.append(("unescaped", "Rich markup from the input was rendered, not shown"))
    if "\x1b" in both or "\x00" in both:
        found.append(("unescaped", "a raw escape or NUL character from the input reached the terminal"))
    return found


def judge(case: Case, outcome: Outcome) -> list[tuple[str, str]]:
    """The findings for one case: ``[(category, detail), ...]`` (empty: the case is handled well)."""
    found: list[tuple[str, str]] = []
    both = outcome.stdout + outcome.stderr
    if outcome.timed_out or outcome.seconds > CASE_SECONDS:
        found.append(("hang", f"{outcome.seconds:.1f} s"))
        return found
    if outcome.memory_mb > CASE_MEMORY_MB:
        found.append(("memory", f"peak resident memory rose by {outcome.memory_mb:.0f} MB"))
    if "Traceback (most recent call last)" in both:
        found.append(("traceback", both[-300:]))
    if outcome.exception is not None and not isinstance(outcome.exception, SystemExit):
        found.append(("traceback", f"{type(outcome.exception).__name__}: {str(outcome.exception)[:200]}"))
        return found
    code = outcome.code
    if code == 3:
        found.append(("internal_error", outcome.stderr.strip()[:300]))
        return found
    if code not in (0, 1, 2):
        found.append(("bad_exit_code", f"exit {code}"))
        return found
    accepted = code in case.accept_codes
    if accepted:
        if case.must_reject:
            found.append(("silent_accept", f"exit {code}"))
        found += _output_findings(case, outcome)
        return found
    if case.valid:
        found.append(("valid_rejected", f"exit {code}: {outcome.stderr.strip()[:300]}"))
    lines = [ln for ln in outcome.stderr.splitlines() if ln.strip()]
    if len(lines) != 1:
        found.append(("error_format", f"{len(lines)} lines on stderr: {outcome.stderr[:300]!r}"))
    else:
        line = lines[0]
        if not line.startswith("ovsim: "):
            found.append(("error_format", f"not 'ovsim: ...': {line[:200]!r}"))
        if case.file and case.file not in line:
            found.append(("error_format", f"does not name the file {case.file!r}: {line[:200]!r}"))
        names = (case.field,) if isinstance(case.field, str) else case.field or ()
        if case.must_reject and names and not any(n in line for n in names):
            found.append(("error_format", f"does not name the field {' or '.join(names)}: {line[:200]!r}"))
        if _CONTROL.search(line):
            found.append(("error_format", f"raw control character in the message: {line[:200]!r}"))
        if "ZZMARKUP" in line and "[bold red]" not in line:
            found.append(("error_format", f"Rich markup from the input was rendered: {line[:200]!r}"))
    out = outcome.root / "out"
    written = sorted(str(p.relative_to(outcome.root)) for p in out.rglob("*")) if out.exists() else []
    stray = sorted(p.name for p in outcome.root.iterdir() if p.name not in ("in", "out"))
    if written or stray:
        found.append(("output_on_error", f"left behind: {(written + stray)[:5]}"))
    return found


def run_case(case: Case) -> tuple[Outcome, list[tuple[str, str]]]:
    """Materialise, run and judge one case in a fresh temporary folder (removed afterwards)."""
    root = Path(tempfile.mkdtemp(prefix="ovsim-fuzz-"))
    try:
        argv = materialise(case, root)
        outcome = invoke(argv, root)
        return outcome, judge(case, outcome)
    finally:
        shutil.rmtree(root, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Census: run many cases per surface and count what they find
# ---------------------------------------------------------------------------------------------


@dataclass
class Census:
    surface: str
    cases: int = 0
    must_reject: int = 0
    rejected: int = 0
    accepted: int = 0
    seconds: float = 0.0
    slowest: float = 0.0
    counts: dict[str, int] = field(default_factory=lambda: {c: 0 for c in CATEGORIES})
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, case: Case, outcome: Outcome, found: list[tuple[str, str]]) -> None:
        self.cases += 1
        self.must_reject += case.must_reject
        self.seconds += outcome.seconds
        self.slowest = max(self.slowest, outcome.seconds)
        if outcome.code in case.accept_codes:
            self.accepted += 1
        else:
            self.rejected += 1
        for category in dict.fromkeys(c for c, _ in found):
            self.counts[category] += 1
            detail = next(d for c, d in found if c == category)
            bucket = self.examples.setdefault(category, [])
            if len(bucket) < 5:
                bucket.append(f"{case!r} -> {detail[:240]}")

    @property
    def failing(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        bad = {k: v for k, v in self.counts.items() if v}
        lines = [f"{self.surface}: {self.cases} cases ({self.must_reject} must be refused; {self.accepted} accepted, "
                 f"{self.rejected} refused), {self.seconds:.1f} s (slowest {self.slowest:.1f} s), "
                 f"findings: {bad or 'none'}"]
        for category, examples in self.examples.items():
            lines += [f"  {category}: {e}" for e in examples[:3]]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"surface": self.surface, "cases": self.cases, "must_reject": self.must_reject,
                "accepted": self.accepted, "rejected": self.rejected, "seconds": round(self.seconds, 1),
                "slowest_seconds": round(self.slowest, 1), "counts": self.counts, "examples": self.examples}


settings.register_profile(
    "ovsim-fuzz-fast", max_examples=40, derandomize=True, deadline=None, database=None, phases=[Phase.generate],
    suppress_health_check=list(HealthCheck), print_blob=False)
"""The suite's subset: few cases per surface, always the same ones (derandomized), no example database."""
settings.register_profile("ovsim-fuzz-long", settings.get_profile("ovsim-fuzz-fast"), max_examples=200,
                          derandomize=False)
"""``make fuzz`` (``OVSIM_FUZZ=long``): 200 cases per surface (1,200 in all), a fresh random seed each run.
Per-case time is bounded by :data:`CASE_SECONDS` (our own alarm, which also stops the case), not by
Hypothesis' deadline, so that a slow case is counted rather than aborting the run."""


def census(surface: str, examples: int, derandomize: bool = True, seed: int | None = None,
           profile: str = "ovsim-fuzz-fast") -> Census:
    """Run ``examples`` generated cases of ``surface`` and count the findings (never stops early)."""
    from hypothesis import given
    from hypothesis import seed as hseed

    result = Census(surface)

    @settings(settings.get_profile(profile), max_examples=examples, derandomize=derandomize and seed is None)
    @given(SURFACES[surface]())
    def run(case: Case) -> None:
        outcome, found = run_case(case)
        result.add(case, outcome, found)

    if seed is not None:
        run = hseed(seed)(run)
    run()
    return result


def _main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Count what the input fuzzing finds, per surface.")
    parser.add_argument("--examples", type=int, default=200, help="generated cases per surface (default 200)")
    parser.add_argument("--surface", action="append", choices=sorted(SURFACES), help="only these surfaces")
    parser.add_argument("--seed", type=int, default=None, help="a random seed (default: derandomized)")
    parser.add_argument("--json", type=Path, default=None, help="write the counts to this JSON file")
    parser.add_argument("--no-valid", action="store_true", help="skip checking the unmutated examples first")
    args = parser.parse_args(argv)

    import ovsim

    ovsim.configure_jax()
    started = time.perf_counter()
    rows = []
    for case in [] if args.no_valid else valid_cases():
        outcome, found = run_case(case)
        if found:
            print(f"valid example not handled: {case!r}: {found[:2]}", flush=True)
    for surface in args.surface or list(SURFACES):
        c = census(surface, args.examples, seed=args.seed)
        print(c.summary(), flush=True)
        rows.append(c.to_dict())
    total = {k: sum(r["counts"][k] for r in rows) for k in CATEGORIES}
    doc = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(), "examples_per_surface": args.examples,
           "seconds": round(time.perf_counter() - started, 1), "surfaces": rows, "total": total,
           "cases": sum(r["cases"] for r in rows)}
    print(json.dumps({"cases": doc["cases"], "total": total, "seconds": doc["seconds"]}))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(doc, indent=2) + "\n")
    return 1 if any(total.values()) else 0


if __name__ == "__main__":
    sys.exit(_main())
