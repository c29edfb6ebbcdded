"""``ovsim model --describe``: the model definition's states, parameters and mechanisms as tables.

Only the model definition (sympy) and rich load here (no JAX), so the command starts fast.
"""

from __future__ import annotations

import sys

import typer

from ._app import app, fail


def _definition():
    """The model definition this command describes."""
    from ..model._definition import default_model

    return default_model()


def print_description(definition) -> None:
    """Rich tables of ``definition``: states, parameters (level, units, value, calibrated or sourced),
    covariates, each grouped by the mechanism that defines them, then the mechanisms in composition order."""
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(file=sys.stdout, highlight=False)
    name_width = max(len(n) for n in (*definition.states, *definition.parameters, *definition.covariates))

    def table(title: str, *columns: str, wrap: tuple[str, ...] = ("meaning",)) -> Table:
        t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False,
                  padding=(0, 1, 0, 0))
        for k, header in enumerate(columns):  # only free text wraps; names are never cut
            t.add_column(header, no_wrap=header not in wrap, min_width=name_width if k == 0 else None)
        return t

    def grouped(t: Table, items, row) -> Table:
        for part in definition.parts:
            mine = [x for x in items if definition.owner[x.name] == part.name]
            if not mine:
                continue
            t.add_row(f"[bold]{escape(part.name)}:[/bold]")
            for k, x in enumerate(mine):
                t.add_row(*(escape(str(c)) for c in row(x)), end_section=k == len(mine) - 1)
        return t

    states = grouped(table("States", "state", "symbol", "level", "units", "meaning"), definition.states.values(),
                     lambda s: (s.name, s.symbol, s.level, s.units, s.description))
    params = grouped(table("Parameters", "parameter", "level", "units", "value", "calib."),
                     definition.parameters.values(),
                     lambda p: (p.name, p.level, p.units, f"{p.value:.6g}",
                                "yes" if p.calibrated else "no"))
    covariates = grouped(table("Covariates", "covariate", "level", "units", "default", "meaning"),
                         definition.covariates.values(),
                         lambda c: (c.name, c.level, c.units, f"{c.value:.6g}", c.description))
    parts = table("Mechanisms (composition order)", "mechanism", "title", "states", "params", "description",
                  wrap=("title", "description"))
    for part in definition.parts:
        parts.add_row(*(escape(str(c)) for c in (part.name, part.title, len(part.states), len(part.parameters),
                                                  part.description)))
    for t in (states, params, covariates, parts):
        console.print(t)
        console.print()
    console.print("calib.: yes = provisional value, constrained by the OPTiM calibration; "
                  "no = from its source (literature or a stated assumption, docs/model.md)")


@app.command("model")
def model_command(
    describe: bool = typer.Option(False, "--describe", help="Print the states, parameters and mechanisms."),
    # ---- SBML EXPORT (placeholder, not implemented): the options `--sbml PATIENT.yaml` and `-o/--out OUT.xml`
    # ---- go here; they write one patient's model as SBML. --describe and --sbml are alternatives.
) -> None:
    """Describe the lesion-immune model (states, parameters, mechanisms)."""
    if describe:
        print_description(_definition())
        return
    # ---- SBML EXPORT (placeholder, not implemented): the `--sbml` branch goes here, before the error below,
    # ---- which then names both options ("expected --describe or --sbml PATIENT.yaml").
    fail("model: expected --describe (see ovsim model --help)")
