"""The fused per-patient kernel: generated from the model definition, compiled by numba for CPU and CUDA."""

from ._build import cache_dir, kernel_module, kernel_source
from ._cuda_backend import CudaBackend, cuda_gpu_available
from ._numba_backend import NumbaBackend

__all__ = ["CudaBackend", "NumbaBackend", "cuda_gpu_available", "cache_dir", "kernel_module", "kernel_source"]
