"""Draw virtual patients from a :class:`PopulationSpec`, one independent random stream each.

Patient ``i`` of seed ``s`` always gets the stream ``SeedSequence(s, spawn_key=(i,))``, so a
population is the same whatever the batch or shard it is drawn in. The body weight ``weight_kg`` is
derived from ``bsa_m2`` and a height drawn from the patient's own stream ``(i, 10)``
(:mod:`ovsim.population._weight`), after and apart from every other draw.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import __version__
from ..model import PARAMETERS
from ._population import Population
from ._spec import INJECTABLE_SITES, STAGES, PopulationSpec, load_population_spec
from ._weight import patient_weight_kg

_MAX_REDRAWS = 1000


def generate_population(
    n: int, seed: int, arm: str = "tvec", spec: PopulationSpec | None = None, start: int = 0
) -> Population:
    """``n`` virtual patients (indices ``start .. start+n-1``) of ``arm``'s stage mix, from ``seed``."""
    spec = spec or load_population_spec()
    if arm not in spec.stage_mix:
        raise ValueError(f"arm: expected one of {', '.join(spec.stage_mix)} (got {arm!r})")
    if n < 0 or start < 0:
        raise ValueError(f"n, start: expected >= 0 (got {n}, {start})")
    if not (isinstance(seed, (int, np.integer)) and seed >= 0):
        raise ValueError(f"seed: expected an integer >= 0 (got {seed!r})")
    patients, lesions = [], []
    for index in range(start, start + n):
        rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(index,)))
        row, rows = draw_patient(rng, index, arm, spec)
        row["weight_kg"] = patient_weight_kg(int(seed), index, row["bsa_m2"])
        patients.append(row)
        lesions.extend(rows)
    provenance = {
        "ovsim_version": __version__,
        "seed": int(seed),
        "arm": arm,
        "spec_sha256": spec.digest(),
        "spec_source": spec.source,
    }
    return Population.from_records(patients, lesions, provenance)


def _lognormal(rng: np.random.Generator, median: float, cv: float) -> float:
    """Log-normal draw with the given median and coefficient of variation."""
    sigma = math.sqrt(math.log1p(cv * cv))
    return float(median * math.exp(sigma * rng.standard_normal()))


def _size(rng: np.random.Generator, spec: PopulationSpec, site: str, low: float, high: float,
          scale: float = 1.0) -> float:
    """Baseline longest diameter (cm): the site's log-normal (median x ``scale``) truncated to [low, high]
    by redrawing."""
    dist = spec.lesion_size_cm[site]
    sigma = math.log(dist.gsd)
    for _ in range(_MAX_REDRAWS):
        d = scale * dist.median * math.exp(sigma * rng.standard_normal())
        if low <= d <= high:
            return round(d, 3)
    raise ValueError(f"lesion_size_cm.{site}: cannot draw a size in [{low}, {high}] cm")


