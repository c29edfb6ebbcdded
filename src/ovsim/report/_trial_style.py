"""Shared look of the trial figures: arm and response colours, figure creation, number helpers.

Figures are plain ``matplotlib.figure.Figure`` objects on an Agg canvas, never registered with
pyplot: nothing needs closing, and a report can be drawn from any thread or a web server.
Save one with ``fig.savefig(...)``; Jupyter shows a returned Figure directly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..model import DAYS_PER_MONTH
from . import _names

#: Colours of the experimental arms, in order (Okabe-Ito, colour-blind safe).
ARM_PALETTE = ("#d55e00", "#0072b2", "#009e73", "#cc79a7", "#e69f00", "#56b4e9")
#: Colour of the control arm (the last arm) when there are two arms or more.
CONTROL_COLOUR = "#5f5f5f"
#: Best overall response categories, best first, and their colours.
BOR_ORDER = ("CR", "PR", "SD", "PD", "NE")
BOR_NAMES = _names.BOR_NAMES   # the display names live in one mapping (_names)
BOR_COLOURS = {"CR": "#1a7a3e", "PR": "#7fc97f", "SD": "#f0c05a", "PD": "#d7301f", "NE": "#bdbdbd"}

#: Stages of the reference population, in display order.
STAGES = ("IIIB/IIIC", "IVM1a", "IVM1b", "IVM1c")
#: Lesion categories of the lesion-level endpoints, and their display names.
LESION_CATEGORIES = ("injected", "uninjected_nonvisceral", "uninjected_visceral")
LESION_NAMES = _names.LESION_NAMES

MONTH_DAYS = DAYS_PER_MONTH
DASH = "\u2014"


def new_figure(width_in: float, height_in: float, **kwargs: Any) -> Any:
    """An unmanaged Figure (inches) with an Agg canvas and constrained layout."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    kwargs.setdefault("layout", "constrained")
    fig = Figure(figsize=(width_in, height_in), **kwargs)
    FigureCanvasAgg(fig)
    return fig


def arm_list(arms: Sequence[str] | None, *columns: Iterable[Any]) -> list[str]:
    """The arms in display order: ``arms`` if given, else order of first appearance in ``columns``.

    Arms found in the columns but missing from ``arms`` are appended, so nothing is dropped.
    """
    out = [str(a) for a in arms] if arms is not None else []
    for col in columns:
        for a in col:
            if isinstance(a, str) and a not in out:
                out.append(a)
    return out


def arm_colours(arms: Sequence[str]) -> dict[str, str]:
    """One colour per arm: the first arms from ARM_PALETTE, the last (control) arm grey."""
    arms = list(arms)
    colours = {a: ARM_PALETTE[i % len(ARM_PALETTE)] for i, a in enumerate(arms)}
    if len(arms) >= 2:
        colours[arms[-1]] = CONTROL_COLOUR
    return colours


def num(x: Any) -> float | None:
    """``x`` as a finite float, or None (None, NaN, inf, strings that are not numbers)."""
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def ci_pair(entry: Any) -> tuple[float | None, float | None]:
    """(lo, hi) from an entry's ``ci95``, each None when missing or not finite."""
    ci = entry.get("ci95") if isinstance(entry, dict) else None
    if not isinstance(ci, (list, tuple)) or len(ci) != 2:
        return None, None
    return num(ci[0]), num(ci[1])


def no_data(ax: Any, text: str) -> None:
    """Write ``text`` in the middle of an empty panel and hide its ticks."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=11, color="0.35")
    ax.set_xticks([])
    ax.set_yticks([])


def months(days: Any) -> np.ndarray:
    """Days to months (365.25/12 days a month), as a float array."""
    return np.asarray(days, dtype=float) / MONTH_DAYS
