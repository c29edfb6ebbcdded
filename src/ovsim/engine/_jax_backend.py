"""The JAX/diffrax backend: each patient's solve is a compiled scan over segments, ``vmap``-ed over a batch.

At each segment start the scheduled boluses are added and, at a visit, the policy sees the current
diameters (the model's generated ``longest_diameter_cm`` observable) and doses; then diffrax
integrates to the segment's end. A failed segment (step limit, non-finite state) marks the patient
failed, and a failed patient stops integrating so the batch does not wait for it.
Differentiable (forward mode), runs on GPU when JAX sees one.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .._jax import jax_modules
from ..model import ModelDefinition, RhsArgs, generate_array_model
from ._backend import DIFFERENTIABLE, GPU, BatchInputs, RawSolution
from ._options import SolverOptions


class JaxBackend:
    """diffrax (Tsit5 by default), float64, compiled once per (model, policy kind, options, shapes)."""

    name = "jax"
    capabilities = frozenset({DIFFERENTIABLE, GPU})

    def solve(self, batch: BatchInputs, options: SolverOptions) -> RawSolution:
        jax, jnp = jax_modules()
        kind = _policy_kind(batch.policy)
        _REPRESENTATIVE.setdefault(kind, batch.policy)
        fn = compiled_batch_solve(batch.model, kind, options)
        opts = {k: jnp.asarray(v) for k, v in (batch.policy.options_array() if batch.policy else {}).items()}
        out = fn(batch.y0, dict(batch.patient), dict(batch.lesion), batch.injectable, batch.bolus, batch.rate,
                 jnp.asarray(batch.boundaries_day), jnp.asarray(batch.visit_index), opts,
                 jnp.asarray(batch.grid_index))
        out = jax.device_get(out)
        return RawSolution(np.asarray(out["states"]), {k: np.asarray(v) for k, v in out["record"].items()},
                           np.asarray(out["segment_ok"], dtype=bool), np.asarray(out["steps"]),
                           np.asarray(out["ok"], dtype=bool))

    def device(self) -> str:
        jax, _ = jax_modules()
        return str(jax.devices()[0])


_REPRESENTATIVE: dict[Any, Any] = {}
"""The first policy seen of each kind: the compiled solve calls its ``step``, whose options come as data."""


def _policy_kind(policy: Any) -> Any:
    """The compile key of a policy: its class, target and fraction. Its options are passed as arrays, so
    policies that differ only in options (the label alone, OPTiM's rules, another detection limit) share
    one compiled program; ``PolicyDosing.step`` depends on ``self`` only through its class."""
    return None if policy is None else (type(policy), policy.target, policy.fraction)


@functools.cache
def compiled_batch_solve(model: ModelDefinition, kind: Any, options: SolverOptions) -> Any:
    """The jit-compiled batched solve (leading axis = patient for patient inputs; schedule shared)."""
    jax, _ = jax_modules()
    solve = patient_solve(model, _REPRESENTATIVE.get(kind), options)

    def batch(y0, patient, lesion, injectable, bolus, rate, bounds, visit_index, opts, grid_index):
        out = jax.vmap(solve, in_axes=(0, 0, 0, 0, 0, 0, None, None, None))(
            y0, patient, lesion, injectable, bolus, rate, bounds, visit_index, opts)
        out["states"] = out["states"][:, grid_index, :]
        return out

    return jax.jit(batch)


def patient_solve(model: ModelDefinition, policy: Any, options: SolverOptions) -> Any:
    """The pure single-patient solve (not compiled): differentiable in every array input."""
    jax, jnp = jax_modules()
    import diffrax

    gen = generate_array_model(model, jnp)
    term = diffrax.ODETerm(gen.rhs)
    solver = {"tsit5": diffrax.Tsit5, "kvaerno5": diffrax.Kvaerno5, "dopri5": diffrax.Dopri5}[options.method]()
    nl = model.n_lesion_states
    target = None if policy is None else [s.name for s in model.lesion_states].index(policy.target)

    def solve(y0, patient, lesion, injectable, bolus, rate, bounds, visit_index, opts):
        n_slots = injectable.shape[0]
        atol = options.atol * jnp.asarray(model.scale(n_slots)) if options.scaled_atol else options.atol
        controller = diffrax.PIDController(rtol=options.rtol, atol=atol)

        def segment(carry, xs):
            y, pstate, ok = carry
            t0, t1, vi, add, r = xs
            args = RhsArgs(patient, lesion, r)
            record = {}
            y_dosed = y + add
            if policy is not None:
                diam = gen.observables(y, args)["longest_diameter_cm"]
                new_state, amount, record = policy.step(opts, pstate, t0, jnp.maximum(vi, 0), diam, injectable, jnp)
                is_visit = vi >= 0
                pstate = jax.tree_util.tree_map(lambda a, b: jnp.where(is_visit, a, b), new_state, pstate)
                record = {k: jnp.where(is_visit, v, 0.0) for k, v in record.items()}
                frac = patient[policy.fraction] if policy.fraction else 1.0
                y_dosed = y_dosed.at[target:n_slots * nl:nl].add(jnp.where(is_visit, amount, 0.0) * frac)
            t1 = jnp.where(ok, t1, t0)  # a failed patient stops integrating (zero-length segments)
            sol = diffrax.diffeqsolve(
                term, solver, t0, t1, None, y_dosed, args=args, saveat=diffrax.SaveAt(t1=True),
                stepsize_controller=controller, max_steps=options.max_steps,
                adjoint=diffrax.ForwardMode(), throw=False,
            )
            y1 = sol.ys[-1]
            seg_ok = (sol.result == diffrax.RESULTS.successful) & jnp.all(jnp.isfinite(y1))
            return (y1, pstate, ok & seg_ok), (y, record, seg_ok, sol.stats["num_steps"])

        init = (y0, policy.init(n_slots, jnp) if policy is not None else jnp.zeros(()), jnp.asarray(True))
        xs = (bounds[:-1], bounds[1:], visit_index, bolus, rate)
        (y_end, _, ok), (ys, record, seg_ok, steps) = jax.lax.scan(segment, init, xs)
        return {"states": jnp.concatenate([ys, y_end[None, :]], axis=0), "record": record,
                "segment_ok": seg_ok, "steps": steps, "ok": ok}

    return solve
