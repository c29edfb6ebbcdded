"""A virtual population as two tidy tables: one row per patient, one row per lesion."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import pandas as pd

from ..model import SITE_NAMES, Site
from ..treatments import covariate_names, parameter_registry
from ._contraindications import CONTRAINDICATION_NAMES
from ._patient import Lesion, Patient

PATIENT_COLUMNS = ("patient_id", "stage", "ecog", "ldh_x_uln", "hsv1_seropositive")
LESION_COLUMNS = ("patient_id", "lesion_id", "site", "longest_diameter_cm")
_COVARIATES = {"patient_id", "index", "arm", "stage", "ecog", "ldh_x_uln", "hsv1_seropositive", "n_lesions", "n_occult",
               "pool_patient_id", "bsa_m2", *CONTRAINDICATION_NAMES}
"""Allowed non-parameter patient columns; the label covariates (CONTRAINDICATION_NAMES) are optional
booleans (a missing column or an empty cell means False)."""


@dataclass(frozen=True, eq=False)
class Population:
    """Virtual patients.

    patients: one row per patient: ``patient_id``, covariates (``stage``, ``ecog``, ``ldh_x_uln``,
      ``hsv1_seropositive``, ...; optional boolean label covariates ``immunocompromised``, ``pregnant``,
      ``prior_tvec``, ``active_herpetic_lesions``, ``antiherpetic_medication``: ``CONTRAINDICATIONS``)
      and one column per varied model parameter (parameter name, units
      as in docs/model.md). lesions: one row per lesion, in each patient's order: ``patient_id``,
      ``lesion_id``, ``site``, ``longest_diameter_cm`` and optional lesion-level
      ``doubling_time_days``, ``accessibility``. provenance: seed, spec hash, ovsim version.
    """

    patients: pd.DataFrame
    lesions: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_records(cls, patients: Sequence[dict], lesions: Sequence[dict], provenance: dict) -> "Population":
        """Build from row dicts (validated)."""
        p = pd.DataFrame(list(patients))
        if p.empty:
            p = pd.DataFrame({c: pd.Series(dtype=object) for c in PATIENT_COLUMNS})
        les = pd.DataFrame(list(lesions))
        if les.empty:
            les = pd.DataFrame({c: pd.Series(dtype=object) for c in LESION_COLUMNS})
        return cls.from_tables(p, les, provenance)

    @classmethod
    def from_tables(cls, patients: pd.DataFrame, lesions: pd.DataFrame, provenance: dict | None = None,
                    source: str = "population") -> "Population":
        """Validate two tables and build a population; errors name the table and column."""
        _check_tables(patients, lesions, source)
        patients = patients.reset_index(drop=True)
        order = pd.Index(patients["patient_id"]).get_indexer(lesions["patient_id"])
        lesions = lesions.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
        return cls(patients, lesions, dict(provenance or {}))

    def __len__(self) -> int:
        return len(self.patients)

    @property
    def max_lesions(self) -> int:
        """Largest number of lesions of any patient."""
        if self.lesions.empty:
            return 0
        return int(self.lesions.groupby("patient_id", sort=False).size().max())

    @functools.cached_property
    def _lesion_offsets(self) -> np.ndarray:
        """(n+1,) start row of each patient's lesions (lesions are stored in patient order)."""
        counts = self.lesions.groupby("patient_id", sort=False).size()
        counts = counts.reindex(self.patients["patient_id"]).to_numpy()
        return np.concatenate([[0], np.cumsum(counts)])

    def rows(self, start: int, stop: int) -> "Population":
        """Patients ``start .. stop-1`` and their lesions (contiguous, fast)."""
        off = self._lesion_offsets
        stop = min(stop, len(self))
        return Population(
            self.patients.iloc[start:stop].reset_index(drop=True),
            self.lesions.iloc[off[start]:off[stop]].reset_index(drop=True),
            dict(self.provenance),
        )

    def subset(self, rows: slice | Sequence[int] | np.ndarray) -> "Population":
        """Patients at positions ``rows`` (and their lesions)."""
        p = self.patients.iloc[rows].reset_index(drop=True)
        les = self.lesions[self.lesions["patient_id"].isin(set(p["patient_id"]))]
        order = pd.Index(p["patient_id"]).get_indexer(les["patient_id"])
        les = les.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
        return Population(p, les, dict(self.provenance))

    def patient(self, i: int) -> Patient:
        """The :class:`Patient` at row ``i``."""
        row = self.patients.iloc[i]
        rows = self.lesions[self.lesions["patient_id"] == row["patient_id"]]
        return _to_patient(row, rows)

    def __iter__(self) -> Iterator[Patient]:
        groups = dict(tuple(self.lesions.groupby("patient_id", sort=False)))
        for _, row in self.patients.iterrows():
            yield _to_patient(row, groups[row["patient_id"]])

    def save(self, folder: str | Path) -> Path:
        """Write ``patients.parquet``, ``lesions.parquet`` and ``population.json`` into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.patients.to_parquet(folder / "patients.parquet", index=False)
        self.lesions.to_parquet(folder / "lesions.parquet", index=False)
        (folder / "population.json").write_text(json.dumps(self.provenance, indent=2) + "\n")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "Population":
        """Read a population saved by :meth:`save`; errors name the file and column."""
        folder = Path(folder)
        for name in ("patients.parquet", "lesions.parquet"):
            if not (folder / name).exists():
                raise ValueError(f"{folder / name}: file not found (expected a saved population)")
        meta = folder / "population.json"
        provenance = json.loads(meta.read_text()) if meta.exists() else {}
        return cls.from_tables(
            pd.read_parquet(folder / "patients.parquet"), pd.read_parquet(folder / "lesions.parquet"),
            provenance, source=str(folder),
        )

    def summary(self) -> pd.DataFrame:
        """Per stage: patients, mean lesions by site group, median largest diameter (cm)."""
        les = self.lesions.merge(self.patients[["patient_id", "stage"]], on="patient_id")
        les["group"] = np.where(les["site"].isin(["cutaneous", "subcutaneous", "nodal"]), "injectable",
                                np.where(les["site"] == "lung", "lung", "visceral_other"))
        les.loc[les["longest_diameter_cm"] < OCCULT_BELOW_CM, "group"] = "occult"
        counts = les.pivot_table(index="patient_id", columns="group", values="lesion_id", aggfunc="count").fillna(0)
        p = self.patients.set_index("patient_id").join(counts)
        p["largest_cm"] = les.groupby("patient_id")["longest_diameter_cm"].max()
        cols = [c for c in ("injectable", "lung", "visceral_other", "occult") if c in p]
        out = p.groupby("stage")[cols + ["largest_cm"]].agg(
            {**{c: "mean" for c in cols}, "largest_cm": "median"}
        )
        out.insert(0, "patients", p.groupby("stage").size())
        return out


OCCULT_BELOW_CM = 0.2
"""Lesions smaller than this at baseline (longest diameter, cm) are occult: present but unseen."""


def _to_patient(row: pd.Series, rows: pd.DataFrame) -> Patient:
    lesions = tuple(
        Lesion(
            str(r.lesion_id), Site(r.site), float(r.longest_diameter_cm),
            _opt(getattr(r, "accessibility", None)), _opt(getattr(r, "doubling_time_days", None)),
        )
        for r in rows.itertuples(index=False)
    )
    params = {name: float(row[name]) for name in parameter_registry() if name in row.index and pd.notna(row[name])}
    bsa = _opt(row.get("bsa_m2"))
    return Patient(
        str(row["patient_id"]), lesions, bool(row.get("hsv1_seropositive", True)),
        _opt_str(row.get("stage")), _opt_int(row.get("ecog")), _opt(row.get("ldh_x_uln")), params,
        **({} if bsa is None else {"bsa_m2": bsa}),
        **{name: _flag(row.get(name)) for name in CONTRAINDICATION_NAMES},
    )


def _flag(v: Any) -> bool:
    """A label covariate cell: missing or empty is False (validated by ``_check_tables``)."""
    return False if v is None or pd.isna(v) else bool(v)


def _opt(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def _opt_str(v: Any) -> str | None:
    return None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


def _opt_int(v: Any) -> int | None:
    return None if v is None or pd.isna(v) else int(v)


def _check_tables(patients: pd.DataFrame, lesions: pd.DataFrame, source: str) -> None:
    for table, cols, df in (("patients", ("patient_id",), patients), ("lesions", LESION_COLUMNS, lesions)):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise ValueError(f"{source}: {table}: missing column {missing[0]!r}")
    if patients["patient_id"].duplicated().any():
        dup = patients.loc[patients["patient_id"].duplicated(), "patient_id"].iloc[0]
        raise ValueError(f"{source}: patients.patient_id: expected unique ids (repeated {dup!r})")
    for col in patients.columns:
        registry = parameter_registry()
        if col not in _COVARIATES and col not in registry and col not in covariate_names():
            raise ValueError(f"{source}: patients.{col}: unknown column (expected a covariate or a model parameter)")
        if col in registry:
            vals = pd.to_numeric(patients[col], errors="coerce")  # NaN (empty) = model default
            given = patients[col].notna()
            if not (np.isfinite(vals[given]) & (vals[given] >= 0)).all():
                raise ValueError(f"{source}: patients.{col}: expected finite numbers >= 0 (or empty)")
    for col in CONTRAINDICATION_NAMES:
        if col in patients.columns and patients[col].dtype != bool:
            given = patients[col].dropna()
            bad = given[~given.map(lambda v: isinstance(v, (bool, np.bool_)))]
            if len(bad):
                raise ValueError(f"{source}: patients.{col}: expected true or false (or empty) "
                                 f"(got {bad.iloc[0]!r})")
    bad_sites = set(lesions["site"]) - set(SITE_NAMES)
    if bad_sites:
        raise ValueError(f"{source}: lesions.site: expected one of {', '.join(SITE_NAMES)} (got {sorted(bad_sites)[0]!r})")
    d = pd.to_numeric(lesions["longest_diameter_cm"], errors="coerce")
    if not (np.isfinite(d) & (d > 0)).all():
        raise ValueError(f"{source}: lesions.longest_diameter_cm: expected numbers > 0")
    unknown = set(lesions["patient_id"]) - set(patients["patient_id"])
    if unknown:
        raise ValueError(f"{source}: lesions.patient_id: {sorted(unknown)[0]!r} is not in patients")
    no_lesion = set(patients["patient_id"]) - set(lesions["patient_id"])
    if no_lesion:
        raise ValueError(f"{source}: patients.patient_id: {sorted(no_lesion)[0]!r} has no lesion")
    if lesions["lesion_id"].duplicated().any():
        raise ValueError(f"{source}: lesions.lesion_id: expected unique ids")
