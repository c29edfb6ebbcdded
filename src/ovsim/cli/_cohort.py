"""``ovsim population`` and ``ovsim cohort``: virtual patients, and many of them simulated at once."""

from __future__ import annotations

from pathlib import Path

import typer

from ._app import app, fail


@app.command()
def population(
    out: Path = typer.Option(..., "--out", "-o", help="Folder for patients.parquet, lesions.parquet."),
    patients: int = typer.Option(100, "--patients", "-n", min=1, help="Number of virtual patients."),
    seed: int = typer.Option(..., "--seed", min=0, help="Random seed (explicit, always)."),
    arm: str = typer.Option("tvec", help="Stage mix of this OPTiM arm: tvec or gmcsf."),
) -> None:
    """Draw OPTiM-like virtual patients and save them (Parquet)."""
    from ..population import generate_population

    try:
        pop = generate_population(patients, seed=seed, arm=arm)
    except ValueError as err:
        fail(str(err))
    pop.save(out)
    print(pop.summary().round(2).to_string())
    print(f"wrote {len(pop)} patients to {out}")


@app.command()
def cohort(
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the results."),
    population_dir: Path = typer.Option(None, "--population", help="A saved population (else one is drawn)."),
    patients: int = typer.Option(100, "--patients", "-n", min=1, help="Patients to draw if no --population."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of the drawn population."),
    regimen: str = typer.Option("tvec", help="Treatments: a name (tvec, gmcsf), names joined by '+', 'none', or "
                                "a YAML mapping like '{tvec: optim, gmcsf: {days_on: 14}}'."),
    horizon_days: float = typer.Option(730.0, help="Simulated time (days)."),
    every_days: float = typer.Option(28.0, help="Output grid (days)."),
    chunk_size: int = typer.Option(128, min=1, help="Patients per compiled batch."),
    workers: int = typer.Option(1, min=1, help="Worker processes (one per core is fastest on CPU)."),
) -> None:
    """Simulate a cohort (batched, compiled) and stream its tables to OUT."""
    from ..population import Population, generate_population
    from ..treatments import RegimenError

    try:
        parsed = _parse_regimen_option(regimen)
    except RegimenError as err:
        fail(f"--regimen: {err}")
    try:
        pop = Population.load(population_dir) if population_dir else generate_population(patients, seed=seed)
    except ValueError as err:
        fail(str(err))
    from ..engine import simulate_cohort
    from ..io import atomic_output_dir

    try:
        with atomic_output_dir(out) as folder:  # parts stream to a temporary folder, moved in at the end
            res = simulate_cohort(pop, parsed, horizon_days=horizon_days, output_every_days=every_days,
                                  chunk_size=chunk_size, out_dir=folder, progress=workers == 1,
                                  workers=workers)
            vials = _write_vials(folder, res.status)
    except ValueError as err:
        fail(str(err))
    print(res.summary())
    _print_vials(vials)
    print(f"wrote lesions-part-*.parquet, doses-part-*.parquet, status.parquet, cohort.json, vials.csv to {out}")


def _write_vials(folder: Path, status):
    """T-VEC vials per patient and strength (``vials.csv``, from the streamed dose parts); the per-strength summary."""
    import pandas as pd

    from ..supply import usage_summary, vial_usage

    parts = sorted(folder.glob("doses-part-*.parquet"))
    doses = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True) if parts else pd.DataFrame(
        columns=["ID", "TIME", "DRUG", "VOL_ML", "CONC_PFU_ML", "AMT"])
    usage = vial_usage(doses)
    usage.drop(columns="arm").to_csv(folder / "vials.csv", index=False)
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
    import yaml

    from ..treatments import RegimenError, parse_regimen

    if text.lstrip().startswith("{"):
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError:
            raise RegimenError("regimen: not a valid YAML mapping") from None
        return parse_regimen(raw, "regimen")
    return parse_regimen(text.strip(), "regimen")
