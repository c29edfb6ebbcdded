"""Response codes and the per-visit response table every criterion returns."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np


class Response(IntEnum):
    """Response at one assessment, ordered best to worst (NE = not evaluated / not assessed)."""

    CR = 0
    PR = 1
    SD = 2
    PD = 3
    NE = 4


RESPONSE_NAMES = np.array([r.name for r in Response], dtype=object)


def response_names(codes: np.ndarray) -> np.ndarray:
    """String names ('CR', 'PR', 'SD', 'PD', 'NE') of an array of integer response codes."""
    return RESPONSE_NAMES[np.asarray(codes, dtype=int)]


@dataclass(frozen=True, eq=False)
class ResponseTable:
    """Per-visit responses of P patients at V assessments under one criterion.

    criterion: 'modified_who', 'recist11' or 'irrc'.
    time_day: (V,) assessment days (visit 0 = baseline).
    burden: (P, V) the criterion's tumour burden (``burden_units``: cm for RECIST's sum of
      diameters, cm2 for sums of products); NaN where not assessed.
    baseline_burden: (P,) burden at visit 0.
    response: (P, V) :class:`Response` codes; NE at baseline (visit 0 is not a response
      assessment), at visits not assessed and everywhere for patients not evaluable.
    new_lesion: (P, V) True where a lesion is first seen at that visit.
    evaluable: (P,) the patient has a baseline the criterion can measure.
    """

    criterion: str
    time_day: np.ndarray
    burden: np.ndarray
    baseline_burden: np.ndarray
    response: np.ndarray
    new_lesion: np.ndarray
    evaluable: np.ndarray
    burden_units: str = "cm2"

    def __post_init__(self) -> None:
        v = np.shape(self.time_day)[0]
        p = np.shape(self.evaluable)[0]
        for name in ("burden", "response", "new_lesion"):
            if np.shape(getattr(self, name)) != (p, v):
                raise ValueError(f"{name}: expected shape (P, V) = {(p, v)} (got {np.shape(getattr(self, name))})")
        if np.shape(self.baseline_burden) != (p,):
            raise ValueError(f"baseline_burden: expected shape ({p},) (got {np.shape(self.baseline_burden)})")

    @property
    def n_patients(self) -> int:
        return self.response.shape[0]

    @property
    def assessed(self) -> np.ndarray:
        """(P, V) True at post-baseline visits with a response (CR, PR, SD or PD)."""
        return self.response != Response.NE

    def response_names(self) -> np.ndarray:
        """(P, V) response names ('CR', 'PR', 'SD', 'PD', 'NE')."""
        return response_names(self.response)

    def best_overall_response(self) -> np.ndarray:
        """(P,) best code over assessed post-baseline visits (CR > PR > SD > PD); NE if none."""
        codes = self.response[:, 1:]
        if codes.shape[1] == 0:
            return np.full(self.n_patients, int(Response.NE))
        return np.min(codes, axis=1).astype(int)
