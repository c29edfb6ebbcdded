"""The progress bar's compiling notice: shown on a cold compilation cache, with an estimate, then progress."""

from __future__ import annotations

import io
import json

from rich.console import Console

from ovsim.engine._progress import (
    DEFAULT_COMPILE_SECONDS,
    LAST_COLD,
    RECORD_NAME,
    cache_is_warm,
    compile_notice,
    progress_bar,
    read_record,
    updated_record,
)


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_notice_logic():
    assert compile_notice({}, "k", warm=False) == \
        f"compiling (first run on this machine; about {DEFAULT_COMPILE_SECONDS:.0f} s)"
    assert compile_notice({"k": 31.0}, "k", warm=True) is None
    assert compile_notice({"k": 31.0}, "k", warm=False) is not None           # cache emptied: compiles again
    assert compile_notice({"k": 31.0, LAST_COLD: 17.4}, "other", warm=True).endswith("about 17 s)")
    rec = updated_record({}, "k", 23.456, cold=True)
    assert rec == {"k": 23.46, LAST_COLD: 23.46}
    assert updated_record(rec, "j", 1.0, cold=False)[LAST_COLD] == 23.46


def run_bar(cache, clock, seconds):
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=120)
    with progress_bar(True, 10, "shape-a", cache=cache, clock=clock, console=console) as advance:
        clock.t += seconds
        advance(4)
        advance(6)
    return out.getvalue()


def test_cold_cache_prints_notice_then_records(tmp_path):
    cache, clock = tmp_path / "jax-cache", FakeClock()
    assert not cache_is_warm(cache)
    text = run_bar(cache, clock, 25.0)
    assert "compiling (first run on this machine; about 30 s)" in text
    assert "simulating" in text and "10/10" in text
    assert json.loads((cache / RECORD_NAME).read_text()) == {"shape-a": 25.0, LAST_COLD: 25.0}
    # JAX wrote its programs: the next run of the same shape is warm and silent about compiling
    (cache / "jit_solve-abc-cache").write_bytes(b"x")
    assert cache_is_warm(cache) and read_record(cache)["shape-a"] == 25.0
    text = run_bar(cache, clock, 1.0)
    assert "compiling" not in text and "simulating" in text
    assert read_record(cache)[LAST_COLD] == 25.0                                 # a warm run keeps the estimate


def test_no_cache_always_warns_and_disabled_bar_is_silent(tmp_path):
    clock = FakeClock()
    assert "compiling" in run_bar(None, clock, 3.0)
    with progress_bar(False, 5, "k", cache=tmp_path) as advance:
        advance(5)
    assert not (tmp_path / RECORD_NAME).exists()
