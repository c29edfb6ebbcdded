"""The T-VEC lesion-immune model: sites, states, parameters, right-hand side, lesion geometry."""

from ._sites import SITE_NAMES, Site

__all__ = ["SITE_NAMES", "Site"]
