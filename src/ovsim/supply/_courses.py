"""Treatment courses of virtual patients as vial needs by visit day, simulated once and cached.

A course is one virtual patient's T-VEC use from its first visit (day 0): for every visit day and
strength, the vials thawed. :func:`simulate_courses` draws patients from the shipped calibrated pool
(OPTiM's T-VEC stage mix), simulates them on the regimen (by default the label with OPTiM's duration
rules) and keeps their courses; :func:`forecast_supply` then only resamples them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._vials import label_strengths, visit_vials

COURSE_COLUMNS = ("course", "patient_id", "day", "strength", "volume_ml", "vials")
DEFAULT_REGIMEN: dict[str, Any] = {"tvec": "optim"}
_META_KEY = b"ovsim.courses"


@dataclass(frozen=True, eq=False)
class Courses:
    """Vial needs of ``n_courses`` simulated patients.

    visits: one row per course, visit day (days from the first visit) and strength: ``course`` (0-based),
      ``patient_id``, ``day``, ``strength`` (``1e6``, ``1e8``), ``volume_ml``, ``vials``. A course without
      T-VEC has no rows but still counts (it needs no vials).
    provenance: how they were made (patients, seed, regimen, horizon, failed patients left out, version).
    """

    visits: pd.DataFrame
    n_courses: int
    provenance: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = [c for c in COURSE_COLUMNS if c not in self.visits.columns]
        if missing:
            raise ValueError(f"courses: missing column(s) {', '.join(missing)}")
        if self.n_courses < 1:
            raise ValueError("courses: expected at least one course")
        c = self.visits["course"].to_numpy()
        if len(c) and (c.min() < 0 or c.max() >= self.n_courses):
            raise ValueError(f"courses: course index outside 0..{self.n_courses - 1}")
        if (self.visits["vials"].to_numpy() < 0).any() or (self.visits["day"].to_numpy() < 0).any():
            raise ValueError("courses: vials and days must be >= 0")

    @property
    def strengths(self) -> list[str]:
        """The label's strengths, then any other found in the courses."""
        names = label_strengths()
        return names + sorted(set(self.visits["strength"]) - set(names))

    def vials_per_course(self) -> pd.DataFrame:
        """Vials of each strength per course (rows: courses 0..n-1, zeros included)."""
        table = self.visits.pivot_table(index="course", columns="strength", values="vials", aggfunc="sum", fill_value=0)
        return table.reindex(index=range(self.n_courses), columns=self.strengths, fill_value=0).astype(int)

    def save(self, path: str | Path) -> Path:
        """Write the courses as one Parquet file (provenance in its metadata), atomically."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        from .._parquet import documented_table
        from ._columns import COLUMN_DOCS

        table = documented_table(self.visits[list(COURSE_COLUMNS)], "supply/courses.parquet",
                                 COLUMN_DOCS["supply/courses.parquet"])
        meta = {**(table.schema.metadata or {}),
                _META_KEY: json.dumps({"n_courses": self.n_courses, "provenance": self.provenance}, default=str).encode()}
        tmp = path.with_name(f".{path.name}.tmp")
        pq.write_table(table.replace_schema_metadata(meta), tmp)
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "Courses":
        """Courses written by :meth:`save`."""
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except (OSError, ValueError) as err:
            raise ValueError(f"{path}: cannot read courses ({err})") from None
        raw = (table.schema.metadata or {}).get(_META_KEY)
        if raw is None:
            raise ValueError(f"{path}: not a courses file (written by ovsim supply --courses)")
        meta = json.loads(raw)
        return cls(table.to_pandas(), int(meta["n_courses"]), meta.get("provenance", {}))


def courses_from_doses(doses: pd.DataFrame, patient_ids: list[str] | None = None,
                       provenance: dict[str, Any] | None = None) -> Courses:
    """Courses from dose records: one per patient of ``patient_ids`` (default: those with records), in that
    order; days count from each patient's first T-VEC visit."""
    visits = visit_vials(doses)
    ids = list(dict.fromkeys(visits["patient_id"])) if patient_ids is None else [str(i) for i in patient_ids]
    index = {pid: k for k, pid in enumerate(ids)}
    visits = visits[visits["patient_id"].isin(index)].copy()
    visits["course"] = visits["patient_id"].map(index).astype(int)
    visits["day"] = visits["day"] - visits.groupby("course")["day"].transform("min")
    visits = visits.sort_values(["course", "day", "strength"], kind="stable").reset_index(drop=True)
    return Courses(visits[list(COURSE_COLUMNS)], len(ids), dict(provenance or {}))


