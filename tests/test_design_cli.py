"""``ovsim trial --replicates`` and ``ovsim design``: files, shapes, intervals, one-line errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from ovsim.cli import app
from ovsim.trial import load_scenario, parse_vary
from ovsim.trial._design import apply_point, design_points

runner = CliRunner()

TINY = """\
name: tiny
seed: 5
population: optim_calibrated
arms:
  tvec: {n: 4, regimen: {tvec: optim}}
  gmcsf: {n: 2, regimen: {gmcsf: {dose_ug_per_m2_per_day: 125.0, days_on: 14, cycle_days: 28, max_months: 12.0}}}
success:
  - {endpoint: comparisons.durable_response_difference.value, above: 0}
"""


def _one_line(res) -> str:
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert res.exit_code == 2 and len(lines) == 1, res.output
    return lines[0]


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def test_trial_replicates_writes_distribution_and_success(tmp_path):
    out = tmp_path / "rep"
    res = runner.invoke(app, ["trial", "--replicates", "2", "--patients", "6", "--seed", "3", "--out", str(out),
                              "--success", "arms.tvec.n>1 and comparisons.hazard_ratio_os.ci95.1<100"])
    assert res.exit_code == 0, res.output
    assert "probability of success" in res.output
    table = pd.read_parquet(out / "replicates.parquet")
    assert list(table["replicate"]) == [0, 1] and "arms.tvec.durable_response_rate.value" in table
    summary = pd.read_csv(out / "replicates_summary.csv")
    assert {"endpoint", "arm", "median", "q05", "q95", "mean", "n_replicates"} <= set(summary.columns)
    s = json.loads((out / "success.json").read_text())
    assert s["n_replicates"] == 2 and s["ci95"][0] <= s["probability"] <= s["ci95"][1]
    assert s["rule"] == "arms.tvec.n>1 and comparisons.hazard_ratio_os.ci95.1<100" and len(s["seeds"]) == 2
    assert (out / "replicates.png").stat().st_size > 1000 and "wall_seconds" in json.loads((out / "run.json").read_text())


@pytest.mark.parametrize("args, where", [
    (["--replicates", "2", "--success", "comparisons.nope.value<1"], "--success[0].endpoint"),
    (["--replicates", "2", "--success", "arms.tvec.n<x"], "--success: arms.tvec.n: expected a number"),
    (["--success", "arms.tvec.n<1"], "--success: expected --replicates N as well"),
])
def test_trial_replicates_errors_are_one_line(tmp_path, args, where):
    out = tmp_path / "never"
    line = _one_line(runner.invoke(app, ["trial", *args, "--patients", "4", "--out", str(out)]))
    assert where in line and not out.exists()


def test_option_errors_are_one_line(tmp_path, capsys):
    from ovsim.cli import run

    assert run(["trial", "--replicates", "0", "--out", str(tmp_path / "o")]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and err[0].startswith("ovsim: error: --replicates: expected a value >= 1")
    assert run(["design", "--replicates", "2", "--out", str(tmp_path / "o")]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and "--vary: missing" in err[0]


def test_assurance_refused_off_the_calibrated_population(tmp_path):
    ref = tmp_path / "ref.yaml"
    ref.write_text(TINY.replace("optim_calibrated", "reference"))
    line = _one_line(runner.invoke(app, ["trial", str(ref), "--replicates", "2", "--assurance",
                                         "--out", str(tmp_path / "o")]))
    assert "--assurance: expected a scenario with population: optim_calibrated" in line


def test_vary_parsing_and_points():
    sc = load_scenario()
    assert parse_vary("arms.tvec.n=100:200:50", sc).values == (100, 150, 200)
    assert parse_vary("ratio=2:1,1:1", sc).values == ("2:1", "1:1")
    assert parse_vary("follow_up_months=24,60", sc).name == "follow_up_months"
    points = design_points([parse_vary("ratio=1:1,3:1", sc), parse_vary("assessment.every_days=28,56", sc)])
    assert len(points) == 4 and points[0] == {"ratio": "1:1", "assessment.every_days": 28.0}
    one = apply_point(sc, {"ratio": "1:1", "follow_up_months": 24.0})
    assert one.n_patients == sc.n_patients and one.arms["tvec"].n == 218 and one.survival.follow_up_months == 24.0
    assert one.success == sc.success
    assert apply_point(sc, {"patients": 60}).arm_sizes() == sc.arm_sizes(60)  # as --patients splits them
    assert apply_point(sc, {"ratio": "3:1"}).arm_sizes() == {"tvec": 327, "gmcsf": 109}


@pytest.mark.parametrize("vary, where", [
    ("arms.nope.n=10,20", "no arm 'nope'"),
    ("ratio=2:1:1", "expected 2 whole numbers > 0"),
    ("ratio=1.5:1", "expected 2 whole numbers > 0"),
    ("arms.tvec.n=10:5:1", "expected FROM <= TO"),
    ("arms.tvec.n=1.5", "whole numbers"),
    ("colour=red", "expected one of"),
])
def test_design_errors_are_one_line(tmp_path, tiny, vary, where):
    out = tmp_path / "never"
    line = _one_line(runner.invoke(app, ["design", str(tiny), "--vary", vary, "--out", str(out)]))
    assert "--vary" in line and where in line and not out.exists()


def test_design_writes_power_curve(tmp_path, tiny):
    out = tmp_path / "design"
    res = runner.invoke(app, ["design", str(tiny), "--vary", "arms.tvec.n=2:4:2", "--replicates", "2",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    power = pd.read_csv(out / "power.csv")
    assert list(power["point"]) == [0, 1] and list(power["arms.tvec.n"]) == [2, 4]
    assert list(power["n_patients"]) == [4, 6] and (power["n_replicates"] == 2).all()
    assert ((power["ci_low"] <= power["probability"]) & (power["probability"] <= power["ci_high"])).all()
    assert power["seed"].nunique() == 2 and (out / "power.png").stat().st_size > 1000
