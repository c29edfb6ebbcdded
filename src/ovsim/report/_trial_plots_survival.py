"""Survival figures of a virtual trial: Kaplan-Meier curves with numbers at risk, forest plot by stage."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._names import arm_name
from ._text import plot_text
from ._trial_style import DASH, STAGES, arm_colours, arm_list, ci_pair, new_figure, no_data, num

__all__ = ["KM_ENDPOINTS", "at_risk", "plot_forest", "plot_km", "targets_block"]


def targets_block(published: dict | None) -> dict:
    """OPTiM's ``targets:`` block, given either that block or the whole optim.yaml mapping."""
    if not isinstance(published, dict):
        return {}
    inner = published.get("targets")
    return inner if isinstance(inner, dict) else published


def _fmt(v: float | None, lo: float | None = None, hi: float | None = None, digits: int = 2) -> str:
    """'v (lo-hi)' with ``digits`` decimals; missing parts as a dash."""
    if v is None:
        return DASH
    if lo is None and hi is None:
        return f"{v:.{digits}f}"
    f = (lambda x: DASH if x is None else f"{x:.{digits}f}".replace("-", "\u2212"))
    sep = "\u2013" if lo is not None and hi is not None and lo >= 0 and hi >= 0 else " to "
    return f"{f(v)} ({f(lo)}{sep}{f(hi)})"


def at_risk(table: pd.DataFrame, times: Sequence[float]) -> list[int]:
    """Numbers at risk at ``times`` (months) from a Kaplan-Meier table (time_months, at_risk, events, censored)."""
    t = table["time_months"].to_numpy(dtype=float)
    n = table["at_risk"].to_numpy(dtype=float)
    left = table["events"].to_numpy(dtype=float) + table["censored"].to_numpy(dtype=float)
    out = []
    for s in times:
        i = int(np.searchsorted(t, s, side="left"))
        out.append(int(n[i]) if i < len(t) else int(max(n[-1] - left[-1], 0)) if len(t) else 0)
    return out


def _from_zero(table: pd.DataFrame) -> pd.DataFrame:
    """The table sorted by time, starting with a row at time 0 with survival 1 (added if missing)."""
    d = table.sort_values("time_months", kind="stable").reset_index(drop=True)
    if len(d) and float(d["time_months"].iloc[0]) <= 0.0:
        return d
    n = int(d["at_risk"].iloc[0]) if len(d) else 0
    first = pd.DataFrame([{"time_months": 0.0, "survival": 1.0, "lower": 1.0, "upper": 1.0, "at_risk": n,
                           "events": 0, "censored": 0}])
    return pd.concat([first, d[first.columns]], ignore_index=True)


def _median_from_curve(t: np.ndarray, s: np.ndarray) -> float | None:
    """First time (months) the step curve reaches 0.5 or below, None if never."""
    below = np.nonzero(s <= 0.5)[0]
    return float(t[below[0]]) if len(below) else None


KM_ENDPOINTS = {
    "os": ("overall survival", "OS", "median_overall_survival_months", "hazard_ratio_os", 12.0),
    "pfs": ("progression-free survival", "PFS", "median_progression_free_survival_months", "hazard_ratio_pfs", 6.0),
}
"""Curves ``plot_km`` draws: (y label, short name, median key and hazard-ratio key in endpoints.json, months
between at-risk counts)."""


