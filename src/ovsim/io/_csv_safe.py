"""CSV cells that a spreadsheet will not run as formulas (CSV injection), and no terminal control.

Following OWASP's CSV-injection guidance, a *text* cell whose first character is ``=``, ``+``,
``-``, ``@``, a tab or a carriage return is prefixed with a single quote ``'`` (spreadsheets show the
text; the quote marks it as not a formula). Numbers are left as they are: numeric cells (ints,
floats, a numeric column) are never touched, and a text cell that is a plain decimal number such as
``-0.5``, ``+3`` or ``-1.2e-3`` is kept too, so negative values stay numbers. Before that, control
characters are removed from text cells (terminal escape sequences whole; C0 but tab and newline,
DEL, C1), so a CSV shown on a terminal (``ovsim plan --format csv``, ``cat doses.csv``) cannot
drive it, and a hidden control character cannot shield a leading ``=``.

The price: an id such as ``-L1`` is written ``'-L1``, so the CSV is for people and spreadsheets;
the Parquet tables keep every value exactly as given.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet treat a cell as a formula (OWASP)."""

_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[ -/]*[0-~]?|[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f-\x9f]"
)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_csv_cell(value: Any, *, strip_control: bool = True) -> Any:
    """One cell: text neutralised (see the module docstring), anything else returned unchanged."""
    if not isinstance(value, str):
        return value
    text = _CONTROL.sub("", value) if strip_control else value
    if text.startswith(FORMULA_PREFIXES) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_csv_frame(frame: pd.DataFrame, *, strip_control: bool = True) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (object, string and categorical columns; the column
    names too) are neutralised with :func:`safe_csv_cell`; numeric columns are left untouched.

    Call it on a frame just before ``to_csv``; the frame itself is not changed.
    """
    out = frame.copy()
    for k in range(out.shape[1]):  # by position: duplicated column names are fine
        col = out.iloc[:, k]
        if (pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)
                or isinstance(col.dtype, pd.CategoricalDtype)):
            out.isetitem(k, col.astype(object).map(lambda v: safe_csv_cell(v, strip_control=strip_control)))
    if not isinstance(out.columns, pd.MultiIndex):
        out.columns = [safe_csv_cell(c, strip_control=strip_control) for c in out.columns]
    return out


__all__ = ["FORMULA_PREFIXES", "safe_csv_cell", "safe_csv_frame"]
