"""Plot one patient's course: lesion diameters with doses marked, virus (when there is any), immune states."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..model import DAYS_PER_MONTH
from ._text import plot_text

#: Below this peak free virus (PFU) over every lesion a patient had no virus: the virus panel is left out.
NO_VIRUS_PFU = 1.0


def has_virus(result: Any) -> bool:
    """Whether the patient received T-VEC or had any free virus (peak >= ``NO_VIRUS_PFU`` PFU)."""
    doses = result.doses
    if len(doses) and "DRUG" in doses and (doses["DRUG"] == "TVEC").any():
        return True
    virus = np.asarray(result.lesions.virus_pfu.values, dtype=float)
    return bool(virus.size) and float(np.nanmax(virus)) >= NO_VIRUS_PFU


def plot_patient(result: Any, title: str | None = None) -> Any:
    """A matplotlib Figure with panels sharing the time axis (months); every legend sits outside its axes,
    to the right, so none covers the data.

    Top: longest diameter of each lesion (cm); injectable lesions solid, others dashed; triangles mark
    T-VEC injections (size by volume), grey bands GM-CSF dosing days (both in the legend). Middle: free
    virus per lesion (PFU), only for a patient with virus (a GM-CSF-only or untreated patient has no virus
    panel). Bottom: effector and memory T cells, dendritic cells (cells) and anti-HSV titre (right axis).
    """
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    les = result.lesions
    sysd = result.systemic
    months = les.time_day.values / DAYS_PER_MONTH
    virus = has_virus(result)
    n_panels = 3 if virus else 2
    # not registered with pyplot: nothing to close, no leak; constrained layout keeps outside legends in the figure
    fig = Figure(figsize=(11, 9.5 if virus else 7.0), layout="constrained")
    axes = list(fig.subplots(n_panels, 1, sharex=True, height_ratios=[3, 2, 2][:n_panels] if virus else [3, 2]))
    ax_d, ax_i = axes[0], axes[-1]
    ax_v = axes[1] if virus else None
    colours = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    doses = result.doses
    tvec = doses[doses["DRUG"] == "TVEC"] if len(doses) else doses
    gm = doses[doses["DRUG"] == "GMCSF"] if len(doses) else doses

    for j, lesion_id in enumerate(les.lesion.values):
        colour = colours[j % len(colours)]
        injectable = bool(les.injectable.values[j])
        style = "-" if injectable else "--"
        label = f"{plot_text(lesion_id)} ({plot_text(les.site.values[j])})"
        diam = les.longest_diameter_cm.values[:, j]
        ax_d.plot(months, diam, style, color=colour, lw=1.8, label=label)
        if ax_v is not None:
            ax_v.plot(months, np.maximum(les.virus_pfu.values[:, j], 1e-2), style, color=colour, lw=1.2)
        given = tvec[tvec["LESION_ID"] == lesion_id] if len(tvec) else tvec
        if len(given):
            at = np.interp(given["TIME"].to_numpy(), les.time_day.values, diam)
            ax_d.scatter(given["TIME"].to_numpy() / DAYS_PER_MONTH, at, marker="v", color=colour,
                         s=12 + 18 * given["VOL_ML"].to_numpy(), zorder=3, edgecolor="black", linewidth=0.4)
    for day in gm["TIME"].to_numpy() if len(gm) else ():
        for ax in axes:
            ax.axvspan(day / DAYS_PER_MONTH, (day + 1) / DAYS_PER_MONTH, color="0.85", lw=0, zorder=0)

    ax_d.set_ylabel("longest diameter (cm)")
    ax_d.set_ylim(bottom=0)
    handles = list(ax_d.get_legend_handles_labels()[0])
    handles += [Line2D([], [], color="0.3", ls="-", label="injectable lesion"),
                Line2D([], [], color="0.3", ls="--", label="not injectable (visceral)")]
    if len(tvec):
        handles.append(Line2D([], [], ls="none", marker="v", color="0.6", markeredgecolor="black",
                              label="T-VEC injection (size ~ mL)"))
    if len(gm):
        handles.append(Patch(color="0.85", label="GM-CSF dosing day"))
    ax_d.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
                title="lesions and dosing", title_fontsize=8)
    if ax_v is not None:
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
    # outside the axes, right of the titre axis's labels
    ax_i.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.12, 1.0), borderaxespad=0.0)
    ax_i.set_xlabel("months since first dose")
    fig.suptitle(title or f"patient {plot_text(result.patient.patient_id)}", fontsize=11)
    return fig
