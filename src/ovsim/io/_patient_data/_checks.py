"""Reading CSV rows with their spreadsheet row numbers, parsing cells, and the checks both formats share.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row is row 2 (blank
lines count). Every error is one line: ``<file>: row <n>, column <name>: <what>``.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Mapping

import pandas as pd

from ..._read import MAX_DIAMETER_CM, InputFileError, shorten
from ...model import SITE_NAMES, Site
from ...regimen import load_label

ROW_FIELDS = ("row", "lesion_id", "site", "day", "longest_cm", "perp_cm", "cens", "volume_ml", "conc")
"""The rows both readers produce (one per measurement or dose, ``row`` its spreadsheet row number)."""



def where(name: str, row: int | str, column: str) -> str:
    """``<file>: row <n>, column <c>`` (``row`` may be a word such as ``1`` for the header)."""
    return f"{name}: row {row}, column {column}"


def fail(name: str, row: int | str, column: str, what: str) -> InputFileError:
    """The one-line error for a cell."""
    return InputFileError(f"{where(name, row, column)}: {what}")


def csv_rows(text: str, name: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and the data rows (spreadsheet row number, {column: cell}) of CSV ``text``; blank rows skipped."""
    if not text.strip():
        raise InputFileError(f"{name}: empty file (expected a header row and at least one data row)")
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
        rows = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise fail(name, reader.line_num, "(all)", f"expected {len(header)} cells as in the header "
                           f"(got {len(cells)})")
            rows.append((reader.line_num, {h: c.strip() for h, c in zip(header, cells)}))
    except csv.Error as err:
        raise InputFileError(f"{name}: row {reader.line_num}: not valid CSV ({err})") from None
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise fail(name, 1, dupes[0], "column given twice")
    if not rows:
        raise InputFileError(f"{name}: no data rows (expected at least one row below the header)")
    return header, rows


def check_columns(header: list[str], required: tuple[str, ...], optional: tuple[str, ...], name: str) -> None:
    """Every required column present, no unknown column."""
    for col in required:
        if col not in header:
            raise fail(name, 1, col, f"required column is missing (the header has {', '.join(header)})")
    allowed = required + optional
    for col in header:
        if col not in allowed:
            shown = col if col.isprintable() and len(col) <= 60 else shorten(col, 60)
            raise fail(name, 1, shown, f"unknown column (allowed: {', '.join(allowed)})")


def number(cell: str, name: str, row: int, column: str, *, required: bool, upper: float = math.inf) -> float:
    """A number >= 0 (and <= ``upper``) from a cell; NaN for an empty optional cell."""
    if cell == "":
        if required:
            raise fail(name, row, column, "empty cell (expected a number)")
        return math.nan
    try:
        value = float(cell)
    except ValueError:
        raise fail(name, row, column, f"expected a number (got {shorten(cell, 60)})") from None
    if not math.isfinite(value):
        raise fail(name, row, column, f"expected a finite number (got {shorten(cell, 60)})")
    if value < 0:
        raise fail(name, row, column, f"expected a number >= 0 (got {cell})")
    if value > upper:
        raise fail(name, row, column, f"expected at most {upper:g} (got {cell})")
    return value


def site(cell: str, name: str, row: int, column: str) -> str:
    """A site name of :class:`ovsim.model.Site`."""
    try:
        return Site.parse(cell).value
    except ValueError:
        raise fail(name, row, column, f"unknown site (expected one of {', '.join(SITE_NAMES)}; got "
                   f"{shorten(cell, 60)})") from None


def lesion_id(cell: str, name: str, row: int, column: str) -> str:
    """A lesion id: not blank, no control characters, at most 200 characters."""
    if not cell or len(cell) > 200 or any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in cell):
        raise fail(name, row, column, f"expected a lesion id (1-200 characters, no control characters; got "
                   f"{shorten(cell, 60)})")
    return cell


def diameter(cell: str, name: str, row: int, column: str, *, required: bool) -> float:
    """A diameter in cm (0 to :data:`ovsim._read.MAX_DIAMETER_CM`)."""
    return number(cell, name, row, column, required=required, upper=MAX_DIAMETER_CM)


def check_rows(rows: pd.DataFrame, name: str, cols: Mapping[str, str]) -> dict[str, str]:
    """The checks of a patient's rows shared by both formats; ``cols`` names each field's column in the file.

    Returns lesion_id -> site."""
    sites: dict[str, tuple[str, int]] = {}
    for r in rows.itertuples():
        first = sites.setdefault(r.lesion_id, (r.site, r.row))
        if first[0] != r.site:
            raise fail(name, r.row, cols["site"], f"lesion {r.lesion_id!r} is at {r.site} here but at {first[0]} in "
                       f"row {first[1]} (a lesion keeps its site)")
    measured = rows[rows["longest_cm"].notna()]
    seen: dict[tuple[str, float], int] = {}
    for r in measured.itertuples():
        key = (r.lesion_id, r.day)
        if key in seen:
            raise fail(name, r.row, cols["day"], f"lesion {r.lesion_id!r} measured twice on day {r.day:g} (first "
                       f"in row {seen[key]})")
        seen[key] = r.row
    for les, (_, row) in sites.items():
        if les not in set(measured["lesion_id"]):
            raise fail(name, row, cols["longest"], f"lesion {les!r} is never measured (expected at least one "
                       "diameter)")
    if not (measured["day"] == 0).any():
        first = measured.sort_values("day", kind="stable").iloc[0]
        raise fail(name, int(first["row"]), cols["day"], "no baseline measurement on day 0 (days count from the "
                   "first treatment day)")
    _check_doses(rows, name, cols)
    return {les: s for les, (s, _) in sites.items()}


def _check_doses(rows: pd.DataFrame, name: str, cols: Mapping[str, str]) -> None:
    label = load_label()
    strengths = (label.first_strength_pfu_per_ml, label.later_strength_pfu_per_ml)
    dosed = rows[rows["volume_ml"].fillna(0) > 0]
    for r in dosed.itertuples():
        if Site(r.site).visceral:
            raise fail(name, r.row, cols["volume"], f"T-VEC given into lesion {r.lesion_id!r} at a visceral site "
                       f"({r.site}); only cutaneous, subcutaneous and nodal lesions are injected")
        if not any(math.isclose(r.conc, s, rel_tol=1e-9) for s in strengths):
            raise fail(name, r.row, cols["conc"], f"expected one of the label's strengths "
                       f"{strengths[0]:.0e} or {strengths[1]:.0e} PFU/mL (got {r.conc:g})")
    limit = label.max_volume_per_visit_ml
    for day, visit in dosed.groupby("day", sort=True):
        total = float(visit["volume_ml"].sum())
        if total > limit + 1e-9:
            raise fail(name, int(visit["row"].max()), cols["volume"], f"{total:g} mL injected on day {day:g} over "
                       f"{len(visit)} lesion(s), more than the label's {limit:g} mL per visit")
