"""Reports and plots: one patient's course, and the virtual trial's self-contained HTML report."""

from ._patient_plot import plot_patient
from ._supply_plots import plot_supply_forecast
from ._trial_plots import plot_forest, plot_lesion_bars, plot_spider, plot_swimmer, plot_waterfall
from ._trial_plots_survival import plot_km
from ._trial_report import FIGURES, render_trial_report, trial_figure, write_trial_report

__all__ = [
    "FIGURES",
    "plot_forest",
    "plot_km",
    "plot_lesion_bars",
    "plot_patient",
    "plot_spider",
    "plot_supply_forecast",
    "plot_swimmer",
    "plot_waterfall",
    "render_trial_report",
    "trial_figure",
    "write_trial_report",
]