def plot_km(km: dict[str, pd.DataFrame], *, endpoints: dict | None = None, published: dict | None = None,
            arms: Sequence[str] | None = None, at_risk_months: Sequence[float] | None = None,
            endpoint: str = "os") -> Any:
    """Kaplan-Meier overall (``endpoint="os"``) or progression-free (``"pfs"``) survival per arm with 95 %
    bands, censoring ticks and numbers at risk.

    ``km``: ``{arm: DataFrame(time_months, survival, lower, upper, at_risk, events, censored)}``.
    ``endpoints`` (optional) supplies medians with CI and the hazard ratio (first arm vs last);
    ``published`` adds OPTiM's medians and hazard ratio of overall survival to the annotation where arm
    names match. Numbers at risk are tabulated every 12 months for OS, 6 for PFS (or at ``at_risk_months``).
    """
    if endpoint not in KM_ENDPOINTS:
        raise ValueError(f"endpoint: expected one of {', '.join(KM_ENDPOINTS)} (got {endpoint!r})")
    what, short, median_key, hr_key, step = KM_ENDPOINTS[endpoint]
    ep_arms = (endpoints or {}).get("arms") or {}
    arms = arm_list(arms if arms is not None else list(ep_arms) or None, km.keys())
    arms = [a for a in arms if a in km]
    colours = arm_colours(arms)
    tmax = max([float(np.nanmax(km[a]["time_months"])) for a in arms if len(km[a])] or [step])
    xmax = step * max(1, int(np.ceil(tmax / step - 1e-9)))
    times = list(at_risk_months) if at_risk_months is not None else list(np.arange(0.0, xmax + 1e-9, step))
    fig = new_figure(9.0, 5.3 + 0.22 * max(len(arms), 1))
    gs = fig.add_gridspec(2, 1, height_ratios=[5.0, 0.3 + 0.22 * max(len(arms), 1)])
    ax = fig.add_subplot(gs[0])
    tab = fig.add_subplot(gs[1], sharex=ax)
    if not arms:
        no_data(ax, "no survival data")
    for arm in arms:
        d = _from_zero(km[arm])
        t, s = d["time_months"].to_numpy(dtype=float), d["survival"].to_numpy(dtype=float)
        info = ep_arms.get(arm) or {}
        med = info.get(median_key) or {}
        m = num(med.get("value")) if isinstance(med, dict) else None
        m = m if m is not None or med else _median_from_curve(t, s)
        lo, hi = ci_pair(med)
        n = info.get("n", int(d["at_risk"].iloc[0]) if len(d) else 0)
        median = "not reached" if m is None else f"{_fmt(m, lo, hi, 1)} months"
        label = f"{plot_text(arm_name(arm))} (n = {plot_text(n)}): median {median}"
        ax.step(t, s, where="post", color=colours[arm], lw=2.0, label=label)
        band = np.clip(d[["lower", "upper"]].to_numpy(dtype=float), 0.0, 1.0)   # NaN stays NaN (no band)
        ax.fill_between(t, band[:, 0], band[:, 1], step="post",
                        color=colours[arm], alpha=0.15, lw=0)
        cens = d["censored"].to_numpy(dtype=float) > 0
        ax.plot(t[cens], s[cens], "|", color=colours[arm], ms=7, mew=1.0)
        if m is not None:
            ax.plot([m, m], [0.0, 0.5], ls=":", color=colours[arm], lw=1.2)
    ax.axhline(0.5, color="0.6", lw=0.8, ls=":")
    ax.set_ylim(0.0, 1.02)
    ax.set_xlim(0.0, xmax)
    ax.set_xticks(times)
    ax.set_ylabel(f"{what} (probability)")
    ax.set_xlabel("months since randomisation")
    ax.grid(alpha=0.25)
    if arms:
        ax.legend(loc="lower left" if endpoint == "os" else "upper right", fontsize=9,
                  title=f"arm; median {short} (95% CI); | censored", title_fontsize=8)
    note = _hr_note(endpoints, published if endpoint == "os" else None, arms, hr_key, short)
    if note:
        ax.text(0.98, 0.97 if endpoint == "os" else 0.70, note, transform=ax.transAxes, ha="right", va="top",
                fontsize=8.5,
                bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "0.7"})
    tab.set_title("number at risk", loc="left", fontsize=9)
    for i, arm in enumerate(arms):
        for x, v in zip(times, at_risk(_from_zero(km[arm]), times)):
            tab.text(x, i, str(v), ha="center", va="center", fontsize=9, color=colours[arm])
    tab.set_ylim(max(len(arms), 1) - 0.5, -0.5)
    tab.set_yticks(range(len(arms)), [plot_text(arm_name(a)) for a in arms], fontsize=9)
    for i, lab in enumerate(tab.get_yticklabels()):
        lab.set_color(colours[arms[i]])
    tab.tick_params(left=False, bottom=False, labelbottom=False, pad=16)
    for side in ("top", "right", "bottom", "left"):
        tab.spines[side].set_visible(False)
    return fig


