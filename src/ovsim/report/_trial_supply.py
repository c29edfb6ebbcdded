"""The report's supply and cost section: vials per patient by strength, waste, comparator cycles, costs."""

from __future__ import annotations

from typing import Any, Callable

import pandas as pd

from ..supply import supply_table
from ._names import arm_name
from ._trial_tables import esc, frame_table


def supply_section(endpoints: dict, forecast: Any = None, figure: Callable[[Any], str] | None = None) -> str | None:
    """Vials and costs per arm from ``endpoints["supply"]`` (ovsim.supply), and the centre forecast when the
    scenario asks for one (``figure`` draws it); None when absent."""
    doc = endpoints.get("supply")
    if not doc:
        return None
    per_arm = supply_table(doc)
    if "arm" in per_arm:
        per_arm = per_arm.assign(arm=per_arm["arm"].map(arm_name))
    html = frame_table(per_arm)
    fc = doc.get("forecast")
    if fc:
        i = fc["inputs"]
        html += (f"<h3>Supply forecast: a centre starting {i['patients_per_month']:g} patients a month for "
                 f"{i['months']} months</h3>" + frame_table(forecast.totals if forecast is not None else
                                                           pd.DataFrame(fc["totals"])))
        if forecast is not None and figure is not None:
            html += figure(forecast)
    comparison = (doc.get("costs") or {}).get("comparison")
    if comparison:
        icer = comparison.get("incremental_cost_per_durable_responder") or {}
        value = icer.get("value")
        text = ("undefined (" + esc(icer.get("note", "the durable-response difference's interval includes 0")) + ")"
                if value is None else f"{value:,.0f} ({_end(icer['ci95'][0])} to {_end(icer['ci95'][1])})")
        html += f"<p>Incremental cost per additional durable responder: {text}.</p>"
    note = ("Vials: 1 mL vials thawed per visit and strength (volume rounded up; vials are not shared between "
            "patients or visits); waste is thawed volume not injected. GM-CSF: 28-day cycles started.")
    if not doc.get("costs"):
        note += " Costs: give prices in the scenario (<code>prices: {1e6: ..., 1e8: ..., gmcsf_cycle: ...}</code>)."
    return html + f'<p class="note">{note} Method and assumptions: docs/supply.md.</p>'


def _end(x: float | None) -> str:
    return "unbounded" if x is None else f"{x:,.0f}"
