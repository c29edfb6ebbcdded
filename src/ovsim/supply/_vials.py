"""Vials of T-VEC thawed per visit, per patient and per arm, from dose records.

Imlygic comes in 1 mL single-use vials of two strengths (1e6 PFU/mL for the first visit, 1e8
PFU/mL later). A visit thaws, for each strength it uses, enough vials for the total volume of that
strength injected at the visit (``vials_to_thaw``); what is left in the last vial is discarded.
Vials are never shared between patients or between visits.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..regimen._label import LabelFacts, load_label, vials_to_thaw

VISIT_COLUMNS = ("arm", "patient_id", "day", "strength", "concentration_pfu_per_ml", "lesions", "volume_ml", "vials",
                 "waste_ml")
USAGE_COLUMNS = ("arm", "patient_id", "strength", "concentration_pfu_per_ml", "visits", "volume_ml", "vials", "waste_ml")
NO_ARM = "all"
"""Arm name given to dose records and patient tables that carry no arm (a single cohort)."""


def strength_name(concentration_pfu_per_ml: float) -> str:
    """``1e6`` for 1e6 PFU/mL, ``1e8`` for 1e8 PFU/mL (``%g`` for any other concentration)."""
    c = float(concentration_pfu_per_ml)
    if c > 0:
        e = round(math.log10(c))
        if math.isclose(c, 10.0**e, rel_tol=1e-9):
            return f"1e{e}"
    return f"{c:g}"


def label_strengths(label: LabelFacts | None = None) -> list[str]:
    """The label's strengths, first-visit strength first: ``["1e6", "1e8"]``."""
    label = label or load_label()
    return [strength_name(label.first_strength_pfu_per_ml), strength_name(label.later_strength_pfu_per_ml)]


def _arm_column(doses: pd.DataFrame) -> str | None:
    return next((c for c in ("ARM", "arm") if c in doses.columns), None)


def visit_vials(doses: pd.DataFrame, label: LabelFacts | None = None) -> pd.DataFrame:
    """One row per arm, patient, visit day and strength of T-VEC given: ``lesions`` injected,
    ``volume_ml`` (mL), ``vials`` thawed (1 mL each) and ``waste_ml`` (mL).

    ``doses``: dose records (``ovsim.regimen`` columns ID, TIME, DRUG, VOL_ML, CONC_PFU_ML, AMT) with an
    optional ``ARM`` column (a trial's ``doses``); without it the arm is ``"all"``. Other drugs are ignored.
    """
    label = label or load_label()
    missing = [c for c in ("ID", "TIME", "DRUG", "VOL_ML", "CONC_PFU_ML") if c not in doses.columns]
    if missing:
        raise ValueError(f"doses: missing column(s) {', '.join(missing)} (expected dose records)")
    arm_col = _arm_column(doses)
    given = doses[(doses["DRUG"].astype(str) == "TVEC") & (doses["VOL_ML"].astype(float) > 0)]
    if given.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
            VISIT_COLUMNS, (object, object, float, object, float, int, float, int, float))})
    frame = pd.DataFrame({
        "arm": given[arm_col].astype(str).to_numpy() if arm_col else NO_ARM,
        "patient_id": given["ID"].astype(str).to_numpy(),
        "day": given["TIME"].astype(float).to_numpy(),
        "concentration_pfu_per_ml": given["CONC_PFU_ML"].astype(float).to_numpy(),
        "volume_ml": given["VOL_ML"].astype(float).to_numpy(),
    })
    out = (frame.groupby(["arm", "patient_id", "day", "concentration_pfu_per_ml"], sort=True)["volume_ml"]
           .agg(["size", "sum"]).reset_index().rename(columns={"size": "lesions", "sum": "volume_ml"}))
    out["volume_ml"] = np.round(out["volume_ml"].to_numpy() * 10.0) / 10.0  # volumes are whole tenths of a mL
    out["vials"] = [vials_to_thaw(v, label) for v in out["volume_ml"]]
    out["waste_ml"] = np.round((out["vials"] * label.vial_ml - out["volume_ml"]).to_numpy() * 10.0) / 10.0
    out["strength"] = [strength_name(c) for c in out["concentration_pfu_per_ml"]]
    return out[list(VISIT_COLUMNS)].reset_index(drop=True)


