"""Research (non-label) T-VEC regimens: dosing as configured, on both backends, and flagged "not the label"."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import EXAMPLES
from ovsim.cli import app
from ovsim.engine import simulate_cohort
from ovsim.population import generate_population
from ovsim.regimen import LabelPolicy, allocate_volumes_ml, visit_days
from ovsim.treatments import RegimenError, parse_regimen
from ovsim.trial import load_scenario, run_trial

runner = CliRunner()
RESEARCH = {"tvec": {"first_concentration_pfu_per_ml": 1e8, "first_interval_days": 28, "interval_days": 21,
                     "max_volume_ml_per_visit": 1.5}}


def test_label_is_conformant_and_research_is_not():
    for raw in ({"tvec": "label"}, {"tvec": "optim"}, {"tvec": {"concentration_pfu_per_ml": 1e8}}, {}):
        r = parse_regimen(raw)
        assert r.label_conformant and r.label_summary() == {"label_conformant": True}
    r = parse_regimen(RESEARCH)
    assert not r.label_conformant
    assert r.not_label() == ["tvec: first_concentration_pfu_per_ml 1e+08 PFU/mL (label 1e+06)",
                             "tvec: max_volume_ml_per_visit 1.5 mL (label 4)",
                             "tvec: first_interval_days 28 days (label 21)",
                             "tvec: interval_days 21 days (label 14)"]
    assert r.to_dict()["tvec"]["interval_days"] == 21
    assert "interval_days" not in parse_regimen({"tvec": "label"}).to_dict()["tvec"]  # label records unchanged


@pytest.mark.parametrize("field, value, expected", [
    ("first_concentration_pfu_per_ml", 10.0, "greater than or equal to 1000"),
    ("concentration_pfu_per_ml", 1e12, "less than or equal to 10000000000"),
    ("max_volume_ml_per_visit", 50, "less than or equal to 20"),
    ("interval_days", 0, "greater than or equal to 1"),
    ("first_interval_days", 400, "less than or equal to 365"),
    ("volume_scale", 0, "greater than or equal to 0.1"),
])
def test_out_of_range_research_settings_are_one_line(field, value, expected):
    with pytest.raises(RegimenError) as err:
        parse_regimen({"tvec": {field: value}}, "arms.x.regimen")
    assert str(err.value).startswith(f"arms.x.regimen.tvec.{field}: expected") and expected in str(err.value)
    with pytest.raises(ValueError, match=field):
        LabelPolicy(**{field: value})


def test_schedule_and_cap_and_scale():
    assert list(visit_days(100, first_interval_days=28, interval_days=21)) == [0, 28, 49, 70, 91]
    assert list(visit_days(60)) == [0, 21, 35, 49]
    d = np.array([6.0, 3.0, 2.0])  # label bands: 4, 2, 1 mL
    yes = np.ones(3, bool)
    assert list(allocate_volumes_ml(d, yes, yes, True)) == [4.0, 0.0, 0.0]
    assert list(allocate_volumes_ml(d, yes, yes, True, cap_ml=6.5)) == [4.0, 2.0, 0.5]
    assert list(allocate_volumes_ml(d, yes, yes, True, cap_ml=20.0, volume_scale=0.5)) == [2.0, 1.0, 0.5]


@pytest.fixture(scope="module")
def pop():
    return generate_population(4, seed=2)


def test_research_regimen_doses_as_configured_on_both_backends(pop):
    regimen = parse_regimen(RESEARCH)
    doses = {}
    for backend in ("jax", "scipy"):
        res = simulate_cohort(pop, regimen, horizon_days=112, output_every_days=28, backend=backend)
        doses[backend] = res.doses[res.doses.AMT > 0].reset_index(drop=True)
    d = doses["jax"]
    assert d.drop(columns="AMT").equals(doses["scipy"].drop(columns="AMT"))
    np.testing.assert_allclose(d.AMT, doses["scipy"].AMT, rtol=1e-12)
    assert set(d.TIME) <= {0.0, 28.0, 49.0, 70.0, 91.0} and {0.0, 28.0} <= set(d.TIME)
    assert (d[d.TIME == 0].CONC_PFU_ML == 1e8).all() and (d.CONC_PFU_ML == 1e8).all()
    per_visit = d.groupby(["ID", "TIME"]).VOL_ML.sum()
    assert per_visit.max() <= 1.5 + 1e-9 and np.isclose(per_visit.max(), 1.5)
    label = simulate_cohort(pop, parse_regimen({"tvec": "label"}), horizon_days=112, output_every_days=28).doses
    label = label[label.AMT > 0]
    assert (label[label.TIME == 0].CONC_PFU_ML == 1e6).all() and set(label.TIME) <= {0.0, 21.0, 35.0, 49.0, 63.0,
                                                                                      77.0, 91.0, 105.0}


def test_trial_flags_the_research_arm(tmp_path):
    sc = load_scenario(EXAMPLES / "trial_research_regimen.yaml")
    res = run_trial(sc, patients=3)
    arms = res.endpoints["arms"]
    assert arms["research"]["label_conformant"] is False and len(arms["research"]["not_label"]) == 3
    assert "label_conformant" not in arms["label"] and "not_label" not in arms["label"]
    prov = res.endpoints["provenance"]["overrides"]
    assert prov["arms"]["research"]["label_conformant"] is False and "label" not in prov["arms"]
    d = res.doses[(res.doses.AMT > 0) & (res.doses.ARM == "research")]
    assert (d.CONC_PFU_ML == 1e8).all() and d.groupby(["ID", "TIME"]).VOL_ML.sum().max() <= 6.0
    res.write_files(tmp_path, report=True)
    html = (tmp_path / "report.html").read_text()
    assert "Not the Imlygic label" in html and "first_concentration_pfu_per_ml" in html
    assert json.loads((tmp_path / "endpoints.json").read_text())["arms"]["research"]["label_conformant"] is False


def test_cohort_cli_records_research_regimen(tmp_path):
    out = tmp_path / "c"
    res = runner.invoke(app, ["cohort", "--patients", "2", "--seed", "1", "--horizon-days", "84", "--every-days",
                              "28", "--regimen", "{tvec: {interval_days: 21}}", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "not the Imlygic label" in res.output
    doc = json.loads((out / "cohort.json").read_text())
    assert doc["label_conformant"] is False and doc["not_label"] == ["tvec: interval_days 21 days (label 14)"]