def simulate_courses(
    n_patients: int,
    seed: int = 0,
    *,
    regimen: Any = None,
    horizon_days: float = 730.0,
    output_every_days: float = 28.0,
    workers: int = 1,
    chunk_size: int = 128,
    progress: bool = False,
) -> Courses:
    """Simulate ``n_patients`` virtual patients drawn from the shipped calibrated pool with OPTiM's T-VEC
    stage mix (``seed``), on ``regimen`` (default ``{"tvec": "optim"}``) for ``horizon_days``; their courses.

    Patients whose solve fails are left out (counted in ``provenance["failed"]``).
    """
    from .. import __version__
    from ..engine import simulate_cohort
    from ..population import draw_from_pool, load_calibrated_pool, load_population_spec

    if n_patients < 1:
        raise ValueError(f"n_patients: expected >= 1 (got {n_patients})")
    regimen = DEFAULT_REGIMEN if regimen is None else regimen
    spec = load_population_spec()
    pop = draw_from_pool(load_calibrated_pool(), int(n_patients), int(seed), spec.stage_mix["tvec"], "tvec")
    res = simulate_cohort(pop, regimen, horizon_days=horizon_days, output_every_days=output_every_days,
                          chunk_size=chunk_size, workers=workers, progress=progress)
    ok = res.status["ok"].astype(bool).to_numpy()
    ids = res.status["patient_id"].astype(str).to_numpy()[ok].tolist()
    if not ids:
        raise ValueError("simulate_courses: every simulated patient failed")
    provenance = {"patients": int(n_patients), "seed": int(seed), "regimen": _plain(regimen),
                  "horizon_days": float(horizon_days), "output_every_days": float(output_every_days),
                  "population": "calibrated pool, OPTiM T-VEC stage mix", "failed": int((~ok).sum()),
                  "ovsim_version": __version__}
    return courses_from_doses(res.doses, ids, provenance)


def load_or_simulate_courses(path: str | Path | None, n_patients: int | None, seed: int = 0,
                             **kwargs: Any) -> tuple[Courses, bool]:
    """``(courses, reused)``: the courses cached in ``path`` if it exists (``n_patients`` must then be None or
    match the file), else simulated (``n_patients`` default 200) and, if ``path`` is given, saved there."""
    if path is not None and Path(path).exists():
        courses = Courses.load(path)
        made = courses.provenance.get("patients", courses.n_courses)
        if n_patients is not None and int(n_patients) != int(made):
            raise ValueError(f"{path}: holds courses of {made} simulated patients, not {n_patients} "
                             "(drop --courses-patients to reuse it, or name another file)")
        return courses, True
    courses = simulate_courses(200 if n_patients is None else int(n_patients), seed, **kwargs)
    if path is not None:
        courses.save(path)
    return courses, False


def _plain(x: Any) -> Any:
    """A regimen as JSON-able data (mappings and names stay; anything else becomes its repr)."""
    try:
        json.dumps(x)
        return x
    except TypeError:
        return repr(x)


def course_arrays(courses: Courses) -> dict[str, np.ndarray]:
    """Flat arrays for resampling: visits sorted by course, ``offsets`` (n_courses + 1), ``day``,
    ``strength`` (index into ``courses.strengths``), ``vials``; ``totals`` (n_courses, strengths)."""
    strengths = courses.strengths
    v = courses.visits.sort_values(["course", "day"], kind="stable")
    course = v["course"].to_numpy(dtype=np.int64)
    counts = np.bincount(course, minlength=courses.n_courses)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    return {
        "offsets": offsets, "counts": counts, "day": v["day"].to_numpy(dtype=float),
        "strength": v["strength"].map({s: k for k, s in enumerate(strengths)}).to_numpy(dtype=np.int64),
        "vials": v["vials"].to_numpy(dtype=np.int64),
        "totals": courses.vials_per_course().to_numpy(dtype=np.int64),
    }
