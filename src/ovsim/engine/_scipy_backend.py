"""The reference backend: a plain per-patient loop over segments with ``scipy.integrate.solve_ivp``.

Independent of JAX and diffrax: the same generated equations (numpy array form) and the same dosing
policy (on numpy). Used to check the JAX backend and as a benchmark peer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from ..model import RhsArgs, generate_array_model
from ._backend import BatchInputs, RawSolution
from ._options import SolverOptions


class ScipyBackend:
    """``solve_ivp`` per patient (``method``: LSODA by default, or Radau, BDF, RK45, DOP853)."""

    capabilities = frozenset()

    def __init__(self, method: str = "LSODA"):
        if method not in ("LSODA", "Radau", "BDF", "RK45", "DOP853"):
            raise ValueError(f"method: expected LSODA, Radau, BDF, RK45 or DOP853 (got {method!r})")
        self.method = method
        self.name = "scipy" if method == "LSODA" else f"scipy-{method.lower()}"

    def solve(self, batch: BatchInputs, options: SolverOptions) -> RawSolution:
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # a failed patient is flagged, not warned
            outs = [self._one(batch, i, options) for i in range(batch.n_patients)]
        record = {k: np.stack([o["record"][k] for o in outs]) for k in (outs[0]["record"] if outs else {})}
        return RawSolution(
            np.stack([o["states"][batch.grid_index] for o in outs]) if outs else np.zeros((0, 0, 0)),
            record,
            np.stack([o["segment_ok"] for o in outs]) if outs else np.zeros((0, 0), bool),
            np.stack([o["steps"] for o in outs]) if outs else np.zeros((0, 0), int),
            np.array([o["segment_ok"].all() for o in outs], dtype=bool),
        )

    def device(self) -> str:
        return f"cpu (scipy {self.method})"

    def _one(self, batch: BatchInputs, i: int, options: SolverOptions) -> dict[str, Any]:
        model, policy = batch.model, batch.policy
        gen = generate_array_model(model, np)
        n_slots, nl = batch.n_slots, model.n_lesion_states
        patient = {k: float(v[i]) for k, v in batch.patient.items()}
        lesion = {k: np.asarray(v[i]) for k, v in batch.lesion.items()}
        injectable = batch.injectable[i]
        bounds = batch.boundaries_day
        n_seg = len(bounds) - 1
        states = np.zeros((n_seg + 1, batch.y0.shape[1]))
        seg_ok = np.ones(n_seg, dtype=bool)
        steps = np.zeros(n_seg, dtype=np.int64)
        atol = options.atol * np.asarray(model.scale(n_slots)) if options.scaled_atol else options.atol
        records: dict[str, list] = {}
        pstate = policy.init(n_slots, np) if policy is not None else None
        opts = policy.options_array() if policy is not None else {}
        target = None if policy is None else [s.name for s in model.lesion_states].index(policy.target)
        y = np.asarray(batch.y0[i], dtype=float).copy()
        ok = True
        for k in range(n_seg):
            states[k] = y
            args = RhsArgs(patient, lesion, batch.rate[i, k])
            y = y + batch.bolus[i, k]
            if policy is not None:  # as in the compiled backends: decide every segment, keep it at visits
                visit = batch.visit_index[k] >= 0
                diam = gen.observables(states[k], args)["longest_diameter_cm"]
                new_state, amount, rec = policy.step(opts, pstate, bounds[k], max(int(batch.visit_index[k]), 0),
                                                     diam, injectable, np)
                if visit:
                    pstate = new_state
                    frac = patient[policy.fraction] if policy.fraction else 1.0
                    y[target:n_slots * nl:nl] += np.asarray(amount) * frac
                for key, v in rec.items():
                    records.setdefault(key, []).append(np.asarray(v, dtype=float) * visit)
            if not ok:  # a failed patient stops integrating, as in the compiled backends
                seg_ok[k] = False
                continue
            sol = solve_ivp(lambda t, yy: gen.rhs(t, yy, args), (bounds[k], bounds[k + 1]), y,
                            method=self.method, rtol=options.rtol, atol=atol)
            seg_ok[k] = ok = bool(sol.success) and bool(np.all(np.isfinite(sol.y[:, -1])))
            steps[k] = sol.t.size - 1
            y = sol.y[:, -1]
        states[n_seg] = y
        return {"states": states, "record": {k: np.stack(v) for k, v in records.items()},
                "segment_ok": seg_ok, "steps": steps}
