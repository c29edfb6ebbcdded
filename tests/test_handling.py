"""``ovsim handling`` (cold chain, thaw windows) and the preparation timeline of ``ovsim plan``.

Label (shared/targets/optim.yaml, label.storage; EU SmPC 6.4/6.6, US PI 2.2/16.2): frozen at
-90 to -70 C; thawed, cumulative over vial and syringe: 1e6 PFU/mL 12 h at room temperature
(above 8 up to 25 C) or 24 h at 2-8 C; 1e8 PFU/mL 24 h or 7 days; in a syringe 2 h (1e6) or
4 h (1e8) at room temperature, 8 h at 2-8 C; no refreeze; shipping container 96 h after sealing;
thaw takes up to 70 min. Every expected number below is worked out by hand from those limits.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from ovsim.cli import app
from ovsim.regimen import plan_visit, read_lesion_csv
from ovsim.regimen._handling import check_handling, load_storage_limits, prep_timeline
from ovsim.regimen._handling_csv import HandlingInputError, VialEvent, read_handling_csv

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_LOG = REPO_ROOT / "examples" / "handling_log.csv"
VISIT1 = REPO_ROOT / "examples" / "lesions_visit1.csv"
VISIT3 = REPO_ROOT / "examples" / "lesions_visit3.csv"
SHARED_OPTIM = REPO_ROOT.parent / "shared" / "targets" / "optim.yaml"
HEADER = "vial_id,strength_pfu_per_ml,event,time,temperature_c\n"


def verdict(*rows: tuple[str, str, float | None], strength: float = 1e6):
    """check_handling for one vial 'V' from (event, ISO time, temperature) rows."""
    events = [VialEvent("V", strength, e, datetime.fromisoformat(t), c, i) for i, (e, t, c) in enumerate(rows, 1)]
    (result,) = check_handling(events)
    return result


def run(*args: str):
    return CliRunner().invoke(app, [*map(str, args)])


# --- the label numbers -------------------------------------------------------------------------

def test_storage_limits_are_the_label_numbers() -> None:
    lim = load_storage_limits()
    assert lim.frozen_c == (-90.0, -70.0) and lim.refrigerated_c == (2.0, 8.0)
    assert (lim.room_above_c, lim.room_max_c) == (8.0, 25.0)
    hours = {s: {b: v.total_seconds() / 3600 for b, v in d.items()} for s, d in lim.thawed.items()}
    assert hours == {1e6: {"room": 12, "fridge": 24}, 1e8: {"room": 24, "fridge": 168}}
    hours = {s: {b: v.total_seconds() / 3600 for b, v in d.items()} for s, d in lim.syringe.items()}
    assert hours == {1e6: {"room": 2, "fridge": 8}, 1e8: {"room": 4, "fridge": 8}}
    assert lim.shipping.total_seconds() == 96 * 3600 and lim.thaw_duration.total_seconds() == 70 * 60


def test_storage_limits_match_shared_storage_text() -> None:
    if not SHARED_OPTIM.exists():
        pytest.skip(f"shared targets not found at {SHARED_OPTIM}")
    storage = yaml.safe_load(SHARED_OPTIM.read_text())["label"]["storage"]
    for phrase in ("frozen at -90 to -70 C", "1e6 strength up to 12 h at room temperature or 24 h at 2-8 C",
                   "1e8 strength up to 24 h at room temperature or 7 days at 2-8 C",
                   "2 h (1e6) or 4 h (1e8) at room temperature, 8 h at 2-8 C"):
        assert phrase in storage, phrase


# --- thawed time, one band ---------------------------------------------------------------------

def test_1e6_room_12h_ok_12h01_discard() -> None:
    ok = verdict(("stored", "2025-03-01T08:00", -80), ("thawed", "2025-03-04T08:00", 21),
                 ("administered", "2025-03-04T20:00", None))
    assert ok.status == "ok"
    bad = verdict(("stored", "2025-03-01T08:00", -80), ("thawed", "2025-03-04T08:00", 21),
                  ("administered", "2025-03-04T20:01", None))
    assert bad.status == "discard"
    assert bad.reason == "1e6 PFU/mL thawed 12 h 01 min at room temperature (limit 12 h)"


def test_25c_is_room_temperature_and_8c_is_fridge() -> None:
    # 25 C is room temperature (12 h for 1e6); 8 C is 2-8 C (24 h): 20 h at 8 C is fine.
    assert verdict(("thawed", "2025-03-04T08:00", 25), ("discarded", "2025-03-04T20:00", None)).status == "ok"
    assert verdict(("thawed", "2025-03-04T08:00", 8), ("discarded", "2025-03-05T04:00", None)).status == "ok"
    assert verdict(("thawed", "2025-03-04T08:00", 8.5), ("discarded", "2025-03-05T04:00", None)).status == "discard"


def test_1e6_fridge_24h() -> None:
    assert verdict(("thawed", "2025-03-04T08:00", 4), ("discarded", "2025-03-05T08:00", None)).status == "ok"
    bad = verdict(("thawed", "2025-03-04T08:00", 4), ("discarded", "2025-03-05T08:01", None))
    assert bad.reason == "1e6 PFU/mL thawed 24 h 01 min at 2-8 °C (limit 24 h)"


def test_1e8_room_24h_and_fridge_7_days() -> None:
    ok = verdict(("thawed", "2025-03-04T08:00", 20), ("discarded", "2025-03-05T08:00", None), strength=1e8)
    assert ok.status == "ok"
    # 7 days at 4 C in the vial, then 4 h in a syringe at 4 C (syringe 8 h): exactly 168 h.
    ok = verdict(("thawed", "2025-03-04T08:00", 4), ("drawn", "2025-03-11T04:00", 4),
                 ("administered", "2025-03-11T08:00", None), strength=1e8)
    assert ok.status == "ok"
    bad = verdict(("thawed", "2025-03-04T08:00", 4), ("drawn", "2025-03-11T04:00", 4),
                  ("administered", "2025-03-11T08:01", None), strength=1e8)
    assert bad.reason == "1e8 PFU/mL thawed 168 h 01 min at 2-8 °C (limit 7 days (168 h))"


# --- syringe -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("strength", "temp", "limit_end", "limit_text"),
    [(1e6, 22, "T11:00", "2 h"), (1e8, 22, "T13:00", "4 h"), (1e6, 5, "T17:00", "8 h"), (1e8, 5, "T17:00", "8 h")],
)
def test_syringe_limits(strength: float, temp: float, limit_end: str, limit_text: str) -> None:
    # Thawed at 08:00 at the same temperature, drawn at 09:00: syringe limit runs from 09:00.
    rows = [("thawed", "2025-03-04T08:00", temp), ("drawn", "2025-03-04T09:00", temp)]
    end = datetime.fromisoformat("2025-03-04" + limit_end)
    ok = verdict(*rows, ("administered", end.isoformat(), None), strength=strength)
    assert ok.status == "ok", ok.reason
    over = end.replace(minute=1).isoformat()
    bad = verdict(*rows, ("administered", over, None), strength=strength)
    assert bad.status == "discard"
    band = "room temperature" if temp == 22 else "2-8 °C"
    hours = int(limit_text.split()[0])
    expected = f"in syringe {hours} h 01 min at {band} (limit {limit_text})"
    assert bad.reason.endswith(expected), bad.reason


def test_syringe_mixed_bands_fraction() -> None:
    # 1e8 syringe: 2 h at 22 C (2/4) + 4 h at 5 C (4/8) = exactly 1: ok; one more minute: discard.
    rows = [("thawed", "2025-03-04T08:00", 22), ("drawn", "2025-03-04T08:00", 22), ("drawn", "2025-03-04T10:00", 5)]
    assert verdict(*rows, ("administered", "2025-03-04T14:00", None), strength=1e8).status == "ok"
    bad = verdict(*rows, ("administered", "2025-03-04T14:01", None), strength=1e8)
    assert bad.reason.startswith("1e8 PFU/mL in syringe 2 h 00 min at room temperature and 4 h 01 min at 2-8 °C")
    assert "100.3% of the limit by the fraction rule" in bad.reason  # 0.5 + 241/480 = 1.00208 -> 100.3%


# --- cumulative: fraction rule -----------------------------------------------------------------

def test_mixed_room_and_fridge_fraction() -> None:
    # 1e6: 6 h at 21 C (6/12 = 0.5) + 12 h at 4 C (12/24 = 0.5) = exactly 1: ok.
    rows = [("thawed", "2025-03-04T08:00", 21), ("thawed", "2025-03-04T14:00", 4)]
    assert verdict(*rows, ("discarded", "2025-03-05T02:00", None)).status == "ok"
    # Either band alone is within its limit, the sum is not: 6/12 + 12h01/24 > 1.
    bad = verdict(*rows, ("discarded", "2025-03-05T02:01", None))
    assert bad.status == "discard"
    assert bad.reason == (
        "1e6 PFU/mL thawed 6 h 00 min at room temperature and 12 h 01 min at 2-8 °C, 100.1% of the limit "
        "by the fraction rule (12 h at room temperature, 24 h at 2-8 °C)"
    )


def test_vial_and_syringe_time_cumulate() -> None:
    # 1e6: 11 h in the vial at 21 C + 1 h 30 in a syringe at 21 C (syringe 2 h ok) = 12 h 30 > 12 h.
    bad = verdict(("thawed", "2025-03-04T08:00", 21), ("drawn", "2025-03-04T19:00", 21),
                  ("administered", "2025-03-04T20:30", None))
    assert bad.reason == "1e6 PFU/mL thawed 12 h 30 min at room temperature (limit 12 h)"


def test_first_broken_rule_wins() -> None:
    # 1e6 drawn at 08:00 at 21 C, kept 3 h: the syringe 2 h limit breaks before the 12 h limit.
    bad = verdict(("thawed", "2025-03-04T08:00", 21), ("drawn", "2025-03-04T08:00", 21),
                  ("administered", "2025-03-04T11:00", None))
    assert bad.reason == "1e6 PFU/mL in syringe 3 h 00 min at room temperature (limit 2 h)"
    # Over time first, refrozen later: the time limit is reported.
    bad = verdict(("thawed", "2025-03-04T08:00", 21), ("stored", "2025-03-05T08:00", -80))
    assert "thawed 24 h 00 min at room temperature (limit 12 h)" in bad.reason


# --- temperatures, refreeze, shipping ----------------------------------------------------------

def test_frozen_band() -> None:
    assert verdict(("stored", "2025-03-01T08:00", -90), ("stored", "2025-03-02T08:00", -70)).status == "ok"
    bad = verdict(("stored", "2025-03-01T08:00", -65))
    assert bad.reason == "1e6 PFU/mL stored at -65 °C, outside frozen storage (-90 to -70 °C)"
    assert verdict(("stored", "2025-03-01T08:00", -91)).status == "discard"
    assert verdict(("stored", "2025-03-01T08:00", -20)).status == "discard"


def test_thawed_outside_every_band() -> None:
    bad = verdict(("thawed", "2025-03-04T08:00", 30))
    assert bad.reason == ("1e6 PFU/mL thawed vial kept at 30 °C, outside 2-8 °C and room temperature "
                          "(above 8 to 25 °C)")
    assert verdict(("thawed", "2025-03-04T08:00", 0)).status == "discard"
    assert "syringe kept at 26 °C" in verdict(("thawed", "2025-03-04T08:00", 20),
                                              ("drawn", "2025-03-04T08:10", 26)).reason


@pytest.mark.parametrize("event", ["stored", "shipped"])
def test_refreeze(event: str) -> None:
    bad = verdict(("stored", "2025-03-01T08:00", -80), ("thawed", "2025-03-04T08:00", 20),
                  (event, "2025-03-04T09:00", -80))
    assert bad.status == "discard"
    assert "after thawing: a thawed vial must not be refrozen" in bad.reason
    assert "2025-03-04 09:00" in bad.reason


def test_shipping_96h() -> None:
    ok = verdict(("shipped", "2025-03-01T10:00", -78), ("stored", "2025-03-05T10:00", -80), strength=1e8)
    assert ok.status == "ok"
    bad = verdict(("shipped", "2025-03-01T10:00", -78), ("stored", "2025-03-05T10:01", -80), strength=1e8)
    assert bad.reason == "1e8 PFU/mL in the shipping container 96 h 01 min after sealing (limit 96 h)"
    # Thawed straight from the container counts too; a container above -70 C is a discard.
    assert verdict(("shipped", "2025-03-01T10:00", -78), ("thawed", "2025-03-05T10:01", 20)).status == "discard"
    assert "shipped at -60 °C" in verdict(("shipped", "2025-03-01T10:00", -60)).reason


# --- still usable ------------------------------------------------------------------------------

def test_still_usable_notes() -> None:
    frozen = verdict(("stored", "2025-03-01T08:00", -80))
    assert frozen.status == "ok" and frozen.reason == "still usable: frozen at -80 °C since 2025-03-01 08:00"
    # 1e6 thawed 08:00 at 21 C, drawn 10:00 at 21 C: syringe until 12:00 (cumulative would be 20:00).
    syringe = verdict(("thawed", "2025-03-04T08:00", 21), ("drawn", "2025-03-04T10:00", 21))
    assert syringe.usable_until == datetime(2025, 3, 4, 12, 0)
    assert syringe.reason == "still usable until 2025-03-04 12:00 if kept at 21 °C"
    # 1e6: 6 h at 21 C used half; then at 4 C the other half is 12 h: until 02:00 next day.
    vial = verdict(("thawed", "2025-03-04T08:00", 21), ("thawed", "2025-03-04T14:00", 4))
    assert vial.usable_until == datetime(2025, 3, 5, 2, 0)
    shipping = verdict(("shipped", "2025-03-01T10:00", -78))
    assert shipping.usable_until == datetime(2025, 3, 5, 10, 0) and "shipping container" in shipping.reason


def test_timezone_aware_times() -> None:
    # 12 h across a change of UTC offset: 08:00+01:00 to 21:00+02:00 is 12 h exactly.
    ok = verdict(("thawed", "2025-03-29T08:00+01:00", 21), ("discarded", "2025-03-29T21:00+02:00", None))
    assert ok.status == "ok"


# --- the CSV reader ----------------------------------------------------------------------------

def test_read_accepts_spellings(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(("\ufeffVial_ID, Strength_PFU_per_mL ,Event,Time,Temperature_C,note\n"
                      "V1,1.0e+06,Stored,2025-03-01 08:00:00,-80,freezer 2\n\n"
                      "V1,1000000,THAWED,2025-03-04T08:00,21,\n"
                      "V2,1e8,stored,2025-03-04T08:00,-80.5,\n").encode())
    events = read_handling_csv(path)
    assert [(e.vial_id, e.strength_pfu_per_ml, e.event, e.row) for e in events] == [
        ("V1", 1e6, "stored", 1), ("V1", 1e6, "thawed", 2), ("V2", 1e8, "stored", 3)]
    assert events[2].temperature_c == -80.5


BAD_LOGS = [
    # (name, file bytes, column or phrase, other words)
    ("unknown_strength", HEADER + "V1,1e7,stored,2025-03-01T08:00,-80\n", "'strength_pfu_per_ml'",
     ["row 1", "'V1'", "unknown strength", "1e6 or 1e8", "'1e7'"]),
    ("out_of_order", HEADER + "V1,1e6,stored,2025-03-02T08:00,-80\nV2,1e6,stored,2025-03-01T08:00,-80\n"
     "V1,1e6,thawed,2025-03-01T08:00,20\n", "'time'", ["row 3", "'V1'", "out of order", "row 1"]),
    ("missing_temperature", HEADER + "V1,1e6,stored,2025-03-01T08:00,-80\nV1,1e6,thawed,2025-03-04T08:00,\n",
     "'temperature_c'", ["row 2", "missing temperature", "'thawed'"]),
    ("bad_temperature", HEADER + "V1,1e6,stored,2025-03-01T08:00,cold\n", "'temperature_c'", ["'cold'"]),
    ("unknown_event", HEADER + "V1,1e6,frozen,2025-03-01T08:00,-80\n", "'event'",
     ["row 1", "unknown event", "'frozen'", "shipped, stored, thawed, drawn, administered, discarded"]),
    ("bad_time", HEADER + "V1,1e6,stored,04/03/2025 08:00,-80\n", "'time'", ["ISO 8601", "'04/03/2025 08:00'"]),
    ("date_only", HEADER + "V1,1e6,stored,2025-03-04,-80\n", "'time'", ["ISO 8601"]),
    ("mixed_tz", HEADER + "V1,1e6,stored,2025-03-01T08:00+01:00,-80\nV2,1e6,stored,2025-03-01T08:00,-80\n",
     "'time'", ["row 2", "mixed time zones"]),
    ("missing_column", "vial_id,strength_pfu_per_ml,event,time\nV1,1e6,stored,2025-03-01T08:00\n",
     "'temperature_c'", ["missing column"]),
    ("empty", "", "empty file", []),
    ("header_only", HEADER, "no event rows", []),
    ("after_administered", HEADER + "V1,1e6,thawed,2025-03-04T08:00,20\nV1,1e6,administered,2025-03-04T09:00,\n"
     "V1,1e6,discarded,2025-03-04T10:00,\n", "'event'", ["row 3", "'discarded' after 'administered'"]),
    ("after_discarded", HEADER + "V1,1e6,discarded,2025-03-04T08:00,\nV1,1e6,stored,2025-03-04T09:00,-80\n",
     "'event'", ["row 2", "after 'discarded'"]),
    ("drawn_before_thaw", HEADER + "V1,1e6,stored,2025-03-04T08:00,-80\nV1,1e6,drawn,2025-03-04T09:00,20\n",
     "'event'", ["row 2", "before the vial was thawed"]),
    ("strength_changes", HEADER + "V1,1e6,stored,2025-03-04T08:00,-80\nV1,1e8,thawed,2025-03-04T09:00,20\n",
     "'strength_pfu_per_ml'", ["row 2", "differs from row 1"]),
    ("empty_vial_id", HEADER + ",1e6,stored,2025-03-04T08:00,-80\n", "'vial_id'", ["row 1"]),
    ("ragged", HEADER + "V1,1e6,stored,2025-03-04T08:00,-80,x\n", "row 1", ["5 fields"]),
]


@pytest.mark.parametrize(("name", "text", "column", "words"), BAD_LOGS, ids=[b[0] for b in BAD_LOGS])
def test_cli_bad_input(tmp_path: Path, name: str, text: str, column: str, words: list[str]) -> None:
    path = tmp_path / f"{name}.csv"
    path.write_text(text)
    with pytest.raises(HandlingInputError):
        read_handling_csv(path)
    for fmt in ("table", "json"):
        result = run("handling", path, "--format", fmt)
        assert result.exit_code == 2, result.output
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(f"ovsim: error: {path}: ")
        for word in [column, *words]:
            assert word in lines[0], (word, lines[0])


def test_cli_non_utf8_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "V1,1e6,stored,2025-03-01T08:00,-80 \u00b0C\n").encode("latin-1"))
    result = run("handling", path)
    assert result.exit_code == 2 and result.stderr.startswith(f"ovsim: error: {path}: not UTF-8 text")
    assert len(result.stderr.splitlines()) == 1
    missing = tmp_path / "nope.csv"
    result = run("handling", missing)
    assert result.exit_code == 2 and result.stderr == f"ovsim: error: {missing}: file not found\n"


# --- the CLI on the example log ----------------------------------------------------------------

def test_cli_example_json() -> None:
    result = run("handling", EXAMPLE_LOG, "--format", "json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert [set(d) for d in data] == [{"vial_id", "status", "reason"}] * 4
    assert [(d["vial_id"], d["status"]) for d in data] == [
        ("A1001", "ok"), ("A1002", "discard"), ("B2001", "ok"), ("B2002", "ok")]
    # A1002: 2 h at 21 C (2/12) + 26 h at 5 C (26/24): 1/6 + 13/12 = 1.25 -> 125%.
    assert data[1]["reason"].startswith("1e6 PFU/mL thawed 2 h 00 min at room temperature and 26 h 00 min")
    assert "125% of the limit" in data[1]["reason"]
    assert data[3]["reason"].startswith("still usable")


def test_cli_example_table_and_all_ok(tmp_path: Path) -> None:
    result = run("handling", EXAMPLE_LOG)
    assert result.exit_code == 1
    for vial in ("A1001", "A1002", "B2001", "B2002"):
        assert vial in result.stdout
    assert "4 vials: 3 ok, 1 to discard" in result.stdout
    path = tmp_path / "ok.csv"
    path.write_text(HEADER + "[red]x[/red],1e8,stored,2025-03-01T08:00,-80\n")
    result = run("handling", path)
    assert result.exit_code == 0, result.output
    assert "[red]x[/red]" in result.stdout  # user text is escaped, not read as rich markup
    result = run("handling", path, "--format", "json")
    assert json.loads(result.stdout)[0]["vial_id"] == "[red]x[/red]"


# --- preparation timeline ----------------------------------------------------------------------

def test_prep_timeline_visit3_by_hand() -> None:
    # Visit 3 (1e8): 4 vials; thaw by 09:00 - 70 min = 07:50; syringes at room temperature 4 h: 13:00.
    plan = plan_visit(read_lesion_csv(VISIT3), visit=3)
    tl = prep_timeline(plan, time(9, 0)).to_dict()
    assert tl["visit_time"] == "09:00" and tl["visit_date"] is None
    assert tl["thaw"] == [{"strength_pfu_per_ml": 1e8, "vials": 4, "thaw_start_latest": "07:50"}]
    # Injection order: new L6 (0.5), L2 2.7 cm (2.0), L1 2.4 cm (1.0), L3 1.8 cm (0.5).
    assert [(s["lesion_id"], s["volume_ml"]) for s in tl["syringes"]] == [
        ("L6-left-knee", 0.5), ("L2-left-inguinal", 2.0), ("L1-left-calf", 1.0), ("L3-left-thigh", 0.5)]
    assert {(s["administer_by"], s["limit_h"]) for s in tl["syringes"]} == {("13:00", 4.0)}


def test_prep_timeline_visit1_dated_and_across_midnight() -> None:
    plan = plan_visit(read_lesion_csv(VISIT1), visit=1)
    tl = prep_timeline(plan, time(9, 0), date(2025, 3, 4)).to_dict()
    assert tl["visit_date"] == "2025-03-04"
    assert tl["thaw"][0]["thaw_start_latest"] == "2025-03-04 07:50"
    assert {s["administer_by"] for s in tl["syringes"]} == {"2025-03-04 11:00"}  # 1e6: 2 h
    late = prep_timeline(plan, time(0, 30)).to_dict()  # 00:30 - 70 min = 23:20 the day before
    assert late["thaw"][0]["thaw_start_latest"] == "23:20 (day before)"
    assert prep_timeline(plan, time(23, 0)).to_dict()["syringes"][0]["administer_by"] == "01:00 (next day)"


def test_cli_plan_timeline_json_and_table() -> None:
    result = run("plan", VISIT3, "--visit", "3", "--visit-time", "09:00", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["timeline"]["thaw"][0]["thaw_start_latest"] == "07:50"
    assert data["vials"]["count"] == 4  # the plan itself is unchanged
    plain = json.loads(run("plan", VISIT3, "--visit", "3", "--format", "json").stdout)
    assert "timeline" not in plain and {k: v for k, v in data.items() if k != "timeline"} == plain
    result = run("plan", VISIT1, "--visit", "1", "--visit-time", "14:15", "--visit-date", "2025-03-04")
    assert result.exit_code == 0, result.output
    assert "start thawing 4 vials of 10^6 PFU/mL by 2025-03-04 13:05" in result.stdout
    assert "administer by 2025-03-04 16:15" in result.stdout


@pytest.mark.parametrize(
    ("args", "flag"),
    [(["--visit-time", "25:00"], "--visit-time"), (["--visit-time", "9am"], "--visit-time"),
     (["--visit-time", "09:60"], "--visit-time"), (["--visit-time", ""], "--visit-time"),
     (["--visit-time", "09:00", "--format", "csv"], "--visit-time"),
     (["--visit-time", "09:00", "--visit-date", "2025-02-30"], "--visit-date"),
     (["--visit-date", "2025-03-04"], "--visit-date")],
)
def test_cli_plan_bad_visit_time(args: list[str], flag: str) -> None:
    result = run("plan", VISIT1, "--visit", "1", *args)
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"ovsim: error: {flag}: "), result.stderr


def test_handling_and_timeline_do_not_import_jax() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from ovsim.cli import app\n"
        f"r = CliRunner().invoke(app, ['handling', {str(EXAMPLE_LOG)!r}, '--format', 'json'])\n"
        "assert r.exit_code == 1, r.output\n"
        f"r = CliRunner().invoke(app, ['plan', {str(VISIT3)!r}, '--visit', '3', '--visit-time', '09:00'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(sorted(m for m in sys.modules if m == 'jax' or m.startswith('jax.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
