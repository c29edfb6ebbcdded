"""A rich progress bar over patients (or nothing), which says when the first chunk is compiling.

On the first run on a machine the JAX programs compile before the first chunk (20-40 s per program
shape on a CPU) and a bar would sit at 0. The bar then reads "compiling (first run on this machine;
about N s)" until the first chunk is done, and "simulating" after. A run counts as a first run when
JAX's persistent compilation cache (``ovsim.configure_jax``) is off or empty, or holds no record of
this program shape: the record is a small JSON file in the cache folder (``RECORD_NAME``: seconds of
the first chunk per shape key), so emptying the cache empties the record too. The estimate N is the
last first-chunk time recorded on a cold run, else ``DEFAULT_COMPILE_SECONDS``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

#: Estimate of the first compile (seconds) before any was recorded: the middle of the 20-40 s a program
#: shape takes to compile on a CPU core (docs/performance.md).
DEFAULT_COMPILE_SECONDS = 30.0
#: The record of first-chunk times, in the JAX compilation cache folder.
RECORD_NAME = "ovsim-compile-seconds.json"
#: A first chunk faster than this (seconds) compiled nothing: it does not update the estimate.
MIN_COLD_SECONDS = 2.0
#: Key of the record holding the last cold first-chunk time (the estimate).
LAST_COLD = "_last_cold_seconds"


def jax_cache_dir() -> Path | None:
    """JAX's persistent compilation cache folder if one is configured (and JAX already imported), else None."""
    jax = sys.modules.get("jax")
    folder = getattr(getattr(jax, "config", None), "jax_compilation_cache_dir", None) if jax is not None else None
    return Path(folder) if folder else None


def read_record(cache: Path | None) -> dict[str, float]:
    """The record of first-chunk times in ``cache`` ({} when absent, unreadable or no cache)."""
    if cache is None:
        return {}
    try:
        data = json.loads((cache / RECORD_NAME).read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): float(v) for k, v in data.items() if isinstance(v, (int, float))} if isinstance(data, dict) else {}


def cache_is_warm(cache: Path | None) -> bool:
    """Whether ``cache`` holds compiled programs (any file but the record)."""
    if cache is None or not cache.is_dir():
        return False
    return any(p.name != RECORD_NAME for p in cache.iterdir())


def compile_notice(record: dict[str, float], key: str, warm: bool) -> str | None:
    """The line shown before the first chunk, or None when this shape is known to be compiled (``warm``
    cache and ``key`` in ``record``)."""
    if warm and key in record:
        return None
    estimate = record.get(LAST_COLD, DEFAULT_COMPILE_SECONDS)
    return f"compiling (first run on this machine; about {estimate:.0f} s)"


def updated_record(record: dict[str, float], key: str, seconds: float, cold: bool) -> dict[str, float]:
    """``record`` with this shape's first-chunk time, and the estimate updated on a cold run."""
    out = {**record, key: round(float(seconds), 2)}
    if cold:
        out[LAST_COLD] = round(float(seconds), 2)
    return out


def write_record(cache: Path | None, record: dict[str, float]) -> None:
    """Write the record into ``cache`` atomically; silently nothing when there is no cache or it is read-only."""
    if cache is None:
        return
    try:
        cache.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache, prefix=f".{RECORD_NAME}.", suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump(record, fh, sort_keys=True)
        os.replace(tmp, cache / RECORD_NAME)
    except OSError:
        pass


class progress_bar:
    """``with progress_bar(enabled, total, key) as advance: advance(k)`` draws a rich bar over patients.

    ``key`` names the program shape of the first chunk (backend, lanes, lesion slots); with a cold
    compilation cache the bar reads "compiling ..." until the first ``advance``. ``cache`` (default: JAX's
    configured cache folder), ``clock`` and ``console`` (a rich Console) are there for tests.
    """

    def __init__(self, enabled: bool, total: int, key: str = "", *, cache: Path | None | str = "jax",
                 clock: Callable[[], float] = time.perf_counter, console: Any = None) -> None:
        self.enabled, self.total, self.key, self._bar = enabled, total, key, None
        self.cache = jax_cache_dir() if cache == "jax" else (Path(cache) if cache else None)
        self.clock, self.console = clock, console
        self.notice: str | None = None

    def __enter__(self) -> Callable[[int], Any]:
        if not self.enabled:
            return lambda k: None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        record = read_record(self.cache)
        warm = cache_is_warm(self.cache)
        self.notice = compile_notice(record, self.key, warm)
        kwargs = {"console": self.console} if self.console is not None else {}
        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("patients"), TimeRemainingColumn(), transient=False, **kwargs)
        self._bar.__enter__()
        if self.notice is not None and not self._bar.console.is_terminal:
            self._bar.console.print(self.notice)   # a log has no live bar: say it on a line of its own
        task = self._bar.add_task(self.notice or "simulating", total=self.total)
        started, first = self.clock(), [True]

        def advance(k: int) -> None:
            if first[0]:
                first[0] = False
                if self.notice is not None:
                    self._bar.update(task, description="simulating")
                seconds = self.clock() - started   # a chunk read back from a checkpoint compiles nothing
                write_record(self.cache, updated_record(record, self.key, seconds,
                                                        cold=self.notice is not None and seconds >= MIN_COLD_SECONDS))
            self._bar.advance(task, k)

        return advance

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.__exit__(*exc)
        return False
