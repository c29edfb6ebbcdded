"""Command-line interface: ``ovsim trial``, ``calibrate``, ``simulate``, ``plan``, ``population``, ``cohort``.

Each command lives in its own module and registers itself on :data:`app`. Errors the user
can fix are reported as one line (file, field, what was expected) with exit status 2.
"""

from __future__ import annotations


from ._app import app

from . import _calibrate, _cohort, _plan, _simulate, _trial  # noqa: E402,F401  (register commands)


def main() -> None:
    """Entry point of the ``ovsim`` console script."""
    app()


__all__ = ["app", "main"]
