"""Imlygic cold chain and thaw windows: check a handling log, plan a visit's preparation.

Imlygic is a live virus shipped and stored frozen; thawed vials and filled syringes have strict
time limits. The numbers are ``storage_limits`` in ``ovsim/data/imlygic_label.yaml``. Rules
checked per vial by :func:`check_handling` (label sources in brackets):

1. Frozen storage and transport between -90 and -70 °C inclusive: a ``stored`` or ``shipped``
   temperature outside that band means discard [EU SmPC 6.4, US PI 16.2].
2. Shipping container: it holds temperature for up to 96 h after sealing. ``shipped`` = container
   sealed; the time from it to the vial's next event (normally ``stored`` on receipt) must be
   <= 96 h [US PI 16.2 / EU SmPC 6.4].
3. No refreeze: ``stored`` or ``shipped`` after ``thawed`` means discard [EU SmPC 6.4/6.6, US PI 16.2].
4. Thawed vial or syringe kept at 2-8 °C (refrigerated) or above 8 up to 25 °C (room temperature,
   "at or below 25 °C"); any other temperature after thawing (e.g. 30 °C, 0 °C) means discard.
5. Cumulative thawed time, vial and syringe together: 1e6 PFU/mL up to 12 h at room temperature or
   24 h at 2-8 °C; 1e8 PFU/mL up to 24 h or 7 days [EU SmPC 6.6, US PI 2.2]. The label asks to
   keep one temperature range; where a log mixes them ovsim applies the *fraction rule*, its own
   reading of "cumulative": sum over segments of time / limit-for-its-band <= 1.
6. Time in a syringe: 2 h (1e6) or 4 h (1e8) at room temperature, 8 h at 2-8 °C, counted from the
   vial's first ``drawn`` event; mixed bands by the same fraction rule [EU SmPC 6.6, US PI 2.2].

Thawing counts from the ``thawed`` row (log the time the vial leaves the freezer: the thaw itself,
up to 70 min at room temperature, counts as thawed time). A temperature change of a thawed vial is
logged as another ``thawed`` row, of a syringe as another ``drawn`` row. Exactly at a limit is
allowed; times are compared exactly (integer microseconds, fractions), so one minute over is not.
Unreadable logs (events after ``administered``/``discarded``, ``drawn`` before ``thawed``, ...)
raise :class:`HandlingInputError` (see :mod:`ovsim.regimen._handling_csv`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from importlib import resources
from typing import Any

import yaml

from ._handling_csv import HandlingInputError, VialEvent, check_sequence, read_handling_csv, strength_text

_US = timedelta(microseconds=1)
ROOM, FRIDGE = "room", "fridge"
_BAND_TEXT = {ROOM: "room temperature", FRIDGE: "2-8 °C"}


@dataclass(frozen=True)
class StorageLimits:
    """The label's cold-chain numbers (°C, timedelta); see ``storage_limits`` in the data file."""

    frozen_c: tuple[float, float]
    refrigerated_c: tuple[float, float]
    room_above_c: float
    room_max_c: float
    thawed: dict[float, dict[str, timedelta]]
    """Cumulative thawed-time limit per strength (PFU/mL) and band (``room``/``fridge``)."""
    syringe: dict[float, dict[str, timedelta]]
    """Time-in-syringe limit per strength and band."""
    shipping: timedelta
    thaw_duration: timedelta
    """Upper bound of the thaw at room temperature (70 min, EU SmPC 6.6)."""
    source: str

    def band(self, temperature_c: float) -> str | None:
        """``frozen``, ``fridge``, ``room`` or None (outside every allowed band)."""
        if self.frozen_c[0] <= temperature_c <= self.frozen_c[1]:
            return "frozen"
        if self.refrigerated_c[0] <= temperature_c <= self.refrigerated_c[1]:
            return FRIDGE
        return ROOM if self.room_above_c < temperature_c <= self.room_max_c else None


