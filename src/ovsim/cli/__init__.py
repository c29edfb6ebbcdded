"""Command-line interface: ``ovsim trial``, ``design``, ``calibrate``, ``simulate``, ``plan``, ``population``, ``cohort``,
``model``, ``handling``, ``supply``.

Each command lives in its own module and registers itself on :data:`app`. Errors the user
can fix are reported as one line (file, field, what was expected) with exit status 2; the
``ovsim`` entry point (:func:`main`) also turns option errors into one line naming the flag, an
interrupt into exit 130, and any unexpected exception into one line with exit 3 and the traceback
in a log file (see :func:`ovsim.cli._app.run` for the exit codes).
"""

from __future__ import annotations

import sys

from ._app import app, check_out_path, fail, run, safe_text, strip_control, warn

from . import _calibrate, _cohort, _design, _dictionary, _handling, _model, _plan, _simulate, _supply, _trial  # noqa: E402,F401  (register commands)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``ovsim`` console script: configures JAX once (64-bit floats, compile
    cache), runs the command line ``argv`` (default ``sys.argv[1:]``) and exits with its code
    (0 ok, 1 result-level failure, 2 bad input, 3 internal error, 130 interrupted)."""
    sys.exit(run(argv))


__all__ = ["app", "check_out_path", "fail", "main", "run", "safe_text", "strip_control", "warn"]
