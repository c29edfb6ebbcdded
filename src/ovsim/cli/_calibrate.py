"""``ovsim calibrate``: calibrate the reference virtual population to OPTiM, ship it, validate it."""

from __future__ import annotations

import typer

from ._app import app, check_out_path, fail, strip_control
from ._cohort import DASK_HELP, WORKERS_HELP, dask_or_fail


@app.command()
def calibrate(
    out_text: str = typer.Option("results/calibration", "--out", "-o", help="Folder for the calibration's outputs."),
    patients: int = typer.Option(None, "--patients", "-n", min=10, help="Plausible patients (default: the spec's)."),
    seed: int = typer.Option(None, "--seed", min=0, help="Calibration seed (default: the spec's)."),
    workers: int = typer.Option(1, min=1, help=WORKERS_HELP),
    dask: str = typer.Option(None, "--dask", metavar="SCHEDULER", show_default=False, help=DASK_HELP),
    ship: bool = typer.Option(False, "--ship", help="Also install the result as ovsim's default population."),
    validate: bool = typer.Option(False, "--validate", help="After --ship: validate on fresh seeds (10x trial + 10 seeds)."),
    reuse_text: str = typer.Option(None, "--reuse-outcomes", help="outcomes.parquet of an earlier run with the same "
                                   "spec and seed: redo the posterior and survival fit without re-simulating."),
) -> None:
    """Calibrate plausible patients to the OPTiM targets (Bayesian stage-invariant posterior + survival fit)."""
    out = check_out_path(out_text)  # before the (long) calibration: not '', not an existing file
    from ..calibrate import calibrate as run_calibration
    from ..calibrate import validate as run_validation
    from ..calibrate import validation_markdown
    from ..population import calibrated_pool_path

    if validate and not ship:
        fail("--validate: expected --ship too (validation runs the shipped calibration)")
    try:
        reused = None
        if reuse_text is not None:
            import pandas as pd

            try:
                reused = pd.read_parquet(reuse_text)
            except Exception as err:  # noqa: BLE001 - any unreadable file is one line
                fail(f"{strip_control(reuse_text)}: expected a Parquet file of pool outcomes ({type(err).__name__})")
        with dask_or_fail(dask if reused is None else None, workers):
            cal = run_calibration(patients=patients, seed=seed, workers=workers, progress=True, outcomes=reused,
                                  dask=dask)
    except ValueError as err:
        message = str(err)
        fail(f"{strip_control(reuse_text)}: {message}" if reuse_text is not None and message.startswith("outcomes") else
             message)
    cal.ship(out)
    print(cal.summary().to_string(index=False))
    print(cal.identifiability().round(3).to_string(index=False))
    print(cal.bayes.hyperparameters().round(3).to_string(index=False))
    print(f"effective sample size {cal.pool.effective_sample_size:.0f} of {len(cal.pool.population)} plausible patients; "
          f"wrote {strip_control(out)}")
    if ship:
        print(f"shipped to {cal.ship()}")
    if validate:
        import ovsim.population._pool as pool_module
        import ovsim.trial._survival_spec as survival_module

        pool_module.load_calibrated_pool.cache_clear()
        survival_module.calibrated_survival_model.cache_clear()
        with dask_or_fail(dask, workers):
            table = run_validation(workers=workers, progress=False, dask=dask)
        for folder in (out, calibrated_pool_path()):
            table.to_csv(folder / "validation.csv", index=False)
            (folder / "validation.md").write_text(validation_markdown(table))
        print(validation_markdown(table))
