"""A weighted pool of plausible patients, and virtual populations drawn from it.

Calibration (``ovsim calibrate``) simulates a pool of plausible patients and weights them so
the pool reproduces OPTiM's published results (:mod:`ovsim.population._selection`). A virtual
population is then drawn from the pool: patient ``i`` of seed ``s`` takes its stage from the
arm's stage mix (stream ``SeedSequence(s, spawn_key=(i,))``) and a plausible patient of that
stage with probability proportional to its weight (stream ``(i, 3)``), so any shard of a
population is the same. Its body weight ``weight_kg`` is derived from the pool patient's ``bsa_m2`` and
a height drawn from the virtual patient's own stream ``(i, 10)`` (:mod:`ovsim.population._weight`); it
replaces any ``weight_kg`` of the pool (a pool without ``bsa_m2`` keeps its own ``weight_kg``, if any, else
the default applies). The calibrated pool ships in ``ovsim/data/calibrated/``.

A calibration ensemble (M weightings of the same pool, one per posterior draw) ships as extra columns
``weight_0 .. weight_{M-1}`` of ``patients.parquet`` beside ``weight`` (the posterior-mean weights);
``draw_from_pool(..., member=k)`` draws with member ``k``'s weights instead of ``weight``.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._population import Population
from ._resample import resample_indexed
from ._spec import STAGES
from ._weight import weights_kg


@dataclass(frozen=True, eq=False)
class WeightedPool:
    """Plausible patients (a :class:`Population`) with selection weights (sum 1) and provenance.

    members: optional (M, N) weights of a calibration ensemble (one row per member; ``weight_<k>``)."""

    population: Population
    weights: np.ndarray
    provenance: dict[str, Any] = field(default_factory=dict)
    members: np.ndarray | None = None

    def __post_init__(self) -> None:
        w = np.asarray(self.weights, dtype=float)
        if w.shape != (len(self.population),) or not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
            raise ValueError(f"weights: expected {len(self.population)} finite values >= 0 with a positive sum")
        object.__setattr__(self, "weights", w / w.sum())
        if self.members is not None:
            m = np.asarray(self.members, dtype=float).reshape(-1, len(self.population))
            if not np.all(np.isfinite(m)) or (m < 0).any() or (m.sum(axis=1) <= 0).any():
                raise ValueError("members: expected finite weights >= 0 with a positive sum for every member")
            object.__setattr__(self, "members", m / m.sum(axis=1, keepdims=True))

    @property
    def n_members(self) -> int:
        """Members of the calibration ensemble (0 when only the posterior-mean weights ship)."""
        return 0 if self.members is None else int(self.members.shape[0])

    def member(self, k: int | None) -> "WeightedPool":
        """The pool with calibration-ensemble member ``k``'s weights (``None``: this pool, posterior-mean weights).

        ``ValueError`` (one line) unless ``0 <= k < n_members``."""
        if k is None:
            return self
        m = self.n_members
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k < m:
            expected = f"0..{m - 1}" if m else "null"
            raise ValueError(f"calibration_member: expected {expected} (the shipped calibration has {m} members; "
                             f"got {k!r})")
        return WeightedPool(self.population, self.members[int(k)], {**self.provenance, "calibration_member": int(k)})

    @property
    def effective_sample_size(self) -> float:
        """Kish effective sample size of the weights."""
        return float(1.0 / np.sum(self.weights**2))

    def save(self, folder: str | Path) -> Path:
        """Write ``patients.parquet`` (with a ``weight`` column), ``lesions.parquet``, ``pool.json``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        patients = self.population.patients.copy()
        patients["weight"] = self.weights
        for k in range(self.n_members):
            patients[f"weight_{k}"] = self.members[k]
        from .._parquet import write_parquet
        from ._columns import column_docs

        docs = column_docs()
        write_parquet(patients, folder / "patients.parquet", "pool/patients.parquet", docs["pool/patients.parquet"])
        write_parquet(self.population.lesions, folder / "lesions.parquet", "pool/lesions.parquet",
                      docs["pool/lesions.parquet"])
        (folder / "pool.json").write_text(json.dumps(self.provenance, indent=2, default=str) + "\n")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "WeightedPool":
        """A pool written by :meth:`save`."""
        folder = Path(folder)
        try:
            patients = pd.read_parquet(folder / "patients.parquet")
            lesions = pd.read_parquet(folder / "lesions.parquet")
        except (OSError, ValueError) as err:
            raise ValueError(f"{folder}: cannot read the pool ({err})") from None
        if "weight" not in patients:
            raise ValueError(f"{folder}/patients.parquet: weight: missing column (expected selection weights)")
        weights = patients.pop("weight").to_numpy(dtype=float)
        numbered = sorted((int(c[7:]), c) for c in patients.columns if re.fullmatch(r"weight_\d+", str(c)))
        if [k for k, _ in numbered] != list(range(len(numbered))):
            raise ValueError(f"{folder}/patients.parquet: weight_<k>: expected columns weight_0 .. weight_{{M-1}} "
                             f"(got {', '.join(c for _, c in numbered)})")
        members = np.stack([patients.pop(c).to_numpy(dtype=float) for _, c in numbered]) if numbered else None
        meta = folder / "pool.json"
        provenance = json.loads(meta.read_text()) if meta.exists() else {}
        return cls(Population.from_tables(patients, lesions, provenance, source=str(folder)), weights, provenance,
                   members)


def calibrated_pool_path() -> Path:
    """Folder of the shipped calibrated pool."""
    return Path(str(resources.files("ovsim.data").joinpath("calibrated")))


