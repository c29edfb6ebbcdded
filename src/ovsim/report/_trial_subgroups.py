"""Tables of the report with a role column: best overall response shares, subgroup families (EU indication,
HSV-1 serostatus) and lesion-level response beside OPTiM's published shares."""

from __future__ import annotations

import pandas as pd

from ._names import arm_name, display
from ._trial_plots_survival import targets_block
from ._trial_roles import roles_of, with_role_column
from ._trial_style import DASH, LESION_CATEGORIES, LESION_NAMES
from ._trial_tables import comparison_cell, esc, pct, rate_cell, table, value_cell

BOR = (("CR", "complete response"), ("PR", "partial response"), ("SD", "stable disease"),
       ("PD", "progressive disease"), ("NE", "not evaluable"))


def bor_table(endpoints: dict, arms: list[str]) -> str:
    """Share of each best overall response per arm (primary criterion; events/n), with the roles."""
    ep, roles = endpoints.get("arms") or {}, roles_of(endpoints)
    if not any(isinstance((ep.get(a) or {}).get("best_overall_response"), dict) for a in arms):
        return '<p class="note">No best-overall-response distribution was reported.</p>'
    rows, paths = [], []
    for code, name in BOR:
        rows.append([f"{esc(code)} ({esc(name)})"]
                    + [rate_cell(((ep.get(a) or {}).get("best_overall_response") or {}).get(code)) for a in arms])
        paths.append([(a, f"arms.{a}.best_overall_response.{code}") for a in arms])
    header = ["Best overall response"] + [f"{arm_name(a)}: share (95% CI)" for a in arms]
    header, rows = with_role_column(header, rows, roles, paths)
    return table(header, rows, "endpoints")


def family_table(endpoints: dict, subgroup_comparisons: dict | None, arms: list[str], family: str,
                 title: str, published: dict | None = None) -> str:
    """Per group and arm of a subgroup family (``eu_indication``, ``serostatus``): n, durable, objective and
    complete response, median OS, the hazard ratio, and the roles; OPTiM's published durable response rate
    beside the EU-indication group when ``published`` (the targets) has ``eu_indication_subgroup``."""
    groups = (endpoints.get("subgroups") or {}).get(family) or {}
    if not groups:
        return f'<p class="note">No {esc(title)} subgroups were reported.</p>'
    comps = (subgroup_comparisons or {}).get(family) or {}
    roles, rows, paths = roles_of(endpoints), [], []
    pub = targets_block(published).get(f"{family}_subgroup") if family == "eu_indication" else None
    pub_drr = (pub or {}).get("durable_response_rate") if isinstance(pub, dict) else None
    first_group = next(iter(groups), None)
    keys = (("durable_response_rate", "durable"), ("objective_response_rate", "objective"),
            ("complete_response_rate", "complete"), ("median_overall_survival_months", "median OS"))
    for group, by_arm in groups.items():
        hr = (comps.get(group) or {}).get("hazard_ratio_os")
        for i, arm in enumerate(arms):
            e = (by_arm or {}).get(arm) or {}
            optim = []
            if isinstance(pub_drr, dict):
                optim = [rate_cell(pub_drr.get(arm)) if group == first_group and isinstance(pub_drr.get(arm), dict)
                         else DASH]
            rows.append([esc(display(group)) if i == 0 else "", esc(arm_name(arm)), esc(e.get("n")),
                         rate_cell(e.get(keys[0][0])), *optim, *(rate_cell(e.get(k)) for k, _ in keys[1:3]),
                         value_cell(e.get(keys[3][0]), "median_ci"), comparison_cell(hr, "ratio") if i == 0 else ""])
            paths.append([(label, f"subgroups.{family}.{group}.{arm}.{k}") for k, label in keys])
    header = [title, "Arm", "n", "Durable response"] + (["Durable response: OPTiM"] if isinstance(pub_drr, dict)
                                                         else [])
    header += ["Objective response", "Complete response", "Median OS (months)", "HR OS"]
    header, rows = with_role_column(header, rows, roles, paths)
    out = table(header, rows, "subgroups")
    if isinstance(pub_drr, dict):
        out += (f'<p class="note">OPTiM: durable response rate in the EU-indication subgroup ({esc(first_group)}) as '
                f"published ({esc(pub.get('source', DASH))}); nothing was published for the other group.</p>")
    return out


_LESION_ROLE_LABELS = {"decrease_ge_50pct": "\u2265 50% decrease", "complete_resolution": "complete resolution",
                       "median_time_to_decrease_50pct_months": "time to \u2265 50% decrease"}


def lesion_table(endpoints: dict, published: dict, lesions: pd.DataFrame, arms: list[str]) -> str:
    """Lesion-level response by category: simulated per arm (95% CI) beside OPTiM's published shares."""
    pub = targets_block(published)
    header, rows, paths = ["Lesion category"], [], []
    timed = any("median_time_to_decrease_50pct_months" in (((endpoints.get("arms") or {}).get(a) or {}).get(
        "lesion_level") or {}).get(c, {}) for a in arms for c in LESION_CATEGORIES)
    for arm in arms:
        name = arm_name(arm)
        header += [f"{name}: lesions", f"{name}: \u2265 50% decrease", f"{name}: complete resolution"]
        header += [f"{name}: median months to \u2265 50% decrease"] if timed else []
    pub_arms = [a for a in arms if isinstance(pub.get(f"lesion_level_{a}_arm"), dict)]
    for arm in pub_arms:
        name = arm_name(arm)
        header += [f"OPTiM {name}: lesions", f"OPTiM {name}: \u2265 50% decrease", f"OPTiM {name}: complete resolution"]
    for cat in LESION_CATEGORIES:
        row = [esc(LESION_NAMES[cat])]
        for arm in arms:
            level = (((endpoints.get("arms") or {}).get(arm) or {}).get("lesion_level") or {}).get(cat) or {}
            count = (level.get("decrease_ge_50pct") or {}).get("n")   # the endpoint's denominator, else all rows
            if count is None:
                count = int(((lesions["arm"] == arm) & (lesions["category"] == cat)).sum()) if len(lesions) else 0
            row += [esc(count), rate_cell(level.get("decrease_ge_50pct")), rate_cell(level.get("complete_resolution"))]
            row += [value_cell(level.get("median_time_to_decrease_50pct_months"), "months")] if timed else []
        for arm in pub_arms:
            p = pub[f"lesion_level_{arm}_arm"].get(cat) or {}
            row += [esc(p.get("n_lesions")), pct(p.get("decrease_ge_50pct")), pct(p.get("complete_resolution"))]
        rows.append(row)
        paths.append([(f"{arm_name(a)} {label}", f"arms.{a}.lesion_level.{cat}.{k}") for a in arms
                      for k, label in _LESION_ROLE_LABELS.items()])
    header, rows = with_role_column(header, rows, roles_of(endpoints), paths)
    return table(header, rows, "lesions")
