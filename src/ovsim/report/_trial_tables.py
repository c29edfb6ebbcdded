"""HTML tables of the trial report: number formatting, endpoints beside OPTiM, design and provenance.

Every text that comes from the inputs is escaped with ``html.escape``; a missing number is a dash.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

from ._names import arm_name, display
from ._trial_plots_survival import targets_block
from ._trial_roles import roles_of, with_role_column
from ._trial_style import DASH, STAGES, ci_pair, num

#: (key, label, kind) of the per-arm endpoints; kind: rate (proportion), months, median_ci (months with CI).
ARM_ENDPOINTS = (
    ("durable_response_rate", "Durable response rate", "rate"),
    ("objective_response_rate", "Objective response rate", "rate"),
    ("complete_response_rate", "Complete response rate", "rate"),
    ("median_time_to_response_months", "Median time to response (months)", "months"),
    ("median_time_to_complete_response_months", "Median time to complete response (months)", "months"),
    ("median_overall_survival_months", "Median overall survival (months)", "median_ci"),
    ("median_progression_free_survival_months", "Median progression-free survival (months)", "median_ci"),
    ("progression_before_response_among_durable_responders",
     "Progression before response, among durable responders", "rate"),
    ("progression_before_response_among_objective_responders",
     "Progression before response, among objective responders", "rate"),
)
LANDMARKS = ("12", "24", "36", "48")
PFS_LANDMARKS = ("6", "12")
#: (key, label, kind) of the between-arm comparisons; kind: ratio or difference (proportions).
COMPARISONS = (
    ("hazard_ratio_os", "Hazard ratio, overall survival", "ratio"),
    ("hazard_ratio_pfs", "Hazard ratio, progression-free survival", "ratio"),
    ("durable_response_difference", "Durable response rate difference (percentage points)", "difference"),
    ("durable_response_odds_ratio", "Durable response odds ratio", "ratio"),
    ("objective_response_relative_risk", "Objective response relative risk", "ratio"),
)


def esc(x: Any) -> str:
    """Escaped text; None and non-finite floats as a dash."""
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return DASH
    return html.escape(str(x))


def pct(v: Any, digits: int = 1) -> str:
    """A proportion as a percentage ('16.3%'), or a dash."""
    v = num(v)
    return DASH if v is None else f"{100.0 * v:.{digits}f}%"


def number(v: Any, digits: int = 1) -> str:
    """A number with ``digits`` decimals, or a dash."""
    v = num(v)
    return DASH if v is None else f"{v:.{digits}f}"


def interval(lo: Any, hi: Any, fmt: Any = number) -> str:
    """' (lo–hi)' when either bound is known, else ''."""
    lo, hi = num(lo), num(hi)
    if lo is None and hi is None:
        return ""
    sep = "\u2013" if lo is not None and hi is not None and lo >= 0 and hi >= 0 else " to "
    return f" ({fmt(lo)}{sep}{fmt(hi)})"


def rate_cell(entry: Any) -> str:
    """A RATE as HTML: 'value% (lo–hi)' and events/n in small print."""
    if not isinstance(entry, dict):
        return DASH if num(entry) is None else pct(entry)
    text = pct(entry.get("value"))
    if text != DASH:
        text += interval(*ci_pair(entry), fmt=lambda x: pct(x)[:-1] if num(x) is not None else DASH)
    if entry.get("events") is not None and entry.get("n") is not None:
        text += f' <span class="small">{esc(entry["events"])}/{esc(entry["n"])}</span>'
    return text


def value_cell(entry: Any, kind: str) -> str:
    """One simulated per-arm endpoint cell of ``kind`` (rate, months, median_ci)."""
    if kind == "rate":
        return rate_cell(entry)
    if isinstance(entry, dict):
        return number(entry.get("value")) + interval(*ci_pair(entry))
    return number(entry)


def published_name(published: dict | None) -> str:
    """The trial whose published values the report shows (a targets file's ``trial``; OPTiM's file has none)."""
    name = published.get("trial") if isinstance(published, dict) else None
    return str(name) if isinstance(name, str) and name else "OPTiM"


def _landmark_key(key: str) -> str | None:
    """The targets-file key of a landmark endpoint (``overall_survival_at_months.12`` ->
    ``overall_survival_at_12_months``; progression-free: ``progression_free_at_6_months``), else None."""
    for prefix, name in (("overall_survival_at_months.", "overall_survival"),
                         ("progression_free_survival_at_months.", "progression_free")):
        if key.startswith(prefix):
            return f"{name}_at_{key[len(prefix):]}_months"
    return None


def published_cell(pub: dict, key: str, arm: str) -> str:
    """The published value of endpoint ``key`` for an arm of that name, or a dash."""
    landmark = _landmark_key(key)
    key = landmark or key
    if key == "median_overall_survival_months":
        entry = ((pub.get("overall_survival") or {}).get("median_months") or {}).get(arm)
    else:
        entry = (pub.get(key) or {}).get(arm) if isinstance(pub.get(key), dict) else None
    if not isinstance(entry, dict):
        return DASH
    if key.endswith("_rate") or landmark:
        return rate_cell(entry)
    text = number(entry.get("value")) + interval(*ci_pair(entry))
    rng = entry.get("range")
    if isinstance(rng, (list, tuple)) and len(rng) == 2:
        text += f' <span class="small">range {number(rng[0])}\u2013{number(rng[1])}</span>'
    return text


def published_arms(published: dict | None, arms: list[str]) -> list[str]:
    """The arms (in ``arms`` order) for which OPTiM's targets publish a per-arm endpoint the report shows
    (the rows of ``ARM_ENDPOINTS``, median overall survival, lesion-level response) under that arm's name."""
    pub = targets_block(published)
    named: set[str] = set()
    for key, _, _ in ARM_ENDPOINTS:
        block = (pub.get("overall_survival") or {}).get("median_months") if key == "median_overall_survival_months" \
            else pub.get(key)
        if isinstance(block, dict):
            named.update(k for k, v in block.items() if isinstance(v, dict))
    for key, block in pub.items():  # landmark targets (the checkpoint trials': progression_free_at_6_months, ...)
        if _landmark_key_of_target(key) and isinstance(block, dict):
            named.update(k for k, v in block.items() if isinstance(v, dict))
    named.update(a for a in arms if isinstance(pub.get(f"lesion_level_{a}_arm"), dict))
    return [a for a in arms if a in named]


