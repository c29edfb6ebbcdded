"""Parquet files that document themselves: every column's units and description in the Arrow schema (a
low-level helper that imports nothing of ovsim but its version, so every layer can write tables with it).

Each field of a Parquet file ovsim writes carries field metadata ``units`` (``""`` for dimensionless,
``"1"`` for counts and flags, ``"day"``, ``"cm"``, ...) and ``description``; the schema carries an ``ovsim``
key (JSON: the table's name in the data dictionary and ovsim's version). The column docs come from the
``COLUMN_DOCS`` constant of the module that builds the table (``ovsim.dictionary`` collects them all).

A column name in a docs mapping may hold a ``<placeholder>`` (``ae_<event>_day``, ``weight_<k>``): it
documents every column that matches it, the placeholder standing for one or more characters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import pandas as pd

ColumnDocs = Mapping[str, tuple[str, str]]
"""``{column: (units, description)}`` of one table."""

META_KEY = b"ovsim"
"""Schema-level metadata key: JSON ``{"table": ..., "ovsim_version": ...}``."""


@lru_cache(maxsize=512)
def _pattern(key: str) -> re.Pattern[str] | None:
    if "<" not in key:
        return None
    parts = re.split(r"<[^<>]+>", key)
    return re.compile("".join(re.escape(p) + ("(.+)" if i < len(parts) - 1 else "") for i, p in enumerate(parts)) + r"\Z")


def column_doc(docs: ColumnDocs, column: str) -> tuple[str, str] | None:
    """``(units, description)`` of ``column``: its own entry, else the first ``<placeholder>`` entry that
    matches it; None when the column is not documented."""
    if column in docs:
        return docs[column]
    for key, value in docs.items():
        pattern = _pattern(key)
        if pattern is not None and pattern.match(column):
            return value
    return None


def documented_table(frame: pd.DataFrame, table: str, docs: ColumnDocs):
    """``frame`` (no index) as a ``pyarrow.Table`` whose fields carry ``units`` and ``description`` metadata
    from ``docs``, and whose schema carries the ``ovsim`` key. A column ``docs`` misses gets no field
    metadata (the data-dictionary tests catch those)."""
    import pyarrow as pa

    from . import __version__

    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    fields = []
    for f in arrow.schema:
        doc = column_doc(docs, f.name)
        meta = {b"units": doc[0].encode(), b"description": doc[1].encode()} if doc is not None else None
        fields.append(f.with_metadata(meta) if meta else f)
    meta = dict(arrow.schema.metadata or {})
    meta[META_KEY] = json.dumps({"table": table, "ovsim_version": __version__}).encode()
    return arrow.cast(pa.schema(fields, metadata=meta))


def write_parquet(frame: pd.DataFrame, path: str | Path, table: str, docs: ColumnDocs) -> Path:
    """Write ``frame`` (without its index) to ``path`` as Parquet with per-column units and descriptions
    (see :func:`documented_table`); ``table`` is the table's name in the data dictionary. Returns ``path``."""
    import pyarrow.parquet as pq

    path = Path(path)
    pq.write_table(documented_table(frame, table, docs), path)
    return path


def parquet_units(path: str | Path) -> dict[str, dict[str, str]]:
    """``{column: {"units": ..., "description": ...}}`` read back from a Parquet file's schema (columns
    without ovsim's field metadata are left out)."""
    import pyarrow.parquet as pq

    out = {}
    for f in pq.read_schema(path):
        meta = f.metadata or {}
        if b"units" in meta:
            out[f.name] = {"units": meta[b"units"].decode(), "description": meta.get(b"description", b"").decode()}
    return out


__all__ = ["ColumnDocs", "META_KEY", "column_doc", "documented_table", "parquet_units", "write_parquet"]
