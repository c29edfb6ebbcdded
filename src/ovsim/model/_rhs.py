"""The right-hand side of the lesion-immune model, one pure function over arrays.

``rhs(t, y, args, xp)`` with ``xp`` = numpy or jax.numpy, so the JAX engine and the scipy
reference integrate the very same equations (docs/model.md, section "Equations").

``args = (p, lesion, gmcsf_input_ug_per_day)``:
  p: ``{name: scalar}``, the patient's parameters plus the covariate ``hsv1_seropositive`` (0/1);
  lesion: ``{"growth_rate": (L,) 1/day, "accessibility": (L,), "infiltration": (L,)}``;
  gmcsf_input_ug_per_day: subcutaneous GM-CSF input rate during the segment (ug/day).
Every loss term of a state is proportional to that state, so exact solutions stay >= 0.
"""

from __future__ import annotations

from typing import Any, Mapping

from ._states import N_LESION_STATES

ONE_CELL = 1.0  # cells; keeps ratios finite when a lesion or the whole tumour is gone


def rhs(t: Any, y: Any, args: tuple[Mapping[str, Any], Mapping[str, Any], Any], xp: Any) -> Any:
    """dy/dt (per day) at time ``t`` (days) for the flat state ``y`` (see ``StateLayout``)."""
    p, les, gm_input = args
    n_les = les["accessibility"].shape[-1]
    x = xp.reshape(y[: n_les * N_LESION_STATES], (n_les, N_LESION_STATES))
    u, i, v, g = x[:, 0], x[:, 1], x[:, 2], x[:, 3]
    (antigen, dc, p1, p2, p3, eff, mem, bcell, titre, gm_sys) = (
        y[n_les * N_LESION_STATES + k] for k in range(10)
    )

    cells = u + i
    cells_total = xp.sum(cells)
    # Rounding can leave a state a hair below zero; the nonlinear terms use the non-negative part
    # so that such noise is never amplified by the replication loop.
    u_pos = xp.maximum(u, 0.0)
    v_pos = xp.maximum(v, 0.0)

    # Virus: ratio-dependent infection of uninfected tumour cells, limited by accessibility;
    # less than about one infectious particle cannot sustain infection (extinction factor).
    infection = (
        p["infection_rate"] * les["accessibility"] * v_pos * u_pos / (cells + ONE_CELL)
        * v_pos / (v_pos + p["virus_extinction_pfu"])
    )
    lysis = p["lysis_rate"] * i
    virus_loss = (
        p["virus_decay_rate"] + p["healthy_uptake_rate"] + p["neutralisation_rate"] * titre
    ) * v

    # T cells: ratio-dependent killing, site infiltration, boosted by the lesion's own GM-CSF.
    ratio = eff / (cells_total + ONE_CELL)
    kill_sat = ratio / (p["kill_ratio_halfsat"] + ratio)
    inflammation = 1.0 + p["inflammation_gain"] * g / (g + p["gmcsf_local_halfsat"])
    kill = p["kill_rate"] * les["infiltration"] * inflammation * kill_sat

    # Tumour growth: logistic cap per lesion, no regrowth from below ~one cell.
    growth = (
        les["growth_rate"] * u * (1.0 - cells / p["carrying_capacity_cells"])
        * u_pos / (u_pos + p["extinction_scale_cells"])
    )

    du = growth - infection - kill * u
    di = infection - lysis - kill * i
    dv = p["burst_size"] * lysis - infection - virus_loss
    dg = p["gmcsf_secretion_rate"] * i - p["gmcsf_clearance_rate"] * g

    # Antigen, dendritic cells licensed by GM-CSF, delayed priming (Erlang-3), effectors, memory.
    released = xp.sum(p["antigen_lysis_yield"] * lysis + p["antigen_kill_yield"] * kill * cells)
    d_antigen = released + p["antigen_baseline_release"] * cells_total - p["antigen_clearance_rate"] * antigen
    loading = antigen / (antigen + p["antigen_halfsat"])
    g_local = xp.sum(g)
    licensing = (
        p["dc_licensing_baseline"]
        + p["dc_licensing_local"] * g_local / (g_local + p["gmcsf_local_halfsat"])
        + p["dc_licensing_systemic"] * gm_sys / (gm_sys + p["gmcsf_systemic_halfsat"])
    )
    d_dc = p["dc_recruitment_rate"] * licensing * loading - p["dc_death_rate"] * dc
    k_transit = 3.0 / p["priming_delay_days"]
    d_p1 = p["priming_rate"] * dc - k_transit * p1
    d_p2 = k_transit * (p1 - p2)
    d_p3 = k_transit * (p2 - p3)
    recall = p["memory_recall_rate"] * mem * loading
    d_eff = k_transit * p3 + p["memory_expansion"] * recall - p["effector_death_rate"] * eff
    d_mem = p["memory_fraction"] * p["effector_death_rate"] * eff - recall - p["memory_death_rate"] * mem

    # Anti-HSV: virus activates B cells (faster in seropositives), which raise neutralising titre.
    virus_total = xp.sum(v_pos)
    stimulus = virus_total / (virus_total + p["antibody_virus_halfsat"])
    sero = p["hsv1_seropositive"]
    d_bcell = (
        p["bcell_activation_rate"] * (1.0 + p["bcell_memory_boost"] * sero) * stimulus * (1.0 - bcell)
        - p["bcell_decay_rate"] * bcell
    )
    titre_base = sero * p["antibody_seropositive_baseline"]
    d_titre = p["antibody_production_rate"] * bcell - p["antibody_decay_rate"] * (titre - titre_base)

    # Systemic GM-CSF: subcutaneous comparator input, first-order clearance.
    d_gm_sys = gm_input - p["gmcsf_clearance_rate"] * gm_sys

    lesion_part = xp.reshape(xp.stack([du, di, dv, dg], axis=-1), (-1,))
    systemic = xp.stack(
        [d_antigen, d_dc, d_p1, d_p2, d_p3, d_eff, d_mem, d_bcell, d_titre, d_gm_sys]
    )
    return xp.concatenate([lesion_part, systemic])