def _landmark_key_of_target(key: str) -> bool:
    import re

    return re.fullmatch(r"(progression_free|overall_survival)_at_\d+_months", key) is not None


def published_pair(published: dict | None, arms: list[str]) -> bool:
    """Whether published targets can be set beside the between-arm comparisons (first arm vs last)."""
    return len(arms) >= 2 and published_arms(published, [arms[0], arms[-1]]) == [arms[0], arms[-1]]


def table(header: list[str], rows: list[list[str]], cls: str = "") -> str:
    """An HTML table; header cells are escaped here, body cells must already be HTML."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f'<div class="scroll"><table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def endpoints_table(endpoints: dict, published: dict, arms: list[str]) -> str:
    """Per-arm endpoints: simulated value (95% CI), beside OPTiM's published value for arms of OPTiM's names."""
    pub = targets_block(published)
    with_pub = set(published_arms(pub, arms))
    trial = published_name(published)
    header = ["Endpoint"]
    for arm in arms:
        header += [f"{arm_name(arm)}: simulated (95% CI)"] + ([f"{arm_name(arm)}: {trial}"] if arm in with_pub else [])
    ep = endpoints.get("arms") or {}

    def cells(arm: str, simulated: str, published_value: str) -> list[str]:
        return [simulated, published_value] if arm in with_pub else [simulated]

    rows = [["Patients (n)"] + [c for a in arms for c in cells(a, esc(ep.get(a, {}).get("n")), _published_n(pub, a))]]
    paths: list[list[tuple[str, str]]] = [[]]
    for key, label, kind in ARM_ENDPOINTS:
        row = [esc(label)]
        for arm in arms:
            row += cells(arm, value_cell((ep.get(arm) or {}).get(key), kind), published_cell(pub, key, arm))
        rows.append(row)
        paths.append([(a, f"arms.{a}.{key}") for a in arms])
    for block, label, marks in (("overall_survival_at_months", "Overall survival", LANDMARKS),
                                ("progression_free_survival_at_months", "Progression-free survival", PFS_LANDMARKS)):
        for m in marks:
            row = [f"{label} at {m} months"]
            for arm in arms:
                entry = ((ep.get(arm) or {}).get(block) or {}).get(m)
                row += cells(arm, rate_cell(entry), published_cell(pub, f"{block}.{m}", arm))
            rows.append(row)
            paths.append([(a, f"arms.{a}.{block}.{m}") for a in arms])
    header, rows = with_role_column(header, rows, roles_of(endpoints), paths)
    return table(header, rows, "endpoints")


def _published_n(pub: dict, arm: str) -> str:
    """OPTiM's arm size from the durable response target (events/n), or a dash."""
    entry = (pub.get("durable_response_rate") or {}).get(arm)
    return esc(entry.get("n")) if isinstance(entry, dict) else DASH


