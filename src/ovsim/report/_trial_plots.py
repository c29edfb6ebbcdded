"""Figures of a virtual trial: response per patient (waterfall, spider, swimmer), lesion-level bars.

Survival figures (Kaplan-Meier, forest) live in ``_trial_plots_survival`` and are re-exported here.
Every ``plot_*`` returns an unmanaged ``matplotlib.figure.Figure`` (see ``_trial_style``); arms keep
the same colour in every figure when the same ``arms`` order is passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._names import arm_name
from ._text import plot_text
from ._trial_plots_survival import plot_forest, plot_km
from ._trial_style import (
    BOR_COLOURS,
    BOR_NAMES,
    BOR_ORDER,
    LESION_CATEGORIES,
    LESION_NAMES,
    MONTH_DAYS,
    arm_colours,
    arm_list,
    ci_pair,
    months,
    new_figure,
    no_data,
    num,
)

__all__ = ["plot_forest", "plot_km", "plot_lesion_bars", "plot_spider", "plot_swimmer", "plot_waterfall"]

RESPONDING = ("CR", "PR")


def _threshold_lines(ax: Any, *, label: bool) -> None:
    """Reference lines at 0 %, -50 % (partial response) and +25 % (progression)."""
    ax.axhline(0.0, color="0.2", lw=0.8)
    for y, text in ((-50.0, "PR \u221250%"), (25.0, "PD +25%")):
        ax.axhline(y, color="0.25", lw=0.9, ls="--")
        if label:
            ax.text(1.0, y, f" {text}", transform=ax.get_yaxis_transform(), va="center", ha="left",
                    fontsize=8, color="0.25", clip_on=False)


def _bor(frame: pd.DataFrame) -> np.ndarray:
    """Best overall response codes, upper case, unknown values as NE."""
    codes = frame["best_overall_response"].astype("string").str.upper().fillna("NE").to_numpy(dtype=object)
    return np.array([c if c in BOR_COLOURS else "NE" for c in codes], dtype=object)


def plot_waterfall(patients: pd.DataFrame, *, arms: Sequence[str] | None = None,
                   clip_pct: float = 100.0) -> Any:
    """Best % change in tumour burden from baseline, one bar per patient, one panel per arm.

    Bars are sorted (most growth left), coloured by best overall response; dashed lines mark
    -50 % (PR) and +25 % (PD). Bars above ``clip_pct`` (%) are drawn at ``clip_pct`` with a caret.
    Patients without a best change (no post-baseline assessment) are counted but not drawn.
    """
    arms = arm_list(arms, patients["arm"])
    colours = arm_colours(arms)
    fig = new_figure(10.0, 0.9 + 2.5 * max(len(arms), 1))
    axes = fig.subplots(max(len(arms), 1), 1, sharey=True, squeeze=False)[:, 0]
    clipped_total = 0
    for ax, arm in zip(axes, arms):
        sub = patients[patients["arm"] == arm]
        change = pd.to_numeric(sub["best_change_pct"], errors="coerce").to_numpy(dtype=float)
        bor = _bor(sub)
        counts = ", ".join(f"{c} {int(np.sum(bor == c))}" for c in BOR_ORDER if np.any(bor == c))
        drawn = np.isfinite(change)
        name = plot_text(arm_name(arm))
        ax.set_title(f"{name}: {int(drawn.sum())} of {len(sub)} patients drawn ({counts or 'none'})",
                     loc="left", fontsize=10, color=colours[arm], fontweight="bold")
        if not drawn.any():
            no_data(ax, "no patient with a post-baseline assessment")
            continue
        order = np.argsort(-change[drawn], kind="stable")
        values, codes = change[drawn][order], bor[drawn][order]
        x = np.arange(len(values))
        shown = np.clip(values, -100.0, clip_pct)
        ax.bar(x, shown, width=1.0 if len(x) > 80 else 0.85, linewidth=0,
               color=[BOR_COLOURS[c] for c in codes])
        over = values > clip_pct
        clipped_total += int(over.sum())
        if over.any():
            ax.plot(x[over], np.full(int(over.sum()), clip_pct + 6.0), "^", ms=4, color="0.2", clip_on=False)
        _threshold_lines(ax, label=True)
        ax.set_xlim(-0.7, len(x) - 0.3)
        ax.set_xticks([])
        ax.set_ylabel("best change in\ntumour burden (%)")
    axes[0].set_ylim(-105.0, clip_pct + 12.0)
    axes[-1].set_xlabel("patients, sorted by best change from baseline")
    from matplotlib.patches import Patch

    handles = [Patch(color=BOR_COLOURS[c], label=f"{c} ({BOR_NAMES[c]})") for c in BOR_ORDER]
    fig.legend(handles=handles, loc="outside upper center", ncol=5, fontsize=8, frameon=False,
               title="best overall response" + (f"; \u25b2 {clipped_total} bars above +{clip_pct:g}% drawn at "
                                                 f"+{clip_pct:g}%" if clipped_total else ""),
               title_fontsize=8)
    return fig


def _series(group: pd.DataFrame, clip_pct: float) -> tuple[np.ndarray, np.ndarray]:
    """(months, % change) of one patient's assessed points, starting at (0, 0)."""
    g = group.sort_values("time_day")
    t = g["time_day"].to_numpy(dtype=float)
    y = pd.to_numeric(g["burden_change_pct"], errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(t) & np.isfinite(y)
    t, y = t[ok], y[ok]
    if len(t) == 0 or t[0] > 0.0:
        t, y = np.concatenate([[0.0], t]), np.concatenate([[0.0], y])
    return months(t), np.clip(y, -100.0, clip_pct)


def plot_spider(assessments: pd.DataFrame, patients: pd.DataFrame | None = None, *,
                arms: Sequence[str] | None = None, max_patients: int = 60, seed: int = 0,
                clip_pct: float = 100.0) -> Any:
    """% change in tumour burden from baseline over time (months), one line per patient, a panel per arm.

    An arm with more than ``max_patients`` patients shows a random subset drawn with ``seed``
    (the panel title says how many). Durable responders (``patients['durable_response']``) are drawn
    in the arm colour, the others in grey. Values above ``clip_pct`` (%) are drawn at ``clip_pct``.
    """
    cols = [assessments["arm"]] + ([patients["arm"]] if patients is not None else [])
    arms = arm_list(arms, *cols)
    colours = arm_colours(arms)
    durable: set[tuple[str, str]] = set()   # (arm, patient_id): ids need only be unique within an arm
    if patients is not None and "durable_response" in patients:
        d = patients[patients["durable_response"].fillna(False).astype(bool)]
        durable = set(zip(d["arm"].astype(str), d["patient_id"].astype(str)))
    n = max(len(arms), 1)
    fig = new_figure(min(5.2 * n, 13.0), 4.6)
    axes = fig.subplots(1, n, sharey=True, squeeze=False)[0]
    from matplotlib.lines import Line2D

    for k, (ax, arm) in enumerate(zip(axes, arms)):
        sub = assessments[assessments["arm"] == arm]
        ids = pd.unique(sub["patient_id"].astype(str))
        if len(ids) > max_patients:
            rng = np.random.default_rng([int(seed), k])
            ids = np.sort(rng.choice(ids, size=max_patients, replace=False))
        groups = dict(tuple(sub[sub["patient_id"].astype(str).isin(ids)].groupby(sub["patient_id"].astype(str))))
        n_total = sub["patient_id"].nunique()
        n_dur = sum(1 for i in ids if (arm, i) in durable)
        ax.set_title(f"{plot_text(arm_name(arm))}: {len(ids)} of {n_total} patients shown, {n_dur} durable responders",
                     loc="left", fontsize=10, color=colours[arm], fontweight="bold")
        if not groups:
            no_data(ax, "no assessments")
            continue
        for pid in sorted(groups, key=lambda p: (arm, p) in durable):   # durable responders last (on top)
            t, y = _series(groups[pid], clip_pct)
            if (arm, pid) in durable:
                ax.plot(t, y, color=colours[arm], lw=1.6, alpha=0.95, zorder=3)
            else:
                ax.plot(t, y, color="0.55", lw=0.8, alpha=0.6, zorder=2)
        _threshold_lines(ax, label=k == n - 1)
        ax.set_xlabel("months since baseline")
        ax.set_xlim(left=0.0)
        ax.legend(handles=[Line2D([], [], color=colours[arm], lw=1.6, label="durable responder"),
                           Line2D([], [], color="0.55", lw=0.8, label="other patients")],
                  loc="upper right", fontsize=8)
    axes[0].set_ylabel(f"change in tumour burden (%)\nfrom baseline, clipped at +{clip_pct:g}%")
    axes[0].set_ylim(-105.0, clip_pct + 8.0)
    return fig


def _first_cr_months(assessments: pd.DataFrame | None) -> dict[str, float]:
    """Months of each patient's first assessment with a complete response."""
    if assessments is None or len(assessments) == 0:
        return {}
    cr = assessments[assessments["response"].astype("string").str.upper() == "CR"]
    first = cr.groupby(cr["patient_id"].astype(str))["time_day"].min()
    return {str(k): float(v) / MONTH_DAYS for k, v in first.items()}


def _last_response(assessments: pd.DataFrame | None) -> dict[str, tuple[float, str]]:
    """Each patient's last assessed (months, response code)."""
    if assessments is None or len(assessments) == 0:
        return {}
    a = assessments[assessments["response"].notna()].sort_values("time_day")
    last = a.groupby(a["patient_id"].astype(str)).tail(1)
    return {str(p): (float(t) / MONTH_DAYS, str(r).upper())
            for p, t, r in zip(last["patient_id"], last["time_day"], last["response"])}


def _swimmer_rows(sub: pd.DataFrame, assessments: pd.DataFrame | None) -> pd.DataFrame:
    """Per responder: follow-up, treatment end, response onset/end, first CR, ongoing, death (months).

    Optional patient columns win over what the assessments imply: ``time_to_complete_response_days``
    (first CR) and ``duration_of_response_censored`` (response ongoing at the last assessment).
    """
    cr_at = _first_cr_months(assessments)
    last = _last_response(assessments)
    rows = []
    for r in sub.to_dict("records"):
        pid = str(r["patient_id"])
        onset = num(r.get("time_to_response_days"))
        dur = num(r.get("duration_of_response_days"))
        last_t, last_code = last.get(pid, (None, ""))
        cr = num(r.get("time_to_complete_response_days"))
        cr = cr / MONTH_DAYS if cr is not None else cr_at.get(pid)
        censored = r.get("duration_of_response_censored")
        ongoing = bool(censored) if censored is not None and pd.notna(censored) else last_code in RESPONDING
        treat = months(num(r.get("treatment_end_day")) or 0.0).item()
        follow = num(r.get("os_months"))
        follow = follow if follow is not None else last_t
        follow = follow if follow is not None else treat
        end = (onset + dur) / MONTH_DAYS if onset is not None and dur is not None else None
        rows.append({
            "patient_id": pid, "follow": follow, "treat": min(treat, follow),
            "onset": onset / MONTH_DAYS if onset is not None else None, "end": end, "cr": cr, "ongoing": ongoing,
            "death": bool(r.get("os_event")) if pd.notna(r.get("os_event")) else False,
            "durable": bool(r.get("durable_response")) if pd.notna(r.get("durable_response")) else False,
        })
    return pd.DataFrame(rows)


def plot_swimmer(patients: pd.DataFrame, assessments: pd.DataFrame | None = None, *,
                 arms: Sequence[str] | None = None, max_patients: int = 40) -> Any:
    """Objective responders per arm: one bar per patient, time in months since baseline.

    Light bar: follow-up (overall-survival time); solid part: treatment period; black line: the
    response. Markers: response onset, first complete response (from ``assessments``), end of
    response, death; an arrow marks a response still ongoing at the last assessment. Durable
    responders are starred. Per arm only the ``max_patients`` longest follow-ups are shown.
    """
    arms = arm_list(arms, patients["arm"])
    colours = arm_colours(arms)
    responders = patients[patients["objective_response"].fillna(False).astype(bool)]
    tables = {}
    for arm in arms:
        arm_assessments = None if assessments is None else assessments[assessments["arm"] == arm]
        rows = _swimmer_rows(responders[responders["arm"] == arm], arm_assessments)
        total = len(rows)
        if total:
            rows = rows.sort_values("follow", ascending=False, kind="stable").head(max_patients)
        tables[arm] = (rows.iloc[::-1].reset_index(drop=True), total)
    heights = [max(len(t), 3) for t, _ in tables.values()] or [3]
    fig = new_figure(10.0, 1.2 + 0.55 * len(heights) + 0.17 * sum(heights))
    axes = fig.subplots(len(heights), 1, sharex=True, squeeze=False,
                        gridspec_kw={"height_ratios": heights})[:, 0]
    style = {"onset": {"marker": "^", "color": "#1f78b4", "ms": 6}, "cr": {"marker": "*", "color": "#e6a100", "ms": 10},
             "end": {"marker": "s", "color": "#b2182b", "ms": 5}, "death": {"marker": "X", "color": "black", "ms": 6}}
    for ax, arm in zip(axes, arms):
        rows, total = tables[arm]
        title = (f"{plot_text(arm_name(arm))}: {len(rows)} of {total} objective responders" if total
                 else f"{plot_text(arm_name(arm))}: no responders")
        ax.set_title(title, loc="left", fontsize=10, color=colours[arm], fontweight="bold")
        if not total:
            no_data(ax, "no responders")
            continue
        y = np.arange(len(rows))
        ax.barh(y, rows["follow"], height=0.7, color=colours[arm], alpha=0.3, lw=0)
        ax.barh(y, rows["treat"], height=0.7, color=colours[arm], alpha=0.9, lw=0)
        for i, r in rows.iterrows():
            if r["onset"] is not None and np.isfinite(r["onset"]):
                stop = r["end"] if r["end"] is not None and np.isfinite(r["end"]) else r["follow"]
                ax.plot([r["onset"], stop], [i, i], color="black", lw=1.2, zorder=3)
                ax.plot(r["onset"], i, ls="none", zorder=4, **style["onset"])
                if r["ongoing"]:
                    ax.annotate("", xy=(stop + 1.5, i), xytext=(stop, i), zorder=4,
                                arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.0})
                elif r["end"] is not None and np.isfinite(r["end"]):
                    ax.plot(r["end"], i, ls="none", zorder=4, **style["end"])
            if r["cr"] is not None and np.isfinite(r["cr"]):
                ax.plot(r["cr"], i, ls="none", zorder=5, **style["cr"])
            if r["death"]:
                ax.plot(r["follow"], i, ls="none", zorder=4, **style["death"])
        ax.set_yticks(y, [plot_text(f"{p} *" if d else p) for p, d in zip(rows["patient_id"], rows["durable"])],
                      fontsize=7)
        ax.set_ylim(-0.7, max(len(rows), 3) - 0.3)
        ax.set_xlim(left=0.0)
    axes[-1].set_xlabel("months since baseline")
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [Patch(color="0.35", alpha=0.9, label="on treatment"), Patch(color="0.35", alpha=0.3, label="follow-up"),
               Line2D([], [], color="black", lw=1.2, label="in response")]
    handles += [Line2D([], [], ls="none", label=lab, **style[k]) for k, lab in
                (("onset", "response onset"), ("cr", "first CR"), ("end", "end of response"), ("death", "death"))]
    handles.append(Line2D([], [], ls="none", marker=r"$\rightarrow$", color="black", ms=10,
                          label="ongoing at last assessment"))
    fig.legend(handles=handles, loc="outside upper center", ncol=4, fontsize=8, frameon=False,
               title="* durable responder", title_fontsize=8)
    return fig


