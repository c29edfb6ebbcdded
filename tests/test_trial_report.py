"""The virtual-trial HTML report and its figures, on synthetic trial outputs (seeded numpy).

The synthetic inputs follow the schemas the trial module writes (endpoints.json, patient,
assessment and lesion tables, Kaplan-Meier tables); ``synthetic_inputs`` is also used by hand to
make a report for ``tools/check_report.py``.
"""

from __future__ import annotations

import math
import re
from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from ovsim.report._trial_plots import (
    plot_forest,
    plot_km,
    plot_lesion_bars,
    plot_spider,
    plot_swimmer,
    plot_waterfall,
)
from ovsim.report._trial_plots_survival import at_risk
from ovsim.report._trial_report import FIGURES as FIGURE_KINDS
from ovsim.report._trial_report import trial_figure, write_trial_report

matplotlib.use("Agg")
import matplotlib.pyplot as plt

STAGES = ("IIIB/IIIC", "IVM1a", "IVM1b", "IVM1c")
CATEGORIES = ("injected", "uninjected_nonvisceral", "uninjected_visceral")
HEADINGS = ("Summary", "Design", "Endpoints", "Figures", "Failed patients", "Provenance")
FIGURES = 7  # waterfall, spider, swimmer, OS and PFS Kaplan-Meier, forest, lesions
PUBLISHED = {   # optim.yaml's targets block (OPTiM, Andtbacka et al. 2015/2016/2019)
    "durable_response_rate": {"tvec": {"value": 0.163, "events": 48, "n": 295},
                              "gmcsf": {"value": 0.021, "events": 3, "n": 141}},
    "objective_response_rate": {"tvec": {"value": 0.264, "ci95": [0.21, 0.32]},
                                "gmcsf": {"value": 0.057, "ci95": [0.02, 0.10]}},
    "complete_response_rate": {"tvec": {"value": 0.108, "events": 32, "n": 295},
                               "gmcsf": {"value": 0.007, "events": 1, "n": 141}},
    "median_time_to_response_months": {"tvec": {"value": 4.1, "range": [1.2, 16.7]}},
    "overall_survival": {"median_months": {"tvec": {"value": 23.3, "ci95": [19.5, 29.6]},
                                           "gmcsf": {"value": 18.9, "ci95": [16.0, 23.7]}},
                         "hazard_ratio_tvec_vs_gmcsf": {"value": 0.79, "ci95": [0.62, 1.00]}},
    "lesion_level_tvec_arm": {
        "injected": {"n_lesions": 2116, "decrease_ge_50pct": 0.64, "complete_resolution": 0.47},
        "uninjected_nonvisceral": {"n_lesions": 981, "decrease_ge_50pct": 0.34, "complete_resolution": 0.22},
        "uninjected_visceral": {"n_lesions": 177, "decrease_ge_50pct": 0.15, "complete_resolution": 0.09}},
}


def rate(flags) -> dict:
    """RATE with a Wilson 95% interval; value None when n is 0."""
    flags = np.asarray(flags, dtype=bool)
    n, k = len(flags), int(flags.sum())
    if n == 0:
        return {"value": None, "ci95": [None, None], "events": 0, "n": 0}
    p, z = k / n, 1.96
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return {"value": p, "ci95": [max(centre - half, 0.0), min(centre + half, 1.0)], "events": k, "n": n}


def km_table(t, e) -> pd.DataFrame:
    """Kaplan-Meier step table (months) with log-transformed Greenwood 95% bands."""
    t, e = np.asarray(t, float), np.asarray(e, bool)
    rows = [(0.0, 1.0, 1.0, 1.0, len(t), 0, 0)]
    s, var = 1.0, 0.0
    for u in np.unique(t):
        n = int((t >= u).sum())
        d, c = int(((t == u) & e).sum()), int(((t == u) & ~e).sum())
        if d:
            s *= 1 - d / n
            var += d / (n * (n - d)) if n > d else 0.0
        se = math.sqrt(var)
        rows.append((float(u), s, s * math.exp(-1.96 * se), min(s * math.exp(1.96 * se), 1.0), n, d, c))
    return pd.DataFrame(rows, columns=["time_months", "survival", "lower", "upper", "at_risk", "events", "censored"])


