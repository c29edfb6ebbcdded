"""The fused per-patient kernel: generated from the model definition, compiled by numba for CPU and CUDA."""

from ._build import cache_dir, kernel_module, kernel_source
from ._numba_backend import NumbaBackend

__all__ = ["NumbaBackend", "cache_dir", "kernel_module", "kernel_source"]
