"""Writing results: tidy tables (Parquet or CSV), dose records (CSV), provenance (JSON); the output folder's lifecycle.

Output folder lifecycle (``atomic_output_dir``): a run writes into a hidden temporary folder beside
its destination, ``.<name>.ovsim-tmp-<pid>``, and moves it in only when complete, so a failed run
leaves nothing half-written. With ``kind`` given (``ovsim cohort``, ``ovsim trial``), the output
folder is ovsim's: a marker file (``.ovsim-output.json``) is written into it, and a rerun replaces
the folder whole (swapped in atomically, the old one removed), so no stale file of an earlier run
survives. A folder that is neither empty nor an ovsim output is never replaced (one-line error).
Temporary folders left by killed runs (their process gone) are removed by the next run into the
same destination, except resumable checkpoints (a ``.ovsim-checkpoint`` inside), which a run with
``resume=True`` adopts and continues; a successful run removes the checkpoints it supersedes.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import math
import os
import re
import shutil
import socket
import sys
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import pandas as pd

from ._csv_safe import safe_csv_frame

TABLE_FORMATS = ("parquet", "csv")
MARKER = ".ovsim-output.json"
"""The file that marks a folder as an ovsim output (ovsim may replace such a folder whole)."""
CHECKPOINT_DIR = ".ovsim-checkpoint"
"""Inside a temporary folder: a resumable run's checkpoint (removed before the folder is moved in)."""
_OWNER = ".ovsim-owner.json"
_ACTIVE: set[Path] = set()  # temporary folders in use by this process

# Folders written by ovsim versions without the marker, recognised by their files (all of them ovsim's).
_LEGACY = {
    "trial": ({"endpoints.json", "scenario.json"},
              r"(endpoints|subgroup_comparisons|scenario|run)\.json|(patients|assessments|lesions|measurements)"
              r"\.parquet|doses\.csv|supply_forecast\.csv|report\.html"),
    "cohort": ({"cohort.json", "status.parquet"},
               r"(lesions|doses)-part-\d+-\d+\.parquet|status\.parquet|(cohort|run)\.json|vials\.csv"),
    "simulate": ({"run.json", "trajectories.png"},
                 r"(lesions|systemic)\.(parquet|csv)|doses\.csv|run\.json|trajectories\.png"),
    "supply": ({"supply.json"}, r"forecast\.(csv|png)|supply\.json"),
}


class OutputFolderError(ValueError):
    """An output folder ovsim must not write or replace, or a checkpoint it cannot resume (one line)."""


def _line(message: str) -> None:
    sys.stderr.write(f"ovsim: {message}\n")


def _normalise(out: str | Path) -> Path:
    if str(out).strip() == "":
        raise OutputFolderError("expected a folder path (got an empty string)")
    path = Path(os.path.abspath(os.path.expanduser(str(out))))
    return path.resolve() if path.is_symlink() else path


def is_ovsim_output(folder: str | Path) -> bool:
    """Whether ``folder`` is an ovsim output folder: it holds the marker file (or is a complete output of an
    ovsim version before the marker: only ovsim's files, with a trial's or a cohort's own ones)."""
    folder = Path(folder)
    if (folder / MARKER).is_file():
        return True
    try:
        names = {p.name for p in folder.iterdir()}
    except OSError:
        return False
    return any(needed <= names and all(re.fullmatch(pattern, n) for n in names)
               for needed, pattern in _LEGACY.values())


def check_output_dir(out: str | Path) -> Path:
    """The absolute destination folder, or :class:`OutputFolderError` (one line) if ovsim must not write it:
    an empty path, an existing file (or a file on the way to it), or a folder that is neither empty nor an
    ovsim output (a run replaces its output folder whole)."""
    path = _normalise(out)
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputFolderError(f"{out}: {parent} is a file, not a folder")
            break
    if path.exists() or path.is_symlink():
        if not path.is_dir():
            raise OutputFolderError(f"{out}: is a file, not a folder")
        if any(path.iterdir()) and not is_ovsim_output(path):
            raise OutputFolderError(
                f"{out}: not empty and not an ovsim output folder (no {MARKER}); a run replaces its output "
                "folder whole, so name a new or an empty folder")
    return path


