"""The report's safety section: adverse events per arm beside the label's incidences."""

from __future__ import annotations

from ._names import AE_NAMES, arm_name, capital
from ._trial_style import DASH
from ._trial_tables import esc, pct, rate_cell, table



def safety_section(endpoints: dict, arms: list[str]) -> str | None:
    """Incidence (95% exact CI, events/n) of each modelled adverse event per arm, and the label's value
    (T-VEC arm of OPTiM's safety set); None when the trial drew no adverse events."""
    ae = endpoints.get("adverse_events")
    if not ae:
        return None
    events: list[str] = []
    for arm in arms:
        for name in (ae.get(arm) or {}):
            if name not in events:
                events.append(name)
    rows = []
    for name in events:
        first = next((ae[a][name] for a in arms if ae.get(a) and name in ae[a]), {})
        grade = first.get("grade", "any")
        shown = AE_NAMES.get(name, name.replace("_", " ")).replace(" (grade \u2265 3)", "")
        cells = [esc(capital(shown)), esc("any" if grade == "any" else f"grade {grade}".replace(">=", "\u2265 "))]
        cells += [rate_cell(ae[a][name]) if ae.get(a) and name in ae[a] else DASH for a in arms]
        cells.append(pct(first.get("label_incidence")) if first else DASH)
        rows.append(cells)
    not_modelled = [a for a in arms if ae.get(a) is None]
    note = ('<p class="note">Patients with at least one event over the trial, among evaluable patients. Per-visit '
            "hazards rise with the dose and are higher in the first 6 treatments and, for flu-like reactions, in "
            "HSV-1 seronegative patients; only the base rates are calibrated, to the label's incidences (Imlygic "
            "US PI 6.1, OPTiM safety set, n = 292). Drawn from each patient's own random stream: efficacy results "
            "do not depend on them (docs/safety.md).")
    if not_modelled:
        note += (" Not modelled for " + esc(", ".join(map(arm_name, not_modelled)))
                 + ": the model covers T-VEC's reactions; no comparator incidence is among ovsim's targets.")
    note += "</p>"
    header = ["Adverse event", "Grade", *(f"{arm_name(a)}: simulated (95% CI)" for a in arms),
              "Imlygic label (T-VEC arm, OPTiM safety set)"]
    return table(header, rows) + note
