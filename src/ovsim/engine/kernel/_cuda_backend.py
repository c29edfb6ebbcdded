"""The fused kernel backend on a GPU: one CUDA thread integrates one patient's whole course (numba CUDA).

The kernel is the CPU kernel's text (:mod:`._template`) compiled for the GPU, with a global kernel
``solve_batch_cuda`` (:mod:`._build`). ``solve``:

1. builds the kernel's arrays as the CPU backend does (:func:`._numba_backend.kernel_arguments`);
2. orders patients by expected work, most first (:func:`work_order`), so the 32 threads of a warp, which
   run until their slowest one is done, hold patients of similar work;
3. launches in slices of at most ``slice_size`` patients (and at most ``memory_fraction`` of the GPU's free
   memory), each slice: its per-patient inputs to the device, one launch of ``threads_per_block`` threads per
   block, its outputs back (states on the output grid, dose records, segment flags, steps, ok), nothing else;
4. puts the patients back in their order.

Scratch (the state, stages, Jacobian) lives in device memory in column-major order: thread b's value r sits
next to thread b+1's, so a warp's loads and stores coalesce. Each thread touches only its own rows: a
patient's numbers do not depend on the order, the slice or the launch shape.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .._backend import GPU, BatchInputs, RawSolution
from .._options import SolverOptions
from ._build import kernel_module
from ._numba_backend import empty_outputs, kernel_arguments, raw_solution
from ._tableau import METHODS

PER_PATIENT_INPUTS = ("y0", "P", "Q", "inj", "bolus", "rate", "frac")
"""Kernel arguments with a leading patient axis (sent to the device slice by slice)."""
SHARED_INPUTS = ("bounds", "visit_index", "out_row", "opts", "atol")
"""Kernel arguments common to every patient (sent once per batch)."""


def work_order(batch: BatchInputs) -> np.ndarray:
    """Patients by expected work, most first (stable): HSV-1 seropositive before seronegative, then lower
    ``kill_rate`` (per day), then larger total baseline burden (sum of baseline diameters, cm).

    Why this proxy: the runner already groups a chunk by lesion slots (the cost of one step); what varies
    within it is the number of accepted steps, and a warp runs as long as its slowest thread. On the CPU
    kernel (120 patients of 9-12 lesions, label regimen, 365 days, rtol 1e-6) the patient values that rank
    steps best were ``kill_rate`` (Spearman -0.43) and serostatus (+0.25; seropositive: 1544 steps on
    average, seronegative 1397). The ordering is weak: it raised the warp efficiency (steps done / 32 x the
    warp's most) from 0.751 (random order) to 0.774, and on a second population from 0.762 to 0.768; ordering by
    the true steps would give 0.90 (docs/gpu.md). It is cheap, and only reorders: it never changes a number."""
    b = batch.n_patients
    sero = np.asarray(batch.patient.get("hsv1_seropositive", np.ones(b)), float)
    kill = np.asarray(batch.patient.get("kill_rate", np.zeros(b)), float)
    base = batch.lesion.get("baseline_diameter_cm")
    burden = np.asarray(base, float).sum(axis=1) if base is not None else np.zeros(b)
    return np.lexsort((-burden, kill, -sero)).astype(np.int64)


def _scratch_shapes(method: str, b: int, n_state: int, n: int) -> dict[str, tuple[tuple[int, ...], Any]]:
    """Per-thread scratch of the kernel (leading axis: threads). Tsit5 needs no Jacobian (1 x 1 placeholders)."""
    m = n_state if method != "tsit5" else 1
    return dict(y=((b, n_state), float), J=((b, m, m), float), W=((b, m, m), float), piv=((b, m), np.int64),
                U=((b, 7, n_state), float), f0=((b, n_state), float), ytmp=((b, n_state), float),
                fs=((b, n_state), float), ynew=((b, n_state), float), diam=((b, n), float), prev=((b, n), float),
                pst=((b, 4), float), vol=((b, n), float), want=((b, n), float), order=((b, n), np.int64))


def bytes_per_patient(batch: BatchInputs, method: str = "tsit5") -> int:
    """Device memory one patient needs (bytes): its inputs, outputs and scratch. With N states, S segments,
    G output times and L slots: 8 x (2 S N + G N + S L + 12 N + ...) for Tsit5, plus 8 x (2 N^2 + N) for
    ROS34PW2 (the Jacobian and the iteration matrix)."""
    b, n_state = batch.y0.shape
    s, g, n = len(batch.boundaries_day) - 1, len(batch.grid_index), batch.n_slots
    inputs = 8 * (n_state + 2 * s * n_state + 1) + n + 8 * sum(np.asarray(v).size // max(b, 1)
                                                               for v in (*batch.patient.values(), *batch.lesion.values()))
    outputs = 8 * (g * n_state + s * n + s + s) + s + 1
    scratch = sum(8 * int(np.prod(shape[1:])) for shape, _ in _scratch_shapes(method, 1, n_state, n).values())
    return int(inputs + outputs + scratch)


class CudaBackend:
    """The fused kernel on an NVIDIA GPU (numba CUDA), one thread per patient. ``method``: ``tsit5`` (the
    default; 7 x N scratch per thread), ``ros34pw2`` or ``ros34pw2-diagonal`` (N x N Jacobian and iteration
    matrix per thread in device memory). ``threads_per_block``: 64 or 128 (or any multiple of 32);
    ``slice_size``: most patients per launch (bounds device memory, see :func:`bytes_per_patient`);
    ``memory_fraction``: most of the GPU's free memory one slice may take."""

    capabilities = frozenset({GPU})

    def __init__(self, method: str = "tsit5", threads_per_block: int = 64, slice_size: int = 1 << 17,
                 memory_fraction: float = 0.5, sort: bool = True):
        if method not in METHODS:
            raise ValueError(f"method: expected one of {', '.join(METHODS)} (got {method!r})")
        if threads_per_block < 32 or threads_per_block % 32 or threads_per_block > 1024:
            raise ValueError(f"threads_per_block: expected a multiple of 32 from 32 to 1024 (got {threads_per_block})")
        if slice_size < 1:
            raise ValueError(f"slice_size: expected >= 1 (got {slice_size})")
        if not 0.0 < memory_fraction <= 1.0:
            raise ValueError(f"memory_fraction: expected in (0, 1] (got {memory_fraction})")
        self.method = method
        self.name = "cuda" if method == "tsit5" else f"cuda-{method}"
        self.threads_per_block = int(threads_per_block)
        self.slice_size = int(slice_size)
        self.memory_fraction = float(memory_fraction)
        self.sort = bool(sort)

    def _slice(self, batch: BatchInputs, cuda: Any) -> int:
        """Patients per launch: ``slice_size``, fewer if a slice would exceed ``memory_fraction`` of free memory."""
        per = bytes_per_patient(batch, self.method)
        try:
            free = float(cuda.current_context().get_memory_info()[0])
        except Exception:  # no memory figures (the simulator)
            free = float("nan")
        if not (0 < free < float("inf")):
            return self.slice_size
        fit = int(self.memory_fraction * free // per)
        if fit < 1:
            raise MemoryError(f"backend {self.name}: one patient needs {per} bytes of GPU memory, {free} are free")
        return max(1, min(self.slice_size, fit))

    def solve(self, batch: BatchInputs, options: SolverOptions) -> RawSolution:
        from numba import cuda

        module = kernel_module(batch.model, "cuda", self.method)
        args = kernel_arguments(batch, options)
        out = empty_outputs(batch)
        b, n_state = batch.y0.shape
        if b == 0:
            return raw_solution(batch, out)
        order = work_order(batch) if self.sort else np.arange(b)
        per = {k: np.ascontiguousarray(args[k][order]) for k in PER_PATIENT_INPUTS}
        shared = {k: cuda.to_device(np.ascontiguousarray(args[k])) for k in SHARED_INPUTS}
        size = min(self._slice(batch, cuda), b)
        scratch = {k: cuda.device_array(shape, dtype, order="F")
                   for k, (shape, dtype) in _scratch_shapes(self.method, size, n_state, batch.n_slots).items()}
        sorted_out = {k: np.empty_like(v) for k, v in out.items()}
        tpb = self.threads_per_block
        with np.errstate(all="ignore"):
            for lo in range(0, b, size):
                hi = min(lo + size, b)
                d = {k: cuda.to_device(v[lo:hi]) for k, v in per.items()}
                o = {k: cuda.device_array(v[lo:hi].shape, v.dtype) for k, v in sorted_out.items()}
                blocks = (hi - lo + tpb - 1) // tpb
                module.solve_batch_cuda[blocks, tpb](
                    d["y0"], d["P"], d["Q"], args["n"], d["inj"], shared["bounds"], shared["visit_index"], d["bolus"],
                    d["rate"], shared["out_row"], shared["opts"], args["has_policy"], args["target"], d["frac"],
                    args["rtol"], shared["atol"], args["max_steps"], o["out_states"], o["rec_vol"], o["rec_conc"],
                    o["seg_ok"], o["steps"], o["ok"], *scratch.values())
                for k, v in o.items():
                    v.copy_to_host(sorted_out[k][lo:hi])
        for k, v in sorted_out.items():
            out[k][order] = v
        return raw_solution(batch, out)

    def device(self) -> str:
        import numba
        from numba import cuda

        if os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0"):
            gpu = "CUDA simulator"
        else:
            gpu = cuda.get_current_device().name
            gpu = gpu.decode() if isinstance(gpu, bytes) else str(gpu)
        return f"{gpu} (numba {numba.__version__}, {self.method}, {self.threads_per_block} threads per block)"


def cuda_gpu_available() -> bool:
    """Whether a real CUDA GPU can be used (never under numba's simulator). Imports ``numba.cuda`` only when a
    driver is present (``/proc/driver/nvidia`` or a ``libcuda``), so ``import ovsim`` stays fast without one."""
    if os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0"):
        return False
    if not os.path.exists("/proc/driver/nvidia"):
        import ctypes.util

        if ctypes.util.find_library("cuda") is None:
            return False
    try:
        from numba import cuda

        return bool(cuda.is_available())
    except Exception:  # numba missing or a broken driver: no GPU backend
        return False
