"""``ovsim simulate PATIENT.yaml --out DIR``: one patient end to end."""

from __future__ import annotations

import hashlib
from pathlib import Path

import typer

from ._app import app, fail, rich_console, safe_text, strip_control, warn
from ._cohort import check_ovsim_out


@app.command()
def simulate(
    patient_file: Path = typer.Argument(..., help="Patient YAML file (see examples/patient_reference.yaml)."),
    out: str = typer.Option(..., "--out", "-o", help="Folder for the results (created if missing).",
                            show_default=False),
    table_format: str = typer.Option("parquet", "--format", help="Trajectory tables: parquet or csv."),
    backend: str = typer.Option("jax", help="Backend: jax (compiled), scipy (reference loop) or another registered one."),
) -> None:
    """Simulate one patient and write trajectories, dose records and a plot.

    A patient with a label contraindication (patient.immunocompromised, patient.pregnant) is
    refused (exit code 2); label warnings are printed and the run goes on.
    """
    from ..io import TABLE_FORMATS, InputFileError, atomic_output_dir, load_patient, write_patient_result

    out_dir = check_ovsim_out(out)  # before any work: not '', not a file, not a foreign folder
    console = rich_console(stderr=True)
    if table_format not in TABLE_FORMATS:
        fail(f"--format: expected one of {', '.join(TABLE_FORMATS)} (got {table_format!r})")
    from ..engine import backend_names

    if backend not in backend_names():
        fail(f"--backend: expected one of {', '.join(backend_names())} (got {backend!r})")
    try:
        scenario = load_patient(patient_file)
    except InputFileError as err:
        fail(str(err))
    from ..population import CONTRAINDICATION_NAMES, screen

    refusals, warnings = screen(scenario.patient)  # the label's contraindications, before any simulation
    if refusals:
        fail(f"{scenario.source}: {refusals[0]}")
    for line in warnings:
        warn(f"{scenario.source}: {line}")

    from ..engine import SimulationError, simulate_patient
    from ..report import plot_patient

    with console.status(f"simulating {safe_text(scenario.patient.patient_id)} over {scenario.horizon_days:g} days"):
        try:
            result = simulate_patient(
                scenario.patient,
                scenario.regimen,
                horizon_days=scenario.horizon_days,
                output_every_days=scenario.output_every_days,
                backend=backend,
            )
        except SimulationError as err:
            fail(str(err), code=1)
    digest = hashlib.sha256(patient_file.read_bytes()).hexdigest()
    with atomic_output_dir(out_dir, kind="simulate") as folder:
        paths = write_patient_result(
            result, folder, table_format,
            extra={"patient_file": str(patient_file), "patient_file_sha256": digest,
                   "label_covariates": {n: getattr(scenario.patient, n) for n in CONTRAINDICATION_NAMES},
                   "label_warnings": warnings},
        )
        fig = plot_patient(result)
        fig.savefig(folder / "trajectories.png", dpi=120)
        paths.append(folder / "trajectories.png")
    print(strip_control(result.summary()))
    console.print(f"wrote {', '.join(p.name for p in paths)} to {safe_text(out_dir)}")
