"""``ovsim supply``: a centre's T-VEC vial needs per week and strength, with bands, from simulated courses."""

from __future__ import annotations

import math
import sys
from enum import Enum
from pathlib import Path

import typer

from ._app import app, fail, rich_console, strip_control
from ._cohort import WORKERS_HELP, check_ovsim_out

MAX_MONTHS, MAX_COURSES, MAX_REPLICATES, MAX_RATE = 120, 5000, 10000, 10000.0


class SupplyFormat(str, Enum):
    """Output formats of ``ovsim supply`` on stdout."""

    table = "table"
    json = "json"


def check_options(patients_per_month: float, months: int, seed: int, courses_patients: int | None, replicates: int,
                  prices: dict[str, float | None]) -> None:
    """One-line errors for options out of range (before anything is simulated)."""
    if not (math.isfinite(patients_per_month) and 0 < patients_per_month <= MAX_RATE):
        fail(f"--patients-per-month: expected a number > 0 and <= {MAX_RATE:g} (got {patients_per_month:g})")
    if not 1 <= months <= MAX_MONTHS:
        fail(f"--months: expected an integer from 1 to {MAX_MONTHS} (got {months})")
    if seed < 0:
        fail(f"--seed: expected an integer >= 0 (got {seed})")
    if courses_patients is not None and not 1 <= courses_patients <= MAX_COURSES:
        fail(f"--courses-patients: expected an integer from 1 to {MAX_COURSES} (got {courses_patients})")
    if not 1 <= replicates <= MAX_REPLICATES:
        fail(f"--replicates: expected an integer from 1 to {MAX_REPLICATES} (got {replicates})")
    for strength, price in prices.items():
        if price is not None and not (math.isfinite(price) and price >= 0):
            fail(f"--price-{strength}: expected a price per vial >= 0 (got {price:g})")


@app.command()
def supply(
    patients_per_month: float = typer.Option(..., "--patients-per-month", help="New patients a month (Poisson mean)."),
    months: int = typer.Option(..., "--months", help=f"Months of new patients to forecast (1 to {MAX_MONTHS})."),
    seed: int = typer.Option(0, "--seed", help="Random seed (courses' patients and resampling)."),
    courses_patients: int = typer.Option(None, "--courses-patients", help="Virtual patients simulated for the courses "
                                         f"(default 200; at most {MAX_COURSES})."),
    replicates: int = typer.Option(1000, "--replicates", help=f"Resampled centres (at most {MAX_REPLICATES})."),
    price_1e6: float = typer.Option(None, "--price-1e6", help="Price of a 1e6 PFU/mL vial (currency units)."),
    price_1e8: float = typer.Option(None, "--price-1e8", help="Price of a 1e8 PFU/mL vial (currency units)."),
    courses: Path = typer.Option(None, "--courses", help="Courses cache (Parquet): reused if it exists, else written."),
    out: str = typer.Option("results/supply", "--out", "-o",
                             help="Folder for forecast.csv, forecast.png, supply.json."),
    output_format: SupplyFormat = typer.Option(SupplyFormat.table, "--format", help="Summary on stdout: table or json."),
    workers: int = typer.Option(1, "--workers", help=WORKERS_HELP),
) -> None:
    """Forecast T-VEC vials per week and strength for a centre starting N patients a month (median, 5-95% bands)."""
    prices_given = {"1e6": price_1e6, "1e8": price_1e8}
    out_dir = check_ovsim_out(out)  # before any work: not '', not a file, not a foreign folder
    check_options(patients_per_month, months, seed, courses_patients, replicates, prices_given)
    if workers < 1:
        fail(f"--workers: expected an integer >= 1 (got {workers})")
    from ..io import atomic_output_dir, json_text, safe_csv_frame
    from ..report import plot_supply_forecast
    from ..supply import forecast_supply, load_or_simulate_courses

    quiet = output_format is SupplyFormat.json
    try:
        made, reused = load_or_simulate_courses(courses, courses_patients, seed, workers=workers,
                                                progress=not quiet and workers == 1)
        forecast = forecast_supply(made, patients_per_month, months, replicates=replicates, seed=seed)
    except ValueError as err:
        fail(str(err))
    prices = {k: v for k, v in prices_given.items() if v is not None} or None
    doc = forecast.to_dict(prices)
    doc["courses_file"] = {"path": str(courses), "reused": reused} if courses is not None else None
    with atomic_output_dir(out_dir, kind="supply") as tmp:
        safe_csv_frame(forecast.weekly).to_csv(tmp / "forecast.csv", index=False)
        plot_supply_forecast(forecast).savefig(tmp / "forecast.png", dpi=110)
        (tmp / "supply.json").write_text(json_text(doc))
    if quiet:
        summary = {k: doc[k] for k in ("inputs", "courses", "patients_started", "totals", "monthly")}
        if prices:
            summary["costs"] = doc["costs"]
        sys.stdout.write(json_text(summary))
        return
    print_summary(forecast, prices)
    print(strip_control(f"wrote forecast.csv, forecast.png, supply.json to {out_dir}"
                        + (f" ({'reused' if reused else 'saved'} courses: {courses})" if courses is not None else "")))


def print_summary(forecast, prices: dict[str, float] | None) -> None:
    """Rich tables: vials per month by strength (median, 5-95% band, busiest week's 95th percentile); totals; costs."""
    from rich import box
    from rich.table import Table

    console = rich_console()
    p = forecast.courses
    started = forecast.started
    print(f"{forecast.patients_per_month:g} new patients a month for {forecast.months} months: "
          f"{started['median']:.0f} started (5-95%: {started['p05']:.0f}-{started['p95']:.0f}); "
          f"{forecast.replicates} resampled centres, {p.get('n_courses')} simulated courses, seed {forecast.seed}")
    monthly, weekly = forecast.monthly, forecast.weekly
    print("T-VEC vials per month: median (5-95% of centres); week p95: the month's busiest week, 95th percentile")
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("month", justify="right")
    for s in forecast.strengths:
        table.add_column(f"{s} PFU/mL", justify="right")
        table.add_column("week p95", justify="right")
    week_month = (weekly["start_day"] / (forecast.window_days / forecast.months)).astype(int)
    for m in range(forecast.months):
        cells = [str(m + 1)]
        for s in forecast.strengths:
            r = monthly[(monthly["month"] == m) & (monthly["strength"] == s)].iloc[0]
            w = weekly[(week_month == m) & (weekly["strength"] == s)]["p95"]
            cells += [f"{r['median']:.0f} ({r['p05']:.0f}-{r['p95']:.0f})", f"{w.max():.0f}" if len(w) else "-"]
        table.add_row(*cells)
    console.print(table)
    totals = Table(title="Total T-VEC vials", title_justify="left", box=box.SIMPLE_HEAD)
    for col in ("strength", "scope", "median", "5%", "95%", "mean"):
        totals.add_column(col, justify="left" if col in ("strength", "scope") else "right")
    labels = {"window": f"used in the {forecast.months} months", "committed": "committed (whole courses)"}
    for r in forecast.totals.to_dict(orient="records"):
        totals.add_row(r["strength"], labels[r["scope"]], f"{r['median']:.0f}", f"{r['p05']:.0f}", f"{r['p95']:.0f}",
                       f"{r['mean']:.1f}")
    console.print(totals)
    if prices:
        for r in forecast.costs(prices).to_dict(orient="records"):
            if r["scope"] in labels:
                print(f"Vial cost, {labels[r['scope']]}: {r['median']:,.0f} (5-95%: {r['p05']:,.0f}-{r['p95']:,.0f})")


__all__ = ["supply", "check_options"]
