"""Build a model's kernel module: generated scalar model + the kernel template, written to a file and imported.

The module's text is the model's generated scalar functions (:func:`ovsim.model.scalar_source`), the
kernel template (:mod:`._template`), the method's coefficients and a batch driver, so nothing of the
biology is written by hand here. It is written once to ``$OVSIM_KERNEL_CACHE`` (default
``~/.cache/ovsim/kernels``) under a digest of everything its text depends on (:func:`_cache_key`) and compiled
by numba with ``cache=True``: the machine code is kept beside it, so a second process neither generates the
text nor compiles (it loads in about a second).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import inspect
import os
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

from ...model import DAYS_PER_MONTH, ModelDefinition
from ...model._codegen_scalar import scalar_source
from . import _template
from ._tableau import ERROR_ORDER, GAMMA, METHODS, TSIT5_A, TSIT5_C, TSIT5_E, TSIT5_ERROR_ORDER, transformed

_CPU_DRIVER = '''

def solve_batch(y0, P, Q, n, inj, bounds, visit_index, bolus, rate, out_row, opts, has_policy, target, frac, rtol,
                atol, max_steps, out_states, rec_vol, rec_conc, seg_ok, steps, ok):
    """Every patient of a batch, in parallel over patients (numba prange); each patient's numbers do not
    depend on the thread that solves it."""
    B = y0.shape[0]
    N = y0.shape[1]
    M = 1 if METHOD == 2 else N  # Tsit5 uses no Jacobian: 1 x 1 placeholders
    for b in prange(B):
        J = np.empty((M, M))
        W = np.empty((M, M))
        piv = np.empty(M, np.int64)
        U = np.empty((7, N))
        f0 = np.empty(N)
        ytmp = np.empty(N)
        fs = np.empty(N)
        ynew = np.empty(N)
        diam = np.empty(n)
        prev = np.empty(n)
        pst = np.empty(4)
        vol = np.empty(n)
        want = np.empty(n)
        order = np.empty(n, np.int64)
        y = y0[b].copy()
        ok[b] = solve_patient(y, P[b], Q[b], n, inj[b], bounds, visit_index, bolus[b], rate[b], out_row, opts,
                              has_policy, target, frac[b], rtol, atol, max_steps, out_states[b], rec_vol[b],
                              rec_conc[b], seg_ok[b], steps[b], J, W, piv, U, f0, ytmp, fs, ynew, diam, prev, pst,
                              vol, want, order)
'''

_CUDA_DRIVER = '''

def solve_batch_cuda(y0, P, Q, n, inj, bounds, visit_index, bolus, rate, out_row, opts, has_policy, target, frac,
                     rtol, atol, max_steps, out_states, rec_vol, rec_conc, seg_ok, steps, ok, y, J, W, piv, U, f0,
                     ytmp, fs, ynew, diam, prev, pst, vol, want, order):
    """One thread per patient (row b of every per-patient array): copies y0[b] into its state scratch, fills its
    output rows with NaN, then solves the patient's whole course. Scratch arrays have a leading axis of at least
    the batch size; each thread touches its own row only, so a patient's numbers do not depend on the launch."""
    b = cuda.grid(1)
    if b >= y0.shape[0]:
        return
    N = y0.shape[1]
    yb = y[b]
    for r in range(N):
        yb[r] = y0[b, r]
    ob = out_states[b]
    for g in range(ob.shape[0]):
        for r in range(N):
            ob[g, r] = math.nan
    ok[b] = solve_patient(yb, P[b], Q[b], n, inj[b], bounds, visit_index, bolus[b], rate[b], out_row, opts,
                          has_policy, target, frac[b], rtol, atol, max_steps, out_states[b], rec_vol[b], rec_conc[b],
                          seg_ok[b], steps[b], J[b], W[b], piv[b], U[b], f0[b], ytmp[b], fs[b], ynew[b], diam[b],
                          prev[b], pst[b], vol[b], want[b], order[b])
'''

_CUDA_MINMAX = '''

@cuda.jit(device=True)
def max(a, b):
    """max of two numbers as Python and numba's CPU target take it (a, unless b > a): numba 0.68's CUDA target
    does not type the built-in max and min of two floats, so the module shadows them."""
    return b if b > a else a


@cuda.jit(device=True)
def min(a, b):
    """min of two numbers as Python and numba's CPU target take it (a, unless b < a)."""
    return b if b < a else a