def draw_patient(
    rng: np.random.Generator, index: int, arm: str, spec: PopulationSpec
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One patient's row and lesion rows. The order of draws is part of the reproducibility contract:
    stage, covariates, lesion counts, sites, the patient's size factor, sizes, patient parameters,
    per-lesion doubling time and accessibility, occult deposits, and last each lesion's injection intent."""
    mix = spec.stage_mix[arm]
    probs = np.array([mix[s] for s in STAGES], dtype=float)
    stage = STAGES[int(rng.choice(len(STAGES), p=probs / probs.sum()))]
    st = spec.stages[stage]
    cov = spec.covariates

    ecog = 0 if rng.random() < cov.ecog0_fraction else 1
    p_ldh = min(1.0, cov.ldh_above_uln_fraction / mix["IVM1c"]) if stage == "IVM1c" and mix["IVM1c"] > 0 else 0.0
    ldh_high = rng.random() < p_ldh
    ldh = rng.uniform(1.0, cov.ldh_max_x_uln) if ldh_high else rng.uniform(0.5, 1.0)
    hsv = bool(rng.random() < cov.hsv1_seropositive_fraction)
    bsa = _lognormal(rng, cov.bsa_m2.median, math.sqrt(math.exp(math.log(cov.bsa_m2.gsd) ** 2) - 1))

    n_inj = 1 + int(rng.poisson(st.injectable_mean - 1.0))
    n_lung = 1 + int(rng.poisson(max(st.lung[1] - 1.0, 0.0))) if rng.random() < st.lung[0] else 0
    p_visc = 0.5 if ldh_high else st.visceral_other[0]
    n_visc = min(3, 1 + int(rng.poisson(max(st.visceral_other[1] - 1.0, 0.0)))) if rng.random() < p_visc else 0
    n_inj = max(1, min(n_inj, spec.max_lesions - n_visc - min(n_lung, 1)))
    n_lung = min(n_lung, spec.max_lesions - n_visc - n_inj)

    inj_probs = np.array([st.injectable_sites.get(s, 0.0) for s in INJECTABLE_SITES])
    sites = [INJECTABLE_SITES[k] for k in rng.choice(3, size=n_inj, p=inj_probs / inj_probs.sum())]
    sites += ["lung"] * n_lung
    vo_names = list(spec.visceral_other_sites)
    vo_probs = np.array([spec.visceral_other_sites[s] for s in vo_names])
    sites += [vo_names[k] for k in rng.choice(len(vo_names), size=n_visc, p=vo_probs / vo_probs.sum())]

    scale = _patient_size_scale(rng, spec.patient_size_gsd)
    sizes = [
        _size(rng, spec, s, spec.min_cm, spec.visceral_other_max_cm if s in ("liver", "visceral_other") else spec.max_cm,
              scale)
        for s in sites
    ]
    if max(sizes[:n_inj]) < spec.min_measurable_cm:  # measurable disease: largest injectable >= 1 cm
        k = int(np.argmax(sizes[:n_inj]))
        sizes[k] = _size(rng, spec, sites[k], spec.min_measurable_cm, spec.max_cm)

    var = spec.variability
    params = {name: _lognormal(rng, PARAMETERS[name].value, cv) for name, cv in sorted(var.patient.items())}
    doubling = _lognormal(rng, st.doubling_time_days, var.patient_doubling_time_cv)
    params["doubling_time_days"] = doubling
    params["bsa_m2"] = bsa
    access0 = PARAMETERS["accessibility"].value
    patient_id = f"VP{index:07d}"
    lesions = [
        {
            "patient_id": patient_id,
            "lesion_id": f"{patient_id}-L{j + 1:02d}",
            "site": site,
            "longest_diameter_cm": size,
            "doubling_time_days": _lognormal(rng, doubling, var.lesion["doubling_time_cv"]),
            "accessibility": min(1.0, _lognormal(rng, access0, var.lesion["accessibility_cv"])),
        }
        for j, (site, size) in enumerate(zip(sites, sizes))
    ]
    occult = _occult_lesions(rng, spec, st, stage, patient_id, doubling, len(lesions), access0)
    lesions += occult
    _draw_intent(rng, spec, lesions, n_visible=len(sites))
    _draw_infiltration(rng, var.lesion.get("infiltration_log_sd", 0.0), lesions)
    row = {
        "patient_id": patient_id,
        "index": index,
        "arm": arm,
        "stage": stage,
        "ecog": ecog,
        "ldh_x_uln": round(float(ldh), 3),
        "hsv1_seropositive": hsv,
        "n_lesions": len(lesions),
        "n_occult": len(occult),
        **params,
    }
    return row, lesions


def _patient_size_scale(rng: np.random.Generator, gsd: float) -> float:
    """The patient's factor on every lesion's median size: log-normal with geometric SD ``gsd``, its
    normal deviate truncated to +-2 (no draw when ``gsd`` is 1)."""
    if gsd <= 1.0:
        return 1.0
    return math.exp(math.log(gsd) * float(np.clip(rng.standard_normal(), -2.0, 2.0)))


def _draw_intent(rng: np.random.Generator, spec: PopulationSpec, lesions: list[dict[str, Any]], n_visible: int) -> None:
    """Set each lesion's ``injection_intent`` (the investigator plans to inject it when present), drawn last.

    One uniform per lesion (visible, then occult), intended with the site's ``injection_intent``
    probability (never at a visceral site). OPTiM enrolled patients with an injectable lesion to
    treat, so if no visible injectable lesion is intended the largest one is.
    """
    u = rng.random(len(lesions))
    for les, ui in zip(lesions, u):
        les["injection_intent"] = bool(ui < spec.intent_probability(les["site"]))
    visible = [j for j in range(n_visible) if lesions[j]["site"] in INJECTABLE_SITES]
    if visible and not any(lesions[j]["injection_intent"] for j in visible):
        largest = max(visible, key=lambda j: lesions[j]["longest_diameter_cm"])
        lesions[largest]["injection_intent"] = True


def _draw_infiltration(rng: np.random.Generator, log_sd: float, lesions: list[dict[str, Any]]) -> None:
    """Set each lesion's ``immune_infiltration`` (its standardised effector infiltration; the model raises it
    to the patient's ``infiltration_spread``): log-normal, median 1, log-SD ``log_sd``, one draw per lesion
    (visible, then occult) after every other draw of the patient; 1 for every lesion when ``log_sd`` is 0."""
    for les in lesions:
        les["immune_infiltration"] = float(math.exp(log_sd * rng.standard_normal())) if log_sd > 0 else 1.0


def _occult_lesions(
    rng: np.random.Generator, spec: PopulationSpec, st: Any, stage: str, patient_id: str,
    doubling: float, n_visible: int, access0: float,
) -> list[dict[str, Any]]:
    """Unseen deposits at baseline (diameter below detection), drawn after the visible lesions."""
    occ = spec.occult
    n = min(occ.max_per_patient, int(rng.poisson(occ.per_visible_lesion * n_visible)))
    lo, hi = occ.diameter_cm
    inj_probs = np.array([st.injectable_sites.get(s, 0.0) for s in INJECTABLE_SITES])
    vo_names = list(spec.visceral_other_sites)
    vo_probs = np.array([spec.visceral_other_sites[s] for s in vo_names])
    rows = []
    for j in range(n):
        if rng.random() < occ.visceral_fraction.get(stage, 0.0):
            site = "lung" if rng.random() < 0.5 else vo_names[int(rng.choice(len(vo_names), p=vo_probs / vo_probs.sum()))]
        else:
            site = INJECTABLE_SITES[int(rng.choice(3, p=inj_probs / inj_probs.sum()))]
        size = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
        rows.append({
            "patient_id": patient_id,
            "lesion_id": f"{patient_id}-O{j + 1:02d}",
            "site": site,
            "longest_diameter_cm": round(size, 4),
            "doubling_time_days": _lognormal(rng, doubling, spec.variability.lesion["doubling_time_cv"]),
            "accessibility": min(1.0, _lognormal(rng, access0, spec.variability.lesion["accessibility_cv"])),
        })
    return rows
