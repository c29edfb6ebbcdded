"""One visit's Imlygic dosing plan for a real patient's lesion list (``ovsim plan``).

Reads a lesion CSV, applies the label rule of :mod:`ovsim.regimen._label` (numpy namespace)
and reports, per lesion, the volume (mL) and concentration (PFU/mL) to inject, the visit's
total volume and the number of 1 mL vials to thaw. No JAX is imported on this path.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._read import MAX_DIAMETER_CM, MAX_FILE_BYTES, InputFileError, one_line, read_text, shorten
from ..model._sites import Site
from ._label import (
    DECI_ML_PER_ML,
    allocate_volumes_ml,
    injection_order,
    label_volume_ml,
    load_label,
    strength_pfu_per_ml,
    vials_to_thaw,
)

LESION_COLUMNS: tuple[str, ...] = ("lesion_id", "site", "longest_diameter_cm", "new")
"""Columns a lesion CSV must have (others are ignored)."""

PLAN_COLUMNS: tuple[str, ...] = (
    *LESION_COLUMNS,
    "injectable",
    "priority",
    "volume_ml",
    "concentration_pfu_per_ml",
)
"""Columns of :attr:`VisitPlan.lesions`, in order."""

_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})
_NO_INJECTABLE = "no injectable lesion (cutaneous, subcutaneous or nodal with longest_diameter_cm > 0)"


class PlanInputError(ValueError):
    """A lesion list or visit the planner cannot use; the message is one line for the user."""


# ---------------------------------------------------------------------------------------------
# Reading the lesion CSV
# ---------------------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    """``text`` with line breaks folded into spaces (error messages are one line)."""
    return " ".join(str(text).split())


def _where(file: str, row: int, lesion_id: str | None) -> str:
    """``file: row N (lesion_id 'X')`` for error messages (row: 1-based data row)."""
    return f"{file}: row {row}" + (f" (lesion_id {shorten(lesion_id, 80)})" if lesion_id else "")


def _field_error(file: str, row: int, lesion_id: str | None, field: str, expected: str) -> PlanInputError:
    return PlanInputError(_one_line(f"{_where(file, row, lesion_id)}: field {field!r}: {expected}"))


def _read_rows(path: Path, file: str) -> list[dict[str, str]]:
    """The CSV's data rows as {column: text}, header stripped and lower-cased, blank lines
    skipped, every field stripped; raises PlanInputError for a missing, unreadable or
    ragged file, a missing column or no rows."""
    if not path.exists():
        raise PlanInputError(f"{file}: file not found")
    if path.is_dir():
        raise PlanInputError(f"{file}: is a directory, expected a CSV file")
    try:
        text = read_text(path, MAX_FILE_BYTES)
    except InputFileError as err:
        raise PlanInputError(str(err)) from None
    try:
        lines = [row for row in csv.reader(io.StringIO(text, newline="")) if any(cell.strip() for cell in row)]
    except csv.Error as err:
        raise PlanInputError(_one_line(f"{file}: not a readable CSV file ({err})")) from None
    if not lines:
        raise PlanInputError(
            f"{file}: empty file (expected a header {','.join(LESION_COLUMNS)} and one row per lesion)"
        )
    header = [cell.strip().lower() for cell in lines[0]]
    _check_columns(header, file)
    if len(lines) == 1:
        raise PlanInputError(f"{file}: no lesion rows (expected one row per lesion after the header)")
    rows = []
    for number, cells in enumerate(lines[1:], start=1):
        if len(cells) != len(header):
            raise PlanInputError(
                f"{file}: row {number}: expected {len(header)} fields like the header (got {len(cells)})"
            )
        rows.append({name: cell.strip() for name, cell in zip(header, cells)})
    return rows


def _check_columns(header: list[str], file: str) -> None:
    missing = [c for c in LESION_COLUMNS if c not in header]
    if missing:
        found = one_line(", ".join(h for h in header if h) or "none", 200)
        raise PlanInputError(
            f"{file}: missing column {missing[0]!r} "
            f"(expected columns {', '.join(LESION_COLUMNS)}; found {found})"
        )
    duplicated = sorted({c for c in LESION_COLUMNS if header.count(c) > 1})
    if duplicated:
        raise PlanInputError(f"{file}: column {duplicated[0]!r} appears more than once in the header")


def _parse_diameter_cm(text: str) -> float | None:
    """Longest diameter (cm) from text, or None unless a finite number from 0 to ``MAX_DIAMETER_CM``."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and 0.0 <= value <= MAX_DIAMETER_CM else None