def _temp_name(out: Path, pid: int, what: str = "tmp") -> Path:
    return out.parent / f".{out.name}.ovsim-{what}-{pid}"


def _start_time(pid: int) -> str | None:
    """A process's start time (Linux: clock ticks since boot), to tell a reused pid from the original one."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _owner_alive(folder: Path, pid: int) -> bool:
    """Whether the process that made the temporary folder ``folder`` (pid ``pid``) may still be running."""
    if folder in _ACTIVE:
        return True
    try:
        owner = json.loads((folder / _OWNER).read_text())
    except (OSError, ValueError):
        owner = {}
    if owner.get("host") not in (None, socket.gethostname()):
        return True  # another machine's run: cannot tell, leave it
    if pid == os.getpid():
        return False  # this process, not in use: left by an earlier run here
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        pass
    started = _start_time(pid)
    return owner.get("start") is None or started is None or started == owner["start"]


def _leftovers(out: Path) -> Iterator[tuple[Path, bool]]:
    """``(folder, resumable)`` for each temporary folder of ``out`` left by a run that is gone."""
    pattern = re.compile(re.escape(f".{out.name}.ovsim-") + r"(tmp|old)-(\d+)")
    try:
        entries = sorted(out.parent.iterdir())
    except OSError:
        return
    for entry in entries:
        m = pattern.fullmatch(entry.name)
        if m and entry.is_dir() and not entry.is_symlink() and not _owner_alive(entry, int(m.group(2))):
            yield entry, m.group(1) == "tmp" and (entry / CHECKPOINT_DIR).is_dir()


def _mtime(folder: Path) -> float:
    try:
        return (folder / CHECKPOINT_DIR).stat().st_mtime
    except OSError:
        return 0.0


def _remove(folder: Path, message: str, log: Callable[[str], None]) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    if not folder.exists():
        log(f"{message} {folder}")


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    return fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _replace_folder(tmp: Path, out: Path) -> None:
    """Put the complete folder ``tmp`` at ``out``; a previous ``out`` is swapped out and removed."""
    if not (out.exists() or out.is_symlink()):
        os.rename(tmp, out)
        return
    check_output_dir(out)  # still ovsim's (or empty) at the moment of replacing it
    if _exchange(tmp, out):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the previous output
        return
    old = _temp_name(out, os.getpid(), "old")
    shutil.rmtree(old, ignore_errors=True)
    os.rename(out, old)
    os.rename(tmp, out)
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def atomic_output_dir(out: str | Path, *, kind: str | None = None, resume: bool = False,
                      log: Callable[[str], None] = _line) -> Iterator[Path]:
    """Yield a temporary folder; on success it becomes ``out``.

    ``kind`` (``"cohort"``, ``"trial"``, ...): the folder is ovsim's: ``out`` is checked first
    (:func:`check_output_dir`), the marker file is written, and ``out`` is replaced whole. Without
    ``kind`` the files are moved into ``out`` beside any already there (the behaviour before markers).
    Temporary folders of ``out`` left by runs that are gone are removed (one line each on ``log``);
    resumable ones (holding a ``.ovsim-checkpoint``) are kept, and with ``resume`` the newest is adopted
    and yielded instead of a fresh folder. On an error the temporary folder is removed (an adopted
    checkpoint is put back as it was); on an interrupt (``KeyboardInterrupt``) a checkpoint in it is kept,
    for ``resume``. ``out`` is left as it was.
    """
    path = check_output_dir(out) if kind is not None else _normalise(out)
    if kind is None and path.exists() and not path.is_dir():
        raise OutputFolderError(f"{out}: is a file, not a folder")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_name(path, os.getpid())
    checkpoints = []
    for folder, resumable in _leftovers(path):
        if resumable:
            checkpoints.append(folder)
        else:
            _remove(folder, "removed stale temporary folder", log)
    shutil.rmtree(tmp, ignore_errors=True)
    adopted = None
    for folder in sorted(checkpoints, key=_mtime, reverse=True) if resume else ():
        try:
            os.rename(folder, tmp)  # claimed: another run resuming at the same time cannot take it too
        except OSError:
            continue
        adopted = folder
        checkpoints.remove(folder)
        break
    if resume and adopted is None:
        log(f"no checkpoint of {out} to resume: starting afresh")
    for folder in checkpoints:
        log(f"kept resumable checkpoint {folder} (continue it with --resume)")
    tmp.mkdir(exist_ok=adopted is not None)
    (tmp / _OWNER).write_text(json.dumps({"pid": os.getpid(), "start": _start_time(os.getpid()),
                                          "host": socket.gethostname()}) + "\n")
    _ACTIVE.add(tmp)
    try:
        try:
            yield tmp
        except BaseException as exc:
            if adopted is not None and (tmp / CHECKPOINT_DIR).is_dir():
                with contextlib.suppress(OSError):  # a checkpoint not continued (other inputs, say) goes back
                    os.rename(tmp, adopted)
            elif isinstance(exc, Exception) or not (tmp / CHECKPOINT_DIR).is_dir():
                shutil.rmtree(tmp, ignore_errors=True)  # a failed run leaves nothing behind
            raise  # interrupted (Ctrl-C): the checkpoint stays, for resume
        shutil.rmtree(tmp / CHECKPOINT_DIR, ignore_errors=True)
        (tmp / _OWNER).unlink(missing_ok=True)
        if kind is None:
            path.mkdir(parents=True, exist_ok=True)
            for item in sorted(tmp.iterdir()):
                os.replace(item, path / item.name)
            tmp.rmdir()
        else:
            from .. import __version__

            (tmp / MARKER).write_text(json.dumps({"ovsim_version": __version__, "kind": kind}, indent=2) + "\n")
            try:
                _replace_folder(tmp, path)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
    finally:
        _ACTIVE.discard(tmp)
    for folder, resumable in _leftovers(path):
        _remove(folder, "removed superseded checkpoint" if resumable else "removed stale temporary folder", log)


def write_table(frame: pd.DataFrame, path_stem: Path, fmt: str, table: str | None = None,
                docs: Mapping[str, tuple[str, str]] | None = None) -> Path:
    """Write ``frame`` as ``<stem>.parquet`` or ``<stem>.csv``; returns the path. Parquet files carry each
    column's units and description from ``docs`` (``ovsim._parquet.write_parquet``; ``table``: the table's
    name in the data dictionary, default the file name)."""
    from .._parquet import write_parquet

    if fmt not in TABLE_FORMATS:
        raise ValueError(f"format: expected one of {', '.join(TABLE_FORMATS)} (got {fmt!r})")
    path = path_stem.with_suffix(f".{fmt}")
    if fmt == "parquet":
        write_parquet(frame, path, table or path.name, docs or {})
    else:
        safe_csv_frame(frame).to_csv(path, index=False)
    return path


def write_patient_result(result: Any, folder: Path, fmt: str = "parquet", extra: dict | None = None) -> list[Path]:
    """Write a ``PatientResult``: lesions, systemic, dose records (always CSV) and run.json."""
    from .._provenance import environment, run_stamp
    from ..engine._columns import COLUMN_DOCS, dataset_docs

    lesions, systemic = result.to_frames()
    paths = [
        write_table(lesions, folder / "lesions", fmt, "simulate/lesions.parquet",
                    dataset_docs(lesions.columns, result.lesions, COLUMN_DOCS["simulate/lesions.parquet"])),
        write_table(systemic, folder / "systemic", fmt, "simulate/systemic.parquet",
                    dataset_docs(systemic.columns, result.systemic, COLUMN_DOCS["simulate/systemic.parquet"])),
    ]
    doses = folder / "doses.csv"
    safe_csv_frame(result.doses).to_csv(doses, index=False)
    paths.append(doses)
    run = folder / "run.json"
    doc = {**result.provenance, **(extra or {}), "environment": environment(), "provenance": run_stamp()}
    run.write_text(json.dumps(doc, indent=2, default=str) + "\n")
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