@functools.cache
def load_storage_limits() -> StorageLimits:
    """``storage_limits`` of ``ovsim/data/imlygic_label.yaml``."""
    raw = yaml.safe_load(resources.files("ovsim.data").joinpath("imlygic_label.yaml").read_text())["storage_limits"]

    def hours(entry: dict[str, Any], key: str) -> timedelta:
        return timedelta(hours=float(entry[key]))

    by = {float(e["strength_pfu_per_ml"]): e for e in raw["by_strength"]}
    return StorageLimits(
        frozen_c=(float(raw["frozen_c"]["min"]), float(raw["frozen_c"]["max"])),
        refrigerated_c=(float(raw["refrigerated_c"]["min"]), float(raw["refrigerated_c"]["max"])),
        room_above_c=float(raw["room_temperature_c"]["above"]),
        room_max_c=float(raw["room_temperature_c"]["max"]),
        thawed={s: {ROOM: hours(e, "thawed_room_temperature_h"), FRIDGE: hours(e, "thawed_refrigerated_h")}
                for s, e in by.items()},
        syringe={s: {ROOM: hours(e, "syringe_room_temperature_h"), FRIDGE: hours(e, "syringe_refrigerated_h")}
                 for s, e in by.items()},
        shipping=timedelta(hours=float(raw["shipping_container_h"])),
        thaw_duration=timedelta(minutes=float(raw["thaw_duration_max_min"])),
        source=str(raw["source"]),
    )


def format_duration(span: timedelta) -> str:
    """``12 h 01 min`` (seconds shown only when not zero: ``12 h 00 min 30 s``)."""
    seconds = span // timedelta(seconds=1)
    text = f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    return text + (f" {seconds % 60:02d} s" if seconds % 60 else "")


def format_limit(span: timedelta, days: bool = True) -> str:
    """``12 h``, ``7 days (168 h)`` (whole days from 2 days on, if ``days``), ``2 h 30 min``."""
    if days and span >= timedelta(days=2) and span % timedelta(days=1) == timedelta(0):
        return f"{span.days} days ({span.days * 24} h)"
    return format_duration(span).replace(" 00 min", "")


def format_time(moment: datetime) -> str:
    """``2025-03-04 09:30`` (with its UTC offset when it has one)."""
    return moment.isoformat(sep=" ", timespec="minutes")


@dataclass(frozen=True)
class VialResult:
    """Verdict for one vial: ``ok`` or ``discard`` with the first rule broken, as one sentence."""

    vial_id: str
    strength_pfu_per_ml: float
    status: str
    reason: str
    usable_until: datetime | None = None
    """For a vial still thawed or in a syringe: last moment within limits at its current temperature."""

    def to_dict(self) -> dict[str, str]:
        return {"vial_id": self.vial_id, "status": self.status, "reason": self.reason}