def vial_usage(doses: pd.DataFrame, label: LabelFacts | None = None) -> pd.DataFrame:
    """Per arm, patient and strength: ``visits``, ``volume_ml`` injected (mL), ``vials`` thawed and
    ``waste_ml`` (vials x 1 mL - volume). Each visit thaws ``vials_to_thaw(volume of that strength)``.

    Only patients and strengths with T-VEC doses appear; :func:`usage_summary` adds the zeros. The
    ``arm`` column comes from the records' ``ARM`` (``"all"`` when absent): in a paired trial the same
    patient ID appears in several arms, so join on ``arm`` and ``patient_id``.
    """
    visits = visit_vials(doses, label)
    keys = ["arm", "patient_id", "strength", "concentration_pfu_per_ml"]
    out = (visits.groupby(keys, sort=True)
           .agg(visits=("day", "nunique"), volume_ml=("volume_ml", "sum"), vials=("vials", "sum"),
                waste_ml=("waste_ml", "sum"))
           .reset_index())
    out["volume_ml"] = np.round(out["volume_ml"].to_numpy(dtype=float) * 10.0) / 10.0
    out["waste_ml"] = np.round(out["waste_ml"].to_numpy(dtype=float) * 10.0) / 10.0
    out["visits"] = out["visits"].astype(int)
    out["vials"] = out["vials"].astype(int)
    out = out.sort_values(["arm", "patient_id", "concentration_pfu_per_ml"], kind="stable")
    return out[list(USAGE_COLUMNS)].reset_index(drop=True)


def patient_keys(patients: pd.DataFrame | None, usage: pd.DataFrame, only_ok: bool = True) -> pd.DataFrame:
    """The patients a summary counts: ``arm`` and ``patient_id`` (strings), one row each.

    ``patients``: a trial's ``patients`` (``arm``, ``patient_id``, ``ok``) or a cohort's ``status``
    (``patient_id``, ``ok``; arm ``"all"``); with ``only_ok`` failed patients are left out, as they are
    from a trial's endpoints. ``None``: the patients found in ``usage``.
    """
    if patients is None:
        return usage[["arm", "patient_id"]].drop_duplicates().reset_index(drop=True)
    if "patient_id" not in patients.columns:
        raise ValueError("patients: missing column patient_id")
    keep = patients["ok"].astype(bool).to_numpy() if (only_ok and "ok" in patients.columns) else np.ones(len(patients), bool)
    p = patients[keep]
    arm = p["arm"].astype(str).to_numpy() if "arm" in p.columns else np.full(len(p), NO_ARM, dtype=object)
    keys = pd.DataFrame({"arm": arm, "patient_id": p["patient_id"].astype(str).to_numpy()})
    if keys.duplicated().any():
        raise ValueError("patients: a patient_id appears twice in one arm")
    used_arms = set(usage["arm"].astype(str))
    if "arm" in p.columns and used_arms == {NO_ARM} and set(keys["arm"]) != {NO_ARM}:
        raise ValueError("usage: dose records without ARM cannot be matched to a trial's arms (use trial.doses, "
                         "which carries ARM)")
    return keys


def usage_summary(usage: pd.DataFrame, patients: pd.DataFrame | None = None, only_ok: bool = True,
                  label: LabelFacts | None = None) -> pd.DataFrame:
    """Per arm and strength (and ``all`` strengths): ``patients`` counted, ``visits_mean``,
    ``vials_mean`` (per patient, zeros included), ``vials_total``, ``volume_ml_total``, ``waste_ml_total``
    and ``waste_fraction`` (waste / mL thawed). ``patients`` gives the denominators (see :func:`patient_keys`)."""
    label = label or load_label()
    keys = patient_keys(patients, usage, only_ok)
    strengths = label_strengths(label)
    strengths += sorted(set(usage["strength"]) - set(strengths))
    arms = list(dict.fromkeys(keys["arm"]))
    counted = usage.merge(keys, on=["arm", "patient_id"], how="inner")
    rows = []
    for arm in arms:
        n = int((keys["arm"] == arm).sum())
        mine = counted[counted["arm"] == arm]
        for strength in strengths + ["all"]:
            part = mine if strength == "all" else mine[mine["strength"] == strength]
            vials, volume = int(part["vials"].sum()), float(part["volume_ml"].sum())
            thawed = vials * label.vial_ml
            visits = int(part["visits"].sum())  # the label never uses both strengths at one visit
            rows.append({
                "arm": arm, "strength": strength, "patients": n,
                "visits_mean": float(visits) / n if n else float("nan"),
                "vials_mean": vials / n if n else float("nan"), "vials_total": vials,
                "volume_ml_total": round(volume, 1), "waste_ml_total": round(thawed - volume, 1),
                "waste_fraction": (thawed - volume) / thawed if thawed else float("nan"),
            })
    return pd.DataFrame(rows)
