"""Writing results: tidy tables (Parquet or CSV), dose records (CSV), provenance (JSON).

Outputs are written into a temporary folder beside the destination and moved in only when
complete, so a failed run leaves nothing half-written.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

TABLE_FORMATS = ("parquet", "csv")


@contextlib.contextmanager
def atomic_output_dir(out: str | Path) -> Iterator[Path]:
    """Yield a temporary folder; on success move its files into ``out`` (created if needed).

    On an exception the temporary folder is removed and ``out`` is left as it was.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    out.mkdir(parents=True, exist_ok=True)
    for item in sorted(tmp.iterdir()):
        os.replace(item, out / item.name)
    tmp.rmdir()


def write_table(frame: pd.DataFrame, path_stem: Path, fmt: str) -> Path:
    """Write ``frame`` as ``<stem>.parquet`` or ``<stem>.csv``; returns the path."""
    if fmt not in TABLE_FORMATS:
        raise ValueError(f"format: expected one of {', '.join(TABLE_FORMATS)} (got {fmt!r})")
    path = path_stem.with_suffix(f".{fmt}")
    if fmt == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


def write_patient_result(result: Any, folder: Path, fmt: str = "parquet", extra: dict | None = None) -> list[Path]:
    """Write a ``PatientResult``: lesions, systemic, dose records (always CSV) and run.json."""
    lesions, systemic = result.to_frames()
    paths = [
        write_table(lesions, folder / "lesions", fmt),
        write_table(systemic, folder / "systemic", fmt),
    ]
    doses = folder / "doses.csv"
    result.doses.to_csv(doses, index=False)
    paths.append(doses)
    run = folder / "run.json"
    run.write_text(json.dumps({**result.provenance, **(extra or {})}, indent=2, default=str) + "\n")
    paths.append(run)
    return paths


def _strict(x: Any) -> Any:
    """NaN and infinities -> None, numpy scalars -> Python, tuples/sets -> lists, recursively."""
    if isinstance(x, dict):
        return {k: _strict(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, set)):
        return [_strict(v) for v in x]
    if hasattr(x, "item") and getattr(x, "ndim", 0) == 0:
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def json_text(doc: Any) -> str:
    """``doc`` as strict JSON (no NaN: missing values are null), indented, with a final newline."""
    return json.dumps(_strict(doc), indent=2, default=str, allow_nan=False) + "\n"
