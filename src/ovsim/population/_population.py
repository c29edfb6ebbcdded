"""A virtual population as two tidy tables: one row per patient, one row per lesion."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import pandas as pd

from .._read import (MAX_DIAMETER_CM, MAX_LDH_X_ULN, MAX_LESIONS, MAX_PATIENTS, InputFileError, one_line, read_json,
                     shorten)
from ..model import SITE_NAMES, Site
from ..model._parameters import override_limit
from ..treatments import covariate_names, parameter_registry, positive_parameters
from ._contraindications import CONTRAINDICATION_NAMES
from ._patient import MAX_WEIGHT_KG, MIN_WEIGHT_KG, Lesion, Patient

PATIENT_COLUMNS = ("patient_id", "stage", "ecog", "ldh_x_uln", "hsv1_seropositive")
LESION_COLUMNS = ("patient_id", "lesion_id", "site", "longest_diameter_cm")
_COVARIATES = {"patient_id", "index", "arm", "stage", "ecog", "ldh_x_uln", "hsv1_seropositive", "n_lesions", "n_occult",
               "pool_patient_id", "bsa_m2", "weight_kg", *CONTRAINDICATION_NAMES}
"""Allowed non-parameter patient columns; the label covariates (CONTRAINDICATION_NAMES) are optional
booleans (a missing column or an empty cell means False)."""
_STAGES = ("IIIB", "IIIC", "IVM1a", "IVM1b", "IVM1c")


@dataclass(frozen=True, eq=False)
class Population:
    """Virtual patients.

    patients: one row per patient: ``patient_id``, covariates (``stage``, ``ecog``, ``ldh_x_uln``,
      ``hsv1_seropositive``, ...; optional boolean label covariates ``immunocompromised``, ``pregnant``,
      ``prior_tvec``, ``active_herpetic_lesions``, ``antiherpetic_medication``: ``CONTRAINDICATIONS``)
      and one column per varied model parameter (parameter name, units
      as in docs/model.md). lesions: one row per lesion, in each patient's order: ``patient_id``,
      ``lesion_id``, ``site``, ``longest_diameter_cm`` and optional lesion-level
      ``doubling_time_days``, ``accessibility``, ``immune_infiltration`` and ``injection_intent`` (boolean: the investigator plans
      to inject it when present; a missing column or an empty cell means true). provenance: seed,
      spec hash, ovsim version.
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
        from .._parquet import write_parquet
        from ._columns import column_docs

        docs = column_docs()
        write_parquet(self.patients, folder / "patients.parquet", "population/patients.parquet",
                      docs["population/patients.parquet"])
        write_parquet(self.lesions, folder / "lesions.parquet", "population/lesions.parquet",
                      docs["population/lesions.parquet"])
        (folder / "population.json").write_text(json.dumps(self.provenance, indent=2) + "\n")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "Population":
        """Read a population saved by :meth:`save`; errors name the file and column (one line).

        Checked beyond :meth:`from_tables`: at least one and at most ``MAX_PATIENTS`` patients, model
        parameters that divide in the model > 0, ``population.json`` a JSON mapping (bounded, strict)."""
        folder = Path(folder)
        if not folder.exists():
            raise ValueError(f"{folder}: file not found (expected a saved population folder)")
        if not folder.is_dir():
            raise ValueError(f"{folder}: not a folder (expected a saved population: patients.parquet, "
                             "lesions.parquet, population.json)")
        tables = {}
        for name in ("patients.parquet", "lesions.parquet"):
            path = folder / name
            if not path.exists():
                raise ValueError(f"{path}: file not found (expected a saved population)")
            tables[name] = _read_parquet(path, MAX_PATIENTS * (MAX_LESIONS if name == "lesions.parquet" else 1))
        meta = folder / "population.json"
        provenance: Any = read_json(meta) if meta.exists() else {}
        if not isinstance(provenance, dict):
            raise InputFileError(f"{meta}: expected a JSON mapping of provenance fields (got "
                                 f"{'a list' if isinstance(provenance, list) else type(provenance).__name__})")
        patients, lesions = tables["patients.parquet"], tables["lesions.parquet"]
        if len(patients) == 0:
            raise ValueError(f"{folder / 'patients.parquet'}: no patients (expected at least one row)")
        if len(patients) > MAX_PATIENTS:
            raise ValueError(f"{folder / 'patients.parquet'}: expected at most {MAX_PATIENTS:,} patients "
                             f"(got {len(patients):,})")
        _check_positive(patients, str(folder))  # in files only: the engine's own guard is tested with such tables
        return cls.from_tables(patients, lesions, provenance, source=str(folder))

    def summary(self) -> pd.DataFrame:
        """Per stage: patients, mean lesions by site group (visible injectable lesions intended for injection,
        ``not_intended`` ones, lung, other visceral, occult deposits), median largest diameter (cm)."""
        les = self.lesions.merge(self.patients[["patient_id", "stage"]], on="patient_id")
        les["group"] = np.where(les["site"].isin(["cutaneous", "subcutaneous", "nodal"]), "injectable",
                                np.where(les["site"] == "lung", "lung", "visceral_other"))
        if "injection_intent" in les:
            les.loc[(les["group"] == "injectable") & les["injection_intent"].eq(False), "group"] = "not_intended"
        les.loc[les["longest_diameter_cm"] < OCCULT_BELOW_CM, "group"] = "occult"
        counts = les.pivot_table(index="patient_id", columns="group", values="lesion_id", aggfunc="count").fillna(0)
        p = self.patients.set_index("patient_id").join(counts)
        p["largest_cm"] = les.groupby("patient_id")["longest_diameter_cm"].max()
        cols = [c for c in ("injectable", "not_intended", "lung", "visceral_other", "occult") if c in p]
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
            _flag(getattr(r, "injection_intent", None), True), _opt(getattr(r, "immune_infiltration", None)),
        )
        for r in rows.itertuples(index=False)
    )
    params = {name: float(row[name]) for name in parameter_registry() if name in row.index and pd.notna(row[name])}
    bsa, weight = _opt(row.get("bsa_m2")), _opt(row.get("weight_kg"))
    return Patient(
        str(row["patient_id"]), lesions, _flag(row.get("hsv1_seropositive"), True),
        _opt_str(row.get("stage")), _opt_int(row.get("ecog")), _opt(row.get("ldh_x_uln")), params,
        **({} if bsa is None else {"bsa_m2": bsa}),
        **({} if weight is None else {"weight_kg": weight}),
        **{name: _flag(row.get(name)) for name in CONTRAINDICATION_NAMES},
    )


