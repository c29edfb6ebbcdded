"""``ovsim cohort --regimen``: the one regimen schema on the command line (names or an inline mapping)."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from ovsim.cli import app

runner = CliRunner()


def test_combination_regimen_inline(tmp_path):
    out = tmp_path / "combo"
    res = runner.invoke(app, ["cohort", "--patients", "3", "--seed", "1", "--horizon-days", "84",
                              "--every-days", "28", "--regimen", "{tvec: optim, gmcsf: {days_on: 7}}",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    doses = pd.concat([pd.read_parquet(p) for p in out.glob("doses-part-*.parquet")])
    assert set(doses.DRUG) == {"TVEC", "GMCSF"}
    gm_days = doses[doses.DRUG == "GMCSF"].TIME.unique()
    assert set(gm_days % 28) == set(range(7))  # days_on: 7 of each 28-day cycle


@pytest.mark.parametrize("value, expected", [
    ("{aspirin: {}}", "regimen.aspirin: unknown treatment 'aspirin' (expected one of tvec, gmcsf"),
    ("{tvec: {min_months: -1}}", "regimen.tvec.min_months:"),
    ("{tvec: weekly}", "regimen.tvec"),
    ("tvec+", "regimen."),
    ("{tvec: [1", "not a valid YAML mapping"),
])
def test_bad_regimen_is_one_line(tmp_path, value, expected):
    res = runner.invoke(app, ["cohort", "--patients", "2", "--seed", "1", "--regimen", value,
                              "--out", str(tmp_path / "x")])
    assert res.exit_code == 2
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0], res.output
    assert not (tmp_path / "x").exists()
