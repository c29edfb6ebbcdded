"""``ovsim population`` and ``ovsim cohort``: virtual patients, and many of them simulated at once."""

from __future__ import annotations

import math
import os
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Iterator

import typer

from ._app import app, check_out_path, fail, safe_text, warn


#: Help of ``--workers`` (trial, cohort, calibrate): when worker processes pay off (docs/performance.md, "Workers").
WORKERS_HELP = ("Worker processes, at most one per free core. The default fused kernel already uses every core "
                "in one process (threads over patients), so 1 is right for it; more helps the jax backend above a "
                "few hundred patients per arm on a warm cache with the cores idle. Each worker is a new process "
                "that imports ovsim and loads its compiled code (docs/performance.md, Workers).")
def check_backend_option(backend: str) -> None:
    """``--backend`` (simulate, trial): ``auto`` or a registered backend, else one line (exit 2)."""
    from ..engine import backend_names

    if backend != "auto" and backend not in backend_names():
        fail(f"--backend: expected auto or one of {', '.join(backend_names())} (got {backend!r})")


#: Help of ``--dask`` (trial, cohort, calibrate).
DASK_HELP = "local, or a scheduler address tcp://host:8786; see docs/dask.md"


@contextmanager
def dask_or_fail(scheduler: str | None, workers: int = 1) -> Iterator[Any]:
    """The ``--dask`` scheduler connected for the block (``None``: nothing); a bad address, an unreachable
    scheduler or ``--workers`` above 1 fails in one line (exit 2) before any work."""
    if scheduler is None:
        yield None
        return
    if workers > 1:
        fail(f"--workers: expected 1 with --dask (got {workers}); the Dask cluster's workers do the work")
    from ..engine import dask_session

    stack = ExitStack()
    try:
        client = stack.enter_context(dask_session(scheduler))
    except ValueError as err:  # a bad address (ValueError) or an unreachable scheduler (DaskConnectError)
        fail(f"--{err}")
    with stack:
        yield client


@app.command()
def population(
    out: Path = typer.Option(..., "--out", "-o", help="Folder for patients.parquet, lesions.parquet."),
    patients: int = typer.Option(100, "--patients", "-n", min=1, max=1_000_000, help="Number of virtual patients."),
    seed: int = typer.Option(..., "--seed", min=0, help="Random seed (explicit, always)."),
    arm: str = typer.Option("tvec", help="Stage mix of this OPTiM arm: tvec or gmcsf."),
) -> None:
    """Draw OPTiM-like virtual patients and save them (Parquet)."""
    from ..population import generate_population, load_population_spec

    arms = list(load_population_spec().stage_mix)
    if arm not in arms:
        fail(f"--arm: expected one of {', '.join(arms)} (got {safe_text(arm)!r})")
    try:
        pop = generate_population(patients, seed=seed, arm=arm)
    except ValueError as err:
        fail(str(err))
    pop.save(out)
    print(pop.summary().round(2).to_string())
    print(f"wrote {len(pop)} patients to {out}")


