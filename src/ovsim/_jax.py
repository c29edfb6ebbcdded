"""Import JAX once, in float64. Modules that need JAX call :func:`jax_modules` (lazy import)."""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def jax_modules() -> tuple[Any, Any]:
    """``(jax, jax.numpy)`` with 64-bit floats enabled."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    return jax, jnp
