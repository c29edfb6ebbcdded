"""A NONMEM / nlmixr2-ready dataset from a trial's tidy tables: numeric, one amount unit per compartment.

Rows: every dose record (EVID 1) and every observation (EVID 0): each lesion's measured longest
diameter (DVID 1, cm) and the trial's tumour burden per assessment (DVID 2, the primary criterion's
``burden``). Sorted by ID, TIME, EVID: at the same time an observation comes before a dose (assessments
are made before that visit's injections; NONMEM and rxode2 take records in file order).

``CMT`` is renumbered on ONE state layout for the whole dataset (``n_slots`` = the most lesions of any
patient): the engine's own ``doses.csv`` numbers compartments per compiled batch, whose lesion padding
differs between batches, so its CMT of a systemic state is not comparable across patients.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model import ModelDefinition

STAGE_CODES = {"IIIB": 1, "IIIC": 2, "IVM1a": 3, "IVM1b": 4, "IVM1c": 5}
"""STAGE covariate: AJCC 7th edition melanoma stage (as simulated) -> code."""

DVID_MEANINGS = {1: ("cm", "one lesion's measured longest diameter (LESION > 0)"),
                 2: ("cm^2", "tumour burden at an assessment (LESION = 0): the primary criterion's sum")}

COLUMNS = ("ID", "TIME", "EVID", "AMT", "CMT", "DV", "MDV", "RATE", "DVID", "CENS", "LESION", "ARM",
           "STAGE", "ECOG", "LDH")

COLUMN_DOCS: dict[str, dict[str, tuple[str, str]]] = {
    "nonmem.csv": {
        "ID": ("1", "numeric subject identifier 1..N (nonmem_ids.csv maps it to patient_key)"),
        "TIME": ("day", "time since the first treatment day (day 0)"),
        "EVID": ("1", "event identifier: 0 observation, 1 dose"),
        "AMT": ("per CMT", "dose amount in its compartment's unit (PFU for virus_pfu, ug for gmcsf_systemic_ug); "
                "0 on observations"),
        "CMT": ("1", "compartment dosed: 1-based position in the dataset's state layout (nonmem_header.txt); "
                "0 on observations"),
        "DV": ("per DVID", "observed value: cm (DVID 1), cm^2 (DVID 2); the detection limit where CENS = 1; "
               "0 on doses"),
        "MDV": ("1", "missing dependent variable: 1 on doses, 0 on observations"),
        "RATE": ("per CMT per day", "zero-order input rate (amount/day); 0 = bolus"),
        "DVID": ("1", "observation type: 1 lesion longest diameter (cm), 2 tumour burden (cm^2); 0 on doses"),
        "CENS": ("1", "1 = lesion below the detection limit (DV holds the limit; nlmixr2 M3), else 0"),
        "LESION": ("1", "lesion index within the patient (1..), 0 for patient-level rows"),
        "ARM": ("1", "arm code (nonmem_ids.csv)"),
        "STAGE": ("1", "stage code: IIIB 1, IIIC 2, IVM1a 3, IVM1b 4, IVM1c 5"),
        "ECOG": ("1", "ECOG performance status at baseline"),
        "LDH": ("x ULN", "baseline lactate dehydrogenase, multiple of the upper limit of normal"),
    },
    "nonmem_ids.csv": {
        "ID": ("1", "numeric subject identifier in nonmem.csv"),
        "patient_key": ("", "arm:patient_id, as in patients.parquet"),
        "arm": ("", "arm name"),
        "ARM": ("1", "arm code in nonmem.csv"),
        "patient_id": ("", "virtual patient identifier"),
    },
}


@dataclass(frozen=True)
class NonmemDataset:
    """data: the numeric dataset (COLUMNS); ids: ID <-> patient_key, arm, ARM, patient_id; header: text."""

    data: pd.DataFrame
    ids: pd.DataFrame
    header: str

    def write(self, folder, prefix: str = "nonmem") -> None:
        """Write ``<prefix>.csv``, ``<prefix>_ids.csv`` and ``<prefix>_header.txt`` into ``folder``."""
        from pathlib import Path

        folder = Path(folder)
        self.data.to_csv(folder / f"{prefix}.csv", index=False)
        self.ids.to_csv(folder / f"{prefix}_ids.csv", index=False)
        (folder / f"{prefix}_header.txt").write_text(self.header)


def drug_targets() -> dict[str, tuple[str, str]]:
    """DRUG -> (state dosed, amount unit) for every registered treatment."""
    from ..treatments._registry import _REGISTRY

    return {t.drug: (t.dosing(t.parse(None)).target, t.amount_unit) for t in _REGISTRY.values()}


def id_table(patients: pd.DataFrame) -> pd.DataFrame:
    """ID 1..N in the order of ``patients`` (arms in order of appearance), with arm codes 1..K."""
    arms = list(dict.fromkeys(patients["arm"]))
    return pd.DataFrame({
        "ID": np.arange(1, len(patients) + 1),
        "patient_key": patients["patient_key"].to_numpy(),
        "arm": patients["arm"].to_numpy(),
        "ARM": [arms.index(a) + 1 for a in patients["arm"]],
        "patient_id": patients["patient_id"].to_numpy(),
    })


def lesion_index(measurements: pd.DataFrame, doses: pd.DataFrame) -> pd.DataFrame:
    """LESION 1.. per patient_key and lesion_id: order of first appearance in ``measurements`` (the engine's
    lesion-slot order), then any dosed lesion not measured."""
    pairs = pd.concat([measurements[["patient_key", "lesion_id"]],
                       doses.loc[doses["LESION_ID"].fillna("") != "", ["patient_key", "LESION_ID"]]
                       .rename(columns={"LESION_ID": "lesion_id"})], ignore_index=True).drop_duplicates()
    pairs = pairs.assign(LESION=pairs.groupby("patient_key", sort=False).cumcount() + 1)
    return pairs.reset_index(drop=True)


def nonmem_dataset(patients: pd.DataFrame, doses: pd.DataFrame, measurements: pd.DataFrame,
                   assessments: pd.DataFrame, model: ModelDefinition, *, detection_limit_cm: float,
                   criterion: str = "", burden_units: str = "cm^2") -> NonmemDataset:
    """The dataset from the trial tables (patients, doses with ARM, measurements, assessments).

    detection_limit_cm: the assessment's limit (DV of a censored lesion row); criterion: the name of the
    criterion whose ``burden`` is DVID 2 (for the header); burden_units: its units (cm^2 for a sum of
    products of diameters, cm for a sum of longest diameters).
    """
    ids = id_table(patients)
    key_to_id = dict(zip(ids["patient_key"], ids["ID"]))
    cov = pd.DataFrame({
        "patient_key": patients["patient_key"].to_numpy(),
        "ARM": ids["ARM"].to_numpy(),
        "STAGE": patients["stage"].map(STAGE_CODES).to_numpy(),
        "ECOG": patients["ecog"].astype(int).to_numpy(),
        "LDH": patients["ldh_x_uln"].astype(float).to_numpy(),
    })
    if cov["STAGE"].isna().any():
        bad = sorted(set(patients["stage"]) - set(STAGE_CODES))
        raise ValueError(f"patients: stage: expected one of {', '.join(STAGE_CODES)} (got {', '.join(map(str, bad))})")
    doses = doses.assign(patient_key=doses["ARM"].astype(str) + ":" + doses["ID"].astype(str))
    lesions = lesion_index(measurements, doses)
    n_slots = int(lesions.groupby("patient_key")["LESION"].max().max()) if len(lesions) else 0
    nl = model.n_lesion_states
    targets = {drug: v for drug, v in drug_targets().items() if v[0] in model.states}  # the drugs of this model

    # doses: CMT on the dataset's layout
    d = doses.merge(lesions.rename(columns={"lesion_id": "LESION_ID"}), on=["patient_key", "LESION_ID"], how="left")
    d["LESION"] = d["LESION"].fillna(0).astype(int)
    unknown_drug = sorted(set(d.loc[d["LESION"] == 0, "DRUG"]) - set(targets))
    if unknown_drug:
        raise ValueError(f"doses: DRUG {unknown_drug[0]!r}: expected a registered treatment's drug "
                         f"({', '.join(targets)})")
    systemic = {drug: model.index(state, n_slots) + 1 for drug, (state, _) in targets.items()
                if model.states[state].level == "systemic"}
    lesion_cmt = (d["LESION"].to_numpy() - 1) * nl + (d["CMT"].to_numpy(dtype=int) - 1) % nl + 1
    cmt = np.where(d["LESION"].to_numpy() > 0, lesion_cmt, d["DRUG"].map(systemic).fillna(0).to_numpy(dtype=int))
    dose_rows = pd.DataFrame({
        "patient_key": d["patient_key"], "TIME": d["TIME"].astype(float), "EVID": 1, "AMT": d["AMT"].astype(float),
        "CMT": cmt, "DV": 0.0, "MDV": 1, "RATE": d["RATE"].astype(float), "DVID": 0, "CENS": 0, "LESION": d["LESION"],
    })

    # lesion observations: measured longest diameter; 0 (not seen) -> censored at the detection limit
    m = measurements[measurements["longest_cm"].notna()].merge(lesions, on=["patient_key", "lesion_id"], how="left")
    seen = m["longest_cm"].to_numpy() > 0
    lesion_rows = pd.DataFrame({
        "patient_key": m["patient_key"], "TIME": m["time_day"].astype(float), "EVID": 0, "AMT": 0.0, "CMT": 0,
        "DV": np.where(seen, m["longest_cm"].to_numpy(), float(detection_limit_cm)), "MDV": 0, "RATE": 0.0,
        "DVID": 1, "CENS": (~seen).astype(int), "LESION": m["LESION"].astype(int),
    })
    a = assessments[assessments["burden"].notna()]
    burden_rows = pd.DataFrame({
        "patient_key": a["patient_key"], "TIME": a["time_day"].astype(float), "EVID": 0, "AMT": 0.0, "CMT": 0,
        "DV": a["burden"].astype(float), "MDV": 0, "RATE": 0.0, "DVID": 2, "CENS": 0, "LESION": 0,
    })
    rows = pd.concat([r for r in (dose_rows, lesion_rows, burden_rows) if len(r)], ignore_index=True)
    unknown = sorted(set(rows["patient_key"]) - set(key_to_id))
    if unknown:
        raise ValueError(f"doses/measurements/assessments: patient_key {unknown[0]!r}: expected a patient of "
                         "patients.parquet")
    rows = rows.merge(cov, on="patient_key", how="left")
    rows.insert(0, "ID", rows["patient_key"].map(key_to_id).astype(int))
    rows = rows.sort_values(["ID", "TIME", "EVID", "DVID", "LESION", "CMT"], kind="stable").reset_index(drop=True)
    data = rows[list(COLUMNS)]
    header = nonmem_header(model, n_slots, ids, targets, detection_limit_cm, criterion, burden_units)
    return NonmemDataset(data=data, ids=ids, header=header)


def compartment_table(model: ModelDefinition, n_slots: int) -> pd.DataFrame:
    """CMT -> state, lesion (1.., 0 for systemic) and units, on the layout with ``n_slots`` lesions."""
    rows = [{"CMT": model.index(s.name, n_slots, j) + 1, "state": s.name, "lesion": j + 1, "units": s.units}
            for j in range(n_slots) for s in model.lesion_states]
    rows += [{"CMT": model.index(s.name, n_slots) + 1, "state": s.name, "lesion": 0, "units": s.units}
             for s in model.systemic_states]
    return pd.DataFrame(rows)


def nonmem_header(model: ModelDefinition, n_slots: int, ids: pd.DataFrame, targets: dict[str, tuple[str, str]],
                  detection_limit_cm: float, criterion: str, burden_units: str) -> str:
    """The dataset's description: columns, compartments and units, DVID, censoring, codes."""
    nl = model.n_lesion_states
    lines = ["# nonmem.csv: ovsim virtual-trial dataset (NONMEM / nlmixr2 / rxode2 conventions)",
             "# all columns numeric; TIME in days; rows sorted by ID, TIME, EVID (observations before doses at",
             "# the same time: assessments precede that visit's injections)", "", "## Columns"]
    lines += [f"{c:7s} [{u}] {desc}" for c, (u, desc) in COLUMN_DOCS["nonmem.csv"].items()]
    lines += ["", f"## Compartments (state layout with n_slots = {n_slots} lesion slots, {nl} states per lesion, "
              f"{model.n_systemic_states} systemic states)",
              f"Lesion k's state s (s = 1..{nl} below) is CMT = (k - 1) * {nl} + s; systemic state t is "
              f"CMT = {n_slots * nl} + t."]
    lines += [f"  lesion state {i + 1}: {s.name} [{s.units}]" for i, s in enumerate(model.lesion_states)]
    lines += [f"  systemic CMT {model.index(s.name, n_slots) + 1}: {s.name} [{s.units}]" for s in model.systemic_states]
    lines += ["", "## Amount units (one per dosed compartment)"]
    for drug, (state, unit) in targets.items():
        where = (f"each lesion's {state} (CMT = (LESION - 1) * {nl} + {model.index(state, n_slots) % nl + 1})"
                 if model.states[state].level == "lesion" else f"{state} (CMT {model.index(state, n_slots) + 1})")
        lines.append(f"  {drug}: AMT in {unit} into {where}; RATE in {unit}/day (0 = bolus)")
    crit = f" ({criterion})" if criterion else ""
    lines += ["", "## DVID",
              f"  1: one lesion's measured longest diameter [cm] (LESION > 0)",
              f"  2: tumour burden at an assessment [{burden_units}] (LESION = 0): the trial's primary "
              f"criterion{crit} burden (assessments.parquet 'burden')",
              "", "## Censoring",
              f"  CENS = 1: the lesion was below the detection limit ({detection_limit_cm:g} cm) and DV = the limit "
              "(nlmixr2/rxode2 CENS convention: the true value lies below DV; M3).",
              "  Observation rows have CMT = 0 (default observation compartment); endpoints are told apart by DVID.",
              "", "## Codes",
              "  ARM: " + ", ".join(f"{c} = {a}" for a, c in dict(zip(ids["arm"], ids["ARM"])).items()),
              "  STAGE: " + ", ".join(f"{c} = {s}" for s, c in STAGE_CODES.items()),
              "  ID: nonmem_ids.csv maps ID to patient_key (arm:patient_id)", ""]
    return "\n".join(lines)