def _flag(v: Any, default: bool = False) -> bool:
    """A boolean cell: missing or empty is ``default`` (validated as true/false by ``_check_tables``)."""
    return default if v is None or pd.isna(v) else bool(v)


def _opt(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def _opt_str(v: Any) -> str | None:
    return None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


def _opt_int(v: Any) -> int | None:
    return None if v is None or pd.isna(v) else int(v)


def _read_parquet(path: Path, max_rows: int) -> pd.DataFrame:
    """A Parquet table of at most ``max_rows`` rows (counted from its metadata before it is read); ``ValueError``
    in one line naming the file if it cannot be read or is too long."""
    import pyarrow.parquet as pq

    try:
        rows = pq.read_metadata(path).num_rows
        if rows > max_rows:
            raise ValueError(f"{path}: expected at most {max_rows:,} rows (got {rows:,})")
        return pd.read_parquet(path)
    except ValueError as err:
        if str(err).startswith(str(path)):
            raise
        raise ValueError(f"{path}: not a readable Parquet table ({one_line(str(err), 160)})") from None
    except Exception as err:  # pyarrow raises its own error types for a damaged or foreign file
        raise ValueError(f"{path}: not a readable Parquet table ({one_line(str(err), 160)})") from None


def _check_positive(patients: pd.DataFrame, where: str) -> None:
    """Model parameters that divide in the model (``positive_parameters``) must be > 0 where given."""
    for col in sorted(positive_parameters() & set(patients.columns)):
        vals = pd.to_numeric(patients[col], errors="coerce")
        bad = vals[patients[col].notna() & ~(vals > 0)]
        if len(bad):
            raise ValueError(f"{where}: patients.{col}: expected numbers > 0 where given (it divides in the model; "
                             f"got {shorten(patients[col].loc[bad.index[0]], 80)})")


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _numbers(df: pd.DataFrame, col: str) -> pd.Series:
    """Column ``col`` as floats (NaN where empty); ``ValueError`` naming it if a cell is not a number."""
    series = df[col]
    if pd.api.types.is_bool_dtype(series) or not (pd.api.types.is_numeric_dtype(series)
                                                   or pd.api.types.is_object_dtype(series)):
        raise _TableError(col, f"expected numbers (got a column of {series.dtype})")
    if pd.api.types.is_object_dtype(series):
        given = series.dropna()
        bad = given[~given.map(_is_number)]
        if len(bad):
            raise _TableError(col, f"expected numbers (got {shorten(bad.iloc[0], 80)})")
    return pd.to_numeric(series, errors="coerce").astype(float)


class _TableError(ValueError):
    def __init__(self, column: str, what: str):
        super().__init__(f"{column}: {what}")


def _check_tables(patients: pd.DataFrame, lesions: pd.DataFrame, source: str) -> None:
    try:
        _check_tables_inner(patients, lesions, source)
    except _TableError as err:
        raise ValueError(f"{source}: {err}") from None


def _check_tables_inner(patients: pd.DataFrame, lesions: pd.DataFrame, source: str) -> None:
    for table, cols, df in (("patients", ("patient_id",), patients), ("lesions", LESION_COLUMNS, lesions)):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise ValueError(f"{source}: {table}: missing column {missing[0]!r}")
    if patients["patient_id"].isna().any():
        raise ValueError(f"{source}: patients.patient_id: expected an id in every row (got an empty cell)")
    for table, col, df in (("patients", "patient_id", patients), ("lesions", "lesion_id", lesions)):
        bad = df[col].astype(str).str.contains(r"[\x00-\x1f\x7f-\x9f]", regex=True)
        if bad.any():
            raise ValueError(f"{source}: {table}.{col}: expected names without control characters "
                             f"(got {shorten(df[col][bad].iloc[0])!r})")
    if patients["patient_id"].duplicated().any():
        dup = patients.loc[patients["patient_id"].duplicated(), "patient_id"].iloc[0]
        raise ValueError(f"{source}: patients.patient_id: expected unique ids (repeated {shorten(dup, 80)})")
    registry = parameter_registry()
    for col in patients.columns:
        if col not in _COVARIATES and col not in registry and col not in covariate_names():
            shown = col if isinstance(col, str) and len(col) <= 80 and col.isprintable() else shorten(col, 80)
            raise ValueError(f"{source}: patients.{shown}: "
                             "unknown column (expected a covariate or a model parameter)")
        if col in registry:
            vals = _numbers_named(patients, col, "patients")
            given = patients[col].notna()
            if not (np.isfinite(vals[given]) & (vals[given] >= 0)).all():
                raise ValueError(f"{source}: patients.{col}: expected finite numbers >= 0 (or empty)")
            limit = override_limit(registry[col])
            if (vals[given] > limit).any():
                raise ValueError(f"{source}: patients.{col}: expected at most {limit:.3g} (10^6 x the default; "
                                 f"got {vals[given][vals[given] > limit].iloc[0]!r})")
    for col, top, required in (("index", 2.0**53, True), ("n_lesions", MAX_LESIONS, False),
                               ("n_occult", MAX_LESIONS, False)):
        if col in patients.columns:
            vals = _numbers_named(patients, col, "patients")
            if required and vals.isna().any():
                raise ValueError(f"{source}: patients.{col}: expected a number in every row (got an empty cell)")
            given = vals.dropna()
            ok = (given >= 0) & (given <= top) & (given == np.floor(given))
            if not ok.all():
                raise ValueError(f"{source}: patients.{col}: expected whole numbers from 0 to {top:.0f} "
                                 f"(got {given[~ok].iloc[0]!r})")
    if "hsv1_seropositive" in patients.columns:
        _check_flags(patients, "hsv1_seropositive", source)
    for col in CONTRAINDICATION_NAMES:
        if col in patients.columns:
            _check_flags(patients, col, source)
    if "ldh_x_uln" in patients.columns:
        ldh = _numbers_named(patients, "ldh_x_uln", "patients")
        given = ldh.dropna()
        ok = np.isfinite(given) & (given >= 0) & (given <= MAX_LDH_X_ULN)
        if not ok.all():
            raise ValueError(f"{source}: patients.ldh_x_uln: expected numbers from 0 to {MAX_LDH_X_ULN:g} (x ULN) "
                             f"or empty (got {given[~ok].iloc[0]!r})")
    if "bsa_m2" in patients.columns:
        bsa = _numbers_named(patients, "bsa_m2", "patients").dropna()
        if not ((bsa >= 0.3) & (bsa <= 4.0)).all():
            bad = bsa[~((bsa >= 0.3) & (bsa <= 4.0))].iloc[0]
            raise ValueError(f"{source}: patients.bsa_m2: expected a body surface area between 0.3 and 4 m^2 "
                             f"or empty (got {bad!r})")
    if "weight_kg" in patients.columns:
        kg = _numbers_named(patients, "weight_kg", "patients").dropna()
        ok = (kg >= MIN_WEIGHT_KG) & (kg <= MAX_WEIGHT_KG)
        if not ok.all():
            raise ValueError(f"{source}: patients.weight_kg: expected a body weight between {MIN_WEIGHT_KG:g} and "
                             f"{MAX_WEIGHT_KG:g} kg or empty (got {kg[~ok].iloc[0]!r})")
    if "ecog" in patients.columns:
        ecog = _numbers_named(patients, "ecog", "patients").dropna()
        if not ecog.isin([0, 1, 2, 3, 4]).all():
            raise ValueError(f"{source}: patients.ecog: expected 0, 1, 2, 3 or 4 or empty "
                             f"(got {ecog[~ecog.isin([0, 1, 2, 3, 4])].iloc[0]!r})")
    if "stage" in patients.columns:
        stage = patients["stage"].dropna()
        bad = stage[~stage.isin(_STAGES)]
        if len(bad):
            raise ValueError(f"{source}: patients.stage: expected one of {', '.join(_STAGES)} or empty "
                             f"(got {shorten(bad.iloc[0], 80)})")
    if lesions["site"].isna().any() or not lesions["site"].map(lambda v: isinstance(v, str)).all():
        raise ValueError(f"{source}: lesions.site: expected one of {', '.join(SITE_NAMES)} in every row")
    bad_sites = set(lesions["site"]) - set(SITE_NAMES)
    if bad_sites:
        raise ValueError(f"{source}: lesions.site: expected one of {', '.join(SITE_NAMES)} "
                         f"(got {shorten(sorted(bad_sites)[0], 80)})")
    if lesions["lesion_id"].isna().any():
        raise ValueError(f"{source}: lesions.lesion_id: expected an id in every row (got an empty cell)")
    d = _numbers_named(lesions, "longest_diameter_cm", "lesions")
    if not (np.isfinite(d) & (d > 0) & (d <= MAX_DIAMETER_CM)).all():
        raise ValueError(f"{source}: lesions.longest_diameter_cm: expected numbers > 0 and at most "
                         f"{MAX_DIAMETER_CM:g} cm")
    if "doubling_time_days" in lesions.columns:
        dt = _numbers_named(lesions, "doubling_time_days", "lesions").dropna()
        if not (np.isfinite(dt) & (dt > 0) & (dt <= override_limit(parameter_registry()["doubling_time_days"]))).all():
            raise ValueError(f"{source}: lesions.doubling_time_days: expected finite numbers > 0 (days) or empty")
    if "accessibility" in lesions.columns:
        acc = _numbers_named(lesions, "accessibility", "lesions").dropna()
        if not ((acc > 0) & (acc <= 1)).all():
            raise ValueError(f"{source}: lesions.accessibility: expected numbers in (0, 1] or empty")
    if "immune_infiltration" in lesions.columns:
        q = _numbers_named(lesions, "immune_infiltration", "lesions").dropna()
        if not (np.isfinite(q) & (q > 0) & (q <= override_limit(parameter_registry()["immune_infiltration"]))).all():
            raise ValueError(f"{source}: lesions.immune_infiltration: expected finite numbers > 0 or empty")
    if "injection_intent" in lesions.columns:
        _check_flags(lesions, "injection_intent", source, "lesions")
    unknown = set(lesions["patient_id"]) - set(patients["patient_id"])
    if unknown:
        raise ValueError(f"{source}: lesions.patient_id: {shorten(sorted(unknown, key=str)[0], 80)} is not in patients")
    no_lesion = set(patients["patient_id"]) - set(lesions["patient_id"])
    if no_lesion:
        raise ValueError(f"{source}: patients.patient_id: {shorten(sorted(no_lesion, key=str)[0], 80)} has no lesion")
    if lesions["lesion_id"].duplicated().any():
        raise ValueError(f"{source}: lesions.lesion_id: expected unique ids")
    per_patient = lesions.groupby("patient_id", sort=False).size()
    if len(per_patient) and per_patient.max() > MAX_LESIONS:
        raise ValueError(f"{source}: lesions: expected at most {MAX_LESIONS} lesions per patient "
                         f"(patient {shorten(per_patient.idxmax(), 80)} has {per_patient.max()})")


def _numbers_named(df: pd.DataFrame, col: str, table: str) -> pd.Series:
    try:
        return _numbers(df, col)
    except _TableError as err:
        raise _TableError(f"{table}.{col}", str(err).split(": ", 1)[1]) from None


def _check_flags(frame: pd.DataFrame, col: str, source: str, table: str = "patients") -> None:
    """A boolean column: true/false, or empty (a missing cell takes the default)."""
    if frame[col].dtype == bool:
        return
    given = frame[col].dropna()
    bad = given[~given.map(lambda v: isinstance(v, (bool, np.bool_)))]
    if len(bad):
        raise ValueError(f"{source}: {table}.{col}: expected true or false (or empty) "
                         f"(got {shorten(bad.iloc[0], 80)})")
