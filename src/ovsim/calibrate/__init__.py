"""Calibration of virtual populations to published trial results (OPTiM).

Plausible patients simulated over documented parameter ranges are weighted — and then
resampled — into a virtual population whose summaries (response rates, ratios, medians,
stratum shares) match the clinical targets: prevalence weighting by minimum relative entropy
(Allen, Rieger & Musante 2016; Rieger et al. 2018; Hainmueller 2012). See
:mod:`ovsim.population._selection` for the method.
"""

from ..population._selection import (
    Constraint,
    Weights,
    prevalence_weights,
    quantile_constraint,
    rate_constraint,
    ratio_constraint,
    resample,
    resample_indexed,
    resample_one,
    share_constraint,
)

__all__ = [
    "Constraint",
    "Weights",
    "prevalence_weights",
    "quantile_constraint",
    "rate_constraint",
    "ratio_constraint",
    "resample",
    "resample_indexed",
    "resample_one",
    "share_constraint",
]
