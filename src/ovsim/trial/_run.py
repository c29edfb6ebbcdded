"""``run_trial``: scenario -> virtual patients -> simulated arms -> assessments -> survival -> endpoints.

Every random draw has its own stream keyed by the scenario seed and the patient's index:
the population (key ``(i,)``), the measurement error (``(i, 1)``) and survival (``(i, 2)``). In a
paired design the same patient (same index) is cloned into every arm and so shares all three
streams across arms (common random numbers).

With a ``checkpoint`` folder, each arm's simulation records its finished chunks there (``arm-<i>``, with
a manifest of the trial's inputs at the top); ``resume`` continues such a checkpoint, skipping finished
arms and chunks. Everything after the simulation is recomputed, so a resumed trial's endpoints equal an
uninterrupted one's. Run-time figures (wall time, speed, timestamps) go to ``TrialResult.run``
(``run.json``), not into the endpoints, so the same seed gives byte-identical ``endpoints.json``.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from .._provenance import run_stamp
from ..assess import CRITERIA, lesion_outcomes, measure, measurement_normals, response_outcomes
from ..engine import SolverOptions, dask_session, simulate_cohort
from ..model import DAYS_PER_MONTH
from ..population import Population, apply_overrides, calibrated_pool_path, draw_from_pool, generate_population, load_calibrated_pool
from ..safety import draw_adverse_events, load_safety_model
from ..supply import courses_from_doses, forecast_supply, supply_endpoints
from ._adverse import adverse_event_table
from ._endpoints import km_frames, trial_endpoints
from ._pfs import progression_free_survival
from ._provenance import trial_provenance
from ._result import TrialResult
from ._roles import endpoint_roles, scenario_targets
from ._scenario import TrialScenario, load_scenario
from ._stein import fit_growth_rate
from ._survival import censor, death_months, hazard, survival_draws
from ._survival_burden import burden_course, total_volume_cm3

_RESPONSE_NAMES = np.array(["CR", "PR", "SD", "PD", "NE"])


def draw_arms(scenario: TrialScenario, seed: int, patients: int | None = None) -> dict[str, Population]:
    """Each arm's virtual patients (randomised: disjoint patient indices; paired: the same patients).

    ``population: optim_calibrated`` draws from the shipped calibrated pool with each arm's stage
    mix (with ``population_mix``, that spec's stage mix and LDH-above-ULN share); ``reference`` (a shipped
    spec name, or a spec path) generates patients from the population specification.
    """
    calibrated = scenario.population == "optim_calibrated"
    spec = scenario.mix_spec()
    ldh = spec.covariates.ldh_above_uln_fraction if scenario.population_mix is not None else None
    pool = load_calibrated_pool() if calibrated else None
    sizes = scenario.arm_sizes(patients)
    mixes = list(spec.stage_mix)

    def draw(arm: str, n: int, start: int) -> Population:
        mix = arm if arm in spec.stage_mix else mixes[0]
        if pool is not None:
            return draw_from_pool(pool, n, seed, spec.stage_mix[mix], arm, start=start, member=scenario.calibration_member,
                                  ldh_above_uln_fraction=ldh)
        return generate_population(n, seed, arm=mix, spec=spec, start=start)

    arms = list(scenario.arms)
    if scenario.design == "paired":
        pop = draw(arms[0], sizes[arms[0]], 0)
        return {arm: pop for arm in arms}
    out, start = {}, 0
    for arm in arms:
        out[arm] = draw(arm, sizes[arm], start)
        start += sizes[arm]
    return out


def arm_populations(scenario: TrialScenario, seed: int, patients: int | None = None,
                    population: Population | None = None) -> dict[str, Population]:
    """Each arm's patients (drawn with :func:`draw_arms`, or ``population`` on every arm) with the scenario's
    parameter overrides (``parameters:``, per arm after the scenario's) applied."""
    pops = {arm: population for arm in scenario.arms} if population is not None else draw_arms(scenario, seed, patients)
    return {arm: apply_overrides(pop, scenario.overrides(arm)[0], seed) for arm, pop in pops.items()}


def simulate_arms(
    scenario: TrialScenario,
    populations: dict[str, Population],
    *,
    workers: int = 1,
    chunk_size: int = 128,
    solver: SolverOptions = SolverOptions(),
    progress: bool = False,
    checkpoint: Path | None = None,
    resume: bool = False,
    dask: Any = None,
    backend: Any = "auto",
) -> dict[str, Any]:
    """Each arm's cohort simulated on its regimen over the assessment horizon (``CohortResult`` per arm);
    with ``checkpoint``, arm ``i`` records its chunks in ``checkpoint/arm-<i>`` (``resume``: continues them);
    ``dask``: a Dask scheduler for every arm (``simulate_cohort``'s); ``backend``: ``simulate_cohort``'s (``auto``:
    the fastest that runs each arm's regimen)."""
    regimens = scenario.regimens()
    a = scenario.assessment
    out = {}
    with dask_session(dask):  # one connection (one local cluster) for every arm
        for i, (arm, pop) in enumerate(populations.items()):
            if progress:
                print(f"arm {arm}: {len(pop)} patients")
            out[arm] = simulate_cohort(pop, regimens[arm], horizon_days=a.horizon_days,
                                       output_every_days=a.every_days, chunk_size=chunk_size, solver=solver,
                                       workers=workers, progress=progress,
                                       checkpoint=None if checkpoint is None else Path(checkpoint) / f"arm-{i}",
                                       resume=resume, dask=dask, backend=backend)
    return out


def run_trial(
    scenario: TrialScenario | None = None,
    *,
    seed: int | None = None,
    patients: int | None = None,
    population: Population | None = None,
    workers: int = 1,
    chunk_size: int = 128,
    solver: SolverOptions = SolverOptions(),
    progress: bool = False,
    checkpoint: str | Path | None = None,
    resume: bool = False,
    set_from_cli: tuple[str, ...] = (),
    dask: Any = None,
    backend: Any = "auto",
) -> TrialResult:
    """Run a virtual trial. ``seed`` and ``patients`` (total, split as in the scenario) override the
    scenario's; ``population``, if given, is treated on every arm (a paired comparison of those patients).

    checkpoint: a folder recording the simulation as it goes; resume: continue the checkpoint there
    (same inputs only, else ``ResumeError``: "cannot resume: the run's inputs differ (...)").
    Model-parameter overrides (``parameters:``) replace the drawn values after the arms are drawn; ``set_from_cli``
    (the ``--set`` options, already merged into the scenario) is recorded in the provenance. ``dask``: simulate on
    a Dask cluster (``"local"``, ``tcp://host:8786`` or a ``distributed.Client``; the same results; docs/dask.md).
    ``backend``: ``auto`` (the fused kernel where it runs the regimen, else jax), ``numba``, ``jax``, ``scipy``."""
    from ..engine._runner import open_checkpoint, population_digest, split_runtime

    sc = scenario or load_scenario()
    seed = sc.seed if seed is None else int(seed)
    if seed < 0:
        raise ValueError(f"seed: expected an integer >= 0 (got {seed})")
    started = time.perf_counter()
    started_at = datetime.now(timezone.utc)
    populations = arm_populations(sc, seed, patients, population)
    for arm, pop in populations.items():
        sc.eligibility.check(pop, sc.assessment.detection_limit_cm, f"arms.{arm}")
    if checkpoint is not None:
        manifest = {"ovsim_version": __version__, "scenario_sha256": sc.digest(), "seed": seed, "patients": patients,
                    "population": None if population is None else population_digest(population),
                    "workers": workers, "chunk_size": chunk_size, "solver": asdict(solver),
                    "backend": backend if isinstance(backend, str) else backend.name}
        resume = open_checkpoint(Path(checkpoint), manifest, resume)
    results = simulate_arms(sc, populations, workers=workers, chunk_size=chunk_size, solver=solver, progress=progress,
                            checkpoint=None if checkpoint is None else Path(checkpoint), resume=resume, dask=dask,
                            backend=backend)
    endpoints, tables, forecast = analyse_arms(sc, seed, populations, results)
    arms = list(sc.arms)
    subgroup_comparisons = endpoints.pop("subgroup_comparisons")
    failed = endpoints.pop("failed_patients")
    provenance = trial_provenance(  # deterministic (endpoints.json); the timestamp goes to run.json
        sc, seed, design="paired" if population is not None else sc.design,
        patients={k: len(p) for k, p in populations.items()}, failed=failed,
        cohorts={arm: {k: res.provenance.get(k) for k in ("backend", "device", "n_failed", "lane_efficiency")}
                 for arm, res in results.items()},
        calibrated=sc.population == "optim_calibrated" and population is None)
    overrides = sc.override_provenance()
    if overrides is not None or set_from_cli:  # only when something is set: the reference's endpoints are unchanged
        provenance["overrides"] = {**(overrides or {}), **({"cli_set": list(set_from_cli)} if set_from_cli else {})}
    run = {"wall_seconds": time.perf_counter() - started, "started": started_at.isoformat(timespec="seconds"),
           "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"), "resumed": bool(resume),
           "cohorts": {arm: split_runtime(res.provenance)[1] for arm, res in results.items()},
           "provenance": run_stamp()}
    if dask is not None:
        run["dask"] = {arm: {k: res.provenance.get(k) for k in ("dask", "shards", "workers")}
                       for arm, res in results.items()}
    doc = {"scenario": sc.name, "seed": seed, "ovsim_version": __version__, **endpoints,
           "failed_patients": int(sum(failed.values())), "provenance": provenance}
    doc["roles"] = endpoint_roles(doc, scenario_targets(sc.name))  # calibration target or prediction (_roles)
    extra = {"supply_forecast": forecast} if forecast is not None else {}
    validation = calibrated_pool_path() / "validation.csv"
    if sc.population == "optim_calibrated" and population is None and validation.exists():
        extra["calibration"] = pd.read_csv(validation)  # the shipped calibration's validation, for the report
    return TrialResult(
        scenario=sc, endpoints=doc, subgroup_comparisons=subgroup_comparisons, km=km_frames(tables["patients"], arms),
        patients=tables["patients"], assessments=tables["assessments"], lesions=tables["lesions"],
        measurements=tables["measurements"], doses=tables["doses"], extra=extra, run=run,
    )


