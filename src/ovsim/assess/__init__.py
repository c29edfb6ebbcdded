"""Tumour response assessment: response criteria over measured lesions, and per-patient outcomes.

Measured diameters (:class:`Measurements`, P patients x V assessments x L lesion slots) go
through a criterion -- :func:`modified_who` (OPTiM), :func:`recist11` or :func:`irrc` -- to a
per-visit :class:`ResponseTable`; :func:`response_outcomes` turns that into one row per patient
(best overall response, time to and duration of response, durable response, ...), and
:func:`lesion_outcomes` gives OPTiM's lesion-level analysis. Everything is numpy, vectorised
over patients; ``import ovsim.assess`` does not import JAX. Rules: ``docs/assessment.md``.
"""

from ._irrc import irrc
from ._lesions import CATEGORIES as LESION_CATEGORIES
from ._lesions import LESION_COLUMNS, lesion_outcomes
from ._measure import measure, measurement_normals
from ._measurements import Measurements
from ._outcomes import OUTCOME_COLUMNS, response_outcomes
from ._recist import recist11
from ._table import Response, ResponseTable, response_names
from ._who import modified_who

CRITERIA = {
    "modified_who": modified_who,
    "recist11": recist11,
    "irrc": irrc,
}
"""Criterion name -> function ``(Measurements, **options) -> ResponseTable``."""

__all__ = [
    "CRITERIA",
    "LESION_CATEGORIES",
    "LESION_COLUMNS",
    "OUTCOME_COLUMNS",
    "Measurements",
    "Response",
    "ResponseTable",
    "irrc",
    "lesion_outcomes",
    "measure",
    "measurement_normals",
    "modified_who",
    "recist11",
    "response_names",
    "response_outcomes",
]
