"""Column docs of the dataset files a trial or a cohort writes (collected by :mod:`ovsim.dictionary`).

The CDISC datasets (``cdisc/``, with ``--cdisc``) are documented by their own metadata instead: each
variable's label in the XPT file and ``cdisc/define.json`` (docs/datasets.md).
"""

from __future__ import annotations

from ._nonmem import COLUMN_DOCS as _NONMEM

COLUMN_DOCS: dict[str, dict[str, tuple[str, str]]] = {
    f"{output}/{name}": cols for output in ("trial", "cohort") for name, cols in _NONMEM.items()}