def analyse_arms(sc: TrialScenario, seed: int, populations: dict[str, Population], results: dict[str, Any]
                 ) -> tuple[dict[str, Any], dict[str, pd.DataFrame], Any]:
    """Everything after the simulation: (endpoints with ``subgroup_comparisons`` and ``failed_patients``,
    the assessed tables, the supply forecast or None); ``run_trial`` and the replicates share it."""
    tables = assess_arms(sc, seed, populations, results)
    arms = list(sc.arms)
    endpoints = trial_endpoints(tables["patients"], tables["lesions"], arms)
    for arm, regimen in sc.regimens().items():  # a research regimen (not the label) says so; the label adds nothing
        if not regimen.label_conformant:
            endpoints["arms"][arm].update(regimen.label_summary())
    if sc.adverse_events:
        tables["patients"] = add_adverse_events(seed, tables["patients"], tables["doses"])
        endpoints["adverse_events"] = adverse_event_table(load_safety_model(), tables["patients"], arms)
    endpoints["supply"] = supply_endpoints(tables["patients"], tables["doses"], sc.prices, seed=seed)
    forecast = _supply_forecast(sc, seed, tables["patients"], tables["doses"])
    if forecast is not None:
        endpoints["supply"]["forecast"] = {k: v for k, v in forecast.to_dict(sc.prices).items() if k != "weekly"}
    return endpoints, tables, forecast