def comparison_cell(entry: Any, kind: str) -> str:
    """A comparison estimate (95% CI); a difference of proportions in percentage points."""
    if not isinstance(entry, dict):
        return DASH
    v, (lo, hi) = num(entry.get("value")), ci_pair(entry)
    if kind == "difference":
        f = (lambda x: DASH if num(x) is None else f"{100.0 * float(x):.1f}")
        return f(v) + ("" if v is None else interval(lo, hi, f))
    return number(v, 2) + ("" if v is None else interval(lo, hi, lambda x: number(x, 2)))


def p_text(p: Any) -> str:
    """A p-value: three significant digits, '< 0.001' below that, or a dash."""
    p = num(p)
    if p is None:
        return DASH
    return "&lt; 0.001" if p < 0.001 else f"{p:.3g}"


def comparison_sets(endpoints: dict, arms: list[str]) -> list[tuple[str, dict, str]]:
    """(arm, its comparisons with the control, endpoint-path prefix) for every arm compared with the control (the
    last arm): ``comparisons_vs_control`` of a trial of three or more arms, else ``comparisons`` (the first arm)."""
    many = endpoints.get("comparisons_vs_control")
    if isinstance(many, dict) and many:
        return [(a, many[a], f"comparisons_vs_control.{a}") for a in arms[:-1] if isinstance(many.get(a), dict)]
    return [(arms[0], endpoints.get("comparisons") or {}, "comparisons")] if len(arms) >= 2 else \
        [("", endpoints.get("comparisons") or {}, "comparisons")]


def comparisons_table(endpoints: dict, published: dict, arms: list[str]) -> str:
    """Between-arm comparisons, every arm against the control (the last arm; one table each) with p-value and
    method; the published value beside them when both arms carry the published trial's arm names."""
    return "".join(_comparison_table(endpoints, published, arms, arm, comps, prefix)
                   for arm, comps, prefix in comparison_sets(endpoints, arms))


def _comparison_table(endpoints: dict, published: dict, arms: list[str], first: str, comps: dict,
                      prefix: str) -> str:
    pub = targets_block(published)
    last = arms[-1] if first else ""
    with_pub = bool(first) and published_pair(pub, [first, last])
    rows, paths = [], []
    for key, label, kind in COMPARISONS + tuple((k, display(k), "ratio") for k in comps
                                                if k not in {c[0] for c in COMPARISONS}):
        if key == "hazard_ratio_pfs" and key not in comps:
            continue  # results written before PFS existed
        paths.append([("", f"{prefix}.{key}")])
        entry = comps.get(key)
        row = [esc(label), comparison_cell(entry, kind),
               p_text(entry.get("p_value")) if isinstance(entry, dict) else DASH,
               esc(entry.get("method")) if isinstance(entry, dict) else DASH]
        if with_pub:
            if key == "hazard_ratio_os":
                p_entry = (pub.get("overall_survival") or {}).get(f"hazard_ratio_{first}_vs_{last}")
            else:
                p_entry = pub.get(f"{key}_{first}_vs_{last}")
            row.append(comparison_cell(p_entry, kind))
        rows.append(row)
    head = f"Comparison ({arm_name(first)} vs {arm_name(last)})" if first else "Comparison"
    header, rows = with_role_column([head, "Simulated (95% CI)", "p", "Method"]
                                    + ([published_name(published)] if with_pub else []),
                                    rows, roles_of(endpoints), paths)
    return table(header, rows, "comparisons")


def _baseline_share(published: dict | None, stage: str, arm: str) -> float | None:
    """OPTiM's published share of ``arm`` at ``stage`` (final-analysis Table 1, the targets file's
    ``baseline.stage``), or None; IIIB/IIIC is published as one group."""
    block = ((published or {}).get("baseline") or {}).get("stage") or {}
    value = (block.get(arm) or {}).get(stage.replace("/", "_")) if isinstance(block.get(arm), dict) else None
    return num(value)


