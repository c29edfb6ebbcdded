"""Reading and validating an Imlygic handling log (``ovsim handling LOG.csv``).

One row per event of one vial: ``vial_id``, ``strength_pfu_per_ml`` (1e6 or 1e8), ``event``
(``shipped``, ``stored``, ``thawed``, ``drawn``, ``administered``, ``discarded``), ``time``
(ISO 8601 date-time) and ``temperature_c`` (°C the vial or syringe is kept at from this event
until the vial's next one; may be empty only for ``administered`` and ``discarded``). The
limits themselves are applied by :mod:`ovsim.regimen._handling`; this module only rejects logs
that cannot be read, with a one-line :class:`HandlingInputError` naming the file, the row
(1-based data row: header and blank lines not counted), the vial and the column.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .._read import InputFileError, one_line, read_text, shorten
from ._label import load_label

MAX_LOG_BYTES = 16 << 20
"""Largest handling log (16 MiB, ~250,000 events: years of a busy centre's vials); read and checked in seconds."""
TEMPERATURE_RANGE_C = (-273.15, 100.0)
"""Temperatures a log may give (degrees C): from absolute zero to boiling water; anything else is a typing error."""

LOG_COLUMNS: tuple[str, ...] = ("vial_id", "strength_pfu_per_ml", "event", "time", "temperature_c")
"""Columns a handling log must have (header case-insensitive; other columns are ignored)."""

EVENTS: tuple[str, ...] = ("shipped", "stored", "thawed", "drawn", "administered", "discarded")
"""Known events, in the order a vial normally meets them (``shipped``: container sealed)."""

TERMINAL_EVENTS = frozenset({"administered", "discarded"})
"""Events after which a vial has no further events; the only ones without a temperature."""


class HandlingInputError(ValueError):
    """A handling log ovsim cannot read; the message is one line for the user."""


@dataclass(frozen=True)
class VialEvent:
    """One row of a handling log."""

    vial_id: str
    strength_pfu_per_ml: float
    """1e6 or 1e8 PFU/mL."""
    event: str
    """One of :data:`EVENTS`."""
    time: datetime
    temperature_c: float | None
    """°C from this event until the vial's next event; None only for terminal events."""
    row: int = 0
    """1-based data row in the log (0 when built in code)."""


def strength_text(pfu_per_ml: float) -> str:
    """``1e6`` for 1e6 PFU/mL, ``2.5e7`` for 2.5e7."""
    mantissa, exponent = f"{pfu_per_ml:.6e}".split("e")
    return f"{float(mantissa):g}e{int(exponent)}"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _error(file: str, row: int, vial_id: str | None, column: str, expected: str) -> HandlingInputError:
    where = f"{file}: row {row}" + (f" (vial_id {shorten(vial_id, 80)})" if vial_id else "")
    return HandlingInputError(_one_line(f"{where}: column {column!r}: {one_line(expected, 400)}"))


def _read_rows(path: Path, file: str) -> list[dict[str, str]]:
    if not path.exists():
        raise HandlingInputError(f"{file}: file not found")
    if path.is_dir():
        raise HandlingInputError(f"{file}: is a directory, expected a CSV file")
    try:
        text = read_text(path, MAX_LOG_BYTES)
    except InputFileError as err:
        raise HandlingInputError(str(err)) from None
    try:
        lines = [r for r in csv.reader(io.StringIO(text, newline="")) if any(cell.strip() for cell in r)]
    except csv.Error as err:
        raise HandlingInputError(_one_line(f"{file}: not a readable CSV file ({err})")) from None
    if not lines:
        raise HandlingInputError(
            f"{file}: empty file (expected a header {','.join(LOG_COLUMNS)} and one row per event)"
        )
    header = [cell.strip().lower() for cell in lines[0]]
    missing = [c for c in LOG_COLUMNS if c not in header]
    if missing:
        found = one_line(", ".join(h for h in header if h) or "none", 200)
        raise HandlingInputError(
            f"{file}: missing column {missing[0]!r} (expected columns {', '.join(LOG_COLUMNS)}; found {found})"
        )
    duplicated = [c for c in LOG_COLUMNS if header.count(c) > 1]
    if duplicated:
        raise HandlingInputError(f"{file}: column {duplicated[0]!r} appears more than once in the header")
    if len(lines) == 1:
        raise HandlingInputError(f"{file}: no event rows (expected one row per event after the header)")
    rows = []
    for number, cells in enumerate(lines[1:], start=1):
        if len(cells) != len(header):
            raise HandlingInputError(
                f"{file}: row {number}: expected {len(header)} fields like the header (got {len(cells)})"
            )
        rows.append({name: cell.strip() for name, cell in zip(header, cells)})
    return rows


def _parse_strength(text: str, strengths: tuple[float, ...]) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return next((s for s in strengths if math.isclose(value, s, rel_tol=1e-9)), None)


def _parse_time(text: str) -> datetime | None:
    if len(text) < 11 or text[10] not in "Tt ":  # a date alone is not a date-time
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _parse_row(record: dict[str, str], row: int, file: str, strengths: tuple[float, ...]) -> VialEvent:
    vial_id = record["vial_id"]
    if not vial_id:
        raise _error(file, row, None, "vial_id", "expected a non-empty id (got '')")
    raw = record["strength_pfu_per_ml"]
    strength = _parse_strength(raw, strengths)
    if strength is None:
        known = " or ".join(strength_text(s) for s in strengths)
        raise _error(file, row, vial_id, "strength_pfu_per_ml",
                     f"unknown strength, expected {known} (got {shorten(raw)})")
    event = record["event"].lower()
    if event not in EVENTS:
        raise _error(file, row, vial_id, "event", f"unknown event, expected one of {', '.join(EVENTS)} "
                     f"(got {shorten(record['event'])})")
    time = _parse_time(record["time"])
    if time is None:
        raise _error(file, row, vial_id, "time", "expected an ISO 8601 date-time such as 2025-03-04T09:30 "
                     f"or 2025-03-04T09:30+01:00 (got {shorten(record['time'])})")
    raw_t = record["temperature_c"]
    temperature: float | None = None
    if raw_t:
        try:
            temperature = float(raw_t)
        except ValueError:
            temperature = math.nan
        low, high = TEMPERATURE_RANGE_C
        if not (math.isfinite(temperature) and low <= temperature <= high):
            raise _error(file, row, vial_id, "temperature_c",
                         f"expected a number from {low:g} to {high:g} (°C) (got {shorten(raw_t)})")
    elif event not in TERMINAL_EVENTS:
        raise _error(file, row, vial_id, "temperature_c",
                     f"missing temperature, required for a {event!r} event (°C the vial or syringe is kept at)")
    return VialEvent(vial_id, strength, event, time, temperature, row)


def check_sequence(events: list[VialEvent], file: str = "log") -> None:
    """Raise :class:`HandlingInputError` unless every vial's events make a possible history.

    Per vial, in the given order: one strength; times not decreasing; no event after
    ``administered`` or ``discarded``; ``drawn`` and ``administered`` only after ``thawed``;
    ``thawed`` not after ``drawn`` (a syringe does not go back into its vial). All times naive,
    or all with a UTC offset. A ``stored`` or ``shipped`` event after ``thawed`` is a refreeze: a
    rule broken (the vial must be discarded), not an unreadable log, so it is accepted here.
    """
    aware = None
    last: dict[str, VialEvent] = {}
    thawed: set[str] = set()
    drawn: set[str] = set()
    for e in events:
        has_tz = e.time.utcoffset() is not None
        if aware is None:
            aware = has_tz
        elif has_tz != aware:
            first = "with a UTC offset" if aware else "without a UTC offset"
            raise _error(file, e.row, e.vial_id, "time", f"mixed time zones: earlier times are {first}, "
                         f"this one is not; give all times with an offset or none (got {e.time.isoformat()!r})")
        prev = last.get(e.vial_id)
        if prev is not None:
            if e.strength_pfu_per_ml != prev.strength_pfu_per_ml:
                raise _error(file, e.row, e.vial_id, "strength_pfu_per_ml",
                             f"differs from row {prev.row} of the same vial "
                             f"({strength_text(prev.strength_pfu_per_ml)}, got {strength_text(e.strength_pfu_per_ml)})")
            if e.time < prev.time:
                raise _error(file, e.row, e.vial_id, "time", f"times out of order: {e.time.isoformat()} is "
                             f"before row {prev.row} ({prev.time.isoformat()}) of the same vial")
            if prev.event in TERMINAL_EVENTS:
                raise _error(file, e.row, e.vial_id, "event",
                             f"{e.event!r} after {prev.event!r} in row {prev.row}: no event may follow it")
        if e.event in ("drawn", "administered") and e.vial_id not in thawed:
            raise _error(file, e.row, e.vial_id, "event", f"{e.event!r} before the vial was thawed")
        if e.event == "thawed" and e.vial_id in drawn:
            raise _error(file, e.row, e.vial_id, "event", "'thawed' after 'drawn': log a temperature change of "
                         "the syringe as another 'drawn' row")
        if e.event == "thawed":
            thawed.add(e.vial_id)
        elif e.event == "drawn":
            drawn.add(e.vial_id)
        last[e.vial_id] = e


def read_handling_csv(path: str | Path) -> list[VialEvent]:
    """The events of a handling log, in file order, validated (see :func:`check_sequence`).

    Strength: a number equal to 1e6 or 1e8 (``1e6``, ``1.0e+06``, ``1000000``). Time:
    ISO 8601 date-time (``2025-03-04T09:30``, ``2025-03-04 09:30:00+01:00``, ``...Z``).
    Raises :class:`HandlingInputError` (one line: file, row, vial_id, column, what was expected).
    """
    file = str(path)
    label = load_label()
    strengths = (label.first_strength_pfu_per_ml, label.later_strength_pfu_per_ml)
    events = [_parse_row(r, i, file, strengths) for i, r in enumerate(_read_rows(Path(path), file), start=1)]
    check_sequence(events, file)
    return events


__all__ = ["EVENTS", "LOG_COLUMNS", "HandlingInputError", "VialEvent", "check_sequence", "read_handling_csv",
           "strength_text"]