def assess_arms(sc: TrialScenario, seed: int, populations: dict[str, Population], results: dict[str, Any]
                ) -> dict[str, pd.DataFrame]:
    """Measure and assess every simulated arm with ``seed``; the tables of all arms concatenated."""
    frames: dict[str, list[pd.DataFrame]] = {k: [] for k in ("patients", "assessments", "lesions", "measurements", "doses")}
    for arm, pop in populations.items():
        for key, frame in assess_arm(sc, seed, arm, pop, results[arm]).items():
            frames[key].append(frame)
        doses = results[arm].doses.copy()
        doses.insert(0, "ARM", arm)
        frames["doses"].append(doses)
    out = {k: pd.concat(v, ignore_index=True) for k, v in frames.items()}
    visits = [c for c in out["patients"].columns if c.endswith("_visits")]
    out["patients"][visits] = out["patients"][visits].fillna(0).astype(int)  # a drug not given in an arm: 0 days
    return out


def _supply_forecast(sc: TrialScenario, seed: int, patients: pd.DataFrame, doses: pd.DataFrame):
    """The scenario's centre forecast from the first arm given T-VEC (its evaluable patients' courses), or None."""
    spec = sc.supply_forecast
    tvec = doses[(doses["DRUG"] == "TVEC") & (doses["AMT"] > 0)] if not doses.empty else doses
    if spec is None or tvec.empty:
        return None
    arm = next(a for a in sc.arms if (tvec["ARM"] == a).any())
    ids = patients.loc[(patients["arm"] == arm) & patients["ok"].astype(bool), "patient_id"].astype(str).tolist()
    courses = courses_from_doses(tvec[tvec["ARM"] == arm], ids, {"trial": sc.name, "arm": arm, "seed": seed})
    return forecast_supply(courses, spec.patients_per_month, spec.months, replicates=spec.replicates, seed=seed)


