"""Command-line interface: ``ovsim trial``, ``calibrate``, ``simulate``, ``plan``, ``population``, ``cohort``,
``model``.

Each command lives in its own module and registers itself on :data:`app`. Errors the user
can fix are reported as one line (file, field, what was expected) with exit status 2.
"""

from __future__ import annotations


from ._app import app

from . import _calibrate, _cohort, _handling, _model, _plan, _simulate, _supply, _trial  # noqa: E402,F401  (register commands)


def main() -> None:
    """Entry point of the ``ovsim`` console script (configures JAX once: 64-bit floats, compile cache)."""
    from .._jax import configure_jax

    configure_jax()
    app()


__all__ = ["app", "main"]
