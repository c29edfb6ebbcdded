"""A weighted pool of plausible patients, and virtual populations drawn from it.

Calibration (``ovsim calibrate``) simulates a pool of plausible patients and weights them so
the pool reproduces OPTiM's published results (:mod:`ovsim.population._selection`). A virtual
population is then drawn from the pool: patient ``i`` of seed ``s`` takes its stage from the
arm's stage mix (stream ``SeedSequence(s, spawn_key=(i,))``) and a plausible patient of that
stage with probability proportional to its weight (stream ``(i, 3)``), so any shard of a
population is the same. The calibrated pool ships in ``ovsim/data/calibrated/``.

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
                   start: int = 0, member: int | None = None) -> Population:
    """``n`` virtual patients (indices ``start .. start+n-1``) of ``arm`` drawn from ``pool``.

    member: the calibration-ensemble member whose weights are used (``None``: the posterior-mean weights);
    ``ValueError`` ("calibration_member: expected 0..M-1 ...") if the pool has no such member."""
    pool = pool.member(member)
    if n < 0 or start < 0:
        raise ValueError(f"n, start: expected >= 0 (got {n}, {start})")
    if not (isinstance(seed, (int, np.integer)) and seed >= 0):
        raise ValueError(f"seed: expected an integer >= 0 (got {seed!r})")
    probs = np.array([stage_mix.get(s, 0.0) for s in STAGES], dtype=float)
    if probs.sum() <= 0:
        raise ValueError(f"stage_mix: expected positive shares for some of {', '.join(STAGES)}")
    index = np.arange(start, start + n)
    stages = np.array([
        STAGES[int(np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(i),)))
                   .choice(len(STAGES), p=probs / probs.sum()))]
        for i in index
    ], dtype=object)
    pool_stage = pool.population.patients["stage"].to_numpy(dtype=object)
    missing = sorted(set(stages) - set(pool_stage[pool.weights > 0]))
    if missing:
        raise ValueError(f"pool: no weighted plausible patient of stage {missing[0]}")
    pick = resample_indexed(pool.weights, int(seed), index, labels=stages, strata=pool_stage)
    src = pool.population.patients.iloc[pick].reset_index(drop=True)
    ids = np.array([f"VP{i:07d}" for i in index], dtype=object)
    patients = src.copy()
    patients["patient_id"], patients["index"], patients["arm"] = ids, index, arm
    patients["pool_patient_id"] = src["patient_id"].to_numpy()
    groups = pool.population.lesions.groupby("patient_id", sort=False)
    rows = []
    for new_id, old_id in zip(ids, src["patient_id"]):
        les = groups.get_group(old_id).copy()
        les["lesion_id"] = [f"{new_id}-{lid.rsplit('-', 1)[-1]}" for lid in les["lesion_id"]]
        les["patient_id"] = new_id
        rows.append(les)
    lesions = pd.concat(rows, ignore_index=True) if rows else pool.population.lesions.iloc[:0].copy()
    provenance = {**pool.provenance, "drawn_seed": int(seed), "arm": arm}
    return Population.from_tables(patients, lesions, provenance, source="calibrated pool")
