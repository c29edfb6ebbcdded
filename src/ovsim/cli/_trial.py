"""``ovsim trial``: run a virtual trial scenario (default: the reference OPTiM trial) and write its report."""

from __future__ import annotations

from pathlib import Path

import typer

from ._app import app, fail


@app.command()
def trial(
    scenario: Path = typer.Argument(None, help="Scenario YAML (default: the shipped OPTiM reference)."),
    out: Path = typer.Option(None, "--out", "-o", help="Output folder (default: results/<scenario name>)."),
    seed: int = typer.Option(None, "--seed", min=0, help="Random seed (default: the scenario's)."),
    patients: int = typer.Option(None, "--patients", "-n", min=1, help="Total patients, split as in the scenario."),
    workers: int = typer.Option(1, min=1, help="Worker processes (one per core is fastest on CPU)."),
    report: bool = typer.Option(True, "--report/--no-report", help="Write report.html."),
) -> None:
    """Run a virtual trial: simulate every arm, assess response, estimate survival, write endpoints and report."""
    from ..trial import load_scenario, reference_output_dir, run_trial

    try:
        sc = load_scenario(scenario)
        folder = out or reference_output_dir(sc)
        result = run_trial(sc, seed=seed, patients=patients, workers=workers, progress=True)
    except ValueError as err:
        fail(str(err))
    result.write(folder, report=report)
    table = result.summary()
    table["ci95"] = table["ci95"].map(lambda c: "" if c is None else f"[{_fmt(c[0])}, {_fmt(c[1])}]")
    for col in ("simulated", "published"):
        table[col] = table[col].map(_fmt)
    print(table.to_string(index=False))
    failed = result.endpoints["failed_patients"]
    if failed:
        print(f"{failed} patient(s) failed and are excluded from the endpoints (see patients.parquet: ok, reason)")
    wall = result.endpoints["provenance"]["wall_seconds"]
    print(f"wrote {folder}/endpoints.json" + (f" and {folder}/report.html" if report else "") + f" ({wall:.0f} s)")


def _fmt(x: object) -> str:
    return "—" if x is None or x != x else f"{x:.3g}"
