"""The fused kernel backend on CPU: one compiled function integrates each patient's whole course (numba).

Generated from the model definition (:mod:`._build`); the Imlygic label policy runs inside the kernel at
each visit and writes the same dose records as the array policy (:func:`ovsim.regimen.policy_step`).
Stiffness is handled by the Rosenbrock-W method ROS34PW2 with the model's analytic Jacobian (see
docs/performance.md for the measurements that chose it). Patients run in parallel over threads (numba
``prange``); every patient's numbers are independent of the thread count and of the batch it is in.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...model._codegen_scalar import pack_inputs
from ...regimen import LabelPolicy, load_label
from .._backend import BatchInputs, RawSolution
from .._options import SolverOptions
from ._build import kernel_module
from ._tableau import METHODS


def policy_arrays(policy: Any) -> np.ndarray:
    """``opts`` of the kernel for ``policy`` (see :mod:`._template`); a one-line error for a policy the
    kernel does not know (only the Imlygic label policy runs in the kernel)."""
    inner = getattr(policy, "policy", None)
    if not isinstance(inner, LabelPolicy):
        raise ValueError(f"backend numba: the kernel runs the Imlygic label policy only (got {type(policy).__name__}); "
                         "use backend jax or scipy for this regimen")
    o = policy.options_array()
    label = load_label()
    head = [o["min_months"], o["max_months"], o["extend_months"], o["stop_on_progression"], o["detection_limit_cm"],
            o["first_concentration_pfu_per_ml"], o["concentration_pfu_per_ml"], o["max_volume_ml_per_visit"],
            o["volume_scale"], float(len(label.band_lower_cm))]
    return np.array(head + list(label.band_lower_cm) + list(label.band_volume_ml), dtype=float)


def kernel_arguments(batch: BatchInputs, options: SolverOptions) -> dict[str, Any]:
    """The kernel's arrays for ``batch`` (shared by the CPU and GPU drivers)."""
    model, n = batch.model, batch.n_slots
    b, n_state = batch.y0.shape
    policy = batch.policy
    if policy is not None:
        opts = policy_arrays(policy)
        target = [s.name for s in model.lesion_states].index(policy.target)
        frac = np.asarray(batch.patient[policy.fraction], float) if policy.fraction else np.ones(b)
    else:
        opts, target, frac = np.zeros(10), 0, np.ones(b)
    out_row = np.full(len(batch.boundaries_day), -1, dtype=np.int64)
    out_row[np.asarray(batch.grid_index)] = np.arange(len(batch.grid_index))
    atol = options.atol * np.asarray(model.scale(n), float) if options.scaled_atol else np.full(n_state, options.atol)
    return dict(
        y0=np.ascontiguousarray(batch.y0, dtype=float),
        P=np.ascontiguousarray(pack_inputs(batch.patient, model.patient_names())),
        Q=np.ascontiguousarray(pack_inputs(batch.lesion, model.lesion_names())), n=n,
        inj=np.ascontiguousarray(batch.injectable, dtype=np.bool_),
        bounds=np.ascontiguousarray(batch.boundaries_day, dtype=float),
        visit_index=np.ascontiguousarray(batch.visit_index, dtype=np.int64),
        bolus=np.ascontiguousarray(batch.bolus, dtype=float), rate=np.ascontiguousarray(batch.rate, dtype=float),
        out_row=out_row, opts=opts, has_policy=policy is not None, target=target,
        frac=np.ascontiguousarray(frac, dtype=float), rtol=float(options.rtol), atol=atol,
        max_steps=int(options.max_steps),
    )


def empty_outputs(batch: BatchInputs) -> dict[str, np.ndarray]:
    """Output arrays of the kernel for ``batch``."""
    b, n_state = batch.y0.shape
    s, g, n = len(batch.boundaries_day) - 1, len(batch.grid_index), batch.n_slots
    return dict(out_states=np.full((b, g, n_state), np.nan), rec_vol=np.zeros((b, s, n)), rec_conc=np.zeros((b, s)),
                seg_ok=np.zeros((b, s), dtype=np.bool_), steps=np.zeros((b, s), dtype=np.int64),
                ok=np.zeros(b, dtype=np.bool_))


def raw_solution(batch: BatchInputs, out: dict[str, np.ndarray]) -> RawSolution:
    """The backend protocol's result from the kernel's outputs."""
    record = {} if batch.policy is None else {"volume_ml": out["rec_vol"], "concentration_pfu_per_ml": out["rec_conc"]}
    return RawSolution(out["out_states"], record, out["seg_ok"], out["steps"], out["ok"] & out["seg_ok"].all(axis=1))


class NumbaBackend:
    """A fused numba kernel, parallel over patients on the CPU's threads. ``method``: ``tsit5`` (explicit 5(4),
    the default: fastest on the reference workload, see docs/performance.md), ``ros34pw2`` (L-stable
    Rosenbrock-W, analytic Jacobian, dense LU) or ``ros34pw2-diagonal`` (the same with the Jacobian's diagonal)."""

    name = "numba"
    capabilities = frozenset()

    def __init__(self, method: str = "tsit5"):
        if method not in METHODS:
            raise ValueError(f"method: expected one of {', '.join(METHODS)} (got {method!r})")
        self.method = method
        self.name = "numba" if method == "tsit5" else f"numba-{method}"

    def supports(self, regimen: Any) -> bool:
        """Whether the kernel can run ``regimen`` (numba installed; no policy, or the Imlygic label policy)."""
        import importlib.util

        if importlib.util.find_spec("numba") is None:
            return False
        policy = regimen.policy()
        return policy is None or isinstance(getattr(policy[1], "policy", None), LabelPolicy)

    def solve(self, batch: BatchInputs, options: SolverOptions) -> RawSolution:
        module = kernel_module(batch.model, "cpu", self.method)
        args = kernel_arguments(batch, options)
        out = empty_outputs(batch)
        with np.errstate(all="ignore"):
            module.solve_batch(*args.values(), *out.values())
        return raw_solution(batch, out)

    def device(self) -> str:
        import numba

        return f"cpu (numba {numba.__version__}, {numba.get_num_threads()} threads, {self.method})"
