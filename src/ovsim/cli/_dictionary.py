"""``ovsim dictionary [TABLE]``: the data dictionary (every table and column ovsim writes, with units)."""

from __future__ import annotations

import typer

from ._app import app, fail, safe_text


@app.command()
def dictionary(
    table: str = typer.Argument(None, help="A table (trial/patients.parquet, or a file name only one table has, "
                                "such as measurements); all tables if omitted.", show_default=False),
) -> None:
    """Print the data dictionary (Markdown): each table's columns, units and descriptions."""
    from ..dictionary import DictionaryError, markdown

    try:
        text = markdown(table)
    except DictionaryError as err:
        fail(f"TABLE: {safe_text(str(err))}")
    print(text, end="")


__all__ = ["dictionary"]