def _parse_bool(text: str) -> bool | None:
    """true/false, yes/no, 1/0 (any case) to bool; None for anything else."""
    word = text.strip().lower()
    return True if word in _TRUE else False if word in _FALSE else None


def _parse_row(record: dict[str, str], row: int, file: str, seen: dict[str, int]) -> dict[str, Any]:
    """One validated lesion from a CSV record (row: 1-based data row)."""
    lesion_id = record["lesion_id"]
    if not lesion_id:
        raise _field_error(file, row, None, "lesion_id", "expected a non-empty id (got '')")
    if lesion_id in seen:
        raise _field_error(
            file, row, lesion_id, "lesion_id", f"expected a unique id (already used in row {seen[lesion_id]})"
        )
    seen[lesion_id] = row
    try:
        site = Site.parse(record["site"])
    except ValueError:
        allowed = ", ".join(s.value for s in Site)
        raise _field_error(file, row, lesion_id, "site",
                           f"expected one of {allowed} (got {shorten(record['site'])})") from None
    raw_d = record["longest_diameter_cm"]
    diameter = _parse_diameter_cm(raw_d)
    if diameter is None:
        raise _field_error(
            file, row, lesion_id, "longest_diameter_cm",
            f"expected a finite number >= 0 and <= {MAX_DIAMETER_CM:g} (cm) (got {shorten(raw_d)})"
        )
    raw_new = record["new"]
    new = _parse_bool(raw_new)
    if new is None:
        raise _field_error(
            file, row, lesion_id, "new", f"expected true/false, yes/no or 1/0 (got {shorten(raw_new)})"
        )
    return {"lesion_id": lesion_id, "site": site.value, "longest_diameter_cm": diameter, "new": new}


def read_lesion_csv(path: str | Path) -> pd.DataFrame:
    """A patient's lesions from a CSV file, validated.

    Columns (header case-insensitive, extra columns ignored): ``lesion_id`` (unique, non-empty),
    ``site`` (one of cutaneous, subcutaneous, nodal, lung, liver, visceral_other; any case),
    ``longest_diameter_cm`` (finite number >= 0, cm; 0 = lesion no longer present) and
    ``new`` (true/false, yes/no or 1/0; present now but not at the previous visit).

    Returns a DataFrame with exactly those four columns, in file order: lesion_id (str),
    site (str, lower case), longest_diameter_cm (float, cm), new (bool).
    Raises :class:`PlanInputError` with a one-line message naming the file, the row
    (1-based data row: header and blank lines not counted) and lesion_id, the field and
    what was expected.
    """
    file = str(path)
    seen: dict[str, int] = {}
    rows = [_parse_row(record, i, file, seen) for i, record in enumerate(_read_rows(Path(path), file), start=1)]
    out = pd.DataFrame(rows, columns=list(LESION_COLUMNS))
    return out.astype({"lesion_id": object, "site": object, "longest_diameter_cm": float, "new": bool})


# ---------------------------------------------------------------------------------------------
# Planning one visit
# ---------------------------------------------------------------------------------------------


def format_strength(pfu_per_ml: float) -> str:
    """``10^6`` for 1e6 PFU/mL (exact powers of ten), else ``2.5e+07``."""
    if pfu_per_ml > 0:
        exponent = round(math.log10(pfu_per_ml))
        if math.isclose(pfu_per_ml, 10.0**exponent, rel_tol=1e-12):
            return f"10^{exponent}"
    return f"{pfu_per_ml:.3g}"


