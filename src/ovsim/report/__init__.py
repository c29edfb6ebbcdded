"""Reports and plots."""

from ._patient_plot import plot_patient

__all__ = ["plot_patient"]
