"""``ovsim plan LESIONS.csv --visit N [--format table|csv|json] [--visit-time HH:MM [--visit-date YYYY-MM-DD]]``:
one visit's Imlygic dosing plan, with a preparation timeline (thaw start, syringe deadlines) when a
visit time is given (see ``docs/handling.md``).

Only pandas, rich and the numpy label rule load here (no JAX), so the command starts fast.
"""

from __future__ import annotations

import io
import json
import re
import sys
from datetime import date, time
from enum import Enum
from pathlib import Path

import pandas as pd
import typer

from ..regimen._handling import PrepTimeline, prep_timeline
from ..regimen._plan import PlanInputError, VisitPlan, format_strength, plan_visit, read_lesion_csv
from ._app import app, fail, rich_console, safe_text, strip_control, warn

CSV_COLUMNS: tuple[str, ...] = (
    "lesion_id",
    "site",
    "longest_diameter_cm",
    "volume_ml",
    "concentration_pfu_per_ml",
)
"""Columns written by ``--format csv`` (one row per lesion; totals only in table/json)."""

COLUMN_DOCS: dict[str, dict[str, tuple[str, str]]] = {
    "plan/plan.csv": {
        "lesion_id": ("", "lesion identifier from LESIONS.csv"),
        "site": ("", "anatomical site"),
        "longest_diameter_cm": ("cm", "longest diameter given in LESIONS.csv"),
        "volume_ml": ("mL", "volume of Imlygic to inject into the lesion at this visit (0: not injected)"),
        "concentration_pfu_per_ml": ("PFU/mL", "concentration of the visit's vials (1e6 at visit 1, then 1e8)"),
    },
}
"""``ovsim plan --format csv`` on stdout (data dictionary table ``plan/plan.csv``)."""


class PlanFormat(str, Enum):
    """Output formats of ``ovsim plan``."""

    table = "table"
    csv = "csv"
    json = "json"


def render_csv(plan: VisitPlan) -> str:
    """Per-lesion CSV text: lesion_id, site, diameter (cm), volume (mL), concentration (PFU/mL).

    Text cells are neutralised against CSV injection and terminal control (see
    :func:`ovsim.io.safe_csv_frame`): an id beginning with ``=``, ``+``, ``-`` or ``@`` gets a leading ``'``."""
    from ..io._csv_safe import safe_csv_frame

    frame = plan.lesions.loc[:, list(CSV_COLUMNS)].copy()
    frame["longest_diameter_cm"] = [f"{x:g}" for x in frame["longest_diameter_cm"]]
    frame["volume_ml"] = [f"{x:.1f}" for x in frame["volume_ml"]]
    frame["concentration_pfu_per_ml"] = [f"{x:g}" for x in frame["concentration_pfu_per_ml"]]
    buffer = io.StringIO()
    safe_csv_frame(frame).to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def render_json(plan: VisitPlan, timeline: PrepTimeline | None = None) -> str:
    """The plan as indented JSON (see :meth:`VisitPlan.to_dict`), with a ``timeline`` key
    (see :meth:`PrepTimeline.to_dict`) when a visit time was given."""
    data = plan.to_dict()
    if timeline is not None:
        data["timeline"] = timeline.to_dict()
    return json.dumps(data, indent=2) + "\n"


def timeline_lines(timeline: PrepTimeline) -> list[str]:
    """The preparation timeline as plain lines: visit, thaw start, one line per syringe, assumptions."""
    visit = timeline.when(timeline.visit)
    lines = [f"Preparation for a visit at {visit}:"]
    for t in timeline.thaw:
        noun = "vial" if t["vials"] == 1 else "vials"
        lines.append(f"  start thawing {t['vials']} {noun} of {format_strength(t['strength_pfu_per_ml'])} PFU/mL "
                     f"by {timeline.when(t['thaw_start_latest'])}")
    for x in timeline.syringes:
        lines.append(f"  syringe {x['lesion_id']} ({x['volume_ml']:.1f} mL): administer by "
                     f"{timeline.when(x['administer_by'])}")
    lines.extend(f"  assumes {a}" for a in timeline.assumptions)
    return lines


def parse_visit_time(text: str) -> time | None:
    """``HH:MM`` (24 h clock, 00:00 to 23:59) to a time; None otherwise."""
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", text.strip())
    return time(int(match.group(1)), int(match.group(2))) if match else None


