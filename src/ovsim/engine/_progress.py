"""A rich progress bar over patients (or nothing)."""

from __future__ import annotations

from typing import Any, Callable


class progress_bar:
    """``with progress_bar(enabled, total) as advance: advance(k)`` draws a rich bar over patients."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled, self.total, self._bar = enabled, total, None

    def __enter__(self) -> Callable[[int], Any]:
        if not self.enabled:
            return lambda k: None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TextColumn("patients"),
                             TimeRemainingColumn(), transient=False)
        self._bar.__enter__()
        task = self._bar.add_task("cohort", total=self.total)
        return lambda k: self._bar.advance(task, k)

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.__exit__(*exc)
        return False