@app.command()
def cohort(
    out: str = typer.Option(..., "--out", "-o", show_default=False,
                            help="Folder for the results (ovsim's: a rerun replaces it whole; a folder that is "
                            "neither empty nor an ovsim output is refused)."),
    population_dir: Path = typer.Option(None, "--population", help="A saved population (else one is drawn)."),
    patients: int = typer.Option(100, "--patients", "-n", min=1, max=1_000_000,
                                 help="Patients to draw if no --population."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of the drawn population."),
    regimen: str = typer.Option("tvec", help="Treatments: a name (tvec, gmcsf), names joined by '+', 'none', or "
                                "a YAML mapping like '{tvec: optim, gmcsf: {days_on: 14}}'."),
    horizon_days: float = typer.Option(730.0, help="Simulated time (days)."),
    every_days: float = typer.Option(28.0, help="Output grid (days)."),
    chunk_size: int = typer.Option(128, min=1, help="Patients per compiled batch."),
    workers: int = typer.Option(1, min=1, help=WORKERS_HELP),
    dask: str = typer.Option(None, "--dask", metavar="SCHEDULER", show_default=False, help=DASK_HELP),
    resume: bool = typer.Option(False, "--resume", help="Continue a killed run into OUT from its checkpoint "
                                "(the same inputs only); the result is the same as an uninterrupted run's."),
    set_: list[str] = typer.Option(None, "--set", help="Model parameter for every patient: NAME=VALUE or "
                                   "NAME=lognormal:MEDIAN:CV (normal:MEAN:SD, uniform:LOW:HIGH; drawn per patient "
                                   "with --seed); repeatable (docs/parameters.md)."),
) -> None:
    """Simulate a cohort (batched, compiled) and stream its tables to OUT."""
    from ..population import Population, generate_population
    from ..treatments import RegimenError

    folder_path = check_ovsim_out(out, inputs={"--population": population_dir})  # before any work
    _check_grid(horizon_days, every_days)
    try:
        parsed = _parse_regimen_option(regimen)
    except RegimenError as err:
        fail(f"--regimen: {err}")
    from ._set import sets_or_fail

    everyone, _ = sets_or_fail(set_)
    if not parsed.label_conformant:
        warn(f"--regimen: research regimen, not the Imlygic label ({'; '.join(parsed.not_label())})")
    try:
        pop = Population.load(population_dir) if population_dir else generate_population(patients, seed=seed)
    except ValueError as err:
        fail(str(err))
    from ..population import apply_overrides, parse_overrides

    pop = apply_overrides(pop, parse_overrides(everyone, "--set")[0], seed)
    from ..engine import simulate_cohort
    from ..io._results import CHECKPOINT_DIR, atomic_output_dir

    try:
        # parts stream to a temporary folder (with a checkpoint of finished chunks), which replaces OUT at the end
        with dask_or_fail(dask, workers), atomic_output_dir(folder_path, kind="cohort", resume=resume) as folder:
            res = simulate_cohort(pop, parsed, horizon_days=horizon_days, output_every_days=every_days,
                                  chunk_size=chunk_size, out_dir=folder, progress=workers == 1,
                                  workers=workers, checkpoint=folder / CHECKPOINT_DIR, resume=resume, dask=dask)
            doses = _read_dose_parts(folder)  # once, for the vials and the NONMEM dataset
            vials = _write_vials(folder, doses, res.status)
            from ..datasets import COHORT_NONMEM_MAX_PATIENTS, write_cohort_nonmem

            wrote_nonmem = (len(pop) <= COHORT_NONMEM_MAX_PATIENTS
                            and write_cohort_nonmem(folder, pop.patients, doses, res.lesion_frame(), parsed.model()))
            _add_settings(folder / "cohort.json", parsed, everyone, set_, seed)
    except ValueError as err:
        fail(str(err))
    print(res.summary())
    _print_vials(vials)
    resumed = res.provenance.get("n_chunks_resumed", 0)
    if resumed:
        print(f"resumed: {resumed} of {res.provenance.get('n_chunks')} chunks taken from the checkpoint")
    nonmem = ("nonmem.csv (+ _ids, _header)" if wrote_nonmem else
              f"no nonmem.csv (cohorts above {COHORT_NONMEM_MAX_PATIENTS:,} patients: build it from the parts)")
    print(f"wrote lesions-part-*.parquet, doses-part-*.parquet, status.parquet, cohort.json, run.json, vials.csv, "
          f"{nonmem} to {out}")


def _check_grid(horizon_days: float, every_days: float) -> None:
    """``--horizon-days`` and ``--every-days`` checked before any work (one line naming the flag)."""
    from .._read import MAX_OUTPUT_POINTS, MAX_HORIZON_DAYS

    if not (math.isfinite(horizon_days) and 0 < horizon_days <= MAX_HORIZON_DAYS):
        fail(f"--horizon-days: expected a number of days in (0, {MAX_HORIZON_DAYS:g}] (got {horizon_days!r})")
    if not (math.isfinite(every_days) and 0 < every_days <= horizon_days):
        fail(f"--every-days: expected 0 < days <= --horizon-days {horizon_days:g} (got {every_days!r})")
    if horizon_days / every_days > MAX_OUTPUT_POINTS:
        fail(f"--every-days: expected at most {MAX_OUTPUT_POINTS:,} output times over the horizon "
             f"(got {horizon_days / every_days:.3g})")


def check_ovsim_out(out: str, inputs: dict[str, Path | None] | None = None) -> Path:
    """``--out`` of a command whose output folder is ovsim's, checked before any work: not empty, not a file,
    not a folder that is neither empty nor an ovsim output, and holding none of the run's ``inputs``
    (a rerun replaces it whole). Fails in one line (exit 2); returns the absolute folder."""
    from ..io._results import OutputFolderError, check_output_dir

    check_out_path(out)
    try:
        path = check_output_dir(out)
    except OutputFolderError as err:
        fail(f"--out: {err}")
    for flag, given in (inputs or {}).items():
        if given is not None:
            where = Path(os.path.abspath(given))
            if where == path or path in where.parents:
                fail(f"{flag}: {given} is inside --out {out}, which a run replaces whole; name another --out")
    return path


def _read_dose_parts(folder: Path):
    """The streamed dose parts (``doses-part-*.parquet``) as one table (empty, with the columns used, if none)."""
    import pandas as pd

    parts = sorted(folder.glob("doses-part-*.parquet"))
    return pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True) if parts else pd.DataFrame(
        columns=["ID", "TIME", "EVID", "AMT", "RATE", "CMT", "LESION_ID", "DRUG", "VOL_ML", "CONC_PFU_ML"])


