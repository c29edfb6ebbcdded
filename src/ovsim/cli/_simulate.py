"""``ovsim simulate PATIENT.yaml --out DIR``: one patient end to end."""

from __future__ import annotations

import hashlib
from pathlib import Path

import typer

from ._app import app, fail, rich_console, safe_text, strip_control, warn
from ._cohort import check_backend_option, check_ovsim_out


@app.command()
def simulate(
    patient_file: Path = typer.Argument(..., help="Patient YAML file (see examples/patient_reference.yaml)."),
    out: str = typer.Option(..., "--out", "-o", help="Folder for the results (created if missing).",
                            show_default=False),
    table_format: str = typer.Option("parquet", "--format", help="Trajectory tables: parquet or csv."),
    backend: str = typer.Option("auto", help="Backend: auto (the fastest that runs the regimen), numba (fused kernel), jax (diffrax), scipy (reference loop) or another registered one."),
    set_: list[str] = typer.Option(None, "--set", help="Model parameter NAME=VALUE (registry units), replacing the "
                                   "patient file's; repeatable (docs/parameters.md)."),
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
    check_backend_option(backend)
    try:
        scenario = load_patient(patient_file)
    except InputFileError as err:
        fail(str(err))
    scenario, overrides = _with_sets(scenario, set_)
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
                   "label_warnings": warnings, **scenario.regimen.label_summary(),
                   **({"overrides": overrides} if overrides else {})},
        )
        fig = plot_patient(result)
        fig.savefig(folder / "trajectories.png", dpi=120)
        paths.append(folder / "trajectories.png")
    print(strip_control(result.summary()))
    console.print(f"wrote {', '.join(p.name for p in paths)} to {safe_text(out_dir)}")


def _with_sets(scenario, items: list[str] | None):
    """The patient file's scenario with the ``--set`` values (fixed values only: one patient draws nothing) and
    the provenance of what was set beyond the file and the label (``{}``: nothing)."""
    import dataclasses

    from ..model import LESION_LEVEL
    from ._set import sets_or_fail

    everyone, _ = sets_or_fail(items)
    drawn = [k for k, v in everyone.items() if isinstance(v, dict)]
    if drawn:
        fail(f"--set {drawn[0]}: expected a number (a distribution is drawn per patient: use ovsim cohort or trial)")
    overrides: dict = {}
    if everyone:
        p = scenario.patient
        lesions = tuple(dataclasses.replace(les, **{k: float(v) for k, v in everyone.items() if k in LESION_LEVEL})
                        for les in p.lesions)
        patient = dataclasses.replace(p, parameters={**p.parameters, **everyone}, lesions=lesions)
        scenario = dataclasses.replace(scenario, patient=patient)
        overrides = {"parameters": {k: float(v) for k, v in everyone.items()}, "cli_set": list(items or ())}
    if not scenario.regimen.label_conformant:
        warn(f"{scenario.source}: regimen: research regimen, not the Imlygic label "
             f"({'; '.join(scenario.regimen.not_label())})")
        overrides["regimen"] = scenario.regimen.label_summary()
    return scenario, overrides