def arm_endpoints(p: pd.DataFrame, lesions: pd.DataFrame, km: pd.DataFrame) -> dict:
    """The per-arm endpoint block of endpoints.json."""
    below = km.index[km["survival"] <= 0.5]
    med = float(km.loc[below[0], "time_months"]) if len(below) else None
    ttr = p.loc[p["objective_response"], "time_to_response_days"] / 30.4375
    out = {"n": len(p), "durable_response_rate": rate(p["durable_response"]),
           "objective_response_rate": rate(p["objective_response"]),
           "complete_response_rate": rate(p["complete_response"]),
           "median_time_to_response_months": float(ttr.median()) if len(ttr) else None,
           "median_time_to_complete_response_months": None,
           "median_overall_survival_months": {"value": med, "ci95": [None if med is None else med * 0.8, None]},
           "overall_survival_at_months": {m: rate(p["os_months"] > float(m)) for m in ("12", "24", "36", "48")},
           "progression_before_response_among_durable_responders": rate(np.zeros(int(p["durable_response"].sum()))),
           "lesion_level": {c: {"decrease_ge_50pct": rate(lesions.loc[lesions.category == c, "decrease_ge_50pct"]),
                                "complete_resolution": rate(lesions.loc[lesions.category == c, "complete_resolution"])}
                            for c in CATEGORIES}}
    return out


def synthetic_inputs(arms=("tvec", "gmcsf"), sizes=(120, 50), seed=7, responders=True) -> dict:
    """Keyword arguments of write_trial_report for a small synthetic trial (first arm better)."""
    rng = np.random.default_rng(seed)
    pats, assess, les = [], [], []
    for a, (arm, n) in enumerate(zip(arms, sizes)):
        good = 0.35 if a == 0 else 0.10
        for i in range(n):
            pid = f"{arm[:2].upper()}{i:03d}"
            u = rng.random()
            bor = ("CR" if u < good / 2 else "PR" if u < good else "SD" if u < good + 0.3 else
                   "PD" if u < 0.95 else "NE")
            if not responders and bor in ("CR", "PR"):
                bor = "SD"
            change = {"CR": -100.0, "PR": rng.uniform(-99, -50), "SD": rng.uniform(-49, 24),
                      "PD": rng.uniform(25, 260), "NE": np.nan}[bor]
            resp = bor in ("CR", "PR")
            ttr = rng.uniform(30, 330) if resp else np.nan
            dor = rng.uniform(60, 600) if resp else np.nan
            os_m = min(rng.exponential(30 if a == 0 else 24), 60.0)
            pats.append({"patient_id": pid, "arm": arm, "stage": STAGES[rng.integers(4)], "ok": i != 3,
                         "best_overall_response": bor, "objective_response": resp, "complete_response": bor == "CR",
                         "durable_response": bool(resp and dor > 183 and ttr < 365),
                         "time_to_response_days": ttr, "duration_of_response_days": dor, "best_change_pct": change,
                         "treatment_end_day": rng.uniform(90, 540), "os_months": os_m,
                         "os_event": bool(os_m < 60 and rng.random() < 0.85)})
            nadir = ttr if resp else 150.0
            for day in np.arange(0.0, min(os_m * 30.4375, 720.0), 56.0):
                y = np.nan if np.isnan(change) else change * min(day / nadir, 1.0)
                if resp and day > nadir + dor:
                    y = y + 40.0
                code = ("NE" if np.isnan(y) else "CR" if y <= -100 else "PR" if y <= -50 else
                        "PD" if y >= 25 else "SD")
                assess.append({"patient_id": pid, "arm": arm, "time_day": float(day), "burden_change_pct": y,
                               "response": code})
            for k in range(int(rng.integers(1, 5))):
                bc = float(np.clip(change + rng.normal(0, 30), -100, 300)) if np.isfinite(change) else 0.0
                les.append({"patient_id": pid, "arm": arm, "category": CATEGORIES[k % 3], "best_change_pct": bc,
                            "decrease_ge_50pct": bc <= -50, "complete_resolution": bc <= -100})
    patients, assessments, lesions = pd.DataFrame(pats), pd.DataFrame(assess), pd.DataFrame(les)
    km = {arm: km_table(patients.loc[patients.arm == arm, "os_months"], patients.loc[patients.arm == arm, "os_event"])
          for arm in arms}
    endpoints = {"scenario": "synthetic", "seed": seed, "ovsim_version": "0.1.0",
                 "arms": {arm: arm_endpoints(patients[patients.arm == arm], lesions[lesions.arm == arm], km[arm])
                          for arm in arms},
                 "comparisons": {"hazard_ratio_os": {"value": 0.81, "ci95": [0.6, 1.1], "p_value": 0.17,
                                                     "method": "Cox"},
                                 "durable_response_difference": {"value": 0.14, "ci95": [0.07, 0.21],
                                                                 "p_value": 0.0002, "method": "Wald"},
                                 "durable_response_odds_ratio": {"value": None, "ci95": [None, None],
                                                                 "p_value": None, "method": "exact"},
                                 "objective_response_relative_risk": {"value": 3.1, "ci95": [1.4, 6.8],
                                                                      "p_value": 0.003, "method": "log RR"}},
                 "subgroups": {"stage": {s: {arm: arm_endpoints(patients[(patients.arm == arm) & (patients.stage == s)],
                                                                lesions.iloc[:0], km[arm]) for arm in arms}
                                         for s in STAGES}},
                 "failed_patients": int((~patients["ok"]).sum()),
                 "provenance": {"version": "0.1.0", "seed": seed, "scenario": "synthetic", "scenario_sha256": "ab" * 32,
                                "device": "cpu", "wall_seconds": 12.5, "n_patients": len(patients)}}
    subgroup_comparisons = {"stage": {s: {"hazard_ratio_os": {"value": 0.7 + 0.1 * j, "ci95": [0.4, 1.3 + j]},
                                          "durable_response_difference": {"value": 0.05 * j, "ci95": [-0.1, 0.3]}}
                                      for j, s in enumerate(STAGES)}}
    subgroup_comparisons["stage"]["IVM1c"] = {"hazard_ratio_os": {"value": float("nan"), "ci95": [None, None]},
                                              "durable_response_difference": None}
    design = {"arms": {arm: {"n": n, "regimen": f"{arm} <regimen>"} for arm, n in zip(arms, sizes)},
              "randomisation": "2:1", "response_criteria": "modified WHO",
              "durable_response": "CR or PR within 12 months lasting >= 6 months",
              "assessment_schedule_weeks": [12, 24, 36], "follow_up_months": 60}
    return {"endpoints": endpoints, "patients": patients, "assessments": assessments, "lesions": lesions, "km": km,
            "design": design, "published": PUBLISHED, "subgroup_comparisons": subgroup_comparisons}


