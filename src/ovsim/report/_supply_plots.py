"""The supply forecast figure: weekly T-VEC vials by strength, median and 5-95% band of resampled centres."""

from __future__ import annotations


def plot_supply_forecast(forecast):
    """Weekly vials by strength: median line and 5-95% band (one panel per strength); plain text labels."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    weekly = forecast.weekly
    with rc_context({"text.usetex": False}):
        fig = Figure(figsize=(8, 2.6 * len(forecast.strengths)), layout="constrained")
        axes = fig.subplots(len(forecast.strengths), 1, sharex=True, squeeze=False)[:, 0]
        for ax, s in zip(axes, forecast.strengths):
            w = weekly[weekly["strength"] == s]
            ax.fill_between(w["week"], w["p05"], w["p95"], alpha=0.3, step="mid", label="5-95% of centres")
            ax.step(w["week"], w["median"], where="mid", label="median")
            ax.step(w["week"], w["mean"], where="mid", linestyle="--", linewidth=1, label="mean")
            ax.axvline(forecast.window_days / 7.0 - 0.5, color="grey", linestyle=":", linewidth=1)
            ax.set_ylabel(f"{s} PFU/mL vials\nper week", usetex=False)
            ax.set_ylim(bottom=0)
        axes[-1].set_xlabel("week from the centre's first day (dotted: end of the window; the last week is partial)",
                            usetex=False)
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=3, fontsize="small", frameon=False)
        fig.suptitle(f"T-VEC vials: {forecast.patients_per_month:g} new patients a month, {forecast.months} months "
                     f"({forecast.replicates} resampled centres)", usetex=False)
    return fig
