"""``ovsim trial``: the command runs a scenario end to end; bad scenarios fail in one line."""

from __future__ import annotations

import json
import re

import pandas as pd

from conftest import EXAMPLES
from typer.testing import CliRunner

from ovsim.cli import app

runner = CliRunner()


def test_trial_command_writes_endpoints_and_report(tmp_path):
    out = tmp_path / "optim"
    res = runner.invoke(app, ["trial", "--patients", "6", "--seed", "3", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "durable response rate" in res.output
    doc = json.loads((out / "endpoints.json").read_text())
    assert doc["seed"] == 3 and doc["scenario"] == "optim"
    assert doc["arms"]["tvec"]["n"] + doc["arms"]["gmcsf"]["n"] == 6
    html = (out / "report.html").read_text()
    assert "Kaplan" in html and "<script" not in html
    assert not re.search(r'(src|href)\s*=\s*["\']https?:', html)  # self-contained


def test_paired_example_runs_with_three_arms(tmp_path):
    res = runner.invoke(app, ["trial", str(EXAMPLES / "trial_paired.yaml"), "--patients", "6",
                              "--out", str(tmp_path / "p"), "--no-report"])
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "p" / "endpoints.json").read_text())
    assert list(doc["arms"]) == ["optim_rules", "label_only", "untreated"]
    # paired: every arm has the same patients (6 split over 3 arms -> 2, cloned from the first arm)
    assert {a["n"] for a in doc["arms"].values()} == {2}
    patients = pd.read_parquet(tmp_path / "p" / "patients.parquet")
    visits = patients.groupby("arm").tvec_visits.sum()
    assert visits["untreated"] == 0 and visits["optim_rules"] > 0 and visits["label_only"] > 0
    assert patients.groupby("arm").patient_id.apply(tuple).nunique() == 1  # same patients in every arm
    assert not (tmp_path / "p" / "report.html").exists()


def test_bad_scenario_fails_in_one_line_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\narms: {a: {n: 2, regimen: {tvec: sometimes}}}\n")
    out = tmp_path / "never"
    res = runner.invoke(app, ["trial", str(bad), "--out", str(out)])
    assert res.exit_code == 2
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "bad.yaml" in lines[0] and "arms.a.regimen.tvec" in lines[0]
    assert not out.exists()


def test_calibrate_validate_requires_ship():
    res = runner.invoke(app, ["calibrate", "--validate"])
    assert res.exit_code == 2
    assert "--validate" in res.output and len([x for x in res.output.splitlines() if x.strip()]) == 1