@dataclass(frozen=True, eq=False)
class VisitPlan:
    """Volumes and concentration to inject into each lesion at one visit (Imlygic label).

    ``lesions`` has one row per listed lesion, in input order, with columns
    lesion_id, site, longest_diameter_cm (cm), new (bool), injectable (bool: site is
    cutaneous, subcutaneous or nodal), priority (pandas ``Int64``: 1-based rank in the
    label's injection order among lesions that get a volume > 0; ``<NA>`` for lesions not
    injected), volume_ml (mL, 0 where not injected) and concentration_pfu_per_ml (PFU/mL,
    0 where volume is 0). Equality is by identity (the frame is not hashable).
    """

    visit: int
    """1-based visit number (1 = first visit)."""
    concentration_pfu_per_ml: float
    """Strength used at this visit (PFU/mL): 1e6 at visit 1, 1e8 later."""
    lesions: pd.DataFrame
    total_volume_ml: float
    """Total volume injected at this visit (mL, <= 4)."""
    vials: int
    """Number of vials to thaw (each ``vial_ml`` mL)."""
    vial_strength_pfu_per_ml: float
    """Strength of the vials to thaw (PFU/mL)."""
    vial_ml: float = 1.0
    """Volume of one vial (mL)."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict: visit, concentration, per-lesion volumes, total and vials."""
        return {
            "visit": int(self.visit),
            "concentration_pfu_per_ml": float(self.concentration_pfu_per_ml),
            "lesions": [_lesion_record(row) for row in self.lesions.to_dict("records")],
            "total_volume_ml": float(self.total_volume_ml),
            "vials": {
                "count": int(self.vials),
                "strength_pfu_per_ml": float(self.vial_strength_pfu_per_ml),
                "vial_ml": float(self.vial_ml),
            },
        }

    def thaw_line(self) -> str:
        """``thaw 4 vials of 10^8 PFU/mL (1 mL each)``."""
        noun = "vial" if self.vials == 1 else "vials"
        return (
            f"thaw {self.vials} {noun} of {format_strength(self.vial_strength_pfu_per_ml)} PFU/mL "
            f"({self.vial_ml:g} mL each)"
        )

    def notes(self) -> list[str]:
        """Per lesion, why it gets less than its label volume (mL): 'not injectable' (visceral),
        'not present' (0 cm), '4 mL cap (label 1 mL)' (the visit's cap is used up), or ''."""
        cap = f"{load_label().max_volume_per_visit_ml:g} mL cap"
        out = []
        for row in self.lesions.itertuples(index=False):
            full = float(label_volume_ml(row.longest_diameter_cm))
            if not row.injectable:
                out.append("not injectable")
            elif row.longest_diameter_cm <= 0:
                out.append("not present")
            elif row.volume_ml < full - 1e-9:
                out.append(f"{cap} (label {full:g} mL)")
            else:
                out.append("")
        return out

    def summary(self) -> str:
        """A short readable text: one line per lesion, then the total and the vials to thaw."""
        rows = self.lesions
        width = max(len("lesion"), *(len(str(x)) for x in rows["lesion_id"]))
        lines = [f"Visit {self.visit}: {format_strength(self.concentration_pfu_per_ml)} PFU/mL"]
        for row, note in zip(rows.itertuples(index=False), self.notes()):
            order = "-" if pd.isna(row.priority) else f"#{int(row.priority)}"
            text = (
                f"  {order:>3} {row.lesion_id:<{width}}  {row.site:<14} {row.longest_diameter_cm:5.2f} cm"
                f"{' new' if row.new else '    '}  {row.volume_ml:3.1f} mL"
            )
            lines.append(text + (f"  {note}" if note else ""))
        lines.append(f"Total {self.total_volume_ml:.1f} mL; {self.thaw_line()}")
        return "\n".join(lines)


def _lesion_record(row: dict[str, Any]) -> dict[str, Any]:
    """One lesion row of the plan with plain Python types (priority None if not injected)."""
    priority = row["priority"]
    return {
        "lesion_id": str(row["lesion_id"]),
        "site": str(row["site"]),
        "longest_diameter_cm": float(row["longest_diameter_cm"]),
        "new": bool(row["new"]),
        "injectable": bool(row["injectable"]),
        "priority": None if pd.isna(priority) else int(priority),
        "volume_ml": float(row["volume_ml"]),
        "concentration_pfu_per_ml": float(row["concentration_pfu_per_ml"]),
    }


def _check_visit(visit: Any) -> int:
    if isinstance(visit, bool) or not isinstance(visit, (int, np.integer)) or visit < 1:
        raise PlanInputError(f"visit: expected an integer >= 1 (1 = first visit) (got {visit!r})")
    return int(visit)


