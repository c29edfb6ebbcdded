"""Figures of replicated trials: the distribution of key endpoints over replicates, and power curves."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def plot_replicates(table: pd.DataFrame, arms: list[str], published: dict[str, Any] | None = None):
    """Histograms of the key endpoints over the replicates (``replicates.parquet``), OPTiM's published value
    marked (dashed) where the arms are named as in OPTiM."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    from ..trial._replicate_stats import KEY_ENDPOINTS

    first, last = arms[0], arms[-1]
    panels = []
    for template, title, kind in KEY_ENDPOINTS:
        path = template.format(first=first, last=last)
        if path in table.columns and np.isfinite(table[path].to_numpy(dtype=float)).any():
            panels.append((path, title.format(first=first, last=last), _published(published, kind, path, arms)))
    with rc_context({"text.usetex": False}):
        cols = 3
        rows = max(1, -(-len(panels) // cols))
        fig = Figure(figsize=(4 * cols, 2.8 * rows), layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False).ravel()
        for ax, (path, title, pub) in zip(axes, panels):
            v = table[path].to_numpy(dtype=float)
            v = v[np.isfinite(v)]
            ax.hist(v, bins=min(30, max(5, len(v) // 3)), color="#4878a8", alpha=0.8)
            ax.axvline(float(np.median(v)), color="black", linewidth=1, label="median")
            if pub is not None:
                ax.axvline(pub, color="#c03020", linestyle="--", linewidth=1.5, label="OPTiM published")
            ax.set_title(title, fontsize="medium")
            ax.set_ylabel("replicates")
            ax.legend(fontsize="x-small", frameon=False)
        for ax in axes[len(panels):]:
            ax.set_visible(False)
        fig.suptitle(f"{len(table)} replicated trials", usetex=False)
    return fig


def _published(published: dict[str, Any] | None, kind: str | None, path: str, arms: list[str]) -> float | None:
    if not published or kind is None:
        return None
    try:
        if kind == "hazard_ratio":
            return float(published["overall_survival"][f"hazard_ratio_{arms[0]}_vs_{arms[-1]}"]["value"])
        arm = path.split(".")[1]
        if kind == "durable_response_rate":
            return float(published["durable_response_rate"][arm]["value"])
        if kind == "median_months":
            return float(published["overall_survival"]["median_months"][arm]["value"])
    except (KeyError, TypeError, ValueError):
        return None
    return None


def plot_power(power: pd.DataFrame, varied: list[str], rule: str = ""):
    """Probability of success against the first varied setting, with its exact 95% Monte Carlo interval (band);
    one line per combination of the other settings."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    x_name = varied[0]
    others = varied[1:]
    numeric = pd.api.types.is_numeric_dtype(power[x_name])
    with rc_context({"text.usetex": False}):
        fig = Figure(figsize=(7, 4.2), layout="constrained")
        ax = fig.subplots()
        groups = power.groupby(others, sort=False) if others else [((), power)]
        for key, rows in groups:
            key = key if isinstance(key, tuple) else (key,)
            x = rows[x_name].to_numpy(dtype=float) if numeric else np.arange(len(rows))
            label = "; ".join(f"{k}={v}" for k, v in zip(others, key)) or "probability of success"
            line, = ax.plot(x, rows["probability"], marker="o", label=label)
            ax.fill_between(x, rows["ci_low"].astype(float), rows["ci_high"].astype(float), alpha=0.2,
                            color=line.get_color(), linewidth=0)
            if not numeric:
                ax.set_xticks(x, rows[x_name].astype(str))
        ax.set_ylim(0, 1)
        ax.set_xlabel(x_name)
        ax.set_ylabel("probability of success")
        ax.grid(alpha=0.3)
        n = int(power["n_replicates"].max()) if len(power) else 0
        ax.set_title(f"{n} replicates per point; band: exact 95% interval (Monte Carlo)", fontsize="small")
        if rule:
            import textwrap

            fig.suptitle("\n".join(textwrap.wrap(f"success: {rule}", 90)), fontsize="small", usetex=False)
        ax.legend(fontsize="small", frameon=False)
    return fig