@pytest.fixture(scope="module")
def inputs() -> dict:
    return synthetic_inputs()


@pytest.fixture(scope="module")
def report(inputs, tmp_path_factory) -> tuple:
    out = tmp_path_factory.mktemp("report")
    calibration = pd.DataFrame({"target": ["durable_response_rate.tvec"], "published": [0.163],
                                "interval": ["0.12-0.21"], "simulated": [0.171], "spread": [np.nan]})
    path = write_trial_report(out / "report.html", calibration=calibration, **inputs)
    return out, path, path.read_text(encoding="utf-8")


def row_cells(html: str, label: str) -> list[str]:
    """The cells (as HTML) of the table row whose first cell is ``label``."""
    m = re.search(rf"<tr><td>{re.escape(label)}</td>(.*?)</tr>", html)
    assert m, label
    return re.findall(r"<td>(.*?)</td>", m.group(1))


def test_report_is_self_contained(report):
    out, path, html = report
    assert path.exists() and path.stat().st_size > 10_000
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.IGNORECASE)
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert html.count("<svg") == FIGURES and "could not be drawn" not in html
    assert sorted(p.name for p in out.iterdir()) == ["report.html"]   # no temp file left
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))                                   # figure ids do not clash


def test_sections_and_published_values(report):
    html = report[2]
    for heading in HEADINGS + ("Calibration",):
        assert f"<h2>{heading}</h2>" in html
    for title in ("Waterfall", "Spider", "Swimmer", "Kaplan\u2013Meier", "Forest plot", "Lesion-level response"):
        assert re.search(rf"<h3>{title}", html), title
    assert "16.3%" in html and "2.1%" in html and "26.4% (21.0\u201332.0)" in html
    assert "0.79 (0.62\u20131.00)" in html and "23.3 (19.5\u201329.6)" in html
    assert row_cells(html, "Median time to complete response (months)") == ["\u2014"] * 4
    assert row_cells(html, "Durable response odds ratio")[0] == "\u2014"
    assert "&lt;regimen&gt;" in html and "<regimen>" not in html       # free text is escaped
    assert "ab" * 32 in html                                            # provenance: scenario sha256
    assert plt.get_fignums() == []


