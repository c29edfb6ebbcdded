"""Measured lesion diameters at tumour assessments: the input of every response criterion.

Measurement noise and detection are applied upstream; this module only checks shapes and values
and derives what every criterion needs (which visits were assessed, which lesions were seen at
baseline, which are new and when they first appeared).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ovsim.model._sites import SITE_NAMES, Site

_NODAL_CODE = SITE_NAMES.index(Site.NODAL.value)
_VISCERAL_CODES = np.array([Site(s).visceral for s in SITE_NAMES], dtype=bool)


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Measurements:
    """Measured lesions of P patients at V assessments (L lesion slots per patient).

    time_day: (V,) assessment days, strictly increasing; ``time_day[0] == 0`` is the baseline.
    longest_cm: (P, V, L) measured longest diameter (cm); 0 = not seen (below detection or gone);
      NaN = not assessed (after death, off study).
    perpendicular_cm: (P, V, L) measured longest perpendicular diameter (cm); 0 and NaN as above.
    site: (P, L) site names (values of :class:`ovsim.model.Site`); ``''`` for padded slots.
    exists: (P, L) True for a real lesion slot; padded slots (False) are ignored everywhere.
    injected: (P, L) True if the lesion was ever injected (lesion-level categories only).

    A visit is *assessed* for a patient when every real lesion has finite diameters there; a
    visit with any NaN (whole or partial) is not assessed (NE) and skipped by every derivation.
    Arrays are copied and made read-only. Shape or value errors raise a one-line ``ValueError``
    that names the field.
    """

    time_day: np.ndarray
    longest_cm: np.ndarray
    perpendicular_cm: np.ndarray
    site: np.ndarray
    exists: np.ndarray
    injected: np.ndarray

    def __post_init__(self) -> None:
        t = np.array(self.time_day, dtype=float)
        if t.ndim != 1 or t.size < 1:
            raise ValueError(f"time_day: expected a 1-D array of at least one day (got shape {t.shape})")
        if not np.all(np.isfinite(t)) or t[0] != 0.0 or np.any(np.diff(t) <= 0):
            raise ValueError("time_day: expected finite, strictly increasing days starting at 0 (the baseline)")
        longest = np.array(self.longest_cm, dtype=float)
        if longest.ndim != 3 or longest.shape[1] != t.size:
            raise ValueError(f"longest_cm: expected shape (P, V, L) with V = len(time_day) = {t.size} "
                             f"(got {longest.shape})")
        perp = np.array(self.perpendicular_cm, dtype=float)
        if perp.shape != longest.shape:
            raise ValueError(f"perpendicular_cm: expected shape {longest.shape} like longest_cm (got {perp.shape})")
        p, _, n = longest.shape
        site = np.array(self.site, dtype=object)
        exists = np.array(self.exists)
        injected = np.array(self.injected)
        for name, a in (("site", site), ("exists", exists), ("injected", injected)):
            if a.shape != (p, n):
                raise ValueError(f"{name}: expected shape (P, L) = {(p, n)} (got {a.shape})")
        for name, a in (("exists", exists), ("injected", injected)):
            if a.dtype != bool:
                raise ValueError(f"{name}: expected a bool array (got dtype {a.dtype})")
        for name, a in (("longest_cm", longest), ("perpendicular_cm", perp)):
            if np.any(a < 0) or np.any(np.isinf(a)):
                raise ValueError(f"{name}: expected finite diameters >= 0 cm or NaN (not assessed)")
        bad = np.argwhere(exists & ~np.isin(site.astype(str), SITE_NAMES))
        if bad.size:
            i, j = bad[0]
            raise ValueError(f"site: expected one of {', '.join(SITE_NAMES)} for real lesions "
                             f"(got {site[i, j]!r} at patient {i}, lesion {j})")
        for name, a in (("time_day", t), ("longest_cm", longest), ("perpendicular_cm", perp),
                        ("site", site), ("exists", exists), ("injected", injected)):
            object.__setattr__(self, name, _frozen(a))

    @property
    def n_patients(self) -> int:
        return self.longest_cm.shape[0]

    @property
    def n_visits(self) -> int:
        return self.longest_cm.shape[1]

    @property
    def n_lesions(self) -> int:
        """Lesion slots per patient (padded slots included)."""
        return self.longest_cm.shape[2]


@dataclass(frozen=True, eq=False)
class Prepared:
    """What every criterion derives from :class:`Measurements` (private).

    longest_cm, perpendicular_cm: (P, V, L) with padded slots and non-assessed visits set to 0;
    assessed: (P, V); seen: (P, V, L) lesion seen (longest > 0) at an assessed visit;
    baseline: (P, L) seen at visit 0; new: (P, L) real lesion first seen after visit 0;
    first_seen: (P, L) index of the first visit it is seen (V if never);
    new_lesion: (P, V) some lesion is first seen at this visit (never at visit 0);
    evaluable: (P,) visit 0 assessed and some lesion seen there;
    site_code: (P, L) index into ``SITE_NAMES`` (-1 for padded slots); nodal, visceral: (P, L).
    """

    time_day: np.ndarray
    longest_cm: np.ndarray
    perpendicular_cm: np.ndarray
    exists: np.ndarray
    assessed: np.ndarray
    seen: np.ndarray
    baseline: np.ndarray
    new: np.ndarray
    first_seen: np.ndarray
    new_lesion: np.ndarray
    evaluable: np.ndarray
    site_code: np.ndarray
    nodal: np.ndarray
    visceral: np.ndarray


def prepare(meas: Measurements) -> Prepared:
    """Masks and cleaned diameters shared by the criteria (vectorised over patients)."""
    exists = meas.exists
    real = exists[:, None, :]
    finite = np.isfinite(meas.longest_cm) & np.isfinite(meas.perpendicular_cm)
    assessed = np.all(finite | ~real, axis=2)
    keep = real & assessed[:, :, None]
    longest = np.where(keep, np.nan_to_num(meas.longest_cm), 0.0)
    perp = np.where(keep, np.nan_to_num(meas.perpendicular_cm), 0.0)
    seen = longest > 0
    n_visits = meas.n_visits
    baseline = seen[:, 0, :]
    ever = seen.any(axis=1)
    first_seen = np.where(ever, np.argmax(seen, axis=1), n_visits)
    new = ever & ~baseline
    visit = np.arange(n_visits)
    new_lesion = np.any(new[:, None, :] & (first_seen[:, None, :] == visit[None, :, None]), axis=2)
    evaluable = assessed[:, 0] & baseline.any(axis=1)
    names, inverse = np.unique(meas.site.astype(str), return_inverse=True)
    codes = np.array([SITE_NAMES.index(n) if n in SITE_NAMES else -1 for n in names], dtype=int)
    site_code = np.where(exists, codes[inverse.reshape(exists.shape)], -1)
    nodal = site_code == _NODAL_CODE
    visceral = np.where(site_code >= 0, _VISCERAL_CODES[np.maximum(site_code, 0)], False)
    return Prepared(meas.time_day, longest, perp, exists, assessed, seen, baseline, new, first_seen,
                    new_lesion, evaluable, site_code, nodal, visceral)
