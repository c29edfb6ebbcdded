"""``ovsim simulate`` end to end on the shipped example; bad input leaves nothing behind."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
from typer.testing import CliRunner

from conftest import EXAMPLES
from ovsim.cli import app
from ovsim.regimen import DOSE_RECORD_COLUMNS

runner = CliRunner()


def test_simulate_reference_example(tmp_path):
    out = tmp_path / "ref"
    res = runner.invoke(app, ["simulate", str(EXAMPLES / "patient_reference.yaml"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert {p.name for p in out.iterdir()} == {
        "lesions.parquet", "systemic.parquet", "doses.csv", "run.json", "trajectories.png", ".ovsim-output.json"
    }
    lesions = pd.read_parquet(out / "lesions.parquet")
    assert set(lesions.lesion) == {"C1", "S1", "N1", "C2", "P1"}
    assert lesions.time_day.max() == 730.0
    assert {"longest_diameter_cm", "product_diameters_cm2", "site", "injectable"} <= set(lesions.columns)
    doses = pd.read_csv(out / "doses.csv")
    assert list(doses.columns) == list(DOSE_RECORD_COLUMNS)
    assert not set(doses.LESION_ID) & {"P1"}
    run = json.loads((out / "run.json").read_text())
    assert run["ovsim_version"] and len(run["patient_file_sha256"]) == 64
    assert (out / "trajectories.png").stat().st_size > 10_000
    assert "REF-001" in res.output


def test_simulate_csv_and_scipy_backend_on_gmcsf_example(tmp_path):
    out = tmp_path / "gm"
    res = runner.invoke(
        app, ["simulate", str(EXAMPLES / "patient_gmcsf.yaml"), "--out", str(out), "--format", "csv",
              "--backend", "scipy"],
    )
    assert res.exit_code == 0, res.output
    doses = pd.read_csv(out / "doses.csv")
    assert set(doses.DRUG) == {"GMCSF"} and len(doses) == 13 * 14 + 1  # 13 full cycles, then day 364
    assert (out / "lesions.csv").exists()


def test_bad_patient_file_one_line_error_and_no_output(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("patient: {id: X}\nlesions:\n  - {id: A, site: skin, longest_diameter_cm: 2}\n")
    out = tmp_path / "never"
    res = runner.invoke(app, ["simulate", str(bad), "--out", str(out)])
    assert res.exit_code == 2
    err = res.stderr if hasattr(res, "stderr") else res.output
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "bad.yaml: lesions[0].site: expected one of" in lines[0]
    assert not out.exists()
    assert not list(tmp_path.glob(".never.tmp-*"))


def test_import_ovsim_does_not_load_jax():
    code = "import sys, ovsim, ovsim.model, ovsim.regimen, ovsim.io; print('jax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_population_and_cohort_commands(tmp_path):
    res = runner.invoke(app, ["population", "--out", str(tmp_path / "pop"), "--patients", "6", "--seed", "3"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["cohort", "--population", str(tmp_path / "pop"), "--out", str(tmp_path / "c"),
                              "--horizon-days", "364", "--every-days", "28", "--chunk-size", "4"])
    assert res.exit_code == 0, res.output
    status = pd.read_parquet(tmp_path / "c" / "status.parquet")
    assert len(status) == 6 and status.ok.all()
    assert json.loads((tmp_path / "c" / "cohort.json").read_text())["seed"] == 3
    bad = runner.invoke(app, ["cohort", "--population", str(tmp_path / "nope"), "--out", str(tmp_path / "d")])
    assert bad.exit_code == 2 and "file not found" in bad.output
