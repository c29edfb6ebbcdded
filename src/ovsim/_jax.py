"""JAX's global configuration, set explicitly by entry points; lazy access for the engines.

ovsim never changes JAX's configuration as a side effect of first use. An entry point (the ``ovsim``
command, a benchmark, a worker process, a user's script) calls :func:`configure_jax` once: 64-bit
floats on, and compiled programs kept in a persistent cache (``cache_dir``, default
``$OVSIM_JAX_CACHE`` or ``~/.cache/ovsim/jax``; ``"0"`` switches the cache off), so a new process or a
worker of a sharded cohort loads them instead of compiling again. Engines call :func:`jax_modules`,
which refuses to run in 32-bit floats (the model's cell counts span 1 to 1e12).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


class JaxConfigError(RuntimeError):
    """JAX is not configured for ovsim (64-bit floats off)."""


def configure_jax(cache_dir: str | None = None) -> None:
    """Switch JAX to 64-bit floats and set up the persistent compilation cache (call once, at start-up)."""
    import jax

    jax.config.update("jax_enable_x64", True)
    cache = cache_dir if cache_dir is not None else os.environ.get(
        "OVSIM_JAX_CACHE", str(Path.home() / ".cache" / "ovsim" / "jax"))
    if cache != "0":
        jax.config.update("jax_compilation_cache_dir", cache)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)


def jax_modules() -> tuple[Any, Any]:
    """``(jax, jax.numpy)``; raises :class:`JaxConfigError` unless :func:`configure_jax` (64-bit) was called."""
    import jax
    import jax.numpy as jnp

    if not jax.config.jax_enable_x64:
        raise JaxConfigError("JAX is in 32-bit mode: call ovsim.configure_jax() first (the ovsim command does)")
    return jax, jnp