def _normalise(lesions: pd.DataFrame) -> pd.DataFrame:
    """The four lesion columns with canonical types; raises PlanInputError on bad values."""
    missing = [c for c in LESION_COLUMNS if c not in lesions.columns]
    if missing:
        raise PlanInputError(f"lesions: missing column {missing[0]!r} (expected {', '.join(LESION_COLUMNS)})")
    out = lesions[list(LESION_COLUMNS)].reset_index(drop=True).copy()
    out["lesion_id"] = out["lesion_id"].astype(str)
    try:
        out["site"] = [Site.parse(s).value for s in out["site"]]
    except ValueError as err:
        raise PlanInputError(one_line(f"lesions: field 'site': {err}", 400)) from None
    try:
        d = out["longest_diameter_cm"].to_numpy(dtype=float)
    except (ValueError, TypeError):
        d = np.array([np.nan])
    if not np.all(np.isfinite(d) & (d >= 0) & (d <= MAX_DIAMETER_CM)):
        raise PlanInputError(f"lesions: field 'longest_diameter_cm': expected finite numbers >= 0 and <= "
                             f"{MAX_DIAMETER_CM:g} (cm)")
    out["longest_diameter_cm"] = d
    new = [_as_bool(v) for v in out["new"]]
    if any(v is None for v in new):
        raise PlanInputError("lesions: field 'new': expected true/false, yes/no or 1/0")
    out["new"] = np.array(new, dtype=bool)
    return out


def _as_bool(value: Any) -> bool | None:
    """A bool from a bool, 0/1 or a true/false, yes/no, 1/0 string; None otherwise."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)) and value in (0, 1):
        return bool(value)
    return _parse_bool(value) if isinstance(value, str) else None


def _priority(order: np.ndarray, volume_ml: np.ndarray) -> pd.Series:
    """1-based rank in injection ``order`` among lesions with volume > 0; <NA> for the others."""
    rank = np.empty(len(order), dtype=int)
    rank[order] = np.arange(1, len(order) + 1)
    return pd.Series(rank, dtype="Int64").where(volume_ml > 0)


def plan_visit(lesions: pd.DataFrame, visit: int) -> VisitPlan:
    """The label's dosing plan for one visit.

    lesions: one row per lesion with lesion_id, site, longest_diameter_cm (cm), new (bool),
    as returned by :func:`read_lesion_csv`. visit: 1-based (1 = first visit: 1e6 PFU/mL,
    largest lesions first, ``new`` ignored; >= 2: 1e8 PFU/mL, new lesions first, then by size).
    Only cutaneous, subcutaneous and nodal lesions with diameter > 0 cm are injected, within
    4 mL per visit. Every listed lesion appears in the result (0 mL where not injected).
    Raises :class:`PlanInputError` for visit < 1 or if no lesion can be injected.
    """
    visit = _check_visit(visit)
    table = _normalise(lesions)
    d = table["longest_diameter_cm"].to_numpy(dtype=float)
    injectable = np.array([Site(s).injectable for s in table["site"]], dtype=bool)
    eligible = injectable & (d > 0)
    if not eligible.any():
        raise PlanInputError(_NO_INJECTABLE)
    new = table["new"].to_numpy(dtype=bool)
    first = visit == 1
    label = load_label()
    volume = np.asarray(allocate_volumes_ml(d, eligible, new, first, np, label), dtype=float)
    order = np.asarray(injection_order(d, eligible, new, first, np))
    strength = float(strength_pfu_per_ml(visit - 1, np, label))
    total_tenths = int(np.round(volume * DECI_ML_PER_ML).sum())
    total = total_tenths / DECI_ML_PER_ML
    table["injectable"] = injectable
    table["priority"] = _priority(order, volume)
    table["volume_ml"] = volume
    table["concentration_pfu_per_ml"] = np.where(volume > 0, strength, 0.0)
    return VisitPlan(
        visit=visit,
        concentration_pfu_per_ml=strength,
        lesions=table[list(PLAN_COLUMNS)],
        total_volume_ml=total,
        vials=int(vials_to_thaw(total, label)),
        vial_strength_pfu_per_ml=strength,
        vial_ml=label.vial_ml,
    )


__all__ = [
    "LESION_COLUMNS",
    "PLAN_COLUMNS",
    "PlanInputError",
    "VisitPlan",
    "format_strength",
    "plan_visit",
    "read_lesion_csv",
]
