"""The Typer application and the one-line error helper shared by all commands."""

from __future__ import annotations

import sys
from typing import NoReturn

import typer

app = typer.Typer(
    name="ovsim",
    help="Oncolytic virotherapy (T-VEC) in silico: patients, dosing plans, virtual trials.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``ovsim: error: <message>`` on stderr (one line) and exit with ``code``."""
    sys.stderr.write(f"ovsim: error: {message}\n")
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        print(f"ovsim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Oncolytic virotherapy (T-VEC) in silico: patients, dosing plans, virtual trials."""