'''

_DEVICE_FUNCTIONS = ("rhs_scalar", "jac_scalar", "observe_longest_diameter_cm", "lu_factor", "lu_solve", "ros_step",
                     "erk_step", "quiet", "hermite", "tsit5_dense", "rint", "label_visit", "_before", "_group", "solve_patient")


def _array(a: np.ndarray) -> str:
    return "np.array(" + repr(np.asarray(a).tolist()) + ")"


def kernel_source(model: ModelDefinition, target: str = "cpu", method: str = "tsit5") -> str:
    """The text of the kernel module of ``model`` for ``target`` (``cpu``: numba.njit and the ``solve_batch``
    driver, parallel over patients; ``cuda``: device functions and the ``solve_batch_cuda`` global kernel, one
    thread per patient, compiled with ``cuda.jit(cache=True)``: numba keeps the GPU code beside the module)."""
    tab = transformed()
    head = ["# generated by ovsim.engine.kernel._build: do not edit", "import math", "import numpy as np"]
    head += ["from numba import njit, prange" if target == "cpu" else "from numba import cuda"]
    if target == "cuda":  # the CUDA simulator runs a block's threads as Python threads that iterate these globals;
        # a first warning in one of them would insert the registry and break another's iteration
        head += ["__warningregistry__ = {}"]
    head += [f"NL = {model.n_lesion_states}", f"NS = {model.n_systemic_states}", f"ROS_GAMMA = {GAMMA!r}",
             f"ROS_A = {_array(tab['A'])}", f"ROS_C = {_array(tab['C'])}", f"ROS_M = {_array(tab['M'])}",
             f"ROS_E = {_array(tab['E'])}", f"ERR_EXP = {1.0 / (TSIT5_ERROR_ORDER if method == 'tsit5' else ERROR_ORDER)!r}",
             f"METHOD = {METHODS[method]}", f"TSIT5_A = {_array(TSIT5_A)}", f"TSIT5_C = {_array(TSIT5_C)}",
             f"TSIT5_E = {_array(TSIT5_E)}", f"DAYS_PER_MONTH = {DAYS_PER_MONTH!r}"]
    body = inspect.getsource(_template)
    if target != "cpu":
        head += [_CUDA_MINMAX]
    text = "\n".join(head) + "\n\n\n" + scalar_source(model) + "\n\n" + body
    if target == "cpu":
        text += _CPU_DRIVER + "\n\n" + "\n".join(f"{f} = njit(cache=True, error_model='numpy')({f})" for f in _DEVICE_FUNCTIONS)
        text += "\nsolve_batch = njit(cache=True, parallel=True, error_model='numpy')(solve_batch)\n"
    else:
        text += _CUDA_DRIVER + "\n\n" + "\n".join(f"{f} = cuda.jit(device=True)({f})" for f in _DEVICE_FUNCTIONS)
        text += "\nsolve_batch_cuda = cuda.jit(cache=True)(solve_batch_cuda)\n"
    return text


def cache_dir() -> Path:
    """Where kernel modules and their compiled code live (``$OVSIM_KERNEL_CACHE`` or ``~/.cache/ovsim/kernels``)."""
    return Path(os.environ.get("OVSIM_KERNEL_CACHE", str(Path.home() / ".cache" / "ovsim" / "kernels")))


def _cache_key(model: ModelDefinition, target: str, method: str) -> str:
    """A digest of everything the kernel's text depends on, cheap to compute: the model's array form (2 ms; the
    same definition as the scalar form), the sources of the scalar code generator, the template, the tableau
    and this module, the target, the method and numba's version. Generating the scalar form itself (its
    Jacobian through sympy) takes about half a second per model, so a cached kernel skips it."""
    import numba

    from ...model._codegen_array import array_source
    from ...model import _codegen_scalar
    from . import _tableau

    parts = [array_source(model), inspect.getsource(_codegen_scalar), inspect.getsource(_template),
             inspect.getsource(_tableau), inspect.getsource(sys.modules[__name__]), target, method, numba.__version__]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:20]


@functools.cache
def kernel_module(model: ModelDefinition, target: str = "cpu", method: str = "tsit5") -> ModuleType:
    """The imported kernel module of ``model`` (generated and written to the cache folder first if new; cached
    per process). The file is named by :func:`_cache_key`, so a process finds an existing kernel without
    generating its text, and numba then loads its machine code (``cache=True``) instead of compiling."""
    name = f"ovsim_kernel_{target}_{_cache_key(model, target, method)}"
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    if not path.is_file():
        scratch = path.with_name(f".{name}.{os.getpid()}.tmp")
        scratch.write_text(kernel_source(model, target, method))
        os.replace(scratch, path)  # whole or absent: a concurrent process reads either nothing or this text
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