def add_adverse_events(seed: int, patients: pd.DataFrame, doses: pd.DataFrame) -> pd.DataFrame:
    """``patients`` with each patient's adverse events (``ae_<event>``, ``ae_<event>_day``), arm by arm.

    Drawn from the patients' own adverse-event streams (``ovsim.safety``), after every efficacy draw."""
    model = load_safety_model()
    parts = []
    for arm, rows in patients.groupby("arm", sort=False):
        arm_doses = doses[doses["ARM"] == arm] if "ARM" in doses else doses
        parts.append(draw_adverse_events(model, seed, rows, arm_doses))
    return pd.concat([patients, pd.concat(parts).reindex(patients.index)], axis=1)


def _injected(doses: pd.DataFrame) -> set[str]:
    if doses.empty or "VOL_ML" not in doses:
        return set()
    given = doses[(doses["LESION_ID"].astype(str) != "") & (doses["AMT"] > 0)]  # intralesional doses, any drug
    return set(given["LESION_ID"].astype(str))


def _treatment_end_day(doses: pd.DataFrame, ids: np.ndarray) -> np.ndarray:
    if doses.empty:
        return np.full(len(ids), np.nan)
    given = doses[(doses["AMT"] > 0)]
    last = given.groupby("ID")["TIME"].max()
    return last.reindex(ids).to_numpy(dtype=float)