def _hr_note(endpoints: dict | None, published: dict | None, arms: list[str], hr_key: str = "hazard_ratio_os",
             short: str = "OS") -> str:
    """Annotation text: simulated hazard ratio (first arm vs last) and, if names match, OPTiM's (OS only)."""
    lines = []
    hr = ((endpoints or {}).get("comparisons") or {}).get(hr_key)
    if isinstance(hr, dict) and len(arms) >= 2 and num(hr.get("value")) is not None:
        p = num(hr.get("p_value"))
        first, last = plot_text(arm_name(arms[0])), plot_text(arm_name(arms[-1]))
        text = f"HR ({short}) {first} vs {last}: {_fmt(num(hr.get('value')), *ci_pair(hr))}"
        lines.append(text + (f", p = {p:.3g}" if p is not None else ""))
    pub = targets_block(published).get("overall_survival") or {}
    if len(arms) >= 2:
        phr = pub.get(f"hazard_ratio_{arms[0]}_vs_{arms[-1]}")
        meds = pub.get("median_months") or {}
        parts = []
        if isinstance(phr, dict):
            parts.append(f"HR {_fmt(num(phr.get('value')), *ci_pair(phr))}")
        got = [f"{plot_text(arm_name(a))} {num(meds[a].get('value')):.1f}" for a in arms
               if isinstance(meds.get(a), dict) and num(meds[a].get("value")) is not None]
        if got:
            parts.append("median " + " vs ".join(got) + " months")
        if parts:
            lines.append("OPTiM: " + "; ".join(parts))
    return "\n".join(lines)


def _forest_rows(endpoints: dict, subgroup_comparisons: dict | None, key: str,
                 stages: Sequence[str]) -> list[tuple[str, float | None, float | None, float | None]]:
    """(label, value, lo, hi) rows: 'All' from endpoints' comparisons, then one per stage."""
    def n_of(block: dict | None) -> str:
        total = sum(int(v.get("n") or 0) for v in (block or {}).values() if isinstance(v, dict))
        return f" (n = {total})" if total else ""

    rows = []
    entry = (endpoints.get("comparisons") or {}).get(key)
    entry = entry if isinstance(entry, dict) else {}
    rows.append(("All" + n_of(endpoints.get("arms")), num(entry.get("value")), *ci_pair(entry)))
    arms = list((endpoints.get("arms") or {}).keys())
    for arm, comps in list((endpoints.get("comparisons_vs_control") or {}).items())[1:]:  # 3+ arms: the others
        e = comps.get(key) if isinstance(comps, dict) else None
        e = e if isinstance(e, dict) else {}
        rows.append((f"All: {plot_text(arm_name(arm))} vs {plot_text(arm_name(arms[-1]))}", num(e.get("value")),
                     *ci_pair(e)))
    groups = ((subgroup_comparisons or {}).get("stage") or {})
    sub_arms = ((endpoints.get("subgroups") or {}).get("stage") or {})
    for stage in list(stages) + [s for s in groups if s not in stages]:
        if stage not in groups and stage not in sub_arms:
            continue
        e = (groups.get(stage) or {}).get(key)
        e = e if isinstance(e, dict) else {}
        rows.append((plot_text(stage) + n_of(sub_arms.get(stage)), num(e.get("value")), *ci_pair(e)))
    return rows


