"""The model's parameters: one registry with value, units, description and source.

``docs/model.md`` documents the same table (a test checks that every name and value here
appears there). Values set by hand, pending the OPTiM calibration, say so in ``source``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from ._sites import Site

PROVISIONAL = "provisional: set by hand for plausible single-patient behaviour; calibrated to OPTiM targets later"
DAYS_PER_MONTH = 365.25 / 12.0


@dataclass(frozen=True)
class Parameter:
    """One model parameter: default value, units, meaning, and where the value comes from."""

    name: str
    value: float
    units: str
    description: str
    source: str
    level: str = "patient"
    """``patient`` (one value per patient) or ``lesion`` (default for each lesion, can vary)."""


def _p(name: str, value: float, units: str, description: str, source: str, level: str = "patient") -> Parameter:
    return Parameter(name, float(value), units, description, source, level)


_LN2 = math.log(2.0)

_TABLE: tuple[Parameter, ...] = (
    # --- tumour ---------------------------------------------------------------------------
    _p("tumour_cell_density", 1.0e8, "cells/cm^3", "tumour cells per cm^3 of lesion volume",
       "Del Monte 2009, Cell Cycle 8:505 (about 1e8 cells per gram of solid tumour)"),
    _p("doubling_time_days", 60.0, "day", "lesion volume doubling time without treatment or immunity",
       "melanoma metastases double in weeks to months (Carlson 2003, Am J Dermatopathol 25:291); "
       "60 d chosen as a human-scale reference, replacing mouse values of ~2-4 d", level="lesion"),
    _p("carrying_capacity_cells", 1.0e12, "cells", "cells at which a single lesion stops growing (logistic)",
       "assumed (about 10 kg of tissue at 1e8 cells/cm^3): keeps growth exponential at clinical sizes"),
    _p("extinction_scale_cells", 1.0, "cells", "scale below which a lesion cannot regrow (growth x U/(U+scale))",
       "modelling device: a lesion reduced below about one cell is extinct, not a fraction of a cell"),
    # --- virus ----------------------------------------------------------------------------
    _p("infection_rate", 1.0, "1/day", "rate at which a free PFU infects a tumour cell in a fully accessible lesion",
       PROVISIONAL),
    _p("accessibility", 0.1, "1", "fraction of the lesion the virus can reach (stroma, necrosis, pressure)",
       "ratio-dependent spread with limited access (Wodarz & Komarova 2009, PLoS ONE 4:e4271; "
       "Novozhilov et al. 2006, Biol Direct 1:6); value " + PROVISIONAL, level="lesion"),
    _p("burst_size", 50.0, "PFU/cell", "infectious virus released per lysed tumour cell",
       "Friedman et al. 2006, Cancer Res 66:2314 (HSV-1 mutant, b = 50)"),
    _p("lysis_rate", 1.0, "1/day", "rate at which infected tumour cells burst (1/lifetime)",
       "HSV-1 replication cycle ~18-24 h (Friedman et al. 2006)"),
    _p("virus_decay_rate", 0.5, "1/day", "loss of infectivity of free virus in tissue",
       "assumed; HSV-1 infectivity half-life of hours to days in tissue"),
    _p("healthy_uptake_rate", 1.5, "1/day", "non-productive uptake of virus by healthy cells (sink)",
       "assumed; T-VEC (ICP34.5-deleted) does not replicate in normal cells (Liu et al. 2003, Gene Ther 10:292)"),
    _p("virus_extinction_pfu", 1.0, "PFU", "scale below which free virus cannot sustain infection (infection x V/(V+scale))",
       "modelling device, as for cells: less than about one infectious particle cannot infect"),
    _p("dose_retention", 0.5, "1", "fraction of an intralesional dose retained in the lesion",
       "assumed; T-VEC DNA reaches blood and urine after injection (Imlygic label, shedding)"),
    _p("neutralisation_rate", 3.0, "1/(day*titre)", "extra clearance of free virus per unit of anti-HSV titre",
       PROVISIONAL),
    # --- anti-HSV humoral immunity -------------------------------------------------------------
    _p("antibody_seropositive_baseline", 1.0, "titre", "baseline neutralising titre of an HSV-1 seropositive patient",
       "definition: titres are relative to a typical seropositive adult"),
    _p("antibody_virus_halfsat", 1.0e6, "PFU", "total free virus giving half-maximal B-cell stimulation",
       PROVISIONAL),
    _p("bcell_activation_rate", 0.2, "1/day", "rate at which virus activates anti-HSV B cells (naive patient)",
       "seroconversion within ~3 weeks of the first dose (Hu et al. 2006, Clin Cancer Res 12:6737); " + PROVISIONAL),
    _p("bcell_memory_boost", 4.0, "1", "fold-faster B-cell activation in seropositive patients (recall)",
       "assumed; recall responses are faster and larger than primary ones"),
    _p("bcell_decay_rate", 0.1, "1/day", "decay of activated anti-HSV B-cell (plasmablast) activity",
       "assumed; plasmablast responses wane over 1-2 weeks"),
    _p("antibody_production_rate", 0.5, "titre/day", "titre produced per unit B-cell activity",
       PROVISIONAL),
    _p("antibody_decay_rate", _LN2 / 21.0, "1/day", "decay of neutralising IgG towards baseline",
       "IgG half-life ~21 d (Morell, Terry & Waldmann 1970, J Clin Invest 49:673)"),
    # --- GM-CSF ---------------------------------------------------------------------------
    _p("gmcsf_secretion_rate", 3.6e-5, "ng/(cell*day)", "GM-CSF secreted by a T-VEC-infected tumour cell",
       "tens of ng per 1e6 transduced tumour cells per day (Dranoff et al. 1993, PNAS 90:3539)"),
    _p("gmcsf_clearance_rate", _LN2 / (162.0 / 1440.0), "1/day", "clearance of local and systemic GM-CSF",
       "sargramostim half-life 162 min after SC dosing (Leukine prescribing information)"),
    _p("gmcsf_local_halfsat", 1.0, "ng", "local GM-CSF (all lesions) giving half-maximal DC licensing",
       PROVISIONAL),
    _p("gmcsf_systemic_halfsat", 20.0, "ug", "systemic GM-CSF amount giving half-maximal DC licensing",
       PROVISIONAL),
    _p("bsa_m2", 1.9, "m^2", "body surface area (scales the GM-CSF comparator dose)",
       "typical adult (Mosteller formula, 175 cm, 75 kg)"),
    # --- antigen and dendritic cells ----------------------------------------------------------
    _p("antigen_lysis_yield", 1.0, "1", "antigen released per virus-lysed tumour cell (cell-equivalents)",
       "definition: antigen is counted in cell-equivalents of immunogenic (viral) lysis"),
    _p("antigen_kill_yield", 0.2, "1", "antigen released per T-cell-killed tumour cell, relative to viral lysis",
       "assumed; immunogenic cell death by oncolysis is the stronger signal (epitope spreading weaker)"),
    _p("antigen_baseline_release", 1.0e-4, "1/day", "antigen shed per tumour cell per day without therapy",
       PROVISIONAL),
    _p("antigen_clearance_rate", 0.5, "1/day", "clearance of tumour antigen available to dendritic cells",
       "assumed (half-life ~1.4 d)"),
    _p("antigen_halfsat", 1.0e7, "cell-eq", "antigen giving half-maximal DC loading", PROVISIONAL),
    _p("dc_recruitment_rate", 1.0e5, "cells/day", "maximal influx of licensed, antigen-loaded DCs to lymph nodes",
       PROVISIONAL),
    _p("dc_licensing_baseline", 0.05, "1", "DC licensing without GM-CSF", PROVISIONAL),
    _p("dc_licensing_local", 1.0, "1", "maximal extra licensing from GM-CSF made in injected lesions",
       "GM-CSF recruits and matures DCs (Dranoff et al. 1993); " + PROVISIONAL),
    _p("dc_licensing_systemic", 0.15, "1", "maximal extra licensing from systemic GM-CSF",
       "modest effect: GM-CSF alone gave 5.7% ORR in OPTiM (Andtbacka et al. 2015); " + PROVISIONAL),
    _p("dc_death_rate", 0.3, "1/day", "loss of mature DCs in lymph nodes",
       "mature DC lifespan of ~2-3 d in lymph nodes (Kamath et al. 2002, Blood 100:1734; mouse, not rescaled)"),
    # --- T cells ---------------------------------------------------------------------------
    _p("priming_rate", 100.0, "cells/(DC*day)", "effector T cells generated per DC per day (incl. clonal expansion)",
       PROVISIONAL),
    _p("priming_delay_days", 7.0, "day", "mean delay from DC priming to effector T cells (Erlang, 3 stages)",
       "effector T cells peak ~1 week after priming (standard immunology; linear chain trick, MacDonald 1978)"),
    _p("effector_death_rate", 0.1, "1/day", "loss of effector T cells (death and contraction)",
       "assumed (effector half-life ~7 d)"),
    _p("memory_fraction", 0.1, "1", "fraction of dying effectors that become memory T cells",
       "5-10% of effectors survive contraction (Kaech & Cui 2012, Nat Rev Immunol 12:749)"),
    _p("memory_recall_rate", 0.05, "1/day", "maximal rate at which memory cells re-enter the effector pool on antigen",
       PROVISIONAL),
    _p("memory_expansion", 5.0, "1", "effectors produced per recalled memory cell (recall loop gain = fraction x expansion < 1)",
       PROVISIONAL),
    _p("memory_death_rate", _LN2 / (8.0 * 365.25), "1/day", "loss of memory T cells",
       "virus-specific memory T cells half-life 8-15 years (Hammarlund et al. 2003, Nat Med 9:1131)"),
    _p("kill_rate", 0.1, "1/day", "maximal per-cell kill rate of tumour cells by infiltrating effectors",
       PROVISIONAL),
    _p("kill_ratio_halfsat", 0.1, "1", "effector:tumour-cell ratio giving half-maximal killing",
       "ratio-dependent killing (de Pillis, Radunskaya & Wiseman 2005, Cancer Res 65:7950); value " + PROVISIONAL),
    _p("inflammation_gain", 1.0, "1", "maximal extra T-cell infiltration of a lesion from its own GM-CSF/inflammation",
       "assumed; injected lesions respond more than uninjected ones (Andtbacka et al. 2016)"),
)

PARAMETERS: Mapping[str, Parameter] = MappingProxyType({p.name: p for p in _TABLE})
"""All model parameters by name."""

INFILTRATION_BY_SITE: Mapping[Site, float] = MappingProxyType({
    Site.CUTANEOUS: 1.0,
    Site.SUBCUTANEOUS: 1.0,
    Site.NODAL: 0.9,
    Site.LUNG: 0.6,
    Site.LIVER: 0.3,
    Site.VISCERAL_OTHER: 0.5,
})
"""Relative effector T-cell infiltration by site (1 = skin). Lower in viscera, lowest in liver:
Tumeh et al. 2017, Cancer Immunol Res 5:417 (reduced CD8 density in liver metastases); values provisional."""

LESION_LEVEL = tuple(p.name for p in _TABLE if p.level == "lesion")


def default_parameters() -> dict[str, float]:
    """A fresh ``{name: value}`` dict of the default parameters (units in :data:`PARAMETERS`)."""
    return {name: p.value for name, p in PARAMETERS.items()}


def check_overrides(overrides: Mapping[str, float], where: str = "parameters") -> dict[str, float]:
    """Validate parameter overrides: known names, finite values >= 0; returns floats.

    Raises ``ValueError`` naming the field and what was expected.
    """
    out: dict[str, float] = {}
    for name, value in overrides.items():
        if name not in PARAMETERS:
            raise ValueError(f"{where}.{name}: unknown parameter (expected one of the names in docs/model.md)")
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{where}.{name}: expected a number (got {value!r})") from None
        if not math.isfinite(v) or v < 0:
            raise ValueError(f"{where}.{name}: expected a finite number >= 0 (got {value!r})")
        out[name] = v
    return out
