"""Import JAX once, in float64. Modules that need JAX call :func:`jax_modules` (lazy import).

Compiled programs are kept in a persistent cache (``$OVSIM_JAX_CACHE``, default
``~/.cache/ovsim/jax``; set it to ``0`` to switch the cache off), so a new process, or a worker
of a sharded cohort, loads them instead of compiling again.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any


@functools.cache
def jax_modules() -> tuple[Any, Any]:
    """``(jax, jax.numpy)`` with 64-bit floats enabled and the compilation cache set up."""
    import jax

    jax.config.update("jax_enable_x64", True)
    cache = os.environ.get("OVSIM_JAX_CACHE", str(Path.home() / ".cache" / "ovsim" / "jax"))
    if cache != "0":
        jax.config.update("jax_compilation_cache_dir", cache)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    import jax.numpy as jnp

    return jax, jnp