def subgroup_table(endpoints: dict, subgroup_comparisons: dict | None, arms: list[str],
                   baseline: dict | None = None) -> str:
    """Per stage and arm: n and share of the arm (beside OPTiM's published share at baseline when ``baseline``,
    the whole targets file, has one), durable, objective and complete response, median OS; HR by stage."""
    stages = (endpoints.get("subgroups") or {}).get("stage") or {}
    comps = (subgroup_comparisons or {}).get("stage") or {}
    if not stages:
        return '<p class="note">No stage subgroups were reported.</p>'
    with_pub = any(_baseline_share(baseline, s, a) is not None for s in stages for a in arms)
    totals = {a: sum(int(num(((stages.get(s) or {}).get(a) or {}).get("n")) or 0) for s in stages) for a in arms}
    rows, paths = [], []
    keys = (("durable_response_rate", "durable"), ("objective_response_rate", "objective"),
            ("complete_response_rate", "complete"), ("median_overall_survival_months", "median OS"))
    for stage in [s for s in STAGES if s in stages] + [s for s in stages if s not in STAGES]:
        hr = (comps.get(stage) or {}).get("hazard_ratio_os")
        for i, arm in enumerate(arms):
            e = (stages.get(stage) or {}).get(arm) or {}
            n = num(e.get("n"))
            share = [pct(n / totals[arm]) if n is not None and totals[arm] else DASH]
            if with_pub:
                share.append(pct(_baseline_share(baseline, stage, arm), 0))
            rows.append([esc(display(stage)) if i == 0 else "", esc(arm_name(arm)), esc(e.get("n")), *share,
                         rate_cell(e.get("durable_response_rate")), rate_cell(e.get("objective_response_rate")),
                         rate_cell(e.get("complete_response_rate")),
                         value_cell(e.get("median_overall_survival_months"), "median_ci"),
                         comparison_cell(hr, "ratio") if i == 0 else ""])
            paths.append([(label, f"subgroups.stage.{stage}.{arm}.{k}") for k, label in keys])
    header = ["Stage", "Arm", "n", "Share of arm"] + (["OPTiM share at baseline"] if with_pub else [])
    header, rows = with_role_column(header + ["Durable response", "Objective response", "Complete response",
                                              "Median OS (months)", "HR OS"], rows, roles_of(endpoints), paths)
    out = table(header, rows, "subgroups")
    if with_pub:
        out += ('<p class="note">OPTiM share at baseline: each arm\'s stage distribution as published (Andtbacka '
                "et al. J Immunother Cancer 2019, Table 1; IIIB and IIIC as one group). OPTiM published no "
                "response or survival by stage among ovsim's targets, so the other columns have no comparator.</p>")
    return out


def _scalar(v: Any) -> str:
    """A scalar as escaped text: floats to 6 significant digits, None/NaN as a dash."""
    if isinstance(v, bool) or v is None:
        return DASH if v is None else esc(v)
    if isinstance(v, (float, np.floating)):
        return DASH if not np.isfinite(v) else esc(f"{float(v):.6g}")
    return esc(v)


def mapping_table(data: Any) -> str:
    """A free-form mapping as a two-column key/value table; nested mappings become nested tables."""
    if not isinstance(data, dict):
        return _value_html(data)
    if not data:
        return f'<p class="note">{DASH}</p>'
    rows = "".join(f'<tr><th scope="row">{esc(str(k).replace("_", " "))}</th><td>{_value_html(v)}</td></tr>'
                   for k, v in data.items())
    return f'<table class="kv"><tbody>{rows}</tbody></table>'


def _value_html(v: Any) -> str:
    """One value of a free-form mapping as HTML."""
    if isinstance(v, dict):
        return mapping_table(v)
    if isinstance(v, (list, tuple)):
        if any(isinstance(x, (dict, list, tuple)) for x in v):
            return "<ul>" + "".join(f"<li>{_value_html(x)}</li>" for x in v) + "</ul>"
        return ", ".join(_scalar(x) for x in v) if v else DASH
    return _scalar(v)


def frame_table(frame: pd.DataFrame) -> str:
    """A DataFrame as an HTML table (index dropped), cells escaped, floats to 4 significant digits."""
    def cell(v: Any) -> str:
        if isinstance(v, (float, np.floating)):
            return DASH if not np.isfinite(v) else esc(f"{float(v):.4g}")
        if isinstance(v, (list, tuple, np.ndarray)):
            return ", ".join(cell(x) for x in v)
        return DASH if v is None or v is pd.NA else esc(v)

    return table([str(c) for c in frame.columns],
                 [[cell(v) for v in row] for row in frame.itertuples(index=False)], "frame")
