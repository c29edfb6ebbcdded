"""Progression-free survival: per patient (ovsim.trial._pfs), per arm and in comparisons."""

import numpy as np
import pandas as pd
import pytest

from ovsim.assess._table import Response
from ovsim.model import DAYS_PER_MONTH
from ovsim.trial._endpoints import comparisons, trial_endpoints
from ovsim.trial._pfs import pfs_endpoints, progression_free_survival
from ovsim.trial._roles import endpoint_roles, scenario_targets, target_paths

CR, PR, SD, PD, NE = (int(r) for r in (Response.CR, Response.PR, Response.SD, Response.PD, Response.NE))
T = np.arange(0.0, 5 * 28.0, 28.0)  # assessments at days 0, 28, 56, 84, 112


def _pfs(response, os_months, os_event, assessed=None):
    response = np.asarray(response)
    assessed = response != NE if assessed is None else np.asarray(assessed)
    assessed[:, 0] = True  # baseline is measured (its response is NE)
    return progression_free_survival(response, T, assessed, np.asarray(os_months, float), np.asarray(os_event), 28.0)


def test_first_pd_is_the_event():
    months, event = _pfs([[NE, SD, PD, SD, PD]], [40.0], [True])
    assert event[0] and months[0] == pytest.approx(56.0 / DAYS_PER_MONTH)


def test_death_during_assessments_is_an_event():
    # assessed to day 56, dies at day 70 (before the next assessment): PFS event at death
    months, event = _pfs([[NE, SD, PR, NE, NE]], [70.0 / DAYS_PER_MONTH], [True])
    assert event[0] and months[0] == pytest.approx(70.0 / DAYS_PER_MONTH)


def test_alive_without_progression_is_censored_at_last_assessment():
    months, event = _pfs([[NE, SD, SD, PR, CR]], [60.0], [False])
    assert not event[0] and months[0] == pytest.approx(112.0 / DAYS_PER_MONTH)


def test_death_long_after_the_last_assessment_is_censored():
    # responder followed to day 112, dies at 30 months: not a PFS event (no assessment covers it)
    months, event = _pfs([[NE, PR, PR, CR, CR]], [30.0], [True])
    assert not event[0] and months[0] == pytest.approx(112.0 / DAYS_PER_MONTH)


def test_progression_after_end_of_follow_up_is_not_seen():
    # follow-up ends at 2 months (censored OS); PD at day 84 (2.76 months) is after it
    months, event = _pfs([[NE, SD, SD, PD, SD]], [2.0], [False])
    assert not event[0] and months[0] == pytest.approx(56.0 / DAYS_PER_MONTH)


def test_irrc_unconfirmed_progression_is_not_an_event():
    """The response table holds confirmed irPD only: an unconfirmed irPD visit is irSD there, so no event."""
    months, event = _pfs([[NE, SD, SD, SD, SD]], [40.0], [False])
    assert not event[0]


def test_not_finite_survival_gives_nan():
    months, event = _pfs([[NE, SD, SD, SD, SD]], [np.nan], [False])
    assert np.isnan(months[0]) and not event[0]


def test_shape_is_checked():
    with pytest.raises(ValueError, match="expected shape"):
        progression_free_survival(np.zeros((2, 3), int), T, np.ones((2, 3), bool), np.ones(2), np.ones(2, bool), 28.0)


def _patients(arm, pfs, event, n=None):
    n = len(pfs)
    return pd.DataFrame({"patient_key": [f"{arm}:{i}" for i in range(n)], "arm": arm, "ok": True, "stage": "IVM1c",
                         "durable_response": False, "objective_response": False, "complete_response": False,
                         "progression_before_response": False, "os_event": True,
                         "os_months": np.asarray(pfs, float) + 5.0, "time_to_response_days": np.nan,
                         "time_to_complete_response_days": np.nan,
                         "pfs_months": np.asarray(pfs, float), "pfs_event": np.asarray(event, bool)})


def test_arm_median_and_landmarks():
    p = _patients("a", [1.0, 2.0, 3.0, 7.0, 13.0], [True] * 5)
    out = pfs_endpoints(p)
    assert out["median_progression_free_survival_months"]["value"] == pytest.approx(3.0)
    assert out["progression_free_survival_at_months"]["6"]["value"] == pytest.approx(0.4)
    assert out["progression_free_survival_at_months"]["12"]["value"] == pytest.approx(0.2)
    lo, hi = out["progression_free_survival_at_months"]["6"]["ci95"]
    assert lo < 0.4 < hi


