"""``ovsim trial``: run a virtual trial scenario (default: the reference OPTiM trial) and write its report."""

from __future__ import annotations

from pathlib import Path

import typer

from ._app import app, fail, warn
from ._cohort import DASK_HELP, WORKERS_HELP, check_backend_option, check_ovsim_out, dask_or_fail


@app.command()
def trial(
    scenario: Path = typer.Argument(None, help="Scenario YAML, or the name of a shipped scenario (optim, keynote006, "
                                   "checkmate067_ipilimumab, masterkey265_phase1b, masterkey265_phase3, "
                                   "tvec_ipilimumab_phase2; default: the shipped OPTiM reference)."),
    out: str = typer.Option(None, "--out", "-o", show_default=False,
                            help="Output folder (default: results/<scenario name>); ovsim's: a rerun replaces it "
                            "whole, and a folder that is neither empty nor an ovsim output is refused."),
    seed: int = typer.Option(None, "--seed", min=0, help="Random seed (default: the scenario's)."),
    patients: int = typer.Option(None, "--patients", "-n", min=1, max=1_000_000,
                                 help="Total patients, split as in the scenario."),
    workers: int = typer.Option(1, min=1, help=WORKERS_HELP),
    dask: str = typer.Option(None, "--dask", metavar="SCHEDULER", show_default=False, help=DASK_HELP),
    backend: str = typer.Option("auto", "--backend", help="Engine: auto (the fused kernel where it runs the "
                                "regimen, else jax), numba, jax, scipy (docs/kernel.md)."),
    report: bool = typer.Option(True, "--report/--no-report", help="Write report.html."),
    chunk_size: int = typer.Option(128, min=1, help="Patients per compiled batch."),
    resume: bool = typer.Option(False, "--resume", help="Continue a killed run into OUT from its checkpoint "
                                "(finished arms and chunks are not simulated again; the same inputs only)."),
    cdisc: bool = typer.Option(False, "--cdisc", help="Also write CDISC SDTM/ADaM datasets (.xpt v5 and Parquet) "
                               "to OUT/cdisc/ (docs/datasets.md)."),
    set_: list[str] = typer.Option(None, "--set", help="Model parameter for every arm: NAME=VALUE, "
                                   "NAME=lognormal:MEDIAN:CV (also normal:MEAN:SD, uniform:LOW:HIGH; drawn per "
                                   "patient), or arms.ARM.NAME=VALUE for one arm; repeatable (docs/parameters.md)."),
    replicates: int = typer.Option(None, "--replicates", min=1, max=10_000, show_default=False,
                                   help="Run N replicated trials (seeds derived from --seed) and write the endpoints' "
                                   "distribution and the probability of success (docs/design.md)."),
    assurance: bool = typer.Option(False, "--assurance", help="With --replicates: replicate r uses calibration "
                                   "member r mod M (population optim_calibrated only)."),
    success: list[str] = typer.Option(None, "--success", show_default=False,
                                      help="With --replicates: decision rule, e.g. "
                                      "'comparisons.hazard_ratio_os.ci95.1<1' (repeat, or join with 'and'; default: "
                                      "the scenario's success: field)."),
) -> None:
    """Run a virtual trial: simulate every arm, assess response, estimate survival, write endpoints and report."""
    from ..io._results import CHECKPOINT_DIR, atomic_output_dir
    from ..trial import load_scenario, reference_output_dir, run_trial

    scenario = _scenario_file(scenario)
    inputs = {"scenario": scenario}
    check_backend_option(backend)
    path = check_ovsim_out(out, inputs) if out is not None else None  # before any work
    try:
        sc = load_scenario(scenario)
    except ValueError as err:
        fail(str(err))
    sc = _with_sets(sc, set_)
    folder = out if out is not None else str(reference_output_dir(sc))
    if replicates is not None or assurance or success:
        from ._replicates_out import run_replicates_command

        path = path or check_ovsim_out(folder, inputs)
        with dask_or_fail(dask, workers):
            return run_replicates_command(sc, path, folder, replicates=replicates, assurance=assurance,
                                          success=success, seed=seed, patients=patients, workers=workers,
                                          chunk_size=chunk_size, resume=resume, dask=dask)
    path = path or check_ovsim_out(folder, inputs)
    try:
        # the arms' simulation is checkpointed in the temporary folder, which replaces OUT at the end
        with dask_or_fail(dask, workers), atomic_output_dir(path, kind="trial", resume=resume) as tmp:
            result = run_trial(sc, seed=seed, patients=patients, workers=workers, chunk_size=chunk_size,
                               progress=True, checkpoint=tmp / CHECKPOINT_DIR, resume=resume,
                               set_from_cli=tuple(set_ or ()), dask=dask, backend=backend)
            result.write_files(tmp, report=report, cdisc=cdisc)
    except ValueError as err:
        fail(str(err))
    table = result.summary()
    from ..report._names import humanize, use_arm_names
    with use_arm_names(result.arm_names):  # display names (T-VEC, GM-CSF), as in the report
        table["arm"] = table["arm"].map(lambda a: humanize(a, list(sc.arms)))
    table["ci95"] = table["ci95"].map(lambda c: "" if c is None else f"[{_fmt(c[0])}, {_fmt(c[1])}]")
    for col in ("simulated", "published"):
        table[col] = table[col].map(_fmt)
    print(table.to_string(index=False))
    failed = result.endpoints["failed_patients"]
    if failed:
        print(f"{failed} patient(s) failed and are excluded from the endpoints (see patients.parquet: ok, reason)")
    resumed = sum(c.get("n_chunks_resumed", 0) for c in result.run["cohorts"].values())
    if resumed:
        print(f"resumed: {resumed} simulated chunk(s) taken from the checkpoint")
    wall = result.run["wall_seconds"]
    print(f"wrote {folder}/endpoints.json" + (f" and {folder}/report.html" if report else "") + f" ({wall:.0f} s)")


def _scenario_file(scenario: Path | None) -> Path | None:
    """A scenario file as given, or the shipped scenario of that name (a file of that name wins); a bare name that
    is neither fails in one line listing the shipped names."""
    from ..trial import shipped_scenario_path, shipped_scenarios

    if scenario is None or scenario.exists():
        return scenario
    shipped = shipped_scenario_path(str(scenario))
    if shipped is not None:
        return shipped
    if len(scenario.parts) == 1 and not scenario.suffix:
        fail(f"scenario: no file and no shipped scenario named {str(scenario)[:80]!r} (expected a YAML file or one of "
             f"{', '.join(shipped_scenarios())})")
    return scenario


def _fmt(x: object) -> str:
    return "—" if x is None or x != x else f"{x:.3g}"


def _with_sets(sc, items: list[str] | None):
    """The scenario with the ``--set`` overrides merged in (one-line failure if bad); warns of range and of a
    research (non-label) regimen."""
    from ._set import sets_or_fail

    everyone, per_arm = sets_or_fail(items, arms=True)
    if everyone or per_arm:
        try:
            sc = sc.with_parameters(everyone, per_arm)
        except ValueError as err:
            fail(str(err))
    if items is None or not items:  # the scenario's own range warnings (the --set ones are printed above)
        for arm in sc.arms:
            for line in sc.overrides(arm)[1]:
                warn(f"scenario: {line}")
    for arm, regimen in sc.regimens().items():
        if not regimen.label_conformant:
            warn(f"arms.{arm}: research regimen, not the Imlygic label ({'; '.join(regimen.not_label())})")
    return sc
