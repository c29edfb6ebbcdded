"""Replicated trials: the same scenario run with many seeds, the distribution of its endpoints and the
probability that a trial meets its decision rule (probability of success; with ``assurance``, integrated over
the calibration ensemble).

Seeds: replicate ``r`` of a run with seed ``s`` is exactly the single trial ``run_trial(scenario,
seed=replicate_seed(s, r))``, where ``replicate_seed(s, r)`` is the first 64-bit word of
``np.random.SeedSequence([s, r])`` shifted right by one bit (a seed in [0, 2**63)). Replicate r does not depend
on how many replicates are run, nor on ``workers`` or ``chunk_size``. With ``assurance`` (population
``optim_calibrated``), replicate r also uses calibration-ensemble member ``r mod M`` (M members shipped) for its
population and its survival model.

Speed: the replicates' patients of an arm are simulated together (``simulate_cohort`` on their concatenated
populations, patient and lesion ids prefixed ``R<r>~`` and mapped back), in batches of at most
``batch_patients`` patients; each replicate is then assessed and summarised on its own (no report, no tables).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from .._read import MAX_REPLICATES
from ..engine import SolverOptions, dask_session, simulate_cohort
from ..engine._cohort_result import CohortResult
from ..engine._dask import scheduler_label
from ..engine._inputs import n_slots_for
from ..population import Population
from ._decision import Condition, check_rule, rule_text
from ._replicate_stats import probability_of_success, replicate_table, summarise
from ._run import analyse_arms, arm_populations
from ._scenario import TrialScenario, load_scenario

BATCH_PATIENTS = 8192
"""Most patients of one arm simulated in one call (memory of the trajectories bounds it)."""


def derived_seed(seed: int, *keys: int) -> int:
    """A seed in [0, 2**63) derived from ``seed`` and ``keys``: ``SeedSequence([seed, *keys])``'s first 64-bit
    word shifted right by one bit."""
    word = np.random.SeedSequence([int(seed), *map(int, keys)]).generate_state(1, dtype=np.uint64)[0]
    return int(word >> np.uint64(1))


def replicate_seed(seed: int, replicate: int) -> int:
    """Seed of replicate ``replicate`` (0, 1, ...) of a run with seed ``seed`` (see the module docstring)."""
    return derived_seed(seed, replicate)


def ensemble_size() -> int:
    """Members M of the shipped calibration ensemble (``weight_0 .. weight_{M-1}`` of the calibrated pool)."""
    from ..population import load_calibrated_pool

    return load_calibrated_pool().n_members


def replicate_members(scenario: TrialScenario, replicates: int, assurance: bool) -> list[int | None]:
    """Calibration member of each replicate: ``r mod M`` with assurance, else the scenario's.

    ``ValueError`` (one line) if assurance is asked of a scenario not on the calibrated population."""
    if not assurance:
        return [scenario.calibration_member] * replicates
    if scenario.population != "optim_calibrated":
        raise ValueError(f"--assurance: expected a scenario with population: optim_calibrated (scenario "
                         f"{scenario.name} has population {scenario.population[:80]})")
    m = ensemble_size()
    if m == 0:
        raise ValueError("--assurance: the shipped calibrated pool has no ensemble members (weight_0 ..)")
    return [r % m for r in range(replicates)]


@dataclass(frozen=True, eq=False)
class ReplicateResult:
    """Results of :func:`run_replicates`.

    endpoints: each replicate's endpoints document (as ``endpoints.json``, without provenance and roles).
    table: ``replicates.parquet``: one row per replicate (``replicate``, ``seed``, ``calibration_member``,
      ``success`` and every numeric endpoint, by its dotted path). summary: ``replicates_summary.csv``.
    success: ``success.json`` (None without a rule). run: wall time and speed (``run.json``)."""

    scenario: TrialScenario
    seed: int
    seeds: list[int]
    members: list[int | None]
    endpoints: list[dict[str, Any]]
    table: pd.DataFrame
    summary: pd.DataFrame
    success: dict[str, Any] | None
    run: dict[str, Any] = field(default_factory=dict)


def run_replicates(
    scenario: TrialScenario | None = None,
    replicates: int = 20,
    *,
    seed: int | None = None,
    patients: int | None = None,
    workers: int = 1,
    chunk_size: int = 128,
    assurance: bool = False,
    progress: bool = False,
    rule: list[Condition] | None = None,
    solver: SolverOptions = SolverOptions(),
    batch_patients: int = BATCH_PATIENTS,
    dask: Any = None,
) -> ReplicateResult:
    """Run ``replicates`` trials of ``scenario`` (default: the OPTiM reference) with seeds derived from ``seed``
    (default: the scenario's); ``rule`` (default: the scenario's ``success``) gives the probability of success.
    ``dask``: simulate on a Dask cluster (``"local"``, ``tcp://host:8786`` or a ``distributed.Client``; one
    connection for all the replicates; the same results; docs/dask.md)."""
    sc = scenario or load_scenario()
    whole = isinstance(replicates, (int, np.integer)) and not isinstance(replicates, bool)
    if not whole or not 1 <= replicates <= MAX_REPLICATES:
        raise ValueError(f"replicates: expected a whole number from 1 to {MAX_REPLICATES:,} (got {replicates!r})")
    base = sc.seed if seed is None else int(seed)
    if base < 0:
        raise ValueError(f"seed: expected an integer >= 0 (got {base})")
    rule = sc.success if rule is None else rule
    if rule is not None:
        check_rule(rule, sc.arms, sc.adverse_events, field="--success")
    sc.arm_sizes(patients)  # a bad --patients fails before any work
    members = replicate_members(sc, int(replicates), assurance)
    scenarios = [sc if m == sc.calibration_member else sc.model_copy(update={"calibration_member": m}) for m in members]
    seeds = [replicate_seed(base, r) for r in range(int(replicates))]
    per = max(1, int(batch_patients) // max(sc.arm_sizes(patients).values()))  # replicates simulated together
    started = time.perf_counter()
    docs: list[dict[str, Any]] = []
    n_sim = 0
    with dask_session(dask):  # one connection (one local cluster) for every batch
        for lo in range(0, len(seeds), per):
            batch = list(range(lo, min(lo + per, len(seeds))))
            pops = [arm_populations(scenarios[r], seeds[r], patients) for r in batch]  # as run_trial
            for r, arms in zip(batch, pops):
                for arm, pop in arms.items():
                    scenarios[r].eligibility.check(pop, sc.assessment.detection_limit_cm, f"arms.{arm}")
            n_sim += sum(len(p) for arms in pops for p in arms.values())
            if progress:
                print(f"replicates {batch[0] + 1}-{batch[-1] + 1} of {len(seeds)}", flush=True)
            results = _simulate_together(sc, batch, pops, workers=workers, chunk_size=chunk_size, solver=solver,
                                         progress=progress, dask=dask)
            for r, arms, res in zip(batch, pops, results):
                docs.append(_replicate_doc(scenarios[r], r, seeds[r], members[r], arms, res))
            if progress:
                done, wall = len(docs), time.perf_counter() - started
                print(f"{done} of {len(seeds)} replicates in {wall:.0f} s; about "
                      f"{wall / done * (len(seeds) - done):.0f} s to go", flush=True)
    table = replicate_table(docs, rule)
    wall = time.perf_counter() - started
    run = {"wall_seconds": wall, "replicates": len(docs), "patients_simulated": n_sim,
           "patients_per_second": n_sim / wall if wall > 0 else None, "workers": workers, "chunk_size": chunk_size,
           "ovsim_version": __version__, **({"dask": scheduler_label(dask)} if dask is not None else {})}
    success = None
    if rule is not None:
        success = {"rule": rule_text(rule), "conditions": [c.model_dump(exclude_none=True) for c in rule],
                   **probability_of_success(table["success"].to_numpy(dtype=bool)),
                   "assurance": bool(assurance), "seed": base, "seeds": seeds, "calibration_members": members,
                   "scenario": sc.name, "scenario_sha256": sc.digest(), "patients": sc.arm_sizes(patients)}
    return ReplicateResult(scenario=sc, seed=base, seeds=seeds, members=members, endpoints=docs, table=table,
                           summary=summarise(table), success=success, run=run)


def _replicate_doc(sc: TrialScenario, r: int, seed: int, member: int | None, populations: dict[str, Population],
                   results: dict[str, CohortResult]) -> dict[str, Any]:
    """Replicate ``r``'s endpoints document (as run_trial's, without provenance and roles)."""
    endpoints, _, _ = analyse_arms(sc, seed, populations, results)
    endpoints.pop("subgroup_comparisons")
    failed = endpoints.pop("failed_patients")
    return {"scenario": sc.name, "replicate": r, "seed": seed, "calibration_member": member, **endpoints,
            "failed_patients": int(sum(failed.values()))}


def _tag(r: int) -> str:
    return f"R{r}~"


def _simulate_together(sc: TrialScenario, batch: list[int], pops: list[dict[str, Population]], *, workers: int,
                       chunk_size: int, solver: SolverOptions, progress: bool,
                       dask: Any = None) -> list[dict[str, CohortResult]]:
    """Each replicate's arms simulated, one ``simulate_cohort`` call per arm for the whole batch (paired
    designs: the arms share the population, simulated once per arm as ``run_trial`` does)."""
    regimens = sc.regimens()
    a = sc.assessment
    out: list[dict[str, CohortResult]] = [{} for _ in batch]
    for arm in sc.arms:
        parts = [p[arm] for p in pops]
        together = _combine(parts, [_tag(r) for r in batch])
        if progress:
            print(f"arm {arm}: {len(together)} patients ({len(batch)} replicates)", flush=True)
        res = simulate_cohort(together, regimens[arm], horizon_days=a.horizon_days, output_every_days=a.every_days,
                              chunk_size=chunk_size, solver=solver, workers=workers, progress=progress, dask=dask)
        for k, part in enumerate(_split(res, parts, [_tag(r) for r in batch])):
            out[k][arm] = part
    return out


def _combine(pops: list[Population], tags: list[str]) -> Population:
    """One population of several, patient and lesion ids prefixed by their tag (unique over the replicates)."""
    patients, lesions = [], []
    for tag, pop in zip(tags, pops):
        p, les = pop.patients.copy(), pop.lesions.copy()
        p["patient_id"] = tag + p["patient_id"].astype(str)
        les["patient_id"] = tag + les["patient_id"].astype(str)
        les["lesion_id"] = tag + les["lesion_id"].astype(str)
        patients.append(p)
        lesions.append(les)
    return Population(pd.concat(patients, ignore_index=True), pd.concat(lesions, ignore_index=True),
                      dict(pops[0].provenance))


def _strip(values: Any, tag: str) -> np.ndarray:
    arr = np.asarray(values).astype(object)
    return np.array([v[len(tag):] if isinstance(v, str) and v.startswith(tag) else v for v in arr.ravel()],
                    dtype=object).reshape(arr.shape)


def _split(res: CohortResult, pops: list[Population], tags: list[str]) -> list[CohortResult]:
    """The combined result cut back into each population's, with its own ids and lesion slots (as if simulated
    alone: the slots of its patient with the most lesions)."""
    out, lo = [], 0
    doses_id = res.doses["ID"].astype(str) if len(res.doses) else pd.Series([], dtype=str)
    for pop, tag in zip(pops, tags):
        hi = lo + len(pop)
        counts = pop.lesions.groupby("patient_id", sort=False).size()
        width = n_slots_for(int(counts.max())) if len(counts) else 4
        ds = res.trajectories.isel(patient=slice(lo, hi), lesion=slice(0, width))
        ds = ds.assign_coords(patient=_strip(ds["patient"].values, tag),
                              lesion_id=(("patient", "lesion"), _strip(ds["lesion_id"].values, tag)))
        status = res.status.iloc[lo:hi].reset_index(drop=True).copy()
        status["patient_id"] = _strip(status["patient_id"].to_numpy(), tag)
        doses = res.doses[doses_id.str.startswith(tag).to_numpy()].reset_index(drop=True).copy() \
            if len(res.doses) else res.doses.copy()
        for col in ("ID", "LESION_ID"):
            if col in doses:
                doses[col] = _strip(doses[col].to_numpy(), tag)
        prov = {**res.provenance, "n_failed": int((~status["ok"].astype(bool)).sum())}
        out.append(CohortResult(ds, status, doses, prov, None))
        lo = hi
    return out