def test_hazard_ratio_pfs_and_three_arm_comparisons_vs_control():
    rng = np.random.default_rng(1)
    frames = [_patients(arm, rng.exponential(scale, 60), np.ones(60, bool))
              for arm, scale in (("fast", 12.0), ("mid", 6.0), ("ctl", 3.0))]
    patients = pd.concat(frames, ignore_index=True)
    lesions = pd.DataFrame({"patient_key": [], "arm": [], "category": [], "decrease_ge_50pct": [],
                            "complete_resolution": []})
    doc = trial_endpoints(patients, lesions, ["fast", "mid", "ctl"])
    assert doc["comparisons"]["hazard_ratio_pfs"]["value"] < 1  # first arm vs control
    vs = doc["comparisons_vs_control"]
    assert sorted(vs) == ["fast", "mid"]
    assert vs["fast"]["hazard_ratio_pfs"]["value"] < vs["mid"]["hazard_ratio_pfs"]["value"] < 1
    assert vs["fast"] == doc["comparisons"]
    two = trial_endpoints(patients[patients.arm != "mid"], lesions, ["fast", "ctl"])
    assert "comparisons_vs_control" not in two  # two arms: comparisons is the one comparison
    roles = endpoint_roles(doc, None)
    assert roles["comparisons_vs_control.mid.hazard_ratio_pfs"] == "prediction"
    assert roles["arms.ctl.median_progression_free_survival_months"] == "prediction"


def test_non_finite_pfs_of_an_evaluable_patient_is_refused():
    p = _patients("a", [1.0, 2.0], [True, False])
    p.loc[1, "pfs_months"] = np.inf
    with pytest.raises(ValueError, match="pfs_months is inf"):
        comparisons(p, p)


def test_checkpoint_targets_are_calibration_targets():
    kn = target_paths(scenario_targets("keynote006"), ["pembrolizumab_q2w", "pembrolizumab_q3w", "ipilimumab"])
    assert kn["arms.ipilimumab.progression_free_survival_at_months.6"] == "targets.progression_free_at_6_months.ipilimumab"
    assert kn["arms.pembrolizumab_q3w.overall_survival_at_months.24"].endswith("pembrolizumab_q3w")
    assert "arms.pembrolizumab_q2w.overall_survival_at_months.24" not in kn  # not published for q2w
    assert len(kn) == 11
    cm = target_paths(scenario_targets("checkmate067_ipilimumab"), ["ipilimumab"])
    assert set(cm) == {"arms.ipilimumab.objective_response_rate", "arms.ipilimumab.median_progression_free_survival_months"}
    for name in ("masterkey265_phase1b", "masterkey265_phase3", "tvec_ipilimumab_phase2"):
        assert scenario_targets(name) is None  # combination trials: predictions only


def test_pfs_kaplan_meier_figure_shows_each_arms_median_and_the_hazard_ratio():
    """The report's PFS figure: one curve per arm (failed patients left out), the median from
    endpoints.json in each legend entry, the PFS hazard ratio in the note, at-risk counts every 6 months."""
    import matplotlib

    matplotlib.use("Agg")
    from ovsim.report import trial_figure
    from ovsim.trial._endpoints import km_frames

    rng = np.random.default_rng(3)
    patients = pd.concat([_patients(arm, rng.exponential(scale, 80), rng.random(80) < 0.8)
                          for arm, scale in (("tvec_pembrolizumab", 9.0), ("placebo_pembrolizumab", 4.0))],
                         ignore_index=True)
    patients.loc[0, ["ok", "pfs_months"]] = [False, np.nan]  # a failed patient: flagged, left out
    arms = ["tvec_pembrolizumab", "placebo_pembrolizumab"]
    km = km_frames(patients, arms, "pfs_months", "pfs_event")
    assert int(km["tvec_pembrolizumab"]["at_risk"].iloc[0]) == 79 and len(km) == 2
    lesions = pd.DataFrame({"patient_key": [], "arm": [], "category": [], "decrease_ge_50pct": [],
                            "complete_resolution": []})
    doc = trial_endpoints(patients, lesions, arms)

    from types import SimpleNamespace

    result = SimpleNamespace(endpoints=doc, patients=patients, assessments=pd.DataFrame(), km={},
                             subgroup_comparisons=None)
    fig = trial_figure(result, "pfs_km")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "progression-free survival (probability)"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    med = doc["arms"]["tvec_pembrolizumab"]["median_progression_free_survival_months"]["value"]
    assert any(f"median {med:.1f}" in text for text in legend), legend
    note = " ".join(t.get_text() for t in ax.texts)
    hr = doc["comparisons"]["hazard_ratio_pfs"]["value"]
    assert "HR (PFS)" in note and f"{hr:.2f}" in note
    assert list(ax.get_xticks()[:3]) == [0.0, 6.0, 12.0]
    with pytest.raises(ValueError, match="endpoint: expected one of os, pfs"):
        from ovsim.report import plot_km
        plot_km(km, endpoint="dfs")
