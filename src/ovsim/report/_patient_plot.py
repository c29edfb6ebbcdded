"""Plot one patient's course: lesion diameters with doses marked, virus, immune states."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..model import DAYS_PER_MONTH
from ._text import plot_text


def plot_patient(result: Any, title: str | None = None) -> Any:
    """A matplotlib Figure with three panels sharing the time axis (months).

    Top: longest diameter of each lesion (cm); injected sites solid, others dashed; triangles mark
    T-VEC injections (size by volume), grey bands GM-CSF dosing. Middle: free virus per lesion (PFU).
    Bottom: effector and memory T cells, dendritic cells (cells) and anti-HSV titre (right axis).
    """
    import matplotlib
    from matplotlib.figure import Figure

    les = result.lesions
    sysd = result.systemic
    months = les.time_day.values / DAYS_PER_MONTH
    fig = Figure(figsize=(9, 9.5))  # not registered with pyplot: nothing to close, no leak
    axes = fig.subplots(3, 1, sharex=True, height_ratios=[3, 2, 2])
    ax_d, ax_v, ax_i = axes
    colours = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    doses = result.doses
    tvec = doses[doses["DRUG"] == "TVEC"]
    gm = doses[doses["DRUG"] == "GMCSF"]

    for j, lesion_id in enumerate(les.lesion.values):
        colour = colours[j % len(colours)]
        injectable = bool(les.injectable.values[j])
        style = "-" if injectable else "--"
        label = f"{plot_text(lesion_id)} ({plot_text(les.site.values[j])})"
        diam = les.longest_diameter_cm.values[:, j]
        ax_d.plot(months, diam, style, color=colour, lw=1.8, label=label)
        ax_v.plot(months, np.maximum(les.virus_pfu.values[:, j], 1e-2), style, color=colour, lw=1.2)
        given = tvec[tvec["LESION_ID"] == lesion_id]
        if len(given):
            at = np.interp(given["TIME"].to_numpy(), les.time_day.values, diam)
            ax_d.scatter(given["TIME"].to_numpy() / DAYS_PER_MONTH, at, marker="v", color=colour,
                         s=12 + 18 * given["VOL_ML"].to_numpy(), zorder=3, edgecolor="black", linewidth=0.4)
    for day in gm["TIME"].to_numpy():
        for ax in axes:
            ax.axvspan(day / DAYS_PER_MONTH, (day + 1) / DAYS_PER_MONTH, color="0.85", lw=0, zorder=0)

    ax_d.set_ylabel("longest diameter (cm)")
    ax_d.set_ylim(bottom=0)
    ax_d.legend(fontsize=8, ncol=2, loc="upper right",
                title="solid: injectable, dashed: visceral; \u25bc injection (size ~ mL)", title_fontsize=7)
    ax_v.set_yscale("log")
    ax_v.set_ylim(1e-1, None)
    ax_v.set_ylabel("free virus (PFU)")

    for name, label, colour in (
        ("effector_t_cells", "effector T cells", "tab:red"),
        ("memory_t_cells", "memory T cells", "tab:purple"),
        ("dendritic_cells", "licensed DCs", "tab:green"),
    ):
        ax_i.plot(months, np.maximum(sysd[name].values, 1.0), color=colour, label=label)
    ax_i.set_yscale("log")
    ax_i.set_ylim(1.0, None)
    ax_i.set_ylabel("cells")
    ax_t = ax_i.twinx()
    ax_t.plot(months, sysd.hsv_antibody_titre.values, color="0.3", ls=":", label="anti-HSV titre")
    ax_t.set_ylabel("anti-HSV titre (rel.)")
    handles = ax_i.get_legend_handles_labels()[0] + ax_t.get_legend_handles_labels()[0]
    ax_i.legend(handles=handles, fontsize=8, loc="upper right")
    ax_i.set_xlabel("months since first dose")
    fig.suptitle(title or f"patient {plot_text(result.patient.patient_id)}", fontsize=11)
    fig.tight_layout()
    return fig
