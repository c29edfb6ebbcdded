"""``read_lesion_csv``, ``plan_visit`` and the ``ovsim plan`` command (no JAX on this path)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ovsim.cli import app
from ovsim.regimen import PlanInputError, VisitPlan, plan_visit, read_lesion_csv

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = REPO_ROOT / "examples"
VISIT1 = EXAMPLES / "lesions_visit1.csv"
VISIT3 = EXAMPLES / "lesions_visit3.csv"
HEADER = "lesion_id,site,longest_diameter_cm,new\n"


def write_csv(tmp_path: Path, body: str, name: str = "lesions.csv", header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text(header + body)
    return path


def lesions(*rows: tuple[str, str, float, bool]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["lesion_id", "site", "longest_diameter_cm", "new"])


def run_plan(*args: str):
    return CliRunner().invoke(app, ["plan", *map(str, args)])


# --- read_lesion_csv ---------------------------------------------------------------------------

def test_read_accepts_spellings(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "L1, Cutaneous ,2.0,TRUE\nL2,NODAL,0.4,no\nL3,subcutaneous,1,1\nL4,Liver,3,False\n"
        "\nL5,visceral_other,0,YES\nL6,lung,1e0,0\n",
        header="Lesion_ID, site ,longest_diameter_cm,New\n",
    )
    got = read_lesion_csv(path)
    assert list(got.columns) == ["lesion_id", "site", "longest_diameter_cm", "new"]
    assert got["lesion_id"].tolist() == ["L1", "L2", "L3", "L4", "L5", "L6"]
    assert got["site"].tolist() == ["cutaneous", "nodal", "subcutaneous", "liver", "visceral_other", "lung"]
    assert got["longest_diameter_cm"].tolist() == [2.0, 0.4, 1.0, 3.0, 0.0, 1.0]
    assert got["new"].tolist() == [True, False, True, False, True, False]


def test_read_ignores_extra_columns_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufefflesion_id,site,longest_diameter_cm,new,comment\nL1,nodal,1.2,false,groin\n".encode())
    got = read_lesion_csv(path)
    assert got.to_dict("records") == [
        {"lesion_id": "L1", "site": "nodal", "longest_diameter_cm": 1.2, "new": False}
    ]


BAD_INPUTS = [
    # (name, file text or None for missing, field or word the message must name, other words)
    ("missing", None, "file not found", []),
    ("empty", "", "empty file", []),
    ("header_only", HEADER, "no lesion rows", []),
    ("no_site_column", "lesion_id,longest_diameter_cm,new\nL1,1,false\n", "'site'", ["missing column"]),
    ("dup_id", HEADER + "L1,nodal,1,false\nL2,nodal,1,false\nL1,cutaneous,2,false\n", "'lesion_id'",
     ["row 3", "'L1'", "row 1"]),
    ("empty_id", HEADER + ",nodal,1,false\n", "'lesion_id'", ["row 1"]),
    ("text_diameter", HEADER + "L1,nodal,1,false\nL2,nodal,big,false\n", "'longest_diameter_cm'",
     ["row 2", "'L2'", "'big'"]),
    ("negative_diameter", HEADER + "L1,nodal,-0.5,false\n", "'longest_diameter_cm'", [">= 0", "'-0.5'"]),
    ("nan_diameter", HEADER + "L1,nodal,nan,false\n", "'longest_diameter_cm'", ["finite"]),
    ("inf_diameter", HEADER + "L1,nodal,inf,false\n", "'longest_diameter_cm'", ["finite"]),
    ("blank_diameter", HEADER + "L1,nodal,,false\n", "'longest_diameter_cm'", ["''"]),
    ("unknown_site", HEADER + "L1,nodal,1,false\nL2,nodal,1,false\nL3,skin,1,false\n", "'site'",
     ["row 3 (lesion_id 'L3')", "expected one of cutaneous, subcutaneous, nodal, lung, liver, visceral_other",
      "'skin'"]),
    ("bad_bool", HEADER + "L1,nodal,1,maybe\n", "'new'", ["'maybe'", "true/false"]),
    ("ragged_row", HEADER + "L1,nodal,1,false,extra\n", "row 1", ["4 fields"]),
]


@pytest.mark.parametrize(("name", "text", "field", "words"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_read_bad_input(tmp_path: Path, name: str, text: str | None, field: str, words: list[str]) -> None:
    path = tmp_path / f"{name}.csv"
    if text is not None:
        path.write_text(text)
    with pytest.raises(PlanInputError) as info:
        read_lesion_csv(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    for word in [field, *words]:
        assert word in message, (word, message)


def test_unknown_site_message_exact(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "L1,nodal,1,false\nL2,nodal,1,false\nL3,skin,1,false\n")
    with pytest.raises(PlanInputError) as info:
        read_lesion_csv(path)
    assert str(info.value) == (
        f"{path}: row 3 (lesion_id 'L3'): field 'site': expected one of cutaneous, subcutaneous, "
        "nodal, lung, liver, visceral_other (got 'skin')"
    )


def test_plan_input_error_is_value_error() -> None:
    assert issubclass(PlanInputError, ValueError)


# --- plan_visit --------------------------------------------------------------------------------

def test_plan_visit1_largest_first_cap_and_visceral() -> None:
    table = lesions(
        ("A", "cutaneous", 1.0, True),   # new is ignored at visit 1
        ("B", "liver", 6.0, False),      # visceral: never injected
        ("C", "nodal", 3.0, False),      # 2.0 mL, first
        ("D", "subcutaneous", 2.0, False),  # 1.0 mL, second
        ("E", "cutaneous", 2.0, False),  # 1.0 mL, third -> 4.0 mL used
        ("F", "cutaneous", 0.0, False),  # not present
    )
    plan = plan_visit(table, visit=1)
    assert isinstance(plan, VisitPlan)
    got = plan.lesions
    assert got["lesion_id"].tolist() == ["A", "B", "C", "D", "E", "F"]
    assert got["volume_ml"].tolist() == [0.0, 0.0, 2.0, 1.0, 1.0, 0.0]
    assert got["concentration_pfu_per_ml"].tolist() == [0.0, 0.0, 1e6, 1e6, 1e6, 0.0]
    assert got["injectable"].tolist() == [True, False, True, True, True, True]
    assert [None if pd.isna(p) else int(p) for p in got["priority"]] == [None, None, 1, 2, 3, None]
    assert plan.visit == 1 and plan.concentration_pfu_per_ml == 1e6
    assert plan.total_volume_ml == 4.0 and plan.vials == 4 and plan.vial_strength_pfu_per_ml == 1e6
    assert list(got.columns) == [
        "lesion_id", "site", "longest_diameter_cm", "new", "injectable", "priority", "volume_ml",
        "concentration_pfu_per_ml",
    ]


def test_plan_later_visit_new_first_partial() -> None:
    table = lesions(
        ("old6", "cutaneous", 6.0, False),  # 4.0 - 0.1 = 3.9 mL, second
        ("new04", "nodal", 0.4, True),      # 0.1 mL, first
        ("old1", "cutaneous", 1.0, False),  # cap used: 0
    )
    plan = plan_visit(table, visit=2)
    assert plan.lesions["volume_ml"].tolist() == [3.9, 0.1, 0.0]
    assert [None if pd.isna(p) else int(p) for p in plan.lesions["priority"]] == [2, 1, None]
    assert plan.concentration_pfu_per_ml == 1e8
    assert plan.total_volume_ml == 4.0 and plan.vials == 4
    assert plan.notes() == ["4 mL cap (label 4 mL)", "", "4 mL cap (label 0.5 mL)"]


def test_plan_small_total_vials() -> None:
    # 0.5 + 0.1 = 0.6 mL -> one vial; total is exactly 0.6, not 0.6000000000000001.
    plan = plan_visit(lesions(("a", "cutaneous", 1.0, False), ("b", "cutaneous", 0.2, False)), visit=5)
    assert plan.total_volume_ml == 0.6 and plan.vials == 1


def test_plan_errors() -> None:
    with pytest.raises(PlanInputError, match=r"^no injectable lesion \(cutaneous, subcutaneous or nodal"):
        plan_visit(lesions(("a", "lung", 2.0, False), ("b", "cutaneous", 0.0, False)), visit=1)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(PlanInputError, match="visit"):
            plan_visit(lesions(("a", "cutaneous", 1.0, False)), visit=bad)  # type: ignore[arg-type]
    with pytest.raises(PlanInputError, match="site"):
        plan_visit(lesions(("a", "bone", 1.0, False)), visit=1)


def test_plan_to_dict_and_summary() -> None:
    plan = plan_visit(read_lesion_csv(VISIT3), visit=3)
    data = json.loads(json.dumps(plan.to_dict()))
    assert data["visit"] == 3 and data["total_volume_ml"] == 4.0
    assert data["vials"] == {"count": 4, "strength_pfu_per_ml": 1e8, "vial_ml": 1.0}
    text = plan.summary()
    assert "Visit 3" in text and "10^8" in text and "thaw 4 vials" in text


# --- the shipped examples ----------------------------------------------------------------------

def test_example_visit1_by_hand() -> None:
    # 3.2 cm: 2.0, 2.1 cm: 1.0, 1.2 cm: 0.5, 0.4 cm: 0.1, lung: 0 -> 3.6 mL, 4 vials of 1e6.
    plan = plan_visit(read_lesion_csv(VISIT1), visit=1)
    assert plan.lesions["volume_ml"].tolist() == [2.0, 1.0, 0.5, 0.1, 0.0]
    assert (plan.total_volume_ml, plan.vials, plan.vial_strength_pfu_per_ml) == (3.6, 4, 1e6)


def test_example_visit3_by_hand() -> None:
    # New 0.7 cm first: 0.5; nodal 2.7: 2.0; 2.4: 1.0; 1.8 cm wants 1.0 but 0.5 remain (cap);
    # 0 cm: not present; lung: not injected -> 4.0 mL, 4 vials of 1e8.
    plan = plan_visit(read_lesion_csv(VISIT3), visit=3)
    assert plan.lesions["volume_ml"].tolist() == [1.0, 2.0, 0.5, 0.0, 0.0, 0.5]
    assert (plan.total_volume_ml, plan.vials, plan.vial_strength_pfu_per_ml) == (4.0, 4, 1e8)


# --- ovsim plan --------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "visit"), [(VISIT1, 1), (VISIT3, 3)])
def test_cli_table(path: Path, visit: int) -> None:
    result = run_plan(path, "--visit", visit)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for lesion_id in read_lesion_csv(path)["lesion_id"]:
        assert lesion_id in out
    strength = "10^6" if visit == 1 else "10^8"
    assert "Total volume:" in out
    assert f"Thaw 4 vials of {strength} PFU/mL" in out


@pytest.mark.parametrize(("path", "visit"), [(VISIT1, 1), (VISIT3, 3)])
def test_cli_json(path: Path, visit: int) -> None:
    result = run_plan(path, "--visit", visit, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    listed = read_lesion_csv(path)["lesion_id"].tolist()
    assert [lesion["lesion_id"] for lesion in data["lesions"]] == listed
    strength = 1e6 if visit == 1 else 1e8
    assert data["visit"] == visit and data["concentration_pfu_per_ml"] == strength
    total = sum(lesion["volume_ml"] for lesion in data["lesions"])
    assert data["total_volume_ml"] == pytest.approx(total) and data["total_volume_ml"] <= 4.0
    assert data["vials"] == {"count": 4, "strength_pfu_per_ml": strength, "vial_ml": 1.0}
    for lesion in data["lesions"]:
        assert set(lesion) >= {"lesion_id", "site", "longest_diameter_cm", "new", "volume_ml",
                               "concentration_pfu_per_ml"}
        assert lesion["concentration_pfu_per_ml"] == (strength if lesion["volume_ml"] > 0 else 0.0)


def test_cli_csv() -> None:
    result = run_plan(VISIT3, "--visit", "3", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "lesion_id,site,longest_diameter_cm,volume_ml,concentration_pfu_per_ml",
        "L1-left-calf,cutaneous,2.4,1.0,1e+08",
        "L2-left-inguinal,nodal,2.7,2.0,1e+08",
        "L3-left-thigh,subcutaneous,1.8,0.5,1e+08",
        "L4-left-shin,cutaneous,0,0.0,0",
        "L5-right-lung,lung,1.9,0.0,0",
        "L6-left-knee,cutaneous,0.7,0.5,1e+08",
    ]
    result1 = run_plan(VISIT1, "--visit", "1", "--format", "csv")
    assert result1.exit_code == 0, result1.output
    assert len(result1.stdout.splitlines()) == 1 + len(read_lesion_csv(VISIT1))


CLI_BAD = [
    ("unknown_site", HEADER + "L1,nodal,1,false\nL2,skin,1,false\n", "'site'"),
    ("dup_id", HEADER + "L1,nodal,1,false\nL1,nodal,2,false\n", "'lesion_id'"),
    ("text_diameter", HEADER + "L1,nodal,one,false\n", "'longest_diameter_cm'"),
    ("negative_diameter", HEADER + "L1,nodal,-2,false\n", "'longest_diameter_cm'"),
    ("inf_diameter", HEADER + "L1,nodal,Infinity,false\n", "'longest_diameter_cm'"),
    ("bad_bool", HEADER + "L1,nodal,1,perhaps\n", "'new'"),
    ("missing_column", "lesion_id,site,new\nL1,nodal,false\n", "'longest_diameter_cm'"),
    ("empty", "", "empty file"),
    ("header_only", HEADER, "no lesion rows"),
    ("no_injectable", HEADER + "L1,liver,3,false\nL2,cutaneous,0,false\n", "no injectable lesion"),
]


@pytest.mark.parametrize(("name", "text", "field"), CLI_BAD, ids=[b[0] for b in CLI_BAD])
def test_cli_bad_input(tmp_path: Path, name: str, text: str, field: str) -> None:
    path = tmp_path / f"{name}.csv"
    path.write_text(text)
    result = run_plan(path, "--visit", "2")
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"ovsim: error: {path}: ")
    assert field in lines[0]


def test_cli_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    result = run_plan(path, "--visit", "1")
    assert result.exit_code == 2
    assert result.stderr == f"ovsim: error: {path}: file not found\n"


def test_cli_visit_zero() -> None:
    result = run_plan(VISIT1, "--visit", "0")
    assert result.exit_code == 2
    assert result.stderr == "ovsim: error: --visit: expected an integer >= 1 (1 = first visit) (got 0)\n"


def test_cli_does_not_import_jax() -> None:
    """``ovsim plan`` must start fast: nothing on its path may import jax (import it lazily
    in the engine commands, e.g. inside ``ovsim simulate``'s function body)."""
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from ovsim.cli import app\n"
        f"r = CliRunner().invoke(app, ['plan', {str(VISIT3)!r}, '--visit', '3', '--format', 'json'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(sorted(m for m in sys.modules if m == 'jax' or m.startswith('jax.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", "jax was imported on the `ovsim plan` path"
