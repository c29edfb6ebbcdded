"""SAS XPORT version 5 (``.xpt``) and Parquet writing of a CDISC dataset, and reading an .xpt back."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ._cdisc_meta import LABELS

DATASET_LABELS = {
    "DM": "Demographics", "EX": "Exposure", "TU": "Tumor/Lesion Identification", "TR": "Tumor/Lesion Results",
    "RS": "Disease Response", "AE": "Adverse Events", "ADSL": "Subject-Level Analysis Dataset",
    "ADRS": "Response Analysis Dataset", "ADTTE": "Time-to-Event Analysis Dataset",
}


def label_of(name: str, domain: str) -> str:
    """A variable's label: from LABELS, or by its --suffix for a domain-prefixed variable."""
    if name in LABELS:
        return LABELS[name]
    generic = "--" + name[len(domain):] if name.startswith(domain) else name
    for k, v in LABELS.items():
        if len(k) > 2 and k[2:] == generic[2:] and generic.startswith("--"):
            return v
    return name


def write_dataset(frame: pd.DataFrame, name: str, folder: str | Path) -> tuple[Path, Path]:
    """Write ``<name lower>.xpt`` (XPORT v5, labelled) and ``<name lower>.parquet`` into ``folder``."""
    import pyreadstat

    folder = Path(folder)
    labels = [label_of(c, name) for c in frame.columns]
    xpt = folder / f"{name.lower()}.xpt"
    pyreadstat.write_xport(frame, str(xpt), file_label=DATASET_LABELS.get(name, name), column_labels=labels,
                           table_name=name, file_format_version=5)
    pq = folder / f"{name.lower()}.parquet"
    frame.to_parquet(pq, index=False)
    return xpt, pq


def read_xpt(path: str | Path) -> tuple[pd.DataFrame, dict[str, str], str]:
    """(frame, {variable: label}, dataset name) of an .xpt file."""
    import pyreadstat

    frame, meta = pyreadstat.read_xport(str(path))
    return frame, dict(zip(meta.column_names, meta.column_labels)), meta.table_name
