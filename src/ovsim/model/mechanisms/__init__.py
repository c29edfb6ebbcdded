"""The mechanisms of the T-VEC lesion-immune model, one module each, in the order they are composed.

The order fixes the layout of the state vector (lesion-major, then systemic; NONMEM ``CMT`` numbers are
1-based positions in it). A new mechanism is a new module here plus its entry in :data:`MECHANISMS`.
"""

from . import antigen_dc, antiviral, growth, humoral, inflammation, local_gmcsf, priming, systemic_gmcsf, tcells, virus
from .tcells import INFILTRATION_BY_SITE

MECHANISMS = (
    growth.MECHANISM,
    virus.MECHANISM,
    local_gmcsf.MECHANISM,
    inflammation.MECHANISM,
    antiviral.MECHANISM,
    antigen_dc.MECHANISM,
    priming.MECHANISM,
    tcells.MECHANISM,
    humoral.MECHANISM,
    systemic_gmcsf.MECHANISM,
)
"""The default model, in composition order."""

__all__ = ["INFILTRATION_BY_SITE", "MECHANISMS"]