def parse_visit_date(text: str) -> date | None:
    """``YYYY-MM-DD`` to a date; None otherwise."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def print_table(plan: VisitPlan, timeline: PrepTimeline | None = None) -> None:
    """A rich table, one row per lesion, then the total volume and the vials to thaw."""
    from rich import box
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
    ids = [safe_text(x) for x in plan.lesions["lesion_id"]]
    sites = [safe_text(x) for x in plan.lesions["site"]]

    def fixed(header: str, width: int, justify: str = "right") -> None:
        table.add_column(header, justify=justify, no_wrap=True, min_width=width)  # type: ignore[arg-type]

    fixed("#", 1)
    fixed("lesion_id", max(len(strip_control(x)) for x in plan.lesions["lesion_id"]), "left")
    fixed("site", max(len(strip_control(x)) for x in plan.lesions["site"]), "left")
    fixed("diameter\n(cm)", 8)
    fixed("new", 3, "center")
    fixed("volume\n(mL)", 6)
    fixed("PFU/mL", 6)
    table.add_column("note", min_width=8)
    for lesion_id, site, row, note in zip(ids, sites, plan.lesions.itertuples(index=False), plan.notes()):
        table.add_row(
            "-" if pd.isna(row.priority) else str(int(row.priority)),
            lesion_id,
            site,
            f"{row.longest_diameter_cm:g}",
            "yes" if row.new else "",
            f"{row.volume_ml:.1f}",
            format_strength(row.concentration_pfu_per_ml) if row.volume_ml > 0 else "-",
            safe_text(note),
        )
    console = rich_console()
    console.print(table)
    console.print(f"Total volume: {plan.total_volume_ml:.1f} mL")
    thaw = plan.thaw_line()
    console.print(safe_text(thaw[0].upper() + thaw[1:]))
    if timeline is not None:
        console.print()
        for line in timeline_lines(timeline):
            console.print(safe_text(line), soft_wrap=True)


@app.command("plan")
def plan_command(
    lesions_csv: Path = typer.Argument(
        ...,
        metavar="LESIONS.csv",
        help="Lesion list: lesion_id, site, longest_diameter_cm (cm), new (true/false).",
        show_default=False,
    ),
    visit: int = typer.Option(..., "--visit", show_default=False,
                              help="Visit number, 1 = first visit (1e6 PFU/mL); at most 10,000 (384 years of visits)."),
    output_format: PlanFormat = typer.Option(PlanFormat.table, "--format", help="Output format."),
    visit_time: str | None = typer.Option(
        None, "--visit-time", metavar="HH:MM",
        help="Injection time: adds a preparation timeline (thaw start, syringe deadlines); table and json.",
        show_default=False,
    ),
    visit_date: str | None = typer.Option(
        None, "--visit-date", metavar="YYYY-MM-DD",
        help="Date of the visit for the timeline (without it, clock times only).", show_default=False,
    ),
    covariates: list[str] = typer.Option(
        [], "--covariate", metavar="NAME",
        help="A label covariate the patient has (repeatable): immunocompromised, pregnant (refused), "
             "antiherpetic_medication, active_herpetic_lesions (warnings), prior_tvec.",
        show_default=False,
    ),
) -> None:
    """Volumes (mL) and concentration (PFU/mL) to inject into each lesion at one Imlygic visit."""
    _screen(covariates)
    if visit < 1:
        fail(f"--visit: expected an integer >= 1 (1 = first visit) (got {visit})")
    if visit > 10_000:
        fail(f"--visit: expected at most 10,000 (384 years of visits) (got {visit})")
    clock = day = None
    if visit_time is not None:
        clock = parse_visit_time(visit_time)
        if clock is None:
            fail(f"--visit-time: expected a 24 h clock time HH:MM such as 09:30 (got {visit_time!r})")
        if output_format is PlanFormat.csv:
            fail("--visit-time: the preparation timeline is shown with --format table or json, not csv")
    if visit_date is not None:
        day = parse_visit_date(visit_date)
        if day is None:
            fail(f"--visit-date: expected a date YYYY-MM-DD such as 2025-03-04 (got {visit_date!r})")
        if clock is None:
            fail("--visit-date: needs --visit-time HH:MM (the timeline is computed from the visit time)")
    try:
        lesions = read_lesion_csv(lesions_csv)
    except PlanInputError as err:
        fail(str(err))
    try:
        plan = plan_visit(lesions, visit)
    except PlanInputError as err:
        fail(f"{lesions_csv}: {err}")
    timeline = prep_timeline(plan, clock, day) if clock is not None else None
    if output_format is PlanFormat.csv:
        sys.stdout.write(render_csv(plan))
    elif output_format is PlanFormat.json:
        sys.stdout.write(render_json(plan, timeline))  # ASCII JSON: control characters as \u escapes
    else:
        print_table(plan, timeline)


def _screen(names: list[str]) -> None:
    """Refuse a contraindicated patient (one line, exit 2); print the label's warnings on stderr."""
    from types import SimpleNamespace

    from ..population import CONTRAINDICATION_NAMES, screen

    unknown = [n for n in names if n not in CONTRAINDICATION_NAMES]
    if unknown:
        fail(f"--covariate: expected one of {', '.join(CONTRAINDICATION_NAMES)} (got {unknown[0]!r})")
    refusals, warnings = screen(SimpleNamespace(**{n: True for n in names}))
    if refusals:
        fail(refusals[0].replace("patient.", "--covariate ", 1))
    for line in warnings:
        warn(line.replace("patient.", "--covariate ", 1))
