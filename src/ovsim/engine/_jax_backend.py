"""The JAX/diffrax engine: one patient's solve as a compiled scan over segments.

``solve(...)`` is pure and jit-compiled once per (lesion slots, segments, solver options);
``jax.vmap`` of it solves a cohort. At the start of each segment that is a visit, the dosing
policy sees the current diameters and the virus is added; then diffrax integrates to the
segment's end. A failed segment (step limit, non-finite state) marks the patient failed.
"""

from __future__ import annotations

import functools
from typing import Any

from .._jax import jax_modules
from ..model import LESION_STATES, N_LESION_STATES, StateLayout, diameter_cm_from_cells, rhs
from ..regimen import load_label, policy_init, policy_step
from ._options import SolverOptions


def _solver(method: str) -> Any:
    import diffrax

    return {"tsit5": diffrax.Tsit5, "kvaerno5": diffrax.Kvaerno5, "dopri5": diffrax.Dopri5}[method]()


@functools.cache
def compiled_solve(options: SolverOptions) -> Any:
    """The jit-compiled single-patient solve for ``options`` (shapes trigger their own compiles)."""
    jax, _ = jax_modules()
    return jax.jit(_patient_solve(options))


@functools.cache
def compiled_batch_solve(options: SolverOptions) -> Any:
    """The jit-compiled batched solve: leading axis = patient for the patient inputs and ``gm_input``;
    schedule and policy shared. Returns states on the output grid only (``grid_index``)."""
    jax, _ = jax_modules()
    solve = _patient_solve(options)

    def batch(y0, params, lesion, injectable, bounds, visit_index, gm_input, policy, grid_index):
        out = jax.vmap(solve, in_axes=(0, 0, 0, 0, None, None, 0, None))(
            y0, params, lesion, injectable, bounds, visit_index, gm_input, policy
        )
        out["states"] = out["states"][:, grid_index, :]
        return out

    return jax.jit(batch)


def _patient_solve(options: SolverOptions) -> Any:
    """The pure single-patient solve (not compiled)."""
    jax, jnp = jax_modules()
    import diffrax

    label = load_label()
    term = diffrax.ODETerm(lambda t, y, args: rhs(t, y, args, jnp))
    solver = _solver(options.method)
    u_col = LESION_STATES.index("uninfected_cells")
    i_col = LESION_STATES.index("infected_cells")
    v_col = LESION_STATES.index("virus_pfu")

    def solve(y0, params, lesion, injectable, bounds, visit_index, gm_input, policy):
        n_slots = injectable.shape[0]
        atol = options.atol * jnp.asarray(StateLayout(n_slots).scale()) if options.scaled_atol else options.atol
        controller = diffrax.PIDController(rtol=options.rtol, atol=atol)
        n_les = n_slots * N_LESION_STATES

        def segment(carry, inputs):
            y, pstate, ok = carry
            t0, t1, vi, gm = inputs
            cells = y[:n_les].reshape(n_slots, N_LESION_STATES)
            diam = diameter_cm_from_cells(cells[:, u_col] + cells[:, i_col], params["tumour_cell_density"], jnp)
            new_state, vol, conc = policy_step(policy, pstate, t0, jnp.maximum(vi, 0), diam, injectable, jnp, label)
            is_visit = vi >= 0
            pstate = jax.tree_util.tree_map(lambda a, b: jnp.where(is_visit, a, b), new_state, pstate)
            vol = jnp.where(is_visit, vol, 0.0)
            conc = jnp.where(is_visit, conc, 0.0)
            dose = params["dose_retention"] * vol * conc
            y_dosed = y.at[v_col:n_les:N_LESION_STATES].add(dose)
            # A patient that already failed stops integrating (zero-length segments), so one bad
            # lane does not make the whole batch wait for its step limit again and again.
            t1 = jnp.where(ok, t1, t0)
            sol = diffrax.diffeqsolve(
                term, solver, t0, t1, None, y_dosed,
                args=(params, lesion, gm),
                saveat=diffrax.SaveAt(t1=True),
                stepsize_controller=controller,
                max_steps=options.max_steps,
                adjoint=diffrax.ForwardMode(),
                throw=False,
            )
            y1 = sol.ys[-1]
            seg_ok = (sol.result == diffrax.RESULTS.successful) & jnp.all(jnp.isfinite(y1))
            steps = sol.stats["num_steps"]
            return (y1, pstate, ok & seg_ok), (y, vol, conc, seg_ok, steps)

        init = (y0, policy_init(n_slots, jnp), jnp.asarray(True))
        xs = (bounds[:-1], bounds[1:], visit_index, gm_input)
        (y_end, _, ok), (ys, vols, concs, seg_ok, steps) = jax.lax.scan(segment, init, xs)
        states = jnp.concatenate([ys, y_end[None, :]], axis=0)
        return {
            "states": states,  # (S+1, n_state): at each boundary, before its dose
            "volume_ml": vols,  # (S, L)
            "concentration_pfu_per_ml": concs,  # (S,)
            "segment_ok": seg_ok,  # (S,)
            "steps": steps,  # (S,)
            "ok": ok,
        }

    return solve