def _write_vials(folder: Path, doses, status):
    """T-VEC vials per patient and strength (``vials.csv``, from the cohort's dose records); the per-strength
    summary."""
    from ..io import safe_csv_frame
    from ..supply import usage_summary, vial_usage

    usage = vial_usage(doses)
    safe_csv_frame(usage.drop(columns="arm")).to_csv(folder / "vials.csv", index=False)
    return usage_summary(usage, status, only_ok=False)


def _print_vials(summary) -> None:
    """One line per strength: T-VEC vials per patient (mean) and in all, and the share of thawed volume wasted."""
    if summary.empty or summary["vials_total"].sum() == 0:
        print("T-VEC vials: none (no T-VEC given)")
        return
    for r in summary.to_dict(orient="records"):
        name = "all strengths" if r["strength"] == "all" else f"{r['strength']} PFU/mL"
        print(f"T-VEC vials, {name}: {r['vials_mean']:.1f} per patient, {r['vials_total']} in all "
              f"({r['waste_fraction']:.0%} of the thawed volume wasted)" if r["vials_total"] else
              f"T-VEC vials, {name}: none")


def _parse_regimen_option(text: str):
    """The ``--regimen`` option: names (``tvec``, ``tvec+gmcsf``, ``none``) or an inline YAML mapping."""
    from .._read import loads_yaml
    from ..treatments import RegimenError, parse_regimen

    if text.lstrip().startswith("{"):
        try:  # strict YAML: no aliases (a "billion laughs" mapping), tags or duplicate keys
            raw = loads_yaml(text, "regimen")
        except ValueError as err:
            detail = str(err).split(": ", 1)[-1]
            raise RegimenError(f"regimen: not a valid YAML mapping ({detail})") from None
        return parse_regimen(raw, "regimen")
    return parse_regimen(text.strip(), "regimen")


def _add_settings(path: Path, regimen, everyone: dict, items: list[str] | None, seed: int) -> None:
    """``cohort.json`` with ``label_conformant`` (and ``not_label``) and, when ``--set`` was given, ``overrides``."""
    import json

    from ..population import describe_overrides, parse_overrides

    doc = json.loads(path.read_text())
    doc.update(regimen.label_summary())
    if everyone:
        doc["overrides"] = {"parameters": describe_overrides(parse_overrides(everyone, "--set")[0]),
                            "cli_set": list(items or ()), "seed": seed,
                            "warnings": parse_overrides(everyone, "--set")[1]}
    path.write_text(json.dumps(doc, indent=2, default=str) + "\n")
