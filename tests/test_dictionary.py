"""The data dictionary covers every table ovsim writes; Parquet files carry the units in their schema."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from ovsim import dictionary
from ovsim._parquet import META_KEY, column_doc, parquet_units
from ovsim.cli import run

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """A tiny trial, cohort, simulate (parquet and csv) and population written into tmp folders."""
    from ovsim.trial import load_scenario, run_trial

    root = tmp_path_factory.mktemp("outputs")
    run_trial(load_scenario(), seed=5, patients=12).write(root / "trial", report=False)
    assert run(["cohort", "--out", str(root / "cohort"), "--patients", "3", "--seed", "2", "--horizon-days", "56",
                "--every-days", "28"]) == 0
    assert run(["simulate", str(REPO / "examples" / "patient_reference.yaml"), "--out", str(root / "simulate")]) == 0
    assert run(["simulate", str(REPO / "examples" / "patient_reference.yaml"), "--out", str(root / "simcsv"),
                "--format", "csv"]) == 0
    assert run(["population", "--out", str(root / "population"), "--patients", "3", "--seed", "1"]) == 0
    return root


def _tables(root: Path):
    for path in sorted([*root.rglob("*.parquet"), *root.rglob("*.csv")]):
        kind = path.parent.name if path.parent.name != "simcsv" else "simulate"
        yield path, dictionary.find_table(f"{kind}/{path.name}")


def test_every_written_column_is_in_the_dictionary_and_no_entry_is_stale(outputs):
    docs = dictionary.tables()
    seen: dict[str, set[str]] = {}
    checked = 0
    for path, table in _tables(outputs):
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
        for column in frame.columns:
            doc = column_doc(docs[table], column)
            assert doc is not None, f"{path.name}: column {column!r} is not in the dictionary ({table})"
            assert isinstance(doc[0], str) and doc[1], f"{table}.{column}: expected units and a description"
            seen.setdefault(table, set()).update(k for k in docs[table] if k == column or
                                                 column_doc({k: docs[table][k]}, column))
        checked += 1
    assert checked >= 14
    for table, used in seen.items():
        if table.startswith("simulate/") or table.endswith("/patients.parquet") and not table.startswith("trial/"):
            continue  # model states / parameters: which appear depends on the treatments and the population
        stale = set(docs[table]) - used
        assert not stale, f"{table}: dictionary entries no written column has: {sorted(stale)}"


def test_parquet_files_carry_units_and_descriptions_in_their_schema(outputs):
    units = parquet_units(outputs / "trial" / "patients.parquet")
    assert units["os_months"]["units"] == "month" and units["growth_rate_per_day"]["units"] == "1/day"
    assert units["ae_fatigue_day"]["units"] == "day"
    assert "Stein" in units["growth_rate_per_day"]["description"]
    meta = pq.read_schema(outputs / "trial" / "measurements.parquet").metadata
    assert b'"table": "trial/measurements.parquet"' in meta[META_KEY]
    sim = parquet_units(outputs / "simulate" / "lesions.parquet")
    assert sim["virus_pfu"]["units"] == "PFU" and sim["time_day"]["units"] == "day"
    for path in [*outputs.rglob("*.parquet")]:
        names = pq.read_schema(path).names
        assert set(parquet_units(path)) == set(names), f"{path}: columns without units metadata"


def test_measurements_have_patient_id_and_time_columns_carry_their_unit(outputs):
    m = pd.read_parquet(outputs / "trial" / "measurements.parquet")
    assert (m["patient_key"] == m["arm"] + ":" + m["patient_id"].astype(str)).all()
    p = pd.read_parquet(outputs / "trial" / "patients.parquet")
    assert "kg_per_day" not in p and "growth_rate_per_day" in p and "shrinkage_rate_per_day" in p
    sim = pd.read_parquet(outputs / "simulate" / "lesions.parquet")
    assert "time" not in sim and {"time_index", "time_day"} <= set(sim.columns)


def test_shipped_pool_tables_plan_csv_and_courses_are_documented(tmp_path):
    from ovsim.cli._plan import render_csv
    from ovsim.population import calibrated_pool_path
    from ovsim.regimen._plan import plan_visit, read_lesion_csv

    docs = dictionary.tables()
    folder = calibrated_pool_path()
    for name in ("patients.parquet", "lesions.parquet", "outcomes.parquet"):
        for column in pq.read_schema(folder / name).names:
            assert column_doc(docs[f"pool/{name}"], column), f"pool/{name}: {column}"
    for column in pd.read_csv(folder / "validation.csv").columns:
        assert column_doc(docs["pool/validation.csv"], column), column
    text = render_csv(plan_visit(read_lesion_csv(REPO / "examples" / "lesions_visit1.csv"), 1))
    (tmp_path / "plan.csv").write_text(text)
    assert list(pd.read_csv(tmp_path / "plan.csv").columns) == list(docs["plan/plan.csv"])


def test_unknown_table_is_one_line_and_cli_prints_a_table(capsys):
    with pytest.raises(dictionary.DictionaryError, match="expected one of"):
        dictionary.find_table("nonsense.parquet")
    with pytest.raises(dictionary.DictionaryError, match="ambiguous"):
        dictionary.find_table("patients")
    assert run(["dictionary", "measurements"]) == 0
    out = capsys.readouterr().out
    assert "## trial/measurements.parquet" in out and "| `true_diameter_cm` | cm |" in out
    assert run(["dictionary", "nope"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_docs_data_dictionary_is_up_to_date(tmp_path):
    spec = importlib.util.spec_from_file_location("_ovsim_tools_dd", REPO / "tools" / "data_dictionary_doc.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.check() is None, tool.check()
    stale = tmp_path / "dd.md"
    stale.write_text(dictionary.markdown().replace("| day |", "| days |", 1))
    assert "stale" in tool.check(stale)
