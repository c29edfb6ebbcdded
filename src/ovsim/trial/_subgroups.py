"""Subgroup families of the trial endpoints: AJCC stage group, the EU indication, HSV-1 serostatus.

Each family splits the evaluable patients into named groups; every group gets the full per-arm endpoints
(``endpoints.json -> subgroups.<family>.<group>.<arm>``) and, with two arms or more, the first-vs-last
comparisons (``subgroup_comparisons.json``).

- ``stage``: IIIB/IIIC, IVM1a, IVM1b, IVM1c (AJCC 7th edition; OPTiM's stratification, Andtbacka et al.
  J Clin Oncol 2015;33:2780).
- ``eu_indication``: stage IIIB, IIIC and IVM1a (no visceral disease: the population of the EU label,
  EMA EPAR EMA/708487/2015; its durable response is one of OPTiM's targets) against IVM1b/IVM1c.
- ``serostatus``: HSV-1 seropositive vs seronegative at baseline (``hsv1_seropositive``; only when the
  patient table carries it).
"""

from __future__ import annotations

import pandas as pd

STAGE_GROUPS = {"IIIB": "IIIB/IIIC", "IIIC": "IIIB/IIIC", "IVM1a": "IVM1a", "IVM1b": "IVM1b", "IVM1c": "IVM1c"}
EU_INDICATION = "IIIB/IIIC/IVM1a"
"""The EU-indication group: stages IIIB, IIIC and IVM1a."""
EU_GROUPS = {"IIIB": EU_INDICATION, "IIIC": EU_INDICATION, "IVM1a": EU_INDICATION,
             "IVM1b": "IVM1b/IVM1c", "IVM1c": "IVM1b/IVM1c"}
SEROSTATUS_GROUPS = {True: "seropositive", False: "seronegative"}
SUBGROUP_FAMILIES = ("stage", "eu_indication", "serostatus")


def subgroup_labels(patients: pd.DataFrame) -> dict[str, tuple[pd.Series, tuple[str, ...]]]:
    """``{family: (group of each patient, the family's groups in order)}``; a patient outside every group of
    a family (an unknown stage) has a missing label there. ``serostatus`` only if ``hsv1_seropositive`` is a
    column (its values must already be checked true/false)."""
    out = {
        "stage": (patients["stage"].map(STAGE_GROUPS), tuple(dict.fromkeys(STAGE_GROUPS.values()))),
        "eu_indication": (patients["stage"].map(EU_GROUPS), tuple(dict.fromkeys(EU_GROUPS.values()))),
    }
    if "hsv1_seropositive" in patients.columns:
        sero = patients["hsv1_seropositive"].map(lambda v: SEROSTATUS_GROUPS[bool(v)])
        out["serostatus"] = (sero, tuple(SEROSTATUS_GROUPS.values()))
    return out
