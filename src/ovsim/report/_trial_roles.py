"""Role tags of the trial report: each endpoint is a "calibration target" or a "prediction"
(``endpoints.json -> roles``, ``ovsim.trial._roles``).

A report of endpoints without a ``roles`` block (older outputs, synthetic inputs) shows no tags.
"""

from __future__ import annotations

import html

from ._names import humanize
from ._trial_style import DASH

TARGET, PREDICTION = "calibration target", "prediction"


def esc(x: object) -> str:
    return html.escape(str(x))


def role_badge(role: str | None) -> str:
    """A role as a small tag (``<span class="role target">calibration target</span>``); a dash if unknown."""
    if role not in (TARGET, PREDICTION):
        return DASH
    cls = "target" if role == TARGET else "prediction"
    return f'<span class="role {cls}">{esc(role)}</span>'


def roles_of(endpoints: dict) -> dict[str, str] | None:
    """The endpoints' ``roles`` block, or None."""
    roles = endpoints.get("roles")
    return roles if isinstance(roles, dict) and roles else None


def role_cell(roles: dict[str, str] | None, labelled: list[tuple[str, str]]) -> str:
    """The role of a table row made of ``(label, endpoint path)`` cells: one tag when they agree, else each
    role with the labels it covers (``calibration target (tvec); prediction (gmcsf)``)."""
    if roles is None:
        return DASH
    by_role: dict[str | None, list[str]] = {}
    for label, path in labelled:
        by_role.setdefault(roles.get(path), []).append(humanize(label))
    known = {r: v for r, v in by_role.items() if r is not None}
    if not known:
        return DASH
    if len(known) == 1:
        return role_badge(next(iter(known)))
    return "; ".join(f"{role_badge(r)} <span class=\"small\">({esc(', '.join(v))})</span>"
                     for r, v in sorted(known.items(), key=lambda kv: kv[0] != TARGET))


def with_role_column(header: list[str], rows: list[list[str]], roles: dict[str, str] | None,
                     paths: list[list[tuple[str, str]]]) -> tuple[list[str], list[list[str]]]:
    """``header`` and ``rows`` with a last "Role" column (row i from ``paths[i]``) when ``roles`` is given."""
    if roles is None:
        return header, rows
    return header + ["Role"], [row + [role_cell(roles, p)] for row, p in zip(rows, paths)]


def roles_note(endpoints: dict) -> str:
    """One line on what the role tags mean (or why there are none)."""
    roles = roles_of(endpoints)
    if roles is None:
        return '<p class="note">These endpoints carry no roles (no <code>roles</code> block in endpoints.json).</p>'
    n_target = sum(r == TARGET for r in roles.values())
    return (f'<p class="note">Role: {role_badge(TARGET)} = one of the published values the calibration was fitted to '
            f"({n_target} of {len(roles)} endpoints); {role_badge(PREDICTION)} = computed by the model, never tuned "
            "to (endpoints.json <code>roles</code>).</p>")