def _forest_panel(ax: Any, rows: list, *, log: bool, scale: float, ref: float, colour: str,
                  pub: tuple | None) -> None:
    """One forest panel: points with CI whiskers (clipped with arrows), missing rows marked."""
    vals = [v for r in rows for v in r[1:] if v is not None and (v > 0 or not log)]
    vals = [v * scale for v in vals] + [ref] + ([p * scale for p in pub if p is not None] if pub else [])
    lo_lim, hi_lim = min(vals), max(vals)
    if log:
        lo_lim, hi_lim = max(lo_lim / 1.25, 0.05), min(hi_lim * 1.25, 20.0)
    else:
        pad = 0.08 * (hi_lim - lo_lim or 1.0)
        lo_lim, hi_lim = max(lo_lim - pad, -100.0), min(hi_lim + pad, 100.0)
    ax.axvline(ref, color="0.3", lw=1.0)
    for i, (_, v, lo, hi) in enumerate(rows):
        bad = v is None or (log and v <= 0)
        if bad:
            ax.text(0.5, i, "not estimable (too few patients)", transform=ax.get_yaxis_transform(),
                    ha="center", va="center", fontsize=8, color="0.4")
            label = DASH
        else:
            v, lo, hi = v * scale, None if lo is None else lo * scale, None if hi is None else hi * scale
            a = lo_lim if lo is None or (log and lo <= 0) or lo < lo_lim else lo
            b = hi_lim if hi is None or hi > hi_lim else hi
            ax.plot([a, b], [i, i], color=colour, lw=1.6)
            for edge, clipped, mk in ((a, lo is None or a != lo, "<"), (b, hi is None or b != hi, ">")):
                if clipped:
                    ax.plot(edge, i, mk, color=colour, ms=5)
            ax.plot(v, i, "D" if i == 0 else "s", color=colour, ms=8 if i == 0 else 6, zorder=3)
            label = _fmt(v, lo, hi, 2 if log else 1)
        ax.text(1.02, i, label, transform=ax.get_yaxis_transform(), va="center", ha="left", fontsize=8)
    if pub is not None and pub[0] is not None:
        v, lo, hi = (None if p is None else p * scale for p in pub)
        y = 0.32
        if lo is not None and hi is not None:
            ax.plot([lo, hi], [y, y], color="black", lw=1.0)
        ax.plot(v, y, "D", mfc="white", mec="black", ms=6, zorder=3)
        ax.text(1.02, y + 0.08, f"OPTiM {_fmt(v, lo, hi, 2)}", transform=ax.get_yaxis_transform(), va="center",
                ha="left", fontsize=7.5, style="italic")
    if log:
        from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator, StrMethodFormatter

        ax.set_xscale("log")
        ticks = [t for t in (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0) if lo_lim <= t <= hi_lim]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(StrMethodFormatter("{x:g}"))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlim(lo_lim, hi_lim)


def plot_forest(endpoints: dict, subgroup_comparisons: dict | None = None, *, published: dict | None = None,
                stages: Sequence[str] = STAGES) -> Any:
    """Forest plot by stage: OS hazard ratio (log scale, line at 1) and durable-response difference.

    The difference is drawn in percentage points (endpoint values are proportions), line at 0.
    Rows: 'All' (from ``endpoints['comparisons']``: the first arm vs the control, the last), in a trial of three or
    more arms every other arm vs the control over all patients (``comparisons_vs_control``), then each stage of
    ``subgroup_comparisons`` (first arm vs control);
    missing or non-finite subgroup estimates are marked "not estimable". OPTiM's published hazard
    ratio is overlaid on the 'All' row where ``published`` names the same arms.
    """
    arms = list((endpoints.get("arms") or {}).keys())
    first, last = (arms[0], arms[-1]) if len(arms) >= 2 else ("experimental", "control")
    colour = arm_colours(arms)[arms[0]] if arms else "black"
    hr_rows = _forest_rows(endpoints, subgroup_comparisons, "hazard_ratio_os", stages)
    dr_rows = _forest_rows(endpoints, subgroup_comparisons, "durable_response_difference", stages)
    phr = (targets_block(published).get("overall_survival") or {}).get(f"hazard_ratio_{first}_vs_{last}")
    pub = (num(phr.get("value")), *ci_pair(phr)) if isinstance(phr, dict) else None
    fig = new_figure(11.0, 1.6 + 0.45 * len(hr_rows))
    axes = fig.subplots(1, 2, sharey=True)
    _forest_panel(axes[0], hr_rows, log=True, scale=1.0, ref=1.0, colour=colour, pub=pub)
    _forest_panel(axes[1], dr_rows, log=False, scale=100.0, ref=0.0, colour=colour, pub=None)
    axes[0].set_title("overall survival: hazard ratio (95% CI)", fontsize=10)
    axes[1].set_title("durable response rate: difference (95% CI)", fontsize=10)
    first, last = plot_text(arm_name(first)), plot_text(arm_name(last))
    axes[0].set_xlabel(f"hazard ratio, log scale\n\u2190 favours {first}    favours {last} \u2192")
    axes[1].set_xlabel(f"difference {first} \u2212 {last} (percentage points)\n"
                       f"\u2190 favours {last}    favours {first} \u2192")
    axes[0].set_yticks(range(len(hr_rows)), [r[0] for r in hr_rows])
    axes[0].set_ylim(len(hr_rows) - 0.5, -0.6)
    for ax in axes:
        ax.grid(axis="x", alpha=0.25)
    return fig
