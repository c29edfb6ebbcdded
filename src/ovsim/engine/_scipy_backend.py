"""The reference engine: a plain per-patient loop over segments with ``scipy.integrate.solve_ivp``.

Independent of JAX and diffrax; the same equations (``model.rhs`` on numpy) and the same dosing
policy (``regimen.policy_step`` on numpy). Used to check the JAX engine and as the benchmark peer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from ..model import LESION_STATES, N_LESION_STATES, StateLayout, diameter_cm_from_cells, rhs
from ..regimen import load_label, policy_init, policy_step


def solve_reference(
    y0: np.ndarray,
    params: dict[str, float],
    lesion: dict[str, np.ndarray],
    injectable: np.ndarray,
    bounds: np.ndarray,
    visit_index: np.ndarray,
    gm_input: np.ndarray,
    policy: dict[str, float],
    rtol: float = 1e-8,
    atol: float = 1e-8,
    method: str = "LSODA",
    scaled_atol: bool = True,
) -> dict[str, Any]:
    """Solve one patient; same inputs and outputs as the JAX engine's ``solve`` (numpy arrays).

    scaled_atol: the absolute tolerance of each state is ``atol x`` its reference magnitude, as in
    the JAX engine (``ovsim.model.SCALE``)."""
    label = load_label()
    n_slots = len(injectable)
    n_les = n_slots * N_LESION_STATES
    u_col, i_col, v_col = (LESION_STATES.index(s) for s in ("uninfected_cells", "infected_cells", "virus_pfu"))
    n_seg = len(bounds) - 1
    states = np.zeros((n_seg + 1, len(y0)))
    vols = np.zeros((n_seg, n_slots))
    concs = np.zeros(n_seg)
    seg_ok = np.ones(n_seg, dtype=bool)
    steps = np.zeros(n_seg, dtype=np.int64)
    pstate = policy_init(n_slots, np)
    atol_vec = atol * np.asarray(StateLayout(n_slots).scale()) if scaled_atol else atol
    y = np.asarray(y0, dtype=float).copy()
    for k in range(n_seg):
        states[k] = y
        if visit_index[k] >= 0:
            cells = y[:n_les].reshape(n_slots, N_LESION_STATES)
            diam = diameter_cm_from_cells(cells[:, u_col] + cells[:, i_col], params["tumour_cell_density"])
            pstate, vols[k], concs[k] = policy_step(policy, pstate, bounds[k], visit_index[k], diam, injectable, np, label)
            y = y.copy()
            y[v_col:n_les:N_LESION_STATES] += params["dose_retention"] * vols[k] * concs[k]
        args = (params, lesion, float(gm_input[k]))
        sol = solve_ivp(
            lambda t, yy: rhs(t, yy, args, np), (bounds[k], bounds[k + 1]), y,
            method=method, rtol=rtol, atol=atol_vec,
        )
        seg_ok[k] = bool(sol.success) and bool(np.all(np.isfinite(sol.y[:, -1])))
        steps[k] = sol.t.size - 1
        y = sol.y[:, -1]
    states[n_seg] = y
    return {
        "states": states,
        "volume_ml": vols,
        "concentration_pfu_per_ml": concs,
        "segment_ok": seg_ok,
        "steps": steps,
        "ok": bool(seg_ok.all()),
    }
