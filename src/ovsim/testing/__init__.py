"""Tools for testing ovsim extensions: the conformance suite every backend must pass."""

from ._backend_checks import BACKEND_CHECKS, check_backend

__all__ = ["BACKEND_CHECKS", "check_backend"]