def test_failed_patients_are_counted(report, inputs):
    html = report[2]
    section = html.split('<section id="failed">')[1].split("</section>")[0]
    assert "<strong>2</strong> patients" in section and "intention-to-treat" in section


def test_png_figures(tmp_path):
    inputs = synthetic_inputs(sizes=(20, 10))
    path = write_trial_report(tmp_path / "r.html", figure_format="png", **inputs)
    html = path.read_text()
    assert html.count("data:image/png;base64,") == FIGURES and "<svg" not in html
    with pytest.raises(ValueError):
        write_trial_report(tmp_path / "x.html", figure_format="pdf", **inputs)


def test_plots_return_figures_and_leave_none_open(inputs):
    p, a, ep = inputs["patients"], inputs["assessments"], inputs["endpoints"]
    figs = [plot_waterfall(p), plot_spider(a, p, max_patients=20), plot_swimmer(p, a),
            plot_km(inputs["km"], endpoints=ep, published=PUBLISHED),
            plot_forest(ep, inputs["subgroup_comparisons"], published=PUBLISHED),
            plot_lesion_bars({k: v["lesion_level"] for k, v in ep["arms"].items()}, PUBLISHED)]
    assert all(isinstance(f, Figure) for f in figs)
    assert plt.get_fignums() == []
    titles = [ax.get_title(loc="left") for ax in figs[1].axes]
    assert titles[0].startswith("T-VEC: 20 of 120 patients shown")   # display names (report/_names.py)
    forest_text = [t.get_text() for ax in figs[4].axes for t in ax.texts]
    assert "not estimable (too few patients)" in forest_text


def test_arm_without_responders(tmp_path):
    inp = synthetic_inputs(responders=False, sizes=(30, 20), seed=3)
    fig = plot_swimmer(inp["patients"], inp["assessments"])
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert texts.count("no responders") == 2
    html = write_trial_report(tmp_path / "r.html", **inp).read_text()
    assert html.count("<svg") == FIGURES and "could not be drawn" not in html
    assert plt.get_fignums() == []


def test_other_arm_names_get_no_published_values(tmp_path):
    inp = synthetic_inputs(arms=("A", "B", "C"), sizes=(25, 15, 10), seed=5)
    inp["subgroup_comparisons"] = None
    html = write_trial_report(tmp_path / "r.html", **inp).read_text()
    assert "16.3%" not in html and "0.79 (0.62" not in html and "(OPTiM:" not in html
    assert "OPTiM" not in html                                   # no published column, note or caption
    assert len(row_cells(html, "Durable response rate")) == 3    # one simulated column per arm
    assert html.count("<svg") == FIGURES and "could not be drawn" not in html


def test_arm_names_and_labels_come_from_the_caller(tmp_path):
    """A trial whose arms are not OPTiM's renders with its own names and labels, and nothing of T-VEC vs GM-CSF."""
    inp = synthetic_inputs(arms=("combo", "a", "b"), sizes=(20, 12, 10), seed=11)
    labels = {"combo": "Combination of drug X and drug Y", "a": "Drug X alone", "b": "Observation"}
    html = write_trial_report(tmp_path / "r.html", arm_labels=labels, description="A three-arm what-if trial",
                              **inp).read_text()
    header = html.split("<header>")[1].split("</header>")[0]
    assert "A three-arm what-if trial" in header
    for arm, label in labels.items():
        assert f"<li><strong>{arm}</strong>: {label}</li>" in header
    assert "<th>combo: simulated (95% CI)</th>" in html and "<th>b: simulated (95% CI)</th>" in html
    assert "Comparison (combo vs b)" in html
    for name in ("GM-CSF", "T-VEC", "gmcsf", "tvec", "OPTiM"):
        assert name not in html, name
    assert html.count("<svg") == FIGURES and "could not be drawn" not in html