@functools.cache
def load_calibrated_pool() -> WeightedPool:
    """The shipped OPTiM-calibrated pool (``ovsim/data/calibrated``)."""
    path = calibrated_pool_path()
    if not (path / "patients.parquet").exists():
        raise ValueError(f"{path}: no calibrated pool shipped (run `ovsim calibrate --ship`)")
    return WeightedPool.load(path)


def draw_from_pool(pool: WeightedPool, n: int, seed: int, stage_mix: dict[str, float], arm: str,
                   start: int = 0, member: int | None = None,
                   ldh_above_uln_fraction: float | None = None) -> Population:
    """``n`` virtual patients (indices ``start .. start+n-1``) of ``arm`` drawn from ``pool``.

    member: the calibration-ensemble member whose weights are used (``None``: the posterior-mean weights);
    ``ValueError`` ("calibration_member: expected 0..M-1 ...") if the pool has no such member.

    ldh_above_uln_fraction: with a share (0-1) of patients with LDH above the upper limit of normal, a patient
    drawn into stage IVM1c (AJCC 7: elevated LDH makes M1c, so the pool has LDH > ULN in M1c only) is
    LDH-high with probability share / M1c share (the next uniform of the patient's stage stream, key ``(i,)``)
    and is then drawn from the pool's M1c patients of that LDH stratum, in proportion to their weights
    (with replacement, so a small stratum is resampled often). ``None``: the pool's own LDH mix within stage.
    ``ValueError`` (one line) if the share exceeds the M1c share, or a needed stratum has no weighted patient."""
    pool = pool.member(member)
    if n < 0 or start < 0:
        raise ValueError(f"n, start: expected >= 0 (got {n}, {start})")
    if not (isinstance(seed, (int, np.integer)) and seed >= 0):
        raise ValueError(f"seed: expected an integer >= 0 (got {seed!r})")
    probs = np.array([stage_mix.get(s, 0.0) for s in STAGES], dtype=float)
    if probs.sum() <= 0:
        raise ValueError(f"stage_mix: expected positive shares for some of {', '.join(STAGES)}")
    probs = probs / probs.sum()
    p_high = _ldh_high_given_m1c(ldh_above_uln_fraction, float(probs[STAGES.index("IVM1c")]))
    index = np.arange(start, start + n)
    stages = np.empty(n, dtype=object)
    high = np.zeros(n, dtype=bool)
    for k, i in enumerate(index):
        rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(i),)))
        stages[k] = STAGES[int(rng.choice(len(STAGES), p=probs))]
        if p_high is not None and stages[k] == "IVM1c":
            high[k] = rng.random() < p_high
    pool_stage = pool.population.patients["stage"].to_numpy(dtype=object)
    missing = sorted(set(stages) - set(pool_stage[pool.weights > 0]))
    if missing:
        raise ValueError(f"pool: no weighted plausible patient of stage {missing[0]}")
    labels, strata = stages, pool_stage
    if p_high is not None:
        pool_high = pool.population.patients["ldh_x_uln"].to_numpy(dtype=float) > 1.0
        strata = np.array([_ldh_label(s, h) for s, h in zip(pool_stage, pool_high)], dtype=object)
        labels = np.array([_ldh_label(s, h) for s, h in zip(stages, high)], dtype=object)
        missing = sorted(set(labels) - set(strata[pool.weights > 0]))
        if missing:
            raise ValueError(f"pool: no weighted plausible patient in stratum {missing[0]} "
                             "(ldh_above_uln_fraction needs M1c patients with LDH above and below ULN)")
    pick = resample_indexed(pool.weights, int(seed), index, labels=labels, strata=strata)
    src = pool.population.patients.iloc[pick].reset_index(drop=True)
    ids = np.array([f"VP{i:07d}" for i in index], dtype=object)
    patients = src.copy()
    patients["patient_id"], patients["index"], patients["arm"] = ids, index, arm
    patients["pool_patient_id"] = src["patient_id"].to_numpy()
    if "bsa_m2" in patients.columns:
        patients["weight_kg"] = weights_kg(int(seed), index, pd.to_numeric(patients["bsa_m2"], errors="coerce"))
    groups = pool.population.lesions.groupby("patient_id", sort=False)
    rows = []
    for new_id, old_id in zip(ids, src["patient_id"]):
        les = groups.get_group(old_id).copy()
        les["lesion_id"] = [f"{new_id}-{lid.rsplit('-', 1)[-1]}" for lid in les["lesion_id"]]
        les["patient_id"] = new_id
        rows.append(les)
    lesions = pd.concat(rows, ignore_index=True) if rows else pool.population.lesions.iloc[:0].copy()
    provenance = {**pool.provenance, "drawn_seed": int(seed), "arm": arm}
    if p_high is not None:
        provenance["ldh_above_uln_fraction"] = float(ldh_above_uln_fraction)
    return Population.from_tables(patients, lesions, provenance, source="calibrated pool")


def _ldh_label(stage: str, high: bool) -> str:
    return f"{stage}:ldh_{'high' if high else 'normal'}" if stage == "IVM1c" else stage


def _ldh_high_given_m1c(share: float | None, m1c: float) -> float | None:
    """P(LDH > ULN | M1c) for an overall LDH-high ``share`` and an M1c share ``m1c`` (None: no LDH mix)."""
    if share is None:
        return None
    if not (isinstance(share, (int, float)) and 0.0 <= share <= 1.0):
        raise ValueError(f"ldh_above_uln_fraction: expected a fraction 0-1 (got {share!r})")
    if share > m1c + 1e-9:
        raise ValueError(f"ldh_above_uln_fraction: expected at most the IVM1c share of the stage mix ({m1c:.3g}; "
                         f"elevated LDH makes M1c, AJCC 7) (got {share:g})")
    return 0.0 if m1c <= 0 else min(1.0, share / m1c)