def assess_arm(sc: TrialScenario, seed: int, arm: str, pop: Population, res: Any) -> dict[str, pd.DataFrame]:
    """Measure, assess and give survival to one simulated arm; tidy tables keyed by ``patient_key``."""
    a, model = sc.assessment, sc.survival.survival_model(sc.calibration_member)
    ds = res.trajectories
    t = np.asarray(ds["time_day"].values, dtype=float)
    d = np.asarray(ds["longest_diameter_cm"].values, dtype=float)
    exists = np.asarray(ds["has_lesion"].values, dtype=bool)
    lesion_id = np.asarray(ds["lesion_id"].values).astype(str)
    site = np.asarray(ds["site"].values).astype(str)
    injected = np.isin(lesion_id, list(_injected(res.doses))) & exists
    ok = np.array(res.status["ok"], dtype=bool)
    p = pop.patients.reset_index(drop=True)
    index = p["index"].to_numpy(dtype=int)
    normals = measurement_normals(seed, index, len(t), d.shape[2])
    d = np.where(ok[:, None, None], d, 0.0)  # failed lanes: never measured (flagged via ok)

    # survival: the joint model on the true (noise-free) total tumour volume of every lesion (docs/trial.md)
    course = burden_course(t, total_volume_cm3(np.where(ok[:, None, None], d, np.nan), exists), model)
    u_death, u_accrual = survival_draws(seed, index)
    os_true = death_months(hazard(course, p["ecog"].to_numpy(), p["ldh_x_uln"].to_numpy(), model), u_death)
    os_obs, os_event = censor(os_true, u_accrual, sc.survival.follow_up_months, sc.survival.accrual_months)
    ok &= np.isfinite(os_obs)

    # assessments end at death; the Stein growth-rate constant (descriptive) from the assessments while alive
    alive = t[None, :] <= np.where(np.isfinite(os_true), os_true, 0.0)[:, None] * DAYS_PER_MONTH
    meas = measure(t, d, exists, site, injected, normals, cv=a.measurement_cv,
                   detection_limit_cm=a.detection_limit_cm, assessed=ok[:, None] & alive)
    tables = {name: fn(meas) for name, fn in CRITERIA.items()}
    who = tables["modified_who"]
    ok &= who.evaluable
    kg, ks = fit_growth_rate(t, who.burden, who.baseline_burden)
    primary = tables[a.criterion]
    out = response_outcomes(primary, durable_months=a.durable_months, onset_within_months=a.onset_within_months)

    key = np.char.add(f"{arm}:", p["patient_id"].to_numpy().astype(str))
    status = res.status.reset_index(drop=True)
    reason = np.where(ok, "", np.where(status["reason"].astype(str) != "", status["reason"].astype(str),
                                       "not evaluable (no measurable baseline or no survival estimate)"))
    covariates = [c for c in ("index", "stage", "ecog", "ldh_x_uln", "hsv1_seropositive", "n_lesions", "n_occult") if c in p]
    patients = pd.DataFrame({"patient_key": key, "patient_id": p["patient_id"].to_numpy(), "arm": arm,
                             **{c: p[c].to_numpy() for c in covariates}, "ok": ok, "reason": reason})
    patients = pd.concat([patients, out.reset_index(drop=True)], axis=1)
    patients["baseline_burden_cm2"] = who.baseline_burden
    patients["growth_rate_per_day"], patients["shrinkage_rate_per_day"] = kg, ks
    patients["os_months"], patients["os_event"] = os_obs, os_event
    # progression-free survival by the primary criterion (irRC: confirmed irPD), death, or censoring (_pfs)
    patients["pfs_months"], patients["pfs_event"] = progression_free_survival(
        primary.response, t, np.isfinite(primary.burden), os_obs, os_event, a.every_days)
    patients["treatment_end_day"] = _treatment_end_day(res.doses, p["patient_id"].to_numpy())
    given = res.doses[res.doses["AMT"] > 0] if not res.doses.empty else res.doses
    for drug, rows in given.groupby("DRUG"):  # dosing days per drug: tvec_visits, gmcsf_visits, ...
        patients[f"{str(drug).lower()}_visits"] = (rows.groupby("ID")["TIME"].nunique().reindex(p["patient_id"])
                                                   .fillna(0).to_numpy(dtype=int))

    n_p, n_v = primary.response.shape
    with np.errstate(invalid="ignore", divide="ignore"):
        change = (primary.burden / primary.baseline_burden[:, None] - 1.0) * 100.0
    assessments = pd.DataFrame({
        "patient_key": np.repeat(key, n_v), "patient_id": np.repeat(p["patient_id"].to_numpy(), n_v), "arm": arm,
        "time_day": np.tile(t, n_p), "burden": primary.burden.reshape(-1),
        "burden_change_pct": change.reshape(-1), "new_lesion": primary.new_lesion.reshape(-1),
        "response": _RESPONSE_NAMES[primary.response.reshape(-1)],
        **{f"response_{name}": _RESPONSE_NAMES[tab.response.reshape(-1)] for name, tab in tables.items()},
    })

    les = lesion_outcomes(meas, include_new=True)  # OPTiM's lesion-level analysis: baseline and new lesions
    lesions = pd.DataFrame({
        "patient_key": key[les["patient_index"].to_numpy()], "patient_id": p["patient_id"].to_numpy()[les["patient_index"]],
        "arm": arm, "lesion_id": lesion_id[les["patient_index"], les["lesion_index"]],
        **{c: les[c].to_numpy() for c in les.columns if c not in ("patient_index", "lesion_index")},
    })

    pi, li = np.nonzero(exists)
    measurements = pd.DataFrame({
        "patient_key": np.repeat(key[pi], n_v), "patient_id": np.repeat(p["patient_id"].to_numpy()[pi], n_v),
        "arm": arm, "lesion_id": np.repeat(lesion_id[pi, li], n_v),
        "site": np.repeat(site[pi, li], n_v), "injected": np.repeat(injected[pi, li], n_v),
        "time_day": np.tile(t, len(pi)), "true_diameter_cm": d[pi, :, li].reshape(-1),
        "longest_cm": meas.longest_cm[pi, :, li].reshape(-1), "perpendicular_cm": meas.perpendicular_cm[pi, :, li].reshape(-1),
    })
    return {"patients": patients, "assessments": assessments, "lesions": lesions, "measurements": measurements}


def reference_output_dir(scenario: TrialScenario) -> Path:
    """Default output folder: ``results/<scenario name>``."""
    return Path("results") / scenario.name
