"""Column docs of the tables written by replicated trials and design runs (``ovsim trial --replicates``,
``ovsim design``), collected by :mod:`ovsim.dictionary` under ``replicates/`` and ``design/``."""

from __future__ import annotations

from ._design import COLUMN_DOCS as _DESIGN
from ._replicate_stats import COLUMN_DOCS as _REPLICATES

COLUMN_DOCS: dict[str, dict[str, tuple[str, str]]] = {
    **{f"replicates/{name}": cols for name, cols in _REPLICATES.items()},
    **{f"design/{name}": cols for name, cols in _DESIGN.items()},
}
