"""The two layouts of a patient's record: the tidy CSV and ovsim's NONMEM-style dataset.

Both give rows of :data:`._checks.ROW_FIELDS`; :mod:`._checks` then validates what they share.
"""

from __future__ import annotations

import math
from typing import Mapping

import pandas as pd

from ..._read import MAX_HORIZON_DAYS, InputFileError
from ...datasets import STAGE_CODES
from ...model import SITE_NAMES
from ...regimen import load_label
from ._checks import check_columns, diameter, fail, lesion_id, number, site

TIDY_REQUIRED = ("lesion_id", "site", "day", "longest_diameter_cm")
TIDY_OPTIONAL = ("perpendicular_diameter_cm", "injected_volume_ml", "concentration_pfu_per_ml")
TIDY_COLUMNS = {"site": "site", "day": "day", "longest": "longest_diameter_cm", "volume": "injected_volume_ml",
                "conc": "concentration_pfu_per_ml"}

NONMEM_REQUIRED = ("ID", "TIME", "EVID", "AMT", "CMT", "DV", "MDV")
NONMEM_OPTIONAL = ("RATE", "DVID", "CENS", "LESION", "LESION_ID", "SITE", "PERP_CM", "VOL_ML", "CONC_PFU_ML",
                   "ARM", "STAGE", "ECOG", "LDH")
NONMEM_COLUMNS = {"site": "SITE", "day": "TIME", "longest": "DV", "volume": "VOL_ML", "conc": "CONC_PFU_ML"}

MAX_DAY = MAX_HORIZON_DAYS  # latest day accepted (100 years after the first treatment day)


def is_nonmem(header: list[str]) -> bool:
    """A header with ID, TIME and EVID is a NONMEM-style dataset; anything else is read as the tidy CSV."""
    return {"ID", "TIME", "EVID"} <= set(header)


def _row(row: int, les: str, where: str, day: float, longest: float = math.nan, perp: float = math.nan,
         cens: bool = False, volume: float = math.nan, conc: float = math.nan) -> dict:
    return {"row": row, "lesion_id": les, "site": where, "day": day, "longest_cm": longest, "perp_cm": perp,
            "cens": cens, "volume_ml": volume, "conc": conc}


# ------------------------------------------------------------------------------------------- tidy

def tidy_rows(header: list[str], rows: list[tuple[int, dict[str, str]]], name: str) -> pd.DataFrame:
    """Rows of the tidy CSV (one per lesion and visit: a measurement, a dose or both)."""
    check_columns(header, TIDY_REQUIRED, TIDY_OPTIONAL, name)
    out = []
    for n, cells in rows:
        les = lesion_id(cells["lesion_id"], name, n, "lesion_id")
        where = site(cells["site"], name, n, "site")
        day = number(cells["day"], name, n, "day", required=True, upper=MAX_DAY)
        volume = number(cells.get("injected_volume_ml", ""), name, n, "injected_volume_ml", required=False)
        conc = number(cells.get("concentration_pfu_per_ml", ""), name, n, "concentration_pfu_per_ml", required=False)
        dose = volume > 0
        if dose and math.isnan(conc):
            raise fail(name, n, "concentration_pfu_per_ml", "empty cell (a row with an injected volume needs its "
                       "concentration)")
        longest = diameter(cells["longest_diameter_cm"], name, n, "longest_diameter_cm", required=not dose)
        perp = diameter(cells.get("perpendicular_diameter_cm", ""), name, n, "perpendicular_diameter_cm",
                        required=False)
        out.append(_row(n, les, where, day, longest, perp, False, volume, conc))
    return pd.DataFrame(out)


# ------------------------------------------------------------------------------------------- NONMEM

def _id(cell: str) -> str:
    """An ID as text, ``3.0`` written as ``3``."""
    try:
        value = float(cell)
    except ValueError:
        return cell
    return str(int(value)) if math.isfinite(value) and value == int(value) else cell


def select_patient(rows: list[tuple[int, dict[str, str]]], name: str, patient_id: str | None):
    """The rows of one ID: the only one, or ``patient_id``."""
    ids = list(dict.fromkeys(_id(cells["ID"]) for _, cells in rows))
    if patient_id is None:
        if len(ids) > 1:
            shown = ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")
            raise InputFileError(f"{name}: column ID: {len(ids)} patients in the dataset (IDs {shown}); choose one "
                                 "with --id (patient_id)")
        patient_id = ids[0]
    wanted = _id(str(patient_id))
    if wanted not in ids:
        shown = ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")
        raise InputFileError(f"{name}: column ID: no patient {str(patient_id)!r} in the dataset (IDs {shown})")
    return wanted, [(n, cells) for n, cells in rows if _id(cells["ID"]) == wanted]


