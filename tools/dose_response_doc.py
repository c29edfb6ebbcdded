"""Draw docs/figures/dose_response.png: the single-lesion dose-response of the virus alone (docs/model.md).

    python tools/dose_response_doc.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import ovsim  # noqa: E402
from ovsim.engine import single_lesion_dose_response  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "docs" / "figures" / "dose_response.png"


def main() -> None:
    ovsim.configure_jax()
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for sero, style in ((True, "-"), (False, "--")):
        df = single_lesion_dose_response(np.geomspace(1e-6, 1.0, 13), hsv1_seropositive=sero)
        for day, colour in ((28, "#1b9e77"), (84, "#d95f02"), (182, "#7570b3")):
            ax.plot(df["pfu_retained_per_visit"], df[f"volume_change_pct_day{day}"], style, color=colour,
                    marker="o", ms=3, label=f"day {day}, HSV-1 {'seropositive' if sero else 'seronegative'}")
    ax.set_xscale("log")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_xlabel("PFU retained in the lesion per 1e8 PFU/mL visit")
    ax.set_ylabel("lesion volume change from day 0 (%)")
    ax.set_title("2 cm lesion, label regimen, tumour-specific killing off", fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=120)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
