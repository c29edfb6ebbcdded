"""Measuring simulated lesions as a clinic would: noisy diameters and a detection limit.

Lesions are spheres in ovsim, so the true longest and perpendicular diameters are equal; each is
measured independently with log-normal error (coefficient of variation ``cv``), and a lesion
whose true diameter is below ``detection_limit_cm`` is recorded as not seen (0). Inter-observer
error of a few millimetres (10-20% of a 1-2 cm lesion) is typical of caliper and CT measurement
(Erasmus et al. J Clin Oncol 2003;21:2574); the default cv = 0.10 is assumed.
"""

from __future__ import annotations

import numpy as np

from ._measurements import Measurements


def measurement_normals(seed: int, index: np.ndarray, n_visits: int, n_slots: int) -> np.ndarray:
    """(P, 2, V, L) standard normals; patient ``i`` uses ``SeedSequence(seed, spawn_key=(i, 1))``.

    Each patient's draws depend only on the seed and its index, never on the batch or shard.
    """
    out = np.empty((len(index), 2, n_visits, n_slots))
    for k, i in enumerate(np.asarray(index, dtype=int)):
        rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(i), 1)))
        out[k] = rng.standard_normal((2, n_visits, n_slots))
    return out


def measure(
    time_day: np.ndarray,
    true_diameter_cm: np.ndarray,
    exists: np.ndarray,
    site: np.ndarray,
    injected: np.ndarray,
    normals: np.ndarray,
    *,
    cv: float = 0.10,
    detection_limit_cm: float = 0.2,
    assessed: np.ndarray | None = None,
) -> Measurements:
    """Measured lesions from true diameters.

    time_day: (V,) days; true_diameter_cm: (P, V, L) (cm); exists, injected: (P, L) bool; site: (P, L)
    names; normals: (P, 2, V, L) from :func:`measurement_normals`; assessed: (P, V) bool, False
    where the patient is not assessed (e.g. after death): those visits become NaN.
    """
    d = np.asarray(true_diameter_cm, dtype=float)
    if not (cv >= 0 and detection_limit_cm > 0):
        raise ValueError(f"cv, detection_limit_cm: expected cv >= 0 and a limit > 0 (got {cv}, {detection_limit_cm})")
    if normals.shape != (d.shape[0], 2) + d.shape[1:]:
        raise ValueError(f"normals: expected shape {(d.shape[0], 2) + d.shape[1:]} (got {normals.shape})")
    sigma = np.sqrt(np.log1p(cv * cv))
    seen = (d >= detection_limit_cm) & np.asarray(exists, dtype=bool)[:, None, :]
    longest = np.where(seen, d * np.exp(sigma * normals[:, 0] - 0.5 * sigma * sigma), 0.0)
    perp = np.where(seen, d * np.exp(sigma * normals[:, 1] - 0.5 * sigma * sigma), 0.0)
    # the longest diameter is, by definition, not shorter than its perpendicular
    longest, perp = np.maximum(longest, perp), np.minimum(longest, perp)
    if assessed is not None:
        off = ~np.asarray(assessed, dtype=bool)[:, :, None]
        longest = np.where(off, np.nan, longest)
        perp = np.where(off, np.nan, perp)
    return Measurements(
        time_day=np.asarray(time_day, dtype=float), longest_cm=longest, perpendicular_cm=perp,
        site=np.where(exists, site, ""), exists=np.asarray(exists, dtype=bool), injected=np.asarray(injected, dtype=bool),
    )
