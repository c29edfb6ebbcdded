"""``ovsim plan LESIONS.csv --visit N [--format table|csv|json]``: one visit's Imlygic dosing plan.

Only pandas, rich and the numpy label rule load here (no JAX), so the command starts fast.
"""

from __future__ import annotations

import io
import json
import sys
from enum import Enum
from pathlib import Path

import pandas as pd
import typer

from ..regimen._plan import PlanInputError, VisitPlan, format_strength, plan_visit, read_lesion_csv
from ._app import app, fail

CSV_COLUMNS: tuple[str, ...] = (
    "lesion_id",
    "site",
    "longest_diameter_cm",
    "volume_ml",
    "concentration_pfu_per_ml",
)
"""Columns written by ``--format csv`` (one row per lesion; totals only in table/json)."""


class PlanFormat(str, Enum):
    """Output formats of ``ovsim plan``."""

    table = "table"
    csv = "csv"
    json = "json"


def render_csv(plan: VisitPlan) -> str:
    """Per-lesion CSV text: lesion_id, site, diameter (cm), volume (mL), concentration (PFU/mL)."""
    frame = plan.lesions.loc[:, list(CSV_COLUMNS)].copy()
    frame["longest_diameter_cm"] = [f"{x:g}" for x in frame["longest_diameter_cm"]]
    frame["volume_ml"] = [f"{x:.1f}" for x in frame["volume_ml"]]
    frame["concentration_pfu_per_ml"] = [f"{x:g}" for x in frame["concentration_pfu_per_ml"]]
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def render_json(plan: VisitPlan) -> str:
    """The plan as indented JSON (see :meth:`VisitPlan.to_dict`)."""
    return json.dumps(plan.to_dict(), indent=2) + "\n"


def print_table(plan: VisitPlan) -> None:
    """A rich table, one row per lesion, then the total volume and the vials to thaw."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    strength = format_strength(plan.concentration_pfu_per_ml)
    table = Table(
        title=f"Imlygic visit {plan.visit}: {strength} PFU/mL",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        padding=(0, 1, 0, 0),
        pad_edge=False,
        show_edge=False,
    )
    ids = [str(x) for x in plan.lesions["lesion_id"]]

    def fixed(header: str, width: int, justify: str = "right") -> None:
        table.add_column(header, justify=justify, no_wrap=True, min_width=width)  # type: ignore[arg-type]

    fixed("#", 1)
    fixed("lesion_id", max(len(x) for x in ids), "left")
    fixed("site", max(len(str(x)) for x in plan.lesions["site"]), "left")
    fixed("diameter\n(cm)", 8)
    fixed("new", 3, "center")
    fixed("volume\n(mL)", 6)
    fixed("PFU/mL", 6)
    table.add_column("note", min_width=8)
    for lesion_id, row, note in zip(ids, plan.lesions.itertuples(index=False), plan.notes()):
        table.add_row(
            "-" if pd.isna(row.priority) else str(int(row.priority)),
            lesion_id,
            str(row.site),
            f"{row.longest_diameter_cm:g}",
            "yes" if row.new else "",
            f"{row.volume_ml:.1f}",
            format_strength(row.concentration_pfu_per_ml) if row.volume_ml > 0 else "-",
            note,
        )
    console = Console(file=sys.stdout, highlight=False)
    console.print(table)
    console.print(f"Total volume: {plan.total_volume_ml:.1f} mL")
    thaw = plan.thaw_line()
    console.print(thaw[0].upper() + thaw[1:])


@app.command("plan")
def plan_command(
    lesions_csv: Path = typer.Argument(
        ...,
        metavar="LESIONS.csv",
        help="Lesion list: lesion_id, site, longest_diameter_cm (cm), new (true/false).",
        show_default=False,
    ),
    visit: int = typer.Option(..., "--visit", help="Visit number, 1 = first visit (1e6 PFU/mL).", show_default=False),
    output_format: PlanFormat = typer.Option(PlanFormat.table, "--format", help="Output format."),
) -> None:
    """Volumes (mL) and concentration (PFU/mL) to inject into each lesion at one Imlygic visit."""
    if visit < 1:
        fail(f"--visit: expected an integer >= 1 (1 = first visit) (got {visit})")
    try:
        lesions = read_lesion_csv(lesions_csv)
    except PlanInputError as err:
        fail(str(err))
    try:
        plan = plan_visit(lesions, visit)
    except PlanInputError as err:
        fail(f"{lesions_csv}: {err}")
    if output_format is PlanFormat.csv:
        sys.stdout.write(render_csv(plan))
    elif output_format is PlanFormat.json:
        sys.stdout.write(render_json(plan))
    else:
        print_table(plan)
