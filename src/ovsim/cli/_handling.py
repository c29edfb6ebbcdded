"""``ovsim handling LOG.csv [--format table|json]``: Imlygic cold-chain and thaw-window check.

Exit status: 0 if every vial is within the label's limits, 1 if any vial must be discarded,
2 if the log cannot be read (one line naming the file, row and column). No JAX on this path.
"""

from __future__ import annotations

import json
import re
import sys
from enum import Enum
from pathlib import Path

import typer

from ..regimen._handling import VialResult, check_handling
from ..regimen._handling_csv import HandlingInputError, read_handling_csv, strength_text
from ._app import app, fail, rich_console, safe_text


class HandlingFormat(str, Enum):
    """Output formats of ``ovsim handling``."""

    table = "table"
    json = "json"


def render_json(results: list[VialResult]) -> str:
    """``[{"vial_id": ..., "status": "ok"|"discard", "reason": ...}, ...]`` as indented JSON.

    Non-ASCII text is kept, but DEL and C1 control characters are written as ``\\u`` escapes (JSON
    already escapes C0), so the JSON cannot drive a terminal."""
    text = json.dumps([r.to_dict() for r in results], indent=2, ensure_ascii=False) + "\n"
    return re.sub("[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text)


def print_table(results: list[VialResult], title: str) -> None:
    """A rich table, one row per vial (user text escaped), then a one-line summary."""
    from rich import box
    from rich.table import Table

    table = Table(title=safe_text(title), title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("vial_id", no_wrap=True)
    table.add_column("PFU/mL", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("reason")
    for r in results:
        status = "[bold red]discard[/]" if r.status == "discard" else "[green]ok[/]"
        table.add_row(safe_text(r.vial_id), safe_text(strength_text(r.strength_pfu_per_ml)), status, safe_text(r.reason))
    console = rich_console()
    console.width = max(100, console.width)
    console.print(table)
    bad = sum(r.status == "discard" for r in results)
    noun = "vial" if len(results) == 1 else "vials"
    console.print(f"{len(results)} {noun}: {len(results) - bad} ok, {bad} to discard")


@app.command("handling")
def handling_command(
    log_csv: Path = typer.Argument(
        ...,
        metavar="LOG.csv",
        help="Handling log: vial_id, strength_pfu_per_ml, event, time (ISO 8601), temperature_c.",
        show_default=False,
    ),
    output_format: HandlingFormat = typer.Option(HandlingFormat.table, "--format", help="Output format."),
) -> None:
    """Check each vial's storage, thaw and syringe times against the Imlygic label (exit 1: discard)."""
    try:
        results = check_handling(read_handling_csv(log_csv))
    except HandlingInputError as err:
        fail(str(err))
    if output_format is HandlingFormat.json:
        sys.stdout.write(render_json(results))
    else:
        print_table(results, f"Imlygic handling check: {log_csv}")
    if any(r.status == "discard" for r in results):
        raise typer.Exit(1)