def test_published_columns_only_for_optim_arm_names(tmp_path):
    """A third arm between OPTiM's two gets no OPTiM column; OPTiM's arms keep theirs."""
    inp = synthetic_inputs(arms=("tvec", "combo", "gmcsf"), sizes=(20, 15, 10), seed=13)
    html = write_trial_report(tmp_path / "r.html", arm_labels={"combo": "T-VEC + GM-CSF"}, **inp).read_text()
    assert "<th>T-VEC: OPTiM</th>" in html and "<th>GM-CSF: OPTiM</th>" in html
    assert "<th>combo: OPTiM</th>" not in html and "<th>combo: simulated (95% CI)</th>" in html
    assert len(row_cells(html, "Durable response rate")) == 5    # T-VEC sim + OPTiM, combo sim, GM-CSF sim + OPTiM
    assert "0.79 (0.62\u20131.00)" in html                        # first vs last is tvec vs gmcsf: OPTiM's HR
    assert "Virtual trial: T-VEC vs combo vs GM-CSF" in html      # default description: the arms' display names
    del inp["published"]                                          # no targets given: simulated values only
    html = write_trial_report(tmp_path / "r2.html", **inp).read_text()
    assert "OPTiM" not in html and "16.3%" not in html


def test_failed_write_leaves_no_temp_file(tmp_path, monkeypatch):
    inputs = synthetic_inputs(sizes=(10, 5))
    target = tmp_path / "r.html"
    target.write_text("old")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("ovsim.report._trial_report.os.replace", boom)
    with pytest.raises(OSError):
        write_trial_report(target, **inputs)
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"] and target.read_text() == "old"


def test_numbers_at_risk():
    table = km_table([1.0, 5.0, 5.0, 13.0, 30.0], [True, True, False, True, False])
    assert at_risk(table, [0, 4, 5, 12, 24, 36]) == [5, 4, 4, 2, 1, 0]


def test_degenerate_inputs(tmp_path):
    """One arm, no survival tables, no assessments or lesions, no comparisons: every section still renders."""
    inp = synthetic_inputs(arms=("solo",), sizes=(12,), seed=2)
    inp.update(km={}, assessments=inp["assessments"].iloc[:0], lesions=inp["lesions"].iloc[:0],
               subgroup_comparisons=None, design={}, published={})
    ep = inp["endpoints"]
    ep.update(comparisons={}, subgroups={})
    del ep["provenance"], ep["failed_patients"], ep["arms"]["solo"]["lesion_level"]
    ep["arms"]["solo"]["median_overall_survival_months"] = {"value": None, "ci95": [None, None]}
    html = write_trial_report(tmp_path / "r.html", **inp).read_text()
    assert html.count("<svg") == FIGURES and "could not be drawn" not in html
    assert "<strong>1</strong> patient whose" in html
    assert plt.get_fignums() == []


def test_trial_figure_from_a_result_object(inputs):
    """What ``TrialResult.plot(kind)`` calls; KM tables without a time-0 row start at (0, 1)."""
    km = {arm: table.iloc[1:] for arm, table in inputs["km"].items()}
    result = SimpleNamespace(endpoints=inputs["endpoints"], patients=inputs["patients"], km=km,
                             assessments=inputs["assessments"], subgroup_comparisons=inputs["subgroup_comparisons"],
                             arms=["tvec", "gmcsf"])
    for kind in FIGURE_KINDS:
        assert isinstance(trial_figure(result, kind, published=PUBLISHED), Figure)
    fig = trial_figure(result, "km", published=PUBLISHED)
    first_x = fig.axes[0].lines[0].get_xdata()[0]
    assert first_x == 0.0 and fig.axes[0].lines[0].get_ydata()[0] == 1.0
    with pytest.raises(ValueError):
        trial_figure(result, "pie", published=PUBLISHED)
    assert plt.get_fignums() == []


def test_patient_ids_need_only_be_unique_within_an_arm(inputs):
    patients, assessments = inputs["patients"].copy(), inputs["assessments"].copy()
    patients["patient_id"] = patients["patient_id"].str[2:]          # TV001 and GM001 both become 001
    assessments["patient_id"] = assessments["patient_id"].str[2:]
    fig = plot_spider(assessments, patients, max_patients=1000)
    for ax, arm in zip(fig.axes, ("tvec", "gmcsf")):
        durable = int(patients.loc[patients.arm == arm, "durable_response"].sum())
        assert ax.get_title(loc="left").endswith(f"{durable} durable responders")
