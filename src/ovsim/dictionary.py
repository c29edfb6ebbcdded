"""The data dictionary: every table ovsim writes, every column, its units and description, collected
from the code that builds the tables.

Convention: a module that builds a table declares ``COLUMN_DOCS = {table: {column: (units, description)}}``
(units ``""`` for dimensionless, ``"1"`` for counts and flags, ``"day"``, ``"month"``, ``"cm"``, ...); a
module whose columns come partly from the model may also define ``column_docs()`` returning the complete
mapping (used instead of ``COLUMN_DOCS``). A table is named ``<output>/<file>``: the command or folder that
writes it and the file name (``trial/patients.parquet``; ``cohort/lesions-part-*.parquet`` for streamed
parts). A column name may hold a ``<placeholder>`` (``ae_<event>_day``) that stands for any text.

This module sits at the top of the layering (beside ``ovsim.cli``): it imports the modules of
:data:`SOURCES` by name when asked. ``docs/data_dictionary.md`` is generated from it
(``python tools/data_dictionary_doc.py``; ``--check`` tells whether it is up to date) and ``ovsim dictionary
[TABLE]`` prints it.
"""

from __future__ import annotations

import fnmatch
import importlib
from functools import lru_cache

from ._parquet import column_doc

SOURCES: tuple[str, ...] = (
    "ovsim.population._columns",   # ovsim population; the calibrated pool's patients and lesions
    "ovsim.engine._columns",       # ovsim cohort (parts, status), ovsim simulate, dose records
    "ovsim.supply._columns",       # ovsim supply, the courses cache, cohort vials.csv
    "ovsim.trial._columns",        # ovsim trial
    "ovsim.calibrate._columns",    # ovsim calibrate: outcomes.parquet, validation.csv
    "ovsim.cli._plan",             # ovsim plan --format csv
    "ovsim.datasets._columns",     # ovsim trial: nonmem.csv, nonmem_ids.csv
    "ovsim.trial._columns_runs",   # ovsim trial --replicates, ovsim design
    # Add here every new module that declares COLUMN_DOCS (replicates.parquet, power.csv, nonmem.csv,
    # CDISC datasets, ...): tests/test_dictionary.py checks each written table against this dictionary.
)
"""Modules declaring ``COLUMN_DOCS`` (or ``column_docs()``), in the order of the generated document."""


class DictionaryError(ValueError):
    """An unknown or ambiguous table name, or a table declared twice."""


@lru_cache(maxsize=1)
def _collect() -> dict[str, tuple[str, dict[str, tuple[str, str]]]]:
    out: dict[str, tuple[str, dict[str, tuple[str, str]]]] = {}
    for name in SOURCES:
        module = importlib.import_module(name)
        docs = module.column_docs() if hasattr(module, "column_docs") else module.COLUMN_DOCS
        for table, columns in docs.items():
            if table in out:
                raise DictionaryError(f"{name}: table {table!r} is already declared by {out[table][0]}")
            out[table] = (name, dict(columns))
    return out


def tables() -> dict[str, dict[str, tuple[str, str]]]:
    """``{table: {column: (units, description)}}`` of every table ovsim writes."""
    return {table: dict(columns) for table, (_, columns) in _collect().items()}


def source(table: str) -> str:
    """The module that declares ``table``."""
    return _collect()[find_table(table)][0]


def find_table(name: str) -> str:
    """The dictionary's table for ``name``: a table name (``trial/patients.parquet``), a written file relative
    to its output (``cohort/lesions-part-000-00001.parquet``), or a file name or stem that only one table has
    (``measurements``, ``forecast.csv``). ``DictionaryError`` (one line) if none or several match."""
    known = _collect()
    if name in known:
        return name
    hits = [t for t in known if "*" in t and fnmatch.fnmatchcase(name, t)]
    if not hits:
        hits = [t for t in known if t.split("/", 1)[-1] in (name, name + ".parquet", name + ".csv")]
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise DictionaryError(f"table {name!r}: ambiguous (one of {', '.join(hits)})")
    raise DictionaryError(f"table {name!r}: expected one of {', '.join(known)}")


def describe(table: str, column: str) -> tuple[str, str] | None:
    """``(units, description)`` of ``column`` in ``table`` (placeholders resolved); None if undocumented."""
    return column_doc(_collect()[find_table(table)][1], column)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table_markdown(table: str) -> str:
    """One table's section: heading, declaring module, and a units / description row per column."""
    name = find_table(table)
    module, columns = _collect()[name]
    lines = [f"## {name}", "", f"Declared in `{module}`.", "", "| column | units | description |", "|---|---|---|"]
    for column, (units, description) in columns.items():
        lines.append(f"| `{_cell(column)}` | {_cell(units) or '(none)'} | {_cell(description)} |")
    return "\n".join(lines) + "\n"


def markdown(table: str | None = None) -> str:
    """The data dictionary as Markdown (``docs/data_dictionary.md``), or one table's section."""
    if table is not None:
        return table_markdown(table)
    head = [
        "# Data dictionary",
        "",
        "Generated from the code by `python tools/data_dictionary_doc.py` (do not edit; `--check` tells whether "
        "it is up to date); `ovsim dictionary [TABLE]` prints it. Every table ovsim writes, named "
        "`<output>/<file>`, with each column's units and description. Units: `(none)` no unit (text, or dimensionless), `1` a "
        "count or a flag (true/false), `day`, `month`, `cm`, `cm2`, `mL`, `PFU`, ... A `<placeholder>` in a "
        "column name stands for any text (`ae_<event>_day`: `ae_fatigue_day`, ...). Every Parquet file also "
        "carries these units and descriptions in its Arrow schema (field metadata `units`, `description`; "
        "schema key `ovsim`).",
        "",
        "Tables: " + ", ".join(f"`{t}`" for t in _collect()) + ".",
        "",
    ]
    return "\n".join(head) + "\n".join(table_markdown(t) for t in _collect())


__all__ = ["DictionaryError", "SOURCES", "describe", "find_table", "markdown", "source", "table_markdown", "tables"]
