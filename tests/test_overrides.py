"""Model-parameter overrides: scenario ``parameters:`` blocks, per-arm overrides and ``--set`` (docs/parameters.md)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import EXAMPLES
from ovsim.cli import app
from ovsim.engine import simulate_cohort
from ovsim.population import apply_overrides, generate_population, parse_overrides
from ovsim.treatments import parse_regimen
from ovsim.trial import load_scenario, run_trial
from ovsim.trial._run import draw_arms

runner = CliRunner()


@pytest.fixture(scope="module")
def pop():
    return generate_population(6, seed=4)


def test_fixed_value_replaces_everyones_and_changes_trajectories(pop):
    over, warnings = parse_overrides({"kill_rate": 0.9})
    out = apply_overrides(pop, over, seed=1)
    assert (out.patients["kill_rate"] == 0.9).all() and not warnings
    assert "kill_rate" not in pop.patients or not (pop.patients["kill_rate"] == 0.9).all()  # the input is unchanged
    regimen = parse_regimen({"tvec": {}})
    base = simulate_cohort(pop.rows(0, 2), regimen, horizon_days=84, output_every_days=28)
    new = simulate_cohort(out.rows(0, 2), regimen, horizon_days=84, output_every_days=28)
    d0 = np.asarray(base.trajectories["longest_diameter_cm"].values)
    d1 = np.asarray(new.trajectories["longest_diameter_cm"].values)
    assert np.nanmax(np.abs(d1[:, -1] - d0[:, -1])) > 1e-3


def test_distribution_reproducible_by_seed_and_chunking(pop):
    over, _ = parse_overrides({"burst_size": {"distribution": "lognormal", "median": 8, "cv": 0.5},
                               "doubling_time_days": {"distribution": "uniform", "low": 30, "high": 90}})
    a = apply_overrides(pop, over, seed=9)
    b = apply_overrides(pop, over, seed=9)
    part = apply_overrides(pop.rows(3, 6), over, seed=9)  # another chunk: the same patients draw the same values
    c = apply_overrides(pop, over, seed=10)
    assert a.patients["burst_size"].equals(b.patients["burst_size"])
    np.testing.assert_array_equal(a.patients["burst_size"].to_numpy()[3:], part.patients["burst_size"].to_numpy())
    np.testing.assert_array_equal(a.lesions["doubling_time_days"].to_numpy()[-len(part.lesions):],
                                  part.lesions["doubling_time_days"].to_numpy())
    assert not np.allclose(a.patients["burst_size"], c.patients["burst_size"])
    assert a.patients["burst_size"].nunique() == len(pop)  # per patient
    dt = a.lesions["doubling_time_days"]
    assert dt.between(30, 90).all() and dt.nunique() == len(a.lesions)  # lesion-level: per lesion
    # one override does not move another's draws (own stream per parameter)
    alone = apply_overrides(pop, {"burst_size": over["burst_size"]}, seed=9)
    assert alone.patients["burst_size"].equals(a.patients["burst_size"])


@pytest.mark.parametrize("raw, expected", [
    ({"kil_rate": 0.1}, "parameters.kil_rate: expected a model parameter (did you mean kill_rate?)"),
    ({"ecog": 1}, "parameters.ecog: expected a model parameter (ecog is a covariate"),
    ({"kill_rate": -1}, "parameters.kill_rate: expected a finite number >= 0"),
    ({"kill_rate": float("nan")}, "parameters.kill_rate: expected a finite number >= 0"),
    ({"kill_rate": {"distribution": "normal", "mean": 0.1, "sd": 0.1}}, "a lognormal keeps draws > 0"),
    ({"kill_rate": {"distribution": "lognormal", "median": 0.1}}, "parameters.kill_rate.cv: expected"),
    ({"kill_rate": {"distribution": "gamma", "median": 0.1}}, "parameters.kill_rate.distribution:"),
])
def test_bad_overrides_are_one_line(raw, expected):
    with pytest.raises(ValueError) as err:
        parse_overrides(raw)
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_outside_plausible_range_warns():
    over, warnings = parse_overrides({"kill_rate": 5.0})
    assert over == {"kill_rate": 5.0}
    assert len(warnings) == 1 and "outside the plausible range 0.01..1" in warnings[0]


def _scenario(tmp_path, text: str):
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return path


BASE = """name: ov
seed: 3
design: paired
arms:
  a: {n: 4, regimen: {tvec: optim}, parameters: {kill_rate: 0.7}}
  b: {n: 4, regimen: {tvec: optim}}