def plot_lesion_bars(lesion_level: dict[str, dict], published: dict | None = None, *,
                     arms: Sequence[str] | None = None) -> Any:
    """Share of baseline lesions (%) with a >= 50 % decrease and with complete resolution, by category.

    ``lesion_level``: ``{arm: {category: {"decrease_ge_50pct": RATE, "complete_resolution": RATE}}}``
    (the endpoints' ``arms[arm]["lesion_level"]``), drawn with 95 % CI whiskers. ``published``:
    OPTiM's targets; a block ``lesion_level_<arm>_arm`` is drawn hatched beside the arm of that name.
    """
    arms = arm_list(arms, lesion_level.keys())
    colours = arm_colours(arms)
    pub = published.get("targets", published) if isinstance(published, dict) else {}
    series = []   # (label, arm, kind, {category: {metric: entry}})
    for arm in arms:
        series.append((f"{plot_text(arm_name(arm))} (simulated)", arm, "sim", lesion_level.get(arm) or {}))
        block = pub.get(f"lesion_level_{arm}_arm")
        if isinstance(block, dict):
            series.append((f"OPTiM {plot_text(arm_name(arm))} arm (published)", arm, "pub", block))
    fig = new_figure(11.0, 4.4)
    axes = fig.subplots(1, 2, sharey=True)
    width = 0.8 / max(len(series), 1)
    x = np.arange(len(LESION_CATEGORIES))
    for ax, metric, title in zip(axes, ("decrease_ge_50pct", "complete_resolution"),
                                 ("lesions with \u2265 50% decrease", "lesions with complete resolution")):
        for j, (label, arm, kind, data) in enumerate(series):
            pos = x - 0.4 + width * (j + 0.5)
            vals, los, his = [], [], []
            for cat in LESION_CATEGORIES:
                entry = (data.get(cat) or {}).get(metric)
                v = num(entry.get("value") if isinstance(entry, dict) else entry)
                lo, hi = ci_pair(entry)
                vals.append(np.nan if v is None else 100 * v)
                los.append(np.nan if v is None or lo is None else max(100 * (v - lo), 0.0))
                his.append(np.nan if v is None or hi is None else max(100 * (hi - v), 0.0))
            vals_a = np.array(vals)
            if kind == "sim":
                ax.bar(pos, np.nan_to_num(vals_a), width * 0.95, color=colours[arm], label=label,
                       yerr=np.array([los, his]), capsize=3, error_kw={"lw": 1, "ecolor": "0.15"})
            else:
                ax.bar(pos, np.nan_to_num(vals_a), width * 0.95, facecolor="white", edgecolor=colours[arm],
                       hatch="///", lw=1.2, label=label)
            tops = np.fmax(np.nan_to_num(vals_a), np.nan_to_num(vals_a) + np.nan_to_num(np.array(his)))
            for p, v, top in zip(pos, vals_a, tops):
                text = "\u2014" if not np.isfinite(v) else f"{v:.0f}"
                ax.text(p, top + 1.5, text, ha="center", va="bottom", fontsize=7.5)
        ax.set_xticks(x, [LESION_NAMES[c] for c in LESION_CATEGORIES])
        ax.set_title(title, fontsize=10)
        ax.set_ylim(0, 100)
    axes[0].set_ylabel("share of baseline lesions (%)")
    axes[1].legend(loc="upper right", fontsize=8)
    return fig
