"""A report for any number of arms and any treatments: a 3-arm trial (T-VEC, GM-CSF, untreated) shows every
arm in every table and figure, and compares each arm with the control (the last arm)."""

import re

import matplotlib
import pytest

matplotlib.use("Agg")
from matplotlib.text import Text  # noqa: E402

import ovsim  # noqa: E402
from ovsim.report import trial_figure  # noqa: E402
from ovsim.report._trial_report import FIGURES  # noqa: E402
from ovsim.trial import TrialScenario, load_scenario, run_trial  # noqa: E402

NAMES = {"tvec": "T-VEC", "gmcsf": "GM-CSF", "untreated": "No treatment"}


@pytest.fixture(scope="module")
def three_arms():
    ovsim.configure_jax()
    raw = load_scenario().model_dump()
    for key in ("success", "supply_forecast"):
        raw.pop(key)
    raw["name"] = "three_arms"
    raw["arms"] = {"tvec": {**raw["arms"]["tvec"], "n": 8}, "gmcsf": {**raw["arms"]["gmcsf"], "n": 8},
                   "untreated": {"n": 8, "label": "no treatment", "display_name": "No treatment", "regimen": {}}}
    return run_trial(TrialScenario(**raw), seed=11)


def test_endpoints_compare_every_arm_with_the_control(three_arms):
    ep = three_arms.endpoints
    assert sorted(ep["comparisons_vs_control"]) == ["gmcsf", "tvec"]
    for comps in ep["comparisons_vs_control"].values():
        assert {"hazard_ratio_os", "hazard_ratio_pfs", "durable_response_difference"} <= set(comps)
    assert ep["roles"]["comparisons_vs_control.gmcsf.hazard_ratio_os"] == "prediction"
    for arm in NAMES:
        assert ep["arms"][arm]["median_progression_free_survival_months"]["value"] is not None
    patients = three_arms.patients[three_arms.patients.ok]
    assert (patients.pfs_months <= patients.os_months + 1e-9).all()
    summary = three_arms.summary()
    assert {"tvec vs untreated", "gmcsf vs untreated"} <= set(summary["arm"])


def test_report_has_every_arm_in_every_table_and_comparisons_vs_control(three_arms, tmp_path):
    html = three_arms.report(tmp_path / "report.html").read_text()
    heads = re.findall(r"<th>Comparison \(([^)]*)\)</th>", html)
    assert heads == ["T-VEC vs No treatment", "GM-CSF vs No treatment"]
    for table in re.findall(r'<table class="(?:endpoints|)"[^>]*>.*?</table>', html, flags=re.S):
        if "simulated (95% CI)" in table:
            for name in NAMES.values():
                assert f"{name}: simulated (95% CI)" in table
    endpoints_table = re.search(r'<table class="endpoints">.*?</table>', html, flags=re.S).group(0)
    assert "Median progression-free survival (months)" in endpoints_table
    assert "Progression-free survival at 6 months" in endpoints_table
    # the three-arm trial has no targets file of its own: OPTiM's values only beside OPTiM's arm names
    assert "<th>T-VEC: OPTiM</th>" in html and "<th>No treatment: OPTiM</th>" not in html


@pytest.mark.parametrize("kind", list(FIGURES))
def test_every_figure_names_every_arm(three_arms, kind):
    fig = trial_figure(three_arms, kind)
    text = " ".join(t.get_text() for t in fig.findobj(Text))
    for name in NAMES.values():
        assert name in text, (kind, name)