"""


def test_scenario_typo_names_file_and_field(tmp_path):
    path = _scenario(tmp_path, BASE + "parameters: {kil_rate: 0.2}\n")
    with pytest.raises(ValueError) as err:
        load_scenario(path)
    assert str(err.value) == f"{path}: parameters.kil_rate: expected a model parameter (did you mean kill_rate?)"
    path = _scenario(tmp_path, BASE.replace("kill_rate: 0.7", "burst_sise: 3"))
    with pytest.raises(ValueError, match=r"arms\.a\.parameters\.burst_sise: .*did you mean burst_size\?"):
        load_scenario(path)


def test_per_arm_overrides_apply_to_one_arm_only(tmp_path):
    sc = load_scenario(_scenario(tmp_path, BASE + "parameters: {burst_size: 12}\n"))
    assert sc.overrides("a")[0] == {"burst_size": 12.0, "kill_rate": 0.7}
    assert sc.overrides("b")[0] == {"burst_size": 12.0}
    pops = draw_arms(sc, 3)
    a = apply_overrides(pops["a"], sc.overrides("a")[0], 3)
    b = apply_overrides(pops["b"], sc.overrides("b")[0], 3)
    assert (a.patients["kill_rate"] == 0.7).all() and not (b.patients.get("kill_rate", 0.0) == 0.7).any()
    assert (a.patients["burst_size"] == 12).all() and (b.patients["burst_size"] == 12).all()


def test_no_overrides_keep_the_scenario_digest(tmp_path):
    plain = load_scenario(_scenario(tmp_path, BASE.replace(", parameters: {kill_rate: 0.7}", "")))
    assert "parameters" not in json.dumps(plain.digest())
    again = plain.with_parameters({})
    assert again.digest() == plain.digest()
    assert plain.with_parameters({"kill_rate": 0.2}).digest() != plain.digest()


def test_trial_records_overrides_in_provenance(tmp_path):
    sc = load_scenario(_scenario(tmp_path, BASE))
    res = run_trial(sc, patients=4)
    over = res.endpoints["provenance"]["overrides"]
    assert over["arms"]["a"]["parameters"] == {"kill_rate": 0.7} and "b" not in over["arms"]
    assert "label_conformant" not in res.endpoints["arms"]["a"]  # the label regimen adds nothing


def test_cli_set_trial_typo_and_arm(tmp_path):
    res = runner.invoke(app, ["trial", "--set", "kil_rate=0.1", "-o", str(tmp_path / "t")])
    assert res.exit_code == 2 and "--set kil_rate: expected a model parameter (did you mean kill_rate?)" in res.output
    res = runner.invoke(app, ["trial", "--set", "arms.nope.kill_rate=0.1", "-o", str(tmp_path / "t")])
    assert res.exit_code == 2 and "unknown arm" in res.output
    res = runner.invoke(app, ["trial", "--set", "kill_rate=lognormal:0.1", "-o", str(tmp_path / "t")])
    assert res.exit_code == 2 and "lognormal:MEDIAN:CV" in res.output
    assert not (tmp_path / "t").exists()


def test_cli_set_trial_runs(tmp_path):
    path = _scenario(tmp_path, BASE)
    out = tmp_path / "t"
    res = runner.invoke(app, ["trial", str(path), "--patients", "4", "--no-report", "-o", str(out),
                              "--set", "burst_size=lognormal:8:0.3", "--set", "arms.b.kill_rate=2"])
    assert res.exit_code == 0, res.output
    assert "outside the plausible range" in res.output  # kill_rate 2 > 1: accepted with a warning
    over = json.loads((out / "endpoints.json").read_text())["provenance"]["overrides"]
    assert over["cli_set"] == ["burst_size=lognormal:8:0.3", "arms.b.kill_rate=2"]
    assert over["arms"]["b"]["parameters"]["kill_rate"] == 2.0
    assert over["arms"]["a"]["parameters"]["kill_rate"] == 0.7
    assert over["parameters"]["burst_size"] == {"distribution": "lognormal", "median": 8.0, "cv": 0.3}
    assert any("kill_rate" in w for w in over["warnings"])


def test_cli_set_cohort(tmp_path):
    out = tmp_path / "c"
    res = runner.invoke(app, ["cohort", "--patients", "3", "--seed", "1", "--horizon-days", "84", "--every-days",
                              "28", "--set", "kill_rate=0.3", "--out", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "cohort.json").read_text())
    assert doc["overrides"]["parameters"] == {"kill_rate": 0.3} and doc["label_conformant"] is True
    res = runner.invoke(app, ["cohort", "--patients", "3", "--seed", "1", "--set", "arms.a.kill_rate=1",
                              "--out", str(tmp_path / "x")])
    assert res.exit_code == 2 and "ovsim trial only" in res.output


def test_cli_set_simulate(tmp_path):
    src = (EXAMPLES / "patient_reference.yaml").read_text().replace("horizon_days: 730", "horizon_days: 84")
    src = src.replace("output_every_days: 1", "output_every_days: 7")
    path = tmp_path / "p.yaml"
    path.write_text(src)
    outs = {}
    for value in ("0.1", "0.9"):
        out = tmp_path / f"s{value}"
        res = runner.invoke(app, ["simulate", str(path), "--out", str(out), "--format", "csv",
                                  "--set", f"kill_rate={value}", "--set", "doubling_time_days=30"])
        assert res.exit_code == 0, res.output
        run = json.loads((out / "run.json").read_text())
        assert run["overrides"]["parameters"]["kill_rate"] == float(value) and run["label_conformant"] is True
        outs[value] = (out / "lesions.csv").read_text()
    assert outs["0.1"] != outs["0.9"]
    res = runner.invoke(app, ["simulate", str(path), "--out", str(tmp_path / "x"), "--set",
                              "kill_rate=uniform:0.1:0.2"])
    assert res.exit_code == 2 and "use ovsim cohort or trial" in res.output
