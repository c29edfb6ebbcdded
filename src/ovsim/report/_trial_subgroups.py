"""Tables of the report for the endpoints added with the roles: best overall response shares, subgroup families
(EU indication, HSV-1 serostatus), each with its role column."""

from __future__ import annotations

from ._trial_roles import roles_of, with_role_column
from ._trial_tables import comparison_cell, esc, rate_cell, table, value_cell

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
    header, rows = with_role_column(["Best overall response"] + [f"{a}: share (95% CI)" for a in arms], rows, roles,
                                    paths)
    return table(header, rows, "endpoints")


def family_table(endpoints: dict, subgroup_comparisons: dict | None, arms: list[str], family: str,
                 title: str) -> str:
    """Per group and arm of a subgroup family (``eu_indication``, ``serostatus``): n, durable, objective and
    complete response, median OS, the hazard ratio, and the roles."""
    groups = (endpoints.get("subgroups") or {}).get(family) or {}
    if not groups:
        return f'<p class="note">No {esc(title)} subgroups were reported.</p>'
    comps = (subgroup_comparisons or {}).get(family) or {}
    roles, rows, paths = roles_of(endpoints), [], []
    keys = (("durable_response_rate", "durable"), ("objective_response_rate", "objective"),
            ("complete_response_rate", "complete"), ("median_overall_survival_months", "median OS"))
    for group, by_arm in groups.items():
        hr = (comps.get(group) or {}).get("hazard_ratio_os")
        for i, arm in enumerate(arms):
            e = (by_arm or {}).get(arm) or {}
            rows.append([esc(group) if i == 0 else "", esc(arm), esc(e.get("n")),
                         *(rate_cell(e.get(k)) for k, _ in keys[:3]),
                         value_cell(e.get(keys[3][0]), "median_ci"), comparison_cell(hr, "ratio") if i == 0 else ""])
            paths.append([(label, f"subgroups.{family}.{group}.{arm}.{k}") for k, label in keys])
    header = [title, "Arm", "n", "Durable response", "Objective response", "Complete response", "Median OS (months)",
              "HR OS"]
    header, rows = with_role_column(header, rows, roles, paths)
    return table(header, rows, "subgroups")