class _Clock:
    """Time used against one per-band limit table (fraction rule)."""

    def __init__(self, limits: dict[str, timedelta]) -> None:
        self.limits, self.used = limits, {ROOM: timedelta(0), FRIDGE: timedelta(0)}

    def fraction(self) -> Fraction:
        return sum((Fraction(self.used[b] // _US, self.limits[b] // _US) for b in self.used), Fraction(0))

    def remaining(self, band: str) -> timedelta:
        """Time left at ``band`` before the sum of fractions exceeds 1 (rounded down to 1 µs)."""
        left = (1 - self.fraction()) * (self.limits[band] // _US)
        return math.floor(max(left, Fraction(0))) * _US

    def describe(self, what: str) -> str:
        parts = [(b, t) for b, t in self.used.items() if t > timedelta(0)]
        if len(parts) == 1:
            b, t = parts[0]
            return f"{what} {format_duration(t)} at {_BAND_TEXT[b]} (limit {format_limit(self.limits[b])})"
        percent = math.ceil(self.fraction() * 1000) / 10
        return (f"{what} {format_duration(self.used[ROOM])} at room temperature and "
                f"{format_duration(self.used[FRIDGE])} at 2-8 °C, {percent:g}% of the limit by the fraction "
                f"rule ({format_limit(self.limits[ROOM])} at room temperature, "
                f"{format_limit(self.limits[FRIDGE])} at 2-8 °C)")


def check_vial(events: list[VialEvent], limits: StorageLimits | None = None) -> VialResult:
    """The verdict for one vial's events (chronological, validated, all the same vial)."""
    lim = limits or load_storage_limits()
    first = events[0]
    s = first.strength_pfu_per_ml
    name = f"{strength_text(s)} PFU/mL"
    thawed, syringe = _Clock(lim.thawed[s]), _Clock(lim.syringe[s])
    state, band, prev = "new", None, None

    def discard(reason: str) -> VialResult:
        return VialResult(first.vial_id, s, "discard", f"{name} {reason}")

    def ok(reason: str, until: datetime | None = None) -> VialResult:
        return VialResult(first.vial_id, s, "ok", reason, until)

    for e in events:
        if prev is not None and state in ("thawed", "syringe"):
            span = e.time - prev.time
            clocks = [(syringe, "in syringe")] if state == "syringe" else []
            clocks.append((thawed, "thawed"))
            budget = [(c.remaining(band), i, c, what) for i, (c, what) in enumerate(clocks)]
            for c, _ in clocks:
                c.used[band] += span
            over = [b for b in budget if span > b[0]]
            if over:  # the rule whose limit is reached first in this stretch (syringe on a tie)
                _, _, c, what = min(over, key=lambda b: (b[0], b[1]))
                return discard(c.describe(what))
        if prev is not None and state == "shipping" and e.time - prev.time > lim.shipping:
            return discard(f"in the shipping container {format_duration(e.time - prev.time)} after sealing "
                           f"(limit {format_limit(lim.shipping, days=False)})")
        if e.event in ("stored", "shipped") and state in ("thawed", "syringe"):
            where = "put back in frozen storage" if e.event == "stored" else "put in a shipping container"
            return discard(f"vial {where} at {format_time(e.time)} after thawing: a thawed vial must not "
                           "be refrozen (limit: no refreeze)")
        if e.event in ("administered", "discarded"):
            return ok(f"{e.event} at {format_time(e.time)} within the label limits")
        band = lim.band(e.temperature_c)  # type: ignore[arg-type]
        t = f"{e.temperature_c:g} °C"
        if e.event in ("stored", "shipped") and band != "frozen":
            return discard(f"{e.event} at {t}, outside frozen storage "
                           f"({lim.frozen_c[0]:g} to {lim.frozen_c[1]:g} °C)")
        if e.event in ("thawed", "drawn") and band not in (ROOM, FRIDGE):
            what = "thawed vial" if e.event == "thawed" else "syringe"
            return discard(f"{what} kept at {t}, outside 2-8 °C and room temperature "
                           f"(above {lim.room_above_c:g} to {lim.room_max_c:g} °C)")
        state = {"stored": "frozen", "shipped": "shipping", "thawed": "thawed", "drawn": "syringe"}[e.event]
        prev = e
    last, where = events[-1], f"{events[-1].temperature_c:g} °C"
    if state == "frozen":
        return ok(f"still usable: frozen at {where} since {format_time(last.time)}")
    if state == "shipping":
        until = last.time + lim.shipping
        return ok(f"still usable until {format_time(until)} in the shipping container "
                  f"({format_limit(lim.shipping, days=False)} after sealing; store frozen by then)", until)
    left = min(thawed.remaining(band), syringe.remaining(band) if state == "syringe" else timedelta.max)
    return ok(f"still usable until {format_time(last.time + left)} if kept at {where}", last.time + left)


def check_handling(events: Iterable[VialEvent], limits: StorageLimits | None = None) -> list[VialResult]:
    """One verdict per vial, in order of first appearance. Raises :class:`HandlingInputError`
    for an impossible history (see :func:`ovsim.regimen._handling_csv.check_sequence`)."""
    events = list(events)
    check_sequence(events)
    by_vial: dict[str, list[VialEvent]] = {}
    for e in events:
        by_vial.setdefault(e.vial_id, []).append(e)
    return [check_vial(vial_events, limits) for vial_events in by_vial.values()]


# ---------------------------------------------------------------------------------------------
# Preparation timeline for one visit (ovsim plan --visit-time)
# ---------------------------------------------------------------------------------------------

_REFERENCE_DAY = date(2000, 1, 1)
"""Date used internally when the visit has no date: only clock times (and day shifts) are shown."""


@dataclass(frozen=True)
class PrepTimeline:
    """When to thaw and by when to inject, for a visit planned at ``visit`` (see :func:`prep_timeline`)."""

    visit: datetime
    dated: bool
    thaw: tuple[dict[str, Any], ...]
    """Per strength: strength_pfu_per_ml, vials, thaw_start_latest (datetime)."""
    syringes: tuple[dict[str, Any], ...]
    """Per injected lesion, in injection order: lesion_id, volume_ml, strength_pfu_per_ml,
    administer_by (datetime), limit (timedelta)."""
    assumptions: tuple[str, ...]

    def when(self, moment: datetime) -> str:
        """``2025-03-04 07:50`` with a date; else ``07:50``, ``23:20 (day before)``, ``01:00 (next day)``."""
        if self.dated:
            return format_time(moment)
        shift = (moment.date() - self.visit.date()).days
        note = {0: "", -1: " (day before)", 1: " (next day)"}.get(shift, f" ({shift:+d} days)")
        return moment.strftime("%H:%M") + note

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: visit_time, visit_date (None without a date), thaw, syringes, assumptions."""
        return {
            "visit_time": self.visit.strftime("%H:%M"),
            "visit_date": self.visit.date().isoformat() if self.dated else None,
            "thaw": [{**t, "thaw_start_latest": self.when(t["thaw_start_latest"])} for t in self.thaw],
            "syringes": [{**{k: v for k, v in x.items() if k != "limit"},
                          "administer_by": self.when(x["administer_by"]),
                          "limit_h": x["limit"] / timedelta(hours=1)} for x in self.syringes],
            "assumptions": list(self.assumptions),
        }


def prep_timeline(plan: Any, visit_time: time, visit_date: date | None = None,
                  limits: StorageLimits | None = None) -> PrepTimeline:
    """Preparation timeline for a :class:`~ovsim.regimen.VisitPlan` injected at ``visit_time``.

    Thaw: the plan's vials, started at the latest ``thaw_duration`` (70 min, EU SmPC 6.6) before
    the visit. Syringes: one per injected lesion, drawn at the visit time and kept at room
    temperature, so each must be administered within the room-temperature syringe limit
    (2 h for 1e6, 4 h for 1e8 PFU/mL). No date: only clock times are reported.
    """
    lim = limits or load_storage_limits()
    visit = datetime.combine(visit_date or _REFERENCE_DAY, visit_time)
    strength = float(plan.vial_strength_pfu_per_ml)
    room = lim.syringe[strength][ROOM]
    thaw = ({"strength_pfu_per_ml": strength, "vials": int(plan.vials),
             "thaw_start_latest": visit - lim.thaw_duration},) if plan.vials else ()
    injected = plan.lesions[plan.lesions["volume_ml"] > 0].sort_values("priority")
    syringes = tuple({"lesion_id": str(r.lesion_id), "volume_ml": float(r.volume_ml),
                      "strength_pfu_per_ml": float(r.concentration_pfu_per_ml),
                      "administer_by": visit + room, "limit": room} for r in injected.itertuples(index=False))
    minutes = lim.thaw_duration // timedelta(minutes=1)
    assumptions = (
        f"thawing at room temperature takes up to {minutes} min (EU SmPC 6.6: about 30-70 min)",
        f"one syringe per injected lesion, drawn at the visit time and kept at room temperature: "
        f"administer within {format_limit(room)} ({strength_text(strength)} PFU/mL syringe limit)",
    )
    return PrepTimeline(visit, visit_date is not None, thaw, syringes, assumptions)


__all__ = [
    "HandlingInputError",
    "PrepTimeline",
    "StorageLimits",
    "VialEvent",
    "VialResult",
    "check_handling",
    "check_vial",
    "load_storage_limits",
    "prep_timeline",
    "read_handling_csv",
]