def nonmem_rows(header: list[str], rows: list[tuple[int, dict[str, str]]], name: str,
                lesion_sites: Mapping[str, str]) -> pd.DataFrame:
    """Lesion diameters (EVID 0, MDV 0, DVID 1) and T-VEC doses (EVID 1 into a lesion) of one patient's rows."""
    check_columns(header, NONMEM_REQUIRED, NONMEM_OPTIONAL, name)
    if "LESION" not in header and "LESION_ID" not in header:
        raise fail(name, 1, "LESION_ID", "required column is missing (give LESION_ID or ovsim's LESION index)")
    if ("VOL_ML" in header) != ("CONC_PFU_ML" in header):
        raise fail(name, 1, "CONC_PFU_ML" if "VOL_ML" in header else "VOL_ML",
                   "required column is missing (VOL_ML and CONC_PFU_ML come together)")
    label = load_label()
    first_dose_day = min((float(c["TIME"]) for _, c in rows if _is_number(c["EVID"]) and float(c["EVID"]) == 1
                          and _is_number(c["TIME"])), default=math.nan)
    out = []
    for n, c in rows:
        evid = number(c["EVID"], name, n, "EVID", required=True)
        if evid not in (0, 1):
            raise fail(name, n, "EVID", f"expected 0 (observation) or 1 (dose) (got {c['EVID']})")
        day = number(c["TIME"], name, n, "TIME", required=True, upper=MAX_DAY)
        mdv = number(c["MDV"], name, n, "MDV", required=True)
        dvid = number(c.get("DVID", "1"), name, n, "DVID", required=True)
        if evid == 0 and (mdv == 1 or dvid != 1):
            continue  # missing observation, or tumour burden (DVID 2: derived from the lesions)
        les, column = _lesion(c, name, n)
        if les is None:
            if evid == 1:
                raise fail(name, n, column, "a dose into no lesion (only T-VEC intralesional doses are read; "
                           "systemic doses such as GM-CSF are not)")
            raise fail(name, n, column, "an observation of no lesion (expected a lesion's diameter)")
        where = _site(c, les, lesion_sites, name, n)
        if evid == 0:
            longest = diameter(c["DV"], name, n, "DV", required=True)
            perp = diameter(c.get("PERP_CM", ""), name, n, "PERP_CM", required=False)
            cens = number(c.get("CENS", "0"), name, n, "CENS", required=True) == 1
            out.append(_row(n, les, where, day, longest, perp, cens))
        else:
            volume, conc = _dose(c, name, n, day == first_dose_day, label)
            out.append(_row(n, les, where, day, volume=volume, conc=conc))
    if not out:
        raise InputFileError(f"{name}: no lesion observation or dose for this patient (expected EVID 0 rows with "
                             "DVID 1 and EVID 1 rows into lesions)")
    return pd.DataFrame(out)


def _is_number(cell: str) -> bool:
    try:
        return math.isfinite(float(cell))
    except ValueError:
        return False


def _lesion(c: Mapping[str, str], name: str, n: int) -> tuple[str | None, str]:
    """The lesion's id: LESION_ID, else ``L<LESION>`` (ovsim's lesion index); ``None`` for a patient-level row."""
    if c.get("LESION_ID", ""):
        return lesion_id(c["LESION_ID"], name, n, "LESION_ID"), "LESION_ID"
    if "LESION" not in c:
        return None, "LESION_ID"
    index = number(c["LESION"], name, n, "LESION", required=True)
    if index != int(index):
        raise fail(name, n, "LESION", f"expected a whole lesion index (got {c['LESION']})")
    return (f"L{int(index)}" if index > 0 else None), "LESION"


def _site(c: Mapping[str, str], les: str, lesion_sites: Mapping[str, str], name: str, n: int) -> str:
    """The site from SITE (a name, or its 1-based code in ovsim.model.SITE_NAMES), else the covariates file."""
    cell = c.get("SITE", "")
    if cell:
        if _is_number(cell) and float(cell) in range(1, len(SITE_NAMES) + 1):
            return SITE_NAMES[int(float(cell)) - 1]
        return site(cell, name, n, "SITE")
    if les in lesion_sites:
        return lesion_sites[les]
    raise fail(name, n, "SITE", f"no site for lesion {les!r} (add a SITE column or lesion_sites in the covariates "
               "file)")


def _dose(c: Mapping[str, str], name: str, n: int, first_visit: bool, label) -> tuple[float, float]:
    """(volume mL, concentration PFU/mL) of a dose row: VOL_ML and CONC_PFU_ML if given (checked against AMT),
    else the label's strength of the visit (first visit 1e6, later 1e8 PFU/mL) and AMT / strength."""
    amount = number(c["AMT"], name, n, "AMT", required=True)
    if amount <= 0:
        raise fail(name, n, "AMT", f"expected a dose > 0 PFU (got {c['AMT']})")
    if c.get("RATE", "0") not in ("0", "0.0", ""):
        raise fail(name, n, "RATE", f"expected 0 (T-VEC is injected as a bolus; got {c['RATE']})")
    if "VOL_ML" in c:
        volume = number(c["VOL_ML"], name, n, "VOL_ML", required=True)
        conc = number(c["CONC_PFU_ML"], name, n, "CONC_PFU_ML", required=True)
        if not math.isclose(volume * conc, amount, rel_tol=1e-6):
            raise fail(name, n, "AMT", f"expected VOL_ML x CONC_PFU_ML = {volume * conc:g} PFU (got {c['AMT']})")
        return volume, conc
    conc = label.first_strength_pfu_per_ml if first_visit else label.later_strength_pfu_per_ml
    return amount / conc, conc


def nonmem_covariates(first: Mapping[str, str]) -> dict[str, object]:
    """stage, ecog, ldh_x_uln from STAGE, ECOG and LDH of a patient's first row (where given)."""
    names = {code: stage for stage, code in STAGE_CODES.items()}
    out: dict[str, object] = {}
    if _is_number(first.get("STAGE", "")) and float(first["STAGE"]) in names:
        out["stage"] = names[int(float(first["STAGE"]))]
    if _is_number(first.get("ECOG", "")) and float(first["ECOG"]) in range(5):
        out["ecog"] = int(float(first["ECOG"]))
    if _is_number(first.get("LDH", "")):
        out["ldh_x_uln"] = float(first["LDH"])
    return out
