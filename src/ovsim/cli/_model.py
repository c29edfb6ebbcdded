"""``ovsim model --describe``: the model definition's states, parameters and mechanisms as tables;
``ovsim model --sbml PATIENT.yaml -o OUT.xml``: one patient's model as SBML, with the doses ovsim gives it.

Only the model definition (sympy) and rich load for ``--describe`` (no JAX), so it starts fast; ``--sbml``
simulates the patient (JAX) to obtain the doses it actually receives.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import typer

from ._app import app, check_out_path, fail, rich_console, safe_text


def _definition():
    """The model definition this command describes: the mechanisms and every registered treatment."""
    from ..treatments import full_model

    return full_model()


def print_description(definition) -> None:
    """Rich tables of ``definition``: states, parameters (level, units, value, calibrated or sourced),
    covariates, each grouped by the mechanism that defines them, then the mechanisms in composition order."""
    from rich import box
    from rich.table import Table

    console = rich_console()
    escape = safe_text
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
    sbml: Path | None = typer.Option(None, "--sbml", metavar="PATIENT.yaml",
                                     help="Write this patient's model, with the doses ovsim gives it, as SBML L3V2."),
    out: str | None = typer.Option(None, "--out", "-o", metavar="OUT.xml", help="SBML file to write (with --sbml)."),
) -> None:
    """Describe the lesion-immune model (states, parameters, mechanisms), or export one patient as SBML."""
    if describe and sbml is not None:
        fail("model: expected --describe or --sbml PATIENT.yaml, not both")
    if out is not None and sbml is None:
        fail("--out: expected together with --sbml PATIENT.yaml")
    if describe:
        print_description(_definition())
        return
    if sbml is not None:
        if out is None:
            fail("--sbml: expected -o/--out OUT.xml")
        write_sbml(sbml, check_out_path(out, kind="file"))  # the path is checked before the simulation
        return
    fail("model: expected --describe or --sbml PATIENT.yaml (see ovsim model --help)")


def write_sbml(patient_file: Path, out: Path) -> None:
    """Export ``patient_file`` as SBML to ``out``, atomically (a temporary file beside it, then renamed)."""
    from ..engine import SimulationError
    from ..io import InputFileError, check_sbml, export_patient_sbml

    out = check_out_path(out, kind="file")
    console = rich_console(stderr=True)
    try:
        with console.status(f"simulating {safe_text(patient_file)} to obtain the doses it receives"):
            text = export_patient_sbml(patient_file)
    except InputFileError as err:
        fail(str(err))
    except SimulationError as err:
        fail(str(err), code=1)
    except ValueError as err:  # e.g. T-VEC for a patient without an injectable lesion
        fail(f"{patient_file}: {err}")
    try:
        note = f" ({len(check_sbml(text))} libsbml warning(s))"
    except ModuleNotFoundError:  # python-libsbml is an optional (test) dependency
        note = " (not validated: python-libsbml is not installed)"
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")  # same folder: the rename is atomic
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out)
    except OSError as err:
        with contextlib.suppress(OSError):
            tmp.unlink()
        fail(f"--out: cannot write {out} ({err.strerror or err})")
    console.print(f"wrote SBML L3V2 of {safe_text(patient_file)} to {safe_text(out)}{note}")
